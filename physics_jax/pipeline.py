"""The batched scorer: SMPL parameter batches (B, T, ...) -> per-clip scores, one jit per shape.

Everything between the input arrays and the per-clip scores is pure JAX: retargeting, finite
differences, MJX kinematics and inverse dynamics over flat frame chunks, and the preset's
sub-scores vmapped over clips. No Python loop over clips or frames.

Presets are data (`presets.registry`): the scorer looks its preset up by name once, then takes
the layout, finite differences, axes and output keys from the preset object. The preset's
parameters are a traced argument of every jitted entry point, so one compiled program per
(B, T) shape serves any calibration (`__call__(..., params=...)`).

Long clips. Memory and time grow linearly in a clip's frames T (the windowed terms are banded
products, `kernels.window`; the per-frame physics of a clip longer than `ScorerConfig.chunk`
frames runs `chunk` frames at a time). A clip is scored whole (its floor, slip and effort are
medians over the whole clip, so it cannot be cut into independent pieces), so one clip must fit
in memory: `max_clip_frames(device)` is the longest clip a device accepts, `MAX_CLIP_FRAMES`
frames or what `DEVICE_MEMORY_SHARE` of the device's memory holds at `CLIP_BYTES_PER_FRAME`,
whichever is smaller. `plan_batches` scores clips longer than `LONG_CLIP_FRAMES` in batches of
their own (so they do not pad the others) and rejects longer ones with a reason; the packed
entry points (`BatchScorer.packed`, `packed_buffer`) mark such clips invalid.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache, partial

import chex
import jax
import jax.numpy as jnp
import numpy as np

from physics_jax.calibration.measurement import check_measurement
from physics_jax.humanoid.layout import HumanoidLayout
from physics_jax.kernels.dynamics import BACKENDS, DynamicsKernel
from physics_jax.kernels.masked import frame_mask
from physics_jax.kernels.retarget import smpl_to_qpos
from physics_jax.kernels.self_collision import pose_penetration
from physics_jax.motion.padding import T_BUCKETS
from physics_jax.motion.validity import MIN_FRAMES, VALID, row_codes
from physics_jax.presets.base import Preset, combine_scores, flatten_scores
from physics_jax.presets.params import Params
from physics_jax.presets.registry import PRESET_NAMES, get_preset
from physics_jax.presets.state import ClipState

PRESETS = PRESET_NAMES
FRAME_WIDTH = 75  # floats per frame in `BatchScorer.packed_buffer`: orient, body pose, transl
MAX_CLIP_FRAMES = 1 << 19
"""Longest clip scored on any device (frames): 524,288, 4.9 h at 30 fps."""
CLIP_BYTES_PER_FRAME = {"float32": 16_000, "float64": 32_000}
"""Peak memory of scoring one long clip, bytes per frame, rounded up from
`benchmarks/long_clips.py` (CPU, T = 10,000 and 100,000; see benchmarks/RESULTS.md)."""
DEVICE_MEMORY_SHARE = 0.25
"""Share of a device's memory one clip may take (the rest: other clips, the caller, XLA)."""
LONG_CLIP_FRAMES = T_BUCKETS[-1]
"""Clips longer than this (frames) are scored in batches of their own (`plan_batches`)."""


def device_memory_bytes(device) -> int:
    """Memory (bytes) of a jax.Device: the allocator's limit on an accelerator, else the host's
    physical memory (or its cgroup limit, if lower)."""
    stats = device.memory_stats() if hasattr(device, "memory_stats") else None
    if stats and stats.get("bytes_limit"):
        return int(stats["bytes_limit"])
    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as f:
                total = min(total, int(f.read().strip()))
        except (OSError, ValueError):  # absent, or "max"
            continue
    return total


