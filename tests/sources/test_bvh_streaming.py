"""BVH files of any depth and length: the hierarchy is read without recursion, the frames in
chunks (the same numbers whatever the chunk and block sizes, memory near the result's size)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from motion_data import SMPL_DIR, needs_data
from scipy.spatial.transform import Rotation

from app.cli import main
from physics_jax.sources import bvh as bvh_module
from physics_jax.sources import load_bvh, parse_bvh
from physics_jax.sources.errors import MotionFormatError
from physics_jax.sources.rotations import euler_to_quat

TEMPLATE = SMPL_DIR / "aistpp_gBR_sBM_cAll_d04_mBR0_ch01_smpl22_template_m.bvh"


def _chain_bvh(path: Path, depth: int, frames: int = 3) -> Path:
    """A BVH whose root has a chain of `depth` nested joints."""
    lines = ["HIERARCHY", "ROOT Hips", "{", "OFFSET 0 0 0",
             "CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation"]
    for i in range(depth):
        lines += [f"JOINT j{i}", "{", "OFFSET 0 1 0", "CHANNELS 3 Zrotation Xrotation Yrotation"]
    lines += ["End Site", "{", "OFFSET 0 1 0", "}", *["}"] * (depth + 1)]
    lines += ["MOTION", f"Frames: {frames}", "Frame Time: 0.0333333"]
    lines += [" ".join(["0"] * (6 + 3 * depth))] * frames
    path.write_text("\n".join(lines) + "\n")
    return path


def test_deeply_nested_hierarchy_parses(tmp_path: Path) -> None:
    motion = parse_bvh(_chain_bvh(tmp_path / "deep.bvh", 3000))
    assert motion.skeleton.n_joints == 3002 and motion.n_frames == 3
    assert motion.skeleton.parents[-2] == 2999  # the last joint's parent is the one before


def test_deeply_nested_hierarchy_converts_to_one_error_line(tmp_path: Path, capsys) -> None:
    deep = _chain_bvh(tmp_path / "deep.bvh", 3000)
    assert main(["convert", str(deep), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [x for x in err.splitlines() if x.startswith("error:")]
    assert len(lines) == 1 and lines[0].startswith(f"error: {deep}: joints: ")
    assert not (tmp_path / "out").exists()


def test_unclosed_deep_hierarchy_names_the_line(tmp_path: Path) -> None:
    path = _chain_bvh(tmp_path / "open.bvh", 50)
    text = path.read_text().replace("}\n}\nMOTION", "}\nMOTION")  # one brace missing
    path.write_text(text)
    with pytest.raises(MotionFormatError, match="HIERARCHY ends early"):
        parse_bvh(path)


def _mixed_endings(path: Path, src: Path) -> Path:
    """`src` with its lines ended alternately by LF, CRLF and CR."""
    ends = (b"\n", b"\r\n", b"\r")
    lines = src.read_bytes().splitlines()
    path.write_bytes(b"".join(line + ends[i % 3] for i, line in enumerate(lines)))
    return path


@needs_data
def test_chunk_and_block_sizes_do_not_change_the_numbers(tmp_path: Path, monkeypatch) -> None:
    mixed = _mixed_endings(tmp_path / "mixed.bvh", TEMPLATE)
    whole = parse_bvh(TEMPLATE)
    whole_joints = load_bvh(TEMPLATE).positions
    monkeypatch.setattr(bvh_module, "READ_BLOCK", 97)  # bytes: blocks end mid-line
    monkeypatch.setattr(bvh_module, "FRAME_CHUNK", 7)
    small = parse_bvh(mixed)
    np.testing.assert_array_equal(small.rotations, whole.rotations)
    np.testing.assert_array_equal(small.translations, whole.translations)
    assert small.skeleton.names == whole.skeleton.names and small.fps == whole.fps
    np.testing.assert_array_equal(load_bvh(mixed).positions, whole_joints)


@needs_data
def test_errors_name_the_line_with_small_blocks(tmp_path: Path, monkeypatch) -> None:
    lines = TEMPLATE.read_text().splitlines()
    motion_at = lines.index("MOTION")
    bad = motion_at + 1 + 3 + 40  # 1-based number of the 41st data line
    tokens = lines[bad - 1].split()
    tokens[5] = "1.2.3"
    lines[bad - 1] = " ".join(tokens)
    path = tmp_path / "bad.bvh"
    path.write_text("\r\n".join(lines) + "\r\n")
    monkeypatch.setattr(bvh_module, "READ_BLOCK", 61)
    monkeypatch.setattr(bvh_module, "FRAME_CHUNK", 4)
    with pytest.raises(MotionFormatError, match=rf"bad.bvh: line {bad}: not a number: '1.2.3'"):
        load_bvh(path)


@needs_data
def test_long_file_is_read_in_bounded_memory(tmp_path: Path, monkeypatch) -> None:
    lines = TEMPLATE.read_text().splitlines()
    motion_at = lines.index("MOTION")
    head, data = lines[:motion_at + 1], [x for x in lines[motion_at + 3:] if x.strip()]
    frames = 12000
    path = tmp_path / "long.bvh"
    with path.open("w") as f:
        f.write("\n".join(head) + f"\nFrames: {frames}\n{lines[motion_at + 2]}\n")
        loop = data + data[::-1]
        f.writelines(loop[i % len(loop)] + "\n" for i in range(frames))
    monkeypatch.setattr(bvh_module, "FRAME_CHUNK", 64)  # working memory: a chunk, a block
    monkeypatch.setattr(bvh_module, "READ_BLOCK", 1 << 16)
    tracemalloc.start()
    try:
        motion = load_bvh(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    result = motion.positions.nbytes  # 6.3 MB
    assert motion.n_frames == frames
    # the memory is the result's and a chunk's; reading everything at once held the file's
    # text, every token and (T, J, 3, 3) matrices: over 20 times the result
    assert peak < 1.5 * result, f"peak {peak / 1e6:.1f} MB for a {result / 1e6:.1f} MB result"


@needs_data
def test_frames_header_larger_than_the_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "short.bvh"
    lines = TEMPLATE.read_text().splitlines()
    frames_line = lines.index("MOTION") + 2
    lines[frames_line - 1] = "Frames: 999999999999"  # no memory is set aside for these
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(MotionFormatError, match=rf"line {frames_line}: Frames: 999999999999 but "
                                                "the file has 720 data lines"):
        load_bvh(path)


@pytest.mark.parametrize("order", ["ZXY", "XYZ", "YZX", "zxy", "xyz", "ZY", "x", ""])
def test_euler_to_quat_matches_scipy(order: str) -> None:
    angles = np.random.default_rng(0).uniform(-400, 400, (200, len(order)))
    ours = euler_to_quat(angles, order, degrees=True)
    if not order:
        np.testing.assert_array_equal(ours, np.tile([1.0, 0, 0, 0], (200, 1)))
        return
    ref = Rotation.from_euler(order, angles, degrees=True).as_quat(scalar_first=True)
    np.testing.assert_allclose(ours, ref, atol=1e-12)
