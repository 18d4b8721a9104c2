"""Leave-one-source-out validation (`phymotion validate --by-source`).

The real windows of a calibration corpus (`calibration.corpus`) are grouped by capture source.
For every source with at least `MIN_TAKES` takes, v2 is calibrated on the real windows of the
other sources only (`calibration.derive.calibrate`) and that source's real and corrupted
windows are scored with that calibration; its table is that source's. The pooled table scores
every window with the calibration of all sources. `phymotion` has no calibration. The physical
values the rules read do not depend on the calibrated numbers, so one v2 scoring of the real
windows gives every calibration; parameters are traced, so rescoring with another calibration
reuses the compiled program."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from physics_jax.calibration.corpus import CorpusWindows
from physics_jax.calibration.derive import calibrate, values_of
from physics_jax.presets.v2_params import V2Params
from physics_jax.validation.corruptions import CORRUPTIONS
from physics_jax.validation.dataset import RealSet
from physics_jax.validation.suite import (
    SuiteResult,
    _reward,
    build_samples,
    score_all,
    summarise,
)

MIN_TAKES = 5
POOLED = "pooled"


def run_by_source(corpus: CorpusWindows, batch_size: int = 128, device: str | None = None,
                  seed: int = 0, doses=None, min_takes: int = MIN_TAKES,
                  progress: Callable[[str], None] | None = None
                  ) -> tuple[SuiteResult, dict]:
    """Score the corpus's windows, corrupted, with both presets, v2 calibrated without each
    held-out source -> (the result with the pooled rewards and every table, {source:
    calibration record})."""
    say = progress or (lambda msg: None)
    real = RealSet(corpus.clips, list(corpus.sources), list(corpus.takes), corpus.left_out)
    clips, samples, left_out = build_samples(real, CORRUPTIONS, doses, seed=seed)
    window_source = np.asarray(corpus.sources)
    clip_source = np.array([window_source[s.window] for s in samples])
    say(f"scoring {len(corpus.clips)} real windows with v2 (values for the calibrations)")
    values = values_of(score_all(corpus.clips, "v2", batch_size, device, V2Params()))
    pooled_params, pooled_record = calibrate(values, corpus.sources)
    records = {POOLED: pooled_record}
    rows, rewards = {}, {}
    say(f"scoring {len(clips)} clips with phymotion")
    rows["phymotion"] = score_all(clips, "phymotion", batch_size, device)
    say(f"scoring {len(clips)} clips with v2, calibration of all sources")
    rows["v2"] = score_all(clips, "v2", batch_size, device, pooled_params)
    for p in rows:
        rewards[p] = np.array([_reward(r) for r in rows[p]])
    takes = corpus.takes_per_source()
    held = tuple(s for s, n in takes.items() if n >= min_takes)
    loso = rewards["v2"].copy()
    for src in held:
        keep = window_source != src
        params, records[src] = calibrate({k: v[keep] for k, v in values.items()},
                                         [s for s in corpus.sources if s != src])
        idx = np.flatnonzero(clip_source == src)
        say(f"scoring {idx.size} clips of {src} with v2 calibrated without it")
        sub = score_all([clips[i] for i in idx], "v2", batch_size, device, params)
        loso[idx] = [_reward(r) for r in sub]
    by_src = SuiteResult(real, samples, {"phymotion": rewards["phymotion"], "v2": loso},
                         rows, CORRUPTIONS, left_out=left_out)
    table = summarise(by_src, held)
    pooled = SuiteResult(real, samples, rewards, rows, CORRUPTIONS, left_out=left_out)
    pooled_table = summarise(pooled, ("all",))
    for r in pooled_table:
        r["split"] = POOLED
    pooled.table = table + pooled_table
    return pooled, records
