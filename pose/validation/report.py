"""HTML report of a `validate-video` run: the corruption and probe tables with pass/fail, reward
vs dose per corruption (both presets), a bar chart of the probes and the per-video rewards.

One self-contained `index.html` (figures embedded as base64 PNG, as `phymotion validate`'s
report) and `results.json` (`tables.to_json`), written into a folder given by the caller.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np

from physics_jax.commands.outputs import finite_json
from physics_jax.validation.report import COLORS as PRESET_COLORS
from physics_jax.validation.report import STYLE, _grid, _png
from pose.validation.corruptions import CORRUPTIONS
from pose.validation.suite import TRAINING, VideoSuiteResult, variant_name
from pose.validation.tables import (
    DELTA_TARGET,
    PAIRWISE_TARGET,
    REAL_MEDIAN_TARGET,
    SPEARMAN_TARGET,
    corruption_table,
    probe_table,
    ranking_reward,
)

COLORS = {**PRESET_COLORS, TRAINING: "#7570b3"}


def fmt(x, digits: int = 3) -> str:
    """A number, or '-' for a missing or non-finite one."""
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "-"
    return f"{x:.{digits}f}"


def _per_video(result: VideoSuiteResult, preset: str, name: str) -> np.ndarray:
    rows = result.rows[preset]
    out = []
    for v in range(len(result.videos)):
        i = result.index(v, name)
        out.append(np.nan if i is None else ranking_reward(rows[i]))
    return np.array(out)


def dose_curves_png(result: VideoSuiteResult) -> str:
    """Reward vs dose per corruption: each video a thin line, the median over videos bold, both
    presets."""
    names = list(result.doses)
    fig, axes = _grid(len(names))
    for ax, name in zip(axes, names, strict=False):
        ladder = result.doses[name]
        for preset in result.rows:
            curves = np.stack([_per_video(result, preset, "real" if k == 0 else
                                          variant_name(name, d))
                               for k, d in enumerate(ladder)], axis=1)
            for line in curves:
                ax.plot(ladder, line, "-", color=COLORS.get(preset), alpha=0.18, lw=0.8)
            ax.plot(ladder, np.nanmedian(curves, axis=0), "-o", color=COLORS.get(preset),
                    lw=2, ms=4, label=f"{preset} (median)")
        ax.set_title(name)
        ax.set_xlabel(f"dose ({CORRUPTIONS[name].unit})")
        ax.set_ylabel("reward (invalid = 0)")
        ax.set_ylim(-0.02, 1.02)
    axes[0].legend(fontsize=7)
    return _png(fig)


def probes_png(result: VideoSuiteResult) -> str:
    """Per probe and preset: the mean reward difference probe - real (bar) and every video's
    difference (dots); the |delta| target band for the re-encode and the half rate."""
    import matplotlib.pyplot as plt

    probes = list(result.probes)
    presets = list(result.rows)
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(probes), 3.6))
    width = 0.8 / len(presets)
    for k, preset in enumerate(presets):
        real = _per_video(result, preset, "real")
        for j, probe in enumerate(probes):
            diff = _per_video(result, preset, probe) - real
            x = j + (k - (len(presets) - 1) / 2) * width
            ax.bar(x, np.nanmean(diff), width * 0.9, color=COLORS.get(preset),
                   alpha=0.6, label=preset if j == 0 else None)
            ax.plot(np.full(diff.shape, x), diff, ".", color=COLORS.get(preset), ms=4)
    ax.axhspan(-DELTA_TARGET, DELTA_TARGET, color="#888", alpha=0.15, lw=0,
               label=f"|delta| <= {DELTA_TARGET}")
    ax.axhline(0, color="#444", lw=0.8)
    ax.set_xticks(range(len(probes)), probes)
    ax.set_ylabel("reward - real clip's reward")
    ax.legend(fontsize=7)
    return _png(fig)


def _mark(ok: bool) -> str:
    return f"<td class='{'pass' if ok else 'fail'}'>{'pass' if ok else 'fail'}</td>"


def corruption_html(table: list[dict]) -> str:
    presets = list(dict.fromkeys(r["preset"] for r in table))
    head = "".join(f"<th>{p} pairwise</th><th>{p} Spearman (mean)</th><th>{p} pooled</th>"
                   f"<th>{p} AUROC</th><th>{p} invalid</th><th>{p}</th>" for p in presets)
    out = [f"<table><tr><th>corruption</th><th>doses</th>{head}</tr>"]
    for name in dict.fromkeys(r["corruption"] for r in table):
        cells, first = [], None
        for p in presets:
            r = next(x for x in table if x["corruption"] == name and x["preset"] == p)
            first = first or r
            cells.append(f"<td>{fmt(r['pairwise'], 2)}</td><td>{fmt(r['spearman'])}</td>"
                         f"<td>{fmt(r['spearman_pooled'])}</td><td>{fmt(r['auroc'])}</td>"
                         f"<td>{r['invalid']}</td>{_mark(r['pass'])}")
        doses = ", ".join(f"{d:g}" for d in first["doses"])
        out.append(f"<tr><td class='name'>{html.escape(name)}</td><td>{doses} "
                   f"{html.escape(first['unit'])}</td>{''.join(cells)}</tr>")
    out.append("</table>")
    return "".join(out)


def probe_html(rows: list[dict], probes: tuple[str, ...]) -> str:
    out = ["<table><tr><th>preset</th><th>real median</th><th>real invalid</th>"]
    for p in probes:
        if p in ("freeze", "reverse"):
            out.append(f"<th>{p}: below real</th><th>{p}: mean diff</th>")
        else:
            out.append(f"<th>{p}: max |&Delta;|</th><th>{p}: mean |&Delta;|</th>")
    out.append("</tr>")
    for r in rows:
        cells = [f"<td class='name'>{r['preset']}</td>"
                 f"<td class='{'pass' if r['pass_real_median'] else 'fail'}'>"
                 f"{fmt(r['real_median'])}</td><td>{r['real_invalid']}/{r['videos']}</td>"]
        for p in probes:
            q = r[p]
            if p in ("freeze", "reverse"):
                cells.append(f"<td>{fmt(q['below_real'], 2)}</td><td>{fmt(q['mean_diff'])}</td>")
            else:
                cls = "pass" if q["pass"] else "fail"
                cells.append(f"<td class='{cls}'>{fmt(q['max_abs_diff'])}</td>"
                             f"<td>{fmt(q['mean_abs_diff'])}</td>")
        out.append(f"<tr>{''.join(cells)}</tr>")
    out.append("</table>")
    return "".join(out)


def videos_html(result: VideoSuiteResult, preset: str) -> str:
    """Videos x variants: each variant's reward ('inv' where invalid)."""
    names = list(dict.fromkeys(v.name for v in result.variants))
    rows = result.rows[preset]
    out = [f"<h3>{preset}</h3><table><tr><th>video</th><th>fps</th><th>frames</th>"
           + "".join(f"<th>{html.escape(n)}</th>" for n in names) + "</tr>"]
    for vi, info in enumerate(result.videos):
        cells = []
        for n in names:
            i = result.index(vi, n)
            if i is None:
                cells.append("<td>-</td>")
            elif not rows[i]["valid"]:
                why = html.escape(rows[i].get("reason") or "")
                cells.append(f"<td class='fail' title='{why}'>inv</td>")
            else:
                cells.append(f"<td>{fmt(rows[i]['reward'])}</td>")
        out.append(f"<tr><td class='name'>{html.escape(info.id)}</td><td>{info.fps:.3g}</td>"
                   f"<td>{info.frames}</td>{''.join(cells)}</tr>")
    out.append("</table>")
    return "".join(out)


