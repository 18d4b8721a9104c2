"""Long clips: the windowed terms are banded (memory and time linear in T), a long clip in a
batch is scored on its own within bounded memory, and a clip longer than the device accepts
comes back invalid with a reason while the rest of the batch is scored."""

import resource

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from physics_jax import pipeline
from physics_jax.api import score_clips
from physics_jax.kernels.window import WINDOW_BLOCK, gaussian_window, window_sum
from physics_jax.motion import pad_batch
from physics_jax.pipeline import BatchScorer, ScorerConfig, flatten_scores, plan_batches
from physics_jax.presets.v2_params import V2Params
from physics_jax.synthetic import synthetic_clip

P = V2Params()
NORMAL_FRAMES = (44, 40, 36, 30)  # one (4, 48) batch
LONG_FRAMES = 20_000


def _masked_columns(rng, t_max: int, length: int, c: int, dtype) -> jnp.ndarray:
    """Random (T, C) columns, zero past `length` and on a random third of the frames (frames
    that do not count), as the balance means feed them."""
    x = rng.normal(size=(t_max, c)) * (rng.random((t_max, 1)) > 1 / 3)
    x[length:] = 0.0
    return jnp.asarray(x, dtype)


@pytest.mark.parametrize("t_max,length,taps,block", [
    (40, 31, 9, WINDOW_BLOCK), (128, 128, 48, WINDOW_BLOCK), (129, 100, 48, WINDOW_BLOCK),
    (768, 688, 48, WINDOW_BLOCK), (1000, 1000, 48, WINDOW_BLOCK), (300, 257, 20, 16),
    (50, 50, 3, 7)])
