"""GVHMR's networks behind a small interface: crops, ViTPose keypoints, HMR2 features, GVHMR.

`GvhmrRuntime` is what `gvhmr_backend` needs from GVHMR; `load_gvhmr_runtime` builds it from a
checked installation (see `gvhmr_setup`): a checkout (`hmr4d`) or the `gvhmr` package, whose
modules have the same layout. Loading from a checkout changes the working directory to
`$GVHMR_ROOT` for a moment (GVHMR opens ViTPose's checkpoint by a relative path), under a
process-wide lock; call it once and share the runtime, not the other way round.
`build_pipeline` + `GvhmrNetwork` are the GVHMR network alone (no per-frame extractors).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from pose.gvhmr_setup import CHECKOUT_PACKAGE, GvhmrPaths, check_runtime

_LOAD_LOCK = threading.Lock()


class GvhmrRuntime(Protocol):
    """The GVHMR operations used by the backend. N = frames of all videos, L = sequence length."""

    def crop(self, frames: np.ndarray, bbx_xys: torch.Tensor) -> torch.Tensor:
        """(N, H, W, 3) uint8 RGB + (N, 3) box (cx, cy, size) px -> (N, 3, 256, 256) crops."""
        ...

    def keypoints(self, crops: torch.Tensor, bbx_xys: torch.Tensor) -> torch.Tensor:
        """ViTPose-H: crops + boxes in output pixels -> (N, 17, 3) COCO-17 (x, y, confidence)."""
        ...

    def features(self, crops: torch.Tensor) -> torch.Tensor:
        """HMR2 ViT image features: (N, 3, 256, 256) -> (N, 1024)."""
        ...

    def predict(self, kp2d: torch.Tensor, bbx_xys: torch.Tensor, features: torch.Tensor,
                image_size: tuple[int, int], postproc: bool) -> dict[str, torch.Tensor]:
        """GVHMR, static camera: (B, L, 17, 3), (B, L, 3), (B, L, 1024), (W, H) px ->
        `smpl_params_global` {global_orient (B, L, 3), body_pose (B, L, 63), transl (B, L, 3),
        betas (B, L, 10)}, y up, metres. `postproc` runs GVHMR's static-joint post-processing
        and IK (which needs B == 1)."""
        ...

    def joints(self, smpl_params: dict[str, torch.Tensor]) -> torch.Tensor:
        """SMPL-X forward kinematics of the 22 body joints: params (B, L, ...) -> (B, L, 22, 3)."""
        ...


@contextlib.contextmanager
def _inside(paths: GvhmrPaths) -> Iterator[None]:
    """For a checkout: make `hmr4d` importable from it and run with it as working directory."""
    if paths.package != CHECKOUT_PACKAGE:
        yield
        return
    root = str(paths.root)
    previous = os.getcwd()
    if root not in sys.path:
        sys.path.insert(0, root)
    os.chdir(root)
    try:
        yield
    finally:
        os.chdir(previous)


def build_pipeline(package: str, checkpoint: Path | None) -> torch.nn.Module:
    """GVHMR's pipeline as its demo config builds it (static camera), in eval mode.

    `package` is `"hmr4d"` (checkout, importable) or `"gvhmr"`; `checkpoint=None` keeps the
    random initial weights. Needs the SMPL-X body model where the package looks for it.
    """
    from hydra import compose, initialize_config_module
    from hydra.utils import instantiate

    configs = importlib.import_module(f"{package}.configs")
    with initialize_config_module(version_base="1.3", config_module=f"{package}.configs"):
        configs.register_store_gvhmr()
        cfg = compose(config_name="demo", overrides=["video_name=phymotion_jax", "static_cam=True"])
    model = instantiate(cfg.model, _recursive_=False)
    if checkpoint is not None:
        model.load_pretrained_model(str(checkpoint))
    return model.pipeline.eval()


class GvhmrNetwork:
    """GVHMR's pipeline and its camera helpers: `predict` and `joints` of `GvhmrRuntime`."""

    def __init__(self, package: str, pipeline: torch.nn.Module, device: torch.device) -> None:
        hmr_cam = importlib.import_module(f"{package}.utils.geo.hmr_cam")
        geo_transform = importlib.import_module(f"{package}.utils.geo_transform")
        self._estimate_k = hmr_cam.estimate_K
        self._normalize_kp2d = hmr_cam.normalize_kp2d
        self._cam_angvel = geo_transform.compute_cam_angvel
        self._pipeline = pipeline.to(device)
        self._device = device

    @torch.no_grad()
    def predict(self, kp2d: torch.Tensor, bbx_xys: torch.Tensor, features: torch.Tensor,
                image_size: tuple[int, int], postproc: bool) -> dict[str, torch.Tensor]:
        batch, length = kp2d.shape[:2]
        k_full = self._estimate_k(*image_size).to(kp2d)
        static = self._cam_angvel(torch.eye(3).repeat(length, 1, 1)).to(kp2d)
        inputs = {
            "length": torch.full((batch,), length, dtype=torch.long),
            "obs": self._normalize_kp2d(kp2d, bbx_xys),
            "bbx_xys": bbx_xys,
            "K_fullimg": k_full.expand(batch, length, 3, 3).contiguous(),
            "cam_angvel": static.expand(batch, length, -1).contiguous(),
            "f_imgseq": features,
        }
        inputs = {k: v.to(self._device) for k, v in inputs.items()}
        out = self._pipeline.forward(inputs, train=False, postproc=postproc, static_cam=True)
        return {k: v.float() for k, v in out["pred_smpl_params_global"].items()}

    @torch.no_grad()
    def joints(self, smpl_params: dict[str, torch.Tensor]) -> torch.Tensor:
        params = {k: smpl_params[k].to(self._device)
                  for k in ("body_pose", "betas", "global_orient", "transl")}
        return self._pipeline.endecoder.fk_v2(**params)


class _GvhmrModules(GvhmrNetwork):
    """The real runtime: GVHMR's own extractors and pipeline (see `GvhmrRuntime`)."""

    def __init__(self, paths: GvhmrPaths, device: torch.device) -> None:
        package = paths.package
        with _LOAD_LOCK, _inside(paths):
            extractor = importlib.import_module(f"{package}.utils.preproc.vitfeat_extractor")
            vitpose = importlib.import_module(f"{package}.utils.preproc.vitpose")
            self._get_batch = extractor.get_batch
            self._vitpose = vitpose.VitPoseExtractor(tqdm_leave=False)
            self._hmr2 = extractor.Extractor(tqdm_leave=False)
            pipeline = build_pipeline(package, paths.checkpoints["gvhmr"])
            super().__init__(package, pipeline, device)

    def crop(self, frames: np.ndarray, bbx_xys: torch.Tensor) -> torch.Tensor:
        crops, _ = self._get_batch(frames, bbx_xys, img_ds=1.0, path_type="np")
        return crops

    def keypoints(self, crops: torch.Tensor, bbx_xys: torch.Tensor) -> torch.Tensor:
        return self._vitpose.extract(crops, bbx_xys)

    def features(self, crops: torch.Tensor) -> torch.Tensor:
        return self._hmr2.extract_video_features(crops, None)


def load_gvhmr_runtime(paths: GvhmrPaths, device: str | torch.device = "cuda") -> GvhmrRuntime:
    """Load GVHMR's networks from a checked installation onto `device` (CUDA only)."""
    check_runtime(device, paths.package)
    return _GvhmrModules(paths, torch.device(device))
