"""GVHMR from the `gvhmr` package of the package index: locating it, and its real network.

The network test builds GVHMR's pipeline from the package's own configs with random weights
(no checkpoint) and runs it through `GvhmrPoseEstimator` on a tiny clip: GVHMR's crop, its
transformer, post-processing and SMPL-X forward kinematics are real; ViTPose-H keypoints and
HMR2 features (which need their checkpoints) are stand-ins. The SMPL-X body model is
licence-gated, so a synthetic one with SMPL-X's array shapes is written for the test. It runs
in a subprocess because the package fixes its asset folders when first imported.
Skipped where `gvhmr` is not installed (`pip install -e .[gvhmr]`).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pose.gvhmr_setup import CHECKPOINTS, locate_gvhmr, locate_gvhmr_package, package_installed
from pose.interface import PoseBackendUnavailable

REPO = Path(__file__).resolve().parents[2]
SMPLX_VERTICES, SMPLX_JOINTS = 10475, 55

needs_package = pytest.mark.skipif(
    not package_installed(),
    reason="the `gvhmr` package is not installed (pip install -e .[gvhmr])")

SCRIPT = """
import importlib, json
import torch
from pose.gvhmr_backend import GvhmrPoseEstimator
from pose.gvhmr_runtime import GvhmrNetwork, _GvhmrModules, build_pipeline
from pose.gvhmr_setup import package_roots
from pose.motion import to_motion_batch

torch.manual_seed(0)
runtime = object.__new__(_GvhmrModules)
GvhmrNetwork.__init__(runtime, "gvhmr", build_pipeline("gvhmr", None), torch.device("cpu"))
runtime._get_batch = importlib.import_module("gvhmr.utils.imgcrop").get_batch
crops_seen = []
real_crop = runtime.crop
def crop(frames, boxes):
    crops = real_crop(frames, boxes)
    crops_seen.append(list(crops.shape))
    return crops
runtime.crop = crop
runtime.keypoints = lambda crops, boxes: torch.cat(
    [boxes[:, None, :2] + 0.3 * boxes[:, None, 2:] * (torch.rand(len(crops), 17, 2) - 0.5),
     torch.full((len(crops), 17, 1), 0.9)], -1)
runtime.features = lambda crops: torch.randn(len(crops), 1024)
videos = torch.rand(2, 8, 3, 48, 64)
out = {"body_models": str(package_roots()[1])}
for pinning in (False, True):
    result = GvhmrPoseEstimator(runtime=runtime, device="cpu", foot_pinning=pinning)(videos, 16.0)
    batch = to_motion_batch(result)
    out[str(pinning)] = {
        "crops": crops_seen[-1],
        "joints": list(result.joints.shape),
        "finite": bool(torch.isfinite(result.joints).all()) and all(
            bool(torch.isfinite(v).all()) for v in result.smpl_params.values()),
        "params": {k: list(v.shape) for k, v in result.smpl_params.items()},
        "videos_differ": not torch.allclose(result.joints[0], result.joints[1]),
        "fps": result.fps.tolist(),
        "motion_body_pose": list(batch.body_pose.shape),
    }
print(json.dumps(out))
"""


def write_synthetic_smplx(folder: Path) -> None:
    """An SMPLX_NEUTRAL.npz with SMPL-X's array shapes and random values (a chain skeleton)."""
    rng = np.random.default_rng(0)
    v, j = SMPLX_VERTICES, SMPLX_JOINTS
    parents = np.arange(-1, j - 1)
    parents[0] = 0
    folder.mkdir(parents=True)
    np.savez(folder / "SMPLX_NEUTRAL.npz",
             f=rng.integers(0, v, (20908, 3)),
             v_template=rng.normal(0.0, 0.3, (v, 3)).astype(np.float32),
             shapedirs=rng.normal(0.0, 0.01, (v, 3, 20)).astype(np.float32),
             posedirs=rng.normal(0.0, 0.001, (v, 3, 486)).astype(np.float32),
             J_regressor=np.full((j, v), 1.0 / v, np.float32),
             weights=np.full((v, j), 1.0 / j, np.float32),
             kintree_table=np.stack([parents, np.arange(j)]),
             hands_meanl=np.zeros(45, np.float32), hands_meanr=np.zeros(45, np.float32))


def _package_checkpoints(checkpoints: Path, body_models: Path, skip: str | None = None) -> None:
    for name, rel in CHECKPOINTS.items():
        path = (body_models / "smplx" / rel.name if name == "smplx"
                else checkpoints / rel.relative_to("inputs/checkpoints"))
        if name != skip:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"x")


def test_package_checkpoints_are_located(tmp_path: Path) -> None:
    checkpoints, body_models = tmp_path / "ckpt", tmp_path / "bm"
    _package_checkpoints(checkpoints, body_models)
    paths = locate_gvhmr_package((checkpoints, body_models))
    assert paths.package == "gvhmr" and paths.root == checkpoints.resolve()
    assert paths.checkpoints["gvhmr"] == checkpoints / "gvhmr" / "gvhmr_siga24_release.ckpt"
    assert paths.checkpoints["smplx"] == body_models / "smplx" / "SMPLX_NEUTRAL.npz"


def test_package_missing_checkpoint_is_named(tmp_path: Path) -> None:
    checkpoints, body_models = tmp_path / "ckpt", tmp_path / "bm"
    _package_checkpoints(checkpoints, body_models, skip="hmr2")
    with pytest.raises(PoseBackendUnavailable, match=r"hmr2/epoch=10-step=25000\.ckpt"):
        locate_gvhmr_package((checkpoints, body_models))


def test_without_env_var_the_installed_package_is_used(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checkpoints, body_models = tmp_path / "ckpt", tmp_path / "bm"
    _package_checkpoints(checkpoints, body_models)
    monkeypatch.setattr("pose.gvhmr_setup.package_installed", lambda: True)
    monkeypatch.setattr("pose.gvhmr_setup.package_roots", lambda: (checkpoints, body_models))
    assert locate_gvhmr(environ={}).package == "gvhmr"
    with pytest.raises(PoseBackendUnavailable, match="does not exist"):  # GVHMR_ROOT wins
        locate_gvhmr(environ={"GVHMR_ROOT": str(tmp_path / "none")})


@needs_package
def test_gvhmr_network_with_random_weights_runs_on_a_tiny_clip(tmp_path: Path) -> None:
    write_synthetic_smplx(tmp_path / "body_models" / "smplx")
    env = dict(os.environ, GVHMR_CHECKPOINTS=str(tmp_path),
               GVHMR_BODY_MODELS=str(tmp_path / "body_models"))
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["body_models"] == str(tmp_path / "body_models")
    for pinning in ("False", "True"):
        run = out[pinning]
        assert run["crops"] == [16, 3, 256, 256]  # 2 videos x 8 frames, GVHMR's crop size
        assert run["joints"] == [2, 8, 22, 3]
        assert run["params"] == {"global_orient": [2, 8, 3], "body_pose": [2, 8, 63],
                                 "transl": [2, 8, 3], "betas": [2, 8, 10]}
        assert run["finite"] and run["videos_differ"]
        assert run["fps"] == [16.0, 16.0]
        assert run["motion_body_pose"] == [2, 8, 63]
