"""Person gating: decide from per-frame 2D evidence whether a clip holds one usable person."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GateThresholds:
    """Limits a clip must meet to be valid. Fractions are in [0, 1].

    min_frames: fewest frames a clip may have (velocities need 2).
    min_detected_fraction: share of frames in which a person must be found (0.8); below it the
        person is not present.
    min_height_fraction: median height of the person's 2D keypoint box over the frame height
        (0.2): a smaller person is too far away for a trustworthy 3D pose.
    min_in_frame_fraction: mean share of body keypoints inside the image over detected frames
        (0.7): below it the body is mostly out of frame.
    min_mean_confidence: mean per-frame confidence over detected frames (0.5).
    max_fit_error_cm: where SMPL parameters come from inverse kinematics (`smpl_fit`), the
        largest mean distance (cm) between the fitted humanoid's joints and the recovered
        joints (10 cm); above it the joints are not a body the humanoid can take.
    """

    min_frames: int = 2
    min_detected_fraction: float = 0.8
    min_height_fraction: float = 0.2
    min_in_frame_fraction: float = 0.7
    min_mean_confidence: float = 0.5
    max_fit_error_cm: float = 10.0


@dataclass
class FrameEvidence:
    """Per-frame 2D evidence for one clip of F frames.

    detected: (F,) bool, a person was found. confidence: (F,) in [0, 1].
    height_fraction: (F,) keypoint box height / frame height (unclipped, any value where not
    detected). in_frame_fraction: (F,) share of body keypoints inside the image.
    """

    detected: np.ndarray
    confidence: np.ndarray
    height_fraction: np.ndarray
    in_frame_fraction: np.ndarray


@dataclass(frozen=True)
class GateDecision:
    """Outcome for one clip; `reason` is empty when valid, else the failed checks joined by '; '."""

    person_present: bool
    valid: bool
    reason: str


def gate(evidence: FrameEvidence, thresholds: GateThresholds | None = None) -> GateDecision:
    """Apply `thresholds` (defaults if None) to one clip's evidence."""
    t = thresholds or GateThresholds()
    detected = np.asarray(evidence.detected, dtype=bool)
    frames = len(detected)
    if frames < t.min_frames:
        return GateDecision(False, False, f"clip has {frames} frames (< {t.min_frames})")
    count = int(detected.sum())
    present = count / frames >= t.min_detected_fraction
    reasons: list[str] = []
    if count == 0:
        return GateDecision(False, False, "no person detected in any frame")
    if not present:
        reasons.append(f"person detected in {count}/{frames} frames "
                       f"(< {t.min_detected_fraction:.0%})")
    height = float(np.median(np.asarray(evidence.height_fraction)[detected]))
    if height < t.min_height_fraction:
        reasons.append(f"person too small: median height {height:.2f} of the frame "
                       f"(< {t.min_height_fraction:.2f})")
    in_frame = float(np.mean(np.asarray(evidence.in_frame_fraction)[detected]))
    if in_frame < t.min_in_frame_fraction:
        reasons.append(f"person mostly out of frame: {in_frame:.0%} of keypoints inside "
                       f"(< {t.min_in_frame_fraction:.0%})")
    confidence = float(np.mean(np.asarray(evidence.confidence)[detected]))
    if confidence < t.min_mean_confidence:
        reasons.append(f"low pose confidence {confidence:.2f} (< {t.min_mean_confidence:.2f})")
    return GateDecision(present, not reasons, "; ".join(reasons))
