"""What every preset object declares: its name, humanoid layout, parameters (`params.Params`),
finite-difference scheme (`qvel_qacc`), axes (`axes`) and the terms of each axis with their
units, from which the packed output keys follow (`packed_keys`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import jax
import jax.numpy as jnp
import numpy as np

from physics_jax.humanoid.layout import HumanoidLayout
from physics_jax.presets.params import Params
from physics_jax.presets.state import ClipState

AXES = ("kinematic", "contact", "dynamic")
COMBINES = ("mean", "geometric")
SCORE_FLOOR = 1e-6  # the geometric mean's smallest term score: a saturated term is not -inf


def combine_scores(scores: list[jnp.ndarray], combine: str) -> jnp.ndarray:
    """Scores in [0, 1] (each (...)) -> one score in [0, 1]: their arithmetic mean ("mean", the
    published rule) or their geometric mean ("geometric": every score counts by its ratio, so
    one term gone wrong lowers the result however good the others are; term scores are floored
    at `SCORE_FLOOR`)."""
    if combine == "mean":
        return jnp.clip(sum(scores) / len(scores), 0.0, 1.0)
    if combine == "geometric":
        logs = [jnp.log(jnp.clip(x, SCORE_FLOOR, 1.0)) for x in scores]
        return jnp.exp(sum(logs) / len(logs))
    raise ValueError(f"combine must be one of {COMBINES}, got {combine!r}")


@dataclass(frozen=True)
class Term:
    """A sub-score of an axis: its name, the unit of its value and the names of its details
    (further values, in the same unit, that its score also judges)."""

    name: str
    unit: str
    details: tuple[str, ...] = ()


def terms_of(units: dict[str, str], details: dict[str, tuple[str, ...]] | None = None
             ) -> tuple[Term, ...]:
    """{name: unit} (in output order) and {name: details} -> the axis's terms."""
    details = details or {}
    return tuple(Term(name, unit, details.get(name, ())) for name, unit in units.items())


def score_skeleton(terms: dict[str, tuple[Term, ...]]) -> dict:
    """The nested scores of a batch (`BatchScorer.__call__`) with (1,) placeholders, its dicts
    ordered as JAX orders the dicts of a pytree it returns (sorted keys); contact_fraction is
    (B, C), one column per contact body."""
    leaf = np.zeros(1)
    nested = {"reward": leaf, "contact_fraction": np.zeros((1, 1))}
    for axis in AXES:
        nested[axis] = {"score": leaf, **{t.name: {"score": leaf, "value": leaf,
                                                   **{d: leaf for d in t.details}}
                                          for t in terms[axis]}}
    return jax.tree_util.tree_map(lambda x: x, nested)


def packed_keys(terms: dict[str, tuple[Term, ...]]) -> tuple[str, ...]:
    """The rows of the packed output (`BatchScorer.packed`) for an axis -> terms declaration:
    `flatten_scores` of the scores (`reward`, `<axis>`, `<axis>/<term>`, `<axis>/<term>/value`,
    `<axis>/<term>/<detail>`), then `valid`."""
    return (*flatten_scores(score_skeleton(terms)), "valid")


def flatten_scores(out: dict) -> dict:
    """Nested scorer output -> {"reward", "<axis>", "<axis>/<term>", "<axis>/<term>/value",
    "<axis>/<term>/<detail>"}: the (B,) arrays only (not contact_fraction (B, C)), in the order
    of `out`'s dicts."""
    flat = {}
    for key, v in out.items():
        if isinstance(v, dict):
            for kk, vv in v.items():
                if isinstance(vv, dict):
                    flat[f"{key}/{kk}"] = vv["score"]
                    flat.update({f"{key}/{kk}/{name}": x for name, x in vv.items()
                                 if name != "score"})
                else:
                    flat[key if kk == "score" else f"{key}/{kk}"] = vv
        elif v.ndim == 1:
            flat[key] = v
    return flat


class Preset(Protocol):
    """A scoring preset (`presets.v2.V2Preset`, `presets.phymotion.PhymotionPreset`): a
    flax.struct pytree whose only leaves are its traced parameters."""

    name: str
    layout: HumanoidLayout
    params: Params
    combine: str  # how term scores make an axis and axes the reward (`combine_scores`)
    scoring_fps: float | None  # frames/s faster clips are resampled to first; None: any rate

    @property
    def terms(self) -> dict[str, tuple[Term, ...]]:
        """{axis: terms} in output order."""

    @property
    def packed_keys(self) -> tuple[str, ...]:
        """Rows of the packed output, from `terms`."""

    def qvel_qacc(self, qpos: jnp.ndarray, length: jnp.ndarray, dt: jnp.ndarray
                  ) -> tuple[jnp.ndarray, jnp.ndarray]:
        """One padded clip's qpos (T, nq) -> qvel, qacc (T, 75) by the preset's scheme."""

    def axes(self, state: ClipState, mask: jnp.ndarray, length: jnp.ndarray, dt: jnp.ndarray
             ) -> tuple[dict, dict, dict, jnp.ndarray]:
        """One padded clip -> kinematic and contact {name: (violation, value[, details])},
        dynamic {name: (score, value[, details])}, contact flags (T, C) in [0, 1]."""
