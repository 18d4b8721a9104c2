"""Bad command lines and unusable outputs stop every subcommand before any work, with exit
status 2 and one `error:` line naming the flag or file; outputs are written atomically; missing
or non-finite sub-scores do not stop `score` from printing its table and writing its JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from app.cli import build_parser, main
from physics_jax import api
from physics_jax.commands.table import print_table
from physics_jax.errors import MotionFormatError
from physics_jax.ik import convert as ik_convert
from physics_jax.motion import load_motion, save_motion
from physics_jax.synthetic import synthetic_clip

SAMPLE = Path(__file__).resolve().parents[1] / "physics_jax" / "samples" / "cmu" / "02_01.npz"


def _commands() -> set[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return set(sub.choices)


COMMANDS = _commands()


def _one_error(capsys) -> str:
    """The one `error:` line on stderr (and no traceback)."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [x for x in err.splitlines() if x.startswith("error:")]
    assert len(lines) == 1, err
    return lines[0]


def _exit_code(argv: list[str]) -> int:
    """main(argv)'s exit status, whether returned or raised by the argument parser."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def _no_work(*args, **kwargs):
    raise AssertionError("the work started although an output is unusable")


BAD_COUNTS = [
    (["score", "x.npz"], "--batch-size", "0"),
    (["score", "x.npz"], "--batch-size", "-1"),
    (["score", "x.npz"], "--batch-size", "many"),
    (["score", "x.npz"], "--assume-fps", "0"),
    (["score", "x.npz"], "--assume-fps", "nan"),
    (["convert", "x.bvh", "-o", "out"], "--skip-frames", "-1"),
    (["convert", "x.bvh", "-o", "out"], "--fps", "-30"),
    (["convert", "x.bvh", "-o", "out"], "--source-fps", "0"),
    (["validate"], "--batch-size", "0"),
    (["validate"], "--seed", "-1"),
    (["validate"], "--window", "-2"),
    (["report", "x.npz", "-o", "r.html"], "--key-frames", "-1"),
    (["render", "x.npz", "-o", "r.mp4"], "--fps", "0"),
    (["score-video", "x.mp4"], "--max-frames", "0"),
    (["score-video", "x.mp4"], "--max-side", "-640"),
    (["validate-video", "x.mp4"], "--frames", "0"),
    (["validate-video", "x.mp4"], "--start", "-1"),
    (["validate-video", "x.mp4"], "--seed", "-1"),
    (["validate-video", "x.mp4"], "--workers", "0"),
]


@pytest.mark.parametrize("argv, flag, value", BAD_COUNTS,
                         ids=[f"{a[0]}{f}={v}" for a, f, v in BAD_COUNTS])
def test_bad_counts_exit_2_naming_the_flag(argv, flag, value, capsys) -> None:
    if argv[0] not in COMMANDS:
        pytest.skip(f"{argv[0]} needs an optional dependency that is not installed")
    assert _exit_code([*argv, flag, value]) == 2
    assert _one_error(capsys).startswith(f"error: {flag}: ")


def test_score_json_folder_or_under_a_file_stops_before_scoring(tmp_path, capsys,
                                                                monkeypatch) -> None:
    monkeypatch.setattr(api, "score_clips", _no_work)
    folder = tmp_path / "scores.json"
    folder.mkdir()
    assert main(["score", str(SAMPLE), "--json", str(folder)]) == 2
    assert _one_error(capsys) == f"error: {folder}: --json: is a folder, expected a file"
    plain = tmp_path / "plain"
    plain.write_text("")
    under = plain / "scores.json"
    assert main(["score", str(SAMPLE), "--json", str(under)]) == 2
    assert _one_error(capsys) == f"error: {under}: --json: {plain} is not a folder"


def test_score_json_in_read_only_folder(tmp_path, capsys, monkeypatch) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("permissions are not enforced for this user (root)")
        monkeypatch.setattr(api, "score_clips", _no_work)
        target = folder / "sub" / "scores.json"
        assert main(["score", str(SAMPLE), "--json", str(target)]) == 2
        assert _one_error(capsys) == f"error: {target}: --json: folder {folder} is not writable"
    finally:
        folder.chmod(0o700)


def _row(sub_value, sub_score=0.5, reward=0.5) -> dict:
    """A valid score row whose contact/slip value and score are the given ones."""
    row = {"file": "clips/odd.npz", "preset": "v2", "fps": 30.0, "frames": 30, "valid": True,
           "reason": None, "kinematic_source": "humanoid", "reward": reward}
    for axis in ("kinematic", "contact", "dynamic"):
        row[axis] = {"score": 0.9, "term": {"score": 0.9, "value": 1.0, "unit": "m"}}
    row["contact"]["slip"] = {"score": sub_score, "value": sub_value, "unit": "m/s",
                              "drift": None}
    return row


ODD_ROWS = [
    _row(None),
    _row(float("nan"), sub_score=float("nan")),
    _row(float("inf"), sub_score=None, reward=None),
    {"file": "clips/bad.npz", "preset": "v2", "fps": None, "frames": 3, "valid": False,
     "reason": None, "reward": None, "kinematic": {"score": None}},
]


def test_table_prints_missing_and_non_finite_values_as_dash(capsys) -> None:
    print_table(ODD_ROWS, "odd")
    out = capsys.readouterr().out
    assert "odd.npz" in out and "bad.npz" in out and "invalid" in out
    assert "slip - m/s (drift -)" in out


def test_score_writes_json_with_missing_values(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(api, "score_clips", lambda clips, **kw: [dict(r) for r in ODD_ROWS])
    target = tmp_path / "scores.json"
    assert main(["score", str(SAMPLE), "--json", str(target)]) == 0
    rows = json.loads(target.read_text())  # strict JSON: NaN and infinity became null
    assert rows[1]["contact"]["slip"]["value"] is None
    assert rows[2]["reward"] is None and rows[3]["valid"] is False
    assert "odd.npz" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.json"]  # no temporary left


def _stand(path: Path) -> Path:
    save_motion(path, synthetic_clip("stand", frames=31, fps=60.0))
    return path


def test_convert_output_is_a_file_stops_before_work(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(ik_convert, "convert_sources", _no_work)
    src = _stand(tmp_path / "stand.npz")
    out = tmp_path / "out"
    out.write_text("")
    assert main(["convert", str(src), "-o", str(out)]) == 2
    assert _one_error(capsys) == f"error: {out}: -o: is a file, expected a folder"


def test_convert_refuses_existing_outputs_without_overwrite(tmp_path, capsys) -> None:
    src = _stand(tmp_path / "stand.npz")
    out = tmp_path / "out"
    out.mkdir()
    target = out / "stand.npz"
    target.write_bytes(b"earlier work")
    assert main(["convert", str(src), "-o", str(out)]) == 2
    assert _one_error(capsys) == (f"error: {target}: -o: exists (pass --overwrite to "
                                  "replace it)")
    assert target.read_bytes() == b"earlier work"
    assert main(["convert", str(src), "-o", str(out), "--overwrite"]) == 0
    assert load_motion(target).frames == 16
    assert sorted(p.name for p in out.iterdir()) == ["stand.npz"]


def test_report_output_under_a_file_stops_before_work(tmp_path, capsys, monkeypatch) -> None:
    if "report" not in COMMANDS:
        pytest.skip("report needs an optional dependency that is not installed")
    from physics_jax.viz import timeline

    monkeypatch.setattr(timeline, "analyse_clips", _no_work)
    plain = tmp_path / "plain"
    plain.write_text("")
    target = plain / "report.html"
    assert main(["report", str(SAMPLE), "-o", str(target)]) == 2
    assert _one_error(capsys) == f"error: {target}: -o: {plain} is not a folder"


def test_render_output_is_a_folder_stops_before_work(tmp_path, capsys, monkeypatch) -> None:
    if "render" not in COMMANDS:
        pytest.skip("render needs an optional dependency that is not installed")
    from physics_jax.viz import timeline

    monkeypatch.setattr(timeline, "analyse_clips", _no_work)
    folder = tmp_path / "clip.mp4"
    folder.mkdir()
    assert main(["render", str(SAMPLE), "-o", str(folder)]) == 2
    assert _one_error(capsys) == f"error: {folder}: -o: is a folder, expected a file"


def test_validate_report_folder_is_a_file_stops_before_work(tmp_path, capsys,
                                                            monkeypatch) -> None:
    pytest.importorskip("matplotlib")
    from physics_jax.validation import dataset

    monkeypatch.setattr(dataset, "load_real", _no_work)
    out = tmp_path / "report"
    out.write_text("")
    assert main(["validate", str(SAMPLE), "--out", str(out)]) == 2
    assert _one_error(capsys) == f"error: {out}: --out: is a file, expected a folder"


def test_score_video_json_folder_stops_before_work(tmp_path, capsys, monkeypatch) -> None:
    if "score-video" not in COMMANDS:
        pytest.skip("score-video needs an optional dependency that is not installed")
    from pose import video_scoring

    monkeypatch.setattr(video_scoring, "score_videos", _no_work)
    folder = tmp_path / "scores.json"
    folder.mkdir()
    assert main(["score-video", str(tmp_path / "clip.mp4"), "--json", str(folder)]) == 2
    assert _one_error(capsys) == f"error: {folder}: --json: is a folder, expected a file"


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path) -> None:
    from physics_jax.commands import outputs

    target = tmp_path / "scores.json"
    target.write_text("old")
    with pytest.raises(TypeError):
        outputs.write_json(target, {"x": object()})
    assert target.read_text() == "old"
    with pytest.raises(RuntimeError), outputs.atomic_path(target) as tmp:
        tmp.write_text("partial")
        raise RuntimeError("the work failed")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.json"]
    outputs.write_json(target, {"x": float("nan")})
    assert json.loads(target.read_text()) == {"x": None}
    umask = os.umask(0o022)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # a new file's permissions


def test_atomic_folder_moves_files_in_and_cleans_up(tmp_path) -> None:
    from physics_jax.commands import outputs

    out = tmp_path / "report"
    with outputs.atomic_folder(out) as tmp:
        (tmp / "index.html").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]
    with pytest.raises(RuntimeError), outputs.atomic_folder(out) as tmp:
        (tmp / "index.html").write_text("partial")
        raise RuntimeError("the work failed")
    assert (out / "index.html").read_text() == "new"
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]


def test_check_file_and_folder_name_the_path(tmp_path) -> None:
    from physics_jax.commands import outputs

    plain = tmp_path / "plain"
    plain.write_text("")
    assert outputs.check_file(tmp_path / "new" / "deeper" / "x.json", "--json").name == "x.json"
    with pytest.raises(MotionFormatError, match="plain/x/y.json: --json: .*plain is not a folder"):
        outputs.check_file(plain / "x" / "y.json", "--json")
    with pytest.raises(MotionFormatError, match="exists"):
        outputs.check_file(plain, "-o", overwrite=False)
    with pytest.raises(MotionFormatError, match="is a file, expected a folder"):
        outputs.check_folder(plain, "--out")