def write_report(result: VideoSuiteResult, data: dict, out_dir: str | Path,
                 command: str = "") -> Path:
    """Write `index.html` and `results.json` (`data`, from `tables.to_json`) into `out_dir`."""
    out = Path(out_dir)
    table, probes = corruption_table(result), probe_table(result)
    corruptions = "".join(
        f"<li>{html.escape(n)} ({', '.join(f'{d:g}' for d in ladder)} "
        f"{html.escape(data['corruptions'][n]['unit'])}): "
        f"{html.escape(data['corruptions'][n]['what'])}</li>"
        for n, ladder in result.doses.items())
    probe_list = "".join(f"<li>{html.escape(p)}: {html.escape(what)}</li>"
                         for p, what in data["probes"].items())
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>phymotion validate-video"
        f"</title><style>{STYLE}</style></head><body><h1>Reward validation on real video</h1>",
        f"<p class='note'>{html.escape(command)}</p>" if command else "",
        f"<p>{len(result.videos)} videos, {len(result.variants)} clips posed and scored. "
        f"Targets: pairwise accuracy &ge; {PAIRWISE_TARGET:.0%} and mean per-video "
        f"Spearman(dose, reward) &le; {SPEARMAN_TARGET} per corruption; real clips' median "
        f"reward &ge; {REAL_MEDIAN_TARGET}; re-encode and half-rate max |&Delta; reward| &le; "
        f"{DELTA_TARGET}. An invalid clip counts as reward 0.</p>",
        f"<ul>{corruptions}{probe_list}</ul>",
        "<h2>Corruptions</h2>", corruption_html(table),
        "<h2>Reward vs dose</h2><p class='note'>Thin lines: one video each; bold: the median "
        "over videos.</p>", f"<img src='{dose_curves_png(result)}'>",
        "<h2>Probes</h2>", probe_html(probes, result.probes),
        f"<img src='{probes_png(result)}'>",
        "<h2>Rewards per video</h2>",
        *(videos_html(result, p) for p in result.rows),
        "</body></html>",
    ]
    path = out / "index.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    (out / "results.json").write_text(
        json.dumps(finite_json(data), indent=1, allow_nan=False), encoding="utf-8")
    return path
