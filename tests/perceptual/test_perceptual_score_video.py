"""`phymotion score-video --reward NAME:PATH`: perceptual scores beside the physics axes, in the
printed tables and the --json rows, on a real clip (a few frames) with the tiny checkpoints; a
missing or broken checkpoint folder is exit 2 with one error naming the folder (and keys)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perceptual import tiny

pytest.importorskip("mediapipe")

VIDEOS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "videos"
VIDEO = VIDEOS / "tfjs_pose_1.mp4"
FRAMES = 6

pytestmark = pytest.mark.skipif(not VIDEO.is_file(), reason=f"real test clip not found: {VIDEO}")


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("ckpts")
    tiny.write_hpsv3_folder(root / "hps")
    tiny.write_videoalign_folder(root / "va")
    return root


def test_scores_beside_the_physics_axes(folders, tmp_path, capsys):
    from app.cli import main

    out = tmp_path / "rows.json"
    rc = main(["score-video", str(VIDEO), "--max-frames", str(FRAMES), "--max-side", "256",
               "--device", "cpu", "--reward", f"video_hpsv3_local:{folders / 'hps'}",
               "--reward", f"video_align:{folders / 'va'}", "--prompt", "a woman raises her arms",
               "--json", str(out)])
    printed = capsys.readouterr().out
    assert rc == 0
    assert "perceptual rewards" in printed and "video_hpsv3_local" in printed
    assert "video_align" in printed and "kinematic" in printed
    (row,) = json.loads(out.read_text())
    assert row["frames"] == FRAMES and "kinematic" in row and "reward" in row
    assert row["prompt"] == "a woman raises her arms"
    hps, va = row["perceptual"]["video_hpsv3_local"], row["perceptual"]["video_align"]
    assert hps["valid"] and hps["reason"] is None and hps["frames"] == FRAMES
    assert {"mu_mean", "sigma_mean"} <= set(hps) and isinstance(hps["reward"], float)
    assert va["valid"] and {"VQ", "MQ", "TA", "frames"} <= set(va)
    assert va["reward"] == pytest.approx((va["VQ"] + va["MQ"] + va["TA"]) / 3, abs=1e-5)


@pytest.mark.parametrize("kind", ["missing", "broken"])
def test_bad_checkpoint_folder_exits_2_naming_it(kind, folders, tmp_path, capsys):
    from app.cli import main

    folder = tmp_path / "HPSv3"
    if kind == "broken":  # the base files but no HPSv3.safetensors
        tiny.write_base(folder)
    rc = main(["score-video", str(VIDEO), "--reward", f"video_hpsv3_local:{folder}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and err[0].startswith("error: --reward: ") and str(folder) in err[0]
    assert ("does not exist" if kind == "missing" else "HPSv3.safetensors") in err[0]


def test_bad_reward_spec_and_prompt_count_exit_2(folders, capsys):
    from app.cli import main

    assert main(["score-video", str(VIDEO), "--reward", "hpsv3"]) == 2
    assert "expected NAME:PATH" in capsys.readouterr().err
    assert main(["score-video", str(VIDEO), str(VIDEO), "--reward",
                 f"video_align:{folders / 'va'}", "--prompt", "a", "--prompt", "b",
                 "--prompt", "c"]) == 2
    assert "--prompt: given 3 times for 2 videos" in capsys.readouterr().err
