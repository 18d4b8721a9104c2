"""Rebuild the calibration corpus (data/corpus/manifest.csv and the clips in the cache).

    .venv/bin/python scripts/build_corpus.py [--cache DIR] [--mirrors DIR] [--take ID ...]

Source files are read from `<cache>/<owner>+<repo>/<path>`, or copied there from fetched bare
git mirrors `<mirrors>/<owner>+<repo>/repo` (each take's commit); CMU skeletons come from
../shared/data/cmu. Clips are written to `<cache>/clips/` (fetched data is not committed; see
docs/corpus.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=REPO / ".cache" / "corpus",
                        help="folder of source files and of the rebuilt clips")
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"),
                        help="folder of fetched git mirrors (<owner>+<repo>/repo)")
    parser.add_argument("--take", action="append", default=None,
                        help="rebuild only this take (repeatable)")
    parser.add_argument("--batch", type=int, default=8, help="takes fitted together")
    args = parser.parse_args(argv)
    from physics_jax.validation.corpus import build

    rows = build(args.cache, args.mirrors, batch_size=args.batch,
                 only=set(args.take) if args.take else None)
    print(f"{len(rows)} takes in the manifest")
    return 0


if __name__ == "__main__":
    sys.exit(main())
