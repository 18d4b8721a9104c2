"""Floor height from sole points."""

import numpy as np

from pose.ground import floor_height


def test_floor_is_robust_to_a_few_low_outliers() -> None:
    frames = 100
    sole = np.full((frames, 2), 0.30)
    sole[:, 0] = 0.25  # the lower foot rests at 0.25 m
    sole[::25, 0] = -0.50  # four mis-detections far below
    assert floor_height(sole, np.ones(frames, bool), percentile=10.0) == 0.25
    assert floor_height(sole, np.ones(frames, bool), percentile=0.0) == -0.50


def test_floor_uses_present_frames_only() -> None:
    sole = np.array([[0.0, 1.0], [0.5, 0.7], [0.6, 0.8]])
    present = np.array([False, True, True])
    assert floor_height(sole, present, percentile=0.0) == 0.5
    assert floor_height(sole, np.zeros(3, bool)) == 0.0
