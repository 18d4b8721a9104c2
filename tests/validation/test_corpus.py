"""The calibration corpus: its manifest, the committed clips and the DeepMimic reader.

Committed files only (data/corpus/manifest.csv, physics_jax/samples/cmu/); no network, no
mirrors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from physics_jax.motion import load_motion
from physics_jax.sources.load import leg_length
from physics_jax.validation import corpus
from physics_jax.validation.deepmimic import JOINTS, load_deepmimic

ROWS = corpus.read_manifest()
RESERVED_REPOS = ("bandai", "deep-motion-editing", "nghorbani/amass", "walking-gait",
                  "treadtv", "humor", "footskate", "pymaf", "gvhmr", "pose2sim", "phalp")
UNATTRIBUTED = {"deepmimic_unattributed"}


def test_manifest_lists_every_take_once() -> None:
    ids = [r["take"] for r in ROWS]
    assert len(ids) == len(set(ids))
    assert ids == [t.take for t in corpus.takes()]
    assert all(set(r) == set(corpus.FIELDS) for r in ROWS)


def test_size_sources_and_categories() -> None:
    assert len(ROWS) == 108
    per_source = Counter(r["capture_source"] for r in ROWS)
    sources = set(per_source) - UNATTRIBUTED
    assert len(sources) == 9, sources
    # sources a leave-one-source-out validation can hold out (>= 5 takes each)
    big = {s for s in sources if per_source[s] >= 5}
    assert big == {"cmu", "sie", "hdm05", "lafan1", "sfu_movingstories"}, per_source
    assert {r["category"] for r in ROWS} == set(corpus.CATEGORIES)
    for category in corpus.CATEGORIES:  # every category from more than one attributed source
        rows = [r for r in ROWS if r["category"] == category]
        assert len(rows) >= 7, category
        assert len({r["capture_source"] for r in rows} - UNATTRIBUTED) >= 2, category


def test_new_sources_as_built() -> None:
    """HDM05 (CC BY-SA), LAFAN1 (CC BY-NC-ND) and the Mova MovingStories takes (no licence for
    the data), as the builder wrote them."""
    by_source = {s: [r for r in ROWS if r["capture_source"] == s]
                 for s in ("hdm05", "lafan1", "sfu_movingstories")}
    hdm = by_source["hdm05"]
    assert len(hdm) == 22 and all(r["committed"] == "no" for r in hdm)
    assert {r["path"].split("/")[-1].split("_")[1] for r in hdm} == {"bd", "bk", "dg", "mm", "tr"}
    assert all(r["licence"].startswith("CC BY-SA 3.0") and "HDM05" in r["attribution"]
               and r["skeleton"] == "cmu_asf" and r["source_fps"] == "120" for r in hdm)
    assert Counter(r["category"] for r in hdm) == {"locomotion": 4, "sport": 6, "floor": 6,
                                                   "idle": 4, "acrobatics": 2}
    lafan = by_source["lafan1"]
    assert len(lafan) == 9 and all(r["committed"] == "no" and r["clip"] == "" for r in lafan)
    assert all(r["licence"].startswith("CC BY-NC-ND 4.0") and r["frames"] == "601"
               for r in lafan)
    assert not any("obstacles" in r["path"] or "push" in r["path"] for r in lafan)
    mova = [r for r in by_source["sfu_movingstories"] if r["repo"] == "omimo/Mova"]
    assert len(mova) == 6 and all(r["committed"] == "no" for r in mova)
    # Mova's copy of AV_8Walk_Meredith_HVHA_Rep1 is PyMO's file, listed once
    assert sum("AV_8Walk_Meredith_HVHA_Rep1" in r["path"] for r in ROWS) == 1
    for r in hdm + lafan + mova:
        assert 2.0 < float(r["fit_error_cm"]) < 3.5, r["take"]


def test_no_reserved_data() -> None:
    for r in ROWS:
        repo = r["repo"].lower()
        assert not any(word in repo for word in RESERVED_REPOS), r["take"]
        assert "131_" not in r["path"] or r["path"].endswith("131_03.bvh"), r["take"]
        assert len(r["commit"]) >= 12 and r["path"], r["take"]


def test_committed_clips_load_and_match_the_manifest() -> None:
    total = 0
    for r in ROWS:
        if r["committed"] != "yes":
            assert r["clip"] == "", r["take"]
            continue
        path = corpus.REPO / r["clip"]
        total += path.stat().st_size
        clip = load_motion(path)
        assert clip.fps == 30.0 and clip.frames == int(r["frames"]), r["take"]
        if r["clip"].startswith("data/corpus/"):  # the CMU samples keep their length
            assert clip.frames <= corpus.MAX_SECONDS * 30 + 1, r["take"]
        assert np.isfinite(clip.body_pose).all() and np.isfinite(clip.transl).all()
        assert 0.0 < float(r["fit_error_cm"]) < 6.0, r["take"]
        assert r["attribution"], r["take"]
    assert total < 5e6


def test_only_the_shared_cmu_samples_are_committed() -> None:
    """Fetched data stays out of the project's commits whatever its licence: only the CMU
    samples (converted from the shared data) have clips in the repository."""
    committed = [r for r in ROWS if r["committed"] == "yes"]
    assert len(committed) == 14
    assert all(r["clip"].startswith("physics_jax/samples/cmu/") for r in committed)
    assert not (corpus.CORPUS / "clips").exists()
    for r in ROWS:
        assert r["licence"] in corpus.LICENCES.values(), r["take"]
        assert r["skeleton"] and r["skeleton"] != "unmapped", r["take"]


def _rows(frames: int) -> list[list[float]]:
    """DeepMimic rows at rest (identity rotations, zero hinge angles), root 0.9 m up."""
    row = [1 / 60, 0.0, 0.9, 0.0]
    for _, _, dofs in JOINTS.values():
        row += [1.0, 0.0, 0.0, 0.0] if dofs == 4 else [0.0] * dofs
    return [row] * frames


def test_deepmimic_reader_rest_pose(tmp_path: Path) -> None:
    path = tmp_path / "rest.txt"
    path.write_text(json.dumps({"Loop": "none", "Frames": _rows(4)}))
    motion = load_deepmimic(path)
    assert motion.fps == 60.0 and motion.positions.shape == (4, 22, 3)
    p = motion.positions[0]
    assert leg_length(p) == pytest.approx(0.421546 + 0.40987)
    assert p[1, 1] > 0 > p[2, 1] or p[1, 1] < 0 < p[2, 1]  # hips apart sideways
    assert np.all(np.diff(p[[0, 3, 6, 9, 12, 15], 2]) > 0)  # pelvis .. head rise
    assert p[10, 2] < p[7, 2]  # ball of the foot below the ankle
