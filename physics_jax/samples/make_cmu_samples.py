"""Regenerate the CMU sample clips (`physics_jax/samples/cmu/<take>.npz` and its README.md)
from the motion-capture files in ../shared/data/cmu (next to the repository).

    .venv/bin/python physics_jax/samples/make_cmu_samples.py [--data DIR] [--out DIR]

Every take is read with its own ASF skeleton (88 and 90 have none anywhere public: subject
09's stands in, as the data README suggests), resampled to 30 fps and retargeted onto the
humanoid by one batched inverse-kinematics fit (`physics_jax.ik.convert.convert_sources`).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_OUT = Path(__file__).resolve().parent / "cmu"
FPS = 30.0
ACKNOWLEDGEMENT = ("The data used in this project was obtained from mocap.cs.cmu.edu. "
                   "The database was created with funding from NSF EIA-0196217.")


@dataclass(frozen=True)
class Take:
    """One CMU take: its file under data/cmu, skeleton, rate, frames to drop, and origin."""

    take: str
    description: str
    file: str
    host: str  # repository@commit:path the file was copied from (data README)
    asf: str | None = None
    fps: float | None = None  # AMC rate (AMC files store none)
    skip: int = 0


TAKES: tuple[Take, ...] = (
    Take("01_01", "playground - forward jumps, turn around", "bvh/01_01.bvh",
         "facebookresearch/fairmotion@e400e564deac:tests/data/01_01.bvh", skip=1),
    Take("02_01", "walk", "asf_amc/02_01.amc",
         "taiyoshoe/MotionCapturePy@a33bd7821eea:02_01.amc", "asf_amc/02.asf", 120.0),
    Take("02_03", "run/jog", "asf_amc/02_03.amc",
         "uscresl/humanoid-gail@622905f5da7d:mocap/animations/running/02_03.amc",
         "asf_amc/02.asf", 120.0),
    Take("05_06", "dance - cartwheel-like start, pirouettes, jete", "asf_amc/05_06.amc",
         "Khrylx/RFC@822430569cb5:data/cmu_mocap/amc/05_06.amc", "asf_amc/05.asf", 120.0),
    Take("05_11", "dance - sideways steps, pirouette", "asf_amc/05_11.amc",
         "gsimchoni/mocap@afc152978d89:inst/extdata/pirouette.amc", "asf_amc/05.asf", 120.0),
    Take("09_01", "run", "asf_amc/09_01.amc",
         "uscresl/humanoid-gail@622905f5da7d:mocap/animations/running/09_01.amc",
         "asf_amc/09.asf", 120.0),
    Take("16_15", "walk", "asf_amc/16_15.amc",
         "martinling/imusim@294e171ae5f2:imusim/tests/io/16_15.amc", "asf_amc/16.asf", 120.0),
    Take("16_35", "run/jog", "asf_amc/16_35.amc",
         "uscresl/humanoid-gail@622905f5da7d:mocap/animations/running/16_35.amc",
         "asf_amc/16.asf", 120.0),
    Take("35_01", "walk", "asf_amc/35_01.amc",
         "SheffieldML/GPmat@4b5914a38ecb:datasets/data/mocap/cmu/35/35_01.amc",
         "asf_amc/35.asf", 120.0),
    Take("49_20", "balance on one leg, outstretched arms", "asf_amc/49_20.amc",
         "SheffieldML/GPmat@4b5914a38ecb:datasets/data/mocap/cmu/49/49_20.amc",
         "asf_amc/49.asf", 120.0),
    Take("88_01", "backflip", "amc_only_no_asf/88_01.amc",
         "Khrylx/RFC@822430569cb5:data/cmu_mocap/amc/88_01.amc", "asf_amc/09.asf", 60.0),
    Take("90_02", "cartwheel", "amc_only_no_asf/90_02.amc",
         "Khrylx/RFC@822430569cb5:data/cmu_mocap/amc/90_02.amc", "asf_amc/09.asf", 120.0),
    Take("90_05", "jump kick", "amc_only_no_asf/90_05.amc",
         "Khrylx/RFC@822430569cb5:data/cmu_mocap/amc/90_05.amc", "asf_amc/09.asf", 120.0),
    Take("131_03", "Start Hop Stop (Michael-Jackson-styled hopping)", "bvh/131_03.bvh",
         "yuki-koyama/bvh11@c9072174fe89:resources/131_03.bvh"),
)
"""The 14 CMU takes of ../shared/data/cmu. 16_15 is there twice; the AMC is used (the BVH
conversion has glitches in its first frames: the wrists jump 21 cm between frames 1 and 2).
01_01's first frame is the synthetic T-pose of the cgspeed conversion and is dropped."""


