"""`phymotion score`: score motion files (npz, AMASS npz, GVHMR .pt) and print their table."""

from __future__ import annotations

import sys
import time

from physics_jax.commands.args import positive_float, positive_int
from physics_jax.commands.table import print_table


def register(subparsers) -> None:
    """Add the `score` subcommand."""
    p = subparsers.add_parser("score", help="score motion files (npz, AMASS npz, GVHMR .pt)")
    p.add_argument("paths", nargs="+", help="motion files or folders")
    p.add_argument("--preset", choices=("v2", "phymotion"), default="v2")
    p.add_argument("--json", dest="json_path", help="write per-clip results to this JSON file")
    p.add_argument("--assume-fps", type=positive_float, default=None,
                   help="use this frame rate for every clip (the published reward assumed 30)")
    p.add_argument("--device", choices=("cpu", "gpu"), default=None)
    p.add_argument("--batch-size", type=positive_int, default=256, help="clips per scorer call")
    p.add_argument("--calibration", metavar="FILE", default=None,
                   help="v2 parameters (a `phymotion calibrate` file; default: the shipped "
                        "calibration)")
    p.add_argument("--measurement", choices=("mocap", "video"), default="mocap",
                   help="what the motion was measured with: video (motion recovered by "
                        "`python -m pose`) widens the tolerances (docs/calibration.md)")
    p.set_defaults(func=_cmd_score)


def load_all(paths: list[str], assume_fps: float | None) -> list:
    """Every motion file under `paths` as an `SmplClip` (a progress bar past 8 files);
    MotionFormatError when there is none or one cannot be read."""
    from physics_jax.errors import MotionFormatError
    from physics_jax.motion import expand_paths, load_motion

    files = expand_paths(paths)
    if not files:
        raise MotionFormatError(" ".join(paths), "paths", "no motion files found")
    clips = []
    progress = None
    if len(files) > 8:
        from tqdm import tqdm

        progress = tqdm(total=len(files), desc="loading", unit="file", file=sys.stderr)
    for f in files:
        clips.append(load_motion(f, assume_fps))
        if progress:
            progress.update()
    if progress:
        progress.close()
    return clips


def _cmd_score(args) -> int:
    from physics_jax.api import score_clips
    from physics_jax.commands.outputs import check_file, write_json

    if args.json_path:
        check_file(args.json_path, "--json")
    params = None
    if args.calibration:
        from physics_jax.calibration.measurement import for_measurement
        from physics_jax.presets.registry import load_params

        params = for_measurement(load_params(args.calibration, args.preset), args.measurement)
    clips = load_all(args.paths, args.assume_fps)
    t0 = time.perf_counter()
    rows = score_clips(clips, preset=args.preset, device=args.device, batch_size=args.batch_size,
                       params=params, measurement=args.measurement)
    elapsed = time.perf_counter() - t0
    if args.json_path:  # before the table: the results are kept whatever the printing does
        write_json(args.json_path, rows, "--json")
    print_table(rows, f"phymotion score (preset {args.preset})")
    print(f"scored {len(rows)} clips in {elapsed:.2f} s", file=sys.stderr)
    return 0
