"""The figures of a `validate-video` run: per corruption and preset, the probes, per-video rows.

Ranking uses the reward the trainer gets: a variant whose pose recovery, fit or scoring failed
counts as reward 0 (`ranking_reward`), and the tables count such variants. Spearman and AUROC
are `physics_jax.validation.metrics.spearman` / `auroc`.

- pairwise: share of videos whose real clip scores above its copy at the largest dose (a tie
  is a miss); target >= PAIRWISE_TARGET.
- Spearman: per video, rho(dose, reward) over the doses (neutral included), then the mean over
  videos (a video whose reward does not change counts as 0); target <= SPEARMAN_TARGET. Beside
  it, the pooled rho over every (video, dose) pair.
- AUROC: real clips vs copies at the moderate dose (quick runs: the only one), all videos.
- probes: freeze (share of videos whose frozen copy scores below the real clip, mean
  difference frozen - real), reverse (the same), re-encode and half rate (max and mean
  |reward - real reward|; target max <= DELTA_TARGET); the median reward of the real clips
  (target >= REAL_MEDIAN_TARGET).
"""

from __future__ import annotations

import math

import numpy as np

from physics_jax.results import AXES
from physics_jax.validation.metrics import auroc, spearman
from pose.validation.corruptions import CORRUPTIONS, PROBES
from pose.validation.suite import VideoSuiteResult, variant_name

PAIRWISE_TARGET = 0.9
SPEARMAN_TARGET = -0.8
REAL_MEDIAN_TARGET = 0.85
DELTA_TARGET = 0.02


def ranking_reward(row: dict) -> float:
    """The row's reward, 0.0 for an invalid row (what the trainer's reward registry gives)."""
    r = row.get("reward")
    return float(r) if row.get("valid") and r is not None and math.isfinite(r) else 0.0


def _rewards(result: VideoSuiteResult, preset: str, name: str) -> tuple[np.ndarray, int]:
    """Per video, the ranking reward of its variant `name` (NaN where it was not made), and how
    many of them are invalid."""
    rows = result.rows[preset]
    out, invalid = [], 0
    for v in range(len(result.videos)):
        i = result.index(v, name)
        if i is None:
            out.append(np.nan)
            continue
        out.append(ranking_reward(rows[i]))
        invalid += not rows[i]["valid"]
    return np.array(out), invalid


def _mean(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else float("nan")


def _max(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(x.max()) if x.size else float("nan")


def corruption_table(result: VideoSuiteResult) -> list[dict]:
    """One row per (corruption, preset)."""
    table = []
    for name, ladder in result.doses.items():
        c = CORRUPTIONS[name]
        moderate = ladder[1]
        for preset in result.rows:
            real, real_invalid = _rewards(result, preset, "real")
            by_dose = {ladder[0]: real}
            invalid = 0
            for dose in ladder[1:]:
                by_dose[dose], bad = _rewards(result, preset, variant_name(name, dose))
                invalid += bad
            n = len(real)
            rhos = []
            for v in range(n):
                d = np.array(ladder, float)
                r = np.array([by_dose[x][v] for x in ladder])
                rho = spearman(d, r)
                rhos.append(0.0 if math.isnan(rho) else rho)
            pooled = spearman(np.repeat(np.array(ladder, float), n),
                              np.concatenate([by_dose[x] for x in ladder]))
            pairwise = float(np.mean(real > by_dose[ladder[-1]])) if n else float("nan")
            rho_mean = float(np.mean(rhos)) if rhos else float("nan")
            table.append({
                "corruption": name, "preset": preset, "doses": list(ladder), "unit": c.unit,
                "moderate": moderate, "largest": ladder[-1], "videos": n,
                "pairwise": pairwise, "spearman": rho_mean, "spearman_pooled": pooled,
                "auroc": auroc(real, by_dose[moderate]),
                "mean_reward": {f"{d:g}": _mean(by_dose[d]) for d in ladder},
                "invalid": invalid, "real_invalid": real_invalid,
                "pass_pairwise": bool(pairwise >= PAIRWISE_TARGET),
                "pass_spearman": bool(rho_mean <= SPEARMAN_TARGET),
                "pass": bool(pairwise >= PAIRWISE_TARGET and rho_mean <= SPEARMAN_TARGET),
            })
    return table


def probe_table(result: VideoSuiteResult) -> list[dict]:
    """One row per preset: the real clips' median and the probes' figures, with the targets."""
    table = []
    for preset in result.rows:
        real, real_invalid = _rewards(result, preset, "real")
        median = float(np.median(real)) if real.size else float("nan")
        row = {"preset": preset, "videos": len(real), "real_median": median,
               "real_mean": _mean(real), "real_invalid": real_invalid,
               "pass_real_median": bool(median >= REAL_MEDIAN_TARGET)}
        for probe in result.probes:
            values, invalid = _rewards(result, preset, probe)
            diff = values - real
            sel = np.isfinite(diff)
            row[probe] = {
                "mean_diff": _mean(diff), "max_abs_diff": _max(np.abs(diff)),
                "mean_abs_diff": _mean(np.abs(diff)),
                "below_real": float(np.mean(diff[sel] < 0)) if sel.any() else float("nan"),
                "mean_reward": _mean(values), "invalid": invalid, "videos": int(sel.sum()),
            }
            if probe in ("reencode", "half_rate"):
                row[probe]["pass"] = bool(row[probe]["max_abs_diff"] <= DELTA_TARGET)
        table.append(row)
    return table


def _scores(row: dict) -> dict:
    """A score row's reward, validity and every axis and sub-score (score and value)."""
    out = {"reward": row.get("reward"), "valid": row.get("valid"), "reason": row.get("reason")}
    for axis in AXES:
        sub = row.get(axis) or {}
        out[axis] = {"score": sub.get("score"), **{
            k: {"score": v.get("score"), "value": v.get("value")}
            for k, v in sub.items() if isinstance(v, dict)}}
    if "training_reward_components" in row:  # the training reward's rows
        out["components"] = row["training_reward_components"]
    return out


def video_rows(result: VideoSuiteResult) -> list[dict]:
    """Per video: the clip, and per variant its frames, fps, pose figures and each preset's
    reward with every sub-score."""
    out = []
    for vi, info in enumerate(result.videos):
        variants = {}
        for i, v in enumerate(result.variants):
            if v.video != vi:
                continue
            variants[v.name] = {"family": v.family, "dose": v.dose, "frames": v.frames,
                                "fps": v.fps, **result.pose[i],
                                **{p: _scores(rows[i]) for p, rows in result.rows.items()}}
        out.append({"video": info.id, "file": info.path, "fps": info.fps,
                    "frames": info.frames, "size": [info.height, info.width],
                    "start_frame": info.start_frame, "pose_seconds": info.pose_seconds,
                    "variants": variants})
    return out


def to_json(result: VideoSuiteResult, command: str = "") -> dict:
    """Everything the report shows, as plain JSON (non-finite numbers become null on writing)."""
    return {
        "command": command,
        "targets": {"pairwise": PAIRWISE_TARGET, "spearman": SPEARMAN_TARGET,
                    "real_median": REAL_MEDIAN_TARGET, "delta": DELTA_TARGET},
        "corruptions": {n: {"doses": list(d), "unit": CORRUPTIONS[n].unit,
                            "what": CORRUPTIONS[n].what} for n, d in result.doses.items()},
        "probes": {p: PROBES[p][0] for p in result.probes},
        "seed": result.seed, "seconds": result.seconds,
        "table": corruption_table(result), "probe_table": probe_table(result),
        "videos": video_rows(result),
    }
