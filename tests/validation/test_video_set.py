"""The real-video set: data/videos/manifest.csv against the files it names (docs/video_set.md).

No network and no mirrors: committed clips (data/videos/clips/) and the shared clips
(../shared/data/videos/) are decoded and compared with the manifest; clips rebuilt into
.cache/videos/ by scripts/build_video_set.py are checked when they are there."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import av
import pytest

REPO = Path(__file__).resolve().parents[2]
VIDEOS = REPO / "data" / "videos"
CLIPS = VIDEOS / "clips"
CACHE = REPO / ".cache" / "videos"
SHARED_PREFIX = "../shared/data/videos/"

FIELDS = [
    "id", "file", "source_repo", "commit", "path", "licence", "redistributable", "attribution",
    "committed", "orig_fps", "orig_width", "orig_height", "orig_frames", "start_s", "end_s",
    "crop", "out_fps", "out_width", "out_height", "out_frames", "category", "camera", "notes",
]
ALWAYS_FILLED = [f for f in FIELDS if f not in ("crop", "out_fps", "out_width", "out_height",
                                                 "out_frames")]
CATEGORIES = {"walking", "running", "jumping", "dance", "sport", "martial_arts", "exercise",
              "yoga", "idle", "turning"}
RESERVED_REPOS = {"alejandrasoto2709/walking-gait", "treadtv/videos", "davrempe/humor",
                  "vt-vl-lab/footskate_reducer", "hongwenzhang/pymaf", "zju3dv/gvhmr",
                  "perfanalytics/pose2sim", "brjathu/phalp"}
RESERVED_WORDS = ("walking-gait", "treadtv", "humor", "footskate", "pymaf", "gvhmr", "pose2sim",
                  "phalp", "bandai", "amass", "4d-humans")
MAX_COMMITTED_BYTES = 12 * 1024 * 1024


def read_rows() -> list[dict[str, str]]:
    with (VIDEOS / "manifest.csv").open(newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == FIELDS
        return list(reader)


ROWS = read_rows()
BUILT = [r for r in ROWS if r["committed"] != "shared"]


def probe(path: Path) -> dict[str, float]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        frames = [(f.width, f.height) for f in c.decode(s)]
        fps = float(s.average_rate)
    assert frames, path
    return {"fps": fps, "width": frames[0][0], "height": frames[0][1], "frames": len(frames)}


def assert_matches(row: dict[str, str], path: Path, prefix: str) -> None:
    info = probe(path)
    assert abs(info["fps"] - float(row[f"{prefix}_fps"])) < 0.01, (row["id"], info)
    for key in ("width", "height", "frames"):
        assert info[key] == int(row[f"{prefix}_{key}"]), (row["id"], key, info)


def test_ids_unique_and_columns_filled() -> None:
    ids = [r["id"] for r in ROWS]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9_\-A-Z]+", i) for i in ids)
    for r in ROWS:
        for field in ALWAYS_FILLED:
            assert r[field].strip(), (r["id"], field)
        assert re.fullmatch(r"[0-9a-f]{40}", r["commit"]), r["id"]
        assert r["source_repo"].count("/") == 1, r["id"]
        assert r["redistributable"] in ("yes", "no"), r["id"]
        assert r["committed"] in ("yes", "no", "shared"), r["id"]
        assert r["category"] in CATEGORIES, r["id"]
        assert r["camera"] == "static", r["id"]
        start, end = float(r["start_s"]), float(r["end_s"])
        assert 0.0 <= start < end, r["id"]
        if r["committed"] != "shared":
            assert end - start <= 6.0 + 1e-9, r["id"]
            assert all(r[f] for f in ("out_fps", "out_width", "out_height", "out_frames")), r["id"]
            assert r["file"] == f"{r['id']}.mp4", r["id"]


def test_set_size_and_variety() -> None:
    assert len(ROWS) >= 24
    assert len(BUILT) >= 20
    categories = {r["category"] for r in ROWS}
    assert len(categories) >= 7, categories
    assert len({r["source_repo"] for r in ROWS}) >= 15


def test_no_reserved_source() -> None:
    for r in ROWS:
        repo = r["source_repo"].lower()
        assert repo not in RESERVED_REPOS, r["id"]
        assert not any(word in repo for word in RESERVED_WORDS), r["id"]
        assert not any(word in r["path"].lower() for word in ("gvhmr", "phalp", "pymaf")), r["id"]


def test_licence_rule() -> None:
    for r in ROWS:
        if r["committed"] in ("yes", "shared"):
            assert r["redistributable"] == "yes", r["id"]
        if re.search(r"non-commercial|\bNC\b", r["licence"], flags=re.IGNORECASE):
            assert r["redistributable"] == "no", r["id"]
        if r["licence"].lower().startswith("none"):
            assert r["redistributable"] == "no" and r["committed"] == "no", r["id"]


def test_output_geometry_follows_the_rules() -> None:
    for r in BUILT:
        fps, w, h = float(r["orig_fps"]), int(r["orig_width"]), int(r["orig_height"])
        ow, oh = int(r["out_width"]), int(r["out_height"])
        assert min(ow, oh) <= 360 and ow % 2 == 0 and oh % 2 == 0, r["id"]
        assert abs(float(r["out_fps"]) - fps) < 0.01, r["id"]  # native rate kept
        x0, y0, x1, y1 = (float(v) for v in (r["crop"] or "0:0:1:1").split(":"))
        aspect = (x1 - x0) * w / ((y1 - y0) * h)
        assert abs(ow / oh - aspect) / aspect < 0.02, r["id"]
        first = round(float(r["start_s"]) * fps)
        last = min(round(float(r["end_s"]) * fps), int(r["orig_frames"]))
        assert abs(int(r["out_frames"]) - (last - first)) <= 1, r["id"]


def test_committed_clips_decode_and_match() -> None:
    committed = {f"{r['id']}.mp4" for r in ROWS if r["committed"] == "yes"}
    present = {p.name for p in CLIPS.glob("*")} if CLIPS.is_dir() else set()
    assert present == committed  # nothing committed that the manifest does not list
    total = 0
    for r in ROWS:
        if r["committed"] == "yes":
            path = CLIPS / r["file"]
            total += path.stat().st_size
            assert_matches(r, path, "out")
    assert total <= MAX_COMMITTED_BYTES


def test_shared_clips_decode_and_match() -> None:
    shared = [r for r in ROWS if r["committed"] == "shared"]
    assert len(shared) == 4
    if not (REPO / SHARED_PREFIX).is_dir():
        pytest.skip("../shared/data/videos is not there")
    for r in shared:
        assert r["file"].startswith(SHARED_PREFIX), r["id"]
        assert_matches(r, REPO / r["file"], "orig")


@pytest.mark.parametrize("row", BUILT, ids=[r["id"] for r in BUILT])
def test_rebuilt_clip_matches(row: dict[str, str]) -> None:
    path = CACHE / row["file"]
    if row["committed"] == "yes" or not path.is_file():
        pytest.skip("not rebuilt here (scripts/build_video_set.py)")
    assert_matches(row, path, "out")
