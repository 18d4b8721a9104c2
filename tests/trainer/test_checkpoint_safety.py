"""Checkpoints load without unpickling, corrupted ones are reported by file (or skipped by
`--resume auto`), and out-of-range counts in the config are rejected."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import random
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from nft_helpers import TOY, make_trainer, toy_config
from safetensors.torch import load_file, save_file

from app.cli import main as phymotion_main
from generator.nft.checkpointing import (
    STATE_FILE,
    CheckpointError,
    load_checkpoint,
    load_rng,
    save_rng,
    set_rng_state,
)
from generator.nft.config import NFTConfig, RunConfig, load_config

STEPS = (1, 2)
CORRUPTIBLE = ("adapters.safetensors", "ema.safetensors", "optimizer.pt",
               "rng/rank0.safetensors", "lora/adapter_model.safetensors")


class _Payload:
    """Unpickling this creates the folder `marker`: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple:
        return (os.mkdir, (self.marker,))


def _adapters(trainer) -> dict[str, torch.Tensor]:  # noqa: ANN001
    return {k: v.detach().clone() for k, v in trainer.policy.trained.items()}


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory) -> dict:  # noqa: ANN001
    """A toy trainer's checkpoints 1 and 2 (no epochs run: weights and optimizer state are
    moved by hand), and the trained adapters of each."""
    out = tmp_path_factory.mktemp("saved")
    trainer = make_trainer(toy_config(out))
    gen = torch.Generator().manual_seed(3)
    weights = {}
    for step in STEPS:
        for param in trainer.policy.trained.values():
            param.grad = torch.randn(param.shape, generator=gen)
        trainer.optimizer.step()
        trainer.global_step = trainer.epoch = step
        trainer.save()
        weights[step] = _adapters(trainer)
    return {"dir": out, "weights": weights}


@pytest.fixture
def run_dir(tmp_path: Path, saved_run: dict) -> Path:
    """A private copy of the saved run."""
    return Path(shutil.copytree(saved_run["dir"], tmp_path / "run"))


def _checkpoint(run: Path, step: int) -> Path:
    return run / "checkpoints" / f"checkpoint-{step}"


def _state(folder: Path) -> dict:
    return json.loads((folder / STATE_FILE).read_text())


def _write_state(folder: Path, state: dict) -> None:
    (folder / STATE_FILE).write_text(json.dumps(state, indent=2))


def _record(folder: Path, rel: str) -> None:
    """Update the manifest entry of `rel` to its current bytes (as a forger would)."""
    state = _state(folder)
    data = (folder / rel).read_bytes()
    state["files"][rel] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    _write_state(folder, state)


def _drop_manifest(folder: Path) -> None:
    """Make the checkpoint look like one written before the manifest existed."""
    state = _state(folder)
    del state["files"]
    _write_state(folder, state)


