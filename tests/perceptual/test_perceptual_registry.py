"""The perceptual rewards as registry components: prompts and videos from the batch, invalid
clips with reasons, each head logged, mixed with another component."""

from __future__ import annotations

import pytest
import torch

from bridge.registry import MotionBatch, RewardRegistry
from perceptual import tiny
from perceptual.components import perceptual_functions


def batch(b=3, f=4, videos=True):
    zeros = torch.zeros(b, f, 3)
    mb = MotionBatch(zeros, torch.zeros(b, f, 69), zeros.clone(), torch.full((b,), f), 16.0)
    if videos:
        g = torch.Generator().manual_seed(0)
        mb.videos = torch.randint(0, 256, (b, f, 3, 56, 56), generator=g, dtype=torch.uint8)
        mb.prompts = ["a man runs", "a woman jumps", "a child waves"][:b]
        mb.video_fps = 16.0
    return mb


def constant(_batch):
    return {"reward": torch.full((3,), 2.0), "valid": torch.ones(3, dtype=torch.bool)}


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    root = tmp_path_factory.mktemp("ckpts")
    tiny.write_hpsv3_folder(root / "hps")
    tiny.write_videoalign_folder(root / "va")
    weights = {"const": 1.0, "video_hpsv3_local": 1.0, "video_align": 0.5}
    options = {"video_hpsv3_local": {"path": str(root / "hps"), "pixels": 56 * 56},
               "video_align": {"path": str(root / "va"), "heads": ["VQ", "TA"]}}
    functions = {"const": constant, **perceptual_functions(weights, options)}
    return RewardRegistry(weights, functions=functions)


def test_mix_logs_each_head_and_sums_weights(registry):
    out = registry(batch())
    assert out["valid"].all() and not out.errors
    for key in ("video_hpsv3_local/mu_mean", "video_hpsv3_local/sigma_mean", "video_align/VQ",
                "video_align/MQ", "video_align/TA", "video_align/frames"):
        assert out[key].shape == (3,)
    torch.testing.assert_close(out["video_align"], (out["video_align/VQ"]
                                                    + out["video_align/TA"]) / 2)
    torch.testing.assert_close(out["avg"], 2.0 + out["video_hpsv3_local"]
                               + 0.5 * out["video_align"])


def test_unscorable_clips_are_invalid_with_a_reason(registry):
    mb = batch()
    mb.videos = mb.videos.float() / 255
    mb.videos[1, 2, 0, 5, 5] = float("nan")
    mb.prompts[2] = ""
    out = registry(mb)
    assert out["valid"].tolist() == [True, False, False]
    assert "video_hpsv3_local: video: non-finite pixel values" in out.reasons[1]
    assert "video_align: prompt: empty" in out.reasons[2]
    full = registry(batch())
    torch.testing.assert_close(out["video_hpsv3_local"][0], full["video_hpsv3_local"][0],
                               atol=1e-4, rtol=1e-4)
    none = registry(batch(videos=False))
    assert not none["valid"].any() and "no decoded video" in none.reasons[0]


def test_options_are_checked():
    with pytest.raises(ValueError, match="needs 'path'"):
        perceptual_functions({"video_align": 1.0}, {})
    with pytest.raises(ValueError, match="not in reward.weights"):
        perceptual_functions({"phymotion_score": 1.0}, {"video_align": {"path": "x"}})
    fn = perceptual_functions({"video_align": 1.0}, {"video_align": {"path": "/nonexistent"}})
    out = RewardRegistry({"video_align": 1.0}, functions=fn)(batch())
    assert not out["valid"].any() and "/nonexistent" in out.errors["video_align"]


def test_video_file_rows(tmp_path, monkeypatch):
    import numpy as np

    import generator.video_io as vio
    from perceptual.video_files import parse_reward_spec, perceptual_rows

    with pytest.raises(ValueError, match="NAME:PATH"):
        parse_reward_spec("hpsv3")
    tiny.write_videoalign_folder(tmp_path / "va")
    frames = np.random.default_rng(0).integers(0, 256, (4, 56, 56, 3), dtype=np.uint8)
    monkeypatch.setattr(vio, "read_mp4", lambda path: frames)
    rows = perceptual_rows(["a.mp4"], ["a man runs"], [f"video_align:{tmp_path / 'va'}"],
                           device="cpu")
    assert set(rows[0]) == {"video_align", "video_align/VQ", "video_align/MQ",
                            "video_align/TA", "video_align/frames"}
