"""Property-based fuzz of the two ways bad data reaches the scorer: `phymotion score` on generated
npz files, and `PhysicsReward` on generated tensors. Every case must end in a valid score in
[0, 1], an invalid row with a reason, or (CLI) exit 2 with one `error:` line naming the file /
(tensors) a ValueError naming the field: never a traceback, a NaN or a crash of the batch.

`make test` runs `FUZZ_CASES` (200) cases of each; the long run sets PHYMOTION_FUZZ_CASES:
    PHYMOTION_FUZZ_CASES=2000 .venv/bin/python -m pytest -q tests/test_fuzz_inputs.py
"""

import json
import math
import os

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cli import main
from bridge.reward import ROW_REASONS, PhysicsReward

FUZZ_CASES = int(os.environ.get("PHYMOTION_FUZZ_CASES", "200"))
FUZZ = settings(max_examples=FUZZ_CASES, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))
MAX_T = 32
FRAMES = st.one_of(st.integers(0, 2), st.integers(17, MAX_T))
"""Frame counts: too few, or inside the 32-frame bucket (one compiled shape per path; 3-16
frames would only add the 16-frame bucket's compile, which nothing here needs)."""

MAGNITUDES = (0.0, 1e-6, 0.3, 1.0, 3.0, 50.0, 2e3, 1e30, float("inf"), float("nan"))
DTYPES = ("float64", "float32", "float16", "int64", "bool", "complex128")


@st.composite
def arrays(draw, shape):
    """A (shape) array of a drawn dtype: mostly small normal values, a few far out or broken."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    scale = draw(st.sampled_from((0.01, 0.3, 1.0)))
    values = rng.normal(scale=scale, size=shape)
    if values.size and draw(st.booleans()):
        spots = draw(st.integers(1, 3))
        flat = values.reshape(-1)
        flat[rng.integers(0, flat.size, spots)] = draw(st.sampled_from(MAGNITUDES))
    dtype = draw(st.sampled_from(DTYPES)) if draw(st.integers(0, 5)) == 0 else "float64"
    return values.astype(dtype) if dtype != "bool" else values > 0


@st.composite
def npz_fields(draw):
    """The arrays of a project npz, each possibly of the wrong shape, dtype or magnitude."""
    t = draw(FRAMES)
    width = draw(st.sampled_from(((63,), (69,), (23, 3), (72,), (21, 3))))
    shapes = {"global_orient": (t, 3), "body_pose": (t, *width), "transl": (t, 3)}
    if draw(st.integers(0, 7)) == 0:  # one array of a broken shape
        key = draw(st.sampled_from(sorted(shapes)))
        shapes[key] = draw(st.sampled_from(((t,), (t, 2), (max(t - 1, 0), 3), (t, 3, 1))))
    fields = {k: draw(arrays(s)) for k, s in shapes.items()}
    if fields["transl"].dtype.kind == "f" and fields["transl"].ndim == 2 and t:
        fields["transl"][:, 1 % fields["transl"].shape[1]] += 0.9  # mostly standing height
    fps = draw(st.one_of(
        st.floats(1.0, 240.0), st.sampled_from((0.0, -30.0, 1e9, 1e-9, float("nan"), True)),
        st.just(np.array([30.0, 60.0])), st.just(np.array("30")), st.none()))
    if fps is not None:
        fields["fps"] = np.asarray(fps)
    if draw(st.booleans()):
        fields["betas"] = draw(arrays((draw(st.sampled_from((10, 16, 300, 301))),)))
    if draw(st.integers(0, 9)) == 0:
        fields["unused"] = np.zeros((4, 4))
    return fields


@pytest.mark.slow
@FUZZ
@given(npz_fields())
def test_cli_score_on_generated_npz(tmp_path_factory, capsys, fields):
    folder = tmp_path_factory.mktemp("fuzz")
    path, out = folder / "clip.npz", folder / "scores.json"
    np.savez(path, **fields)
    code = main(["score", str(path), "--json", str(out)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    if code == 2:
        lines = [ln for ln in captured.err.splitlines() if ln.startswith("error:")]
        assert len(lines) == 1 and str(path) in lines[0], captured.err
        return
    assert code == 0, captured.err
    (row,) = json.loads(out.read_text())
    if row["valid"]:
        assert math.isfinite(row["reward"]) and 0.0 <= row["reward"] <= 1.0
    else:
        assert row["reason"] and row["reward"] is None


@pytest.fixture(scope="module")
def reward():
    return PhysicsReward("v2")


TORCH_DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64,
                torch.bool, torch.complex64)


@st.composite
def tensor_batches(draw):
    """(global_orient, body_pose, transl, lengths, fps), mostly well formed."""
    b, t = draw(st.sampled_from((0, 3, 4))), draw(FRAMES)  # one (4, T) clip bucket
    pose = draw(st.sampled_from(((63,), (69,), (23, 3), (72,))))
    shapes = [(b, t, 3), (b, t, *pose), (b, t, 3)]
    if draw(st.integers(0, 7)) == 0:
        shapes[draw(st.integers(0, 2))] = draw(st.sampled_from(((b, t), (b, t, 2),
                                                                (b + 1, t, 3))))
    tensors = []
    for shape in shapes:
        values = torch.from_numpy(np.asarray(draw(arrays(shape)), dtype=np.float64))
        dtype = draw(st.sampled_from(TORCH_DTYPES)) if draw(st.integers(0, 5)) == 0 \
            else torch.float32
        tensors.append(values.to(dtype))
    if tensors[2].is_floating_point() and tensors[2].ndim == 3 and tensors[2].shape[-1] == 3:
        tensors[2][..., 1] += 0.9
    lengths = torch.tensor(draw(st.lists(st.integers(-2, MAX_T + 2), min_size=b, max_size=b)),
                           dtype=torch.int64)
    if draw(st.booleans()):
        lengths = torch.full((b,), t)
    fps = draw(st.one_of(
        st.floats(1.0, 240.0), st.sampled_from((0.0, -1.0, 1e9, float("nan"), float("inf"))),
        st.lists(st.floats(-10.0, 500.0), min_size=b, max_size=b).map(torch.tensor)))
    return (*tensors, lengths, fps)


@pytest.mark.slow
@FUZZ
@given(tensor_batches())
def test_physics_reward_on_generated_tensors(reward, batch):
    try:
        out = reward(*batch)
    except ValueError as exc:  # the batch breaks the shape/dtype contract: named field
        assert str(exc).split(":")[0] in ("global_orient", "body_pose", "transl", "lengths",
                                          "fps")
        return
    b = batch[2].shape[0]
    assert out["reward"].shape == (b,) and out["valid"].dtype == torch.bool
    assert torch.isfinite(out["reward"]).all()
    assert ((out["reward"] >= 0) & (out["reward"] <= 1)).all()
    assert (out["reward"][~out["valid"]] == 0).all()
    codes = out["invalid_reason"]
    assert ((codes == 0) == out["valid"]).all()
    reasons = reward.reasons(out)
    assert all(r in (*ROW_REASONS, "non-finite score (numerical failure)") for r in reasons)
