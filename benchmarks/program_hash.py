"""Hash of the scorer's lowered program (StableHLO, source locations removed) at given shapes.

Two source trees whose hashes agree at a shape compile to the same program there, so their
throughput at that shape can differ only by run-to-run noise. Lowering needs no accelerator:

    PYTHONPATH=TREE JAX_PLATFORMS=cpu python benchmarks/program_hash.py \\
        --shapes v2:1024x48,v2:4096x128,phymotion:1024x48
"""

from __future__ import annotations

import argparse
import hashlib
import re

import jax
import jax.numpy as jnp

from physics_jax.jax_setup import configure_jax
from physics_jax.pipeline import FRAME_WIDTH, BatchScorer, ScorerConfig


def program_hash(preset: str, clips: int, frames: int) -> str:
    """sha256 (16 hex digits) of the packed-buffer program (`BatchScorer.packed_buffer`, what
    `bridge.PhysicsReward` runs) for (clips, frames), float32."""
    scorer = BatchScorer(ScorerConfig(preset=preset))
    buf = jax.ShapeDtypeStruct((clips, frames * FRAME_WIDTH + 2), jnp.float32)
    text = scorer._jit_buffer.lower(scorer.params, buf).as_text(debug_info=False)
    return hashlib.sha256(re.sub(r"loc\([^)]*\)", "", text).encode()).hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shapes", default="v2:1024x48,v2:4096x128",
                        help="PRESET:BxT comma list, T the padded (bucket) frames "
                             "(default: %(default)s)")
    args = parser.parse_args()
    configure_jax()
    for spec in args.shapes.split(","):
        preset, shape = spec.split(":")
        b, t = (int(v) for v in shape.split("x"))
        print(f"{preset} {b}x{t} {program_hash(preset, b, t)}")


if __name__ == "__main__":
    main()
