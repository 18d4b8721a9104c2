"""CPU reference scorer for the `phymotion` preset: numpy, scipy and MuJoCo's C API, per frame.

An independent oracle for the JAX kernels and the CPU baseline for benchmarks. Follows
reward.md §3 (retargeting, grounding) and §4 (contact, dynamic, humanoid-fallback kinematic
axes). One `MjData` per `ReferenceScorer`; frames are processed in a plain loop.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import mujoco
import numpy as np
from scipy.spatial.transform import Rotation

from physics_jax.humanoid import BONES, load_model
from physics_jax.kernels.self_collision import capsules, collision_pairs
from physics_jax.reference.axes import (
    balance_distances,
    contact_axis,
    dynamic_axis,
    foot_contacts,
    kinematic_axis,
    self_penetration_depth,
)

R_YZ = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # SMPL y-up -> z-up
FEET = ("L_Ankle", "L_Toe", "R_Ankle", "R_Toe")
FOOT_INDEX = [[b.name for b in BONES].index(n) for n in FEET]  # into SMPL bone order


@dataclass(frozen=True)
class Trajectory:
    """Per-frame MuJoCo outputs of one grounded clip (T frames, SMPL bone order for bodies)."""

    qpos: np.ndarray  # (T, nq)
    qvel: np.ndarray  # (T, nv), finite differences
    force: np.ndarray  # (T, nv) M·qacc + qfrc_bias: N on the root (0:3), N·m on hinges (6:)
    body_pos: np.ndarray  # (T, 24, 3) body origins, m
    body_rot: np.ndarray  # (T, 24, 3, 3) body orientations, world from body
    com: np.ndarray  # (T, 3) whole-body centre of mass, m


def _check_clip(global_orient: np.ndarray, body_pose: np.ndarray, transl: np.ndarray,
                fps: float) -> None:
    """Raise ValueError unless the clip is a valid SMPL clip of T >= 3 finite frames."""
    if not np.isfinite(fps) or fps <= 0:
        raise ValueError(f"fps must be a finite positive number, got {fps!r}")
    if global_orient.ndim != 2 or global_orient.shape[1] != 3:
        raise ValueError(f"global_orient must have shape (T, 3), got {global_orient.shape}")
    t = global_orient.shape[0]
    if body_pose.ndim != 2 or body_pose.shape not in ((t, 63), (t, 69)):
        raise ValueError(f"body_pose must have shape ({t}, 63) or ({t}, 69), got {body_pose.shape}")
    if transl.shape != (t, 3):
        raise ValueError(f"transl must have shape ({t}, 3), got {transl.shape}")
    if t < 3:
        raise ValueError(f"a clip needs at least 3 frames, got {t}")
    for name, arr in (("global_orient", global_orient), ("body_pose", body_pose),
                      ("transl", transl)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains non-finite values")


class ReferenceScorer:
    """Scores clips with one MjModel/MjData pair (not thread safe: one instance per thread)."""

    def __init__(self) -> None:
        m = self.model = load_model(scoring=True, joints="hinge3")
        # contacts play no part in the preset: skip collision and the constraint solver
        off = mujoco.mjtDisableBit
        m.opt.disableflags |= off.mjDSBL_CONTACT | off.mjDSBL_CONSTRAINT
        self.data = mujoco.MjData(m)

        def body(name: str) -> int:
            return mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, name)

        def qadr(name: str) -> int:
            return int(m.jnt_qposadr[mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, name)])

        self.body_ids = np.array([body(b.name) for b in BONES])
        self.foot_ids = np.array([body(n) for n in FEET])
        # qpos addresses of the x, y, z hinges of SMPL joints 1..23, (23, 3)
        self.hinge_qpos = np.array([[qadr(f"{b.name}_{ax}") for ax in "xyz"] for b in BONES[1:]])
        limit_by_bone = {b.name: b.torque_limit for b in BONES}
        self.limits = np.array([limit_by_bone[mujoco.mj_id2name(m, mujoco.mjtObj.mjOBJ_JOINT,
                                                                m.dof_jntid[i])[:-2]]
                                for i in range(6, m.nv)])
        self.weight = float(mujoco.mj_getTotalmass(m) * np.linalg.norm(m.opt.gravity))  # N
        self.segments, self.radii = capsules()
        self.pairs = collision_pairs()

    def retarget(self, global_orient: np.ndarray, body_pose: np.ndarray,
                 transl: np.ndarray) -> np.ndarray:
        """SMPL parameters (T, 3), (T, 63|69), (T, 3) -> ungrounded qpos (T, nq), z-up."""
        n = len(transl)
        qpos = np.zeros((n, self.model.nq))
        qpos[:, 0:3] = transl @ R_YZ.T
        root = Rotation.from_matrix(R_YZ) * Rotation.from_rotvec(global_orient)
        qpos[:, 3:7] = root.as_quat()[:, [3, 0, 1, 2]]
        joints = body_pose.shape[1] // 3
        euler = Rotation.from_rotvec(body_pose.reshape(-1, 3)).as_euler("XYZ")
        qpos[:, self.hinge_qpos[:joints]] = euler.reshape(n, joints, 3)
        return qpos

    def ground(self, qpos: np.ndarray) -> np.ndarray:
        """Shift qpos z so the lowest foot body origin over all frames is at z = 0."""
        d, m = self.data, self.model
        lowest = np.inf
        for q in qpos:
            d.qpos[:] = q
            mujoco.mj_kinematics(m, d)
            lowest = min(lowest, float(np.min(d.xpos[self.foot_ids, 2])))
        out = qpos.copy()
        out[:, 2] -= lowest
        return out

    def trajectory(self, qpos: np.ndarray, fps: float) -> Trajectory:
        """Finite differences (reward.md §4) and one mj_forward + mj_mulM per frame."""
        m, d, dt = self.model, self.data, 1.0 / fps
        n = len(qpos)
        qvel = np.zeros((n, m.nv))
        qvel[1:, 0:3] = (qpos[1:, 0:3] - qpos[:-1, 0:3]) / dt
        qvel[1:, 6:] = (qpos[1:, 7:] - qpos[:-1, 7:]) / dt
        qacc = np.empty_like(qvel)
        qacc[1:-1] = (qvel[2:] - qvel[:-2]) / (2.0 * dt)
        qacc[0], qacc[-1] = qacc[1], qacc[-2]
        force = np.empty_like(qvel)
        bias = np.empty_like(qvel)
        xpos = np.empty((n, m.nbody, 3))
        xmat = np.empty((n, m.nbody, 9))
        com = np.empty((n, 3))
        for t in range(n):
            d.qpos[:] = qpos[t]
            d.qvel[:] = qvel[t]
            mujoco.mj_forward(m, d)
            mujoco.mj_mulM(m, d, force[t], qacc[t])
            bias[t] = d.qfrc_bias
            xpos[t] = d.xpos
            xmat[t] = d.xmat
            com[t] = d.subtree_com[0]
        body_rot = xmat[:, self.body_ids].reshape(n, -1, 3, 3)
        return Trajectory(qpos, qvel, force + bias, xpos[:, self.body_ids], body_rot, com)

    def score(self, global_orient: np.ndarray, body_pose: np.ndarray, transl: np.ndarray,
              fps: float) -> dict:
        """Score one clip; see `score_clip`."""
        global_orient, body_pose, transl = (np.asarray(a, dtype=np.float64)
                                            for a in (global_orient, body_pose, transl))
        _check_clip(global_orient, body_pose, transl, fps)
        dt = 1.0 / float(fps)
        traj = self.trajectory(self.ground(self.retarget(global_orient, body_pose, transl)), fps)
        foot_pos = traj.body_pos[:, FOOT_INDEX]
        u, contact = foot_contacts(foot_pos, dt)
        dist = balance_distances(foot_pos, contact, traj.com)
        depth = self_penetration_depth(traj.body_pos, traj.body_rot, self.segments, self.radii,
                                       self.pairs)
        kin = kinematic_axis(traj.body_pos, depth, dt)
        con = contact_axis(foot_pos, traj.qpos[:, 0:3], u, contact, dist, dt)
        dyn = dynamic_axis(traj.force, traj.qvel, self.limits, dist, self.weight, dt)
        reward = (kin["score"] + con["score"] + dyn["score"]) / 3.0
        return {"reward": float(reward), "kinematic": kin, "contact": con, "dynamic": dyn}


_local = threading.local()


def thread_scorer() -> ReferenceScorer:
    """The calling thread's own ReferenceScorer (created on first use)."""
    scorer = getattr(_local, "scorer", None)
    if scorer is None:
        scorer = _local.scorer = ReferenceScorer()
    return scorer


def score_clip(global_orient: np.ndarray, body_pose: np.ndarray, transl: np.ndarray,
               fps: float) -> dict:
    """Score one SMPL clip with the `phymotion` preset.

    global_orient (T, 3) and body_pose (T, 63|69) axis-angle (rad), transl (T, 3) m, SMPL y-up;
    fps in Hz. Returns {"reward", "kinematic", "contact", "dynamic"}, each axis with "score" and
    named sub-scores {"score": 1 = good, "value": physical value}. Raises ValueError on T < 3,
    non-finite values, bad shapes or fps <= 0.
    """
    return thread_scorer().score(global_orient, body_pose, transl, fps)
