"""Presets are data: parameters load and save with validation, the packed keys are declared,
the pipeline chooses nothing by name, and one compiled program serves any calibration."""

import inspect
import json
import re

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from physics_jax import pipeline
from physics_jax.motion import pad_batch
from physics_jax.pipeline import BatchScorer, ScorerConfig, flatten_scores
from physics_jax.presets.params import save_params
from physics_jax.presets.phymotion_params import PhymotionParams
from physics_jax.presets.registry import PRESET_NAMES, get_preset, load_params
from physics_jax.presets.v2_params import V2Params
from physics_jax.synthetic import synthetic_clip


@pytest.mark.parametrize("cls", [V2Params, PhymotionParams])
def test_params_round_trip_through_a_file(cls, tmp_path):
    changed = cls.from_dict({**cls().to_dict(), "speed_limit": 7.5})
    save_params(changed, tmp_path / "p.json")
    assert load_params(tmp_path / "p.json") == changed
    assert load_params(tmp_path / "p.json", preset=cls.PRESET).speed_limit == 7.5
    for info in cls.describe().values():
        assert info["unit"] and info["doc"]


def test_bad_parameter_files_name_the_key(tmp_path):
    values = V2Params().to_dict()
    cases = {"unknown key 'slip_ofset'": {**values, "slip_ofset": 0.1},
             "missing key 'grf_scale'": {k: v for k, v in values.items() if k != "grf_scale"},
             "key 'friction' must be a number": {**values, "friction": "high"},
             "key 'pen_scale' must be finite": {**values, "pen_scale": float("nan")},
             "key 'balance_taps' must be a whole number": {**values, "balance_taps": 2.5}}
    for message, bad in cases.items():
        with pytest.raises(ValueError, match=message):
            V2Params.from_dict(bad)
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"preset": "v2", "params": {**values, "extra": 1.0}}))
    with pytest.raises(ValueError, match=r"p\.json: .*unknown key 'extra'"):
        load_params(path)
    with pytest.raises(ValueError, match="not 'phymotion'"):
        load_params(path, preset="phymotion")
    path.write_text(json.dumps(values))
    with pytest.raises(ValueError, match='expected {"preset"'):
        load_params(path)


def test_registry_and_static_fields():
    assert PRESET_NAMES == ("v2", "phymotion")
    with pytest.raises(ValueError, match="unknown preset 'v3'"):
        get_preset("v3")
    with pytest.raises(ValueError, match="takes V2Params"):
        get_preset("v2", PhymotionParams())
    preset = get_preset("v2")
    leaves = jax.tree_util.tree_leaves(preset)
    static = [k for k, v in V2Params.describe().items() if v["static"]]
    assert len(leaves) == len(V2Params.describe()) - len(static)  # only traced params are leaves
    assert set(static) == {"hold_taps", "balance_taps", "support_directions", "gravity",
                           "smooth_taps", "worst_taps"}


def test_pipeline_selects_nothing_by_preset_name():
    """The name is looked up once (`get_preset`); nothing compares against it afterwards."""
    source = inspect.getsource(pipeline)
    for name in PRESET_NAMES:
        assert not re.search(rf"""(==|!=|\bin)\s*\(?["']{name}["']""", source), name
    assert "config.preset ==" not in source and "preset.name ==" not in source


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_declared_packed_keys_are_the_scores(name):
    scorer = BatchScorer(ScorerConfig(preset=name))
    b, t = 2, 16
    args = (jax.ShapeDtypeStruct((b, t, 3), jnp.float32),
            jax.ShapeDtypeStruct((b, t, 23, 3), jnp.float32),
            jax.ShapeDtypeStruct((b, t, 3), jnp.float32),
            jax.ShapeDtypeStruct((b,), jnp.int32), jax.ShapeDtypeStruct((b,), jnp.float32))
    out = jax.eval_shape(scorer._score, scorer.params, *args)
    assert (*flatten_scores(out), "valid") == scorer.packed_keys == get_preset(name).packed_keys


def test_one_trace_for_any_calibration():
    """`chex.assert_max_traces` on the jitted entry: a second call with other parameters, or the
    same shape again, does not trace (or compile) again; the parameters do reach the program."""
    scorer = BatchScorer(ScorerConfig(preset="v2"))
    scorer._jit = jax.jit(chex.assert_max_traces(scorer._score, n=1))
    clips = [synthetic_clip("walk", frames=14, seed=1, noise=0.02),
             synthetic_clip("stand", frames=16, seed=2)]
    batch = pad_batch(clips, t_max=16, b_max=2)
    args = (batch.global_orient, batch.body_pose, batch.transl, batch.lengths, batch.fps)
    strict = V2Params.from_dict({**V2Params().to_dict(), "slip_offset": 0.0,
                                 "slip_scale": 0.001, "drift_offset": 0.0})
    default = scorer(*args)
    tight = scorer(*args, params=strict)
    again = scorer(*args)
    assert scorer.compile_count == 1
    np.testing.assert_array_equal(np.asarray(again["reward"]), np.asarray(default["reward"]))
    slip, slip_tight = (np.asarray(o["contact"]["slip"]["score"]) for o in (default, tight))
    assert slip_tight[0] < slip[0] and slip_tight[0] == 0.0  # the walk slides a little
    with pytest.raises(AssertionError, match="traced > 1 times"):
        pad = pad_batch(clips, t_max=32, b_max=2)  # another shape bucket: a second trace
        scorer(pad.global_orient, pad.body_pose, pad.transl, pad.lengths, pad.fps)
