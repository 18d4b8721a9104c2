"""Video decoding into float frame tensors."""

from pathlib import Path

import pytest
import torch

from pose.video_io import VideoReadError, read_video

VIDEOS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "videos"
SQUATS = VIDEOS / "tfjs_pose_squats.mp4"


@pytest.mark.skipif(not SQUATS.is_file(), reason="real test clips not available")
def test_reads_frames_fps_and_downscales() -> None:
    video = read_video(SQUATS, max_frames=7, max_side=320)
    # 720x1280 portrait clip at 5 fps, shrunk so that its longer side is 320 px.
    assert tuple(video.frames.shape) == (7, 3, 320, 180)
    assert video.fps == pytest.approx(5.0)
    assert video.frames.dtype == torch.float32
    assert 0.0 <= float(video.frames.min()) and float(video.frames.max()) <= 1.0
    assert float(video.frames.std()) > 0.05  # real image content, not a constant frame


@pytest.mark.skipif(not SQUATS.is_file(), reason="real test clips not available")
def test_scale_and_frame_limit() -> None:
    video = read_video(SQUATS, max_frames=2, scale=0.25)
    assert tuple(video.frames.shape) == (2, 3, 320, 180)


def test_missing_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.mp4"
    with pytest.raises(VideoReadError, match="nope.mp4"):
        read_video(missing)


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    with pytest.raises(VideoReadError, match="junk.mp4"):
        read_video(junk)


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="scale"):
        read_video(tmp_path / "x.mp4", scale=1.5)
    with pytest.raises(ValueError, match="max_frames"):
        read_video(tmp_path / "x.mp4", max_frames=0)


def test_pose_on_tensors_needs_no_pyav() -> None:
    """The pose package and its backends import with PyAV absent (the GPU machine has none):
    PyAV is imported only when a file is decoded, and decoding then names it."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "sys.modules['av'] = None  # any 'import av' now raises ImportError\n"
        "import pose, pose.backends, pose.mediapipe_backend, pose.motion, pose.video_scoring\n"
        "from pose.video_io import decode_frames\n"
        "try:\n"
        "    decode_frames(sys.argv[1])\n"
        "except ImportError as err:\n"
        "    print('decode:', err)\n"
    )
    video = Path(__file__).resolve().parents[2] / "pyproject.toml"  # any existing file
    out = subprocess.run([sys.executable, "-c", code, str(video)], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "decode:" in out.stdout and "av" in out.stdout
