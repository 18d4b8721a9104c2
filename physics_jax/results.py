"""Per-clip result dictionaries (the JSON schema) from the scorer's batched arrays."""

from __future__ import annotations

import math

import numpy as np

from physics_jax.motion.batch import PADDING, clip_source, describe_clip
from physics_jax.motion.validity import NUMERICAL_FAILURE, ROW_REASONS
from physics_jax.presets import phymotion as phymotion_preset
from physics_jax.presets import v2 as v2_preset
from physics_jax.presets.kinematic import KINEMATIC_UNITS

UNITS = {
    "phymotion": {"kinematic": KINEMATIC_UNITS, "contact": phymotion_preset.CONTACT_UNITS,
                  "dynamic": phymotion_preset.DYNAMIC_UNITS},
    "v2": {"kinematic": KINEMATIC_UNITS, "contact": v2_preset.CONTACT_UNITS,
           "dynamic": v2_preset.DYNAMIC_UNITS},
}
AXES = ("kinematic", "contact", "dynamic")
SUB_FIELDS = ("score", "value", "unit")  # every sub-score has these; any further key is a detail


def sub_details(sub: dict) -> dict:
    """A sub-score's details: further quantities, in its unit, that its score also judges (v2's
    slip: `drift`, the net drift of the planted soles)."""
    return {k: v for k, v in sub.items() if k not in SUB_FIELDS}


def _f(x) -> float | None:
    v = float(x)
    return v if math.isfinite(v) else None


def clip_results(out: dict, preset: str, sources: list[str], fps: np.ndarray,
                 lengths: np.ndarray, valid: np.ndarray, reasons: list[str]) -> list[dict]:
    """Nested arrays (B,) -> one dict per clip (padding rows dropped)."""
    host = {k: np.asarray(v) if not isinstance(v, dict) else v for k, v in out.items()}
    rows = []
    for i, src in enumerate(sources):
        if reasons[i] == PADDING:
            continue
        ok = bool(valid[i])
        row = {"file": src, "preset": preset, "fps": _f(fps[i]), "frames": int(lengths[i]),
               "valid": ok, "reason": reasons[i] or None, "kinematic_source": "humanoid"}
        finite = True
        for axis in AXES:
            sub = {"score": _f(np.asarray(out[axis]["score"])[i])}
            for name, unit in UNITS[preset][axis].items():
                term = out[axis][name]
                sub[name] = {"score": _f(np.asarray(term["score"])[i]),
                             "value": _f(np.asarray(term["value"])[i]), "unit": unit}
                sub[name].update({k: _f(np.asarray(x)[i]) for k, x in sub_details(term).items()})
            finite &= sub["score"] is not None
            row[axis] = sub
        row["reward"] = _f(np.asarray(host["reward"])[i])
        if ok and (not finite or row["reward"] is None):
            row["valid"], row["reason"] = False, ROW_REASONS[NUMERICAL_FAILURE]
        if not row["valid"]:
            row["reward"] = None
            for axis in AXES:
                row[axis] = {"score": None}
        rows.append(row)
    return rows


def rejected_row(clip, preset: str, reason: str) -> dict:
    """The result row (`results.clip_results` schema) of a clip that was not scored: its
    source, the frames and fps it states, `valid: false` and `reason`."""
    frames, fps = describe_clip(clip)
    return {"file": clip_source(clip), "preset": preset,
            "fps": fps if np.isfinite(fps) else None, "frames": int(frames), "valid": False,
            "reason": reason, "kinematic_source": "humanoid", "kinematic": {"score": None},
            "contact": {"score": None}, "dynamic": {"score": None}, "reward": None}


def note_source_rate(row: dict, given, scored) -> dict:
    """Adds the clip's own rate (`source_fps`, `source_frames`) to its row when it was scored
    resampled (`scored` is not `given`, `motion.rate.at_most`); returns the row."""
    if scored is not given:
        frames, fps = describe_clip(given)
        row["source_fps"], row["source_frames"] = fps, frames
    return row
