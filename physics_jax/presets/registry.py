"""Preset names (the `--preset` argument) -> preset objects, and parameter files -> parameters.
The only place a preset is chosen by its name; everything after takes the object."""

from __future__ import annotations

from pathlib import Path

from physics_jax.presets.base import Preset
from physics_jax.presets.params import Params, read_params_file
from physics_jax.presets.phymotion import PhymotionPreset
from physics_jax.presets.v2 import V2Preset

PRESETS: dict[str, type] = {"v2": V2Preset, "phymotion": PhymotionPreset}
PRESET_NAMES = tuple(PRESETS)


def _preset_class(name: str) -> type:
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {PRESET_NAMES}")
    return PRESETS[name]


def params_class(name: str) -> type[Params]:
    """The parameter class of preset `name`."""
    return _preset_class(name).__dataclass_fields__["params"].default_factory


CALIBRATIONS = Path(__file__).resolve().parent / "calibrations"
DEFAULT_CALIBRATION = {"v2": CALIBRATIONS / "v2_default.json"}
"""The shipped calibration of each calibrated preset, written by `phymotion calibrate` on the
whole corpus (docs/calibration.md); a preset without one judges by its class defaults."""


def default_params(name: str, measurement: str = "mocap") -> Params:
    """The parameters `name` scores with by default: its shipped calibration if it has one
    (`DEFAULT_CALIBRATION`), else its class defaults; for motion recovered from video
    (`measurement` "video") with its tolerances widened (`calibration.measurement`)."""
    from physics_jax.calibration.measurement import check_measurement, for_measurement

    check_measurement(measurement)
    path = DEFAULT_CALIBRATION.get(name)
    if path is not None and path.exists():
        params = load_params(path, name)
    else:
        params = params_class(name)()
    return for_measurement(params, measurement)


def get_preset(name: str, params: Params | None = None, measurement: str = "mocap") -> Preset:
    """The preset object of `name`, with `params` (None: `default_params` of `measurement`)."""
    preset = _preset_class(name)()
    if params is None:
        params = default_params(name, measurement)
    if type(params) is not type(preset.params):
        raise ValueError(f"preset {name!r} takes {type(preset.params).__name__}, got "
                         f"{type(params).__name__}")
    return preset.replace(params=params)


def load_params(path: str | Path, preset: str | None = None) -> Params:
    """The parameters in a file written by `params.save_params`; `preset`, if given, must be
    the file's. ValueError naming the file and the offending key otherwise."""
    name, values = read_params_file(path)
    if preset is not None and name != preset:
        raise ValueError(f"{path}: parameters of preset {name!r}, not {preset!r}")
    try:
        return params_class(name).from_dict(values)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
