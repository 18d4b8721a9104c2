"""`phymotion score-video VIDEO...`: recover the motion in video files and score it; with
`--reward NAME:PATH`, also score each file with a perceptual reward (HPSv3, VideoAlign) and
print / write those scores beside the physics axes."""

from __future__ import annotations

import sys
import time
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
                   help="JAX device for the fit and the scoring (and the torch device of the "
                        "perceptual rewards: cpu, else CUDA when available)")
    p.add_argument("--reward", dest="rewards", action="append", default=[],
                   metavar="NAME:PATH",
                   help="also score each video with a perceptual reward from its checkpoint "
                        "folder: video_hpsv3_local:PATH (HPSv3) or video_align:PATH "
                        "(VideoAlign); repeatable (docs/perceptual.md)")
    p.add_argument("--prompt", dest="prompts", action="append", default=[],
                   help="the videos' text prompt, for --reward and the training reward's "
                        "stillness gate: once for every video, or once per video in order "
                        "(default for --reward: each file's name, '_' and '-' as spaces; for "
                        "the gate: none)")
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


def print_perceptual_table(rows: list[dict], names: list[str]) -> None:
    """Perceptual rewards per clip: each reward, then its logged values and reasons."""
    from rich.console import Console
    from rich.table import Table

    from physics_jax.commands.table import SCORE_TABLE_WIDTH, format_number

    table = Table(title="perceptual rewards")
    for col in ("file", "prompt", *names, "details"):
        table.add_column(col, justify="right" if col in names else "left")
    for r in rows:
        scores = r.get("perceptual") or {}
        cells, details = [], []
        for name in names:
            entry = scores.get(name) or {}
            cells.append(format_number(entry.get("reward"), ".3f") if entry.get("valid")
                         else "invalid")
            extra = [f"{k} {format_number(v, '.3g')}" for k, v in entry.items()
                     if k not in ("reward", "valid", "reason")]
            if entry.get("reason"):
                extra.append(str(entry["reason"]))
            if extra:
                details.append(f"{name}: " + ", ".join(extra))
        table.add_row(Path(str(r.get("file"))).name, str(r.get("prompt") or ""), *cells,
                      "; ".join(details))
    Console(width=SCORE_TABLE_WIDTH).print(table)


def _prompts_for(files: list[str], prompts: list[str]) -> list[str]:
    """One prompt per file (see --prompt); ValueError naming --prompt on a count mismatch."""
    from perceptual.video_files import default_prompt

    if not prompts:
        return [default_prompt(f) for f in files]
    if len(prompts) == 1:
        return prompts * len(files)
    if len(prompts) != len(files):
        raise ValueError(f"--prompt: given {len(prompts)} times for {len(files)} videos; give "
                         "it once or once per video")
    return list(prompts)


def _load_perceptual(args):
    """(rewards, prompts, torch device) for --reward, or None; ValueError / CheckpointError /
    ImportError with a message for the `error:` line."""
    if not args.rewards:
        return None
    import torch

    prompts = _prompts_for(args.videos, args.prompts)
    try:
        from perceptual.video_files import load_rewards
    except ImportError as exc:
        raise ImportError(f"--reward needs the perceptual rewards' dependencies: {exc}") from exc
    device = "cuda" if args.device != "cpu" and torch.cuda.is_available() else "cpu"
    return load_rewards(args.rewards, device), prompts, device


def _cmd_score_video(args) -> int:
    from physics_jax.commands.outputs import check_file, write_json
    from physics_jax.commands.table import print_table
    from pose.interface import PoseBackendUnavailable
    from pose.video_scoring import score_videos

    if args.json_path:
        check_file(args.json_path, "--json")
    try:
        gate_prompts = _prompts_for(args.videos, args.prompts) if args.prompts else None
        perceptual = _load_perceptual(args)  # a bad checkpoint folder stops before pose work
    except (ValueError, ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RuntimeError as exc:  # CheckpointError: names the folder and the files or keys
        from perceptual.loading import CheckpointError

        if not isinstance(exc, CheckpointError):
            raise
        print(f"error: --reward: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        scores = score_videos(args.videos, preset=args.preset, backend=args.backend,
                              max_frames=args.max_frames, max_side=args.max_side,
                              device=args.device, progress=progress, prompts=gate_prompts)
    except PoseBackendUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    rows = scores.rows
    if perceptual is not None:
        import torch

        from perceptual.video_files import MAX_SIDE, perceptual_rows
        from pose.video_io import decode_frames

        rewards, prompts, device = perceptual
        start = time.perf_counter()
        decoded = (decode_frames(p, max_frames=args.max_frames, max_side=MAX_SIDE)
                   for p in args.videos)
        clips = ((torch.from_numpy(f).permute(0, 3, 1, 2), fps) for f, fps in decoded)
        entries = perceptual_rows(clips, prompts, rewards, device)
        for row, prompt, entry in zip(rows, prompts, entries, strict=True):
            row["prompt"] = prompt
            row["perceptual"] = entry
        progress(f"perceptual rewards ({', '.join(rewards)}): "
                 f"{time.perf_counter() - start:.1f} s")
    if args.json_path:  # before the tables: the results are kept whatever the printing does
        write_json(args.json_path, rows, "--json")
    print_table(rows, f"phymotion score-video (preset {args.preset}, backend {args.backend})")
    print_pose_table(rows)
    if perceptual is not None:
        print_perceptual_table(rows, list(perceptual[0]))
    print(f"{len(rows)} clips: pose {scores.pose_seconds:.1f} s, fit {scores.fit_seconds:.1f} s, "
          f"scoring {scores.score_seconds:.1f} s", file=sys.stderr)
    return 0
