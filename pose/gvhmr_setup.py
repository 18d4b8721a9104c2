"""Finding a GVHMR installation and checking that everything it needs is there.

GVHMR (github.com/zju3dv/GVHMR) is used either from a source checkout named by the `GVHMR_ROOT`
environment variable (Python package `hmr4d`, checkpoints under
`$GVHMR_ROOT/inputs/checkpoints/`), or, when `GVHMR_ROOT` is not set, from the `gvhmr`
distribution of the package index (Python package `gvhmr`, checkpoints under its
`CHECKPOINT_ROOT`, the SMPL-X model under its `BODY_MODEL_ROOT`). Either way the SMPL-X neutral
body model (licensed separately) sits in `body_models/smplx/` of the checkpoint folder unless
the package is told otherwise.
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
CHECKOUT_PACKAGE = "hmr4d"  # GVHMR's module name in a source checkout
INDEX_PACKAGE = "gvhmr"  # its module name in the package-index distribution
CHECKPOINT_DIR = Path("inputs") / "checkpoints"
CHECKPOINTS: dict[str, Path] = {
    "gvhmr": CHECKPOINT_DIR / "gvhmr" / "gvhmr_siga24_release.ckpt",
    "hmr2": CHECKPOINT_DIR / "hmr2" / "epoch=10-step=25000.ckpt",
    "vitpose": CHECKPOINT_DIR / "vitpose" / "vitpose-h-multi-coco.pth",
    "smplx": CHECKPOINT_DIR / "body_models" / "smplx" / "SMPLX_NEUTRAL.npz",
}
# Python packages a GVHMR checkout imports on the code paths used here (the `gvhmr`
# distribution declares its own dependencies).
REQUIRED_MODULES: tuple[str, ...] = (
    "hydra", "hydra_zen", "pytorch_lightning", "pytorch3d", "einops", "cv2", "timm", "yacs",
    "smplx", "ffmpeg", "colorlog", "wis3d", "imageio",
)
# The `gvhmr` distribution declares its dependencies except yacs (listed under its `preproc`
# extra), which its HMR2 feature extractor and crop module import.
PACKAGE_MODULES: tuple[str, ...] = (INDEX_PACKAGE, "yacs")


@dataclass(frozen=True)
class GvhmrPaths:
    """Absolute paths of a checked GVHMR installation.

    `root` is the checkout (`package == "hmr4d"`) or the checkpoint folder of the installed
    `gvhmr` package (`package == "gvhmr"`).
    """

    root: Path
    checkpoints: dict[str, Path]
    package: str = CHECKOUT_PACKAGE


def package_installed() -> bool:
    """Whether the `gvhmr` distribution of the package index is importable."""
    return importlib.util.find_spec(INDEX_PACKAGE) is not None


def _check_files(found: Mapping[str, Path]) -> None:
    missing = [str(path) for path in found.values() if not path.is_file()]
    if missing:
        raise PoseBackendUnavailable(
            "GVHMR backend: missing checkpoint file(s): " + ", ".join(missing))


def locate_gvhmr(root: str | Path | None = None,
                 environ: Mapping[str, str] | None = None) -> GvhmrPaths:
    """Resolve the GVHMR checkout (`root`, else `$GVHMR_ROOT`, else the installed `gvhmr`
    package) and check its files.

    Raises `PoseBackendUnavailable` naming the missing environment variable, folder or file.
    """
    environ = os.environ if environ is None else environ
    if root is None:
        value = environ.get(ENV_VAR, "").strip()
        if not value:
            if package_installed():
                return locate_gvhmr_package()
            raise PoseBackendUnavailable(
                f"GVHMR backend: environment variable {ENV_VAR} is not set and the "
                f"`{INDEX_PACKAGE}` package is not installed; point {ENV_VAR} at a checkout of "
                "github.com/zju3dv/GVHMR with its checkpoints, or pip install -e .[gvhmr]")
        root = value
    base = Path(root).expanduser().resolve()
    if not base.is_dir():
        raise PoseBackendUnavailable(f"GVHMR backend: folder {base} ({ENV_VAR}) does not exist")
    if not (base / "hmr4d" / "__init__.py").is_file():
        raise PoseBackendUnavailable(
            f"GVHMR backend: {base} is not a GVHMR checkout (no hmr4d/__init__.py)")
    found = {name: base / rel for name, rel in CHECKPOINTS.items()}
    _check_files(found)
    return GvhmrPaths(root=base, checkpoints=found)


def package_roots() -> tuple[Path, Path]:
    """(checkpoint folder, body-model folder) of the installed `gvhmr` package.

    The package resolves them when first imported: environment variables `GVHMR_CHECKPOINTS`
    and `GVHMR_BODY_MODELS`, else its config file, else `<site-packages>/inputs/checkpoints`.
    """
    from gvhmr.utils.assets import BODY_MODEL_ROOT, CHECKPOINT_ROOT

    return Path(CHECKPOINT_ROOT), Path(BODY_MODEL_ROOT)


def locate_gvhmr_package(roots: tuple[Path, Path] | None = None) -> GvhmrPaths:
    """Check the checkpoints of the installed `gvhmr` package (`roots`: see `package_roots`)."""
    checkpoints, body_models = package_roots() if roots is None else roots
    found = {name: checkpoints / rel.relative_to(CHECKPOINT_DIR)
             for name, rel in CHECKPOINTS.items() if name != "smplx"}
    found["smplx"] = body_models / "smplx" / "SMPLX_NEUTRAL.npz"
    _check_files(found)
    return GvhmrPaths(root=checkpoints.resolve(), checkpoints=found, package=INDEX_PACKAGE)


def check_runtime(device: str | torch.device, package: str = CHECKOUT_PACKAGE) -> None:
    """Raise `PoseBackendUnavailable` if GVHMR's Python packages or a CUDA device are missing."""
    modules = REQUIRED_MODULES if package == CHECKOUT_PACKAGE else PACKAGE_MODULES
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        raise PoseBackendUnavailable(
            "GVHMR backend: missing Python package(s): " + ", ".join(missing))
    if torch.device(device).type != "cuda" or not torch.cuda.is_available():
        raise PoseBackendUnavailable(
            f"GVHMR backend: needs a CUDA device (ViTPose-H and HMR2 run per frame); "
            f"device={device!s}, cuda available={torch.cuda.is_available()}")
