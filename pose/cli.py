"""`phymotion score-video VIDEO...`: recover the motion in video files and score it."""

from __future__ import annotations

import sys
from pathlib import Path

from physics_jax.commands.args import positive_int
from pose.backends import BACKENDS

EXIT_BAD_INPUT = 2


def register(subparsers) -> None:
    """Add the `score-video` subcommand to `phymotion`'s subparsers."""
    p = subparsers.add_parser(
        "score-video", help="score the human motion in video files (pose recovery + IK)",
        description="Recover each video's 3D body motion, fit the humanoid to it and score it "
                    "like `phymotion score`; clips without a usable person are invalid rows.")
    p.add_argument("videos", nargs="+", help="video files (mp4, anything FFmpeg decodes)")
    p.add_argument("--preset", choices=("v2", "phymotion"), default="v2")
    p.add_argument("--backend", choices=BACKENDS, default="mediapipe")
    p.add_argument("--json", dest="json_path", help="write per-clip results to this JSON file")
    p.add_argument("--max-frames", type=positive_int, default=None,
                   help="use at most the first N frames of each video")
    p.add_argument("--max-side", type=positive_int, default=640,
                   help="downscale frames to at most this many pixels on the longer side")
    p.add_argument("--device", choices=("cpu", "gpu"), default=None,
                   help="JAX device for the fit and the scoring")
    p.set_defaults(func=_cmd_score_video)


def print_pose_table(rows: list[dict]) -> None:
    """Pose figures per clip: validity, reason, confidence, fit error, seconds."""
    from rich.console import Console
    from rich.table import Table

    from physics_jax.commands.table import format_number

    table = Table(title="pose recovery")
    for col in ("file", "backend", "pose", "confidence", "fit error (cm)", "seconds", "reason"):
        table.add_column(col, justify="left" if col in ("file", "reason", "pose") else "right")
    for r in rows:
        table.add_row(Path(str(r.get("file"))).name, str(r.get("pose_backend") or ""),
                      "valid" if r.get("pose_valid") else "invalid",
                      format_number(r.get("pose_confidence"), ".2f"),
                      format_number(r.get("fit_error_cm"), ".1f"),
                      format_number(r.get("pose_seconds"), ".1f"), str(r.get("pose_reason") or ""))
    Console().print(table)


def _cmd_score_video(args) -> int:
    from physics_jax.commands.outputs import check_file, write_json
    from physics_jax.commands.table import print_table
    from pose.interface import PoseBackendUnavailable
    from pose.video_scoring import score_videos

    if args.json_path:
        check_file(args.json_path, "--json")

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        scores = score_videos(args.videos, preset=args.preset, backend=args.backend,
                              max_frames=args.max_frames, max_side=args.max_side,
                              device=args.device, progress=progress)
    except PoseBackendUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    rows = scores.rows
    if args.json_path:  # before the tables: the results are kept whatever the printing does
        write_json(args.json_path, rows, "--json")
    print_table(rows, f"phymotion score-video (preset {args.preset}, backend {args.backend})")
    print_pose_table(rows)
    print(f"{len(rows)} clips: pose {scores.pose_seconds:.1f} s, fit {scores.fit_seconds:.1f} s, "
          f"scoring {scores.score_seconds:.1f} s", file=sys.stderr)
    return 0
