"""UMT5 prompt encoder and Wan VAE, loaded from tiny Wan folders of both layouts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from generator.text_encoder import PromptEncoder, clean_prompt
from generator.tiny import (
    build_tiny_tokenizer,
    build_tiny_umt5,
    build_tiny_vae,
    write_tiny_wan_folder,
)
from generator.vae import WanVAE, wan_vae_config_from_original
from generator.wan_files import locate_wan_folder


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_wan_folder(tmp_path_factory.mktemp("wan_diffusers"), seed=3)


# --- original-layout names, written independently of the loaders' conversion code -------------


def _t5_to_wan_names(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    table = {
        "layer.0.layer_norm.weight": "norm1.weight",
        "layer.0.SelfAttention.q.weight": "attn.q.weight",
        "layer.0.SelfAttention.k.weight": "attn.k.weight",
        "layer.0.SelfAttention.v.weight": "attn.v.weight",
        "layer.0.SelfAttention.o.weight": "attn.o.weight",
        "layer.0.SelfAttention.relative_attention_bias.weight": "pos_embedding.embedding.weight",
        "layer.1.layer_norm.weight": "norm2.weight",
        "layer.1.DenseReluDense.wi_0.weight": "ffn.gate.0.weight",
        "layer.1.DenseReluDense.wi_1.weight": "ffn.fc1.weight",
        "layer.1.DenseReluDense.wo.weight": "ffn.fc2.weight",
    }
    out = {"token_embedding.weight": state["shared.weight"], "norm.weight": None}
    for key, value in state.items():
        match = re.match(r"encoder\.block\.(\d+)\.(.+)", key)
        if match:
            out[f"blocks.{match.group(1)}.{table[match.group(2)]}"] = value
    out["norm.weight"] = state["encoder.final_layer_norm.weight"]
    return out


_RES = {"norm1.": "residual.0.", "conv1.": "residual.2.", "norm2.": "residual.3.",
        "conv2.": "residual.6.", "conv_shortcut.": "shortcut."}  # fmt: skip


def _res_name(rest: str) -> str:
    for new, old in _RES.items():
        if rest.startswith(new):
            return old + rest[len(new) :]
    return rest  # resample.1.* / time_conv.* keep their names


def _vae_to_wan_names(state: dict[str, torch.Tensor], num_res: int) -> dict[str, torch.Tensor]:
    out = {}
    fixed = {"encoder.conv_in.": "encoder.conv1.", "decoder.conv_in.": "decoder.conv1.",
             "encoder.norm_out.": "encoder.head.0.", "encoder.conv_out.": "encoder.head.2.",
             "decoder.norm_out.": "decoder.head.0.", "decoder.conv_out.": "decoder.head.2.",
             "quant_conv.": "conv1.", "post_quant_conv.": "conv2."}  # fmt: skip
    for key, value in state.items():
        new = None
        for a, b in fixed.items():
            if key.startswith(a):
                new = b + key[len(a) :]
        if (m := re.match(r"encoder\.down_blocks\.(\d+)\.(.+)", key)) is not None:
            new = f"encoder.downsamples.{m.group(1)}.{_res_name(m.group(2))}"
        if m := re.match(r"(en|de)coder\.mid_block\.(resnets|attentions)\.(\d+)\.(.+)", key):
            index = {"resnets": [0, 2], "attentions": [1]}[m.group(2)][int(m.group(3))]
            rest = _res_name(m.group(4)) if m.group(2) == "resnets" else m.group(4)
            new = f"{m.group(1)}coder.middle.{index}.{rest}"
        if (m := re.match(r"decoder\.up_blocks\.(\d+)\.resnets\.(\d+)\.(.+)", key)) is not None:
            index = int(m.group(1)) * (num_res + 2) + int(m.group(2))
            new = f"decoder.upsamples.{index}.{_res_name(m.group(3))}"
        if (m := re.match(r"decoder\.up_blocks\.(\d+)\.upsamplers\.0\.(.+)", key)) is not None:
            index = int(m.group(1)) * (num_res + 2) + num_res + 1
            new = f"decoder.upsamples.{index}.{m.group(2)}"
        assert new is not None, key
        out[new] = value
    return out


@pytest.fixture(scope="module")
def original_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("wan_original")
    tokenizer = build_tiny_tokenizer()
    tokenizer.save_pretrained(root / "google" / "umt5-xxl")
    t5 = build_tiny_umt5(len(tokenizer), seed=4)
    torch.save(_t5_to_wan_names(t5.state_dict()), root / "models_t5_umt5-xxl-enc-bf16.pth")
    vae = build_tiny_vae(seed=5)
    torch.save(_vae_to_wan_names(vae.state_dict(), 2), root / "Wan2.1_VAE.pth")
    return root


def test_layouts_are_recognised(tiny_folder: Path, original_folder: Path) -> None:
    assert locate_wan_folder(tiny_folder).layout == "diffusers"
    found = locate_wan_folder(original_folder)
    assert found.layout == "original"
    assert found.vae.name == "Wan2.1_VAE.pth"


@pytest.mark.parametrize(
    "missing", ["Wan2.1_VAE.pth", "models_t5_umt5-xxl-enc-bf16.pth", "google/umt5-xxl"]
)
def test_missing_file_is_named(tmp_path: Path, missing: str) -> None:
    for name in ("Wan2.1_VAE.pth", "models_t5_umt5-xxl-enc-bf16.pth"):
        if name != missing:
            (tmp_path / name).write_bytes(b"")
    if missing != "google/umt5-xxl":
        build_tiny_tokenizer().save_pretrained(tmp_path / "google" / "umt5-xxl")
    with pytest.raises(FileNotFoundError, match=re.escape(missing)):
        locate_wan_folder(tmp_path)


def test_prompt_encoder_pads_with_zeros_and_caches(tiny_folder: Path, tmp_path: Path) -> None:
    encoder = PromptEncoder.from_wan_folder(
        tiny_folder, dtype=torch.float32, text_len=16, cache_dir=tmp_path / "cache"
    )
    states = encoder.encode(["a cat", "a  dog &amp; ball"])
    assert states.shape == (2, 16, 32)
    lengths = [
        len(encoder.tokenizer(clean_prompt(p))["input_ids"]) for p in ("a cat", "a dog & ball")
    ]
    assert lengths == [6, 13]  # characters and spaces, plus EOS
    for row, n in enumerate(lengths):
        assert states[row, :n].abs().sum(dim=-1).min() > 0
        assert torch.all(states[row, n:] == 0)
    ids = encoder.tokenizer(["a cat"], return_tensors="pt")
    with torch.no_grad():
        direct = encoder.model(**ids).last_hidden_state[0]
    torch.testing.assert_close(states[0, :6], direct)

    encoder.release_model()
    again = encoder.encode(["a cat"])
    assert torch.equal(again[0], states[0])
    with pytest.raises(RuntimeError, match="not cached"):
        encoder.encode(["a new prompt"])
    reopened = PromptEncoder.from_wan_folder(
        tiny_folder, dtype=torch.float32, text_len=16, cache_dir=tmp_path / "cache"
    )
    reopened.release_model()
    assert torch.equal(reopened.encode(["a  dog &amp; ball"])[0], states[1])


def test_original_layout_loads_the_same_weights(original_folder: Path) -> None:
    tokenizer = build_tiny_tokenizer()
    t5 = build_tiny_umt5(len(tokenizer), seed=4)
    encoder = PromptEncoder.from_wan_folder(original_folder, dtype=torch.float32, text_len=16)
    ids = tokenizer(["jump high"], return_tensors="pt")
    with torch.no_grad():
        expected = t5(**ids).last_hidden_state[0]
    torch.testing.assert_close(encoder.encode(["jump high"])[0, : expected.shape[0]], expected)

    vae = WanVAE.from_wan_folder(original_folder)
    source = WanVAE(build_tiny_vae(seed=5))
    latents = torch.randn(1, 16, 2, 4, 4, generator=torch.Generator().manual_seed(0))
    assert torch.equal(vae.decode(latents), source.decode(latents))


def test_vae_config_is_read_from_original_weights() -> None:
    state = _vae_to_wan_names(build_tiny_vae().state_dict(), 2)
    config = wan_vae_config_from_original(state)
    assert config == {
        "base_dim": 4,
        "z_dim": 16,
        "dim_mult": [1, 2, 4, 4],
        "num_res_blocks": 2,
        "attn_scales": [],
        "temperal_downsample": [False, True, True],
    }


def test_vae_decode_shape_range_and_normalisation(tiny_folder: Path) -> None:
    vae = WanVAE.from_wan_folder(tiny_folder)
    latents = torch.randn(2, 16, 3, 4, 6, generator=torch.Generator().manual_seed(1))
    video = vae.decode(latents)
    assert video.shape == (2, 9, 3, 32, 48)
    assert video.min() >= 0 and video.max() <= 1 and video.std() > 1e-3
    raw = vae.denormalize(latents)
    torch.testing.assert_close(vae.normalize(raw), latents)
    assert raw[0, 0, 0, 0, 0] == latents[0, 0, 0, 0, 0] * vae.std[0] + vae.mean[0]
    with torch.no_grad():
        pixels = vae.vae.decode(raw[:1]).sample
    torch.testing.assert_close(video[0], (pixels[0] * 0.5 + 0.5).clamp(0, 1).permute(1, 0, 2, 3))


def test_prompts_are_cleaned_as_wan_cleans_them() -> None:
    assert clean_prompt("  a  man&amp;amp;\n a dog ") == "a man& a dog"
    assert clean_prompt("caf\u00c3\u00a9 dancer \u00e2\u0080\u009cspins\u00e2\u0080\u009d") == (
        'café dancer "spins"')  # mojibake repaired by ftfy