def sources(data: Path = DEFAULT_DATA):
    """The takes as `ik.convert.Source` entries under `data`."""
    from physics_jax.ik.convert import Source

    cmu = data / "cmu"
    return [Source(cmu / t.file, cmu / t.asf if t.asf else None, t.fps, t.skip) for t in TAKES]


def readme(rows) -> str:
    """README.md text for the converted takes (rows aligned with TAKES)."""
    lines = [
        "# CMU sample clips",
        "",
        "Real motion capture from the CMU Graphics Lab Motion Capture Database, retargeted onto",
        "the humanoid by `physics_jax/samples/make_cmu_samples.py` (batched inverse kinematics,",
        "see docs/retargeting.md): SMPL parameters in the project npz format, 30 fps, scaled to",
        "the humanoid's leg length, floor at z = 0. Regenerate with",
        "`.venv/bin/python physics_jax/samples/make_cmu_samples.py` (reads ../shared/data/cmu).",
        "",
        "| take | description | source file (shared/data/cmu) | copied from | source fps | "
        "frames (30 fps) | seconds | scale | fit error cm | feet below floor % |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for take, row in zip(TAKES, rows, strict=True):
        skel = f" + {take.asf}" if take.asf else ""
        note = f"; first {take.skip} frame dropped (T-pose)" if take.skip else ""
        lines.append(
            f"| {take.take} | {take.description} | {take.file}{skel}{note} | {take.host} | "
            f"{row.source_fps:g} | {row.clip.frames} | {(row.clip.frames - 1) / row.clip.fps:.2f}"
            f" | {row.scale:.3f} | {row.fit_error_cm:.2f} | {100 * row.below_floor:.1f} |")
    lines += [
        "",
        "Fit error: mean distance between the humanoid's joints and the scaled source joints",
        "over all frames and the 22 body joints. It is mostly the difference of proportions",
        "between the source skeleton and the humanoid (spine and shoulder joints sit at",
        "different heights), not noise.",
        "",
        "Feet below floor: share of the source's frames in which its ankle or ball-of-foot",
        "joint lies below the capture floor (`physics_jax/sources/floor_check.py`). A joint",
        "centre cannot pass through the floor the performer stands on, so a take whose skeleton",
        "fits it shows 0 %; 05_06 and 88_01 show about half and four fifths of their frames:",
        "their skeleton's bone lengths do not fit the performer. `phymotion validate` leaves",
        "such takes out of its real motion (docs/validation.md).",
        "",
        "88_01, 90_02 and 90_05 come without their subject's ASF skeleton; subject 09's skeleton",
        "stands in, so their bone lengths are approximate. 88_01 was captured at 60 fps.",
        "16_15 exists in the shared data as BVH and AMC; the AMC is used.",
        "",
        "## Acknowledgement",
        "",
        ACKNOWLEDGEMENT,
        "",
        "CMU's terms: free for research and commercial use; the data itself, even converted,",
        "may not be resold.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    from physics_jax.ik.convert import convert_sources
    from physics_jax.motion import save_motion

    if not (args.data / "cmu").is_dir():
        print(f"error: {args.data / 'cmu'}: not a folder", file=sys.stderr)
        return 2
    rows = convert_sources(sources(args.data), FPS)
    args.out.mkdir(parents=True, exist_ok=True)
    for take, row in zip(TAKES, rows, strict=True):
        save_motion(args.out / f"{take.take}.npz", row.clip, row.below_floor)
        print(f"{take.take}: {row.clip.frames} frames, scale {row.scale:.3f}, "
              f"fit error {row.fit_error_cm:.2f} cm, feet below floor "
              f"{100 * row.below_floor:.1f} % of frames")
    (args.out / "README.md").write_text(readme(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
