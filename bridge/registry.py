"""The trainer's reward: named reward functions with weights, `avg` = their weighted sum.

A reward function takes a `MotionBatch` (torch tensors) and returns a dict of (B,) tensors with
at least `reward` (higher is better) and `valid` (bool), and optionally `reasons` (one string per
clip, "" where valid). Components register themselves by name with `register_reward` when their
module is imported; the registry knows none of them. A registered factory may take keyword
options (a config's `reward.options[name]`). `RewardRegistry` calls each component, prefixes its
outputs with the component's name for logging, and combines them. A component that raises, or
returns a non-finite reward for some clips, marks those clips invalid with a reason; the batch
and the other components go on.

What a reward needs besides the motion (the decoded videos, the prompts, the videos' frame rate)
travels beside the batch as a `RewardContext`, not in the `MotionBatch`: a component that sets
`uses_context = True` is called `fn(batch, context)`, the others `fn(batch)`.

An optional `gate` (`bridge.stillness.StillnessGate`) multiplies the combined reward by each
clip's motion presence in [0, 1], so that a clip that stops moving loses its reward; its
outputs are kept as `stillness/<key>` (e.g. `stillness/presence`) and `avg_ungated` is the
weighted sum before it (docs/training.md, "Stillness").
"""

from __future__ import annotations

import inspect
import logging
import math
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import torch

from physics_jax.motion.batch import MotionBatch

__all__ = ["MotionBatch", "RewardContext", "RewardFn", "RewardRegistry", "RewardResult",
           "available_rewards", "register_reward", "uses_context"]

log = logging.getLogger(__name__)

RewardFn = Callable[..., dict[str, Any]]
"""fn(batch) -> {"reward", "valid", ...}; fn(batch, context) when fn.uses_context is True."""
Gate = Callable[[MotionBatch, "list[str] | None"], dict[str, torch.Tensor]]
"""gate(batch, prompts) -> {"presence": (B,) in [0, 1], ...}: the factor on `avg`."""
GATE_NAME = "stillness"


@dataclass
class RewardContext:
    """What the trainer (or a command) knows about a batch's clips besides their motion, for
    components that set `uses_context`: `prompts` (B,) strings, `videos` (B, F, 3, H, W) uint8 or
    float in [0, 1] (the frames the motion was recovered from), `video_fps` (Hz). None where not
    known (e.g. the toy motion source has no videos)."""

    prompts: list[str] | None = None
    videos: torch.Tensor | None = None
    video_fps: float | None = None


def uses_context(fn: RewardFn) -> bool:
    """Whether `fn` is called with the batch's `RewardContext` as its second argument."""
    return bool(getattr(fn, "uses_context", False))


_FACTORIES: dict[str, Callable[..., RewardFn]] = {}


def register_reward(name: str) -> Callable:
    """Decorator: make a reward-function factory available to configs under `name`; the
    factory is called with the config's options for `name` as keyword arguments."""

    def wrap(factory: Callable[..., RewardFn]) -> Callable[..., RewardFn]:
        _FACTORIES[name] = factory
        return factory

    return wrap


def available_rewards() -> list[str]:
    """Names registered so far (a component registers when its module is imported)."""
    return sorted(_FACTORIES)


def _build(name: str, options: dict[str, Any]) -> RewardFn:
    """The registered component `name` made with `options`; ValueError naming options its
    factory does not take."""
    factory = _FACTORIES[name]
    try:
        inspect.signature(factory).bind(**options)
    except TypeError as exc:
        raise ValueError(f"reward {name!r} does not take the options {sorted(options)}: "
                         f"{exc}") from None
    return factory(**options)


class RewardResult(dict):
    """Flat dict of (B,) tensors, plus `errors` ({component: message}) and `reasons` (one
    string per clip, "" where valid)."""

    errors: dict[str, str]
    reasons: list[str]


