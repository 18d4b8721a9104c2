"""Self-contained HTML report: per-clip scores (reward, axes, sub-scores with units), a per-frame
timeline plot per clip and, when rendering works, a strip of key frames. Images are embedded
as base64 PNG."""

from __future__ import annotations

import base64
import html
import io
import math
import numbers
from pathlib import Path

import imageio.v3 as iio
import numpy as np

from physics_jax.results import AXES, sub_details
from physics_jax.viz.plots import figure_png, timeline_figure
from physics_jax.viz.timeline import Timeline

STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f0f0f0; } td.name { text-align: left; }
.bad { background: #fbe3e3; } .ok { background: #e6f4e6; }
img { max-width: 100%; } .note { color: #666; font-size: 0.85em; }
"""


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def frames_strip_png(frames: np.ndarray) -> bytes:
    """Frames (N, H, W, 3) uint8 side by side -> PNG bytes."""
    buf = io.BytesIO()
    iio.imwrite(buf, np.concatenate(list(frames), axis=1), extension=".png")
    return buf.getvalue()


def _finite(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)


def _fmt(x: float | None, digits: int = 3) -> str:
    """x with `digits` significant digits; "—" when missing or not finite."""
    return f"{x:.{digits}g}" if _finite(x) else "—"


def _signed(x: float | None) -> str:
    """x to the millimetre with its sign (a height in m); "—" when missing or not finite."""
    return f"{x:+.3f}" if _finite(x) else "—"


def _score_cell(score: float | None) -> str:
    cls = "" if not _finite(score) else ("ok" if score >= 0.8 else "bad" if score < 0.5 else "")
    return f'<td class="{cls}">{_fmt(score)}</td>'


def summary_table(rows: list[dict]) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("clip", "frames", "fps", "reward", *AXES))
    body = []
    for i, r in enumerate(rows):
        name = html.escape(Path(str(r.get("file"))).name)
        frames, fps = html.escape(str(r.get("frames", "—"))), _fmt(r.get("fps"), 6)
        if not r.get("valid"):
            body.append(f'<tr><td class="name">{name}</td><td>{frames}</td>'
                        f'<td>{fps}</td><td colspan="4" class="bad">invalid: '
                        f'{html.escape(str(r.get("reason") or ""))}</td></tr>')
            continue
        cells = "".join(_score_cell((r.get(a) or {}).get("score")) for a in AXES)
        body.append(f'<tr><td class="name"><a href="#clip{i}">{name}</a></td>'
                    f'<td>{frames}</td><td>{fps}</td>{_score_cell(r.get("reward"))}'
                    f"{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def subscore_table(row: dict) -> str:
    lines = ["<tr><th>axis</th><th>sub-score</th><th>score</th><th>value</th><th>unit</th></tr>"]
    for axis in AXES:
        for name, sub in (row.get(axis) or {}).items():
            if not isinstance(sub, dict):
                continue
            value = "".join([_fmt(sub.get("value"), 4)] + [
                f"; {html.escape(k)} {_fmt(v, 4)}" for k, v in sub_details(sub).items()])
            lines.append(f'<tr><td class="name">{axis}</td><td class="name">{name}</td>'
                         f'{_score_cell(sub.get("score"))}<td>{value}</td>'
                         f'<td class="name">{html.escape(str(sub.get("unit") or ""))}</td></tr>')
    return f"<table>{''.join(lines)}</table>"


def clip_section(index: int, row: dict, tl: Timeline, strip_png: bytes | None,
                 strip_note: str) -> str:
    """One clip: sub-scores, the timeline plot, the key-frame strip (or why there is none)."""
    name = html.escape(str(row.get("file")))
    parts = [f'<h2 id="clip{index}">{name}</h2>']
    if not row.get("valid"):
        parts.append(f'<p class="bad">invalid: {html.escape(str(row.get("reason") or ""))}</p>')
        return "\n".join(parts)
    parts.append(f'<p>reward <b>{_fmt(row.get("reward"))}</b> · {row.get("frames")} frames at '
                 f'{_fmt(row.get("fps"), 6)} fps · estimated floor '
                 f'{_signed(tl.floor)} m</p>')
    parts.append(subscore_table(row))
    if strip_png is not None:
        parts.append(f'<p class="note">{html.escape(strip_note)}</p>')
        parts.append(f'<img class="frames" alt="key frames" src="{png_data_uri(strip_png)}">')
    elif strip_note:
        parts.append(f'<p class="note">{html.escape(strip_note)}</p>')
    plot = figure_png(timeline_figure(tl))
    parts.append(f'<img class="timeline" alt="per-frame timeline" src="{png_data_uri(plot)}">')
    return "\n".join(parts)


def report_html(rows: list[dict], timelines: list[Timeline], strips: list[bytes | None],
                notes: list[str], title: str) -> str:
    """The whole page; rows, timelines, strips and notes are aligned per clip."""
    sections = [clip_section(i, r, tl, s, n)
                for i, (r, tl, s, n) in enumerate(zip(rows, timelines, strips, notes, strict=True))]
    legend = ("Scores are in [0, 1] (1 = physically plausible); values are in the units shown. "
              "Timelines: dashed lines are the preset's thresholds and scales. Key frames: "
              "feet green in contact, grey in the air, orange sliding, red below the floor; "
              "magenta arrow = residual root force (1 m per body weight).")
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
            f"</title><style>{STYLE}</style></head><body>\n<h1>{html.escape(title)}</h1>\n"
            f'<p class="note">{legend}</p>\n{summary_table(rows)}\n' + "\n".join(sections)
            + "\n</body></html>\n")