def test_window_sum_equals_the_dense_window_product(t_max, length, taps, block):
    """The banded product is the dense (T, T) product: to 1e-13 in float64, to float32
    rounding in float32, and the very same product up to `block` frames."""
    rng = np.random.default_rng(t_max + taps)
    dt = 1 / 30
    for dtype, rtol in ((jnp.float64, 1e-13), (jnp.float32, 3e-6)):
        x = _masked_columns(rng, t_max, length, 6, dtype)
        d = jnp.asarray(dt, dtype)
        dense = np.asarray(jnp.dot(gaussian_window(d, t_max, 0.5, taps), x,
                                   precision=jax.lax.Precision.HIGHEST))
        banded = np.asarray(window_sum(x, d, 0.5, taps, block))
        assert banded.shape == (t_max, 6)
        scale = np.abs(dense).max()
        np.testing.assert_allclose(banded, dense, rtol=0, atol=rtol * scale)
        if t_max <= block:
            np.testing.assert_array_equal(banded, dense)
    # the window reaches exactly `taps` frames: a unit impulse spreads over 2 taps + 1 frames
    impulse = jnp.zeros((t_max, 1), jnp.float64).at[t_max // 2, 0].set(1.0)
    spread = np.asarray(window_sum(impulse, jnp.asarray(dt), 0.5, taps, block))[:, 0]
    lo, hi = max(0, t_max // 2 - taps), min(t_max, t_max // 2 + taps + 1)
    assert np.all(spread[lo:hi] > 0) and not spread[:lo].any() and not spread[hi:].any()
    np.testing.assert_allclose(spread[t_max // 2 + 1:hi],
                               np.exp(-0.5 * (np.arange(1, hi - t_max // 2) * dt / 0.5) ** 2),
                               rtol=1e-12)


def test_window_sum_memory_is_linear_in_frames():
    """XLA's temporaries for the balance means of 100,000 frames (36 columns): what the columns
    take, not the 40 GB of a (T, T) window."""
    t_max, c = 100_000, 36
    fn = jax.jit(lambda x, d: window_sum(x, d, P.balance_window_s, P.balance_taps))
    mem = fn.lower(jax.ShapeDtypeStruct((t_max, c), jnp.float32),
                   jax.ShapeDtypeStruct((), jnp.float32)).compile().memory_analysis()
    temp = mem.temp_size_in_bytes
    print(f"window_sum temporaries at T = {t_max}: {temp / 1e6:.1f} MB")
    assert temp < 4 * t_max * c * 4  # a few copies of the (T, C) columns at most


def test_plan_batches_keeps_short_clips_together_and_long_ones_apart():
    frames = [45, 5000, 30, 200_000, 4096, 60]
    batches, rejected = plan_batches(frames, batch_size=2, limit=100_000)
    assert batches == [[0, 2], [4, 5], [1]]
    assert list(rejected) == [3]
    assert rejected[3].startswith("frames: 200000 frames; at most 100000 per clip")
    assert plan_batches([45, 30, 20], 256, 1000) == ([[0, 1, 2]], {})  # as before: one batch


def test_max_clip_frames_follows_device_memory():
    cpu = jax.devices("cpu")[0]
    mem = pipeline.device_memory_bytes(cpu)
    expected = int(pipeline.DEVICE_MEMORY_SHARE * mem // pipeline.CLIP_BYTES_PER_FRAME["float32"])
    assert pipeline.max_clip_frames(cpu) == min(pipeline.MAX_CLIP_FRAMES, expected)
    assert pipeline.max_clip_frames("cpu", "float64") <= pipeline.max_clip_frames("cpu")
    assert BatchScorer(ScorerConfig(max_frames=1234)).max_frames(cpu) == 1234


@pytest.fixture(scope="module")
def normal_clips():
    kinds = ("walk", "jump", "spin", "stand")
    return [synthetic_clip(k, frames=n, seed=i, noise=0.02)
            for i, (k, n) in enumerate(zip(kinds, NORMAL_FRAMES, strict=True))]


@pytest.fixture(scope="module")
def alone(normal_clips):
    """The normal clips scored as one batch of their own (float32, CPU)."""
    return score_clips(normal_clips, preset="v2", device="cpu", dtype="float32")


def _same_scores(rows, expected):
    for row, ref in zip(rows, expected, strict=True):
        assert row["valid"] and ref["valid"]
        assert row["reward"] == pytest.approx(ref["reward"], abs=1e-6)
        for axis in ("kinematic", "contact", "dynamic"):
            for name, sub in ref[axis].items():
                if name == "score":
                    assert row[axis]["score"] == pytest.approx(sub, abs=1e-6)
                else:
                    assert row[axis][name]["value"] == pytest.approx(sub["value"], rel=1e-5,
                                                                     abs=1e-7)


def test_a_long_clip_in_a_batch_is_scored_in_bounded_memory(normal_clips, alone):
    """One clip of 20,000 frames among normal clips: scored within bounded memory (0.6 GB of
    XLA temporaries at its 20,480-frame bucket, where the dense window made it 2.3 GB), and
    the normal clips score as they do alone."""
    long = synthetic_clip("jump", frames=LONG_FRAMES, seed=3, noise=0.02)
    long.source = "long"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    rows = score_clips([normal_clips[0], long, *normal_clips[1:]], preset="v2", device="cpu",
                       dtype="float32")
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    print(f"peak RSS grew by {grown / 1e6:.0f} MB scoring {LONG_FRAMES} frames")
    assert grown < 1.5e9
    row = rows[1]
    assert row["file"] == "long" and row["frames"] == LONG_FRAMES and row["valid"]
    assert 0.0 < row["reward"] <= 1.0
    # jumps on the spot repeat every 0.8 s: the per-frame statistics match the 40-frame jump's
    jump = alone[1]
    for axis, name, rel in (("kinematic", "jitter", 0.05), ("dynamic", "residual_force", 0.1)):
        assert row[axis][name]["value"] == pytest.approx(jump[axis][name]["value"], rel=rel)
    assert row["kinematic"]["score"] == pytest.approx(jump["kinematic"]["score"], abs=0.01)
    assert row["contact"]["penetration"]["value"] < 2e-3  # mm: feet on the floor
    assert row["contact"]["balance"]["value"] < P.bal_offset  # the pivot over the feet
    _same_scores([rows[0], *rows[2:]], alone)


def test_a_clip_too_long_for_the_device_is_rejected_with_a_reason(normal_clips, alone,
                                                                  monkeypatch):
    monkeypatch.setattr(pipeline, "MAX_CLIP_FRAMES", max(NORMAL_FRAMES))
    too_long = synthetic_clip("walk", frames=max(NORMAL_FRAMES) + 1, seed=9)
    too_long.source = "too_long"
    rows = score_clips([*normal_clips[:2], too_long, *normal_clips[2:]], preset="v2",
                       device="cpu", dtype="float32")
    bad = rows[2]
    assert bad["file"] == "too_long" and not bad["valid"] and bad["reward"] is None
    assert bad["frames"] == max(NORMAL_FRAMES) + 1 and bad["fps"] == 30.0
    assert bad["reason"] == pipeline.too_long_reason(max(NORMAL_FRAMES) + 1,
                                                     max(NORMAL_FRAMES))
    assert all(bad[axis] == {"score": None} for axis in ("kinematic", "contact", "dynamic"))
    _same_scores(rows[:2] + rows[3:], alone)


def test_packed_scorer_marks_clips_past_max_frames_invalid(normal_clips, alone):
    """The packed entry point (`bridge.PhysicsReward`): a batch padded past `max_frames` is
    scored on its first `max_frames` frames; the clip longer than that is invalid, the others
    score as alone. A chunk of 32 frames, shorter than the clips, also runs their per-frame
    physics in pieces (`clip_states`), which changes nothing."""
    limit = max(NORMAL_FRAMES)
    scorer = BatchScorer(ScorerConfig(preset="v2", chunk=32, max_frames=limit))
    clips = [*normal_clips, synthetic_clip("walk", frames=60, seed=9)]
    batch = pad_batch(clips, t_max=64, b_max=5)
    f32 = np.float32
    keys, out = scorer.packed(batch.global_orient.astype(f32), batch.body_pose.astype(f32),
                              batch.transl.astype(f32), batch.lengths, batch.fps.astype(f32))
    out = np.asarray(out)
    valid = out[keys.index("valid")]
    np.testing.assert_array_equal(valid, [1, 1, 1, 1, 0])
    assert out[keys.index("reward"), 4] == 0.0
    np.testing.assert_allclose(out[keys.index("reward"), :4], [r["reward"] for r in alone],
                               atol=1e-6)
    flat = {k: out[i] for i, k in enumerate(keys)}
    ref = flatten_scores(_nested(alone))
    for key, values in ref.items():
        np.testing.assert_allclose(flat[key][:4], values, rtol=1e-5, atol=1e-6, err_msg=key)


def _nested(rows) -> dict:
    """Result rows -> the scorer's nested layout of (B,) arrays (scores and values)."""
    out = {"reward": np.array([r["reward"] for r in rows])}
    for axis in ("kinematic", "contact", "dynamic"):
        out[axis] = {"score": np.array([r[axis]["score"] for r in rows])}
        for name in rows[0][axis]:
            if name != "score":
                out[axis][name] = {k: np.array([r[axis][name][k] for r in rows])
                                   for k in rows[0][axis][name] if k != "unit"}
    return out
