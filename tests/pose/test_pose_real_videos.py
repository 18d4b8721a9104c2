"""Real footage through the default backend to the reward: the trainer's path (video tensor ->
pose -> MotionBatch -> reward registry) and `phymotion score-video` on files.

The four real clips (first 30 frames, small frames) and a black clip made here go through
BlazePose, one batched IK fit (150 frames, the kernel size of test_pose_smpl_fit) and the
v2 scorer. Every real clip must come out valid with a plausible reward; the black clip must
come out invalid with its reason and no score.
"""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("mediapipe")

VIDEOS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "videos"
NAMES = ("tfjs_pose_squats.mp4", "tfjs_pose_1.mp4", "romp_sample_video2_dance.mp4",
         "hybrik_taiji.mp4")
FPS = (5.0, 30.0, 29.97, 23.976)
FRAMES, SIDE = 30, 320

pytestmark = pytest.mark.skipif(not all((VIDEOS / n).is_file() for n in NAMES),
                                reason=f"real test clips not found in {VIDEOS}")


def write_black_video(path: Path, frames: int = FRAMES, fps: int = 16) -> Path:
    """An H.264 clip of black 320 x 240 frames: nobody in it."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        black = np.zeros((240, 320, 3), dtype=np.uint8)
        for _ in range(frames):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(black, format="rgb24")))
        container.mux(stream.encode())
    return path


def letterboxed_batch() -> tuple[torch.Tensor, torch.Tensor]:
    """(5, 30, 3, 320, 320): the four clips centred on black squares, then an all-black clip;
    and their (5,) frame rates."""
    from pose.video_io import read_video

    videos = torch.zeros(len(NAMES) + 1, FRAMES, 3, SIDE, SIDE)
    rates = []
    for i, name in enumerate(NAMES):
        video = read_video(VIDEOS / name, max_frames=FRAMES, max_side=SIDE)
        h, w = video.frames.shape[2:]
        top, left = (SIDE - h) // 2, (SIDE - w) // 2
        videos[i, :, :, top:top + h, left:left + w] = video.frames
        rates.append(video.fps)
    return videos, torch.tensor(rates + [16.0])


def test_trainer_path_videos_to_reward_registry() -> None:
    import bridge.reward  # noqa: F401  (registers phymotion_score)
    from bridge.registry import RewardRegistry
    from pose import make_pose_estimator
    from pose.motion import to_motion_batch

    videos, fps = letterboxed_batch()
    np.testing.assert_allclose(fps[:4].numpy(), FPS, rtol=1e-3)
    result = make_pose_estimator("mediapipe", max_workers=2)(videos, fps)
    assert result.valid.tolist() == [True, True, True, True, False]
    assert result.reason[4] == "no person detected in any frame"
    params = result.smpl_params
    assert tuple(params["body_pose"].shape) == (5, FRAMES, 69)
    assert all(v.device == videos.device and torch.isfinite(v).all() for v in params.values())
    assert (result.fit_error_cm[:4] < 5.0).all() and torch.isnan(result.fit_error_cm[4])

    batch = to_motion_batch(result)
    out = RewardRegistry({"phymotion_score": 1.0})(batch)
    assert out["valid"].tolist() == [True, True, True, True, False]
    assert out.reasons[4].startswith("no person detected")
    assert ((out["avg"][:4] > 0.3) & (out["avg"][:4] < 1.0)).all(), out["avg"]
    assert float(out["avg"][4]) == 0.0


def test_score_video_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main

    black = write_black_video(tmp_path / "black.mp4")
    out = tmp_path / "rows.json"
    files = [str(VIDEOS / n) for n in NAMES] + [str(black)]
    prompts = ["squats", "a person moves", "a dancer", "a man stands still", "nobody"]
    rc = main(["score-video", *files, "--max-frames", str(FRAMES), "--max-side", str(SIDE),
               "--json", str(out), *[a for p in prompts for a in ("--prompt", p)]])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "score-video" in printed and "invalid" in printed
    rows = json.loads(out.read_text())
    assert [Path(r["file"]).name for r in rows] == [*NAMES, "black.mp4"]
    for row, fps in zip(rows[:4], FPS, strict=True):
        assert row["valid"] and row["pose_valid"] and row["person_present"], row
        assert row["reason"] is None and row["pose_reason"] is None
        assert row["frames"] == FRAMES and row["fps"] == pytest.approx(fps, rel=1e-3)
        assert 0.3 < row["reward"] < 1.0
        assert 0.0 < row["fit_error_cm"] < 5.0
        assert row["pose_confidence"] > 0.8 and row["pose_seconds"] > 0.0
        assert set(row["contact"]) >= {"score", "slip", "penetration", "float", "balance"}
        # the trainer's reward: phymotion_score (= the v2 reward) x the stillness gate
        parts = row["training_reward_components"]
        assert row["training_config"].endswith(":causal_forcing_video_phymotion")
        assert parts["phymotion_score"] == pytest.approx(row["reward"], abs=1e-6)
        assert 0.0 < parts["stillness/presence"] <= 1.0
        assert row["training_reward"] == pytest.approx(row["reward"]
                                                       * parts["stillness/presence"], abs=1e-6)
    assert [r["training_reward_components"]["stillness/still_prompt"] for r in rows[:4]] == [
        0.0, 0.0, 0.0, 1.0]
    assert rows[3]["training_reward_components"]["stillness/presence"] == 1.0  # no gate
    black_row = rows[4]
    assert not black_row["valid"] and not black_row["pose_valid"]
    assert black_row["reason"] == black_row["pose_reason"] == "no person detected in any frame"
    assert black_row["reward"] is None and black_row["kinematic"] == {"score": None}
    assert black_row["fit_error_cm"] is None and black_row["pose_confidence"] == 0.0
    assert black_row["training_reward"] is None
    assert black_row["training_reward_components"]["phymotion_score"] is None


@pytest.mark.parametrize("kind", ["missing", "junk"])
def test_score_video_bad_file_exits_2_with_one_line(
        kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main

    bad = tmp_path / f"{kind}.mp4"
    if kind == "junk":
        bad.write_bytes(b"not a video" * 50)
    rc = main(["score-video", str(VIDEOS / NAMES[0]), str(bad)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and err[0].startswith(f"error: {bad}")
    assert ("does not exist" if kind == "missing" else "cannot open video") in err[0]
