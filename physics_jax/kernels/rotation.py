"""Rotation maths as pure JAX functions over trailing axes (dtype follows the input).

Quaternions are (w, x, y, z). Angles in radians.
"""

from __future__ import annotations

import chex
import jax.numpy as jnp

# SMPL's y-up world to the physics z-up world: (x, y, z) -> (x, -z, y).
R_YZ = ((1.0, 0.0, 0.0), (0.0, 0.0, -1.0), (0.0, 1.0, 0.0))


def _sinc_terms(theta2: jnp.ndarray) -> tuple[jnp.ndarray, jnp.ndarray]:
    """sin(t)/t and (1 - cos t)/t^2 for t^2 = theta2, with Taylor forms near 0."""
    theta = jnp.sqrt(jnp.maximum(theta2, 1e-30))
    small = theta2 < 1e-12
    a = jnp.where(small, 1.0 - theta2 / 6.0, jnp.sin(theta) / theta)
    b = jnp.where(small, 0.5 - theta2 / 24.0, (1.0 - jnp.cos(theta)) / jnp.maximum(theta2, 1e-30))
    return a, b


def axis_angle_to_matrix(aa: jnp.ndarray) -> jnp.ndarray:
    """(..., 3) axis-angle -> (..., 3, 3) rotation matrix (Rodrigues, safe at 0).

    R = I + a K + b K^2 with K = [aa]x and K^2 = aa aa^T - |aa|^2 I, written elementwise.
    """
    chex.assert_axis_dimension(aa, -1, 3)
    theta2 = jnp.sum(aa * aa, axis=-1)
    a, b = _sinc_terms(theta2)
    a, b = a[..., None, None], b[..., None, None]
    x, y, z = aa[..., 0], aa[..., 1], aa[..., 2]
    zero = jnp.zeros_like(x)
    k = jnp.stack([jnp.stack([zero, -z, y], -1), jnp.stack([z, zero, -x], -1),
                   jnp.stack([-y, x, zero], -1)], -2)
    eye = jnp.eye(3, dtype=aa.dtype)
    k2 = aa[..., :, None] * aa[..., None, :] - theta2[..., None, None] * eye
    return eye + a * k + b * k2


def axis_angle_to_quat(aa: jnp.ndarray) -> jnp.ndarray:
    """(..., 3) axis-angle -> (..., 4) unit quaternion with w >= 0 (same rotation)."""
    chex.assert_axis_dimension(aa, -1, 3)
    theta2 = jnp.sum(aa * aa, axis=-1, keepdims=True)
    theta = jnp.sqrt(jnp.maximum(theta2, 1e-30))
    small = theta2 < 1e-12
    half_sinc = jnp.where(small, 0.5 - theta2 / 48.0, jnp.sin(0.5 * theta) / theta)
    q = jnp.concatenate([jnp.cos(0.5 * theta), half_sinc * aa], -1)
    return q * jnp.where(q[..., :1] < 0, -1.0, 1.0)


def matrix_to_quat(r: jnp.ndarray) -> jnp.ndarray:
    """(..., 3, 3) -> (..., 4) unit quaternion with w >= 0 (branch-free Shepperd method)."""
    chex.assert_shape(r, (..., 3, 3))
    m00, m11, m22 = r[..., 0, 0], r[..., 1, 1], r[..., 2, 2]
    cands = jnp.stack([
        jnp.stack([1 + m00 + m11 + m22, r[..., 2, 1] - r[..., 1, 2],
                   r[..., 0, 2] - r[..., 2, 0], r[..., 1, 0] - r[..., 0, 1]], -1),
        jnp.stack([r[..., 2, 1] - r[..., 1, 2], 1 + m00 - m11 - m22,
                   r[..., 0, 1] + r[..., 1, 0], r[..., 0, 2] + r[..., 2, 0]], -1),
        jnp.stack([r[..., 0, 2] - r[..., 2, 0], r[..., 0, 1] + r[..., 1, 0],
                   1 - m00 + m11 - m22, r[..., 1, 2] + r[..., 2, 1]], -1),
        jnp.stack([r[..., 1, 0] - r[..., 0, 1], r[..., 0, 2] + r[..., 2, 0],
                   r[..., 1, 2] + r[..., 2, 1], 1 - m00 - m11 + m22], -1),
    ], -2)  # (..., 4, 4): row i has 4*q_i*q in slot order, with slot i = 4*q_i^2
    diag = jnp.stack([1 + m00 + m11 + m22, 1 + m00 - m11 - m22,
                      1 - m00 + m11 - m22, 1 - m00 - m11 + m22], -1)
    best = jnp.argmax(diag, axis=-1)
    row = jnp.take_along_axis(cands, best[..., None, None], axis=-2)[..., 0, :]
    q = row / jnp.linalg.norm(row, axis=-1, keepdims=True)
    return q * jnp.where(q[..., :1] < 0, -1.0, 1.0)


