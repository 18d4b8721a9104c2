"""The validation suite: corrupt every real window at every dose, score everything with both
presets (one `score_clips` call per preset), and tabulate Spearman / AUROC per corruption, per
preset and per split.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from physics_jax.motion import SmplClip
from physics_jax.validation.corruptions import CORRUPTIONS, Corruption
from physics_jax.validation.dataset import RealSet
from physics_jax.validation.metrics import auroc, passes, per_clip_spearman, spearman
from physics_jax.validation.probes import PROBES

PRESETS = ("phymotion", "v2")
SPLITS = ("tuning", "held_out", "all")


@dataclass(frozen=True)
class Sample:
    """What one scored clip is: a real window (`kind` "real"), a corrupted one, or a probe."""

    kind: str  # "real" | "corrupted" | "probe"
    window: int  # index of the real window it was made from
    corruption: str = ""  # corruption or probe name
    dose: float = 0.0


@dataclass
class SuiteResult:
    """Every scored clip (`samples`, aligned with `rewards[preset]` and `rows[preset]`), the real
    set it came from and the corruptions used."""

    real: RealSet
    samples: list[Sample]
    rewards: dict[str, np.ndarray]  # preset -> (N,) reward, NaN when invalid
    rows: dict[str, list[dict]]  # preset -> per-clip result dicts (the JSON schema)
    corruptions: dict[str, Corruption]
    table: list[dict] = field(default_factory=list)
    left_out: list[Sample] = field(default_factory=list)  # pairs a window cannot carry

    def select(self, kind: str, corruption: str = "", split: str = "all") -> np.ndarray:
        """Indices of samples of `kind` (and `corruption`) whose window is in `split`."""
        return np.array([i for i, s in enumerate(self.samples) if s.kind == kind
                         and (not corruption or s.corruption == corruption)
                         and (split == "all" or self.real.split[s.window] == split)], int)


def window_seed(source: str, seed: int = 0) -> int:
    """The corruption seed of one window: from its file name and start frame (`take.npz@48`)
    and the run's `seed`, so a window is corrupted alike whatever else is loaded with it."""
    return int(np.random.SeedSequence([zlib.crc32(Path(source).name.encode()), seed])
               .generate_state(1)[0])


def build_samples(real: RealSet, corruptions: dict[str, Corruption],
                  doses: dict[str, tuple[float, ...]] | None = None, probes: bool = True,
                  seed: int = 0) -> tuple[list[SmplClip], list[Sample], list[Sample]]:
    """Real windows, each corruption at each non-neutral dose (seeded by `window_seed` of the
    window and `seed`), and the hacking probes; the third list holds the (window, dose) pairs
    left out because the window cannot carry the dose (`Corruption.fits`). `doses` overrides a
    corruption's ladder (its first dose must be neutral)."""
    clips: list[SmplClip] = []
    samples: list[Sample] = []
    left_out: list[Sample] = []
    for w, clip in enumerate(real.clips):
        clips.append(clip)
        samples.append(Sample("real", w))
    for name, c in corruptions.items():
        for dose in (doses or {}).get(name, c.doses):
            if dose == c.neutral:
                continue
            for w, clip in enumerate(real.clips):
                sample = Sample("corrupted", w, name, float(dose))
                if not c.fits(clip, dose):
                    left_out.append(sample)
                    continue
                clips.append(c.apply(clip, dose, window_seed(clip.source, seed)))
                samples.append(sample)
    if probes:
        for name, make in PROBES.items():
            for w, clip in enumerate(real.clips):
                clips.append(make(clip))
                samples.append(Sample("probe", w, name))
    return clips, samples, left_out


