"""Per-clip figures of a `PoseResult`, for eyeballing a backend's output."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose.interface import SMPL22_JOINT_NAMES, PoseResult

_J = {name: i for i, name in enumerate(SMPL22_JOINT_NAMES)}


@dataclass(frozen=True)
class ClipSummary:
    """Figures of one clip; lengths in metres, heights above the floor (z = 0).

    head_height: 95th percentile of the Head joint's height (the standing head height).
    thigh, shin: median hip-knee and knee-ankle lengths over both legs and all frames.
    lowest_foot: median over frames of the lower foot joint's height.
    camera_distance: median pelvis y (distance along the camera axis, single-camera backends).
    pelvis_speed: median pelvis speed (m/s).
    """

    frames: int
    fps: float
    valid: bool
    reason: str
    mean_confidence: float
    head_height: float
    thigh: float
    shin: float
    lowest_foot: float
    camera_distance: float
    pelvis_speed: float


def _length(j: np.ndarray, a: str, b: str) -> np.ndarray:
    return np.linalg.norm(j[:, _J[a]] - j[:, _J[b]], axis=-1)


def summarize(result: PoseResult, index: int) -> ClipSummary:
    """Figures of clip `index` of `result`."""
    j = result.joints[index].detach().cpu().double().numpy()
    fps = float(result.fps[index])
    thigh = np.concatenate([_length(j, "L_Hip", "L_Knee"), _length(j, "R_Hip", "R_Knee")])
    shin = np.concatenate([_length(j, "L_Knee", "L_Ankle"), _length(j, "R_Knee", "R_Ankle")])
    feet = j[:, [_J["L_Foot"], _J["R_Foot"]], 2].min(axis=1)
    speed = np.linalg.norm(np.diff(j[:, _J["Pelvis"]], axis=0), axis=-1) * fps
    return ClipSummary(
        frames=j.shape[0],
        fps=fps,
        valid=bool(result.valid[index]),
        reason=result.reason[index],
        mean_confidence=float(result.confidence[index].double().mean()),
        head_height=float(np.percentile(j[:, _J["Head"], 2], 95)),
        thigh=float(np.median(thigh)),
        shin=float(np.median(shin)),
        lowest_foot=float(np.median(feet)),
        camera_distance=float(np.median(j[:, _J["Pelvis"], 1])),
        pelvis_speed=float(np.median(speed)) if len(speed) else 0.0,
    )


def format_summary(name: str, s: ClipSummary, seconds_per_frame: float | None = None) -> str:
    """One line of text for a clip."""
    state = "valid" if s.valid else f"INVALID ({s.reason})"
    timing = "" if seconds_per_frame is None else f", {seconds_per_frame * 1e3:.1f} ms/frame"
    return (f"{name}: {s.frames} frames @ {s.fps:.2f} fps, {state}, confidence "
            f"{s.mean_confidence:.3f}, head {s.head_height:.2f} m, thigh {s.thigh:.3f} m, "
            f"shin {s.shin:.3f} m, lowest foot {s.lowest_foot:.3f} m, camera "
            f"{s.camera_distance:.2f} m, pelvis speed {s.pelvis_speed:.2f} m/s{timing}")
