"""Kernels against MuJoCo's C API and closed forms."""

import chex
import jax
import jax.numpy as jnp
import mujoco
import numpy as np
from scipy.spatial.transform import Rotation

from physics_jax.humanoid import BALL_LAYOUT, LAYOUT
from physics_jax.kernels.dynamics import BACKENDS, DynamicsKernel
from physics_jax.kernels.friction import cone_distance, project_cone
from physics_jax.kernels.masked import weighted_quantile
from physics_jax.kernels.rotation import (
    axis_angle_to_matrix,
    matrix_to_euler_xyz,
    matrix_to_quat,
    quat_diff_local,
)
from physics_jax.kernels.self_collision import (
    _rest_pose_world,
    capsules,
    collision_pairs,
    max_penetration,
    pose_penetration,
    segment_distance,
)
from physics_jax.kernels.support import hull_distance, published_support_distance
from physics_jax.kernels.window import gaussian_smooth


def _random_state(model, rng, n):
    qpos = np.tile(model.qpos0, (n, 1))
    qpos[:, :3] = rng.normal(size=(n, 3))
    quats = rng.normal(size=(n, (model.nq - 3) // 4 if model.nq == 99 else 1, 4))
    quats /= np.linalg.norm(quats, axis=-1, keepdims=True)
    if model.nq == 99:
        qpos[:, 3:] = quats.reshape(n, -1)
    else:
        qpos[:, 3:7] = quats[:, 0]
        qpos[:, 7:] = rng.uniform(-1.5, 1.5, (n, 69))
    return qpos, rng.normal(size=(n, 75)), rng.normal(size=(n, 75)) * 5


def test_inverse_dynamics_matches_mujoco_c():
    rng = np.random.default_rng(0)
    for layout in (LAYOUT, BALL_LAYOUT):
        m = layout.model
        d = mujoco.MjData(m)
        qpos, qvel, qacc = _random_state(m, rng, 32)
        expected, com = [], []
        for i in range(32):
            d.qpos[:], d.qvel[:], d.qacc[:] = qpos[i], qvel[i], qacc[i]
            mujoco.mj_forward(m, d)
            mq = np.zeros(75)
            mujoco.mj_mulM(m, d, mq, qacc[i])
            expected.append(mq + d.qfrc_bias)
            com.append(d.subtree_com[0].copy())
        outs = {}
        for backend in BACKENDS:
            k = DynamicsKernel(m, layout.foot_geom_ids, jnp.float64, backend=backend)
            out = jax.jit(lambda a, b, c, k=k: k.frames(a, b, c, 16))(qpos, qvel, qacc)
            np.testing.assert_allclose(out.qfrc, np.array(expected), atol=1e-8)
            np.testing.assert_allclose(out.com, np.array(com), atol=1e-10)
            outs[backend] = out
        for field in ("xpos", "foot_pos", "foot_mat", "xquat"):  # the two backends agree
            np.testing.assert_allclose(getattr(outs["lean"], field), getattr(outs["mjx"], field),
                                       atol=1e-10, err_msg=field)


class KernelTest(chex.TestCase):
    """The kernels traced under jax.jit and run op by op (`chex.variants`): same results."""

    @chex.variants(with_jit=True, without_jit=True)
    def test_rotation_conversions_match_scipy(self):
        rng = np.random.default_rng(1)
        aa = rng.normal(size=(200, 3)) * 1.2
        aa[0] = 0.0
        mats = np.asarray(self.variant(axis_angle_to_matrix)(jnp.asarray(aa)))
        np.testing.assert_allclose(mats, Rotation.from_rotvec(aa).as_matrix(), atol=1e-12)
        np.testing.assert_allclose(np.asarray(self.variant(matrix_to_euler_xyz)(jnp.asarray(mats))),
                                   Rotation.from_matrix(mats).as_euler("XYZ"), atol=1e-9)
        q = np.asarray(self.variant(matrix_to_quat)(jnp.asarray(mats)))
        ref = Rotation.from_matrix(mats).as_quat()[:, [3, 0, 1, 2]]
        ref *= np.where(ref[:, :1] < 0, -1, 1)
        np.testing.assert_allclose(q, ref, atol=1e-9)

    @chex.variants(with_jit=True, without_jit=True)
    def test_quat_difference_is_local_angular_displacement(self):
        rng = np.random.default_rng(2)
        r0 = Rotation.random(50, random_state=3)
        w = rng.normal(size=(50, 3))
        r1 = r0 * Rotation.from_rotvec(w * 0.1)
        q0 = r0.as_quat()[:, [3, 0, 1, 2]]
        q1 = -r1.as_quat()[:, [3, 0, 1, 2]]  # opposite hemisphere: still the short arc
        np.testing.assert_allclose(np.asarray(self.variant(quat_diff_local)(q0, q1)), w * 0.1,
                                   atol=1e-9)

    @chex.variants(with_jit=True, without_jit=True)
    def test_published_support_distance_cases(self):
        dist = self.variant(published_support_distance)
        pts = jnp.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
        on = jnp.array([True, True, True, True])
        assert float(dist(jnp.array([0.5, 0.5]), pts, on)) == 0.0
        assert abs(float(dist(jnp.array([2.0, 0.5]), pts, on)) - 1.0) < 1e-12
        two = jnp.array([True, True, False, False])
        assert abs(float(dist(jnp.array([0.5, 0.5]), pts, two)) - 0.5) < 1e-12
        one = jnp.array([False, False, True, False])
        assert abs(float(dist(jnp.array([1.0, 0.0]), pts, one)) - 1.0) < 1e-12
        none = jnp.zeros(4, bool)
        assert float(dist(jnp.array([0.5, 0.5]), pts, none)) == 1.0

    @chex.variants(with_jit=True, without_jit=True)
    def test_hull_distance_square(self):
        dist = self.variant(hull_distance)
        pts = jnp.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [5.0, 5.0]])
        w = jnp.array([1.0, 1.0, 1.0, 1.0, 0.0])
        assert float(dist(jnp.array([0.5, 0.5]), pts, w)) == 0.0
        assert abs(float(dist(jnp.array([1.3, 0.5]), pts, w)) - 0.3) < 1e-9
        d = float(dist(jnp.array([2.0, 2.0]), pts, w))
        assert np.sqrt(2) * np.cos(np.pi / 32) - 1e-9 <= d <= np.sqrt(2) + 1e-9

    @chex.variants(with_jit=True, without_jit=True)
    def test_segment_distance_against_dense_sampling(self):
        dist = self.variant(segment_distance)
        rng = np.random.default_rng(4)
        s = np.linspace(0, 1, 801)
        for i in range(100):
            p1, q1, p2, q2 = rng.normal(size=(4, 3))
            if i % 5 == 0:
                q1 = p1.copy()
            if i % 7 == 0:
                q2 = p2 + (q1 - p1)
            a = p1 + s[:, None] * (q1 - p1)
            b = p2 + s[:, None] * (q2 - p2)
            brute = np.min(np.linalg.norm(a[:, None] - b[None], axis=-1))
            d = float(dist(p1, q1, p2, q2))
            assert d <= brute + 1e-12
            assert brute - d < 5e-3

    @chex.variants(with_jit=True, without_jit=True)
    def test_pose_penetration_against_pairwise_segment_distance(self):
        """Deepest capsule overlap from body poses equals the max over the collision pairs of
        r_i + r_j - segment_distance (the brute-force-tested distance), and the segment path."""
        rng = np.random.default_rng(5)
        _, origin = _rest_pose_world()
        seg, rad = capsules()
        m = 300
        pos = origin[None] + rng.normal(scale=0.12, size=(m, 24, 3))
        quat = rng.normal(size=(m, 24, 4))
        quat /= np.linalg.norm(quat, axis=-1, keepdims=True)
        rot = Rotation.from_quat(quat[..., [1, 2, 3, 0]].reshape(-1, 4)).as_matrix().reshape(
            m, 24, 3, 3)
        world = pos[:, :, None, :] + np.einsum("mbij,bkj->mbki", rot, seg)  # (M, 24, 2, 3)
        expected = np.zeros(m)
        for i, j in collision_pairs():
            d = np.asarray(segment_distance(world[:, i, 0], world[:, i, 1], world[:, j, 0],
                                            world[:, j, 1]))
            expected = np.maximum(expected, rad[i] + rad[j] - d)
        got = np.asarray(self.variant(pose_penetration)(pos, quat))
        assert (expected > 0.01).mean() > 0.5  # the poses do interpenetrate
        np.testing.assert_allclose(got, expected, atol=1e-12)
        np.testing.assert_allclose(np.asarray(self.variant(max_penetration)(jnp.asarray(world))),
                                   expected, atol=1e-12)

    @chex.variants(with_jit=True, without_jit=True)
    def test_weighted_quantile_against_numpy(self):
        """Equal weights: the lower median of the masked frames; weights move it toward the
        heavy frames; frames outside the mask never count."""
        x = jnp.array([5.0, 1.0, 4.0, 2.0, 3.0, -9.0])
        mask = jnp.array([True] * 5 + [False])
        quantile = self.variant(weighted_quantile)
        assert float(quantile(x, jnp.ones(6), mask, 0.5)) == 3.0
        heavy = jnp.array([10.0, 1.0, 1.0, 1.0, 1.0, 100.0])
        assert float(quantile(x, heavy, mask, 0.5)) == 5.0
        assert float(quantile(x, jnp.ones(6), mask, 0.0)) == 1.0

    @chex.variants(with_jit=True, without_jit=True)
    def test_gaussian_smooth_keeps_constants_and_ignores_padding(self):
        mask = jnp.arange(20) < 15
        x = jnp.where(mask, 2.0, 1e6)[:, None] * jnp.ones((20, 3))
        smooth = self.variant(lambda a, m, d: gaussian_smooth(a, m, d, 0.05, 12))
        out = np.asarray(smooth(x, mask, jnp.asarray(1.0 / 30.0)))
        np.testing.assert_allclose(out[:15], 2.0, rtol=1e-12)
        noise = np.random.default_rng(6).normal(size=(40, 2))
        smoothed = np.asarray(smooth(jnp.asarray(noise), jnp.ones(40, bool), jnp.asarray(0.01)))
        assert smoothed.std() < 0.6 * noise.std()

    @chex.variants(with_jit=True, without_jit=True)
    def test_project_cone_lands_in_the_cone_at_its_distance(self):
        mu = 0.8
        f = jnp.asarray(np.random.default_rng(7).normal(size=(500, 3)) * 100.0)
        proj = np.asarray(self.variant(project_cone)(f, mu))
        dist = np.asarray(self.variant(cone_distance)(f, mu))
        fn, ft = proj[:, 2], np.linalg.norm(proj[:, :2], axis=-1)
        assert (ft <= mu * fn + 1e-9).all() and (fn >= -1e-9).all()
        np.testing.assert_allclose(np.linalg.norm(np.asarray(f) - proj, axis=-1), dist,
                                   atol=1e-9)
        inside = jnp.array([[1.0, 0.0, 10.0]])
        np.testing.assert_array_equal(np.asarray(self.variant(project_cone)(inside, mu)), inside)