def _truncate(file: Path) -> None:
    data = file.read_bytes()
    file.write_bytes(data[: len(data) // 2])


def _fresh_trainer(run: Path):  # noqa: ANN202
    trainer = make_trainer(toy_config(run))
    with torch.no_grad():
        for param in trainer.policy.trained.values():
            param.fill_(7.0)
    return trainer


def _assert_falls_back(run: Path, saved_run: dict, caplog, skipped: str) -> None:  # noqa: ANN001
    """`--resume auto` skips checkpoint-2 with a warning naming `skipped` and loads step 1."""
    trainer = _fresh_trainer(run)
    with caplog.at_level(logging.WARNING, logger="generator.nft"):
        assert trainer.resume("auto") == _checkpoint(run, 1)
    assert (trainer.global_step, trainer.epoch) == (1, 1)
    loaded = _adapters(trainer)
    assert all(torch.equal(loaded[k], v) for k, v in saved_run["weights"][1].items())
    assert not all(torch.equal(loaded[k], v) for k, v in saved_run["weights"][2].items())
    text = caplog.text
    assert f"skipping checkpoint {_checkpoint(run, 2)}" in text and skipped in text
    assert f"resuming from {_checkpoint(run, 1)}" in text


def _assert_explicit_error(run: Path, file: Path) -> CheckpointError:
    trainer = _fresh_trainer(run)
    with pytest.raises(CheckpointError) as info:
        trainer.resume(str(_checkpoint(run, 2)))
    assert str(info.value).startswith(f"{file}: ") and info.value.file == file
    assert "\n" not in str(info.value)
    return info.value


# ----------------------------------------------------------------------------- format
def test_rng_file_round_trips_exactly_and_is_not_a_pickle(tmp_path: Path):
    random.seed(11)
    np.random.seed(11)
    torch.manual_seed(11)
    random.gauss(0.0, 1.0)  # leave cached gaussians in both python and numpy states
    np.random.normal()
    file = tmp_path / "rank0.safetensors"
    save_rng(file)
    expected = (random.random(), random.gauss(0.0, 1.0), np.random.normal(), np.random.rand(),
                torch.rand(3).tolist())
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    set_rng_state(load_rng(file))
    again = (random.random(), random.gauss(0.0, 1.0), np.random.normal(), np.random.rand(),
             torch.rand(3).tolist())
    assert again == expected
    tensors = load_file(str(file))
    assert tensors["python_words"].shape == (625,) and tensors["numpy_key"].shape == (624,)
    assert tensors["torch"].dtype == torch.uint8
    with pytest.raises(pickle.UnpicklingError):
        pickle.loads(file.read_bytes())


def test_checkpoint_records_every_file_and_restores_rng(run_dir: Path, saved_run: dict):
    folder = _checkpoint(run_dir, 2)
    files = _state(folder)["files"]
    on_disk = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                     if p.is_file() and p.name != STATE_FILE)
    assert sorted(files) == on_disk and set(CORRUPTIBLE) <= set(files)
    assert not (folder / "rng" / "rank0.pt").exists()
    for rel, record in files.items():
        data = (folder / rel).read_bytes()
        assert record == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    # the RNG states come back exactly: the draws after loading are those after saving
    set_rng_state(load_rng(folder / "rng" / "rank0.safetensors"))
    expected = (random.random(), np.random.rand(), torch.rand(2).tolist())
    torch.manual_seed(99)
    random.seed(99)
    np.random.seed(99)
    trainer = _fresh_trainer(run_dir)
    state = load_checkpoint(folder, policy=trainer.policy, ema=trainer.ema,
                            optimizer=trainer.optimizer)
    assert state["global_step"] == 2
    assert (random.random(), np.random.rand(), torch.rand(2).tolist()) == expected
    loaded = _adapters(trainer)
    assert all(torch.equal(loaded[k], v) for k, v in saved_run["weights"][2].items())


# ----------------------------------------------------------------------------- pickle payloads
def test_payload_is_live_when_unpickled(tmp_path: Path):
    """The planted payload does run code under a pickle loader (so its absence below means
    nothing was unpickled)."""
    marker = tmp_path / "ran"
    torch.save({"state": _Payload(marker)}, tmp_path / "payload.pt")
    torch.load(tmp_path / "payload.pt", weights_only=False)
    assert marker.is_dir()


@pytest.mark.parametrize("rel", ["rng/rank0.pt", "rng/rank0.safetensors", "optimizer.pt"])
def test_pickle_payload_never_runs(run_dir: Path, saved_run: dict, caplog, rel: str):
    folder = _checkpoint(run_dir, 2)
    marker = run_dir.parent / "payload-ran"
    if rel == "rng/rank0.pt":  # a checkpoint of the old format: RNG states in a pickle
        (folder / "rng" / "rank0.safetensors").unlink()
        state = _state(folder)
        del state["files"]["rng/rank0.safetensors"]
        _write_state(folder, state)
    torch.save({"state": _Payload(marker)}, folder / rel)
    if rel != "rng/rank0.pt":
        _record(folder, rel)  # the manifest agrees: only the parser stands in the way
    error = _assert_explicit_error(run_dir, folder / rel)
    if rel == "rng/rank0.pt":
        assert "old pickle format" in str(error) and "delete the file" in str(error)
    _assert_falls_back(run_dir, saved_run, caplog, rel)
    assert not marker.exists()


def test_old_format_rng_file_deleted_resumes_without_rng(run_dir: Path, caplog):
    folder = _checkpoint(run_dir, 2)
    (folder / "rng" / "rank0.safetensors").unlink()
    _drop_manifest(folder)
    trainer = _fresh_trainer(run_dir)
    with caplog.at_level(logging.WARNING, logger="generator.nft"):
        assert trainer.resume(str(folder)) == folder
    assert trainer.global_step == 2
    assert "rank 0's RNG states are not restored" in caplog.text


# ----------------------------------------------------------------------------- corruption
@pytest.mark.parametrize("manifest", [True, False], ids=["manifest", "no-manifest"])
@pytest.mark.parametrize("rel", CORRUPTIBLE)
def test_truncated_file(run_dir: Path, saved_run: dict, caplog, rel: str, manifest: bool):
    folder = _checkpoint(run_dir, 2)
    if not manifest:
        _drop_manifest(folder)
    _truncate(folder / rel)
    error = _assert_explicit_error(run_dir, folder / rel)
    if manifest:
        assert "truncated or altered" in str(error)
    _assert_falls_back(run_dir, saved_run, caplog, rel)


@pytest.mark.parametrize("garbage", ["random", "other-safetensors"])
def test_garbage_rng_file_without_manifest(run_dir: Path, saved_run: dict, caplog,
                                           garbage: str):
    folder = _checkpoint(run_dir, 2)
    _drop_manifest(folder)
    file = folder / "rng" / "rank0.safetensors"
    if garbage == "random":
        file.write_bytes(np.random.default_rng(0).bytes(file.stat().st_size))
    else:
        save_file({"torch": torch.zeros(5, dtype=torch.uint8)}, file)
    _assert_explicit_error(run_dir, file)
    _assert_falls_back(run_dir, saved_run, caplog, "rng/rank0.safetensors")


def test_altered_file_of_the_same_size(run_dir: Path, saved_run: dict, caplog):
    folder = _checkpoint(run_dir, 2)
    file = folder / "lora" / "adapter_model.safetensors"
    data = bytearray(file.read_bytes())
    data[-1] ^= 0xFF  # a weight changed, the file still parses
    file.write_bytes(bytes(data))
    assert "sha256 differs" in str(_assert_explicit_error(run_dir, file))
    _assert_falls_back(run_dir, saved_run, caplog, "adapter_model.safetensors")


def test_truncated_trainer_state(run_dir: Path, saved_run: dict, caplog):
    file = _checkpoint(run_dir, 2) / STATE_FILE
    _truncate(file)
    assert "JSONDecodeError" in str(_assert_explicit_error(run_dir, file))
    _assert_falls_back(run_dir, saved_run, caplog, STATE_FILE)


def test_auto_without_a_usable_checkpoint(run_dir: Path):
    for step in STEPS:
        _truncate(_checkpoint(run_dir, step) / "ema.safetensors")
    trainer = _fresh_trainer(run_dir)
    with pytest.raises(CheckpointError, match="no usable checkpoint") as info:
        trainer.resume("auto")
    message = str(info.value)
    assert message.startswith(f"{run_dir / 'checkpoints'}: ")
    assert "checkpoint-2 (" in message and "checkpoint-1 (" in message
    assert message.index("checkpoint-2") < message.index("checkpoint-1")


def _train_cli(run: Path, *args: str) -> list[str]:
    return ["train", "--config", TOY, "--override", f"run.output_dir={run}",
            "run.tensorboard=False", "run.progress=False", "run.eval_every=0", *args]


def test_cli_reports_the_bad_file(run_dir: Path, capsys):
    folder = _checkpoint(run_dir, 2)
    _truncate(folder / "optimizer.pt")
    argv = _train_cli(run_dir, "run.num_epochs=2", "--resume", str(folder))
    assert phymotion_main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {folder / 'optimizer.pt'}: ")
    _truncate(_checkpoint(run_dir, 1) / "adapters.safetensors")
    assert phymotion_main([*argv[:-1], "auto"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {run_dir / 'checkpoints'}: no usable checkpoint")


# ----------------------------------------------------------------------------- config counts
@pytest.mark.parametrize("override", [
    "run.num_epochs=-1", "run.num_epochs=0", "sampling.batch_size=0", "training.batch_size=0",
    "sampling.videos_per_prompt=0", "sampling.groups_per_epoch=-2", "model.lora_rank=0",
    "training.gradient_accumulation_steps=-1", "run.save_every=-1", "run.num_gpus=0",
    "sampling.num_frames=0", "sampling.fps=0", "sampling.denoising_steps=()",
])
def test_out_of_range_counts_are_config_errors(override: str, capsys):
    field = override.split("=")[0]
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        load_config(TOY, [override])
    assert phymotion_main(["train", "--config", TOY, "--override", override]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {TOY}: {field} must be")


def test_validate_rejects_counts_of_a_built_config():
    config = NFTConfig(run=RunConfig(num_epochs=-1))
    with pytest.raises(ValueError, match=r"run\.num_epochs must be >= 1, got -1"):
        config.validate(1)
    config.run.num_epochs = 1
    config.validate(8)  # the defaults are a valid 8-GPU layout
    assert load_config(TOY, ["training.gradient_accumulation_steps=0",
                             "run.save_every=0"]).run.save_every == 0


def test_frames_that_do_not_divide_into_blocks_are_config_errors() -> None:
    with pytest.raises(ValueError, match=r"sampling\.num_frames=13 gives 4 latent frames"):
        load_config(TOY, ["sampling.num_frames=13"])
    assert load_config(TOY, ["sampling.num_frames=21"]).sampling.num_frames == 21
