"""The `sample` command and the text-to-video pipeline on tiny random components."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import imageio.v3 as iio
import pytest
import torch

from generator.checkpoint import save_generator_checkpoint
from generator.cli_sample import add_sample_arguments, run_sample, video_filename
from generator.lora import adapter_parameters, add_lora, save_lora
from generator.model import CausalWanModel
from generator.pipeline import build_video_generator, latent_shape
from generator.tiny import tiny_model_config
from generator.video_io import read_mp4


def _args(*argv: str) -> argparse.Namespace:
    return add_sample_arguments(argparse.ArgumentParser()).parse_args(list(argv))


def test_latent_shape_of_the_published_setting() -> None:
    assert latent_shape(45, 480, 832) == (16, 12, 60, 104)
    with pytest.raises(ValueError, match="1 \\+ 4k"):
        latent_shape(44, 480, 832)


def test_missing_inputs_give_exit_code_and_named_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path / "causal_forcing.pt"
    wan = tmp_path / "Wan2.1-T2V-1.3B"
    wan.mkdir()
    common = ["--prompt", "x", "--output_dir", str(tmp_path / "out")]
    assert run_sample(_args(*common)) == 2
    assert "--base_model" in capsys.readouterr().err
    assert run_sample(_args(*common, "--base_model", str(base), "--wan_dir", str(wan))) == 2
    assert "Wan2.1_VAE.pth" in capsys.readouterr().err
    assert run_sample(_args(*common, "--tiny", "--num_frames", "8")) == 2
    assert "1 + 4k" in capsys.readouterr().err


def test_mp4_has_requested_frames_and_size(tmp_path: Path) -> None:
    args = _args(
        "--tiny", "--prompt", "a man jumps", "--output_dir", str(tmp_path),
        "--num_frames", "9", "--height", "32", "--width", "64", "--guidance_scale", "3.0",
    )  # fmt: skip
    assert run_sample(args) == 0
    frames = read_mp4(tmp_path / video_filename(0, "a man jumps"))
    assert frames.shape == (9, 32, 64, 3)
    assert frames.std() > 1.0  # a decoded random video, not a blank one
    assert (tmp_path / "manifest_rank0.jsonl").read_text().count("\n") == 1


@pytest.fixture(scope="module")
def tiny_generator():  # noqa: ANN201
    return build_video_generator(base_model=None, wan_dir=None, device="cpu", tiny=True)


def test_same_seed_same_video(tiny_generator) -> None:
    kwargs = dict(num_frames=9, height=32, width=32)
    a = tiny_generator.generate(["a dog", "a cat"], seeds=[4, 5], **kwargs)
    b = tiny_generator.generate(["a dog", "a cat"], seeds=[4, 5], **kwargs)
    c = tiny_generator.generate(["a dog"], seeds=[6], **kwargs)
    alone = tiny_generator.generate(["a cat"], seeds=[5], **kwargs)
    assert a.latents.shape == (2, 16, 3, 4, 4)
    assert a.video.shape == (2, 9, 3, 32, 32)
    assert torch.equal(a.video, b.video) and torch.equal(a.latents, b.latents)
    assert (a.latents[0] - c.latents[0]).abs().max() > 1e-2
    torch.testing.assert_close(alone.video[0], a.video[1], rtol=0, atol=1e-4)


def test_prompts_are_sharded_by_rank(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("run\n\njump\nwalk\n")
    common = ["--tiny", "--prompt_file", str(prompts), "--num_frames", "5", "--height", "32",
              "--width", "32", "--seed", "10", "--num_frame_per_block", "2"]  # fmt: skip
    assert (
        run_sample(_args(*common, "--output_dir", str(tmp_path / "all"), "--batch_size", "3")) == 0
    )
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert run_sample(_args(*common, "--output_dir", str(tmp_path / "r1"))) == 0
    assert sorted(p.name for p in (tmp_path / "r1").glob("*.mp4")) == ["00001_jump.mp4"]
    assert (tmp_path / "r1" / "manifest_rank1.jsonl").is_file()
    alone = read_mp4(tmp_path / "r1" / "00001_jump.mp4")
    batched = read_mp4(tmp_path / "all" / "00001_jump.mp4")
    assert alone.shape == (5, 32, 32, 3)
    other = read_mp4(tmp_path / "all" / "00002_walk.mp4")
    # same seed in another batch: equal up to float noise (which H.264 can amplify locally),
    # far closer than a different prompt and seed
    same = abs(alone.astype(int) - batched.astype(int)).mean()
    assert same < 0.1 * abs(alone.astype(int) - other.astype(int)).mean()


def test_base_model_and_lora_flags(tmp_path: Path) -> None:
    torch.manual_seed(1)
    model = CausalWanModel(tiny_model_config())
    base = save_generator_checkpoint(model, tmp_path / "causal_forcing.pt", "generator_ema")
    peft_model = add_lora(model, rank=2, alpha=2)
    with torch.no_grad():
        for p in adapter_parameters(peft_model, "default").values():
            p.normal_(0, 0.3)
    save_lora(peft_model, tmp_path / "ckpt", step=3)
    common = ["--tiny", "--prompt", "spin", "--num_frames", "5", "--height", "32", "--width", "32",
              "--base_model", str(base), "--num_frame_per_block", "2"]  # fmt: skip
    outputs = {}
    for name, extra in {
        "base": [],
        "lora": ["--lora_path", str(tmp_path / "ckpt" / "checkpoint-3")],
    }.items():
        assert run_sample(_args(*common, *extra, "--output_dir", str(tmp_path / name))) == 0
        outputs[name] = read_mp4(tmp_path / name / "00000_spin.mp4").astype(int)
    assert abs(outputs["base"] - outputs["lora"]).max() > 2


@pytest.mark.parametrize("flag, value", [("--batch_size", "0"), ("--num_frames", "-5"),
                                         ("--fps", "0"), ("--seed", "-1"),
                                         ("--num_frame_per_block", "x")])
def test_bad_counts_stop_at_the_command_line(flag: str, value: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _args("--prompt", "x", "--output_dir", str(tmp_path / "out"), flag, value)
    assert exit_info.value.code == 2
    assert flag in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_frames_must_divide_into_blocks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--tiny", "--prompt", "x", "--output_dir", str(tmp_path / "out")]
    assert run_sample(_args(*common, "--num_frames", "5")) == 2  # 2 latent frames, blocks of 3
    err = capsys.readouterr().err
    assert "2 latent frames do not divide into blocks of 3" in err and "9, 21" in err
    assert not (tmp_path / "out").exists()
    assert run_sample(_args(*common, "--local_attn_size", "3", "--sink_size", "3")) == 2
    assert "sink_size" in capsys.readouterr().err


def test_upstream_layout_and_no_save_videos(tmp_path: Path) -> None:
    common = ["--tiny", "--prompt", "a man waves", "--height", "32", "--width", "32"]
    out = tmp_path / "up"
    assert run_sample(_args(*common, "--output_dir", str(out), "--output_layout", "upstream")) == 0
    assert read_mp4(out / "videos" / "00000.mp4").shape == (9, 32, 32, 3)
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert rows == [{"sample_id": 0, "prompt": "a man waves", "metadata": {}, "scores": {},
                     "video_path": str(out / "videos" / "00000.mp4")}]
    bare = tmp_path / "bare"
    assert run_sample(_args(*common, "--output_dir", str(bare), "--no-save_videos")) == 0
    assert not list(bare.rglob("*.mp4"))
    assert "file" not in json.loads((bare / "manifest_rank0.jsonl").read_text())


def test_image_to_video_prefix(tiny_generator, tmp_path: Path) -> None:
    """The init image's latents open the video; the rest is generated after them."""
    gen = torch.Generator().manual_seed(0)
    image = torch.rand(1, 3, 32, 32, generator=gen) * 2 - 1
    out = tiny_generator.generate(["a dog"], seeds=[1], num_frames=21, height=32, width=32,
                                  init_images=image, init_blocks=1)
    prefix = tiny_generator.encode_init_images(image, 1)
    assert out.latents.shape == (1, 16, 6, 4, 4) and prefix.shape == (1, 16, 3, 4, 4)
    assert torch.equal(out.latents[:, :, :3], prefix)
    plain = tiny_generator.generate(["a dog"], seeds=[1], num_frames=21, height=32, width=32)
    assert (plain.latents[:, :, 3:] - out.latents[:, :, 3:]).abs().max() > 1e-2
    with pytest.raises(ValueError, match="fills all"):
        tiny_generator.generate(["a dog"], seeds=[1], num_frames=9, height=32, width=32,
                                init_images=image, init_blocks=1)
    # from the command line: prompt 0 has an image, prompt 1 not
    images = tmp_path / "init"
    images.mkdir()
    pixels = (torch.rand(40, 56, 3, generator=gen) * 255).to(torch.uint8).numpy()
    iio.imwrite(images / "00000.png", pixels)
    prompts = tmp_path / "p.txt"
    prompts.write_text("a dog\na cat\n")
    args = _args("--tiny", "--prompt_file", str(prompts), "--num_frames", "21", "--height", "32",
                 "--width", "32", "--init_images_dir", str(images), "--output_dir",
                 str(tmp_path / "out"))  # fmt: skip
    assert run_sample(args) == 0
    manifest = (tmp_path / "out" / "manifest_rank0.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in manifest]
    by_index = {row["index"]: row for row in rows}
    assert by_index[0]["init_image"].endswith("00000.png") and "init_image" not in by_index[1]
