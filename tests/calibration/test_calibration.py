"""Calibration rules, the shipped calibration and the ramp that replaces v2's dead zone."""

from __future__ import annotations

import hashlib
import json

import jax.numpy as jnp
import numpy as np
import pytest

from physics_jax.calibration.corpus import MANIFEST, manifest_files, spread
from physics_jax.calibration.derive import calibrate
from physics_jax.calibration.rules import RULES, apply_rule, source_weights, weighted_quantile
from physics_jax.kernels.soft import soft_excess, soft_ramp
from physics_jax.presets.registry import DEFAULT_CALIBRATION, default_params, get_preset
from physics_jax.presets.v2_params import V2Params


def test_soft_ramp_strictly_increasing_and_tends_to_soft_excess():
    x = jnp.linspace(0.0, 1.0, 201)
    v = np.asarray(soft_ramp(x, 0.5, 0.2, 0.02))
    assert np.all(np.diff(v) > 0)  # no dead zone: any increase lowers the score
    assert v[0] < 1e-6 and v[0] > 0
    far = np.asarray(soft_excess(x, 0.5, 0.2))
    assert np.allclose(v[x > 0.7], far[x > 0.7], atol=2e-3)


def test_weighted_quantile_and_equal_source_weights():
    x = np.arange(10.0)
    assert weighted_quantile(x, np.ones(10), 0.5) == pytest.approx(4.5)
    w = source_weights(["a"] * 8 + ["b"] * 2)
    assert w[:8].sum() == pytest.approx(0.5) and w[8:].sum() == pytest.approx(0.5)


def test_rule_floors_and_quantiles():
    rule = RULES[0]
    r = apply_rule(rule, np.zeros(50), np.ones(50) / 50)  # no spread: the floors hold
    assert r["offset"] == 0 and r["scale"] == rule.floor and r["width"] == rule.floor / 4
    x = np.linspace(0, 1, 1001)
    r = apply_rule(rule, x, np.ones_like(x) / x.size)
    assert r["offset"] == pytest.approx(0.95, abs=1e-3)  # q0.95
    assert r["scale"] == pytest.approx(0.45, abs=1e-3)  # q0.95 - q0.50
    assert r["width"] == pytest.approx(0.1125, abs=1e-3)  # a quarter of the scale


def test_calibrate_sets_every_rule_and_keeps_physical_constants():
    rng = np.random.default_rng(0)
    values = {r.term: rng.gamma(2.0, r.floor * 5, 60) for r in RULES}
    params, record = calibrate(values, ["a"] * 30 + ["b"] * 30)
    for r in RULES:
        assert getattr(params, r.offset) == pytest.approx(record[r.term]["offset"], abs=1e-5)
        assert getattr(params, r.scale) >= r.floor and getattr(params, r.width) >= r.floor / 2
    base = V2Params()
    for name in ("friction", "contact_gap", "gravity", "balance_window_s", "speed_limit"):
        assert getattr(params, name) == getattr(base, name)


def test_shipped_calibration_is_loaded_by_default_with_provenance():
    path = DEFAULT_CALIBRATION["v2"]
    data = json.loads(path.read_text())
    prov = data["provenance"]
    sha = hashlib.sha256(MANIFEST.read_bytes()).hexdigest()
    assert sha in prov["manifest_sha256"].values()
    assert {"command", "date", "takes_per_source", "windows_per_source", "terms"} <= set(prov)
    assert len(prov["takes_per_source"]) >= 5
    params = default_params("v2")
    assert params == V2Params.from_dict(data["params"])
    assert get_preset("v2").params == params
    for r in RULES:
        assert getattr(params, r.offset) == pytest.approx(prov["terms"][r.term]["offset"],
                                                          abs=1e-5)


def test_manifest_takes_resolve_and_reserved_takes_absent():
    found, _ = manifest_files(MANIFEST, MANIFEST.parent / "no-cache")
    assert len(found) == 14  # the committed CMU samples resolve without a cache
    import csv

    takes = [r["take"] for r in csv.DictReader(MANIFEST.open())]
    assert not [t for t in takes if t.startswith("cmu_131_") and t != "cmu_131_03"]
    assert not [t for t in takes if "bandai" in t.lower() or "xia" in t.lower()]
    assert spread(10, 3) == [0, 4, 9] or spread(10, 3) == [0, 5, 9]
    assert spread(2, 3) == [0, 1]
