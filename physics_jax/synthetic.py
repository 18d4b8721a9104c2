"""Synthetic SMPL clips (labelled as such): parametric walks, jumps, spins and stances.

For tests and the demo until real motion capture is converted. Angles in radians, metres, y-up
(SMPL). Joint indices into body_pose (T, 23, 3) are SMPL joint id - 1.
"""

from __future__ import annotations

import numpy as np

from physics_jax.motion.clip import SmplClip

L_HIP, R_HIP, L_KNEE, R_KNEE = 0, 1, 3, 4
L_SHOULDER, R_SHOULDER = 15, 16
PELVIS_HEIGHT = 0.93  # m, transl y that puts the neutral humanoid's feet near the floor


def synthetic_clip(kind: str, frames: int = 45, fps: float = 30.0, seed: int = 0,
                   noise: float = 0.0, lift: float = 0.0, sink: float = 0.0,
                   speed: float = 1.2) -> SmplClip:
    """kind: "walk" | "jump" | "spin" | "stand" | "glide". `noise`: joint-angle std (rad) and
    0.1 x that in metres on the root; `lift`/`sink`: metres added/removed over the last third."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / fps
    go = np.zeros((frames, 3))
    bp = np.zeros((frames, 23, 3))
    tr = np.zeros((frames, 3))
    tr[:, 1] = PELVIS_HEIGHT
    if kind == "walk":
        phase = 2 * np.pi * 0.9 * t
        bp[:, L_HIP, 0] = 0.45 * np.sin(phase)
        bp[:, R_HIP, 0] = -0.45 * np.sin(phase)
        bp[:, L_KNEE, 0] = 0.5 * np.maximum(0, np.sin(phase + 1.2))
        bp[:, R_KNEE, 0] = 0.5 * np.maximum(0, -np.sin(phase + 1.2))
        bp[:, L_SHOULDER, 2] = -1.2
        bp[:, R_SHOULDER, 2] = 1.2
        tr[:, 2] = speed * t
    elif kind == "jump":
        period = 0.8
        tau = np.mod(t, period)
        flight = np.clip(tau - 0.3, 0, None)
        tr[:, 1] += np.where(tau > 0.3, 2.45 * flight - 4.905 * flight**2, 0.0)
        tr[:, 1] = np.maximum(tr[:, 1], PELVIS_HEIGHT - 0.0)
    elif kind == "spin":
        go[:, 1] = np.mod(2 * np.pi * 0.5 * t + np.pi, 2 * np.pi) - np.pi
        bp[:, L_SHOULDER, 2] = -0.3
        bp[:, R_SHOULDER, 2] = 0.3
    elif kind == "glide":
        tr[:, 2] = speed * t
    elif kind != "stand":
        raise ValueError(f"unknown synthetic kind {kind!r}")
    if noise > 0:
        bp += rng.normal(scale=noise, size=bp.shape)
        tr += rng.normal(scale=noise * 0.1, size=tr.shape)
    start = frames - frames // 3
    tr[start:, 1] += lift - sink
    return SmplClip(go, bp.reshape(frames, 69), tr, float(fps),
                    source=f"synthetic:{kind}:T{frames}:fps{fps:g}:seed{seed}")
