"""v2 slip: a foot turning about a point of its sole is not sliding, a sliding foot is, and
planted feet that drift one way are skating even when they drift slower than the slip offset."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from physics_jax.api import get_scorer
from physics_jax.humanoid.table import FOOT_BONES
from physics_jax.kernels.rotation import R_YZ
from physics_jax.kernels.soft import soft_ramp
from physics_jax.motion import SmplClip, pad_batch
from physics_jax.presets import v2
from physics_jax.presets.v2_params import V2Params
from physics_jax.synthetic import synthetic_clip

P = V2Params()
DT = 1.0 / 30.0
SOLE = np.array([[-0.05, -0.1], [-0.05, 0.1], [0.05, 0.1], [0.05, -0.1]])  # in order around


def _turned(points: np.ndarray, angle: float, centre) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return (points - centre) @ np.array([[c, -s], [s, c]]).T + centre


def _pivot(q0: np.ndarray, q1: np.ndarray) -> float:
    return float(v2._step_pivot_speed(jnp.asarray(q0), jnp.asarray(q1), DT))


def test_pivot_speed_known_cases():
    assert _pivot(SOLE, SOLE + [0.01, 0.0]) == pytest.approx(0.3, rel=1e-6)  # a shift
    assert _pivot(SOLE, _turned(SOLE, 0.4, [0.02, 0.05])) == 0.0  # a turn about an inner point
    # a turn of 0.1 rad about a point 0.2 m beyond an edge: that edge's middle moves the least
    expected = 2 * np.sin(0.05) * 0.2 / DT
    assert _pivot(SOLE, _turned(SOLE, 0.1, [0.25, 0.0])) == pytest.approx(expected, rel=1e-6)
    point = np.zeros((4, 2))  # a palm: all corners at one point
    assert _pivot(point, point + [0.0, 0.02]) == pytest.approx(0.6, rel=1e-6)


def test_pivot_speed_is_the_minimum_over_the_sole():
    """Against dense sampling of the sole, for random soles and rigid motions."""
    rng = np.random.default_rng(0)
    u, w = np.meshgrid(np.linspace(0, 1, 201), np.linspace(0, 1, 201))
    for _ in range(20):
        sole = _turned(SOLE * rng.uniform(0.5, 1.5, 2), rng.uniform(-np.pi, np.pi), [0.0, 0.0])
        sole = sole + rng.uniform(-1, 1, 2)
        angle = rng.uniform(-0.5, 0.5)
        centre = sole.mean(0) + rng.normal(0, 0.15, 2)
        moved = _turned(sole, angle, centre) + rng.normal(0, 0.02, 2)
        grid = (sole[0] + u[..., None] * (sole[1] - sole[0])
                + w[..., None] * (sole[3] - sole[0])).reshape(-1, 2)  # the sole is a rectangle
        # the same motion applied to every grid point: turn about `centre`, then the shift
        shift = moved.mean(0) - _turned(sole, angle, centre).mean(0)
        speed = np.linalg.norm(_turned(grid, angle, centre) + shift - grid, axis=-1) / DT
        spacing = np.linalg.norm(sole[1] - sole[0]) / 200 + np.linalg.norm(sole[3] - sole[0]) / 200
        bound = abs(2 * np.sin(angle / 2)) * spacing / DT
        assert _pivot(sole, moved) == pytest.approx(speed.min(), abs=bound + 1e-5)


def _turn_about(clip: SmplClip, pivot_yup: np.ndarray, rate: float, drift: float) -> SmplClip:
    """The clip turned about the vertical through `pivot_yup` (SMPL y-up, m) at `rate` rad/s,
    and shifted along x by `drift` m per frame."""
    t = np.arange(clip.frames) * DT
    turn = Rotation.from_rotvec(np.outer(rate * t, [0.0, 1.0, 0.0]))
    orient = (turn * Rotation.from_rotvec(clip.global_orient)).as_rotvec()
    transl = turn.apply(clip.transl - pivot_yup) + pivot_yup
    transl[:, 0] += drift * np.arange(clip.frames)
    return SmplClip(orient, clip.body_pose, transl, clip.fps, source=clip.source)


def test_a_foot_turning_on_its_sole_does_not_slip_and_a_sliding_one_does():
    """A standing body turned at 3 rad/s about the middle of its left toe box: every corner of
    that box moves (5-10 cm from the pivot: 0.15-0.3 m/s), its pivot does not, and the slip
    stays below the offset. Turned at 0.3 rad/s about a point 1 m to the side, or shifted by
    1 cm per frame, no point of either sole is still (about 0.3 m/s)."""
    stand = synthetic_clip("stand", frames=45)
    scorer = get_scorer("v2", "float64")
    batch = pad_batch([stand], t_max=48, b_max=1)
    states = scorer.clip_states(*(jnp.asarray(x) for x in (
        batch.global_orient, batch.body_pose, batch.transl, batch.lengths, batch.fps)))
    toe = np.asarray(states.foot_pos)[0, 0, FOOT_BONES.index("L_Toe")]  # z-up world
    pivot = toe @ R_YZ  # the same point in SMPL's y-up frame (z-up = R_YZ y-up)
    pivot[1] = 0.0  # the vertical through it
    clips = [_turn_about(stand, pivot, 3.0, 0.0),
             _turn_about(stand, pivot + [1.0, 0.0, 0.0], 0.3, 0.0),
             _turn_about(stand, pivot, 0.0, 0.01)]
    batch = pad_batch(clips, t_max=48, b_max=4)
    out = scorer(batch.global_orient, batch.body_pose, batch.transl, batch.lengths, batch.fps,
                 params=P)  # the class defaults: known numbers
    slip = np.asarray(out["contact"]["slip"]["value"])[:3]
    score = np.asarray(out["contact"]["slip"]["score"])[:3]
    print("slip m/s (pivot, wide turn, shift):", np.round(slip, 3))
    assert slip[0] < P.slip_offset and score[0] > 0.95  # below the offset: only the ramp leak
    assert slip[1] > 0.2 and score[1] < 0.3
    assert slip[2] > 0.25 and score[2] < 0.1


def test_net_drift_known_cases():
    weight = jnp.array([1.0, 2.0, 1.0, 0.0])
    steady = jnp.tile(jnp.array([[0.03, 0.04]]), (4, 1))
    assert float(v2.net_drift(steady, weight)) == pytest.approx(0.05, rel=1e-6)
    back_and_forth = jnp.array([[0.1, 0.0], [-0.1, 0.0], [0.1, 0.0], [9.0, 9.0]])
    assert float(v2.net_drift(back_and_forth, weight)) == pytest.approx(0.0, abs=1e-9)
    assert float(v2.net_drift(steady, jnp.zeros(4))) == 0.0  # never planted: no drift
    grad = jax.grad(lambda v: v2.net_drift(v, weight))(jnp.zeros((4, 2)))
    assert bool(jnp.all(jnp.isfinite(grad)))  # still feet: the gradient is finite


def _shifted(clip: SmplClip, shift_x: np.ndarray) -> SmplClip:
    transl = clip.transl.copy()
    transl[:, 0] += shift_x
    return SmplClip(clip.global_orient, clip.body_pose, transl, clip.fps, source=clip.source)


def test_a_slow_one_way_drift_is_skating_and_a_sway_in_place_is_not():
    """A standing body carried 0.25 cm per frame (0.075 m/s) one way slides slower than the slip
    offset, but its planted feet drift: the slip score falls. Swayed back and forth in place at
    the same mean speed (1 Hz, 1.2 cm amplitude, 0.075 m/s mean |velocity|, three whole periods),
    its feet slide as fast but do not drift, and the score stays 1."""
    stand = synthetic_clip("stand", frames=45)
    frames = np.arange(45)
    amplitude = 0.075 / (4 * 1.0)  # mean |velocity| of a sine = 4 x amplitude x frequency
    clips = [_shifted(stand, 0.0025 * frames),
             _shifted(stand, amplitude * np.sin(2 * np.pi * 1.0 * frames * DT)),
             stand]
    scorer = get_scorer("v2", "float64")
    batch = pad_batch(clips, t_max=48, b_max=4)
    out = scorer(batch.global_orient, batch.body_pose, batch.transl, batch.lengths, batch.fps,
                 params=P)  # the class defaults: known numbers
    slip = np.asarray(out["contact"]["slip"]["value"])[:3]
    drift = np.asarray(out["contact"]["slip"]["drift"])[:3]
    score = np.asarray(out["contact"]["slip"]["score"])[:3]
    print("slip, drift m/s (one way, sway, still):", np.round(slip, 3), np.round(drift, 3))
    assert np.all(slip < P.slip_offset)
    assert drift[0] == pytest.approx(0.075, rel=0.05)
    expected = 1.0 - float(soft_ramp(drift[0], P.drift_offset, P.drift_scale, P.drift_width))
    assert score[0] == pytest.approx(expected, rel=1e-6) and score[0] < 0.5
    assert drift[1] < 0.01 and drift[2] < 1e-6
    assert score[1] == pytest.approx(1.0, abs=1e-3) and score[2] == pytest.approx(1.0, abs=1e-3)
