"""End to end: `phymotion validate --quick` on the bundled CMU clips (both presets, one compile
per preset: every window pads to the same (64, 96) batch)."""

import json

import pytest

from app.cli import main
from physics_jax.validation.corruptions import CORRUPTIONS
from physics_jax.validation.metrics import AUROC_TARGET, SPEARMAN_TARGET

# v2 (the shipped calibration) reaches both targets on the quick set for these; the others are
# reported (docs/validation.md). Skate misses on the quick set's three doses (Spearman -0.862,
# AUROC 1.000) and passes on the full run (-0.950).
V2_PASSES_QUICK = ("float", "sink", "jitter", "time_warp", "teleport", "hover", "lean")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("validate")
    assert main(["validate", "--quick", "--out", str(out)]) == 0
    return out, json.loads((out / "results.json").read_text())


def _rows(results, split="all"):
    return {(r["corruption"], r["preset"]): r for r in results["table"] if r["split"] == split}


def test_report_has_every_corruption_both_presets_and_both_splits(report):
    out, results = report
    html = (out / "index.html").read_text()
    assert html.count("data:image/png;base64,") == 2  # dose curves, distributions
    assert results["windows"]["tuning"] > 0 and results["windows"]["held_out"] > 0
    for split in ("tuning", "held_out", "all"):
        rows = _rows(results, split)
        assert {name for name, _ in rows} == set(CORRUPTIONS)
        assert {preset for _, preset in rows} == {"phymotion", "v2"}
    probes = {(p["probe"], p["preset"]): p for p in results["probes"]}
    assert probes[("missing", "v2")]["invalid"] == probes[("missing", "v2")]["clips"]
    assert probes[("standing_still", "v2")]["reward"] is not None


def test_pairs_a_window_cannot_carry_are_counted_per_split(report):
    from physics_jax.commands.validate import QUICK_FILES, QUICK_WINDOWS
    from physics_jax.validation.dataset import DEFAULT_DATA, load_real

    _, results = report
    assert _rows(results)[("hover", "v2")]["left_out"] > 0  # the quick set's short runs
    real = load_real([str(DEFAULT_DATA)], max_clips=QUICK_FILES, max_windows=QUICK_WINDOWS)
    for split in ("tuning", "held_out"):
        rows = _rows(results, split)
        for name, c in CORRUPTIONS.items():
            expected = sum(not c.fits(clip, dose) for clip, s in zip(
                real.clips, real.split, strict=True) if s == split
                for dose in (c.moderate, c.doses[-1]))
            assert rows[(name, "v2")]["left_out"] == rows[(name, "phymotion")]["left_out"]
            assert rows[(name, "v2")]["left_out"] == expected, (split, name)
            assert _rows(results)[(name, "v2")]["left_out"] == sum(
                _rows(results, s)[(name, "v2")]["left_out"] for s in ("tuning", "held_out"))


def test_v2_reaches_the_targets_and_beats_phymotion(report):
    _, results = report
    rows = _rows(results)
    for name in V2_PASSES_QUICK:
        r = rows[(name, "v2")]
        assert r["spearman"] <= SPEARMAN_TARGET and r["auroc"] >= AUROC_TARGET, r
    for name in CORRUPTIONS:
        v2, pm = rows[(name, "v2")], rows[(name, "phymotion")]
        assert v2["auroc"] >= pm["auroc"], name  # separates at least as well ...
        assert v2["spearman"] <= pm["spearman"] + 0.05, name  # ... and is as monotone


def test_takes_whose_skeleton_does_not_fit_are_left_out_and_named(report):
    out, results = report
    left = {item["file"].rsplit("/", 1)[-1]: item["reason"] for item in results["left_out_takes"]}
    assert sorted(left) == ["05_06.npz", "88_01.npz"]
    assert "52 % of frames" in left["05_06.npz"] and "79 % of frames" in left["88_01.npz"]
    assert not {"05_06", "88_01"} & {take["take"] for take in results["real"]}
    assert "Left out of the real motion" in (out / "index.html").read_text()


def test_real_clips_score_high_with_v2(report):
    _, results = report
    for take in results["real"]:
        assert take["v2"] > 0.9, take
