"""Person gating decisions."""

import numpy as np

from pose.gating import FrameEvidence, GateThresholds, gate


def _evidence(frames: int = 10, **overrides: np.ndarray) -> FrameEvidence:
    fields = {
        "detected": np.ones(frames, bool),
        "confidence": np.full(frames, 0.9),
        "height_fraction": np.full(frames, 0.6),
        "in_frame_fraction": np.ones(frames),
    }
    fields.update(overrides)
    return FrameEvidence(**fields)


def test_good_clip_is_valid() -> None:
    decision = gate(_evidence())
    assert decision.valid and decision.person_present and decision.reason == ""


def test_no_person() -> None:
    decision = gate(_evidence(detected=np.zeros(10, bool), confidence=np.zeros(10)))
    assert not decision.valid and not decision.person_present
    assert "no person" in decision.reason


def test_too_few_detections() -> None:
    detected = np.array([True] * 7 + [False] * 3)
    decision = gate(_evidence(detected=detected))
    assert not decision.person_present and not decision.valid
    assert "7/10 frames" in decision.reason
    assert gate(_evidence(detected=detected), GateThresholds(min_detected_fraction=0.7)).valid


def test_too_small() -> None:
    decision = gate(_evidence(height_fraction=np.full(10, 0.1)))
    assert decision.person_present and not decision.valid
    assert "too small" in decision.reason and "0.10" in decision.reason


def test_out_of_frame_and_low_confidence_both_reported() -> None:
    decision = gate(_evidence(in_frame_fraction=np.full(10, 0.4), confidence=np.full(10, 0.3)))
    assert not decision.valid
    assert "out of frame" in decision.reason and "low pose confidence 0.30" in decision.reason
    assert decision.reason.count(";") == 1


def test_too_short_clip() -> None:
    decision = gate(_evidence(frames=1))
    assert not decision.valid and "1 frames" in decision.reason