def deal(frames: list[int], batch_size: int) -> list[int]:
    """An order of clip indices (padded with repeats of the longest clip to a multiple of
    `batch_size`) in which every batch starts with the longest clips, so all batches pad to the
    same frame bucket and the scorer compiles once per preset."""
    order = sorted(range(len(frames)), key=lambda i: -frames[i])
    n_batches = -(-len(order) // batch_size)
    order += [order[0]] * (n_batches * batch_size - len(order))
    return [order[k * n_batches + b] for b in range(n_batches) for k in range(batch_size)]


def score_all(clips: list[SmplClip], preset: str, batch_size: int, device: str | None = None,
              params=None) -> list[dict]:
    """One `score_clips` call for every clip; rows come back in the input order."""
    from physics_jax.api import score_clips

    order = deal([c.frames for c in clips], batch_size)
    rows = score_clips([clips[i] for i in order], preset=preset, batch_size=batch_size,
                       device=device, params=params)
    out: list[dict | None] = [None] * len(clips)
    for i, row in zip(order, rows, strict=True):
        if out[i] is None:
            out[i] = row
    return out  # type: ignore[return-value]


def _reward(row: dict) -> float:
    return float(row["reward"]) if row["valid"] and row["reward"] is not None else float("nan")


def summarise(result: SuiteResult, splits: tuple[str, ...] = SPLITS) -> list[dict]:
    """One row per (split, corruption, preset): Spearman (pooled and per-clip median), AUROC at
    the moderate dose, mean reward per dose, pass/fail."""
    table = []
    for split in splits:
        real_idx = result.select("real", split=split)
        if real_idx.size == 0:
            continue
        for name, c in result.corruptions.items():
            idx = result.select("corrupted", name, split)
            if idx.size == 0:
                continue
            mod = np.array([i for i in idx if result.samples[i].dose == c.moderate], int)
            left_out = sum(1 for pair in result.left_out if pair.corruption == name and (
                split == "all" or result.real.split[pair.window] == split))
            every = np.concatenate([real_idx, idx])
            dose = np.array([c.neutral if result.samples[i].kind == "real"
                             else result.samples[i].dose for i in every])
            wins = np.array([result.samples[i].window for i in every])
            for preset in result.rewards:
                r = result.rewards[preset]
                ok = np.isfinite(r[every])
                rho = spearman(dose[ok], r[every][ok])
                by_dose = {float(d): float(np.nanmean(r[every][dose == d]))
                           for d in np.unique(dose)}
                area = auroc(r[real_idx][np.isfinite(r[real_idx])],
                             r[mod][np.isfinite(r[mod])]) if mod.size else float("nan")
                table.append({
                    "split": split, "corruption": name, "preset": preset, "unit": c.unit,
                    "moderate": c.moderate, "spearman": rho,
                    "per_clip_spearman": per_clip_spearman(wins[ok], dose[ok], r[every][ok]),
                    "auroc": area, "pass": passes(rho, area), "mean_by_dose": by_dose,
                    "windows": int(real_idx.size),
                    "left_out_rule": c.fits_rule,
                    "left_out": left_out,
                })
    return table


def probe_table(result: SuiteResult) -> list[dict]:
    """Per probe and preset: mean reward of the probe, of the real windows it came from, and how
    many probe clips were flagged invalid (with the first reason)."""
    out = []
    real_idx = result.select("real")
    for name in PROBES:
        idx = result.select("probe", name)
        if idx.size == 0:
            continue
        for preset, r in result.rewards.items():
            rows = [result.rows[preset][i] for i in idx]
            invalid = [row for row in rows if not row["valid"]]
            out.append({
                "probe": name, "preset": preset,
                "reward": float(np.nanmean(r[idx])) if np.isfinite(r[idx]).any() else None,
                "real_reward": float(np.nanmean(r[real_idx])),
                "invalid": len(invalid), "clips": len(rows),
                "reason": invalid[0]["reason"] if invalid else None,
            })
    return out


def run_suite(real: RealSet, corruptions: dict[str, Corruption] | None = None,
              doses: dict[str, tuple[float, ...]] | None = None, batch_size: int = 256,
              presets: tuple[str, ...] = PRESETS, device: str | None = None,
              progress: Callable[[str], None] | None = None, seed: int = 0,
              params: dict | None = None) -> SuiteResult:
    """Build every corrupted set (corruption seeds from `seed`, see `window_seed`), score it
    with each preset, return the scored samples and the results table (`SuiteResult.table`).
    `params`: {preset: parameters} (e.g. a `--calibration` file's), others their default."""
    corruptions = corruptions or CORRUPTIONS
    if progress:
        progress(f"corrupting {len(real)} windows")
    clips, samples, left_out = build_samples(real, corruptions, doses, seed=seed)
    rewards, rows = {}, {}
    for preset in presets:
        if progress:
            progress(f"scoring {len(clips)} clips with {preset}")
        rows[preset] = score_all(clips, preset, batch_size, device, (params or {}).get(preset))
        rewards[preset] = np.array([_reward(row) for row in rows[preset]])
    result = SuiteResult(real, samples, rewards, rows, corruptions, left_out=left_out)
    result.table = summarise(result)
    return result
