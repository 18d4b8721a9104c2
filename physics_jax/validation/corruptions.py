"""Corruptions of a real clip, each breaking one physical property by an amount (the dose).

Every corruption is a pure function `(clip, dose, seed) -> clip` on an `SmplClip` (SMPL's y-up
world, metres, radians): the input is never modified, the same seed gives the same output, and
dose 0 (factor 1 for time-warp) returns the motion unchanged. `CORRUPTIONS` lists them with their
dose unit, the dose ladder used by `phymotion validate`, and the documented moderate dose.

Vertical corruptions (float, sink, hover) act on part of the clip only: both presets estimate the
floor from the clip itself, so moving a whole clip up or down is a change of floor, not a physical
defect. Their profiles ramp in and out with a raised cosine over `RAMP_S`, so they add no step
(a step would be a teleport, a different corruption).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from scipy.spatial.transform import Rotation

from physics_jax.motion.clip import SmplClip
from physics_jax.sources.amass import SmplParams
from physics_jax.sources.resample import resample_smpl_params
from physics_jax.validation.kinematics import (
    ANKLE_IDX,
    body_poses,
    hand_heights,
    lean_pivot,
    mean_joint_speed,
    sole_heights,
)
from physics_jax.validation.legs import reach_ankles

RAMP_S = 0.2  # s, raised-cosine ramp into and out of a vertical displacement
HOVER_CLEARANCE = 0.10  # m: lowest sole point above the floor throughout a hover
HOVER_MAX_SHARE = 0.45  # a hover and its ramps cover at most this share of the clip
FLOOR_PERCENTILE = 5.0  # %: the clip's floor, a low percentile of its lowest sole height
JITTER_ROOT_PER_RAD = 0.10  # m of root noise std per rad of joint-angle noise std
WARP_MIN_SPEED = 0.25  # m/s: mean joint speed a clip needs before a speed-up can break it
HAND_SUPPORT_GAP = 0.05  # m: a hand joint this close to the floor bears weight
UP = np.array([0.0, 1.0, 0.0])  # SMPL's world is y-up


def _rng(seed: int, name: str) -> np.random.Generator:
    """One independent stream per (seed, corruption)."""
    return np.random.default_rng([int(seed), sum(map(ord, name))])


def _horizontal(rng: np.random.Generator) -> np.ndarray:
    """A random unit vector in SMPL's horizontal (x, z) plane."""
    phi = rng.uniform(0.0, 2.0 * np.pi)
    return np.array([np.cos(phi), 0.0, np.sin(phi)])


def _with(clip: SmplClip, tag: str, **fields) -> SmplClip:
    return replace(clip, source=f"{clip.source}|{tag}", **fields)


def plateau_profile(frames: int, fps: float, start: int, stop: int) -> np.ndarray:
    """(T,) in [0, 1]: 1 on frames [start, stop), raised-cosine ramps of `RAMP_S` on both sides,
    0 elsewhere."""
    t = np.arange(frames, dtype=float)
    ramp = max(RAMP_S * fps, 1.0)
    before = np.clip((t - (start - ramp)) / ramp, 0.0, 1.0)
    after = np.clip(((stop - 1 + ramp) - t) / ramp, 0.0, 1.0)
    rise = 0.5 - 0.5 * np.cos(np.pi * np.minimum(before, after))
    return np.where((t >= start) & (t < stop), 1.0, rise)


def middle_third(frames: int) -> tuple[int, int]:
    """Frames [start, stop) of the middle third of a clip (the float / sink segment)."""
    return frames // 3, frames - frames // 3


def skate(clip: SmplClip, dose: float, seed: int = 0) -> SmplClip:
    """Root drifts horizontally by `dose` cm per frame in a seeded direction, so the feet that
    should stay planted slide at dose x fps cm/s."""
    direction = _horizontal(_rng(seed, "skate"))
    drift = (dose / 100.0) * np.arange(clip.frames)[:, None] * direction
    return _with(clip, f"skate={dose:g}cm/frame", transl=clip.transl + drift)


