"""Preset parameters as pytrees (`flax.struct`): every number a preset judges by, with its unit
and reason beside it, loadable from and savable to a JSON file.

A parameter field (`param`) is a pytree leaf: the scorer passes it to its jitted program as a
traced argument, so one compiled program serves any calibration. A static field
(`static_param`: window lengths in frames, direction counts, physical constants) is part of the
program itself: changing one compiles again.

File format (`save_params` / `load_params`): {"preset": NAME, "params": {field: number}}, every
field present and no other, and optionally "provenance" (a calibration's origin, written by
`phymotion calibrate`, not read by the scorer); `Params.from_dict` names the first unknown,
missing or ill-typed key.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
from flax import struct


def param(default: float, unit: str, doc: str) -> Any:
    """A traced parameter: a real number in `unit`; `doc` says why it has its default."""
    return struct.field(default=default, metadata={"unit": unit, "doc": doc})


def static_param(default: float | int, unit: str, doc: str) -> Any:
    """A static parameter (part of the compiled program): an int (frames, counts) or a float."""
    return struct.field(pytree_node=False, default=default,
                        metadata={"unit": unit, "doc": doc, "static": True})


class Params(struct.PyTreeNode):
    """Base of a preset's parameters; subclasses declare `PRESET` and their fields."""

    PRESET: ClassVar[str] = ""

    @classmethod
    def fields(cls) -> tuple[dataclasses.Field, ...]:
        return dataclasses.fields(cls)

    @classmethod
    def describe(cls) -> dict[str, dict]:
        """{field: {"default", "unit", "doc", "static"}} in declaration order."""
        return {f.name: {"default": f.default, "unit": f.metadata["unit"],
                         "doc": f.metadata["doc"], "static": f.metadata.get("static", False)}
                for f in cls.fields()}

    def to_dict(self) -> dict[str, float | int]:
        """{field: Python number}, in declaration order."""
        out: dict[str, float | int] = {}
        for f in self.fields():
            v = getattr(self, f.name)
            out[f.name] = int(v) if isinstance(f.default, int) else float(v)
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Params:
        """The parameters from {field: number}: every field present, no other key, floats
        finite, ints whole. Raises ValueError naming the offending key."""
        if not isinstance(values, dict):
            raise ValueError(f"{cls.PRESET} parameters: expected a mapping of field to number, "
                             f"got {type(values).__name__}")
        names = [f.name for f in cls.fields()]
        for key in values:
            if key not in names:
                raise ValueError(f"{cls.PRESET} parameters: unknown key {key!r} "
                                 f"(known: {', '.join(names)})")
        kwargs = {}
        for f in cls.fields():
            if f.name not in values:
                raise ValueError(f"{cls.PRESET} parameters: missing key {f.name!r} "
                                 f"({f.metadata['unit']}; default {f.default!r})")
            kwargs[f.name] = _checked(cls.PRESET, f, values[f.name])
        return cls(**kwargs)

    def cast(self, dtype) -> Params:
        """The traced fields as 0-d arrays of `dtype` (what a scorer of that dtype passes)."""
        return jax.tree_util.tree_map(lambda x: jnp.asarray(x, dtype), self)


def _checked(preset: str, f: dataclasses.Field, v: Any) -> float | int:
    where = f"{preset} parameters: key {f.name!r}"
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError(f"{where} must be a number, got {v!r}")
    if isinstance(f.default, int):
        if float(v) != int(v) or int(v) < 1:
            raise ValueError(f"{where} must be a whole number >= 1, got {v!r}")
        return int(v)
    if not math.isfinite(v):
        raise ValueError(f"{where} must be finite, got {v!r}")
    return float(v)


def save_params(params: Params, path: str | Path, provenance: dict | None = None) -> None:
    """Write {"preset": ..., "params": {...}} (and "provenance" when given) as JSON."""
    data: dict[str, Any] = {"preset": params.PRESET, "params": params.to_dict()}
    if provenance is not None:
        data["provenance"] = provenance
    Path(path).write_text(json.dumps(data, indent=2) + "\n")


def read_params_file(path: str | Path) -> tuple[str, dict]:
    """(preset name, {field: number}) of a parameter file; ValueError if it is not one."""
    try:
        data = json.loads(Path(path).read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not JSON ({e})") from None
    if not isinstance(data, dict) or not {"preset", "params"} <= set(data) <= {
            "preset", "params", "provenance"}:
        raise ValueError(f'{path}: expected {{"preset": NAME, "params": {{...}}}} (and '
                         f'optionally "provenance")')
    return data["preset"], data["params"]
