"""One clip's BlazePose track -> SMPL-22 joints in the physics world frame.

BlazePose gives, per frame, 33 "world" landmarks (metres, camera-aligned axes, origin at the
hip midpoint, so no global position) and 33 image landmarks (normalised pixels). The root
trajectory is added with a pinhole camera, an approximation:

- Focal length from an assumed field of view across the longer image side (`fov_deg`,
  default 60 deg: horizontal for landscape footage, typical of phone and generated video),
  principal point at the image centre, camera level (no roll or pitch).
- Position: the translation that makes the metric world landmarks project onto the image
  landmarks (translation-only perspective-n-point, linear least squares over landmarks with
  visibility >= `min_visibility`). Depth is thus the ratio of the body's metric size to its
  pixel size, times the focal length, fitted on every visible landmark, with perspective.
  log depth is smoothed over time (Gaussian, `depth_smoothing_s` seconds), as its frame-to-frame
  noise (about 2 cm) would otherwise read as metres per second; the horizontal and vertical
  position is the hip midpoint's pixel back-projected at that depth.
- Absolute scale therefore comes from BlazePose's metric body model; an error in the assumed
  field of view scales the distance to the camera, not the body. The fitted depth also varies
  with pose (3D landmarks and image disagree, e.g. in a squat or with raised arms: 2-5% of the
  depth on the test clips), so even after smoothing a person who barely moves shows a median
  pelvis speed of 0.06-0.12 m/s along the camera axis, against 0.01-0.04 m/s across it on
  the clips without sideways motion.

Frames without a detection are filled by linear interpolation between detected frames (held
at the ends). The floor (z = 0) is a low percentile of the lowest heel / toe-tip height.

The joints are a noisy measurement: frame-to-frame noise of a few millimetres (from the
second differences, robustly: median 0.18 cm over the 25 real clips of docs/video_set.md, up to
0.9 cm) with heavy tails (depth flips, docs/pose.md). The scorer differentiates them at the clip's
rate, so that noise reads as velocity growing with the frame rate and acceleration with its
square (a clip and its half-rate copy differed by up to 0.22 in v2's reward). The joints are
therefore low-passed with a Gaussian of a fixed duration in seconds (`joint_smoothing_s`,
0.02 s: 0.6 frames at 30 fps, a -3 dB cutoff near 6.6 Hz), its ends
continued through the end values so that a body moving at constant velocity keeps it to the
first and last frame. Measured on the 25 real videos of docs/video_set.md (96 frames each, v2,
docs/validation.md "Video-aware physics"): half-rate |delta reward| max 0.219 -> 0.099, mean
0.038 -> 0.021; re-encode mean 0.015 -> 0.013 (max 0.056 -> 0.073); frozen copies' lead over
their real clip +0.061 -> +0.042; corruptions ranked below the real clip about as before
(speed-up 100 -> 96 %, skate 80 -> 84 %, float and jitter unchanged). Longer windows (0.03-0.05
s) bring the half rate closer still (max 0.053-0.059) but hide real speed-ups (76-80 %).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose.camera import backproject, camera_to_world, focal_from_fov, solve_translation
from pose.ground import floor_height
from pose.landmarks import L_HIP, R_HIP, SOLE_LANDMARKS, blazepose_to_smpl22
from pose.temporal import fill_missing, gaussian_smooth


@dataclass
class BlazePoseTrack:
    """Raw BlazePose output for one clip of F frames (zeros where not detected).

    world: (F, 33, 3) metres, camera-aligned axes (x right, y down, z away), origin at hips.
    image: (F, 33, 2) x / width and y / height of each landmark (may leave [0, 1]).
    visibility: (F, 33) in [0, 1]. detected: (F,) bool.
    width, height: frame size in pixels of the frames the image landmarks refer to.
    """

    world: np.ndarray
    image: np.ndarray
    visibility: np.ndarray
    detected: np.ndarray
    width: int
    height: int


@dataclass(frozen=True)
class LiftSettings:
    """Camera and smoothing assumptions, see the module docstring."""

    fov_deg: float = 60.0
    min_visibility: float = 0.5
    depth_smoothing_s: float = 0.2
    floor_percentile: float = 10.0
    joint_smoothing_s: float = 0.02


def hip_depth(track: BlazePoseTrack, focal: float, settings: LiftSettings) -> np.ndarray:
    """(F,) camera depth (m) of the hip midpoint per frame; NaN where it cannot be fitted."""
    pixels = track.image * np.array([track.width, track.height], dtype=np.float64)
    local = track.world - 0.5 * (track.world[:, L_HIP] + track.world[:, R_HIP])[:, None]
    weight = ((track.visibility >= settings.min_visibility) & track.detected[:, None]).astype(
        np.float64)
    centre = (0.5 * track.width, 0.5 * track.height)
    depth = solve_translation(pixels, local, weight, focal, centre)[:, 2]
    return np.where(np.isfinite(depth) & (depth > 0), depth, np.nan)


def lift_track(track: BlazePoseTrack, fps: float, settings: LiftSettings | None = None
               ) -> np.ndarray:
    """(F, 22, 3) SMPL joints (m) in the physics world frame (z up, floor at z = 0)."""
    settings = settings or LiftSettings()
    focal = focal_from_fov(max(track.width, track.height), settings.fov_deg)
    depth = hip_depth(track, focal, settings)
    usable = track.detected & np.isfinite(depth)
    if not usable.any():
        return np.zeros((len(track.detected), 22, 3))
    log_depth = fill_missing(np.log(np.where(usable, depth, 1.0)), usable)
    depth = np.exp(gaussian_smooth(log_depth, settings.depth_smoothing_s * fps))
    hip_px = 0.5 * (track.image[:, L_HIP] + track.image[:, R_HIP])
    hip_px = fill_missing(hip_px * np.array([track.width, track.height]), usable)
    root = backproject(hip_px, depth, focal, (0.5 * track.width, 0.5 * track.height))
    world = fill_missing(track.world, usable)
    local = world - 0.5 * (world[:, L_HIP] + world[:, R_HIP])[:, None]
    landmarks = camera_to_world(local + root[:, None])
    floor = floor_height(landmarks[:, list(SOLE_LANDMARKS), 2], usable, settings.floor_percentile)
    joints = blazepose_to_smpl22(landmarks)
    joints[..., 2] -= floor
    return gaussian_smooth(joints, settings.joint_smoothing_s * fps, edges="odd")
