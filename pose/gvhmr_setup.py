"""Finding a GVHMR installation and checking that everything it needs is there.

GVHMR (github.com/zju3dv/GVHMR) is used from a source checkout named by the `GVHMR_ROOT`
environment variable, with its checkpoints under `$GVHMR_ROOT/inputs/checkpoints/` and the
SMPL-X neutral body model (licensed separately) under `body_models/smplx/`.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch

from pose.interface import PoseBackendUnavailable

ENV_VAR = "GVHMR_ROOT"
CHECKPOINT_DIR = Path("inputs") / "checkpoints"
CHECKPOINTS: dict[str, Path] = {
    "gvhmr": CHECKPOINT_DIR / "gvhmr" / "gvhmr_siga24_release.ckpt",
    "hmr2": CHECKPOINT_DIR / "hmr2" / "epoch=10-step=25000.ckpt",
    "vitpose": CHECKPOINT_DIR / "vitpose" / "vitpose-h-multi-coco.pth",
    "smplx": CHECKPOINT_DIR / "body_models" / "smplx" / "SMPLX_NEUTRAL.npz",
}
# Python packages GVHMR imports on the code paths used here.
REQUIRED_MODULES: tuple[str, ...] = (
    "hydra", "hydra_zen", "pytorch_lightning", "pytorch3d", "einops", "cv2", "timm", "yacs",
    "smplx", "ffmpeg", "colorlog", "wis3d", "imageio",
)


@dataclass(frozen=True)
class GvhmrPaths:
    """Absolute paths of a checked GVHMR installation."""

    root: Path
    checkpoints: dict[str, Path]


def locate_gvhmr(root: str | Path | None = None,
                 environ: Mapping[str, str] | None = None) -> GvhmrPaths:
    """Resolve the GVHMR checkout (`root`, else `$GVHMR_ROOT`) and check its files.

    Raises `PoseBackendUnavailable` naming the missing environment variable, folder or file.
    """
    environ = os.environ if environ is None else environ
    if root is None:
        value = environ.get(ENV_VAR, "").strip()
        if not value:
            raise PoseBackendUnavailable(
                f"GVHMR backend: environment variable {ENV_VAR} is not set; point it at a "
                "checkout of github.com/zju3dv/GVHMR with its checkpoints")
        root = value
    base = Path(root).expanduser().resolve()
    if not base.is_dir():
        raise PoseBackendUnavailable(f"GVHMR backend: folder {base} ({ENV_VAR}) does not exist")
    if not (base / "hmr4d" / "__init__.py").is_file():
        raise PoseBackendUnavailable(
            f"GVHMR backend: {base} is not a GVHMR checkout (no hmr4d/__init__.py)")
    found = {name: base / rel for name, rel in CHECKPOINTS.items()}
    missing = [str(path) for path in found.values() if not path.is_file()]
    if missing:
        raise PoseBackendUnavailable(
            "GVHMR backend: missing checkpoint file(s): " + ", ".join(missing))
    return GvhmrPaths(root=base, checkpoints=found)


def check_runtime(device: str | torch.device) -> None:
    """Raise `PoseBackendUnavailable` if GVHMR's Python packages or a CUDA device are missing."""
    missing = [name for name in REQUIRED_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise PoseBackendUnavailable(
            "GVHMR backend: missing Python package(s): " + ", ".join(missing))
    if torch.device(device).type != "cuda" or not torch.cuda.is_available():
        raise PoseBackendUnavailable(
            f"GVHMR backend: needs a CUDA device (its ViTPose and HMR2 extractors call .cuda()); "
            f"device={device!s}, cuda available={torch.cuda.is_available()}")
