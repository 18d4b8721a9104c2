"""`phymotion convert --joint-map MAP.json`: a map converts a BVH whose joint names the
heuristics cannot place; a bad map file stops the command before any work (exit status 2, one
line naming the map file, field `joint-map`); a skeleton that cannot be mapped names the file,
field `joints` and the SMPL joints still missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_skeleton_families import FAMILIES, WEIRD, WEIRD_MAP, write_bvh

from app.cli import main
from physics_jax.motion import load_motion
from physics_jax.sources import SMPL_JOINT_NAMES
from physics_jax.sources.load import skeleton_joint_names


def _error_line(capsys) -> str:
    lines = [x for x in capsys.readouterr().err.splitlines() if x.startswith("error:")]
    assert len(lines) == 1, lines
    return lines[0]


def test_joint_map_converts_a_bvh_the_heuristics_cannot_map(tmp_path: Path, capsys) -> None:
    bvh = tmp_path / "weird.bvh"
    write_bvh(bvh, WEIRD, frames=4)
    map_file = tmp_path / "map.json"
    map_file.write_text(json.dumps(WEIRD_MAP))
    out = tmp_path / "out"
    assert main(["convert", str(bvh), "-o", str(out), "--joint-map", str(map_file)]) == 0
    table = capsys.readouterr().out
    assert "weird.bvh" in table and "weird.npz" in table
    clip = load_motion(out / "weird.npz")
    assert clip.frames == 4 and clip.fps == 30.0


def test_unmappable_skeleton_names_file_field_and_missing_joints(tmp_path: Path,
                                                                capsys) -> None:
    bvh = tmp_path / "weird.bvh"
    write_bvh(bvh, WEIRD)
    assert main(["convert", str(bvh), "-o", str(tmp_path / "out")]) == 2
    line = _error_line(capsys)
    assert line.startswith(f"error: {bvh}: joints: cannot map the skeleton to SMPL's 22 joints")
    missing = ", ".join(n for n in SMPL_JOINT_NAMES if n != "Pelvis")
    assert line.endswith(f"; missing: {missing}")
    assert not (tmp_path / "out").exists()


BAD_MAPS: dict[str, tuple[str | None, str]] = {
    "missing": (None, "file does not exist"),
    "not_json": ("{'L_Knee': 'knee'}", "not JSON (line 1 column 2"),
    "empty_file": ("", "not JSON (line 1 column 1"),
    "list": ('["L_Knee", "knee"]', "expected a JSON object of SMPL joint name -> source "
                                   "joint name, got list"),
    "null": ("null", "got null"),
    "number_value": ('{"L_Knee": 3}', "L_Knee: expected a source joint name (a non-empty "
                                      "string), got 3"),
    "list_value": ('{"L_Knee": ["a"]}', 'got ["a"]'),
    "empty_name": ('{"L_Knee": " "}', 'got " "'),
    "unknown_smpl_joint": ('{"Knee": "mixamorig:LeftLeg"}', "unknown SMPL joint 'Knee' "
                                                            "(SMPL joints: Pelvis, L_Hip"),
    "wrong_case": ('{"l_knee": "mixamorig:LeftLeg"}', "did you mean 'L_Knee'?"),
    "twice": ('{"Head": "mixamorig:Head", "Head": "mixamorig:Neck"}', "'Head' is given twice"),
    "not_in_skeleton": ('{"L_Knee": "mixamorig:LeftLeg", "Head": "Skull"}',
                        "Head -> 'Skull': no such joint in {bvh}"),
}


@pytest.mark.parametrize("case", list(BAD_MAPS))
def test_bad_joint_map_exits_2_before_any_work(tmp_path: Path, capsys, monkeypatch,
                                               case: str) -> None:
    def no_work(*args, **kwargs):
        raise AssertionError("conversion started")

    monkeypatch.setattr("physics_jax.ik.convert.convert_sources", no_work)
    bvh = tmp_path / "mixamo.bvh"
    write_bvh(bvh, FAMILIES["mixamo"])
    text, what = BAD_MAPS[case]
    map_file = tmp_path / "map.json"
    if text is not None:
        map_file.write_text(text)
    out = tmp_path / "out"
    assert main(["convert", str(bvh), "-o", str(out), "--joint-map", str(map_file)]) == 2
    line = _error_line(capsys)
    assert line.startswith(f"error: {map_file}: joint-map: "), line
    assert what.format(bvh=bvh) in line, line
    assert not out.exists()


def test_a_map_file_that_is_a_folder(tmp_path: Path, capsys) -> None:
    bvh = tmp_path / "mixamo.bvh"
    write_bvh(bvh, FAMILIES["mixamo"])
    assert main(["convert", str(bvh), "-o", str(tmp_path / "out"),
                 "--joint-map", str(tmp_path)]) == 2
    assert _error_line(capsys) == f"error: {tmp_path}: joint-map: not a file"


def test_skeleton_joint_names_without_frames(tmp_path: Path) -> None:
    bvh = tmp_path / "weird.bvh"
    write_bvh(bvh, WEIRD)
    names = skeleton_joint_names(bvh)
    assert names is not None and names[0] == "b0" and "r7" in names and "b4_end" in names
    asf = tmp_path / "leg.asf"
    asf.write_text("\n".join([":units", "  length 0.45", ":root", "  order TX TY TZ RX RY RZ",
                              "  axis XYZ", "  position 0 0 0", "  orientation 0 0 0",
                              ":bonedata", "  begin", "    id 1", "    name lfemur",
                              "    direction 0 -1 0", "    length 7", "    axis 0 0 0 XYZ",
                              "    dof rx", "  end", ":hierarchy", "  begin",
                              "    root lfemur", "  end", ""]))
    assert skeleton_joint_names(tmp_path / "x.amc", asf=asf) == ("root", "lfemur", "lfemur_end")
    assert skeleton_joint_names(tmp_path / "x.amc") is None
    assert skeleton_joint_names(tmp_path / "x.npy") is None
