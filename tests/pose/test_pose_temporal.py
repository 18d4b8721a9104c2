"""Gap filling, smoothing and time resampling."""

import numpy as np
import pytest

from pose.temporal import fill_missing, gaussian_smooth, upsample_factor, upsample_linear


def test_fill_missing_interpolates_and_holds_ends() -> None:
    values = np.array([[0.0], [99.0], [99.0], [3.0], [5.0], [99.0]])
    present = np.array([True, False, False, True, True, False])
    np.testing.assert_allclose(fill_missing(values, present)[:, 0], [0, 1, 2, 3, 5, 5])
    lead = fill_missing(np.array([7.0, 1.0, 2.0]), np.array([False, True, True]))
    np.testing.assert_allclose(lead, [1.0, 1.0, 2.0])
    np.testing.assert_allclose(fill_missing(np.ones((3, 2)), np.zeros(3, bool)), 0.0)
    with pytest.raises(ValueError, match="present"):
        fill_missing(np.ones((3, 2)), np.ones(4, bool))


def test_gaussian_smooth_keeps_lines_and_damps_noise() -> None:
    line = np.linspace(0.0, 1.0, 50)
    np.testing.assert_allclose(gaussian_smooth(line, 3.0)[10:40], line[10:40], atol=1e-12)
    np.testing.assert_allclose(gaussian_smooth(np.full((9, 2), 4.0), 2.0), 4.0)
    noise = np.random.default_rng(0).normal(size=400)
    assert gaussian_smooth(noise, 3.0).std() < 0.4 * noise.std()
    np.testing.assert_allclose(gaussian_smooth(noise, 0.0), noise)


def test_gaussian_smooth_odd_edges_keep_a_constant_velocity_to_the_ends() -> None:
    """A ramp stays a ramp to its first and last frame with odd edges (the windows reach past
    both ends); mirrored edges bend it flat there. Levels and interior values are unchanged."""
    ramp = np.stack([np.linspace(0.0, 2.0, 12), np.linspace(3.0, -1.0, 12)], axis=1)
    np.testing.assert_allclose(gaussian_smooth(ramp, 2.0, edges="odd"), ramp, atol=1e-12)
    bent = gaussian_smooth(ramp, 2.0)
    assert bent[0, 0] > ramp[0, 0] + 0.05 and bent[-1, 0] < ramp[-1, 0] - 0.05
    np.testing.assert_allclose(bent[6:-6], ramp[6:-6], atol=1e-12)
    np.testing.assert_allclose(gaussian_smooth(np.full((5, 3), 2.5), 1.0, edges="odd"), 2.5)
    curve = np.random.default_rng(1).normal(size=(30, 2))
    inner = slice(4, -4)  # beyond 3 sigma of both ends the edge rule does not matter
    np.testing.assert_allclose(gaussian_smooth(curve, 1.2, edges="odd")[inner],
                               gaussian_smooth(curve, 1.2)[inner], atol=1e-12)
    short = np.array([0.0, 1.0, 2.0])  # a window longer than the clip is cut to it
    np.testing.assert_allclose(gaussian_smooth(short, 3.0, edges="odd"), short, atol=1e-12)
    with pytest.raises(ValueError, match="edges"):
        gaussian_smooth(ramp, 1.0, edges="wrap")


def test_upsample_factor() -> None:
    assert upsample_factor(16.0, 30.0) == 2
    assert upsample_factor(10.0, 30.0) == 3
    assert upsample_factor(24.0, 30.0) == 1
    assert upsample_factor(60.0, 30.0) == 1
    with pytest.raises(ValueError):
        upsample_factor(0.0, 30.0)


def test_upsample_linear() -> None:
    values = np.array([[0.0, 10.0], [2.0, 10.0], [8.0, 4.0]])
    up = upsample_linear(values, 2)
    assert up.shape == (5, 2)
    np.testing.assert_allclose(up[:, 0], [0.0, 1.0, 2.0, 5.0, 8.0])
    np.testing.assert_allclose(up[::2], values)
    np.testing.assert_allclose(upsample_linear(values, 1), values)
