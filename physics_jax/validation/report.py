"""HTML report of a validation run: reward-vs-dose curves, real-vs-corrupted score distributions,
the Spearman / AUROC table per split, the hacking probes and the real clips' scores.

One self-contained `index.html` (figures embedded as base64 PNG) plus `results.json` beside it.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

import numpy as np

from physics_jax.validation.metrics import AUROC_TARGET, SPEARMAN_TARGET
from physics_jax.validation.suite import SPLITS, SuiteResult, probe_table

COLORS = {"phymotion": "#d95f02", "v2": "#1b9e77"}
STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; max-width: 1200px; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f0f0f0; } td.name { text-align: left; }
.fail { background: #fbe3e3; } .pass { background: #e6f4e6; }
img { max-width: 100%; } .note { color: #555; font-size: 0.9em; }
"""


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _grid(n: int):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(4, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat)


def dose_curves_png(result: SuiteResult) -> str:
    """Median reward vs dose (band: 25-75 %) per corruption, both presets, tuning (solid) and
    held-out (dashed) windows."""
    names = list(result.corruptions)
    fig, axes = _grid(len(names))
    for ax, name in zip(axes, names, strict=False):
        c = result.corruptions[name]
        for split, style in (("tuning", "-"), ("held_out", "--")):
            real = result.select("real", split=split)
            idx = result.select("corrupted", name, split)
            if real.size == 0:
                continue
            doses = sorted({result.samples[i].dose for i in idx} | {c.neutral})
            for preset, r in result.rewards.items():
                med, lo, hi = [], [], []
                for d in doses:
                    sel = real if d == c.neutral else np.array(
                        [i for i in idx if result.samples[i].dose == d], int)
                    v = r[sel][np.isfinite(r[sel])]
                    q = np.percentile(v, [25, 50, 75]) if v.size else [np.nan] * 3
                    lo.append(q[0])
                    med.append(q[1])
                    hi.append(q[2])
                ax.plot(doses, med, style, marker="o", ms=3, color=COLORS.get(preset),
                        label=f"{preset} ({split})")
                ax.fill_between(doses, lo, hi, color=COLORS.get(preset), alpha=0.12)
        ax.axvline(c.moderate, color="#888", lw=0.8, ls=":")
        ax.set_title(name)
        ax.set_xlabel(f"dose ({c.unit})")
        ax.set_ylabel("reward")
        ax.set_ylim(top=1.01)
    axes[0].legend(fontsize=7)
    return _png(fig)


def distributions_png(result: SuiteResult) -> str:
    """Per corruption: reward distributions of real windows and of windows at the moderate dose,
    for each preset (all windows)."""
    names = list(result.corruptions)
    fig, axes = _grid(len(names))
    real = result.select("real")
    for ax, name in zip(axes, names, strict=False):
        c = result.corruptions[name]
        mod = np.array([i for i in result.select("corrupted", name)
                        if result.samples[i].dose == c.moderate], int)
        data, labels, colors = [], [], []
        for preset, r in result.rewards.items():
            for label, sel in (("real", real), (f"{c.moderate:g} {c.unit}", mod)):
                v = r[sel] if sel.size else np.array([])
                data.append(v[np.isfinite(v)])
                labels.append(f"{preset}\n{label}")
                colors.append(COLORS.get(preset))
        parts = ax.violinplot([d if d.size else [np.nan] for d in data], showmedians=True)
        for body, col in zip(parts["bodies"], colors, strict=False):
            body.set_facecolor(col)
        ax.set_xticks(range(1, len(labels) + 1), labels, fontsize=7)
        ax.set_title(name)
        ax.set_ylabel("reward")
    return _png(fig)


