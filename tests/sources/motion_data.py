"""Shared-data locations and once-per-session parses for the loader tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from physics_jax.sources import AsfSkeleton, BvhMotion, parse_asf, parse_bvh

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CMU = DATA / "cmu"
SMPL_DIR = DATA / "smpl_skeleton"
AIST = "aistpp_gBR_sBM_cAll_d04_mBR0_ch01"

needs_data = pytest.mark.skipif(not CMU.is_dir(), reason=f"shared motion data absent: {DATA}")


@cache
def bvh(path: Path) -> BvhMotion:
    """A BVH file parsed once per test session."""
    return parse_bvh(path)


@cache
def asf(path: Path) -> AsfSkeleton:
    """An ASF file parsed once per test session."""
    return parse_asf(path)
