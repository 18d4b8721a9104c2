"""Per-frame signals of the v2 preset: agreement with the scorer, and known cases."""

import dataclasses

import numpy as np
import pytest
from viz_clips import LIFT, SINK

from physics_jax.api import score_clips
from physics_jax.errors import MotionFormatError
from physics_jax.presets.registry import default_params
from physics_jax.synthetic import synthetic_clip
from physics_jax.viz import timeline as tlm
from physics_jax.viz.plots import drift_component, worst_stretch


def _lower_median(x, w=None):
    """The scorer's weighted median: the first value (sorted) where the weight reaches half."""
    w = np.ones_like(x) if w is None else w
    order = np.argsort(x)
    cum = np.cumsum(w[order] + 1e-6)
    return x[order][np.argmax(cum >= 0.5 * cum[-1])]


# sub-score value (axis, name) -> how the clip reduces the per-frame signals
REDUCTIONS = {
    ("contact", "slip"): lambda tl: _lower_median(tl.slip, tl.touch),
    ("contact", "penetration"): lambda tl: np.mean(tl.penetration),
    ("contact", "float"): lambda tl: np.mean(tl.floating),
    ("contact", "balance"): lambda tl: np.sum(tl.balance) / max(np.sum(tl.support_weight), 1e-6),
    ("dynamic", "residual_force"): lambda tl: np.mean(tl.residual),
    ("dynamic", "torque"): lambda tl: np.max(tl.torque_ratio),
    ("dynamic", "effort"): lambda tl: _lower_median(tl.power),
    ("dynamic", "grf"): lambda tl: np.max(tl.grf),
    ("kinematic", "self_penetration"): lambda tl: np.mean(tl.self_penetration),
}


@pytest.fixture(scope="module")
def scored(clips):
    """The scorer's own rows (separate jit) by clip name."""
    return dict(zip(clips, score_clips(list(clips.values()), preset="v2"), strict=True))


def test_clip_values_are_reductions_of_the_frame_signals(analysed, scored):
    rows, timelines = analysed
    nonzero = set()
    for name, tl in timelines.items():
        row = scored[name]
        assert abs(rows[name]["reward"] - row["reward"]) < 1e-5
        for (axis, sub), reduce in REDUCTIONS.items():
            expected = row[axis][sub]["value"]
            got = float(reduce(tl))
            assert got == pytest.approx(expected, rel=1e-4, abs=1e-6), (name, axis, sub)
            if abs(expected) > 1e-3:
                nonzero.add(sub)
    assert nonzero == {k[1] for k in REDUCTIONS}  # every definition exercised with a real value


V2_WINDOW_S = default_params("v2").worst_window_s
WORST = {("contact", "penetration"): "penetration", ("contact", "float"): "floating",
         ("dynamic", "residual_force"): "residual"}


def test_worst_stretch_marked_on_the_timeline_is_the_scorers(analysed, scored):
    """The report's shaded worst stretch (plots.worst_stretch over the frame signal) has the
    value the scorer judges (detail `worst`), and lies where the defect is."""
    _, timelines = analysed
    seen = set()
    for name, tl in timelines.items():
        for (axis, sub), signal in WORST.items():
            x = getattr(tl, signal)
            at, value = worst_stretch(x, tl.fps)
            assert value == pytest.approx(scored[name][axis][sub]["worst"], rel=1e-4, abs=1e-6)
            if value > 1e-3:
                seen.add(sub)
                # a large value of x lies within one window sigma (these clips are 0.3-1 s)
                near = np.abs(np.arange(len(x)) / tl.fps - at) <= float(V2_WINDOW_S)
                assert np.max(x[near]) >= 0.5 * np.max(x), (name, sub)
    assert seen == {k[1] for k in WORST}


def test_slip_drift_is_the_weighted_mean_planted_velocity(analysed, scored):
    _, timelines = analysed
    drifts = [scored[name]["contact"]["slip"]["drift"] for name in timelines]
    print("drift m/s:", dict(zip(timelines, np.round(drifts, 4), strict=True)))
    assert max(drifts) > 0.01  # exercised with a real value
    for name, tl in timelines.items():
        w = tl.planted_weight
        mean = np.sum(w[:, None] * tl.planted_velocity, 0) / max(np.sum(w), 1e-6)
        expected = scored[name]["contact"]["slip"]["drift"]
        assert np.linalg.norm(mean) == pytest.approx(expected, rel=1e-4, abs=1e-6), name
        # what the report plots: the planted velocity along the drift, where something is planted
        along, planted = drift_component(tl), w > 1e-3
        if expected > 1e-3:
            direction = mean / np.linalg.norm(mean)
            np.testing.assert_allclose(along[planted], tl.planted_velocity[planted] @ direction,
                                       atol=1e-6)
        assert np.all(along[~planted] == 0.0)
        assert tl.planted_velocity.shape == (tl.frames, 2) and np.all(w >= 0)