def _fmt(x, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "n/a"
    return f"{x:.{digits}f}"


def left_out_text(rows: list[dict]) -> str:
    """How many (window, dose) pairs of each corruption were left out of these rows (one split;
    the presets share them) because the window cannot carry the dose, and the rule; "" when
    none were."""
    counts = {r["corruption"]: (r["left_out"], r["left_out_rule"]) for r in rows}
    parts = [f"{name} {n} (needs: {rule})" for name, (n, rule) in counts.items() if n]
    return ("(window, dose) pairs left out, the window cannot carry the dose: "
            + "; ".join(parts)) if parts else ""


def metrics_html(table: list[dict], split: str) -> str:
    """The Spearman / AUROC table of one split, presets side by side."""
    rows = [r for r in table if r["split"] == split]
    if not rows:
        return ""
    presets = list(dict.fromkeys(r["preset"] for r in rows))
    head = "".join(f"<th>{p} Spearman</th><th>{p} per-clip</th><th>{p} AUROC</th><th>{p}</th>"
                   for p in presets)
    out = [f"<table><tr><th>corruption</th><th>moderate dose</th>{head}</tr>"]
    for name in dict.fromkeys(r["corruption"] for r in rows):
        cells = []
        first = None
        for p in presets:
            r = next(x for x in rows if x["corruption"] == name and x["preset"] == p)
            first = first or r
            cls = "pass" if r["pass"] else "fail"
            cells.append(f"<td>{_fmt(r['spearman'])}</td><td>{_fmt(r['per_clip_spearman'])}</td>"
                         f"<td>{_fmt(r['auroc'])}</td><td class='{cls}'>"
                         f"{'pass' if r['pass'] else 'fail'}</td>")
        out.append(f"<tr><td class='name'>{html.escape(name)}</td>"
                   f"<td>{first['moderate']:g} {html.escape(first['unit'])}</td>"
                   f"{''.join(cells)}</tr>")
    out.append("</table>")
    n = rows[0]["windows"]
    note = left_out_text(rows)
    if note:
        out.append(f"<p class='note'>{html.escape(note)}</p>")
    return f"<h3>{split} ({n} real windows)</h3>" + "".join(out)


def probes_html(result: SuiteResult) -> str:
    rows = probe_table(result)
    out = ["<table><tr><th>probe</th><th>preset</th><th>mean reward</th>"
           "<th>real windows' mean</th><th>invalid</th><th>reason</th></tr>"]
    for r in rows:
        out.append(f"<tr><td class='name'>{r['probe']}</td><td class='name'>{r['preset']}</td>"
                   f"<td>{_fmt(r['reward'])}</td><td>{_fmt(r['real_reward'])}</td>"
                   f"<td>{r['invalid']}/{r['clips']}</td>"
                   f"<td class='name'>{html.escape(r['reason'] or '')}</td></tr>")
    out.append("</table>")
    return "".join(out)


def real_scores(result: SuiteResult) -> list[dict]:
    """Per take: split, windows, and the mean reward and axis scores of its real windows."""
    out = []
    real = result.select("real")
    takes = [result.real.takes[result.samples[i].window] for i in real]
    for take in dict.fromkeys(takes):
        idx = [i for i, t in zip(real, takes, strict=True) if t == take]
        row = {"take": take, "split": result.real.split[result.samples[idx[0]].window],
               "windows": len(idx)}
        for preset, rows in result.rows.items():
            vals = [rows[i] for i in idx if rows[i]["valid"]]
            row[preset] = float(np.mean([v["reward"] for v in vals])) if vals else None
            for axis in ("kinematic", "contact", "dynamic"):
                row[f"{preset}_{axis}"] = (float(np.mean([v[axis]["score"] for v in vals]))
                                           if vals else None)
        out.append(row)
    return out


def real_html(result: SuiteResult) -> str:
    rows = real_scores(result)
    presets = list(result.rows)
    head = "".join(f"<th>{p} reward</th><th>{p} kin / contact / dyn</th>" for p in presets)
    out = [f"<table><tr><th>take</th><th>split</th><th>windows</th>{head}</tr>"]
    for r in rows:
        cells = "".join(
            f"<td>{_fmt(r[p])}</td><td>{_fmt(r[p + '_kinematic'], 2)} / "
            f"{_fmt(r[p + '_contact'], 2)} / {_fmt(r[p + '_dynamic'], 2)}</td>" for p in presets)
        out.append(f"<tr><td class='name'>{html.escape(r['take'])}</td><td>{r['split']}</td>"
                   f"<td>{r['windows']}</td>{cells}</tr>")
    out.append("</table>")
    if result.real.left_out_takes:
        out.append("<p class='note'>Left out of the real motion:</p><ul>")
        out += [f"<li>{html.escape(path)}: {html.escape(why)}</li>"
                for path, why in result.real.left_out_takes]
        out.append("</ul>")
    return "".join(out)


def corruptions_html(result: SuiteResult) -> str:
    out = ["<table><tr><th>corruption</th><th>breaks</th><th>doses</th><th>moderate</th>"
           "<th>a window carries a dose when</th></tr>"]
    for c in result.corruptions.values():
        doses = sorted({s.dose for s in result.samples if s.corruption == c.name} | {c.neutral})
        out.append(f"<tr><td class='name'>{c.name}</td><td class='name'>{html.escape(c.breaks)}"
                   f"</td><td>{', '.join(f'{d:g}' for d in doses)} {html.escape(c.unit)}</td>"
                   f"<td>{c.moderate:g}</td><td class='name'>"
                   f"{html.escape(c.fits_rule or 'always')}</td></tr>")
    out.append("</table>")
    return "".join(out)


def to_json(result: SuiteResult) -> dict:
    """Everything the report shows, as plain JSON."""
    return {"table": result.table, "probes": probe_table(result),
            "real": real_scores(result),
            "left_out_takes": [{"file": path, "reason": why}
                               for path, why in result.real.left_out_takes],
            "windows": {s: int(result.select("real", split=s).size) for s in SPLITS}}


def write_report(result: SuiteResult, out_dir: str | Path, command: str = "") -> Path:
    """Write `index.html` and `results.json` into `out_dir`; returns the HTML path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>phymotion validate</title>",
        f"<style>{STYLE}</style></head><body><h1>Reward validation</h1>",
        f"<p class='note'>{html.escape(command)}</p>" if command else "",
        f"<p>Targets: Spearman(dose, reward) &le; {SPEARMAN_TARGET} (pooled over windows) and "
        f"AUROC(real vs moderate dose) &ge; {AUROC_TARGET}, per corruption.</p>",
        "<h2>Spearman and AUROC</h2>",
        *(metrics_html(result.table, s) for s in dict.fromkeys(r["split"] for r in result.table)),
        "<h2>Reward vs dose</h2><p class='note'>Median and 25-75 % band over windows; solid: "
        "tuning split, dashed: held-out; dotted line: moderate dose.</p>",
        f"<img src='{dose_curves_png(result)}'>",
        "<h2>Real vs moderate dose</h2>", f"<img src='{distributions_png(result)}'>",
        "<h2>Hacking probes</h2>", probes_html(result),
        "<h2>Real clips</h2>", real_html(result),
        "<h2>Corruptions</h2>", corruptions_html(result),
        "</body></html>",
    ]
    path = out / "index.html"
    path.write_text("\n".join(parts))
    (out / "results.json").write_text(json.dumps(to_json(result), indent=1))
    return path
