"""Read motion files into SmplClip: the project npz, AMASS npz and GVHMR `hmr4d_results.pt`.

Project npz (reward.md §1): `global_orient` (T, 3), `body_pose` (T, 63|69), `transl` (T, 3),
optional `betas`, required `fps`, optional `source_below_floor` (written by the conversion of
joint-position sources, see `save_motion`). AMASS npz: `poses` (T, 156|165|72) whose first 3
values are the root, `trans`, `mocap_framerate` (z-up, turned to y-up by `sources.load_amass_npz`).
AIST++ npz: `smpl_poses`, `smpl_trans`, `smpl_scaling` (y-up; no frame rate, so `fps` must
come from `assume_fps`: AIST++ is 60 fps).
GVHMR: a torch file with `smpl_params_global` {global_orient, body_pose, transl, betas}, loaded
with `weights_only=True` (no code from the file runs); GVHMR stores no frame rate, so `fps` must
come from `assume_fps`. Motion-capture formats (BVH, ASF/AMC) are handled by
`physics_jax.sources` and retargeted by inverse kinematics.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from physics_jax.errors import MotionFormatError, require_file
from physics_jax.motion.clip import SmplClip, make_clip
from physics_jax.sources.arrays import npz_keys, read_npz

MOTION_SUFFIXES = (".npz", ".pt", ".pth")
BELOW_FLOOR_KEY = "source_below_floor"
PROJECT_KEYS = ("global_orient", "body_pose", "transl", "betas", "fps")
"""The arrays of a project npz that scoring reads (others in the file are not decompressed)."""


def _read_npz(path: Path, assume_fps: float | None) -> SmplClip:
    names = npz_keys(path)
    src = str(path)
    if ("poses" in names or "smpl_poses" in names) and "global_orient" not in names:
        # AMASS (z-up, turned to SMPL's y-up) or AIST++ (y-up; no frame rate: needs assume_fps)
        from physics_jax.sources import load_amass_npz

        p = load_amass_npz(path, fps=assume_fps)
        return make_clip(p["global_orient"], p["body_pose"], p["transl"], p["fps"], p["betas"],
                         src)
    data = read_npz(path, PROJECT_KEYS)
    for key in ("global_orient", "body_pose", "transl"):
        if key not in data:
            raise MotionFormatError(src, key, "missing")
    fps = assume_fps if assume_fps is not None else data.get("fps")
    return make_clip(data["global_orient"], data["body_pose"], data["transl"], fps,
                     data.get("betas"), src)


def _tensor_values(value, src: str, field: str) -> np.ndarray:
    """A GVHMR field (tensor or array-like) as a numpy array of real numbers."""
    import torch

    if not isinstance(value, torch.Tensor):
        return np.asarray(value)
    if value.is_complex() or value.dtype == torch.bool:
        raise MotionFormatError(src, field, f"dtype {value.dtype}, expected real numbers")
    return value.detach().to("cpu", torch.float64).numpy()


def _read_gvhmr(path: Path, assume_fps: float | None) -> SmplClip:
    """GVHMR's `hmr4d_results.pt`, loaded with `weights_only=True`: tensors, dicts, lists and
    numbers only, so a file cannot run code."""
    import pickle

    import torch

    src = str(path)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        why = str(exc).splitlines()[0]
        raise MotionFormatError(src, "file", "holds objects other than tensors, dicts and "
                                f"numbers; not loaded ({why})") from None
    except Exception as exc:  # noqa: BLE001 - any other failure to read is a bad file
        raise MotionFormatError(src, "file", f"unreadable torch file ({exc})") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("smpl_params_global"), dict):
        raise MotionFormatError(src, "smpl_params_global", "missing (not a GVHMR result)")
    params = obj["smpl_params_global"]

    def get(key: str) -> np.ndarray:
        if key not in params:
            raise MotionFormatError(src, f"smpl_params_global.{key}", "missing")
        return _tensor_values(params[key], src, f"smpl_params_global.{key}")

    fps = assume_fps if assume_fps is not None else obj.get("fps")
    if isinstance(fps, torch.Tensor):
        fps = _tensor_values(fps, src, "fps")
    betas = get("betas") if "betas" in params else None
    return make_clip(get("global_orient"), get("body_pose"), get("transl"), fps, betas, src)


def load_motion(path: str | Path, assume_fps: float | None = None) -> SmplClip:
    """Read one motion file; raise MotionFormatError naming the file and the field."""
    p = require_file(path)
    suffix = p.suffix.lower()
    if suffix == ".npz":
        return _read_npz(p, assume_fps)
    if suffix in (".pt", ".pth"):
        return _read_gvhmr(p, assume_fps)
    raise MotionFormatError(str(p), "file", f"unknown motion format {suffix!r} "
                            f"(expected one of {', '.join(MOTION_SUFFIXES)})")


def expand_paths(paths: list[str | Path], suffixes: tuple[str, ...] = MOTION_SUFFIXES
                 ) -> list[Path]:
    """Folders become the files inside them whose suffix is one of `suffixes` (sorted,
    recursive); other paths are kept as given."""
    out: list[Path] = []
    for item in paths:
        p = Path(item)
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.suffix.lower() in suffixes))
        else:
            out.append(p)
    return out


def save_motion(path: str | Path, clip: SmplClip, below_floor: float | None = None) -> None:
    """Write a clip in the project npz format; `below_floor` (optional, [0, 1]) records the
    share of source frames with a foot joint below the source's floor
    (`sources.floor_check.below_floor_share`, read back by `source_below_floor`)."""
    extra = {} if below_floor is None else {BELOW_FLOOR_KEY: np.float64(below_floor)}
    np.savez_compressed(path, global_orient=clip.global_orient, body_pose=clip.body_pose,
                        transl=clip.transl, betas=clip.betas, fps=np.float64(clip.fps), **extra)


def source_below_floor(path: str | Path) -> float | None:
    """The `below_floor` a project npz was saved with; None when it has none (SMPL sources,
    other formats). MotionFormatError naming the file and the field unless it is one number in
    [0, 1]."""
    p = Path(path)
    if p.suffix.lower() != ".npz":
        return None
    value = read_npz(p, (BELOW_FLOOR_KEY,)).get(BELOW_FLOOR_KEY)
    if value is None:
        return None
    share = np.asarray(value, dtype=np.float64) if value.dtype.kind in "biuf" else None
    if share is None or share.size != 1 or not 0.0 <= float(share.reshape(())) <= 1.0:
        raise MotionFormatError(str(p), BELOW_FLOOR_KEY,
                                f"must be one number in [0, 1], got {value!r}")
    return float(share.reshape(()))
