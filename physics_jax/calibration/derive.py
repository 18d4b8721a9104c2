"""Apply the rules (`calibration.rules`) to scored real windows -> V2Params and a record."""

from __future__ import annotations

import numpy as np

from physics_jax.calibration.rules import RULES, apply_rule, source_weights
from physics_jax.presets.v2_params import V2Params


def values_of(rows: list[dict]) -> dict[str, np.ndarray]:
    """{term: (N,) physical values} of scored rows (invalid rows give NaN)."""
    out = {}
    for rule in RULES:
        axis, term, key = rule.key
        out[rule.term] = np.array([
            float(r[axis][term][key]) if r["valid"] and r[axis].get(term) else np.nan
            for r in rows])
    return out


def calibrate(values: dict[str, np.ndarray], sources: list[str],
              base: V2Params | None = None) -> tuple[V2Params, dict]:
    """V2Params with every rule's offset, scale and width from `values` (per window, sources
    per window, each source weighted equally); the rest of `base` (default: class defaults)
    kept. Returns the parameters and {term: {offset, scale, width, q50, q95, unit}}."""
    base = base or V2Params()
    w_all = source_weights(sources)
    fields, record = {}, {}
    for rule in RULES:
        x = values[rule.term]
        ok = np.isfinite(x)
        w = w_all[ok] / np.sum(w_all[ok])
        r = apply_rule(rule, x[ok], w)
        fields[rule.offset], fields[rule.scale], fields[rule.width] = (
            r["offset"], r["scale"], r["width"])
        record[rule.term] = {**{k: round(v, 6) for k, v in r.items()}, "unit": rule.unit,
                             "floor": rule.floor}
    return base.replace(**fields), record
