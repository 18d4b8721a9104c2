"""Per-frame signals of what the `v2` preset judges, for plots and renders.

Every quantity comes from the scorer's own per-frame state (`BatchScorer.clip_states`: retarget,
quaternion finite differences, MJX inverse dynamics) and from `presets.v2.frame_terms`, so a
clip-level sub-score is a reduction over frames of the signal shown here (e.g. the `slip` value
is the mean of `slip`, the `torque` value the maximum of `torque_ratio`). One jit per padded
(clips, frames) bucket; no Python loop over clips or frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache, partial

import jax
import jax.numpy as jnp
import numpy as np

from physics_jax.api import get_scorer
from physics_jax.errors import MotionFormatError
from physics_jax.humanoid.table import FOOT_BONES
from physics_jax.kernels.masked import frame_mask
from physics_jax.kernels.rotation import quat_to_matrix
from physics_jax.motion.batch import check_clip, pad_batch
from physics_jax.motion.clip import SmplClip
from physics_jax.motion.rate import at_most
from physics_jax.presets import v2
from physics_jax.presets.state import ClipState
from physics_jax.presets.v2_params import V2Params
from physics_jax.results import clip_results, note_source_rate

FOOT_NAMES = FOOT_BONES  # order of the (T, 4) per-foot-box arrays

# Display thresholds (foot colours in renders, shading in plots), from the v2 constants.
CONTACT_ON = 0.5  # contact probability above which a foot box counts as in contact
SLIP_SHOW = V2Params().slip_offset  # m/s of sole sliding while in contact shown as slipping
PEN_SHOW = V2Params().pen_scale / 4  # m below the floor shown as penetrating

AIR, CONTACT, SLIP, PENETRATE = 0, 1, 2, 3  # foot states, see `foot_states`


@dataclass
class Timeline:
    """Per-frame signals of one clip (T frames). World z-up, metres; feet in `FOOT_NAMES` order.

    qpos (T, 99): ball-layout generalized coordinates (not shifted to the floor); floor: estimated
    floor height (m) that contact, penetration and floating are measured from; com (T, 3) m; contact
    (T, 4) soft contact probability; gap (T, 4) m, lowest corner of each foot box above the floor
    (negative = below); foot_speed (T, 4) m/s horizontal; slip (T,) m/s sliding speed of the
    best-anchored contact point; penetration (T,) m deepest corner below the floor; float_height
    (T,) m clearance of the lowest sole (0 when touching or below); floating (T,) m, support needed
    x sustained clearance beyond the float gap; zmp (T, 2) m; zmp_distance (T,) m, zero-moment point
    outside the support hull (0 inside); cmp_outside (T,) m, centroidal moment pivot outside the
    support polygon, both averaged over about a step; balance (T,) m, cmp_outside x
    support_weight; root_force (T, 3) N and root_torque (T, 3) N·m (world, about the pelvis origin),
    the external wrench the motion requires (v2's root force is the centre of mass force m (a_com +
    g)); ground_force (T, 3) N, the part the contacts can supply (friction cone); residual_force (T,
    3) N = root_force - ground_force; residual (T,) body weights, its norm; torque_ratio (T, 23)
    |joint torque| / limit (SMPL joints 1..23); power (T,) W/kg; grf (T,) body weights of total
    external force; self_penetration (T,) m deepest overlap of non-adjacent body capsules; touch
    (T,) in [0, 1], some contact point within the contact gap (weights the clip's slip);
    support_weight (T,), support needed x contact (weights the clip's balance); planted_velocity (T,
    2) m/s, mean horizontal velocity of the planted sole corners, and planted_weight (T,), how
    planted they are (the clip's slip drift is the length of their weighted mean,
    `presets.v2.net_drift`); body_weight: N.
    """

    source: str
    fps: float
    floor: float
    body_weight: float
    qpos: np.ndarray
    com: np.ndarray
    contact: np.ndarray
    gap: np.ndarray
    foot_speed: np.ndarray
    slip: np.ndarray
    penetration: np.ndarray
    float_height: np.ndarray
    floating: np.ndarray
    zmp: np.ndarray
    zmp_distance: np.ndarray
    cmp_outside: np.ndarray
    balance: np.ndarray
    root_force: np.ndarray
    root_torque: np.ndarray
    ground_force: np.ndarray
    residual_force: np.ndarray
    residual: np.ndarray
    torque_ratio: np.ndarray
    power: np.ndarray
    grf: np.ndarray
    self_penetration: np.ndarray
    touch: np.ndarray
    support_weight: np.ndarray
    planted_velocity: np.ndarray
    planted_weight: np.ndarray

    @property
    def frames(self) -> int:
        return int(self.qpos.shape[0])

    @property
    def time(self) -> np.ndarray:
        """(T,) seconds from the first frame."""
        return np.arange(self.frames) / self.fps


def foot_states(tl: Timeline) -> np.ndarray:
    """(T, 4) int per foot box: PENETRATE (corner deeper than `PEN_SHOW`), else SLIP (in contact
    and sliding faster than `SLIP_SHOW`), else CONTACT (probability > `CONTACT_ON`), else AIR."""
    touching = tl.contact > CONTACT_ON
    state = np.where(touching, CONTACT, AIR)
    state = np.where(touching & (tl.foot_speed > SLIP_SHOW), SLIP, state)
    return np.where(tl.gap < -PEN_SHOW, PENETRATE, state).astype(np.int8)


class TimelineKernel:
    """Jitted per-frame signals for padded batches, on the v2 scorer's layout and kernel."""

    def __init__(self, dtype: str = "float32"):
        self.scorer = get_scorer("v2", dtype)
        self._jit = jax.jit(self._signals)

    def __call__(self, global_orient, body_pose, transl, lengths, fps) -> dict:
        """Batch as `BatchScorer.__call__` -> {"signals": {name: (B, T, ...)}, floor (B,)},
        "scores": the scorer's nested (B,) arrays}, both from one evaluation of the state."""
        dt = self.scorer.dtype
        return self._jit(jnp.asarray(global_orient, dt), jnp.asarray(body_pose, dt),
                         jnp.asarray(transl, dt), jnp.asarray(lengths, jnp.int32),
                         jnp.asarray(fps, dt))

    def _signals(self, global_orient, body_pose, transl, lengths, fps) -> dict:
        states = self.scorer.clip_states(global_orient, body_pose, transl, lengths, fps)
        dt = 1.0 / fps
        return {"signals": jax.vmap(self._clip)(states, lengths, dt),
                "scores": jax.vmap(partial(self.scorer._clip, self.scorer.params))(
                    states, lengths, dt)}

    def _clip(self, c: ClipState, length, dt) -> dict:
        mask = frame_mask(c.com.shape[0], length)
        q = v2.frame_terms(self.scorer.params, c, mask, length, dt, self.scorer.mass)
        root_rot = quat_to_matrix(c.bodies_quat[:, 0])
        return {
            "qpos": c.qpos, "floor": q["floor"], "com": c.com, "contact": q["contact"],
            "gap": q["gap"], "foot_speed": q["speed"], "slip": q["slip"],
            "penetration": q["penetration"],
            "float_height": jnp.maximum(jnp.min(q["gap"], -1), 0.0),
            "floating": q["floating"], "zmp": q["zmp"], "zmp_distance": q["zmp_distance"],
            "cmp_outside": q["cmp_outside"], "balance": q["balance"],
            "root_force": q["external_force"],
            "root_torque": jnp.einsum("tij,tj->ti", root_rot, c.root_torque),
            "ground_force": q["ground_force"],
            "residual_force": q["external_force"] - q["ground_force"],
            "residual": q["residual"], "touch": q["touch"],
            "support_weight": q["support_weight"],
            "planted_velocity": q["planted_velocity"], "planted_weight": q["planted_weight"],
            "torque_ratio": q["torque_ratio"], "power": q["power"], "grf": q["grf"],
            "self_penetration": c.self_penetration,
        }


@lru_cache(maxsize=2)
def get_kernel(dtype: str = "float32") -> TimelineKernel:
    """One kernel per dtype, shared."""
    return TimelineKernel(dtype)


def analyse_clips(clips: list[SmplClip], dtype: str = "float32", batch_size: int = 16
                  ) -> tuple[list[dict], list[Timeline]]:
    """Per-clip score rows (the JSON schema of `results.clip_results`, preset v2) and per-frame
    signals, in padded batches of at most `batch_size` clips (frames bucketed as the scorer
    does, so runs compile a handful of times).

    Raises MotionFormatError (naming the clip's source and field) for an invalid clip.
    """
    for clip in clips:
        _, reason = check_clip(clip)
        if reason:
            field, _, message = reason.partition(": ")
            raise MotionFormatError(getattr(clip, "source", "<array>"), field, message)
    kernel = get_kernel(dtype)
    given = clips
    clips = [at_most(c, kernel.scorer.preset.scoring_fps) for c in clips]  # as `score_clips`
    bw = kernel.scorer.mass * kernel.scorer.params.gravity
    rows: list[dict] = []
    timelines: list[Timeline] = []
    for start in range(0, len(clips), batch_size):
        part = clips[start:start + batch_size]
        batch = pad_batch(part, bucket=True)
        out = jax.device_get(kernel(batch.global_orient, batch.body_pose, batch.transl,
                                    batch.lengths, batch.fps))
        rows.extend(note_source_rate(row, g, c) for row, g, c in zip(
            clip_results(out["scores"], "v2", batch.sources, batch.fps, batch.lengths,
                         batch.valid, batch.reasons), given[start:start + batch_size], part,
            strict=True))
        sig = out["signals"]
        for i, clip in enumerate(part):
            arrays = {k: np.asarray(v[i][:clip.frames], dtype=np.float64)
                      for k, v in sig.items() if k != "floor"}
            timelines.append(Timeline(source=clip.source, fps=float(clip.fps),
                                      floor=float(sig["floor"][i]), body_weight=bw, **arrays))
    return rows, timelines


def clip_timelines(clips: list[SmplClip], dtype: str = "float32") -> list[Timeline]:
    """Per-frame signals of each clip (see `analyse_clips`)."""
    return analyse_clips(clips, dtype)[1]
