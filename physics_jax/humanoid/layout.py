"""Static index layout of a compiled humanoid: qpos/dof addresses by SMPL bone, foot bodies."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import mujoco
import numpy as np

from physics_jax.humanoid.mjcf import load_model
from physics_jax.humanoid.table import BONE_NAMES, BONES, FOOT_BONES


@dataclass(frozen=True)
class HumanoidLayout:
    """Index arrays into qpos, qvel (75) and the body list (25, world = 0) for one joint layout."""

    joints: str = "hinge3"

    @cached_property
    def model(self) -> mujoco.MjModel:
        return load_model(scoring=True, joints=self.joints)

    def _joint(self, name: str) -> int:
        return self.model.joint(name).id

    @cached_property
    def bone_body_ids(self) -> np.ndarray:
        """(24,) MuJoCo body id of each bone in SMPL order."""
        return np.array([self.model.body(n).id for n in BONE_NAMES], dtype=np.int32)

    @cached_property
    def joint_qpos_adr(self) -> np.ndarray:
        """qpos addresses of bones 1..23 (SMPL order): (23, 3) hinges x, y, z, or (23,) balls."""
        m = self.model
        if self.joints == "ball":
            return np.array([m.jnt_qposadr[self._joint(n)] for n in BONE_NAMES[1:]], np.int32)
        return np.array([[m.jnt_qposadr[self._joint(f"{n}_{a}")] for a in "xyz"]
                         for n in BONE_NAMES[1:]], dtype=np.int32)

    @cached_property
    def joint_dof_adr(self) -> np.ndarray:
        """(23, 3) dof addresses of bones 1..23 (SMPL order), x, y, z."""
        m = self.model
        if self.joints == "ball":
            start = np.array([m.jnt_dofadr[self._joint(n)] for n in BONE_NAMES[1:]])
            return (start[:, None] + np.arange(3)[None, :]).astype(np.int32)
        return np.array([[m.jnt_dofadr[self._joint(f"{n}_{a}")] for a in "xyz"]
                         for n in BONE_NAMES[1:]], dtype=np.int32)

    @cached_property
    def foot_body_ids(self) -> np.ndarray:
        """(4,) body ids of L_Ankle, L_Toe, R_Ankle, R_Toe."""
        return np.array([self.model.body(n).id for n in FOOT_BONES], dtype=np.int32)

    @cached_property
    def foot_geom_ids(self) -> np.ndarray:
        """(4,) geom ids of the foot boxes (same order as `foot_body_ids`)."""
        return np.array([self.model.geom(n).id for n in FOOT_BONES], dtype=np.int32)

    @cached_property
    def torque_limit(self) -> np.ndarray:
        """(69,) torque limit in N·m per joint dof, in dof order (qvel[6:])."""
        limits = np.zeros(self.model.nv - 6)
        for bone, adr in zip(BONES[1:], self.joint_dof_adr, strict=True):
            limits[adr - 6] = bone.torque_limit
        return limits

    @cached_property
    def total_mass(self) -> float:
        """kg."""
        return float(self.model.body_subtreemass[0])


LAYOUT = HumanoidLayout("hinge3")
BALL_LAYOUT = HumanoidLayout("ball")
