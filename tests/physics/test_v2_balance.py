"""v2 balance: the step-averaged centroidal moment pivot against the step-averaged support
polygon (the mean of the support functions is the support function of the Minkowski mean)."""

import jax.numpy as jnp
import numpy as np
import pytest

from physics_jax.api import get_scorer
from physics_jax.kernels.soft import soft_ramp
from physics_jax.kernels.support import outside_support, support_directions, support_function
from physics_jax.kernels.window import gaussian_smooth, gaussian_window
from physics_jax.motion import pad_batch
from physics_jax.presets import v2
from physics_jax.presets.v2_params import V2Params
from physics_jax.synthetic import synthetic_clip
from physics_jax.validation.corruptions import lean

DIRS = support_directions(32)
SQUARE = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])


def _outside(p, pts, weight=None, pull=1.0):
    weight = np.ones(len(pts)) if weight is None else weight
    h = support_function(jnp.asarray(pts), jnp.asarray(weight), DIRS, pull)
    return float(outside_support(jnp.asarray(p), h, DIRS))


def test_support_function_known_cases():
    assert _outside([0.5, 0.5], SQUARE) == 0.0  # inside
    assert _outside([2.0, 0.5], SQUARE) == pytest.approx(1.0, abs=1e-6)  # along a sampled axis
    # a corner direction at 45 deg is sampled too: the distance to the corner
    assert _outside([2.0, 2.0], SQUARE) == pytest.approx(np.sqrt(2.0), abs=1e-6)
    # between sampled directions the distance is under-estimated by at most d (1 - cos(pi/32))
    d = _outside([1.0 + 0.8, 1.0 + 0.3], SQUARE)
    exact = np.hypot(0.8, 0.3)
    assert exact * np.cos(np.pi / 32) - 1e-9 <= d <= exact + 1e-9
    # a point lifting off counts as pulled inwards by pull x (1 - weight)
    weight = np.array([1.0, 0.5, 0.5, 1.0])  # the right edge half in contact
    assert _outside([2.0, 0.5], SQUARE, weight, pull=0.4) == pytest.approx(1.2, abs=1e-6)


def test_the_mean_of_support_functions_is_the_mean_polygon():
    """Two unit squares 2 m apart, each half the time: the average support is the square
    halfway, so a point inside the hull of both but beyond the mean square is outside it."""
    h = support_function(jnp.asarray(np.stack([SQUARE, SQUARE + [2.0, 0.0]])),
                         jnp.ones((2, 4)), DIRS, 1.0)  # (2, K)
    mean = jnp.mean(h, 0)
    assert float(outside_support(jnp.asarray([1.5, 0.5]), mean, DIRS)) == 0.0
    assert float(outside_support(jnp.asarray([2.5, 0.5]), mean, DIRS)) == pytest.approx(
        0.5, abs=1e-6)


def test_centroidal_moment_pivot_known_case():
    """The force's line through the centre of mass meets the floor behind it when the body is
    pushed forward: 0.2 body weights forward at 1 m height moves the pivot 0.2 m back."""
    bw = 700.0
    com = jnp.array([[0.3, -0.1, 1.05]])
    f = jnp.array([[0.2 * bw, 0.0, bw]])
    cmp = v2.centroidal_moment_pivot(com, f, jnp.asarray(0.05), bw)
    np.testing.assert_allclose(np.asarray(cmp), [[0.1, -0.1]], atol=1e-6)


def test_standing_is_balanced_and_leaning_is_not_in_proportion():
    """A standing body: the pivot lies over the feet (0 m outside). Tilted about the ankles by 10
    deg, the centre of mass moves about 15 cm, still over the feet; by 20, 30 and 40 deg, 0.3-0.6
    m, and the balance value grows with the tilt. The score is 1 - soft_ramp(value) (class
    defaults: known numbers); below the offset only the ramp's leak."""
    stand = synthetic_clip("stand", frames=45)
    tilts = [10.0, 20.0, 30.0, 40.0]
    clips = [stand] + [lean(stand, d, seed=0) for d in tilts]
    scorer = get_scorer("v2", "float64")
    batch = pad_batch(clips, t_max=48, b_max=8)
    p = V2Params()
    out = scorer(batch.global_orient, batch.body_pose, batch.transl, batch.lengths, batch.fps,
                 params=p)
    value = np.asarray(out["contact"]["balance"]["value"])[:5]
    score = np.asarray(out["contact"]["balance"]["score"])[:5]
    print("balance m (stand, 10-40 deg):", np.round(value, 3))
    assert value[0] < 1e-3 and score[0] == pytest.approx(1.0, abs=1e-3)
    assert value[1] < p.bal_offset and score[1] > 0.95
    assert np.all(np.diff(value[1:]) > 0.05)
    assert value[2] > 0.1  # 20 deg: about 0.3 m off the centre of the feet, well past the soles
    expected = 1.0 - np.asarray(soft_ramp(value, p.bal_offset, p.bal_scale, p.bal_width))
    np.testing.assert_allclose(score, expected, rtol=1e-6)


def test_gaussian_window_product_equals_the_masked_smoothing():
    """`weights @ x` divided by `weights @ mask` is `gaussian_smooth` of x over the real frames
    (the balance means use the product: one matrix product for every column)."""
    rng = np.random.default_rng(0)
    t_max, length = 40, 31
    mask = jnp.arange(t_max) < length
    x = jnp.asarray(rng.normal(size=(t_max, 5)))
    dt = jnp.asarray(1 / 30)
    weights = gaussian_window(dt, t_max, 0.2, 9)
    maskf = mask.astype(x.dtype)
    product = (weights @ (x * maskf[:, None])) / (weights @ maskf)[:, None]
    expected = gaussian_smooth(x, mask, dt, 0.2, 9)
    np.testing.assert_allclose(np.asarray(product)[:length], np.asarray(expected)[:length],
                               rtol=1e-10, atol=1e-12)
    assert float(weights[0, 9]) > 0.0 and float(weights[0, 10]) == 0.0  # `taps` frames each side
