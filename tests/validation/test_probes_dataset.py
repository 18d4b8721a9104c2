"""Hacking probes and the real-clip windows / split."""

import numpy as np
import pytest

from physics_jax.motion import pad_batch, save_motion
from physics_jax.synthetic import synthetic_clip
from physics_jax.validation.corruptions import CORRUPTIONS, HOVER_CLEARANCE, floor_height
from physics_jax.validation.dataset import (
    HELD_OUT_TAKES,
    MAX_SOURCE_BELOW_FLOOR,
    at_rate,
    load_real,
    split_of,
    take_id,
    windows,
)
from physics_jax.validation.kinematics import sole_heights
from physics_jax.validation.probes import (
    SLOW_FACTOR,
    hovering,
    missing,
    no_motion,
    slow_motion,
    standing_still,
)
from physics_jax.validation.suite import build_samples, window_seed


@pytest.fixture(scope="module")
def walk():
    return synthetic_clip("walk", frames=60, fps=30.0, seed=1, noise=0.01)


def test_standing_still_holds_the_first_pose(walk):
    still = standing_still(walk)
    assert still.frames == walk.frames
    for x, ref in ((still.body_pose, walk.body_pose), (still.transl, walk.transl)):
        np.testing.assert_array_equal(x, np.repeat(ref[:1], walk.frames, 0))


def test_slow_motion_covers_a_quarter_of_the_path(walk):
    slow = slow_motion(walk)
    assert slow.frames == walk.frames
    np.testing.assert_allclose(slow.transl[0], walk.transl[0])
    path = np.linalg.norm(slow.transl[-1] - slow.transl[0])
    full = np.linalg.norm(walk.transl[-1] - walk.transl[0])
    assert path == pytest.approx(full * SLOW_FACTOR, rel=0.05)


def test_hovering_glides_with_the_feet_off_the_floor(walk):
    h = hovering(walk)
    lowest = sole_heights(h).min(axis=1)
    floor = floor_height(walk)
    assert lowest[0] == pytest.approx(sole_heights(walk)[0].min())  # starts where the clip did
    assert lowest[walk.frames // 2] == pytest.approx(floor + HOVER_CLEARANCE, abs=1e-6)
    speed = np.linalg.norm(np.diff(h.transl[:, [0, 2]], axis=0), axis=1) * walk.fps
    np.testing.assert_allclose(speed, 1.0, atol=1e-9)
    np.testing.assert_array_equal(h.body_pose, np.repeat(walk.body_pose[:1], walk.frames, 0))


def test_no_motion_and_missing(walk):
    zero = no_motion(walk)
    assert np.all(zero.body_pose == 0) and np.ptp(zero.transl, axis=0).max() == 0
    assert sole_heights(zero).min() == pytest.approx(0.0, abs=1e-12)
    batch = pad_batch([missing(walk), walk])
    assert not batch.valid[0] and batch.valid[1]
    assert "transl" in batch.reasons[0]


def test_take_ids_and_fixed_split():
    assert take_id("physics_jax/samples/cmu/16_15.npz") == "16_15"
    assert take_id("/x/cmu_131_03_hop.npz@48|float=5cm") == "131_03"
    assert take_id("walk.npz") == "walk"
    assert split_of("a/35_01.npz") == "held_out" and "35_01" in HELD_OUT_TAKES
    assert split_of("a/02_01.npz") == "tuning"


def test_windows_half_overlap_and_short_clips_kept_whole():
    clip = synthetic_clip("walk", frames=200, fps=30.0)
    ws = windows(clip, window_s=3.2, stride_s=1.6)
    assert [w.frames for w in ws] == [96] * 3
    np.testing.assert_array_equal(ws[1].transl, clip.transl[48:144])
    assert ws[2].source.endswith("@96")
    short = synthetic_clip("walk", frames=40, fps=30.0)
    assert [w.frames for w in windows(short)] == [40]


def test_at_rate_resamples_to_30_fps_and_load_real_splits_by_take(tmp_path):
    clip = synthetic_clip("walk", frames=121, fps=60.0)
    half = at_rate(clip, 30.0)
    assert half.fps == 30.0 and half.frames == 61
    np.testing.assert_allclose(half.transl, clip.transl[::2], atol=1e-12)
    save_motion(tmp_path / "02_01.npz", synthetic_clip("walk", frames=150, fps=30.0))
    save_motion(tmp_path / "35_01.npz", clip)
    real = load_real([tmp_path])
    assert len(real) == 2 + 1 and real.takes == ["02_01", "02_01", "35_01"]
    assert real.split == ["tuning", "tuning", "held_out"]
    assert all(c.fps == 30.0 for c in real.clips)


def test_load_real_leaves_out_takes_whose_source_skeleton_does_not_fit(tmp_path):
    walk = synthetic_clip("walk", frames=96, fps=30.0)
    save_motion(tmp_path / "02_01.npz", walk, below_floor=0.0)
    save_motion(tmp_path / "05_06.npz", walk, below_floor=0.52)
    save_motion(tmp_path / "90_05.npz", walk, below_floor=MAX_SOURCE_BELOW_FLOOR)
    save_motion(tmp_path / "16_15.npz", walk)  # no source check recorded: kept
    real = load_real([tmp_path])
    assert sorted(real.takes) == ["02_01", "16_15", "90_05"]
    [(path, why)] = real.left_out_takes
    assert path.endswith("05_06.npz") and "52 % of frames" in why
    kept = load_real([tmp_path], keep_misfits=True)
    assert sorted(kept.takes) == ["02_01", "05_06", "16_15", "90_05"] and not kept.left_out_takes


def test_a_window_is_corrupted_alike_whatever_else_is_loaded(tmp_path):
    """The corruption seed comes from the window's file name and start, not its position in
    the set: leaving a take out does not change how the others are corrupted."""
    for take, seed in (("02_01", 1), ("05_06", 2)):
        save_motion(tmp_path / f"{take}.npz", synthetic_clip("walk", frames=96, fps=30.0,
                                                             seed=seed, noise=0.01))
    skate = {"skate": CORRUPTIONS["skate"]}
    both = load_real([tmp_path])
    alone = load_real([tmp_path / "05_06.npz"])
    a = build_samples(both, skate, {"skate": (0.0, 1.0)}, probes=False)[0]
    b = build_samples(alone, skate, {"skate": (0.0, 1.0)}, probes=False)[0]
    assert both.takes == ["02_01", "05_06"] and alone.takes == ["05_06"]
    np.testing.assert_array_equal(a[3].transl, b[1].transl)  # 05_06 skated, same direction
    assert window_seed("a/05_06.npz@0") == window_seed("b/05_06.npz@0")
    assert window_seed("05_06.npz@0") != window_seed("05_06.npz@0", seed=1)
    c = build_samples(alone, skate, {"skate": (0.0, 1.0)}, probes=False, seed=1)[0]
    assert not np.allclose(c[1].transl, b[1].transl)
