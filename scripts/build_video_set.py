"""Rebuild the real-video set listed in data/videos/manifest.csv (docs/video_set.md).

    .venv/bin/python scripts/build_video_set.py [--out DIR] [--mirrors DIR] [--sources DIR]
                                                [--id ID ...] [--check] [--update-manifest]

Each row names a public repository, a full commit and a path. The original file is read from
`<sources>/<owner>+<repo>/<path>` (an original you downloaded yourself), or taken out of a bare
git snapshot `<mirrors>/<owner>+<repo>/repo` at the row's commit (`git show`). Nothing is
fetched from the network. The segment [start_s, end_s) is cut by frame index at the source's
frame rate, cropped (`crop` = x0:y0:x1:y1 as fractions of the frame, empty for none), scaled so
that the short side is at most 360 px (even sizes), and encoded as H.264 (libx264, yuv420p) at the
source's own frame rate. Clips go to `data/videos/clips/<id>.mp4` for rows with committed=yes,
and to `--out` (default .cache/videos) for the others. Rows with committed=shared point at the
project's ../shared/data/videos clips and are only checked.

--check compares every built (or shared) clip with the manifest's output columns;
--update-manifest writes the measured source and output columns back into the manifest.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

REPO = Path(__file__).resolve().parents[1]
VIDEOS = REPO / "data" / "videos"
MANIFEST = VIDEOS / "manifest.csv"
CLIPS = VIDEOS / "clips"
MAX_SHORT_SIDE = 360
CRF = "30"

FIELDS = [
    "id", "file", "source_repo", "commit", "path", "licence", "redistributable", "attribution",
    "committed", "orig_fps", "orig_width", "orig_height", "orig_frames", "start_s", "end_s",
    "crop", "out_fps", "out_width", "out_height", "out_frames", "category", "camera", "notes",
]


def read_manifest(path: Path = MANIFEST) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def write_manifest(rows: list[dict[str, str]], path: Path = MANIFEST) -> None:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def clip_path(row: dict[str, str], out: Path) -> Path:
    """Where a row's clip lives: the shared file, the committed file or the cache."""
    if row["committed"] == "shared":
        return (REPO / row["file"]).resolve()
    if row["committed"] == "yes":
        return CLIPS / row["file"]
    return out / row["file"]


