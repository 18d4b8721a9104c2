"""`phymotion render` (MuJoCo replay to mp4) and `phymotion report` (HTML scores + timelines)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from physics_jax.commands.args import non_negative_int, positive_float
from physics_jax.viz.headless import select_backend

select_backend()  # MUJOCO_GL before mujoco is imported (osmesa unless set)

PRESETS = ("v2",)  # the per-frame signals are those of the v2 preset
REPORT_THUMB = (160, 120)  # key-frame thumbnails, pixels
EXIT_RENDER_FAILED = 1


def _size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 16 or value > 4096 or value % 2:
        raise argparse.ArgumentTypeError(f"{value}: must be an even number of pixels, 16..4096")
    return value


def _suffix(suffix: str):
    def check(text: str) -> Path:
        path = Path(text)
        if path.suffix.lower() != suffix:
            raise argparse.ArgumentTypeError(f"{text}: the output must be a {suffix} file")
        return path
    return check


def register(subparsers) -> None:
    """Add the `render` and `report` subcommands."""
    p = subparsers.add_parser("render", help="replay a clip on the humanoid in MuJoCo -> mp4")
    p.add_argument("clip", help="motion file (npz, AMASS npz, GVHMR .pt)")
    p.add_argument("-o", "--output", required=True, type=_suffix(".mp4"), help="mp4 to write")
    p.add_argument("--preset", choices=PRESETS, default="v2")
    p.add_argument("--width", type=_size, default=640, help="pixels (even)")
    p.add_argument("--height", type=_size, default=480, help="pixels (even)")
    p.add_argument("--fps", type=positive_float, default=None,
                   help="video frame rate (default: the clip's; plays in real time)")
    p.add_argument("--assume-fps", type=positive_float, default=None,
                   help="frame rate for clips that store none (GVHMR)")
    p.set_defaults(func=_cmd_render)

    r = subparsers.add_parser("report", help="HTML report: scores and per-frame timelines")
    r.add_argument("clips", nargs="+", help="motion files or folders")
    r.add_argument("-o", "--output", required=True, type=_suffix(".html"), help="html to write")
    r.add_argument("--preset", choices=PRESETS, default="v2")
    r.add_argument("--key-frames", type=non_negative_int, default=5,
                   help="rendered key frames per clip (0: none)")
    r.add_argument("--assume-fps", type=positive_float, default=None,
                   help="frame rate for clips that store none (GVHMR)")
    r.set_defaults(func=_cmd_report)


def _load(paths: list[str], assume_fps: float | None) -> list:
    from physics_jax.errors import MotionFormatError
    from physics_jax.motion import expand_paths, load_motion

    files = expand_paths(paths)
    if not files:
        raise MotionFormatError(" ".join(paths), "paths", "no motion files found")
    return [load_motion(f, assume_fps) for f in files]


def _cmd_render(args) -> int:
    from tqdm import tqdm

    from physics_jax.commands.outputs import atomic_path, check_file
    from physics_jax.jax_setup import configure_jax
    from physics_jax.viz.headless import RenderUnavailable
    from physics_jax.viz.scene import ClipRenderer, playback_indices
    from physics_jax.viz.timeline import analyse_clips
    from physics_jax.viz.video import Mp4Writer

    check_file(args.output, "-o")
    (clip,) = _load([args.clip], args.assume_fps)
    try:  # before the analysis: fail fast when there is no OpenGL
        renderer = ClipRenderer(args.width, args.height)
    except RenderUnavailable as exc:
        print(f"error: rendering unavailable: {exc}", file=sys.stderr)
        return EXIT_RENDER_FAILED
    configure_jax()
    chunk = 32
    with renderer:
        (row,), (tl,) = analyse_clips([clip])
        fps = args.fps or tl.fps
        idx = playback_indices(tl.frames, tl.fps, fps)
        with atomic_path(args.output, "-o") as tmp, Mp4Writer(
                tmp, fps, args.width, args.height) as writer, tqdm(
                total=len(idx), desc="rendering", unit="frame", file=sys.stderr,
                disable=len(idx) < 2 * chunk) as bar:
            for start in range(0, len(idx), chunk):
                writer.write(renderer.render(tl, idx[start:start + chunk]))
                bar.update(min(chunk, len(idx) - start))
    reward = "invalid" if row["reward"] is None else f"reward {row['reward']:.3f}"
    print(f"wrote {args.output}: {writer.frames} frames, {args.width}x{args.height} at "
          f"{fps:g} fps ({reward})")
    return 0


def _key_frame_strips(timelines: list, count: int) -> tuple[list, list[str]]:
    """PNG strips of `count` evenly spaced frames per clip, or None with the reason."""
    import numpy as np

    from physics_jax.viz.headless import RenderUnavailable
    from physics_jax.viz.report import frames_strip_png
    from physics_jax.viz.scene import ClipRenderer

    if count <= 0:
        return [None] * len(timelines), [""] * len(timelines)
    try:
        renderer = ClipRenderer(*REPORT_THUMB)
    except RenderUnavailable as exc:
        return [None] * len(timelines), [f"key frames not rendered: {exc}"] * len(timelines)
    strips, notes = [], []
    with renderer:
        for tl in timelines:
            idx = np.unique(np.linspace(0, tl.frames - 1, count).round().astype(int))
            strips.append(frames_strip_png(renderer.render(tl, idx)))
            notes.append("key frames at t = " + ", ".join(f"{i / tl.fps:.2f}" for i in idx)
                         + " s")
    return strips, notes


def _cmd_report(args) -> int:
    from physics_jax.commands.outputs import check_file, write_text
    from physics_jax.commands.table import print_table
    from physics_jax.jax_setup import configure_jax
    from physics_jax.viz.report import report_html
    from physics_jax.viz.timeline import analyse_clips

    check_file(args.output, "-o")
    clips = _load(args.clips, args.assume_fps)
    configure_jax()
    rows, timelines = analyse_clips(clips)
    strips, notes = _key_frame_strips(timelines, args.key_frames)
    title = f"phymotion report (preset {args.preset}, {len(rows)} clips)"
    write_text(args.output, report_html(rows, timelines, strips, notes, title), "-o")
    print_table(rows, title)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0