def lift(clip: SmplClip, dose: float, seed: int = 0) -> SmplClip:
    """Float: the whole body lifted `dose` cm over the middle third of the clip (ramps outside
    it), so the feet leave the floor while the motion goes on."""
    start, stop = middle_third(clip.frames)
    dy = (dose / 100.0) * plateau_profile(clip.frames, clip.fps, start, stop)
    return _with(clip, f"float={dose:g}cm", transl=clip.transl + dy[:, None] * UP)


def sink(clip: SmplClip, dose: float, seed: int = 0) -> SmplClip:
    """The whole body pushed `dose` cm into the floor over the middle third of the clip."""
    start, stop = middle_third(clip.frames)
    dy = (dose / 100.0) * plateau_profile(clip.frames, clip.fps, start, stop)
    return _with(clip, f"sink={dose:g}cm", transl=clip.transl - dy[:, None] * UP)


def _perturb_rotvec(rotvec: np.ndarray, std: float, rng: np.random.Generator) -> np.ndarray:
    """Compose rotations (N, 3) with random rotations whose rotation vectors have `std` rad per
    component (the noise is in the joint's own frame)."""
    noise = Rotation.from_rotvec(rng.normal(scale=std, size=rotvec.shape))
    return (Rotation.from_rotvec(rotvec) * noise).as_rotvec()


def jitter(clip: SmplClip, dose: float, seed: int = 0) -> SmplClip:
    """Frame-independent noise: `dose` rad std on every joint angle (root orientation included)
    and dose x `JITTER_ROOT_PER_RAD` m std on the root position."""
    if dose == 0:
        return _with(clip, "jitter=0rad")
    rng = _rng(seed, "jitter")
    t = clip.frames
    go = _perturb_rotvec(clip.global_orient, dose, rng)
    bp = _perturb_rotvec(clip.body_pose.reshape(t * 23, 3), dose, rng).reshape(t, 69)
    tr = clip.transl + rng.normal(scale=dose * JITTER_ROOT_PER_RAD, size=clip.transl.shape)
    return _with(clip, f"jitter={dose:g}rad", global_orient=go, body_pose=bp, transl=tr)


def time_warp(clip: SmplClip, dose: float, seed: int = 0) -> SmplClip:
    """The clip replayed `dose` times faster at the same frame rate (rotations slerped, root
    interpolated): floor((T - 1) / dose) + 1 frames."""
    if dose <= 0:
        raise ValueError(f"time-warp factor must be positive, got {dose}")
    params = SmplParams(global_orient=clip.global_orient, body_pose=clip.body_pose,
                        transl=clip.transl, betas=clip.betas, fps=clip.fps * dose)
    out = resample_smpl_params(params, clip.fps, clip.source)
    return _with(clip, f"time_warp={dose:g}x", global_orient=out["global_orient"],
                 body_pose=out["body_pose"], transl=out["transl"])


def time_warp_fits(clip: SmplClip, dose: float) -> bool:
    """Whether speeding the clip up can break it: its joints must move at `WARP_MIN_SPEED` on
    average. A clip that hardly moves (a one-leg balance: 0.06-0.15 m/s, where walks, runs and
    dances move at 0.4-3.4 m/s) still moves slower than a walk at 4x, a motion people make; the
    suite leaves such pairs out rather than count a plausible motion as corrupted."""
    return dose == 1.0 or mean_joint_speed(clip) >= WARP_MIN_SPEED


def teleport_frame(frames: int, seed: int) -> int:
    """The frame at which `teleport` jumps: seeded, in the middle third of the clip."""
    start, stop = middle_third(frames)
    return int(_rng(seed, "teleport_frame").integers(max(start, 1), max(stop, start + 2)))


def teleport(clip: SmplClip, dose: float, seed: int = 0) -> SmplClip:
    """The root jumps `dose` cm horizontally (seeded direction) between one frame (seeded, in the
    middle third) and the next, and the motion carries on from there."""
    k = teleport_frame(clip.frames, seed)
    direction = _horizontal(_rng(seed, "teleport"))
    step = (np.arange(clip.frames) >= k)[:, None] * (dose / 100.0) * direction
    return _with(clip, f"teleport={dose:g}cm", transl=clip.transl + step)