@lru_cache(maxsize=16)
def _device_clip_frames(device, dtype: str) -> int:
    return int(DEVICE_MEMORY_SHARE * device_memory_bytes(device)
               // CLIP_BYTES_PER_FRAME.get(dtype, CLIP_BYTES_PER_FRAME["float64"]))


def max_clip_frames(device=None, dtype: str = "float32") -> int:
    """Longest clip (frames) scored on `device` (a jax.Device or platform name; None: JAX's
    default device): `MAX_CLIP_FRAMES`, or the frames `DEVICE_MEMORY_SHARE` of its memory
    holds at `CLIP_BYTES_PER_FRAME[dtype]`, whichever is smaller."""
    if device is None:
        device = jax.config.jax_default_device or jax.devices()[0]
    if isinstance(device, str):
        device = jax.devices(device)[0]
    return max(MIN_FRAMES, min(MAX_CLIP_FRAMES, _device_clip_frames(device, str(dtype))))


def too_long_reason(frames: int, limit: int) -> str:
    """The `reason` of a clip longer than `limit` frames."""
    return (f"frames: {frames} frames; at most {limit} per clip on this device "
            f"(longer clips do not fit in its memory; split the clip)")


def plan_batches(frames: Sequence[int], batch_size: int, limit: int
                 ) -> tuple[list[list[int]], dict[int, str]]:
    """Clip lengths (frames) -> (batches of clip indices, {index: reason} of rejected clips).
    Clips up to `LONG_CLIP_FRAMES` keep their order, `batch_size` per batch; longer ones are
    scored one per batch, so that padding never makes a short clip cost a long one's memory;
    clips longer than `limit` are rejected (`too_long_reason`)."""
    rejected = {i: too_long_reason(n, limit) for i, n in enumerate(frames) if n > limit}
    short = [i for i, n in enumerate(frames) if n <= LONG_CLIP_FRAMES and i not in rejected]
    long = [[i] for i, n in enumerate(frames) if n > LONG_CLIP_FRAMES and i not in rejected]
    size = max(1, batch_size)
    return [short[k:k + size] for k in range(0, len(short), size)] + long, rejected


@dataclass(frozen=True)
class ScorerConfig:
    """preset: "v2" | "phymotion"; chunk: at most this many frames (clips x frames) are scored
    at once, larger batches run as a sequence of such chunks (bounds memory for any batch; the
    default keeps 1024 clips of 48 frames to two chunks, within 4 KiB per frame; a clip longer
    than it runs its per-frame physics in chunks of this many frames and its scores whole);
    dynamics: "lean" (fused Newton-Euler) or "mjx" (MJX's smooth pipeline), same results;
    max_frames: longest clip accepted (frames), None: `max_clip_frames` of the device;
    measurement: "mocap" or "video", what the motion was measured with: it picks the default
    parameters (`presets.registry.default_params`; video widens the tolerances)."""

    preset: str = "v2"
    dtype: str = "float32"
    chunk: int = 32768
    dynamics: str = "lean"
    max_frames: int | None = None
    measurement: str = "mocap"

    def __post_init__(self):
        check_measurement(self.measurement)
        if self.preset not in PRESETS:
            raise ValueError(f"unknown preset {self.preset!r}; choose one of {PRESETS}")
        if self.dynamics not in BACKENDS:
            raise ValueError(f"unknown dynamics {self.dynamics!r}; choose one of {BACKENDS}")
        if self.chunk < 1:
            raise ValueError(f"chunk must be a positive number of frames, got {self.chunk}")
        if self.max_frames is not None and self.max_frames < MIN_FRAMES:
            raise ValueError(f"max_frames must be at least {MIN_FRAMES}, got {self.max_frames}")


class BatchScorer:
    """Scores padded batches of SMPL clips; thread-safe (no mutable simulator state).

    params: the preset's parameters (`presets.registry.load_params`), None: its defaults.
    They are passed to the jitted program as a traced argument, as are those given to a call."""

    def __init__(self, config: ScorerConfig = ScorerConfig(), params: Params | None = None):
        self.config = config
        self.preset: Preset = get_preset(config.preset, params, config.measurement)
        self.layout: HumanoidLayout = self.preset.layout
        self.dtype = jnp.dtype(config.dtype)
        self.params = self.preset.params.cast(self.dtype)
        self.kernel = DynamicsKernel(self.layout.model, self.layout.foot_geom_ids, self.dtype,
                                     backend=config.dynamics)
        self.mass = self.layout.total_mass
        self._compiles = 0
        self._lock = threading.Lock()
        self._jit = jax.jit(self._score)
        self._jit_packed = jax.jit(self._packed)
        self._jit_buffer = jax.jit(self._packed_buffer)

    @property
    def packed_keys(self) -> tuple[str, ...]:
        """Rows of `packed` and `packed_buffer`, declared by the preset."""
        return self.preset.packed_keys

    def _params(self, params: Params | None) -> Params:
        """The parameters a call passes: the scorer's, or `params` cast to its dtype."""
        if params is None:
            return self.params
        if type(params) is not type(self.params):
            raise ValueError(f"preset {self.preset.name!r} takes "
                             f"{type(self.params).__name__}, got {type(params).__name__}")
        return params.cast(self.dtype)

    @property
    def compile_count(self) -> int:
        """How many (B, T) shapes have been traced and compiled so far."""
        return self._compiles

    def max_frames(self, device=None) -> int:
        """Longest clip (frames) this scorer accepts on `device` (None: JAX's default device):
        `config.max_frames`, else `max_clip_frames`."""
        if self.config.max_frames is not None:
            return self.config.max_frames
        return max_clip_frames(device, self.config.dtype)

    def clips_per_chunk(self, clips: int, frames: int) -> int:
        """Clips scored together so that one chunk holds at most `config.chunk` frames."""
        n_chunks = -(-clips * frames // self.config.chunk)
        return max(1, -(-clips // n_chunks))

    def __call__(self, global_orient, body_pose, transl, lengths, fps,
                 params: Params | None = None) -> dict:
        """global_orient (B, T, 3), body_pose (B, T, 23, 3), transl (B, T, 3) (SMPL, y-up, m),
        lengths (B,) int, fps (B,) float -> nested dict of (B,) arrays. params: the preset's
        parameters for this call (None: the scorer's); any values, the same program."""
        return self._jit(self._params(params), jnp.asarray(global_orient, self.dtype),
                         jnp.asarray(body_pose, self.dtype),
                         jnp.asarray(transl, self.dtype), jnp.asarray(lengths, jnp.int32),
                         jnp.asarray(fps, self.dtype))

    def packed(self, global_orient, body_pose, transl, lengths, fps,
               params: Params | None = None) -> tuple[tuple[str, ...], jax.Array]:
        """As `__call__` on possibly invalid input, flattened for a zero-copy hand-off:
        (keys, (K, B) array). Rows: `reward`, `<axis>`, `<axis>/<term>`, `<axis>/<term>/value`,
        last `valid` (1.0 / 0.0). A clip that breaks the validity rule (`motion.validity.row_codes`:
        fewer than 3 frames or more than `max_frames()`, fps outside [1, 1000] Hz, a non-finite
        or out-of-range value in its first `lengths` frames) is invalid: its rows are 0 and it
        cannot affect others (a batch padded past `max_frames()` is scored on its first
        `max_frames()` frames, which hold every valid clip)."""
        out = self._jit_packed(self._params(params), global_orient, body_pose, transl, lengths,
                               fps)
        return self.packed_keys, out

    def packed_buffer(self, buf, params: Params | None = None
                      ) -> tuple[tuple[str, ...], jax.Array]:
        """As `packed`, with the whole batch in one (B, T * 75 + 2) float array: per clip its
        frames' global_orient (3), body_pose (69) and transl (3), then its length and fps.
        One array in and one out: a single zero-copy hand-off each way."""
        out = self._jit_buffer(self._params(params), buf)
        return self.packed_keys, out

    def _packed_buffer(self, params, buf):
        b = buf.shape[0]
        t = (buf.shape[1] - 2) // FRAME_WIDTH
        frames = buf[:, :t * FRAME_WIDTH].reshape(b, t, FRAME_WIDTH)
        return self._packed(params, frames[..., 0:3], frames[..., 3:72].reshape(b, t, 23, 3),
                            frames[..., 72:75], buf[:, -2].astype(jnp.int32), buf[:, -1])

    def _packed(self, params, global_orient, body_pose, transl, lengths, fps):
        b, t = transl.shape[:2]
        limit = self.max_frames()
        if t > limit:  # no valid clip reaches past `limit`: score the first `limit` frames
            t = limit  # (so `lengths <= t` below rejects the longer clips)
            global_orient, body_pose, transl = (x[:, :t] for x in (global_orient, body_pose,
                                                                     transl))
        valid = row_codes(global_orient, body_pose.reshape(b, t, -1), transl, lengths,
                          fps) == VALID  # the host's rule (`motion.validity`), in the program
        go = jnp.where(valid[:, None, None], global_orient, 0.0)
        bp = jnp.where(valid[:, None, None, None], body_pose, 0.0)
        tr = jnp.where(valid[:, None, None], transl, 0.0)
        lengths = jnp.where(valid, lengths, MIN_FRAMES)
        fps = jnp.where(valid, fps, 30.0)
        flat = flatten_scores(self._score(params, go, bp, tr, lengths, fps))
        if (*flat, "valid") != self.packed_keys:  # at trace time: the declaration is the output
            raise AssertionError(f"preset {self.preset.name!r} declares packed keys "
                                 f"{self.packed_keys}, its scores flatten to {(*flat, 'valid')}")
        ok = valid & jnp.isfinite(flat["reward"])
        rows = [jnp.where(ok, v, 0.0).astype(self.dtype) for v in flat.values()]
        return jnp.stack([*rows, ok.astype(self.dtype)])

    def _score(self, params, global_orient, body_pose, transl, lengths, fps):
        with self._lock:
            self._compiles += 1
        b, t = transl.shape[:2]
        chex.assert_shape([global_orient, transl, body_pose, lengths, fps],
                          [(b, t, 3), (b, t, 3), (b, t, 23, 3), (b,), (b,)])
        chex.assert_type([global_orient, body_pose, transl], float)
        per = self.clips_per_chunk(b, t)
        args = (global_orient, body_pose, transl, lengths, fps)
        if per >= b:
            return self._score_chunk(params, *args)
        n_chunks = -(-b // per)
        if n_chunks * per > b:  # pad by repeating the last clip
            idx = np.minimum(np.arange(n_chunks * per), b - 1)
            args = tuple(x[idx] for x in args)
        stacked = [x.reshape((n_chunks, per) + x.shape[1:]) for x in args]
        out = jax.lax.map(lambda a: self._score_chunk(params, *a), stacked)
        return jax.tree_util.tree_map(lambda x: x.reshape((n_chunks * per,) + x.shape[2:])[:b],
                                      out)

    def _score_chunk(self, params, global_orient, body_pose, transl, lengths, fps):
        per_clip = self.clip_states(global_orient, body_pose, transl, lengths, fps)
        return jax.vmap(partial(self._clip, params))(per_clip, lengths, 1.0 / fps)

    def clip_states(self, global_orient, body_pose, transl, lengths, fps) -> ClipState:
        """Traceable: SMPL batch (as in `__call__`) -> per-frame state (`ClipState`, fields
        (B, T, ...)): qpos, body poses (SMPL bone order, m), foot boxes, com (m), root force (N,
        world) and torque (N·m, root frame), joint forces (N·m) and velocities (rad/s), deepest
        self-penetration (m), computed over all frames at once; the preset's finite
        differences."""
        b, t = transl.shape[:2]
        dt = 1.0 / fps
        qpos = smpl_to_qpos(global_orient, body_pose, transl, self.layout.joint_qpos_adr,
                            self.layout.joints)
        qvel, qacc = jax.vmap(self.preset.qvel_qacc)(qpos, lengths, dt)
        n = b * t
        qpos_n, qvel, qacc = (x.reshape((n,) + x.shape[2:]) for x in (qpos, qvel, qacc))
        # the per-frame inputs the scores read are taken before the dynamics, so qpos and
        # qvel are freed as soon as the kinematics have read them
        joint_vel, root = jax.lax.optimization_barrier(
            (qvel[:, self.layout.joint_dof_adr], qpos_n[:, 0:3]))
        chunk = self.config.chunk
        if t <= chunk:  # `clips_per_chunk` keeps n near `chunk`
            frames = self._frame_physics(qpos_n, qvel, qacc)
        else:  # a clip longer than a chunk: its per-frame physics `chunk` frames at a time
            m = -(-n // chunk)
            parts = [jnp.pad(x, ((0, m * chunk - n),) + ((0, 0),) * (x.ndim - 1), mode="edge")
                     .reshape((m, chunk) + x.shape[1:]) for x in (qpos_n, qvel, qacc)]
            out = jax.lax.map(lambda a: self._frame_physics(*a), parts)
            frames = {k: v.reshape((m * chunk,) + v.shape[2:])[:n] for k, v in out.items()}
        frames.update(joint_vel=joint_vel, root=root)
        # every per-frame quantity is complete before the per-clip scores start, so that no
        # intermediate of the kinematics, dynamics or self-penetration stays alive through them
        frames = jax.lax.optimization_barrier(frames)
        per_clip = {k: v.reshape((b, t) + v.shape[1:]) for k, v in frames.items()}
        return ClipState(qpos=qpos, **per_clip)

    def _frame_physics(self, qpos, qvel, qacc) -> dict:
        """Flat frames (N, ...) -> {name: (N, ...)}: body poses (SMPL bone order), foot boxes,
        com, root force and torque, joint forces, deepest self-penetration."""
        state = self.kernel.frames(qpos, qvel, qacc)
        bodies = self.layout.bone_body_ids
        pos, quat = state.xpos[:, bodies], state.xquat[:, bodies]
        return {
            "self_penetration": pose_penetration(pos, quat),
            "bodies_pos": pos, "bodies_quat": quat,
            "foot_pos": state.foot_pos, "foot_mat": state.foot_mat, "com": state.com,
            "root_force": state.qfrc[:, 0:3], "root_torque": state.qfrc[:, 3:6],
            "joint_frc": state.qfrc[:, self.layout.joint_dof_adr],
        }

    def _clip(self, params: Params, c: ClipState, length, dt) -> dict:
        """One padded clip's state -> its nested scores, by the preset with `params`."""
        mask = frame_mask(c.com.shape[0], length)
        kin, contact, dynamic, flags = self.preset.replace(params=params).axes(c, mask, length,
                                                                                dt)
        combine = self.preset.combine
        if combine == "mean":  # the published arithmetic, kept bit for bit
            dynamic_score = jnp.clip(sum(t[0] for t in dynamic.values()) / len(dynamic), 0.0,
                                     1.0)
            contact_score = jnp.clip(1.0 - sum(t[0] for t in contact.values()) / 4.0, 0.0, 1.0)
            kin_score = jnp.clip(1.0 - sum(t[0] for t in kin.values()) / 4.0, 0.0, 1.0)
            reward = (kin_score + contact_score + dynamic_score) / 3.0
        else:
            kin_score = combine_scores([1.0 - t[0] for t in kin.values()], combine)
            contact_score = combine_scores([1.0 - t[0] for t in contact.values()], combine)
            dynamic_score = combine_scores([t[0] for t in dynamic.values()], combine)
            reward = combine_scores([kin_score, contact_score, dynamic_score], combine)
        contact_frac = jnp.sum(flags * mask[:, None], 0) / jnp.maximum(length, 1)
        return {
            "reward": reward,
            "kinematic": {"score": kin_score, **_terms(kin, violation=True)},
            "contact": {"score": contact_score, **_terms(contact, violation=True)},
            "dynamic": {"score": dynamic_score, **_terms(dynamic, violation=False)},
            "contact_fraction": contact_frac,
        }


def _terms(terms: dict, violation: bool) -> dict:
    """{name: (normalised, value[, {detail: physical}])} -> {name: {"score": 1 = good,
    "value": physical, **details}}: a detail is a second quantity the score also judges."""
    out = {}
    for name, (v, x, *details) in terms.items():
        out[name] = {"score": (1.0 - v) if violation else v, "value": x}
        for extra in details:
            out[name].update(extra)
    return out
