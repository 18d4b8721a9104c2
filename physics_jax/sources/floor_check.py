"""Does a source skeleton fit its take? Its foot joints must stay above the capture floor.

Motion capture solves the performer's joint centres from markers with a skeleton calibrated for
that performer and session. With the wrong bone lengths (another subject's skeleton standing in,
or a calibration from another session) the forward kinematics puts the feet where the performer
never had them: a stance foot sinks through the floor or hangs above it while the pelvis follows
the markers. The ankle and the ball of the foot are joint centres a few centimetres above the
sole, so in a take whose skeleton fits they never pass below the floor the performer stood on.

The check needs the source's floor at its own z = 0 (y = 0 before the loaders turn y-up into
z-up): true of CMU's capture volume (ASF/AMC and its BVH conversions) and of HumanML3D, whose
processing puts the floor there. A file with its floor elsewhere (a BVH with the root at the
origin, say) shows 0 % or 100 % whatever its skeleton, so a large share calls for a look at the
file's floor before its bone lengths.

Measured on the CMU takes of ../shared/data/cmu (floor z = 0, the capture volume's): every take
with its own skeleton, 0 % of frames (05_11 on 05.asf among them); 90_05 on a stand-in skeleton
4.7 %; 05_06 on the same 05.asf 52 %; 88_01 on a stand-in skeleton 79 %.
"""

from __future__ import annotations

import numpy as np

from physics_jax.sources.joint_motion import JointMotion

FOOT_JOINTS = ("L_Ankle", "R_Ankle", "L_Foot", "R_Foot")
"""Joint centres that sit closest to the sole (the ankle and the ball of the foot)."""


def below_floor_share(motion: JointMotion, floor: float = 0.0) -> float:
    """Share of frames, in [0, 1], in which a foot joint centre (`FOOT_JOINTS`) of `motion`
    lies below the plane z = `floor` (m, the source's own floor, before any retargeting moves
    it). 0 for a take whose skeleton fits it."""
    idx = [motion.joint_names.index(name) for name in FOOT_JOINTS]
    lowest = motion.positions[:, idx, 2].min(axis=1)
    return float(np.mean(lowest < floor))
