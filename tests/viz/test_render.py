"""MuJoCo replay: frames show the floor and the body, move, and colour what v2 judges; the
`phymotion render` command writes an mp4 of the right size and length."""

import av
import numpy as np
import pytest
from viz_clips import no_opengl

from app.cli import main
from physics_jax.motion import save_motion
from physics_jax.viz import scene
from physics_jax.viz.scene import ClipRenderer, playback_indices

W, H = 128, 96  # pixels: small, but feet are still a few pixels wide


def _masks(img: np.ndarray) -> dict:
    """Pixel classes by colour: body (tan), feet green / red / grey, magenta arrow, floor."""
    r, g, b = (img[..., i].astype(int) for i in range(3))
    return {
        "body": (r > g + 15) & (g > b + 15) & (r > 60),
        "green": (g > r + 60) & (g > b + 60),
        "red": (r > 120) & (g < 60) & (b < 60),
        "grey": (abs(r - g) < 12) & (abs(g - b) < 12) & (r > 90),
        "magenta": (r > 120) & (b > 120) & (g < 80),
        "floor": b > r + 10,
    }


def _count(img: np.ndarray, kind: str) -> int:
    return int(_masks(img)[kind].sum())


@pytest.fixture(scope="module")
def frames(analysed):
    """Every frame of every test clip at W x H."""
    _, timelines = analysed
    with ClipRenderer(W, H) as renderer:
        return {name: renderer.render(tl) for name, tl in timelines.items()}


def test_frames_show_floor_and_body(frames):
    img = frames["walk"][0]
    assert img.shape == (H, W, 3) and img.dtype == np.uint8
    assert img.std() > 10.0  # not blank
    assert _count(img, "floor") > 0.4 * W * H  # the checker floor fills the lower part
    assert _count(img, "body") > 100  # the humanoid is in view


def test_walk_frames_change_over_time(frames):
    walk = frames["walk"]
    diff = np.abs(walk[0].astype(int) - walk[-1].astype(int)).mean(axis=-1)
    assert (diff > 30).sum() > 50  # the limbs moved by many pixels
    lifted = frames["lifted"]
    assert np.array_equal(lifted[0], lifted[5])  # a still stance renders identically


def test_feet_colour_switches_on_jump(frames):
    jump = frames["jump"]
    flight = [4, 5, 6, 7]
    for t in range(10):
        if t in flight:
            assert _count(jump[t], "green") == 0 and _count(jump[t], "grey") > 5, t
        else:
            assert _count(jump[t], "green") > 20, t


def test_penetration_is_red(frames):
    sunk = frames["sunk"]
    start = 12 - 12 // 3
    assert all(_count(img, "red") > 10 for img in sunk[start:])
    assert all(_count(img, "red") == 0 for img in sunk[:start])


def test_residual_force_arrow_drawn_only_when_unsupported(frames, analysed):
    lifted = frames["lifted"]
    residual = analysed[1]["lifted"].residual
    for t in range(12):
        if residual[t] > 0.5:  # body weights: the floating frames
            assert _count(lifted[t], "magenta") > 5, t
        elif residual[t] < 0.02:  # standing: nothing to draw
            assert _count(lifted[t], "magenta") == 0, t


def test_playback_indices_keep_real_time():
    np.testing.assert_array_equal(playback_indices(10, 30.0, None), np.arange(10))
    np.testing.assert_array_equal(playback_indices(10, 30.0, 15.0), [0, 2, 4, 6, 8])
    # 0.3 s of a 10 fps clip at 20 fps: 7 frames, each the clip frame nearest in time
    np.testing.assert_array_equal(playback_indices(4, 10.0, 20.0), [0, 0, 1, 2, 2, 2, 3])


def _read_back(path):
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        return np.stack(decoded), float(stream.average_rate)


def test_render_command_writes_mp4(tmp_path, clips, capsys):
    clip = clips["jump"]  # 10 frames at 10 fps
    src = tmp_path / "jump.npz"
    save_motion(src, clip)
    out = tmp_path / "videos" / "jump.mp4"
    assert main(["render", str(src), "-o", str(out), "--width", "64", "--height", "48"]) == 0
    video, fps = _read_back(out)
    assert video.shape == (10, 48, 64, 3) and fps == pytest.approx(10.0)
    assert video.std() > 10.0
    assert "10 frames, 64x48" in capsys.readouterr().out
    half = tmp_path / "half.mp4"
    assert main(["render", str(src), "-o", str(half), "--width", "64", "--height", "48",
                 "--fps", "5"]) == 0
    video, fps = _read_back(half)
    assert video.shape[0] == 5 and fps == pytest.approx(5.0)


def test_render_command_bad_input_exits_2(tmp_path, capsys):
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip archive")
    assert main(["render", str(broken), "-o", str(tmp_path / "x.mp4")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "broken.npz" in err[0] and "file" in err[0]
    assert main(["render", str(tmp_path / "missing.npz"), "-o", str(tmp_path / "x.mp4")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.npz: file: does not exist" in err[0]
    with pytest.raises(SystemExit) as exc:  # odd sizes cannot be encoded as yuv420p
        main(["render", str(broken), "-o", str(tmp_path / "x.mp4"), "--width", "65"])
    assert exc.value.code == 2
    assert not (tmp_path / "x.mp4").exists()


def test_render_command_without_opengl_exits_1(tmp_path, clips, capsys, monkeypatch):
    monkeypatch.setattr(scene, "make_renderer", no_opengl)
    src = tmp_path / "walk.npz"
    save_motion(src, clips["walk"])
    out = tmp_path / "walk.mp4"
    assert main(["render", str(src), "-o", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: rendering unavailable: MUJOCO_GL=osmesa")
    assert not out.exists()
