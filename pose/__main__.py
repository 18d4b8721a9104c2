"""`python -m pose VIDEO...`: recover motion from video files and print per-clip figures."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from pose.backends import BACKENDS, make_pose_estimator
from pose.summary import format_summary, summarize
from pose.video_io import read_video


def main(argv: Sequence[str] | None = None) -> int:
    """Run one backend on each video in turn; returns 1 if any clip is invalid."""
    parser = argparse.ArgumentParser(prog="python -m pose", description=__doc__)
    parser.add_argument("videos", nargs="+", help="video files")
    parser.add_argument("--backend", choices=BACKENDS, default="mediapipe")
    parser.add_argument("--max-frames", type=int, default=None)
    parser.add_argument("--max-side", type=int, default=960, help="downscale frames (px)")
    args = parser.parse_args(argv)
    options = {"fit_smpl": False} if args.backend == "mediapipe" else {}
    estimator = make_pose_estimator(args.backend, **options)  # joints only
    all_valid = True
    for path in args.videos:
        video = read_video(path, max_frames=args.max_frames, max_side=args.max_side)
        start = time.perf_counter()
        result = estimator(video.frames[None], video.fps)
        elapsed = (time.perf_counter() - start) / video.frames.shape[0]
        summary = summarize(result, 0)
        all_valid &= summary.valid
        print(format_summary(video.path.name, summary, elapsed), flush=True)
    return 0 if all_valid else 1


if __name__ == "__main__":
    raise SystemExit(main())
