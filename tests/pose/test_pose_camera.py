"""Pinhole helpers: focal length, translation fit, camera -> world turn."""

import numpy as np
import pytest

from pose.camera import (
    CAMERA_TO_WORLD,
    backproject,
    camera_to_world,
    focal_from_fov,
    solve_translation,
)


def test_focal_from_fov() -> None:
    assert focal_from_fov(640, 90.0) == pytest.approx(320.0)
    assert focal_from_fov(832, 60.0) == pytest.approx(416.0 / np.tan(np.pi / 6))
    with pytest.raises(ValueError, match="fov_deg"):
        focal_from_fov(640, 180.0)


def _project(points: np.ndarray, focal: float, centre: tuple[float, float]) -> np.ndarray:
    return focal * points[..., :2] / points[..., 2:3] + np.asarray(centre)


def test_solve_translation_recovers_known_offset() -> None:
    rng = np.random.default_rng(3)
    body = rng.normal(scale=0.4, size=(2, 20, 3))  # metres around the hips
    truth = np.array([[0.3, -0.2, 3.5], [-1.0, 0.4, 6.0]])
    focal, centre = 500.0, (320.0, 240.0)
    pixels = _project(body + truth[:, None], focal, centre)
    weight = np.ones((2, 20))
    np.testing.assert_allclose(solve_translation(pixels, body, weight, focal, centre), truth,
                               atol=1e-9)


def test_solve_translation_ignores_zero_weight_and_flags_too_few() -> None:
    rng = np.random.default_rng(4)
    body = rng.normal(scale=0.4, size=(2, 10, 3))
    truth = np.array([0.1, 0.2, 4.0])
    pixels = _project(body + truth, 400.0, (200.0, 200.0))
    pixels[:, 0] += 500.0  # a wild outlier, switched off below
    weight = np.ones((2, 10))
    weight[:, 0] = 0.0
    weight[1, 3:] = 0.0  # frame 1 keeps only two points
    out = solve_translation(pixels, body, weight, 400.0, (200.0, 200.0))
    np.testing.assert_allclose(out[0], truth, atol=1e-9)
    assert np.isnan(out[1]).all()


def test_backproject_inverts_projection() -> None:
    points = np.array([[0.5, -0.25, 2.0], [-1.0, 1.0, 4.0]])
    pixels = _project(points, 300.0, (100.0, 50.0))
    np.testing.assert_allclose(backproject(pixels, points[:, 2], 300.0, (100.0, 50.0)), points)


def test_camera_to_world_is_z_up_rotation() -> None:
    assert np.linalg.det(CAMERA_TO_WORLD) == pytest.approx(1.0)
    # Camera y points down: a point 1 m above the optical axis, 2 m away.
    np.testing.assert_allclose(camera_to_world(np.array([0.0, -1.0, 2.0])), [0.0, 2.0, 1.0])
    np.testing.assert_allclose(camera_to_world(np.array([1.0, 0.0, 0.0])), [1.0, 0.0, 0.0])