class RewardRegistry:
    """weights: {name: weight}; functions: {name: RewardFn} for components not registered by
    name (e.g. a test's); options: {name: keyword options} for registered factories. Call on a
    MotionBatch (and its `RewardContext`) -> flat dict of (B,) tensors: `avg`, `valid`, `<name>`
    (the component's reward), `<name>/<key>` (its sub-scores), `<name>/valid`, as a
    `RewardResult` that also carries failure messages and reasons."""

    def __init__(self, weights: Mapping[str, float],
                 functions: Mapping[str, RewardFn] | None = None, max_workers: int = 1,
                 options: Mapping[str, Mapping[str, Any]] | None = None,
                 gate: Gate | None = None):
        if not weights:
            raise ValueError("reward weights are empty: give at least one {name: weight}")
        functions = dict(functions or {})
        options = dict(options or {})
        stray = sorted(set(options) - set(weights))
        if stray:
            raise ValueError(f"reward options for {stray}, which are not in the reward weights")
        given = sorted(set(options) & set(functions))
        if given:
            raise ValueError(f"reward options for {given}, which are given as functions")
        self.weights = {}
        self.functions: dict[str, RewardFn] = {}
        for name, w in weights.items():
            if not isinstance(w, (int, float)) or not math.isfinite(w):
                raise ValueError(f"reward weight for {name!r} must be a finite number, got {w!r}")
            if name in functions:
                fn = functions[name]
            elif name in _FACTORIES:
                fn = _build(name, dict(options.get(name) or {}))
            else:
                raise KeyError(f"unknown reward {name!r}; registered: {available_rewards()} "
                               "(a component registers when its module is imported)")
            self.weights[name] = float(w)
            self.functions[name] = fn
        if gate is not None and GATE_NAME in self.functions:
            raise ValueError(f"a reward component is named {GATE_NAME!r}, as the gate's outputs")
        self.gate = gate
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="rewards")

    @property
    def uses_context(self) -> bool:
        """Whether some component reads the `RewardContext` (the caller should then keep the
        videos and prompts)."""
        return any(uses_context(fn) for fn in self.functions.values())

    def __call__(self, batch: MotionBatch, context: RewardContext | None = None) -> RewardResult:
        b, device = batch.size, batch.device
        context = context or RewardContext()
        upstream = batch.valid.to(device=device, dtype=torch.bool)
        valid = upstream.clone()
        avg = torch.zeros(b, dtype=torch.float32, device=device)
        out = RewardResult()
        errors: dict[str, str] = {}
        why: dict[str, list[str]] = {}
        own_ok: dict[str, torch.Tensor] = {}
        for name, fn in self.functions.items():
            try:
                result = fn(batch, context) if uses_context(fn) else fn(batch)
                reward = result["reward"].to(device=device, dtype=torch.float32).reshape(b)
                ok = result.get("valid", torch.ones(b, dtype=torch.bool, device=device))
                ok = ok.to(device=device, dtype=torch.bool).reshape(b) & torch.isfinite(reward)
                if isinstance(result.get("reasons"), list) and len(result["reasons"]) == b:
                    why[name] = [str(r) for r in result["reasons"]]
            except Exception as exc:  # a failing component is reported, not fatal
                log.warning("reward %r failed on a batch of %d: %s", name, b, exc)
                errors[name] = f"{type(exc).__name__}: {exc}"
                result, reward = {}, torch.zeros(b, device=device)
                ok = torch.zeros(b, dtype=torch.bool, device=device)
            reward = torch.where(ok, reward, torch.zeros_like(reward))
            out[name] = reward
            # a clip invalid upstream (e.g. no person found) has no meaningful component
            # values: `<name>/valid` excludes it, so logged means cover real motion only
            out[f"{name}/valid"] = ok & upstream
            own_ok[name] = ok
            for key, value in result.items():
                if key in ("reward", "valid") or not torch.is_tensor(value):
                    continue
                if value.shape == (b,):
                    value = value.to(device)
                    if value.is_floating_point():
                        value = torch.where(ok, value, torch.zeros_like(value))
                    out[f"{name}/{key}"] = value
            valid &= ok
            avg = avg + self.weights[name] * reward
        if self.gate is not None:
            avg, valid = self._apply_gate(batch, context, avg, valid, out, errors)
        out["avg"] = torch.where(valid, avg, torch.zeros_like(avg))
        out["valid"] = valid
        out.errors = errors
        out.reasons = self._reasons(batch, out, errors, why, own_ok)
        return out

    def _apply_gate(self, batch: MotionBatch, context: RewardContext, avg: torch.Tensor,
                    valid: torch.Tensor, out: RewardResult, errors: dict[str, str]
                    ) -> tuple[torch.Tensor, torch.Tensor]:
        """avg x presence and the validity (a failing gate makes every clip invalid); adds
        `avg_ungated` and the gate's `stillness/<key>` outputs to `out`."""
        b, device = batch.size, avg.device
        out["avg_ungated"] = torch.where(valid, avg, torch.zeros_like(avg))
        try:
            gated = self.gate(batch, context.prompts)
            presence = gated["presence"].to(device=device, dtype=torch.float32).reshape(b)
            ok = torch.isfinite(presence)
        except Exception as exc:  # reported like a failing component
            log.warning("stillness gate failed on a batch of %d: %s", b, exc)
            errors[GATE_NAME] = f"{type(exc).__name__}: {exc}"
            gated, presence = {}, torch.zeros(b, device=device)
            ok = torch.zeros(b, dtype=torch.bool, device=device)
        for key, value in gated.items():
            if torch.is_tensor(value) and value.shape == (b,):
                out[f"{GATE_NAME}/{key}"] = value.to(device=device, dtype=torch.float32)
        out[f"{GATE_NAME}/valid"] = ok
        presence = torch.where(ok, presence, torch.zeros_like(presence))
        return avg * presence, valid & ok

    def _reasons(self, batch: MotionBatch, out: dict, errors: dict[str, str],
                 why: dict[str, list[str]], own_ok: dict[str, torch.Tensor]) -> list[str]:
        """Why each clip is invalid: the upstream reason, then each failing component (its
        error, else the reason it gave for the clip; `own_ok`: each component's own verdict,
        before the upstream validity)."""
        valid = out["valid"].tolist()
        names = [*self.functions, *([GATE_NAME] if self.gate is not None else [])]
        flags = {n: own_ok[n].tolist() if n in own_ok else out[f"{n}/valid"].tolist()
                 for n in names}
        reasons = []
        for i in range(batch.size):
            if valid[i]:
                reasons.append("")
                continue
            parts = [batch.reasons[i]] if batch.reasons[i] else []
            parts += [f"{n}: {errors.get(n) or (why[n][i] if n in why else '') or 'invalid'}"
                      for n in names if not flags[n][i]]
            reasons.append("; ".join(parts) or "invalid input")
        return reasons

    def submit(self, batch: MotionBatch, context: RewardContext | None = None) -> Future:
        """Score in a worker thread (overlaps the next rollout); returns a Future of the result."""
        return self._pool.submit(self.__call__, batch, context)
