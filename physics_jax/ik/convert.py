"""Motion files to the project's SmplClip in one batch: joint-position sources (BVH, ASF/AMC,
HumanML3D npy) through one inverse-kinematics fit, SMPL-parameter sources (project npz,
AMASS / AIST++ npz, GVHMR .pt) directly; all resampled to one output rate."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from physics_jax.errors import MotionFormatError, require_file
from physics_jax.ik.fit import fit_joints
from physics_jax.ik.retarget import resample_clip
from physics_jax.motion.clip import SmplClip, make_clip
from physics_jax.motion.readers import MOTION_SUFFIXES, expand_paths, load_motion
from physics_jax.sources.floor_check import below_floor_share
from physics_jax.sources.joint_motion import JointMotion
from physics_jax.sources.load import JOINT_SUFFIXES, load_joint_motion
from physics_jax.sources.resample import resample

SOURCE_SUFFIXES = JOINT_SUFFIXES + MOTION_SUFFIXES
CMU_AMC_FPS = 120.0
"""Frame rate assumed for AMC files when none is given: CMU's capture rate (a few subjects
were captured at 60 fps; see the data README)."""


@dataclass(frozen=True)
class Source:
    """One motion file to convert.

    asf: the skeleton of an AMC file (default: `<subject>.asf` beside it, CMU's naming);
    fps: the frame rate of a file that stores none (AMC: 120 when None; HumanML3D npy: 20
    when None; AIST++ npz, GVHMR .pt: required); files that store a rate (BVH, npz with `fps`
    or `mocap_framerate`) keep theirs. skip: frames dropped at the start (e.g. the synthetic
    T-pose frame that starts the cgspeed BVH conversions of CMU).
    """

    path: Path
    asf: Path | None = None
    fps: float | None = None
    skip: int = 0


@dataclass
class Converted:
    """A converted clip: the SMPL parameters, the source's frame rate, and for joint sources
    the applied scale, the mean joint fit error (cm) and the share of source frames with a foot
    joint below the source's floor (`sources.floor_check.below_floor_share`); None for SMPL
    sources."""

    source: Path
    clip: SmplClip
    source_fps: float
    scale: float | None = None
    fit_error_cm: float | None = None
    below_floor: float | None = None


def expand_sources(paths: list[str | Path]) -> list[Path]:
    """Folders become the motion files inside them (sorted, recursive; ASF skeletons are not
    motion files and are skipped)."""
    return expand_paths(paths, SOURCE_SUFFIXES)


def default_asf(amc: Path) -> Path | None:
    """CMU's skeleton file for an AMC take: `<subject>.asf` beside `<subject>_<trial>.amc`."""
    candidate = amc.with_name(amc.stem.split("_")[0] + ".asf")
    return candidate if candidate.is_file() else None


def load_source(src: Source) -> JointMotion | SmplClip:
    """Read one source: a JointMotion for joint-position formats, an SmplClip for SMPL ones;
    MotionFormatError naming the file and the field or line for any defect."""
    path = require_file(src.path)
    suffix = path.suffix.lower()
    if suffix in MOTION_SUFFIXES:
        motion: JointMotion | SmplClip = _load_smpl(path, src.fps)
    elif suffix == ".amc":
        asf = src.asf or default_asf(path)
        if asf is None:
            raise MotionFormatError(str(path), "asf", "no skeleton: pass --asf (CMU names it "
                                    f"{path.stem.split('_')[0]}.asf)")
        motion = load_joint_motion(path, asf=asf, fps=src.fps or CMU_AMC_FPS)
    elif suffix == ".bvh":
        motion = load_joint_motion(path)
    elif suffix in JOINT_SUFFIXES:
        motion = load_joint_motion(path, fps=src.fps)
    else:
        raise MotionFormatError(str(path), "file", f"unknown motion format {suffix!r} "
                                f"(expected one of {', '.join(SOURCE_SUFFIXES)})")
    return _skip(motion, src.skip, str(path))


def _load_smpl(path: Path, fps: float | None) -> SmplClip:
    """An SMPL-parameter file at its stored rate, or at `fps` when it stores none."""
    try:
        return load_motion(path)
    except MotionFormatError as exc:
        if exc.field != "fps" or fps is None:
            raise
    return load_motion(path, fps)


def _skip(motion: JointMotion | SmplClip, skip: int, source: str) -> JointMotion | SmplClip:
    if skip < 0:
        raise MotionFormatError(source, "skip", f"must be >= 0, got {skip}")
    if skip == 0:
        return motion
    if isinstance(motion, JointMotion):
        if motion.n_frames <= skip:
            raise MotionFormatError(source, "frames", f"{motion.n_frames} frames, skip {skip}")
        return replace(motion, positions=motion.positions[skip:])
    return make_clip(motion.global_orient[skip:], motion.body_pose[skip:],
                     motion.transl[skip:], motion.fps, motion.betas, motion.source)


def convert_sources(sources: list[Source], fps_out: float | None = 30.0) -> list[Converted]:
    """Convert every source (all read first, so a bad file stops the run before any work);
    joint sources are fitted together by one `fit_joints` call. fps_out None keeps each
    source's rate."""
    loaded = [load_source(s) for s in sources]
    out: list[Converted | None] = [None] * len(sources)
    joint_idx = [i for i, m in enumerate(loaded) if isinstance(m, JointMotion)]
    for i, m in enumerate(loaded):
        if isinstance(m, SmplClip):
            out[i] = Converted(sources[i].path, resample_clip(m, fps_out), m.fps)
    if joint_idx:
        motions = [loaded[i] for i in joint_idx]
        if fps_out is not None:
            motions = [resample(m, fps_out) if m.fps != fps_out else m for m in motions]
        lengths = np.array([m.n_frames for m in motions])
        joints = np.stack([np.concatenate([m.positions, np.repeat(m.positions[-1:],
                                           lengths.max() - m.n_frames, axis=0)])
                           for m in motions])
        fit = fit_joints(joints, lengths, np.array([m.fps for m in motions]))
        for k, i in enumerate(joint_idx):
            source = str(sources[i].path)
            out[i] = Converted(sources[i].path, fit.clip(k, source=source), loaded[i].fps,
                               float(fit.scale[k]), float(fit.fit_error_cm[k]),
                               below_floor_share(loaded[i]))
    return [c for c in out if c is not None]
