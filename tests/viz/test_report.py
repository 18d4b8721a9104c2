"""`phymotion report`: one self-contained HTML page with the scores, one timeline plot and one
key-frame strip per clip."""

import base64
import io
import re

import imageio.v3 as iio
import pytest
from viz_clips import no_opengl

from app.cli import main
from physics_jax.motion import save_motion
from physics_jax.viz import scene

IMG = re.compile(r'<img class="(\w+)" alt="[^"]*" src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


@pytest.fixture(scope="module")
def clip_files(clips, tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    paths = []
    for name, clip in clips.items():
        path = folder / f"{name}.npz"
        save_motion(path, clip)
        paths.append(path)
    return paths


def _images(page: str) -> dict:
    out: dict = {}
    for cls, data in IMG.findall(page):
        out.setdefault(cls, []).append(iio.imread(io.BytesIO(base64.b64decode(data))))
    return out


def test_report_has_scores_and_one_plot_per_clip(clip_files, analysed, tmp_path, capsys):
    out = tmp_path / "report.html"
    assert main(["report", *map(str, clip_files), "-o", str(out), "--key-frames", "3"]) == 0
    page = out.read_text()
    images = _images(page)
    n = len(clip_files)
    assert len(images["timeline"]) == n and len(images["frames"]) == n
    assert all(img.shape[0] > 500 and img.shape[1] > 400 for img in images["timeline"])
    assert all(img.shape[1] == 3 * 160 and img.shape[0] == 120 for img in images["frames"])
    assert page.count("<img") == 2 * n
    assert not re.search(r'(src|href)="(?!data:image/png;base64,|#clip)', page)  # self-contained
    rows, _ = analysed
    for path in clip_files:
        row = rows[path.stem]
        assert str(path) in page
        assert f"<b>{row['reward']:.3g}</b>" in page
        assert f"{row['contact']['penetration']['value']:.4g}" in page
        assert f"; drift {row['contact']['slip']['drift']:.4g}" in page  # slip's detail
    for unit in ("m/s", "m/s^2", "BW", "W/kg", "ratio"):
        assert f">{unit}<" in page
    assert "wrote" in capsys.readouterr().err


def test_report_without_opengl_keeps_scores_and_plots(clip_files, tmp_path, monkeypatch):
    monkeypatch.setattr(scene, "make_renderer", no_opengl)
    out = tmp_path / "plots_only.html"
    assert main(["report", *map(str, clip_files), "-o", str(out)]) == 0
    page = out.read_text()
    images = _images(page)
    assert len(images["timeline"]) == len(clip_files) and "frames" not in images
    assert page.count("key frames not rendered: MUJOCO_GL=osmesa") == len(clip_files)


def test_report_bad_input_exits_2(clip_files, tmp_path, capsys):
    out = tmp_path / "r.html"
    missing = tmp_path / "missing.npz"
    assert main(["report", str(clip_files[0]), str(missing), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.npz: file: does not exist" in err[0]
    assert not out.exists()