def probe(path: Path) -> dict[str, float | int]:
    """fps (average rate), size and number of decoded frames of a video file."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        fps = float(s.average_rate) if s.average_rate else 0.0
        n = 0
        w = h = 0
        for frame in c.decode(s):
            if n == 0:
                w, h = frame.width, frame.height
            n += 1
    return {"fps": round(fps, 3), "width": w, "height": h, "frames": n}


def source_file(row: dict[str, str], mirrors: Path, sources: Path | None, tmp: Path) -> Path:
    """The original file: a downloaded copy, else `git show commit:path` from a bare mirror."""
    key = row["source_repo"].replace("/", "+")
    if sources is not None and (sources / key / row["path"]).is_file():
        return sources / key / row["path"]
    git_dir = mirrors / key / "repo"
    if (git_dir / ".git").is_dir():
        git_dir = git_dir / ".git"
    if not git_dir.is_dir():
        raise FileNotFoundError(f"{row['id']}: no original under {sources} and no mirror {git_dir}")
    dest = tmp / (row["id"] + Path(row["path"]).suffix)
    with dest.open("wb") as f:
        subprocess.run(["git", "--git-dir", str(git_dir), "show", f"{row['commit']}:{row['path']}"],
                       stdout=f, check=True)
    return dest


def out_size(w: int, h: int) -> tuple[int, int]:
    scale = min(1.0, MAX_SHORT_SIDE / min(w, h))
    return max(2, int(round(w * scale / 2)) * 2), max(2, int(round(h * scale / 2)) * 2)


def parse_crop(text: str, w: int, h: int) -> tuple[int, int, int, int]:
    if not text:
        return 0, 0, w, h
    x0, y0, x1, y1 = (float(v) for v in text.split(":"))
    return int(round(x0 * w)), int(round(y0 * h)), int(round(x1 * w)), int(round(y1 * h))


def encode_segment(src: Path, dst: Path, start_s: float, end_s: float, crop: str) -> None:
    """Cut frames [round(start*fps), round(end*fps)) of src, crop, downscale, encode H.264."""
    with av.open(str(src)) as c:
        s = c.streams.video[0]
        rate = Fraction(s.average_rate).limit_denominator(1001)
        first, last = round(start_s * rate), round(end_s * rate)
        dst.parent.mkdir(parents=True, exist_ok=True)
        with av.open(str(dst), "w") as o:
            ost = None
            for i, frame in enumerate(c.decode(s)):
                if i < first:
                    continue
                if i >= last:
                    break
                img = frame.to_ndarray(format="rgb24")
                x0, y0, x1, y1 = parse_crop(crop, img.shape[1], img.shape[0])
                img = np.ascontiguousarray(img[y0:y1, x0:x1])
                w, h = out_size(img.shape[1], img.shape[0])
                if ost is None:
                    codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
                    ost = o.add_stream(codec, rate=rate)
                    ost.width, ost.height, ost.pix_fmt = w, h, "yuv420p"
                    if codec == "libx264":
                        ost.options = {"crf": CRF, "preset": "medium"}
                vf = av.VideoFrame.from_ndarray(img, format="rgb24")
                vf = vf.reformat(width=w, height=h, format="yuv420p", interpolation="AREA")
                for packet in ost.encode(vf):
                    o.mux(packet)
            if ost is None:
                raise ValueError(f"{src}: no frame in [{start_s}, {end_s}) s")
            for packet in ost.encode():
                o.mux(packet)


def check_row(row: dict[str, str], info: dict[str, float | int]) -> list[str]:
    prefix = "orig" if row["committed"] == "shared" else "out"
    errors = []
    if abs(float(row[f"{prefix}_fps"]) - float(info["fps"])) > 0.01:
        errors.append(f"fps {info['fps']} != {row[f'{prefix}_fps']}")
    for key in ("width", "height", "frames"):
        if int(row[f"{prefix}_{key}"]) != int(info[key]):
            errors.append(f"{key} {info[key]} != {row[f'{prefix}_{key}']}")
    return errors


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=REPO / ".cache" / "videos",
                   help="folder for the clips that are not committed")
    p.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"),
                   help="folder of bare git snapshots <owner>+<repo>/repo")
    p.add_argument("--sources", type=Path, default=None,
                   help="folder of downloaded originals <owner>+<repo>/<path>")
    p.add_argument("--id", action="append", default=None, help="only this row (repeatable)")
    p.add_argument("--check", action="store_true", help="only compare clips with the manifest")
    p.add_argument("--update-manifest", action="store_true",
                   help="write measured source and output columns into the manifest")
    args = p.parse_args(argv)

    rows = read_manifest()
    failures = 0
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for row in rows:
            if args.id and row["id"] not in args.id:
                continue
            dst = clip_path(row, args.out)
            if row["committed"] != "shared" and not args.check:
                src = source_file(row, args.mirrors, args.sources, tmp)
                if args.update_manifest:
                    info = probe(src)
                    for key in ("fps", "width", "height", "frames"):
                        row[f"orig_{key}"] = str(info[key])
                encode_segment(src, dst, float(row["start_s"]), float(row["end_s"]), row["crop"])
                if src.parent == tmp:
                    src.unlink()
            if not dst.is_file():
                print(f"{row['id']}: missing {dst}")
                failures += 1
                continue
            info = probe(dst)
            if args.update_manifest:
                prefix = "orig" if row["committed"] == "shared" else "out"
                for key in ("fps", "width", "height", "frames"):
                    row[f"{prefix}_{key}"] = str(info[key])
            errors = check_row(row, info)
            failures += bool(errors)
            size_kb = dst.stat().st_size / 1024
            print(f"{row['id']}: {info['width']}x{info['height']} {info['fps']} fps "
                  f"{info['frames']} frames {size_kb:.0f} KB {'; '.join(errors) or 'ok'}")
    if args.update_manifest:
        write_manifest(rows)
    return 1 if failures else 0


if __name__ == "__main__":
    if shutil.which("git") is None:
        print("git is needed to read bare snapshots", file=sys.stderr)
    sys.exit(main())