def matrix_to_euler_xyz(r: jnp.ndarray) -> jnp.ndarray:
    """(..., 3, 3) -> (..., 3) intrinsic XYZ angles (a, b, c) with R = Rx(a)·Ry(b)·Rz(c)."""
    chex.assert_shape(r, (..., 3, 3))
    b = jnp.arcsin(jnp.clip(r[..., 0, 2], -1.0, 1.0))
    a = jnp.arctan2(-r[..., 1, 2], r[..., 2, 2])
    c = jnp.arctan2(-r[..., 0, 1], r[..., 0, 0])
    return jnp.stack([a, b, c], -1)


def quat_mul(p: jnp.ndarray, q: jnp.ndarray) -> jnp.ndarray:
    """Hamilton product of (..., 4) quaternions."""
    chex.assert_axis_dimension(p, -1, 4)
    chex.assert_axis_dimension(q, -1, 4)
    pw, px, py, pz = p[..., 0], p[..., 1], p[..., 2], p[..., 3]
    qw, qx, qy, qz = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    return jnp.stack([
        pw * qw - px * qx - py * qy - pz * qz,
        pw * qx + px * qw + py * qz - pz * qy,
        pw * qy - px * qz + py * qw + pz * qx,
        pw * qz + px * qy - py * qx + pz * qw,
    ], -1)


def quat_conj(q: jnp.ndarray) -> jnp.ndarray:
    """Conjugate (..., 4) of quaternions q (..., 4): the inverse rotation of a unit one."""
    chex.assert_axis_dimension(q, -1, 4)
    return q * jnp.array([1.0, -1.0, -1.0, -1.0], dtype=q.dtype)


def quat_log(q: jnp.ndarray) -> jnp.ndarray:
    """(..., 4) unit quaternion -> (..., 3) rotation vector (shortest arc)."""
    chex.assert_axis_dimension(q, -1, 4)
    q = q * jnp.where(q[..., :1] < 0, -1.0, 1.0)
    v = q[..., 1:]
    s = jnp.linalg.norm(v, axis=-1, keepdims=True)
    angle = 2.0 * jnp.arctan2(s, q[..., :1])
    scale = jnp.where(s > 1e-9, angle / jnp.maximum(s, 1e-30), 2.0)
    return v * scale


def quat_diff_local(q0: jnp.ndarray, q1: jnp.ndarray) -> jnp.ndarray:
    """Rotation vector of conj(q0)·q1 (local frame of q0), as MuJoCo's mju_subQuat(q1, q0)."""
    chex.assert_equal_shape([q0, q1])
    return quat_log(quat_mul(quat_conj(q0), q1))


def quat_rotate(q: jnp.ndarray, v: jnp.ndarray) -> jnp.ndarray:
    """Rotate vectors v (..., 3) by unit quaternions q (..., 4)."""
    chex.assert_axis_dimension(q, -1, 4)
    chex.assert_axis_dimension(v, -1, 3)
    w, u = q[..., :1], q[..., 1:]
    t = 2.0 * jnp.cross(u, v)
    return v + w * t + jnp.cross(u, t)


def quat_to_matrix(q: jnp.ndarray) -> jnp.ndarray:
    """(..., 4) unit quaternion -> (..., 3, 3)."""
    chex.assert_axis_dimension(q, -1, 4)
    eye = jnp.eye(3, dtype=q.dtype)
    return jnp.stack([quat_rotate(q, eye[i]) for i in range(3)], axis=-1)
