"""HPSv3 and VideoAlign on tiny random Qwen2-VL checkpoints written in the released layouts:
loading, agreement with the model that wrote the weights, batching, heads, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from perceptual import frames as fr
from perceptual import hpsv3, tiny, videoalign
from perceptual.loading import CheckpointError
from perceptual.vision import VisionSpec, patchify_images, patchify_video

PROMPTS = ["a man runs across a field", "a woman jumps over a box", "a child waves"]


@pytest.fixture(scope="module")
def hps(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hpsv3")
    ref = tiny.write_hpsv3_folder(folder, seed=1)
    return folder, ref, hpsv3.HPSv3Scorer.load(folder, pixels=56 * 56)


@pytest.fixture(scope="module")
def va(tmp_path_factory):
    folder = tmp_path_factory.mktemp("videoalign")
    ref = tiny.write_videoalign_folder(folder, seed=2)
    return folder, ref, videoalign.VideoAlignScorer.load(folder)


def videos(b=3, f=4, h=56, w=56, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (b, f, 3, h, w), generator=g, dtype=torch.uint8)


def test_frame_rules():
    assert fr.smart_resize(480, 832, min_pixels=256 * 784, max_pixels=256 * 784) == (336, 588)
    assert fr.smart_resize(480, 832, min_pixels=128 * 784, max_pixels=448 * 448) == (336, 588)
    assert fr.fps_frame_count(45, 16.0, 2.0) == 6
    assert fr.fps_frame_count(3, 16.0, 2.0) == 2
    assert fr.even_indices(45, 6) == [0, 9, 18, 26, 35, 44]
    assert fr.even_indices(4, None) == [0, 1, 2, 3]


def test_patches_match_the_qwen2vl_image_processor():
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import (
        Qwen2VLImageProcessorPil,
    )

    img = videos(1, 1, 56, 84)[0, 0]  # already a multiple of 28: no resize
    hf = Qwen2VLImageProcessorPil(min_pixels=56 * 56, max_pixels=56 * 84 * 4)(
        images=[img.permute(1, 2, 0).numpy()], return_tensors="pt")
    spec = VisionSpec()
    mine, grid = patchify_images(spec.normalise(img[None].float() / 255), spec)
    assert grid.tolist() == hf["image_grid_thw"].tolist() == [[1, 4, 6]]
    np.testing.assert_allclose(mine.numpy(), hf["pixel_values"].numpy(), atol=1e-5)
    # a two-frame clip of the same frame is that image; frame order matters
    clip, g2 = patchify_video(spec.normalise(img[None].float().expand(2, 3, 56, 84) / 255), spec)
    assert g2.tolist() == [[1, 4, 6]]
    torch.testing.assert_close(clip, mine)


def test_chat_tokens_match_tokenizing_the_expanded_text(hps):
    _, _, scorer = hps
    enc = scorer.base.encoder
    batch = enc.encode([hpsv3.hpsv3_text(p) for p in PROMPTS[:2]], "image", [4, 4])
    text = enc.render(hpsv3.hpsv3_text(PROMPTS[0]), "image").replace(
        "<|image_pad|>", "<|image_pad|>" * 4)
    ids = enc.tokenizer(text, add_special_tokens=False)["input_ids"]
    n = int(batch.attention_mask[0].sum())
    assert batch.input_ids[0, :n].tolist() == ids
    assert int((batch.mm_token_type_ids[0] == 1).sum()) == 4


def _reference_heads(ref, text, pixels, grid, kind, special_ids):
    """The writer's modules (unmerged LoRA, its own layout) at the reward tokens."""
    inner = ref.base_model.model if hasattr(ref, "base_model") else ref
    vision = ({"pixel_values": pixels, "image_grid_thw": grid} if kind == "image" else
              {"pixel_values_videos": pixels, "video_grid_thw": grid})
    with torch.no_grad():
        out = inner.model(input_ids=text.input_ids, attention_mask=text.attention_mask,
                          mm_token_type_ids=text.mm_token_type_ids, **vision)
        mask = torch.isin(text.input_ids, torch.tensor(special_ids))
        picked = out.last_hidden_state[mask].reshape(text.input_ids.shape[0], -1,
                                                     out.last_hidden_state.shape[-1])
        return inner.rm_head(picked.float())


def test_hpsv3_reproduces_the_checkpoint_writer(hps):
    _, ref, scorer = hps
    spec = scorer.base.vision
    imgs = videos(2, 1, 56, 56)[:, 0].float() / 255
    got = scorer.frame_scores(imgs, PROMPTS[:2])
    pixels, grid = patchify_images(spec.normalise(imgs), spec)
    text = scorer.base.encoder.encode([hpsv3.hpsv3_text(p) for p in PROMPTS[:2]], "image",
                                      [spec.tokens(*grid[0].tolist())] * 2)
    want = _reference_heads(ref, text, pixels, grid, "image", scorer.base.special_ids)[:, 0]
    torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)
    assert got.shape == (2, 2) and not torch.allclose(got[0], got[1])


