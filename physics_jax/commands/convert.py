"""`phymotion convert`: motion files (BVH, ASF/AMC, HumanML3D npy, AMASS / AIST++ npz, GVHMR
.pt) to the project's SMPL npz, retargeted onto the humanoid (see docs/retargeting.md)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from physics_jax.commands.args import non_negative_float, non_negative_int, positive_float

TABLE_WIDTH = 120  # characters: every column readable when the output is not a terminal
READ_PROGRESS_BYTES = 64 << 20  # sources this large in all get a reading progress bar


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "convert", help="convert motion files to the project's SMPL npz (joint positions by IK)")
    p.add_argument("sources", nargs="+", metavar="SRC", help="motion files or folders")
    p.add_argument("-o", "--out", dest="out_dir", required=True, help="output folder")
    p.add_argument("--overwrite", action="store_true",
                   help="replace outputs that exist (refused by default)")
    p.add_argument("--fps", type=non_negative_float, default=30.0,
                   help="output frame rate (default 30; 0 keeps each source's rate)")
    p.add_argument("--asf", default=None,
                   help="ASF skeleton for AMC files (default: <subject>.asf beside each AMC)")
    p.add_argument("--source-fps", type=positive_float, default=None,
                   help="frame rate of sources that store none (AMC: 120 if not given, "
                        "HumanML3D npy: 20 if not given, AIST++ npz and GVHMR .pt: required)")
    p.add_argument("--skip-frames", type=non_negative_int, default=0,
                   help="drop this many frames at the start of every source")
    p.add_argument("--joint-map", metavar="MAP.json", default=None,
                   help="JSON object of SMPL joint name -> source joint name for BVH and ASF "
                        "skeletons: names the joints the name heuristics miss and overrides "
                        "the ones they get (docs/corpus.md)")
    p.set_defaults(func=run)


def _read_joint_map(path: str | None) -> dict[str, str] | None:
    """The --joint-map file's map (None without the flag); MotionFormatError naming the file,
    field `joint-map`, for a bad file."""
    from physics_jax.sources.skeleton_map import read_joint_map

    return None if path is None else read_joint_map(path)


def _check_joint_map(mapping: dict[str, str], map_path: str, sources: list) -> None:
    """Every source joint of the map is a joint of each BVH / ASF skeleton among `sources`
    (skeletons read without their frames); MotionFormatError naming the map file otherwise. A
    note on stderr when no source has a skeleton to map."""
    from physics_jax.errors import MotionFormatError
    from physics_jax.ik.convert import default_asf
    from physics_jax.sources.load import skeleton_joint_names
    from physics_jax.sources.skeleton_map import joint_map_absent

    mapped = 0
    for src in sources:
        asf = src.asf or (default_asf(src.path) if src.path.suffix.lower() == ".amc" else None)
        names = skeleton_joint_names(src.path, asf=asf)
        if names is None:
            continue
        mapped += 1
        absent = joint_map_absent(mapping, names)
        if absent:
            listed = ", ".join(f"{joint} -> {name!r}" for joint, name in absent)
            skeleton = asf if src.path.suffix.lower() == ".amc" else src.path
            raise MotionFormatError(map_path, "joint-map", f"{listed}: no such joint in "
                                    f"{skeleton} (names match case-insensitively)")
    if not mapped:
        print("note: --joint-map applies to BVH and ASF/AMC skeletons; no source has one",
              file=sys.stderr)


def _output_names(sources: list[Path], out_dir: Path, overwrite: bool) -> list[Path]:
    """The npz written for each source, each checked writable (and, without `overwrite`,
    absent) before any work."""
    from physics_jax.commands.outputs import check_file, check_folder
    from physics_jax.errors import MotionFormatError

    check_folder(out_dir, "-o")
    seen: dict[Path, Path] = {}
    names = []
    for src in sources:
        target = out_dir / f"{src.stem}.npz"
        if target in seen:
            raise MotionFormatError(str(src), "output", f"{target} is also written from "
                                    f"{seen[target]}; convert them to different folders")
        seen[target] = src
        names.append(check_file(target, "-o", overwrite=overwrite))
    return names


class _Progress:
    """Progress bars on stderr for long conversions only: reading when the sources hold more
    than READ_PROGRESS_BYTES, fitting when the frames need more than one IK call (`window`)."""

    def __init__(self, paths: list[Path], window: int):
        self.big = sum(p.stat().st_size for p in paths if p.is_file()) > READ_PROGRESS_BYTES
        self.window = window
        self.bars: dict = {}

    def _long(self, stage: str, total: int) -> bool:
        return self.big if stage == "reading" else total > self.window

    def __call__(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            if not self._long(stage, total):
                return
            unit = "file" if stage == "reading" else "frame"
            bar = self.bars[stage] = tqdm(total=total, desc=stage, unit=unit, file=sys.stderr,
                                          dynamic_ncols=True)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()


def _print_table(rows, outputs: list[Path], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for col in ("source", "source fps", "frames", "fps", "scale", "fit error cm",
                "feet below floor %", "output"):
        table.add_column(col, justify="left" if col in ("source", "output") else "right")
    for row, out in zip(rows, outputs, strict=True):
        table.add_row(row.source.name, f"{row.source_fps:g}", str(row.clip.frames),
                      f"{row.clip.fps:g}", "-" if row.scale is None else f"{row.scale:.3f}",
                      "-" if row.fit_error_cm is None else f"{row.fit_error_cm:.2f}",
                      "-" if row.below_floor is None else f"{100 * row.below_floor:.1f}",
                      out.name)
    Console(width=TABLE_WIDTH).print(table)


def run(args) -> int:
    from physics_jax.commands.outputs import atomic_path
    from physics_jax.errors import MotionFormatError
    from physics_jax.ik import convert as ik_convert
    from physics_jax.ik.convert import Source, convert_sources, expand_sources
    from physics_jax.jax_setup import configure_jax
    from physics_jax.motion import save_motion
    from physics_jax.sources.skeleton_map import use_joint_map

    joint_map = _read_joint_map(args.joint_map)
    paths = expand_sources(args.sources)
    if not paths:
        raise MotionFormatError(" ".join(args.sources), "paths", "no motion files found")
    out_dir = Path(args.out_dir)
    outputs = _output_names(paths, out_dir, args.overwrite)
    asf = Path(args.asf) if args.asf else None
    if any(p.suffix.lower() == ".amc" for p in paths) and args.source_fps is None:
        print("note: AMC files store no frame rate; assuming 120 fps (CMU's capture rate; "
              "pass --source-fps)", file=sys.stderr)
    sources = [Source(p, asf if p.suffix.lower() == ".amc" else None, args.source_fps,
                      args.skip_frames) for p in paths]
    if joint_map is not None:
        _check_joint_map(joint_map, args.joint_map, sources)
    configure_jax()  # the persistent compilation cache: later runs skip the IK's compile
    window = ik_convert.IK_WINDOW
    t0 = time.perf_counter()
    # ik.convert's loaders take the map from this block (every source is read in this
    # thread, before the fit)
    with use_joint_map(joint_map):
        rows = convert_sources(sources, args.fps or None, window=window,
                               progress=_Progress(paths, window))
    elapsed = time.perf_counter() - t0
    for row, target in zip(rows, outputs, strict=True):
        with atomic_path(target, "-o") as tmp:
            save_motion(tmp, row.clip, row.below_floor)
    _print_table(rows, outputs, f"phymotion convert -> {out_dir}")
    print(f"converted {len(rows)} files in {elapsed:.1f} s", file=sys.stderr)
    return 0
