"""Per-frame timeline figure of one clip (matplotlib, Agg), with v2's thresholds drawn."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from physics_jax.presets import v2  # noqa: E402
from physics_jax.presets.phymotion_params import PhymotionParams  # noqa: E402
from physics_jax.presets.registry import default_params  # noqa: E402
from physics_jax.viz.timeline import CONTACT_ON, FOOT_NAMES, Timeline  # noqa: E402

V2 = default_params("v2")  # the thresholds drawn: the shipped calibration
PUBLISHED_SELF_PEN = PhymotionParams().self_pen_offset  # m, the published tolerance
THRESHOLD_STYLE = {"color": "0.3", "linestyle": "--", "linewidth": 1.0}


def _panel(ax, t, series, thresholds, ylabel):
    """series: [(label, values)], thresholds: [(label, y)]."""
    for label, values in series:
        ax.plot(t, values, label=label, linewidth=1.4)
    for label, y in thresholds:
        ax.axhline(y, **THRESHOLD_STYLE)
        ax.annotate(label, (1.0, y), xycoords=("axes fraction", "data"), xytext=(-4, 2),
                    textcoords="offset points", ha="right", fontsize=7, color="0.3")
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", ncol=4, frameon=False)


def worst_stretch(x: np.ndarray, fps: float, sigma_s: float = float(V2.worst_window_s),
                  taps: int = V2.worst_taps) -> tuple[float, float]:
    """Per-frame x (T,) -> (time s, value) of its worst stretch as v2 judges it
    (`presets.v2.worst_stretch`): the largest value of x averaged over a Gaussian window of
    sigma `sigma_s`, truncated at `taps` frames each side and renormalised at the clip's ends."""
    offs = np.arange(-taps, taps + 1)
    w = np.exp(-0.5 * (offs / fps / sigma_s) ** 2)
    # zero-padded by `taps` each side, so the window may be longer than the clip: (T,) out
    num = np.convolve(np.pad(x, taps), w, mode="valid")
    curve = num / np.convolve(np.pad(np.ones_like(x), taps), w, mode="valid")
    k = int(np.argmax(curve))
    return k / fps, float(curve[k])


def _mark_worst(ax, tl: Timeline, signals: list[tuple[str, np.ndarray]]) -> None:
    """Shade +-1 sigma around the worst stretch of each signal that is not zero throughout."""
    sigma = float(V2.worst_window_s)
    for (label, x), color in zip(signals, ("C0", "C1"), strict=False):
        if not np.any(x > 0):
            continue
        at, value = worst_stretch(np.asarray(x, float), tl.fps)
        ax.axvspan(at - sigma, at + sigma, color=color, alpha=0.12, linewidth=0)
        ax.annotate(f"worst {label} {value:.3g}", (at, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(0, -10), textcoords="offset points", ha="center", fontsize=7,
                    color=color)


def drift_component(tl: Timeline) -> np.ndarray:
    """(T,) m/s: each frame's planted sole velocity along the clip's net drift (weighted by
    `planted_weight`, its mean over frames is the slip sub-score's `drift`); frames weighing less
    than 1e-3 (nothing planted) show 0."""
    mean = np.asarray(v2.planted_mean_velocity(tl.planted_velocity, tl.planted_weight))
    norm = float(np.linalg.norm(mean))
    along = tl.planted_velocity @ (mean / norm) if norm > 0 else np.zeros(tl.frames)
    return np.where(tl.planted_weight > 1e-3, along, 0.0)


def timeline_figure(tl: Timeline) -> plt.Figure:
    """Eight stacked panels over time (s): contact, slip, penetration / floating, balance,
    residual and ground force, torque ratio, power, self-penetration; the thresholds of the
    shipped calibration, and the worst stretches of penetration, float and the residual force
    shaded (+-1 sigma of the window v2 judges them over)."""
    t = tl.time
    fig, axes = plt.subplots(8, 1, figsize=(9, 14), sharex=True, constrained_layout=True)
    _panel(axes[0], t, [(n, tl.contact[:, k]) for k, n in enumerate(FOOT_NAMES)],
           [(f"in contact > {CONTACT_ON:g}", CONTACT_ON)], "contact prob.")
    axes[0].set_ylim(-0.05, 1.05)
    _panel(axes[1], t, [("slip (best-anchored point)", tl.slip),
                        ("planted velocity along the net drift", drift_component(tl))],
           [(f"slip offset {V2.slip_offset:.3g} m/s", V2.slip_offset),
            (f"drift offset {V2.drift_offset:.3g} m/s", V2.drift_offset)], "sole speed (m/s)")
    _panel(axes[2], t, [("penetration", tl.penetration), ("floating height", tl.float_height)],
           [(f"penetration scale {V2.pen_scale:.3g} m", V2.pen_scale),
            (f"float gap {V2.float_gap:g} m", V2.float_gap)], "floor distance (m)")
    _mark_worst(axes[2], tl, [("penetration", tl.penetration), ("float", tl.floating)])
    _panel(axes[3], t, [("moment pivot outside the support, over a step", tl.cmp_outside),
                        ("ZMP outside support", tl.zmp_distance)],
           [(f"balance offset {V2.bal_offset:g} m", V2.bal_offset)], "balance (m)")
    _panel(axes[4], t, [("residual force", tl.residual), ("external force", tl.grf)],
           [(f"residual offset {V2.resid_offset:.3g} BW", V2.resid_offset),
            (f"GRF limit {V2.grf_limit:.3g} BW", V2.grf_limit)], "force (body weights)")
    _mark_worst(axes[4], tl, [("residual", tl.residual)])
    _panel(axes[5], t, [("max |torque| / limit", np.max(tl.torque_ratio, axis=-1))],
           [("limit", 1.0)], "torque ratio")
    _panel(axes[6], t, [("joint power", tl.power)],
           [(f"effort offset {V2.power_offset:.3g} W/kg", V2.power_offset)], "power (W/kg)")
    _panel(axes[7], t, [("self-penetration", tl.self_penetration)],
           [(f"tolerated {PUBLISHED_SELF_PEN:g} m", PUBLISHED_SELF_PEN)], "depth (m)")
    axes[-1].set_xlabel("time (s)", fontsize=8)
    return fig


def figure_png(fig: plt.Figure, dpi: int = 72) -> bytes:
    """PNG bytes of a figure (the figure is closed)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()