def test_shapes_and_units(analysed, clips):
    _, timelines = analysed
    tl = timelines["walk"]
    t = clips["walk"].frames
    assert tl.frames == t and tl.time[-1] == pytest.approx((t - 1) / 30.0)
    assert tl.contact.shape == tl.gap.shape == tl.foot_speed.shape == (t, 4)
    assert tl.torque_ratio.shape == (t, 23) and tl.qpos.shape == (t, 99)
    assert tl.root_force.shape == tl.residual_force.shape == tl.root_torque.shape == (t, 3)
    np.testing.assert_allclose(np.linalg.norm(tl.residual_force, axis=1) / tl.body_weight,
                               tl.residual, rtol=1e-5, atol=1e-7)
    assert tl.body_weight == pytest.approx(71.791 * 9.81, rel=1e-3)  # N, the humanoid's weight


def test_still_stance_is_carried_by_the_feet(analysed):
    tl = analysed[1]["lifted"]
    still = slice(1, 6)  # before the lift (frames 8+) and away from the clip's first frame
    np.testing.assert_allclose(tl.root_force[still, 2], tl.body_weight, rtol=2e-3)
    assert np.all(tl.residual[still] < 0.02)  # body weights
    assert np.all(tl.contact[still] > 0.9)


def test_lifted_clip_floats_by_the_lift(analysed):
    tl = analysed[1]["lifted"]
    start = 12 - 12 // 3
    np.testing.assert_allclose(tl.float_height[start:], LIFT, atol=2e-3)
    np.testing.assert_allclose(tl.float_height[:start], 0.0, atol=2e-3)
    assert np.all(tl.penetration == 0.0)
    # held up with no contact: a whole body weight is residual once the lift is done
    np.testing.assert_allclose(tl.residual[start + 1:], 1.0, atol=0.02)
    assert np.all(tlm.foot_states(tl)[start:] == tlm.AIR)


def test_sunk_clip_penetrates_by_the_sink(analysed):
    tl = analysed[1]["sunk"]
    start = 12 - 12 // 3
    np.testing.assert_allclose(tl.penetration[start:], SINK, atol=2e-3)
    np.testing.assert_allclose(tl.penetration[:start], 0.0, atol=2e-3)
    assert np.all(tl.float_height == 0.0)
    states = tlm.foot_states(tl)
    assert np.all(states[start:] == tlm.PENETRATE) and np.all(states[:start] == tlm.CONTACT)


def test_jump_contact_switches_with_flight(analysed):
    tl = analysed[1]["jump"]
    flight = np.zeros(10, bool)
    flight[4:8] = True  # t = 0.4 .. 0.7 s: take-off at 0.3 s, back on the floor at 0.8 s
    states = tlm.foot_states(tl)
    assert np.all(states[flight] == tlm.AIR) and np.all(states[~flight] == tlm.CONTACT)
    # ballistic flight: 2.45 m/s take-off, gravity only -> peak clearance near 0.3 m
    assert tl.float_height[5] == pytest.approx(2.45 * 0.2 - 4.905 * 0.2**2, abs=0.01)
    assert np.all(tl.residual[flight] < 0.05)  # falling freely needs no force


def test_foot_state_rules(analysed):
    tl = analysed[1]["lifted"]
    n = tl.frames
    contact = np.tile([0.9, 0.9, 0.1, 0.9], (n, 1))
    speed = np.tile([0.0, 2 * tlm.SLIP_SHOW, 2 * tlm.SLIP_SHOW, 0.0], (n, 1))
    gap = np.tile([0.0, 0.0, 0.05, -2 * tlm.PEN_SHOW], (n, 1))
    made = dataclasses.replace(tl, contact=contact, foot_speed=speed, gap=gap)
    expected = [tlm.CONTACT, tlm.SLIP, tlm.AIR, tlm.PENETRATE]
    assert (tlm.foot_states(made) == np.array(expected)).all()


def test_invalid_clip_is_named():
    bad = synthetic_clip("stand", 12)
    bad.transl = bad.transl.copy()
    bad.transl[3, 1] = np.inf
    bad.source = "clips/broken.npz"
    with pytest.raises(MotionFormatError, match=r"clips/broken.npz: transl: non-finite.*frame 3"):
        tlm.analyse_clips([bad])
