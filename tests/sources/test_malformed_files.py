"""Broken BVH / ASF / AMC files raise MotionFormatError naming the file and the line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from motion_data import CMU, needs_data

from physics_jax.sources import MotionFormatError, load_joint_motion, parse_amc, parse_asf
from physics_jax.sources.bvh import parse_bvh

BVH = CMU / "bvh" / "16_15.bvh"  # MOTION on line 175, Frames 176, data lines 178-648
ASF = CMU / "asf_amc" / "16.asf"  # ltibia block: name on line 38, length on line 40
AMC = CMU / "asf_amc" / "16_15.amc"  # frame k starts on line 4 + 30 (k - 1); 14133 lines


def _edit(src: Path, dst: Path, change: Callable[[list[str]], list[str]]) -> Path:
    lines = src.read_text().splitlines()
    dst.write_text("\n".join(change(lines)) + "\n")
    return dst


def _replace_line(n: int, old: str, new: str) -> Callable[[list[str]], list[str]]:
    def change(lines: list[str]) -> list[str]:
        assert old in lines[n - 1]
        lines[n - 1] = lines[n - 1].replace(old, new, 1)
        return lines
    return change


def _replace_token(n: int, k: int, new: str) -> Callable[[list[str]], list[str]]:
    def change(lines: list[str]) -> list[str]:
        tokens = lines[n - 1].split()
        tokens[k] = new
        lines[n - 1] = " ".join(tokens)
        return lines
    return change


def _raises(path: Path, where: str, what: str, reader: Callable[[Path], object]) -> None:
    with pytest.raises(MotionFormatError) as info:
        reader(path)
    assert str(info.value).startswith(f"{path}: {where}: ")
    assert what in str(info.value)
    assert info.value.path == str(path) and info.value.field == where


BVH_CASES = {
    "truncated": (lambda ls: ls[:-10], "line 176",
                  "Frames: 471 but the file has 461 data lines (truncated)"),
    "cut_mid_line": (lambda ls: ls[:-1] + [" ".join(ls[-1].split()[:45])], "line 648",
                     "45 values, expected 90"),
    "extra_channel_name": (_replace_line(9, "CHANNELS 3", "CHANNELS 2"), "line 9",
                           "CHANNELS says 2 but lists more channel names"),
    "missing_channel_name": (_replace_line(9, "CHANNELS 3", "CHANNELS 4"), "line 9",
                             "CHANNELS says 4 but lists 3 channel names"),
    "garbage_number": (_replace_token(200, 7, "1.2.3"), "line 200", "not a number: '1.2.3'"),
    "nan": (_replace_token(300, 0, "nan"), "line 300", "non-finite value: 'nan'"),
    "bad_offset": (_replace_line(4, "6.939", "6,939"), "line 4", "not a number: '6,939'"),
    "no_motion": (lambda ls: ls[:174], "MOTION", "no MOTION section"),
    "zero_frame_time": (_replace_line(177, "0.00833333", "0"), "line 177",
                        "Frame Time must be positive"),
    "unknown_keyword": (_replace_line(8, "OFFSET", "OFFSTE"), "line 8", "unexpected 'OFFSTE'"),
    "unknown_skeleton": (lambda ls: [s.replace("lfemur", "thigh") for s in ls], "joints",
                         "match no known skeleton (closest: cmu_asf, missing lfemur); "
                         "missing: L_Hip"),
}


@needs_data
@pytest.mark.parametrize("case", list(BVH_CASES))
def test_broken_bvh(tmp_path: Path, case: str) -> None:
    change, where, what = BVH_CASES[case]
    path = _edit(BVH, tmp_path / f"{case}.bvh", change)
    _raises(path, where, what, load_joint_motion)


AMC_CASES = {
    "truncated_in_frame": (lambda ls: ls[:14110], "line 14104", "frame 471 lacks"),
    "garbage_number": (_replace_token(10, 2, "abc"), "line 10", "not a number: 'abc'"),
    "wrong_dof_count": (_replace_line(31, "ltibia ", "ltibia 1 "), "line 31",
                        "bone 'ltibia': 2 values, the ASF gives it 1 dof"),
    "bone_without_dof": (lambda ls: ls[:6] + ["lhipjoint 0"] + ls[6:], "line 7",
                         "bone 'lhipjoint' has no dof in the ASF"),
    "unknown_bone": (_replace_line(31, "ltibia", "lshin"), "line 31",
                     "bone 'lshin' is not a bone of the ASF"),
    "skipped_frame": (_replace_line(64, "3", "4"), "line 64", "frame 4 follows frame 2"),
    "repeated_bone": (lambda ls: ls[:31] + ["ltibia 1"] + ls[32:], "line 32",
                      "bone 'ltibia' twice in frame 1"),
}


@needs_data
@pytest.mark.parametrize("case", list(AMC_CASES))
def test_broken_amc(tmp_path: Path, case: str) -> None:
    change, where, what = AMC_CASES[case]
    path = _edit(AMC, tmp_path / f"{case}.amc", change)
    _raises(path, where, what, lambda p: load_joint_motion(p, asf=ASF, fps=120))


ASF_CASES = {
    "no_length": (lambda ls: ls[:39] + ls[40:], "line 36", "bone block has no 'length'"),
    "bad_length": (_replace_line(40, "7.78223", "seven"), "line 40", "not a number: 'seven'"),
    "unknown_child": (_replace_line(314, "lowerback", "lowerbak"), "line 314",
                      "hierarchy names unknown bone 'lowerbak'"),
    "bad_dof": (_replace_line(42, "dof rx", "dof rx tx"), "line 42", "unsupported dof"),
    "bad_axis_order": (_replace_line(41, "XYZ", "XXZ"), "line 41", "axis order 'XXZ'"),
}


@needs_data
@pytest.mark.parametrize("case", list(ASF_CASES))
def test_broken_asf(tmp_path: Path, case: str) -> None:
    change, where, what = ASF_CASES[case]
    path = _edit(ASF, tmp_path / f"{case}.asf", change)
    _raises(path, where, what, parse_asf)
    with pytest.raises(MotionFormatError, match=rf"{case}\.asf: "):
        load_joint_motion(AMC, asf=path, fps=120)


def test_binary_and_empty_files(tmp_path: Path) -> None:
    (tmp_path / "bin.bvh").write_bytes(b"\x00\x01HIERARCHY")
    _raises(tmp_path / "bin.bvh", "file", "binary data", parse_bvh)
    (tmp_path / "empty.bvh").write_text("")
    _raises(tmp_path / "empty.bvh", "MOTION", "no MOTION section", parse_bvh)
    (tmp_path / "h.bvh").write_text("HIERARCHY\nROOT hips\n{\nMOTION\nFrames: 1\n")
    _raises(tmp_path / "h.bvh", "line 3", "HIERARCHY ends early", parse_bvh)


@needs_data
def test_amc_against_mismatched_asf(tmp_path: Path) -> None:
    asf_text = "\n".join([":units", "  length 0.45", ":bonedata", "  begin", "    name lfemur",
                          "    direction 0 -1 0", "    length 7", "    dof rx", "  end",
                          ":hierarchy", "  begin", "    root lfemur", "  end", ""])
    (tmp_path / "leg.asf").write_text(asf_text)
    skeleton = parse_asf(tmp_path / "leg.asf")
    # 16_15's line 5 is the root, line 6 lowerback: not a bone of this one-bone skeleton
    _raises(AMC, "line 6", f"bone 'lowerback' is not a bone of the ASF ({tmp_path / 'leg.asf'})",
            lambda p: parse_amc(p, skeleton))
