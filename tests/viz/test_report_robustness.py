"""`phymotion report` with missing or non-finite sub-scores (possible for extreme clips): the
page and the table show "—" / "-" for them, and the report is written."""

import copy
import math

from app.cli import main
from physics_jax.motion import save_motion
from physics_jax.viz import timeline
from physics_jax.viz.report import clip_section, summary_table


def _odd_rows(analysed) -> tuple[list, list]:
    """The walk with a missing slip value and a NaN slip score, and the jump as an invalid
    clip without a reason or a frame rate."""
    rows, timelines = analysed
    walk, jump = copy.deepcopy(rows["walk"]), copy.deepcopy(rows["jump"])
    walk["contact"]["slip"].update(value=None, score=math.nan, drift=math.inf)
    walk["dynamic"]["torque"]["unit"] = None
    jump.update(valid=False, reason=None, reward=None, fps=None)
    for axis in ("kinematic", "contact", "dynamic"):
        jump[axis] = {"score": None}
    tl = copy.copy(timelines["walk"])
    tl.floor = math.nan
    return [walk, jump], [tl, timelines["jump"]]


def test_page_parts_show_missing_values_as_dash(analysed) -> None:
    rows, tls = _odd_rows(analysed)
    table = summary_table(rows)
    assert "invalid: </td>" in table and "<td>—</td>" in table  # the jump's missing fps
    section = clip_section(0, rows[0], tls[0], None, "")
    assert "estimated floor — m" in section
    assert '<td class="">—</td><td>—; drift —</td>' in section  # slip's score, value, drift


def test_report_is_written_with_missing_values(analysed, clips, tmp_path, capsys,
                                               monkeypatch) -> None:
    rows, tls = _odd_rows(analysed)
    monkeypatch.setattr(timeline, "analyse_clips", lambda clips: (rows, tls))
    paths = []
    for name in ("walk", "jump"):
        paths.append(tmp_path / f"{name}.npz")
        save_motion(paths[-1], clips[name])
    out = tmp_path / "report.html"
    assert main(["report", *map(str, paths), "-o", str(out), "--key-frames", "0"]) == 0
    page = out.read_text()
    assert page.count('<img class="timeline"') == 1 and "invalid: " in page
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and f"wrote {out}" in captured.err
    assert "slip - m/s (drift -)" in captured.out  # the table's key term for the walk
