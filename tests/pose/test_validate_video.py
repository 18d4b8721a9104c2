"""`phymotion validate-video`: the image-space corruptions and probes (exact properties), the
tables on known rewards, and the command end to end on one real clip (--quick, 12 frames)."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from pose.validation.corruptions import (
    CORRUPTIONS,
    PROBES,
    clip_seed,
    float_up,
    freeze,
    half_rate,
    jitter,
    jitter_offsets,
    ramp,
    reencode_h264,
    reverse,
    shift_frame,
    skate,
    speed_up,
)

VIDEOS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "videos"
CLIP = VIDEOS / "tfjs_pose_1.mp4"


def noise(t=9, h=24, w=40, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (t, h, w, 3), dtype=np.uint8)


# ---------------------------------------------------------------- shifts: size, padding, amount


def test_shift_moves_content_by_whole_pixels_without_wrapping() -> None:
    f = noise(1)[0]
    h, w = f.shape[:2]
    out = shift_frame(f, 5, -3)
    assert out.shape == f.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out[:h - 3, 5:], f[3:, :w - 5])  # content right 5, up 3
    np.testing.assert_array_equal(out[:h - 3, :5], np.repeat(f[3:, :1], 5, axis=1))  # edge
    np.testing.assert_array_equal(out[h - 3:, 5:], np.repeat(f[h - 1:, :w - 5], 3, axis=0))
    grey = shift_frame(f, -4, 2, pad=128)
    np.testing.assert_array_equal(grey[2:, :w - 4], f[:h - 2, 4:])
    assert (grey[:2] == 128).all() and (grey[:, w - 4:] == 128).all()
    # a shift past the frame leaves only padding: nothing comes back from the far side
    assert (shift_frame(f, w, 0, pad=0) == 0).all()
    np.testing.assert_array_equal(shift_frame(f, 0, 0), f)
    with pytest.raises(ValueError, match="pad"):
        shift_frame(f, 1, 0, pad=300)


def test_float_raises_content_linearly_by_the_dose() -> None:
    frames = noise()
    t, h, w = frames.shape[:3]
    out = float_up(frames, 0.2)
    assert out.shape == frames.shape and out.dtype == np.uint8
    shifts = ramp(t, 0.2 * h)
    assert shifts[0] == 0 and shifts[-1] == round(0.2 * h)
    assert (np.diff(shifts) >= 0).all()
    for k, s in enumerate(shifts):
        np.testing.assert_array_equal(out[k, :h - s], frames[k, s:])  # up by s rows
        np.testing.assert_array_equal(out[k, h - s:], np.repeat(frames[k, -1:], s, axis=0))
    np.testing.assert_array_equal(float_up(frames, 0.0), frames)
    assert not np.shares_memory(float_up(frames, 0.0), frames)


def test_skate_slides_content_right_linearly_by_the_dose() -> None:
    frames = noise()
    t, _, w = frames.shape[:3]
    out = skate(frames, 0.25)
    shifts = ramp(t, 0.25 * w)
    assert shifts[-1] == 10 and out.shape == frames.shape
    for k, s in enumerate(shifts):
        np.testing.assert_array_equal(out[k, :, s:], frames[k, :, :w - s])
        np.testing.assert_array_equal(out[k, :, :s], np.repeat(frames[k, :, :1], s, axis=1))
    np.testing.assert_array_equal(skate(frames, 0.0), frames)


def test_jitter_is_seeded_reproducible_and_scaled_by_the_dose() -> None:
    frames = noise(t=12)
    a = jitter(frames, 0.05, seed=7)
    np.testing.assert_array_equal(a, jitter(frames, 0.05, seed=7))
    assert not np.array_equal(a, jitter(frames, 0.05, seed=8))
    assert a.shape == frames.shape and a.dtype == np.uint8
    np.testing.assert_array_equal(jitter(frames, 0.0, seed=7), frames)
    dx, dy = jitter_offsets(12, 24, 40, 0.05, seed=7)
    for k in range(12):
        np.testing.assert_array_equal(a[k], shift_frame(frames[k], dx[k], dy[k]))
    # the doses share one draw: the larger dose is the same shake, bigger
    z = np.random.default_rng(7).standard_normal((12, 2))
    np.testing.assert_array_equal(dx, np.rint(z[:, 0] * 0.05 * 40))
    np.testing.assert_array_equal(dy, np.rint(z[:, 1] * 0.05 * 24))
    # std = dose x size
    dx, dy = jitter_offsets(20000, 1000, 2000, 0.025, seed=1)
    assert np.std(dx) == pytest.approx(50, rel=0.03) and np.std(dy) == pytest.approx(25, rel=0.03)


def test_clip_seed_depends_on_the_file_name_and_run_seed_only() -> None:
    assert clip_seed("/a/clip.mp4") == clip_seed("/b/other/clip.mp4") == clip_seed("clip.mp4")
    assert clip_seed("clip.mp4") != clip_seed("clip2.mp4")
    assert clip_seed("clip.mp4", 0) != clip_seed("clip.mp4", 1)


# ---------------------------------------------------------------- frame order and the probes


def test_speed_up_keeps_every_kth_frame() -> None:
    frames = noise(t=32)
    np.testing.assert_array_equal(speed_up(frames, 1), frames)
    for k, count in ((2, 16), (3, 11)):
        out = speed_up(frames, k)
        assert len(out) == count == math.ceil(32 / k)
        np.testing.assert_array_equal(out, frames[::k])
    with pytest.raises(ValueError, match="whole number"):
        speed_up(frames, 1.5)


def test_freeze_reverse_and_half_rate_are_exact() -> None:
    frames = noise(t=11)
    frozen = freeze(frames)
    assert frozen.shape == frames.shape
    assert all(np.array_equal(f, frames[0]) for f in frozen)
    np.testing.assert_array_equal(reverse(frames), frames[::-1])
    np.testing.assert_array_equal(half_rate(frames), frames[[0, 2, 4, 6, 8, 10]])
    out, fps = PROBES["half_rate"][1](frames, 30.0)
    assert fps == 15.0 and len(out) == 6  # same duration: 11 frames at 30 fps, 6 at 15
    with pytest.raises(ValueError, match="uint8"):
        reverse(frames.astype(np.float32))


def test_reencode_keeps_count_size_and_content() -> None:
    # smooth content of odd size (the encoder needs even sizes: padded and cut back)
    y, x = np.mgrid[0:37, 0:51]
    frames = np.stack([np.stack([(x * 4 + k * 3) % 256, (y * 5) % 256, (x + y) % 256], -1)
                       for k in range(9)]).astype(np.uint8)
    out = reencode_h264(frames, 29.97)
    assert out.shape == frames.shape and out.dtype == np.uint8
    err = np.abs(out.astype(int) - frames.astype(int))
    assert err.mean() < 6.0, err.mean()
    assert not np.array_equal(out, frames)  # a lossy codec did run


def test_families_start_at_the_real_clip() -> None:
    frames = noise(t=10)
    for c in CORRUPTIONS.values():
        assert len(c.doses) == 3 and c.doses == tuple(sorted(c.doses))
        np.testing.assert_array_equal(c.apply(frames, c.neutral, 3), frames)


def test_variants_of_a_clip() -> None:
    from pose.validation.suite import make_variants, suite_doses

    frames = noise(t=32)
    made = make_variants(frames, 30.0, "x/clip.mp4", suite_doses(False), tuple(PROBES), seed=0)
    by_name = {name: (f, fps) for name, _, _, f, fps in made}
    assert list(by_name) == ["real", "speed_up@2", "speed_up@3", "float@0.1", "float@0.2",
                             "skate@0.125", "skate@0.25", "jitter@0.025", "jitter@0.05",
                             "freeze", "reverse", "reencode", "half_rate"]
    assert [len(by_name[n][0]) for n in ("speed_up@2", "speed_up@3", "half_rate")] == [16, 11, 16]
    assert by_name["half_rate"][1] == 15.0 and by_name["real"][1] == 30.0
    np.testing.assert_array_equal(by_name["jitter@0.05"][0],
                                  jitter(frames, 0.05, clip_seed("clip.mp4", 0)))
    quick = make_variants(frames, 30.0, "clip.mp4", suite_doses(True), ("freeze",), seed=0)
    assert [m[0] for m in quick] == ["real", "speed_up@3", "float@0.2", "skate@0.25",
                                     "jitter@0.05", "freeze"]


# ---------------------------------------------------------------- tables on known rewards


def fake_result(rewards: dict[str, list[float | None]]):
    """A suite result of len(list) videos whose `preset` rows carry these rewards (None:
    invalid), the same for both presets."""
    from pose.validation.suite import Variant, VideoInfo, VideoSuiteResult

    n = len(next(iter(rewards.values())))
    videos = [VideoInfo(f"v{i}", f"v{i}.mp4", 30.0, 12, 8, 8, 0) for i in range(n)]
    variants, rows = [], []
    for name, values in rewards.items():
        family, _, dose = name.partition("@")
        for i, r in enumerate(values):
            variants.append(Variant(i, name, family, float(dose) if dose else None, 12, 30.0))
            rows.append({"reward": r, "valid": r is not None, "reason": None if r else "bad"})
    pose = [{"pose_valid": True}] * len(rows)
    return VideoSuiteResult(videos, variants, pose, {"v2": rows, "phymotion": rows},
                            {"float": (0, 0.1, 0.2)}, ("freeze", "reencode"), 0)


def test_tables_on_known_rewards() -> None:
    from pose.validation.tables import corruption_table, probe_table

    result = fake_result({
        "real": [0.9, 0.8, 0.7, 0.6],
        "float@0.1": [0.8, 0.8, 0.75, 0.5],
        "float@0.2": [0.7, 0.8, None, 0.4],  # a tie (miss) and an invalid copy (reward 0)
        "freeze": [0.95, 0.7, 0.7, 0.5],
        "reencode": [0.9, 0.81, 0.72, 0.55],
    })
    row = next(r for r in corruption_table(result) if r["preset"] == "v2")
    assert row["pairwise"] == 0.75 and row["invalid"] == 1
    # per-video rho: -1, NaN (constant: counts 0), -0.5, -1
    assert row["spearman"] == pytest.approx((-1 + 0 - 0.5 - 1) / 4)
    assert row["auroc"] == pytest.approx(9 / 16)  # real vs float@0.1: 4 + 3 + 1 + 1 of 16
    assert not row["pass"]
    probes = next(r for r in probe_table(result) if r["preset"] == "v2")
    assert probes["real_median"] == pytest.approx(0.75) and not probes["pass_real_median"]
    assert probes["freeze"]["below_real"] == 0.5
    assert probes["freeze"]["mean_diff"] == pytest.approx((0.05 - 0.1 + 0 - 0.1) / 4)
    assert probes["reencode"]["max_abs_diff"] == pytest.approx(0.05)
    assert probes["reencode"]["mean_abs_diff"] == pytest.approx(0.08 / 4)
    assert not probes["reencode"]["pass"]


# ---------------------------------------------------------------- the command end to end


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    pytest.importorskip("mediapipe")
    if not CLIP.is_file():
        pytest.skip(f"real test clip not found: {CLIP}")
    from app.cli import main

    out = tmp_path_factory.mktemp("validate_video")
    assert main(["validate-video", str(CLIP), "--frames", "12", "--quick", "--workers", "2",
                 "--out", str(out)]) == 0
    return out, json.loads((out / "results.json").read_text())


def _finite(x) -> bool:
    return isinstance(x, float | int) and math.isfinite(x)


def test_quick_run_writes_the_report_and_every_row(quick_run) -> None:
    out, data = quick_run
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "results.json"]
    html = (out / "index.html").read_text()
    assert html.count("data:image/png;base64,") == 2  # reward vs dose, probes
    rows = {(r["corruption"], r["preset"]): r for r in data["table"]}
    assert set(rows) == {(c, p) for c in CORRUPTIONS for p in ("v2", "phymotion", "training")}
    for r in rows.values():
        assert r["videos"] == 1 and r["doses"] == [CORRUPTIONS[r["corruption"]].neutral,
                                                   CORRUPTIONS[r["corruption"]].largest]
        for key in ("pairwise", "spearman", "auroc"):
            assert _finite(r[key]), (r["corruption"], key)
    for p in data["probe_table"]:
        assert _finite(p["real_median"]) and 0.3 < p["real_median"] <= 1.0
        assert p["real_invalid"] == 0
        for probe in ("freeze", "reencode", "half_rate"):
            assert _finite(p[probe]["mean_diff"]) and _finite(p[probe]["max_abs_diff"])
        assert "reverse" not in p
    (video,) = data["videos"]
    assert video["frames"] == 12 and video["fps"] == pytest.approx(30.0)
    variants = video["variants"]
    assert set(variants) == {"real", "speed_up@3", "float@0.2", "skate@0.25", "jitter@0.05",
                             "freeze", "reencode", "half_rate"}
    assert variants["speed_up@3"]["frames"] == 4 and variants["half_rate"]["frames"] == 6
    assert variants["half_rate"]["fps"] == pytest.approx(15.0)
    for name, v in variants.items():
        assert v["pose_valid"], name
        for preset in ("v2", "phymotion", "training"):
            s = v[preset]
            assert s["valid"] and _finite(s["reward"]), (name, preset)
            assert _finite(s["contact"]["slip"]["score"]) and _finite(s["dynamic"]["score"])
        # the training reward is v2's times the stillness gate's motion presence in [0, 1]
        presence = v["training"]["components"]["stillness/presence"]
        assert 0.0 <= presence <= 1.0, name
        assert v["training"]["reward"] == pytest.approx(v["v2"]["reward"] * presence, abs=1e-5)


def test_bad_input_exits_2_with_one_line(tmp_path, capsys) -> None:
    pytest.importorskip("mediapipe")
    from app.cli import main

    assert main(["validate-video", str(tmp_path / "missing.mp4"), "--out",
                 str(tmp_path / "o")]) == 2
    assert "missing.mp4" in capsys.readouterr().err
    if CLIP.is_file():
        assert main(["validate-video", str(CLIP), "--frames", "5", "--out",
                     str(tmp_path / "o")]) == 2
        assert "at least 9" in capsys.readouterr().err
        (tmp_path / "file").write_text("x")
        assert main(["validate-video", str(CLIP), "--out", str(tmp_path / "file")]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["validate-video", "x.mp4", "--frames", "0"])
    assert exc.value.code == 2
    assert not (tmp_path / "o").exists()
