"""The perceptual rewards as registry components: registered by importing perceptual.components,
built from the registry's options, reading videos, prompts and fps from the RewardContext (the
MotionBatch carries motion only), invalid clips with reasons, each head logged, mixed with
another component."""

from __future__ import annotations

import pytest
import torch

import perceptual.components  # noqa: F401  (registers video_hpsv3_local and video_align)
from bridge.registry import MotionBatch, RewardContext, RewardRegistry, available_rewards
from perceptual import PERCEPTUAL_REWARDS, tiny


def batch(b=3, f=4):
    zeros = torch.zeros(b, f, 3)
    return MotionBatch(zeros, torch.zeros(b, f, 69), zeros.clone(), torch.full((b,), f), 16.0)


def context(b=3, f=4):
    g = torch.Generator().manual_seed(0)
    return RewardContext(prompts=["a man runs", "a woman jumps", "a child waves"][:b],
                         videos=torch.randint(0, 256, (b, f, 3, 56, 56), generator=g,
                                              dtype=torch.uint8),
                         video_fps=16.0)


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
    return RewardRegistry(weights, functions={"const": constant}, options=options)


def test_registered_on_import():
    assert set(PERCEPTUAL_REWARDS) <= set(available_rewards())


def test_mix_logs_each_head_and_sums_weights(registry):
    assert registry.uses_context
    out = registry(batch(), context())
    assert out["valid"].all() and not out.errors
    for key in ("video_hpsv3_local/mu_mean", "video_hpsv3_local/sigma_mean", "video_align/VQ",
                "video_align/MQ", "video_align/TA", "video_align/frames"):
        assert out[key].shape == (3,)
    torch.testing.assert_close(out["video_align"], (out["video_align/VQ"]
                                                    + out["video_align/TA"]) / 2)
    torch.testing.assert_close(out["avg"], 2.0 + out["video_hpsv3_local"]
                               + 0.5 * out["video_align"])
    torch.testing.assert_close(registry.submit(batch(), context()).result()["avg"], out["avg"])


def test_unscorable_clips_are_invalid_with_a_reason(registry):
    ctx = context()
    ctx.videos = ctx.videos.float() / 255
    ctx.videos[1, 2, 0, 5, 5] = float("nan")
    ctx.prompts[2] = ""
    out = registry(batch(), ctx)
    assert out["valid"].tolist() == [True, False, False]
    assert "video_hpsv3_local: video: non-finite pixel values" in out.reasons[1]
    assert "video_align: prompt: empty" in out.reasons[2]
    full = registry(batch(), context())
    torch.testing.assert_close(out["video_hpsv3_local"][0], full["video_hpsv3_local"][0],
                               atol=1e-4, rtol=1e-4)
    for none in (registry(batch()), registry(batch(), RewardContext(prompts=["a"] * 3))):
        assert not none["valid"].any() and "no decoded video" in none.reasons[0]
        assert none["const"].tolist() == [2.0] * 3  # the other component still scores


def test_options_are_checked():
    with pytest.raises(ValueError, match="needs the option 'path'"):
        RewardRegistry({"video_align": 1.0})
    with pytest.raises(ValueError, match="not in the reward weights"):
        RewardRegistry({"phymotion_score": 1.0}, options={"video_align": {"path": "x"}})
    with pytest.raises(ValueError, match=r"unknown options \['head'\]"):
        RewardRegistry({"video_align": 1.0}, options={"video_align": {"path": "x",
                                                                      "head": ["MQ"]}})
    reg = RewardRegistry({"video_align": 1.0}, options={"video_align": {"path": "/nonexistent"}})
    out = reg(batch(), context())
    assert not out["valid"].any() and "/nonexistent" in out.errors["video_align"]


def test_trainer_builder_imports_perceptual_only_when_named(tmp_path):
    """build_components imports perceptual.components only for a config naming one of its
    rewards (a fresh interpreter builds the physics-only toy run: nothing perceptual is
    imported); with one named, the registry builds it from reward.options and it reads the
    context (the toy motion source keeps no videos: its clips are invalid with the reason)."""
    import json
    import subprocess
    import sys

    from generator.nft.components import build_components
    from generator.nft.config import load_config

    toy = "configs/nft_causal_forcing.py:tiny_cpu_toy"
    code = ("import sys, torch\n"
            "from generator.nft.components import build_components\n"
            "from generator.nft.config import load_config\n"
            f"parts = build_components(load_config({toy!r}), torch.device('cpu'))\n"
            "assert list(parts.registry.functions) == ['phymotion_score']\n"
            "assert 'perceptual.components' not in sys.modules, 'imported for physics only'\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
    tiny.write_videoalign_folder(tmp_path / "va")
    options = {"video_align": {"path": str(tmp_path / "va"), "heads": ["MQ"]}}
    config = load_config(toy, ['reward.weights={"video_align": 1.0}',
                               f"reward.options={json.dumps(options)}"])
    parts = build_components(config, torch.device("cpu"))
    fn = parts.registry.functions["video_align"]
    assert parts.registry.uses_context and fn.options["heads"] == ["MQ"]
    out = parts.registry(batch(), RewardContext(prompts=["a man runs"] * 3))
    assert not out["valid"].any() and "no decoded video" in out.reasons[0]
    with pytest.raises(ValueError, match="not in reward.weights"):
        load_config(toy, [f"reward.options={json.dumps(options)}"]).check_values()


def test_video_file_rows(tmp_path):
    import numpy as np

    from perceptual.video_files import load_rewards, parse_reward_spec, perceptual_rows
    from pose.video_io import decode_frames

    av = pytest.importorskip("av")
    with pytest.raises(ValueError, match="NAME:PATH"):
        parse_reward_spec("hpsv3")
    tiny.write_videoalign_folder(tmp_path / "va")
    path = tmp_path / "clip.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=8)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        rng = np.random.default_rng(0)
        for _ in range(6):
            frame = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    rewards = load_rewards([f"video_align:{tmp_path / 'va'}"], "cpu")
    frames, fps = decode_frames(path, max_frames=4)
    frames = torch.from_numpy(frames).permute(0, 3, 1, 2)  # (4, 3, 64, 64) uint8
    assert fps == 8.0
    rows = perceptual_rows([(frames, fps), (frames[:, :, :8], 8.0)],
                           ["a man runs", "a man runs"], rewards)
    entry = rows[0]["video_align"]
    assert set(entry) == {"reward", "valid", "reason", "VQ", "MQ", "TA", "frames"}
    assert entry["valid"] and entry["reason"] is None and entry["frames"] == 4
    small = rows[1]["video_align"]  # 8 pixels high: too small to score, a reason instead
    assert small == {"reward": None, "valid": False, "reason": small["reason"]}
    assert small["reason"].startswith("video: 8x64 pixels")
    direct = rewards["video_align"].scorer(frames[None], ["a man runs"], fps)
    assert entry["reward"] == pytest.approx(float(direct["reward"][0]), abs=1e-5)