def floor_height(clip: SmplClip) -> float:
    """The clip's floor (m, SMPL y): `FLOOR_PERCENTILE` of the per-frame lowest sole height."""
    return float(np.percentile(sole_heights(clip).min(axis=1), FLOOR_PERCENTILE))


def hover_fits(clip: SmplClip, dose: float) -> bool:
    """Whether a `dose`-second hover and its two ramps fit in `HOVER_MAX_SHARE` of the clip (the
    floor must stay visible for most of it). A clip too short for the dose cannot carry it: the
    suite leaves that (window, dose) pair out rather than hover for less than the dose says."""
    ramp = int(np.ceil(RAMP_S * clip.fps))
    return int(round(dose * clip.fps)) + 2 * ramp <= int(HOVER_MAX_SHARE * clip.frames)


def hover_segment(clip: SmplClip, dose: float) -> tuple[int, int]:
    """Frames [start, stop) of a `dose`-second hover, centred; ValueError (naming the clip) when
    the clip cannot hold it (`hover_fits`)."""
    if not hover_fits(clip, dose):
        raise ValueError(f"{clip.source}: a {dose:g} s hover and its ramps do not fit in "
                         f"{HOVER_MAX_SHARE:.0%} of {clip.frames} frames at {clip.fps:g} fps")
    n = int(round(dose * clip.fps))
    start = (clip.frames - n) // 2
    return start, start + n


def hover(clip: SmplClip, dose: float, seed: int = 0) -> SmplClip:
    """For `dose` seconds in the middle of the clip the body is raised just enough that the
    lowest sole point stays `HOVER_CLEARANCE` above the floor: the feet never touch while the
    root follows its own smooth path (raised-cosine ramps in and out). ValueError when the clip
    is too short for the dose (`hover_fits`)."""
    start, stop = hover_segment(clip, dose)
    if stop <= start:
        return _with(clip, f"hover={dose:g}s")
    lowest = sole_heights(clip).min(axis=1)
    raise_by = max(0.0, HOVER_CLEARANCE + floor_height(clip) - float(lowest[start:stop].min()))
    dy = raise_by * plateau_profile(clip.frames, clip.fps, start, stop)
    return _with(clip, f"hover={dose:g}s", transl=clip.transl + dy[:, None] * UP)


def lean_axis(pivot: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Unit horizontal axis (3,) for a lean about a moving pivot (T, 3): the direction in which
    the pivot moves most (principal axis of its horizontal steps), with a seeded sign (which
    side the body leans to); a seeded direction when the pivot does not move.

    Tilting by Q about a pivot p(t) adds (I - Q) p'(t) to the velocity of everything it turns:
    nothing while the pivot moves along the axis; a component across it lifts or sinks the
    body by sin of the tilt times the pivot's speed (a forward lean of a run at 3 m/s would
    move it 0.5 m/s vertically at 10 deg), more than bending the legs can take up. Along the
    direction of travel the tilted body keeps the original's motion."""
    step = np.diff(pivot[:, [0, 2]], axis=0)
    sign = 1.0 if rng.uniform() < 0.5 else -1.0
    if step.size == 0 or not np.any(step):
        return np.cross(UP, _horizontal(rng))
    _, vecs = np.linalg.eigh(step.T @ step)
    x, z = sign * vecs[:, -1]
    return np.array([x, 0.0, z])


