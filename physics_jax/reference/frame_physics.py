"""Per-frame MuJoCo physics for the fast CPU scorer: K humanoids per MjData, one call per K frames.

The `phymotion` preset needs, per frame, body poses, the whole-body COM and the generalized
force M(q)·qacc + c(q, qvel). With contacts and constraints off this is MuJoCo's smooth
pipeline: `mj_kinematics`, `mj_comPos`, `mj_comVel`, then `mj_rne` with the acceleration term
(`mj_rne` leaves out the joint armature, so armature·qacc is added afterwards). A model with K
independent copies of the humanoid processes K frames per C call: each copy is its own kinematic
tree, so its numbers are exactly those of the single humanoid, and the Python cost per call is
shared by K frames. `method="inverse"` runs `mj_inverse` on the single humanoid instead, one
frame per call (the generic path, kept to measure against).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import mujoco
import numpy as np
from scipy.spatial.transform import Rotation

from physics_jax.humanoid import BONES, build_mjcf

NQ, NV, NB = 76, 75, 24  # per humanoid: qpos size, dofs, bodies (SMPL bone order)
R_YZ = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # SMPL y-up -> z-up
FEET = ("L_Ankle", "L_Toe", "R_Ankle", "R_Toe")
FOOT_INDEX = [[b.name for b in BONES].index(n) for n in FEET]  # into SMPL bone order
METHODS = ("rne", "inverse")
DEFAULT_COPIES = 16


def _prefix(k: int) -> str:
    return "" if k == 0 else f"copy{k}_"


@lru_cache(maxsize=8)
def copies_model(copies: int) -> mujoco.MjModel:
    """The scoring humanoid (hinge3 joints) repeated `copies` times, contacts and constraints off.

    Copy 0 keeps the plain names; copy k's names start with `copy{k}_`. Cached per `copies`.
    """
    if copies < 1:
        raise ValueError(f"copies must be >= 1, got {copies}")
    spec = mujoco.MjSpec.from_string(build_mjcf(scoring=True, joints="hinge3"))
    for k in range(1, copies):
        child = mujoco.MjSpec.from_string(build_mjcf(scoring=True, joints="hinge3"))
        spec.worldbody.add_frame().attach_body(child.worldbody.first_body(), _prefix(k), "")
    model = spec.compile()
    off = mujoco.mjtDisableBit
    model.opt.disableflags |= off.mjDSBL_CONTACT | off.mjDSBL_CONSTRAINT
    return model


@lru_cache(maxsize=1)
def hinge_addresses() -> np.ndarray:
    """(23, 3) qpos addresses of the x, y, z hinges of SMPL joints 1..23 (one humanoid)."""
    m = copies_model(1)
    return np.array([[m.jnt_qposadr[mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT,
                                                      f"{b.name}_{ax}")] for ax in "xyz"]
                     for b in BONES[1:]])


@dataclass(frozen=True)
class FrameOutputs:
    """Per-frame outputs for N frames, SMPL bone order for bodies."""

    force: np.ndarray  # (N, 75) M·qacc + qfrc_bias: N on the root (0:3), N·m on hinges (6:)
    body_pos: np.ndarray  # (N, 24, 3) body origins, m
    body_rot: np.ndarray  # (N, 24, 3, 3) world from body
    com: np.ndarray  # (N, 3) whole-body centre of mass, m


def retarget(global_orient: np.ndarray, body_pose: np.ndarray, transl: np.ndarray,
             hinge_qpos: np.ndarray) -> np.ndarray:
    """SMPL (..., 3), (..., 69), (..., 3) -> ungrounded qpos (..., 76), z-up, any leading shape.

    hinge_qpos (23, 3): qpos addresses of the x, y, z hinges of SMPL joints 1..23.
    """
    lead = transl.shape[:-1]
    go, bp, tr = global_orient.reshape(-1, 3), body_pose.reshape(-1, 69), transl.reshape(-1, 3)
    qpos = np.zeros((len(tr), NQ))
    qpos[:, 0:3] = tr @ R_YZ.T
    root = Rotation.from_matrix(R_YZ) * Rotation.from_rotvec(go)
    qpos[:, 3:7] = root.as_quat()[:, [3, 0, 1, 2]]
    euler = Rotation.from_rotvec(bp.reshape(-1, 3)).as_euler("XYZ")
    qpos[:, hinge_qpos] = euler.reshape(-1, 23, 3)
    return qpos.reshape(*lead, NQ)


def finite_differences(qpos: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """qpos (C, T, 76) at step dt (s) -> qvel, qacc (C, T, 75) as in reward.md §4.

    Backward differences for qvel (root translation and hinges; root angular velocity 0, frame 0
    zero), central differences for qacc with the end frames copied from their neighbours.
    """
    c, n = qpos.shape[:2]
    qvel = np.zeros((c, n, NV))
    qvel[:, 1:, 0:3] = (qpos[:, 1:, 0:3] - qpos[:, :-1, 0:3]) / dt
    qvel[:, 1:, 6:] = (qpos[:, 1:, 7:] - qpos[:, :-1, 7:]) / dt
    qacc = np.empty_like(qvel)
    qacc[:, 1:-1] = (qvel[:, 2:] - qvel[:, :-2]) / (2.0 * dt)
    qacc[:, 0], qacc[:, -1] = qacc[:, 1], qacc[:, -2]
    return qvel, qacc


class FramePhysics:
    """One MjData over `copies` humanoids; not thread safe (one instance per process/thread).

    method "rne": kinematics, comPos, comVel, rne(acc) per block of `copies` frames;
    method "inverse": mj_inverse per frame on one humanoid (copies forced to 1).
    """

    def __init__(self, copies: int = DEFAULT_COPIES, method: str = "rne"):
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        self.method = method
        self.copies = 1 if method == "inverse" else int(copies)
        m = self.model = copies_model(self.copies)
        self.data = mujoco.MjData(m)

        def body(name: str) -> int:
            return mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, name)

        # (K, 24) body ids of each copy in SMPL bone order; (K,) the copies' root bodies
        self.body_ids = np.array([[body(_prefix(k) + b.name) for b in BONES]
                                  for k in range(self.copies)])
        self.roots = self.body_ids[:, 0]
        one = copies_model(1)
        self.hinge_qpos = hinge_addresses()
        self.armature = np.array(one.dof_armature)  # (75,)
        self.weight = float(mujoco.mj_getTotalmass(one) * np.linalg.norm(one.opt.gravity))  # N
        by_bone = {b.name: b.torque_limit for b in BONES}
        self.limits = np.array([by_bone[mujoco.mj_id2name(one, mujoco.mjtObj.mjOBJ_JOINT,
                                                          one.dof_jntid[i])[:-2]]
                                for i in range(6, NV)])  # (69,) N·m per hinge
        self._buffers: dict[str, np.ndarray] = {}

    def _buffer(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A reused float64 buffer of at least `shape[0]` rows."""
        buf = self._buffers.get(name)
        if buf is None or buf.shape[0] < shape[0] or buf.shape[1:] != shape[1:]:
            buf = self._buffers[name] = np.empty((max(shape[0], 1), *shape[1:]))
        return buf[: shape[0]]

    def _blocks(self, qpos: np.ndarray, qvel: np.ndarray, qacc: np.ndarray
                ) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
        """Pad N frames to a multiple of K (repeating the last frame) and view as blocks."""
        n, k = len(qpos), self.copies
        nb = -(-n // k)
        out = []
        for name, x in (("qpos", qpos), ("qvel", qvel), ("qacc", qacc)):
            buf = self._buffer(name, (nb * k, x.shape[1]))
            buf[:n] = x
            buf[n:] = x[-1]
            out.append(buf.reshape(nb, -1))
        return nb, *out

    def _solve_blocks(self, qp: np.ndarray, qv: np.ndarray, qa: np.ndarray,
                      force: np.ndarray) -> Iterator[int]:
        """For each block i of K humanoids: load it, run the C calls, write its generalized forces
        into force[i]; yields i with the block's results still in `self.data`."""
        m, d = self.model, self.data
        d_qpos, d_qvel, d_qacc = d.qpos, d.qvel, d.qacc
        if self.method == "inverse":
            d_inv = d.qfrc_inverse
            for i in range(len(qp)):
                d_qpos[:] = qp[i]
                d_qvel[:] = qv[i]
                d_qacc[:] = qa[i]
                mujoco.mj_inverse(m, d)
                force[i] = d_inv
                yield i
        else:
            for i in range(len(qp)):
                d_qpos[:] = qp[i]
                d_qvel[:] = qv[i]
                d_qacc[:] = qa[i]
                mujoco.mj_kinematics(m, d)
                mujoco.mj_comPos(m, d)
                mujoco.mj_comVel(m, d)
                mujoco.mj_rne(m, d, 1, force[i])
                yield i

    def run(self, qpos: np.ndarray, qvel: np.ndarray, qacc: np.ndarray) -> FrameOutputs:
        """qpos (N, 76), qvel and qacc (N, 75) -> FrameOutputs for the N frames (N >= 1)."""
        m, d, k, n = self.model, self.data, self.copies, len(qpos)
        nb, qp, qv, qa = self._blocks(qpos, qvel, qacc)
        force = self._buffer("force", (nb * k, NV)).reshape(nb, k * NV)
        xpos = self._buffer("xpos", (nb, m.nbody * 3)).reshape(nb, m.nbody, 3)
        xmat = self._buffer("xmat", (nb, m.nbody * 9)).reshape(nb, m.nbody, 9)
        com = self._buffer("com", (nb, m.nbody * 3)).reshape(nb, m.nbody, 3)
        d_xpos, d_xmat, d_com = d.xpos, d.xmat, d.subtree_com
        for i in self._solve_blocks(qp, qv, qa, force):
            xpos[i], xmat[i], com[i] = d_xpos, d_xmat, d_com
        f = force.reshape(nb * k, NV)[:n].copy()
        if self.method == "rne":
            f += self.armature * qacc
        ids = self.body_ids
        return FrameOutputs(
            force=f,
            body_pos=xpos[:, ids].reshape(nb * k, NB, 3)[:n],
            body_rot=xmat[:, ids].reshape(nb * k, NB, 3, 3)[:n],
            com=com[:, self.roots].reshape(nb * k, 3)[:n])

    def forces_only(self, qpos: np.ndarray, qvel: np.ndarray, qacc: np.ndarray) -> float:
        """Physics only: the per-frame C calls for N frames, nothing copied out but the forces.

        Returns the sum of all generalized forces (a checksum). The inputs must already be
        padded to a multiple of `copies` frames.
        """
        k = self.copies
        nb = len(qpos) // k
        qp, qv, qa = qpos.reshape(nb, -1), qvel.reshape(nb, -1), qacc.reshape(nb, -1)
        force = self._buffer("force", (nb * k, NV)).reshape(nb, k * NV)
        for _ in self._solve_blocks(qp, qv, qa, force):
            pass
        return float(force.sum())


def random_frames(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n plausible frames (qpos (n, 76), qvel and qacc (n, 75)) for timing the physics."""
    rng = np.random.default_rng(seed)
    qpos = np.zeros((n, NQ))
    qpos[:, 2] = 0.93
    qpos[:, 3:7] = Rotation.random(n, random_state=seed).as_quat()[:, [3, 0, 1, 2]]
    qpos[:, 7:] = rng.normal(scale=0.3, size=(n, NQ - 7))
    return qpos, rng.normal(size=(n, NV)), rng.normal(scale=10.0, size=(n, NV))


def single_core_rate(method: str = "rne", copies: int = DEFAULT_COPIES, frames: int = 8192,
                     repeats: int = 3) -> float:
    """Frames/s of `FramePhysics.forces_only` on the calling thread (best of `repeats`)."""
    phys = FramePhysics(copies, method)
    k = phys.copies
    frames = -(-frames // k) * k
    qpos, qvel, qacc = random_frames(frames)
    phys.forces_only(qpos[:k], qvel[:k], qacc[:k])
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        phys.forces_only(qpos, qvel, qacc)
        best = min(best, time.perf_counter() - t0)
    return frames / best
