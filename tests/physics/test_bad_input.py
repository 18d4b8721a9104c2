"""Bad input to the file readers and `score_clips`: a clear error naming the file and the field,
or an invalid row with a reason and the clip's own frame count; never a silent wrong score, a
crash of the batch, or code run from a data file."""

import io
import zipfile

import numpy as np
import pytest
import torch

from physics_jax.api import score_clips
from physics_jax.errors import MotionFormatError
from physics_jax.motion import load_motion, make_clip
from physics_jax.motion.clip import MAX_TRANSL
from physics_jax.sources import load_humanml3d_npy
from physics_jax.sources.arrays import read_npz
from physics_jax.synthetic import synthetic_clip

MARKER_NAME = "payload-ran"


class _Payload:
    """Unpickling this creates the marker file: proof that code from the data ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _fields(clip):
    return dict(global_orient=clip.global_orient, body_pose=clip.body_pose, transl=clip.transl,
                fps=clip.fps)


def _save_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize("fps, why", [
    ([30.0, 60.0], "one number"), (True, "one number"), ("30", "one number"),
    (1e9, r"\[1, 1000\] Hz"), (1e-9, r"\[1, 1000\] Hz"), (float("nan"), r"\[1, 1000\] Hz"),
])
def test_fps_must_be_one_plausible_number(fps, why):
    clip = synthetic_clip("walk", frames=10)
    with pytest.raises(MotionFormatError, match=f"fps: .*{why}"):
        make_clip(clip.global_orient, clip.body_pose, clip.transl, fps, source="c")


def test_values_beyond_the_ranges_and_non_real_dtypes_are_refused():
    clip = synthetic_clip("walk", frames=10)
    far = clip.transl.copy()
    far[:] = 1e30
    with pytest.raises(MotionFormatError, match="c: transl: .* at frame 0 is beyond 1000 m"):
        make_clip(clip.global_orient, clip.body_pose, far, 30.0, source="c")
    one = clip.transl.copy()
    one[7, 2] = 1e30
    with pytest.raises(MotionFormatError, match="transl: .* at frame 7"):
        make_clip(clip.global_orient, clip.body_pose, one, 30.0, source="c")
    spun = clip.body_pose.copy()
    spun[4, 10] = 1e4
    with pytest.raises(MotionFormatError, match="body_pose: .* at frame 4 is beyond 100 rad"):
        make_clip(clip.global_orient, spun, clip.transl, 30.0, source="c")
    with pytest.raises(MotionFormatError, match="transl: dtype complex128"):
        make_clip(clip.global_orient, clip.body_pose, clip.transl + 1j, 30.0, source="c")
    with pytest.raises(MotionFormatError, match="global_orient: dtype bool"):
        make_clip(clip.global_orient > 0, clip.body_pose, clip.transl, 30.0, source="c")
    # just inside the range still scores as a clip
    edge = clip.transl + np.array([MAX_TRANSL - 10.0, 0.0, 0.0])
    assert make_clip(clip.global_orient, clip.body_pose, edge, 30.0).frames == 10


def test_betas_are_kept_whole_not_cut():
    clip = synthetic_clip("walk", frames=10)
    betas = np.linspace(-1, 1, 300)
    made = make_clip(clip.global_orient, clip.body_pose, clip.transl, 30.0, betas)
    np.testing.assert_array_equal(made.betas, betas)
    per_frame = np.tile(np.arange(16.0), (10, 1))
    np.testing.assert_array_equal(
        make_clip(clip.global_orient, clip.body_pose, clip.transl, 30.0, per_frame).betas,
        np.arange(16.0))
    with pytest.raises(MotionFormatError, match="betas: shape \\(301,\\)"):
        make_clip(clip.global_orient, clip.body_pose, clip.transl, 30.0, np.zeros(301))


def test_score_clips_flags_non_clips_and_reports_real_counts():
    good = synthetic_clip("walk", frames=30)
    nan = synthetic_clip("walk", frames=30, fps=25.0)
    nan.transl = nan.transl.copy()
    nan.transl[4] = np.nan
    as_dict = _fields(synthetic_clip("stand", frames=20)) | {"source": "dict-clip"}
    listed = _fields(synthetic_clip("stand", frames=20))
    listed["transl"] = listed["transl"].tolist()
    far = synthetic_clip("walk", frames=30)
    far.transl = np.full_like(far.transl, 1e30)
    rows = score_clips([good, None, as_dict, nan, listed, {"transl": 1}, far], preset="v2")
    assert [r["valid"] for r in rows] == [True, False, True, False, True, False, False]
    assert "NoneType, not a clip" in rows[1]["reason"]
    assert rows[2]["file"] == "dict-clip" and 0.0 < rows[2]["reward"] <= 1.0
    assert rows[3]["frames"] == 30 and rows[3]["fps"] == 25.0  # its own, not a placeholder's
    assert rows[1]["frames"] == 0 and rows[1]["fps"] is None
    assert abs(rows[4]["reward"] - rows[2]["reward"]) < 1e-6  # a list is the same clip
    assert "beyond 1000 m" in rows[6]["reason"] and rows[6]["reward"] is None
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        score_clips([good], batch_size=0)


def test_gvhmr_pickle_payload_never_runs(tmp_path):
    marker = tmp_path / MARKER_NAME
    t = 8
    params = {"global_orient": torch.zeros(t, 3), "body_pose": torch.zeros(t, 63),
              "transl": torch.ones(t, 3), "betas": torch.zeros(10)}
    path = tmp_path / "hmr4d_results.pt"
    torch.save({"smpl_params_global": params, "hook": _Payload(marker)}, path)
    with pytest.raises(MotionFormatError, match="hmr4d_results.pt: file: holds objects other"):
        load_motion(path, assume_fps=30.0)
    assert not marker.exists()
    torch.save({"smpl_params_global": params}, path)  # the real layout loads
    assert load_motion(path, assume_fps=30.0).frames == t
    params["transl"] = torch.ones(t, 3, dtype=torch.complex64)
    torch.save({"smpl_params_global": params}, path)
    with pytest.raises(MotionFormatError, match="smpl_params_global.transl: dtype"):
        load_motion(path, assume_fps=30.0)


def test_npz_pickle_payload_never_runs(tmp_path):
    marker = tmp_path / MARKER_NAME
    clip = synthetic_clip("walk", frames=10)
    path = tmp_path / "clip.npz"
    np.savez(path, **_fields(clip), betas=np.array([_Payload(marker)], dtype=object))
    with pytest.raises(MotionFormatError, match="clip.npz: betas: holds pickled Python objects"):
        load_motion(path)
    assert not marker.exists()
    np.save(tmp_path / "joints.npy", np.array([_Payload(marker)], dtype=object),
            allow_pickle=True)
    with pytest.raises(MotionFormatError, match="joints.npy: file: holds pickled"):
        load_humanml3d_npy(tmp_path / "joints.npy")
    assert not marker.exists()


def _npy_bytes(header_shape, payload: bytes) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f8", "fortran_order": False, "shape": header_shape})
    return buf.getvalue() + payload


def test_declared_sizes_are_checked_before_reading(tmp_path):
    huge = tmp_path / "huge.npy"
    huge.write_bytes(_npy_bytes((10**6, 10**6, 3), b"\0" * 64))
    with pytest.raises(MotionFormatError, match="huge.npy: file: declares shape .* over the"):
        load_humanml3d_npy(huge)
    short = tmp_path / "short.npy"
    short.write_bytes(_npy_bytes((40, 22, 3), b"\0" * 64))
    with pytest.raises(MotionFormatError, match="short.npy: file: .* but holds 64 bytes"):
        load_humanml3d_npy(short)
    clip = synthetic_clip("walk", frames=10)
    lying = tmp_path / "lying.npz"
    np.savez(lying, **_fields(clip))
    with zipfile.ZipFile(lying, "a") as archive:
        archive.writestr("betas.npy", _npy_bytes((10**9,), b"\0" * 80))
    with pytest.raises(MotionFormatError, match="lying.npz: betas: declares shape"):
        load_motion(lying)


def test_unused_arrays_are_not_decompressed(tmp_path, monkeypatch):
    clip = synthetic_clip("walk", frames=10)
    path = tmp_path / "extra.npz"
    np.savez_compressed(path, **_fields(clip), video=np.zeros((64, 64, 64), np.uint8))
    read = []
    original = np.lib.format.read_array

    def spy(fp, *args, **kwargs):
        out = original(fp, *args, **kwargs)
        read.append(out.shape)
        return out

    monkeypatch.setattr(np.lib.format, "read_array", spy)
    assert load_motion(path).frames == 10
    assert (64, 64, 64) not in read and len(read) == 4
    assert set(read_npz(path, ("fps", "video"))) == {"fps", "video"}
