"""AMASS-style npz (and the AIST++ SMPL layout) read as SMPL parameters in SMPL's y-up world.

AMASS: `poses` (T, 72 | 156 | 165) axis-angle (root first), `trans` (T, 3) m,
`mocap_framerate` (or `mocap_frame_rate`), optional `betas`; AMASS's world is z-up.
AIST++: `smpl_poses` (T, 72), `smpl_trans` (T, 3), `smpl_scaling` (1,) with metres =
trans / scaling; y-up; no frame rate in the file (AIST++ is 60 fps), so `fps` is required.

Changing the up axis rotates the world about its origin: global_orient' = Q·R, transl' = Q·t.
SMPL rotates the body about its pelvis joint J(β), not the origin, so the body also moves by the
constant (Q - I)·J(β) (about 0.25 m up and 0.19 m sideways for the neutral body). Grounding
(reward.md §3) removes the vertical part and the horizontal part shifts the whole clip; pass
`pelvis_rest` = J(β) (m, SMPL's body frame) to apply it exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypedDict

import numpy as np
from scipy.spatial.transform import Rotation

from physics_jax.errors import require_file
from physics_jax.sources.arrays import read_npz
from physics_jax.sources.errors import MotionFormatError
from physics_jax.sources.units import Y_UP_TO_Z_UP


class SmplParams(TypedDict):
    """SMPL parameters (reward.md §1): radians, metres, y-up."""

    global_orient: np.ndarray  # (T, 3) axis-angle
    body_pose: np.ndarray  # (T, 69) for 72-value SMPL poses, else (T, 63): joints 1..21
    transl: np.ndarray  # (T, 3) m
    betas: np.ndarray  # (10,)
    fps: float


Z_UP_TO_Y_UP = Y_UP_TO_Z_UP.T
"""(x, y, z) -> (x, z, -y): AMASS's z-up world to SMPL's y-up world."""


AMASS_KEYS = ("poses", "trans", "mocap_framerate", "mocap_frame_rate", "betas", "smpl_poses",
              "smpl_trans", "smpl_scaling")
"""The arrays read from an AMASS or AIST++ npz (others in the file are not decompressed)."""


def _read(path: str | Path) -> dict[str, np.ndarray]:
    return read_npz(require_file(path), AMASS_KEYS)


def _array(data: dict[str, np.ndarray], key: str, src: str, width: tuple[int, ...]
           ) -> np.ndarray:
    if key not in data:
        raise MotionFormatError(src, key, "missing")
    arr = data[key]
    if arr.dtype.kind not in "fiu" or arr.ndim != 2 or arr.shape[1] not in width:
        raise MotionFormatError(src, key, f"shape {arr.shape} dtype {arr.dtype}, expected "
                                f"(T, {' | '.join(map(str, width))}) numbers")
    arr = arr.astype(np.float64)
    bad = ~np.isfinite(arr)
    if bad.any():
        raise MotionFormatError(src, key, f"non-finite value at frame {np.argwhere(bad)[0][0]}")
    return arr


def _scalar(data: dict[str, np.ndarray], key: str, src: str) -> float:
    try:
        value = float(np.asarray(data[key], dtype=np.float64).reshape(-1)[0])
    except (TypeError, ValueError, IndexError):
        raise MotionFormatError(src, key, f"not a number: {data[key]!r}") from None
    if not np.isfinite(value) or value <= 0:
        raise MotionFormatError(src, key, f"must be a positive number, got {value}")
    return value


def _betas(data: dict[str, np.ndarray], src: str) -> np.ndarray:
    if "betas" not in data:
        return np.zeros(10)
    b = np.asarray(data["betas"], dtype=np.float64).reshape(-1)
    if not np.isfinite(b).all():
        raise MotionFormatError(src, "betas", "non-finite value")
    return np.pad(b[:10], (0, max(0, 10 - b.size)))


def load_amass_npz(path: str | Path, *, fps: float | None = None,
                   up: Literal["auto", "y", "z"] = "auto",
                   pelvis_rest: np.ndarray | None = None) -> SmplParams:
    """SMPL parameters of an AMASS (or AIST++) npz, in SMPL's y-up world.

    fps overrides the file's rate (required for AIST++). up: the file's up axis; "auto" is z
    for AMASS and y for AIST++. betas: the first 10 (zeros when absent).
    """
    src = str(path)
    if up not in ("auto", "y", "z"):
        raise MotionFormatError(src, "up", f"expected 'auto', 'y' or 'z', got {up!r}")
    data = _read(path)
    if "poses" in data:
        poses = _array(data, "poses", src, (72, 156, 165))
        transl = _array(data, "trans", src, (3,))
        rate_key = next((k for k in ("mocap_framerate", "mocap_frame_rate") if k in data), None)
        file_fps = _scalar(data, rate_key, src) if rate_key else None
        file_up = "z"
    elif "smpl_poses" in data:
        poses = _array(data, "smpl_poses", src, (72,))
        scale = _scalar(data, "smpl_scaling", src) if "smpl_scaling" in data else 1.0
        transl = _array(data, "smpl_trans", src, (3,)) / scale
        file_fps, file_up = None, "y"
    else:
        raise MotionFormatError(src, "poses", "missing (neither AMASS 'poses' nor AIST++ "
                                "'smpl_poses')")
    if transl.shape[0] != poses.shape[0]:
        raise MotionFormatError(src, "trans", f"{transl.shape[0]} frames, poses has "
                                f"{poses.shape[0]}")
    rate = fps if fps is not None else file_fps
    if rate is None:
        raise MotionFormatError(src, "fps", "the file stores no frame rate; pass fps")
    if not np.isfinite(rate) or rate <= 0:
        raise MotionFormatError(src, "fps", f"must be a positive number, got {rate}")
    global_orient = poses[:, :3]
    if (file_up if up == "auto" else up) == "z":
        q = Rotation.from_matrix(Z_UP_TO_Y_UP)
        global_orient = (q * Rotation.from_rotvec(global_orient)).as_rotvec()
        transl = transl @ Z_UP_TO_Y_UP.T
        if pelvis_rest is not None:
            j0 = np.asarray(pelvis_rest, dtype=np.float64).reshape(3)
            transl = transl + (Z_UP_TO_Y_UP - np.eye(3)) @ j0
    body = poses[:, 3:72] if poses.shape[1] == 72 else poses[:, 3:66]
    return SmplParams(global_orient=global_orient, body_pose=body, transl=transl,
                      betas=_betas(data, src), fps=float(rate))
