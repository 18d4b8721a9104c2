"""The fast CPU scorer and its process pool against the plain reference scorer."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from physics_jax.reference.axes import self_penetration_depth
from physics_jax.reference.batched_axes import (
    flat_row,
    nested,
    penetration_depth,
    support_distances,
)
from physics_jax.reference.cpu_pool import CpuScorerPool
from physics_jax.reference.cpu_scorer import ReferenceScorer, score_clip
from physics_jax.reference.fast_cpu import FastCpuScorer, collision_geometry
from physics_jax.reference.frame_physics import (
    FramePhysics,
    finite_differences,
    random_frames,
    retarget,
)
from physics_jax.reference.geometry import support_distance
from physics_jax.synthetic import synthetic_clip

KINDS = ("walk", "jump", "spin", "stand", "glide")


def _clips(n: int = 24) -> list:
    """Varied clips: 3 to 120 frames, 16 and 30 fps, noise, lifts, sinks, 63-wide body_pose."""
    rng = np.random.default_rng(7)
    clips = []
    for i in range(n):
        frames = int(rng.choice([3, 4, 9, 32, 45, 120]))
        clip = synthetic_clip(KINDS[i % 5], frames=frames, fps=16.0 if i % 3 == 0 else 30.0,
                              seed=i, noise=float(rng.choice([0.0, 0.01, 0.05, 0.15])),
                              lift=0.1 if i % 7 == 0 else 0.0, sink=0.05 if i % 5 == 1 else 0.0,
                              speed=float(rng.uniform(0.3, 2.5)))
        if i % 4 == 3:
            clip.body_pose = clip.body_pose[:, :63]
        clips.append(clip)
    return clips


@pytest.fixture(scope="module")
def clips() -> list:
    return _clips()


@pytest.fixture(scope="module")
def expected(clips) -> np.ndarray:
    return np.stack([flat_row(score_clip(c.global_orient, c.body_pose, c.transl, c.fps))
                     for c in clips])


@pytest.fixture(scope="module")
def pool():
    with CpuScorerPool(workers=2) as p:
        yield p


@pytest.mark.parametrize("method", ["rne", "inverse"])
def test_in_process_equals_reference(clips, expected, method: str) -> None:
    out = FastCpuScorer(copies=5, method=method).score(clips)
    assert out.valid.all() and out.reasons == [""] * len(clips)
    np.testing.assert_allclose(out.values, expected, rtol=0, atol=1e-6)
    # the scores are not trivial: rewards spread, some terms penalised
    assert np.ptp(out["reward"]) > 0.1
    for term in ("kinematic/jitter", "kinematic/self_penetration", "dynamic/torque",
                 "dynamic/grf", "contact/slip"):
        assert (out[term] < 1).any(), term


def test_chunking_does_not_change_scores(clips, expected) -> None:
    small = FastCpuScorer(chunk_frames=40).score(clips)  # about one clip per chunk
    np.testing.assert_allclose(small.values, expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(small.values, FastCpuScorer().score(clips).values, rtol=0,
                               atol=1e-12)


def test_failing_chunk_is_flagged_others_scored(clips, expected, monkeypatch) -> None:
    scorer = FastCpuScorer(chunk_frames=1)  # one clip per chunk
    real = scorer._score_chunk
    target = clips[2].frames

    def flaky(frames, rows):
        if rows[0][1] == target:
            raise FloatingPointError("solver blew up")
        return real(frames, rows)

    monkeypatch.setattr(scorer, "_score_chunk", flaky)
    out = scorer.score(clips)
    hit = np.array([c.frames == target for c in clips])
    assert (~out.valid == hit).all() and hit.sum() >= 1
    assert all(r == "scoring failed: FloatingPointError: solver blew up"
               for r, h in zip(out.reasons, hit, strict=True) if h)
    np.testing.assert_allclose(out.values[~hit], expected[~hit], rtol=0, atol=1e-6)
    assert (out.values[hit] == 0).all()


def test_nested_layout_matches_reference(clips) -> None:
    c = clips[1]
    ref = score_clip(c.global_orient, c.body_pose, c.transl, c.fps)
    got = FastCpuScorer().score([c]).clip(0)
    assert got.pop("valid") is True and got.pop("reason") == ""
    assert set(got) == set(ref)
    for axis in ("kinematic", "contact", "dynamic"):
        assert set(got[axis]) == set(ref[axis])
    assert got["dynamic"]["effort"]["value"] == pytest.approx(ref["dynamic"]["effort"]["value"],
                                                              abs=1e-6)
    assert nested(flat_row(ref)) == ref


def test_frame_physics_matches_reference_trajectory() -> None:
    ref = ReferenceScorer()
    c = synthetic_clip("walk", frames=21, noise=0.05, seed=3)
    qpos = ref.retarget(c.global_orient, c.body_pose, c.transl)
    traj = ref.trajectory(qpos, 30.0)
    for method, copies in (("rne", 1), ("rne", 8), ("inverse", 1)):
        phys = FramePhysics(copies, method)
        q = retarget(c.global_orient[None], c.body_pose[None], c.transl[None], phys.hinge_qpos)
        np.testing.assert_array_equal(q[0], qpos)
        qvel, qacc = finite_differences(q, 1.0 / 30.0)
        np.testing.assert_array_equal(qvel[0], traj.qvel)
        out = phys.run(q[0], qvel[0], qacc[0])
        np.testing.assert_allclose(out.force, traj.force, rtol=0, atol=1e-9)
        np.testing.assert_array_equal(out.body_pos, traj.body_pos)
        np.testing.assert_array_equal(out.body_rot, traj.body_rot)
        np.testing.assert_allclose(out.com, traj.com, rtol=0, atol=1e-12)
        assert phys.forces_only(*(x[:copies] for x in random_frames(copies))) != 0.0


def test_support_distances_match_hull() -> None:
    rng = np.random.default_rng(0)
    n = 400
    feet = rng.uniform(-0.3, 0.3, size=(n, 4, 2))
    feet[:40, 2] = feet[:40, 0]  # coincident points
    feet[40:80, 1] = 0.5 * (feet[40:80, 0] + feet[40:80, 3])  # collinear triples
    feet[80:100, :] = feet[80:100, :1] + np.linspace(0, 1, 4)[None, :, None] * 0.2  # all on a line
    contact = rng.random((n, 4)) < 0.6
    com = rng.uniform(-0.4, 0.4, size=(n, 2))
    com[::5] = feet[::5].mean(axis=1)  # many inside
    got = support_distances(feet, contact, com)
    want = np.array([support_distance(feet[i, contact[i]], com[i]) for i in range(n)])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    assert (got == 0).sum() > 20 and (got == 1.0).sum() > 0 and (got > 0).sum() > 100


def test_penetration_depth_matches_reference() -> None:
    segments, radii, pairs = collision_geometry()
    rng = np.random.default_rng(1)
    n = 64
    pos = rng.normal(scale=0.15, size=(n, 24, 3))  # bodies crowded together: many overlaps
    rot = Rotation.random(n * 24, random_state=2).as_matrix().reshape(n, 24, 3, 3)
    got = penetration_depth(pos, rot, segments, radii, pairs)
    want = self_penetration_depth(pos, rot, segments, radii, pairs)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    assert (want > 0).mean() > 0.5


def test_pool_equals_reference_and_in_process(pool, clips, expected) -> None:
    out = pool.score(clips)
    assert out.valid.all()
    np.testing.assert_allclose(out.values, expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(out.values, FastCpuScorer().score(clips).values, rtol=0,
                               atol=1e-12)


def test_pool_is_reused(pool, clips) -> None:
    pids = pool.pids
    assert len(pids) == 2
    first = pool.score(clips[:9])
    again = pool.score(clips[:9])
    assert pool.pids == pids  # no new processes per call
    np.testing.assert_array_equal(first.values, again.values)
    assert pool.start() == pool.startup_s > 0  # started once


def test_bad_clips_flagged_not_raised(pool, clips, expected) -> None:
    bad_nan = synthetic_clip("walk", frames=12, seed=1)
    bad_nan.transl[5, 1] = np.nan
    bad = [
        bad_nan,
        {"global_orient": np.zeros((10, 3)), "body_pose": np.zeros((10, 62)),
         "transl": np.zeros((10, 3)), "fps": 30.0, "source": "odd.npz"},
        {"global_orient": np.zeros((2, 3)), "body_pose": np.zeros((2, 69)),
         "transl": np.zeros((2, 3)), "fps": 30.0},
        {"global_orient": np.zeros((10, 3)), "body_pose": np.zeros((10, 69)),
         "transl": np.zeros((10, 3)), "fps": 0.0},
        {"global_orient": np.zeros((10, 3)), "body_pose": np.zeros((10, 69)), "fps": 30.0},
    ]
    huge = synthetic_clip("jump", frames=12, seed=2)
    huge.transl[::2] = 1e300  # finite input, overflowing physics
    bad.append(huge)
    batch = [clips[0], *bad, clips[1]]
    for out in (pool.score(batch), FastCpuScorer().score(batch)):
        assert out.valid.tolist() == [True, False, False, False, False, False, False, True]
        assert out.reasons[6].startswith("non-finite score")
        assert "transl" in out.reasons[1] and "frame 5" in out.reasons[1]
        assert out.reasons[1].startswith("synthetic:walk")
        assert out.reasons[2].startswith("odd.npz: body_pose: shape (10, 62)")
        assert "frames" in out.reasons[3] and "fps" in out.reasons[4]
        assert "transl" in out.reasons[5] and "missing" in out.reasons[5]
        assert np.isfinite(out.values).all() and (out.values[1:7] == 0).all()
        np.testing.assert_allclose(out.values[[0, 7]], expected[[0, 1]], rtol=0, atol=1e-6)
    assert not pool.score(bad).valid.any()


def test_physics_only_runs_every_frame(pool, clips) -> None:
    n = pool.load_physics(clips[:6])
    frames = sum(c.frames for c in clips[:6])
    assert n == -(-frames // pool.copies) * pool.copies
    result = pool.physics_only()
    assert result["frames"] == n and result["wall_s"] >= result["worker_s"] > 0
    # the same frames in this process give the same force checksum
    phys = FramePhysics(pool.copies)
    qpos, qvel, qacc = [], [], []
    for c in clips[:6]:
        bp = np.pad(c.body_pose, ((0, 0), (0, 69 - c.body_pose.shape[1])))
        q = retarget(c.global_orient[None], bp[None], c.transl[None], phys.hinge_qpos)
        v, a = finite_differences(q, 1.0 / c.fps)
        qpos.append(q[0]), qvel.append(v[0]), qacc.append(a[0])
    q, v, a = (np.concatenate(x) for x in (qpos, qvel, qacc))
    pad = n - frames
    q, v, a = (np.concatenate([x, np.repeat(x[-1:], pad, axis=0)]) for x in (q, v, a))
    assert result["checksum"] == pytest.approx(phys.forces_only(q, v, a), rel=1e-12)
    assert pool.physics_only()["checksum"] == result["checksum"]
    # scoring and physics-only calls alternate on the same workers
    again = pool.score(clips[:3]).values
    np.testing.assert_allclose(again, FastCpuScorer().score(clips[:3]).values, rtol=0, atol=1e-12)
