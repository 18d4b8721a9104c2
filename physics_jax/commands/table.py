"""Per-clip score tables on the terminal: the one place numbers are formatted for printing.

Used by `phymotion score`, `report` and `score-video`; rows are `physics_jax.results` rows.
"""

from __future__ import annotations

import math
import numbers
from pathlib import Path

SCORE_TABLE_WIDTH = 140  # characters: the key terms readable when the output is not a terminal


def _finite(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)


def format_number(x, spec: str) -> str:
    """x formatted with `spec`, or "-" when it is missing or not a finite number."""
    return format(x, spec) if _finite(x) else "-"


def _score_of(sub: dict) -> float:
    """A sub-score's score for ranking; missing or non-finite ranks first (the worst)."""
    x = sub.get("score")
    return float(x) if _finite(x) else -math.inf


def _worst_term(axis: dict | None) -> str:
    """The lowest-scoring sub-score of an axis: name, value, unit and details ("" if none)."""
    from physics_jax.results import sub_details

    subs = [(k, v) for k, v in (axis or {}).items() if isinstance(v, dict)]
    if not subs:
        return ""
    name, sub = min(subs, key=lambda kv: _score_of(kv[1]))
    details = "".join(f" ({k} {format_number(v, '.3g')})" for k, v in sub_details(sub).items())
    return f"{name} {format_number(sub.get('value'), '.3g')} {sub.get('unit') or ''}{details}"


def _axis_score(row: dict, axis: str) -> str:
    return format_number((row.get(axis) or {}).get("score"), ".3f")


def print_table(rows: list[dict], title: str) -> None:
    """Per-clip scores as a rich table; missing or non-finite numbers print as "-"."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for col in ("file", "frames", "fps", "reward", "kinematic", "contact", "dynamic", "key terms"):
        table.add_column(col, justify="right" if col not in ("file", "key terms") else "left")
    for r in rows:
        head = (Path(str(r.get("file"))).name, str(r.get("frames", "-")),
                format_number(r.get("fps"), "g"))
        if not r.get("valid"):
            table.add_row(*head, "invalid", "", "", "", str(r.get("reason") or ""))
            continue
        terms = [t for t in (_worst_term(r.get(axis)) for axis in ("contact", "dynamic")) if t]
        table.add_row(*head, format_number(r.get("reward"), ".3f"), _axis_score(r, "kinematic"),
                      _axis_score(r, "contact"), _axis_score(r, "dynamic"), "; ".join(terms))
    Console(width=SCORE_TABLE_WIDTH).print(table)