def lean(clip: SmplClip, dose: float, seed: int = 0) -> SmplClip:
    """The whole body tilted by `dose` degrees about a horizontal axis, every frame, with the
    legs bent to keep both feet where they were: the centre of mass moves about 0.9 m x
    sin(dose) off the support and nothing else changes. The axis lies along the direction the
    ankles travel (`lean_axis`; the seed picks the side), through the far-side ankle
    (`lean_pivot`); the pelvis and everything above it turn rigidly about it, and the legs reach
    the original ankles, in the original foot orientation, by `legs.reach_ankles` (a foot out of
    the leg's reach lifts)."""
    if dose == 0.0:
        return _with(clip, "lean=0deg")
    pos, rot = body_poses(clip)
    axis = lean_axis(pos[:, ANKLE_IDX].mean(axis=1), _rng(seed, "lean"))  # ankle midpoint
    q = Rotation.from_rotvec(np.deg2rad(dose) * axis)
    pivot = lean_pivot(pos, np.cross(axis, UP), clip.fps)  # (T, 3)
    transl = pivot + q.apply(clip.transl - pivot)
    root_rot = q.as_matrix() @ rot[:, 0]
    body_pose = reach_ankles(transl, root_rot, clip.body_pose, pos[:, ANKLE_IDX],
                             rot[:, ANKLE_IDX])
    return _with(clip, f"lean={dose:g}deg", global_orient=Rotation.from_matrix(
        root_rot).as_rotvec(), body_pose=body_pose, transl=transl)


def lean_fits(clip: SmplClip, dose: float) -> bool:
    """Whether the ankles carry the window, so that a tilt about them is a lean: no hand comes
    within `HAND_SUPPORT_GAP` of the floor. Where the hands bear weight (a cartwheel's), the
    tilt moves the planted hands (3-12 cm at 10-40 deg in the cartwheel windows, off the floor
    or into it) and breaks contact, not balance; the suite leaves such pairs out."""
    return dose == 0.0 or float(hand_heights(clip).min()) - floor_height(clip) > HAND_SUPPORT_GAP


@dataclass(frozen=True)
class Corruption:
    """One corruption: its function, dose unit, dose ladder (first = no change) and the
    documented moderate dose used for AUROC."""

    name: str
    apply: Callable[[SmplClip, float, int], SmplClip]
    unit: str
    doses: tuple[float, ...]
    moderate: float
    breaks: str
    fits: Callable[[SmplClip, float], bool] = lambda clip, dose: True
    """Whether a clip can carry a dose (a hover needs time to hover); pairs that cannot are left
    out of the suite and counted."""
    fits_rule: str = ""  # what `fits` asks, in words

    @property
    def neutral(self) -> float:
        """The dose that leaves the clip unchanged."""
        return self.doses[0]


CORRUPTIONS: dict[str, Corruption] = {c.name: c for c in (
    Corruption("skate", skate, "cm/frame", (0.0, 0.25, 0.5, 1.0, 2.0), 1.0,
               "feet slide while they should be planted (root drifts)"),
    Corruption("float", lift, "cm", (0.0, 2.0, 5.0, 10.0, 20.0), 5.0,
               "body lifted off the floor for the middle third of the clip"),
    Corruption("sink", sink, "cm", (0.0, 2.0, 5.0, 10.0, 20.0), 5.0,
               "body pushed into the floor for the middle third of the clip"),
    Corruption("jitter", jitter, "rad", (0.0, 0.01, 0.02, 0.05, 0.1), 0.05,
               "frame-independent noise on joint angles (and 10 cm/rad on the root)"),
    Corruption("time_warp", time_warp, "x speed", (1.0, 1.5, 2.0, 3.0, 4.0), 2.0,
               "clip replayed faster at the same frame rate", time_warp_fits,
               f"the window's joints move at {WARP_MIN_SPEED:g} m/s or more on average"),
    Corruption("teleport", teleport, "cm", (0.0, 5.0, 10.0, 20.0, 40.0), 10.0,
               "root jumps horizontally at one frame"),
    Corruption("hover", hover, "s", (0.0, 0.25, 0.5, 0.75, 1.0), 0.5,
               "feet never touch for a while although the root moves smoothly", hover_fits,
               f"a hover and its ramps fit in {HOVER_MAX_SHARE:.0%} of the window"),
    Corruption("lean", lean, "deg", (0.0, 10.0, 20.0, 30.0, 40.0), 20.0,
               "body tilted about the ankles, centre of mass off the support", lean_fits,
               f"no hand within {HAND_SUPPORT_GAP * 100:g} cm of the floor (the feet carry "
               "the body)"),
)}
