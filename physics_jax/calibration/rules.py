"""How each calibrated v2 term's offset, scale and width follow from real motion.

For every term, its clip-level physical value (the scorer's `<axis>/<term>/value` or a detail
of it) over real windows, each capture source weighted equally (each window of source s weighs
1 / (windows of s) / (number of sources), so one large source does not set the numbers):

- offset = weighted 0.95 quantile: 19 in 20 real windows lie below it;
- scale = max(q0.95 - q0.50, floor): the spread of real windows from typical to that tail, so
  a violation one spread beyond the offset is 63 % violated;
- width = max(q0.95 - q0.50, floor) / 4: the ramp below the offset (`kernels.soft.soft_ramp`)
  is soft over a quarter of that spread; the median real window sits four widths below the
  offset, where the violation is about 0.005 (the leak: any increase lowers the score, but a
  typical real window scores about 1 on every term).

The 0.95 quantile (not a higher one) keeps one spread of real motion, not its rarest windows,
as the scale: the corpus's tail holds the windows the humanoid models least well (floor work,
acrobatics), and a scale set by them would make every other window blind to mild defects.
Scores combine by their geometric mean (`presets.base.combine_scores`), so a term calibrated
this way lowers the reward by its ratio whatever the other terms do.

Balance is not calibrated: the upper tail of its real values is floor work (a body seated on
the floor rests on flesh below the humanoid's pelvis sphere, so the model sees its weight
outside the feet), and an offset at that tail (0.14 m at q0.95) would hide a whole-body lean of
20 deg (median 0.16 m). Its offset (3 cm, the humanoid's mass distribution against a
performer's), scale and width are physical, as are the constants below.

The floor of each term is a resolution in its unit: below it differences are measurement noise
of motion capture retargeted to the humanoid (a scale or width of 0 would make a step of the
noise decide the score). Physical constants (friction, contact gap, gravity, window lengths,
the speed limit) are not calibrated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OFFSET_Q, MID_Q = 0.95, 0.50
WIDTH_DIVISOR = 4.0  # width = spread / 4


@dataclass(frozen=True)
class Rule:
    term: str  # name in the calibration file
    key: tuple[str, str, str]  # (axis, term, value or detail) in a scored row
    offset: str  # V2Params fields
    scale: str
    width: str
    floor: float  # resolution, in the value's unit
    unit: str


RULES = (
    Rule("slip", ("contact", "slip", "value"), "slip_offset", "slip_scale", "slip_width",
         0.01, "m/s"),
    Rule("drift", ("contact", "slip", "drift"), "drift_offset", "drift_scale", "drift_width",
         0.005, "m/s"),
    Rule("penetration", ("contact", "penetration", "value"), "pen_offset", "pen_scale",
         "pen_width", 0.002, "m"),
    Rule("float", ("contact", "float", "value"), "float_offset", "float_scale", "float_width",
         0.002, "m"),
    Rule("penetration_worst", ("contact", "penetration", "worst"), "pen_worst_offset",
         "pen_worst_scale", "pen_worst_width", 0.002, "m"),
    Rule("float_worst", ("contact", "float", "worst"), "float_worst_offset",
         "float_worst_scale", "float_worst_width", 0.002, "m"),
    Rule("residual_force", ("dynamic", "residual_force", "value"), "resid_offset",
         "resid_scale", "resid_width", 0.02, "BW"),
    Rule("residual_force_worst", ("dynamic", "residual_force", "worst"), "resid_worst_offset",
         "resid_worst_scale", "resid_worst_width", 0.02, "BW"),
    Rule("torque", ("dynamic", "torque", "excess"), "torque_offset", "torque_scale",
         "torque_width", 0.005, "ratio"),
    Rule("effort", ("dynamic", "effort", "value"), "power_offset", "power_scale",
         "power_width", 0.5, "W/kg"),
    Rule("grf", ("dynamic", "grf", "value"), "grf_limit", "grf_scale", "grf_width", 0.1,
         "BW"),
    Rule("jitter", ("kinematic", "jitter", "value"), "jitter_offset", "jitter_scale",
         "jitter_width", 2.0, "m/s^2"),
    Rule("self_penetration", ("kinematic", "self_penetration", "value"), "self_pen_offset",
         "self_pen_scale", "self_pen_width", 0.001, "m"),
)


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """Quantile q of values x with weights w (linear between the weighted midpoints)."""
    order = np.argsort(x)
    x, w = np.asarray(x, float)[order], np.asarray(w, float)[order]
    cdf = (np.cumsum(w) - 0.5 * w) / np.sum(w)
    return float(np.interp(q, cdf, x))


def source_weights(sources: list[str]) -> np.ndarray:
    """1 / (windows of the source) / (number of sources) per window."""
    names, inverse, counts = np.unique(np.asarray(sources), return_inverse=True,
                                       return_counts=True)
    return 1.0 / counts[inverse] / len(names)


def apply_rule(rule: Rule, x: np.ndarray, w: np.ndarray) -> dict[str, float]:
    """{offset, scale, width, q50, q95} of one term from its real values x, weights w."""
    q50, q95 = (weighted_quantile(x, w, q) for q in (MID_Q, OFFSET_Q))
    spread = max(q95 - q50, rule.floor)
    return {"offset": q95, "scale": spread, "width": spread / WIDTH_DIVISOR, "q50": q50,
            "q95": q95}