def test_hpsv3_video_reward_is_top30_of_frame_mu_and_batch_independent(hps):
    _, _, scorer = hps
    v = videos(3, 5)
    out = scorer(v, PROMPTS)
    assert set(out) == {"reward", "mu_mean", "sigma_mean", "frames"}
    assert all(t.shape == (3,) for t in out.values()) and out["frames"].tolist() == [5.0] * 3
    alone = scorer(v[1:2], PROMPTS[1:2])
    torch.testing.assert_close(alone["reward"], out["reward"][1:2], atol=1e-4, rtol=1e-4)
    again = scorer(v, PROMPTS)
    torch.testing.assert_close(again["reward"], out["reward"])
    # top 30% of 5 frames = the best frame's mu
    flat = fr.quantize_uint8(v[0].float() / 255)
    mu = scorer.frame_scores(flat, [PROMPTS[0]] * 5)[:, 0]
    torch.testing.assert_close(out["reward"][0], mu.max(), atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(out["mu_mean"][0], mu.mean(), atol=1e-4, rtol=1e-4)
    assert not torch.allclose(scorer(v, ["x", "y", "z"])["reward"], out["reward"])


def test_videoalign_reproduces_the_peft_writer_and_normalises(va):
    folder, ref, scorer = va
    v = videos(2, 8)
    clips = [scorer.prepare(c, 16.0) for c in v]
    assert [c.shape[0] for c in clips] == [4, 4]  # 8 frames at 16 fps -> 1 s -> 2, at least 4
    raw = scorer.raw_heads(clips, PROMPTS[:2])
    spec = scorer.base.vision
    parts = [patchify_video(spec.normalise(c), spec) for c in clips]
    pixels, grid = torch.cat([p for p, _ in parts]), torch.cat([g for _, g in parts])
    text = scorer.base.encoder.encode([videoalign.videoalign_text(p) for p in PROMPTS[:2]],
                                      "video", [spec.tokens(*g[0].tolist()) for _, g in parts])
    want = _reference_heads(ref, text, pixels, grid, "video", scorer.base.special_ids)[..., 0]
    torch.testing.assert_close(raw, want, atol=1e-4, rtol=1e-4)
    out = scorer(v, PROMPTS[:2], 16.0)
    cal = tiny.VIDEOALIGN_RUN["inference_config"]
    for j, h in enumerate(videoalign.HEADS):
        torch.testing.assert_close(out[h], (raw[:, j] - cal[f"{h}_mean"]) / cal[f"{h}_std"],
                                   atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(out["reward"], (out["VQ"] + out["MQ"] + out["TA"]) / 3)
    alone = scorer(v[1:], PROMPTS[1:2], 16.0)
    torch.testing.assert_close(alone["reward"], out["reward"][1:], atol=1e-4, rtol=1e-4)


def test_videoalign_head_choice(va):
    folder, _, _ = va
    mq = videoalign.VideoAlignScorer.load(folder, heads=("MQ",), num_frames=2)
    out = mq(videos(2, 6), PROMPTS[:2], 16.0)
    torch.testing.assert_close(out["reward"], out["MQ"])
    assert out["frames"].tolist() == [2.0, 2.0]
    with pytest.raises(ValueError, match="heads"):
        videoalign.VideoAlignScorer.load(folder, heads=("XX",))


def test_missing_and_mismatched_weights_name_folder_and_keys(tmp_path):
    folder = tmp_path / "h"
    tiny.write_hpsv3_folder(folder)
    ckpt = folder / hpsv3.CHECKPOINT_FILE
    state = load_file(str(ckpt))
    state.pop("rm_head.3.weight")
    state["rm_head.7.weight"] = torch.zeros(1)
    state["visual.merger.mlp.2.bias"] = torch.zeros(5)
    save_file(state, str(ckpt))
    with pytest.raises(CheckpointError) as err:
        hpsv3.HPSv3Scorer.load(folder)
    msg = str(err.value)
    assert str(ckpt) in msg and "rm_head.3.weight" in msg and "rm_head.7.weight" in msg
    assert "model.visual.merger.mlp.2.bias (5,) != (32,)" in msg
    ckpt.unlink()
    with pytest.raises(CheckpointError, match=f"{folder}.*HPSv3.safetensors"):
        hpsv3.HPSv3Scorer.load(folder)


def test_videoalign_folder_errors(tmp_path):
    folder = tmp_path / "v"
    tiny.write_videoalign_folder(folder)
    weights = folder / "checkpoint-11352" / "model.pth"
    state = torch.load(weights, weights_only=True)
    lora = next(k for k in state if ".lora_A." in k)
    state.pop(lora.replace(".lora_A.", ".lora_B."))
    torch.save(state, weights)
    with pytest.raises(CheckpointError, match="LoRA layers") as err:
        videoalign.VideoAlignScorer.load(folder)
    assert str(weights) in str(err.value)
    weights.unlink()
    with pytest.raises(CheckpointError, match="model.pth or model.safetensors"):
        videoalign.VideoAlignScorer.load(folder)
    cfg = json.loads((folder / "model_config.json").read_text())
    cfg["model_config"]["output_dim"] = 3
    (folder / "model_config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="output_dim"):
        videoalign.VideoAlignScorer.load(folder)
    (folder / "tokenizer_config.json").unlink()
    (folder / "model_config.json").unlink()
    with pytest.raises(CheckpointError, match=f"{folder}.*model_config.json"):
        videoalign.VideoAlignScorer.load(folder)
