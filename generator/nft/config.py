"""Configuration of a DiffusionNFT run: nested dataclasses, `file.py:entry` loading, overrides.

A config file is a Python file whose named entries are functions (or dicts, or `NFTConfig`
objects) giving an `NFTConfig` or a nested dict of its fields. `load_config("configs/x.py:entry",
["training.learning_rate=3e-5"])` builds it, applies `section.field=value` overrides (values
are Python literals; a bare word is a string) and checks that every count is in range
(`NFTConfig.check_values`: e.g. `run.num_epochs` >= 1, batch and group sizes >= 1).
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import json
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bridge.stillness import check_settings as check_stillness
from physics_jax.motion.presence import STILL_PROMPT_WORDS

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class ModelConfig:
    """The generator: published Causal Forcing 1.3B (`kind="full"`) or the tiny test model."""

    # "full": published 1.3B from `base_model` and `wan_dir`; "tiny": the tiny test model;
    # "full_random": the 1.3B architecture and the full Wan VAE with random weights, prompts
    # through a random one-layer UMT5 of the real width (GPU smoke runs and benchmarks: no
    # checkpoint or Wan folder is read)
    kind: str = "full"
    base_model: str | None = "checkpoints/causal_forcing/chunkwise/causal_forcing.pt"
    wan_dir: str | None = "wan_models/Wan2.1-T2V-1.3B"
    checkpoint_key: str | None = None
    lora_rank: int = 256
    lora_alpha: float = 256.0
    gradient_checkpointing: bool = True
    mixed_precision: str = "bf16"  # "bf16" (used on CUDA only) | "no"
    attention_backend: str = "auto"  # "auto" | "sdpa" | "flex" | "blocks"
    # on CUDA, compile the transformer blocks in place (`generator.compilation.compile_blocks`):
    # the rollout's cached passes and the training passes run compiled code; each kind of pass
    # compiles at its first call (the epoch's `time/compile`), later ones reuse it
    compile_blocks: bool = True
    text_cache_dir: str | None = None
    init_seed: int = 0  # random init of the tiny model and of the LoRA A matrices
    # dtype of the LoRA adapters (`default`, `old`), hence of their AdamW states, and of the EMA;
    # "bfloat16" is the published run's (peft 0.10 gave adapters the bf16 base's dtype)
    adapter_dtype: str = "float32"  # "float32" | "bfloat16"


@dataclass
class SamplingConfig:
    """Rollouts: video size, group layout, sampler. Counts of groups/videos are global."""

    num_frames: int = 45
    height: int = 480
    width: int = 832
    fps: float = 16.0
    videos_per_prompt: int = 24  # K, the group size
    groups_per_epoch: int = 16  # prompt groups per epoch, each with a new prompt
    batch_size: int = 3  # videos per GPU per sampling batch
    denoising_steps: tuple[float, ...] = (1000.0, 750.0, 500.0, 250.0)
    shift: float = 5.0
    warp: bool = True
    num_frame_per_block: int = 3  # latent frames per block: the sampler's and the training mask's
    # on CUDA, compile the Wan VAE decoder of the motion stage (NDHWC weights, torch.compile, one
    # video per call: `generator.compilation.compile_vae_decoder`); the first decode compiles
    compile_vae_decoder: bool = True
    # "group": every group its own prompt; "epoch": one prompt for the whole epoch (published)
    prompt_mode: str = "group"
    prompt_file: str | None = "data/prompts/motionx_train.txt"
    eval_prompt_file: str | None = "data/prompts/motionx_test.txt"


@dataclass
class TrainingConfig:
    """Optimisation and the NFT objective (spec section 3)."""

    batch_size: int = 3  # videos per GPU per micro-batch
    gradient_accumulation_steps: int = 16  # micro-batches per optimizer step; 0 = whole epoch
    learning_rate: float = 1e-5
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 1e-4
    eps: float = 1e-8
    max_grad_norm: float = 1.0
    fused_optimizer: bool = True  # on CUDA, AdamW's fused kernel (one launch for all tensors)
    beta: float = 0.1  # NFT mixing of the current and old predictions
    kl_weight: float = 1e-4  # weight of mean |cur - ref|^2
    adv_clip_max: float = 5.0
    loss: str = "x0"  # "x0" (PhyMotion) | "adaptive" (NVlabs: adaptive weights, x adv_clip / beta)
    train_timesteps: tuple[float, ...] | None = None  # None: the sampler's own (warped) levels
    old_decay_rate: float = 0.001  # old <- d old + (1 - d) cur, d = min(rate * step, max)
    old_decay_max: float = 0.5
    old_decay_start: int = 0  # d = 0 before this many optimizer steps
    ema_max_decay: float = 0.9  # EMA decay min((1 + s) / (10 + s), max)
    zero_advantages: bool = False  # control runs: every advantage is 0 (r = 0.5)
    invalid_policy: str = "drop"  # "drop" the clip from its group | "fixed" reward value
    invalid_reward: float = 0.0  # reward of an invalid clip under "fixed"
    # training forward's mask: "block" = block-causal with sampling.num_frame_per_block frames
    # per block (as the sampler); "frame" = frame-causal (the published training forward)
    attention_mask: str = "block"
    # "init": the EMA starts at the initial weights, update s uses the step count after it;
    # "sync": at the first optimizer step the EMA is set to the weights and update s uses the
    # step count before it (published)
    ema_start: str = "init"


@dataclass
class StillnessConfig:
    """The stillness gate on the combined reward (`bridge.stillness`, docs/training.md,
    "Stillness"): avg x motion presence, so that a rollout that stops moving loses its reward.
    Presence per clip: mean over windows of `window_seconds` of min(1, mean joint angular speed
    / `min_joint_speed`) on poses smoothed over `smooth_seconds`; prompts containing one of
    `still_prompt_words` get the threshold x `still_prompt_scale` (0: no gate for them)."""

    enabled: bool = False
    min_joint_speed: float = 0.05  # rad/s: at and above it a window counts fully
    window_seconds: float = 1.0
    smooth_seconds: float = 0.2
    still_prompt_words: tuple[str, ...] = STILL_PROMPT_WORDS
    still_prompt_scale: float = 0.0


@dataclass
class RewardConfig:
    """Reward components and how generated latents become motion."""

    weights: dict[str, float] = field(default_factory=lambda: {"phymotion_score": 1.0})
    motion_source: str = "pose"  # "pose" (VAE decode + pose estimator) | "toy"
    pose_backend: str = "gvhmr"
    pose_options: dict[str, Any] = field(default_factory=dict)
    max_workers: int = 1
    # run each batch's motion stage (VAE decode + pose, validity, motion amounts, reward
    # submission) in one worker thread while the next batch is generated; False runs it inline
    # between the rollouts (the same results, slower)
    overlap_motion: bool = True
    # frame rate the reward is told (None: the video's, sampling.fps); the published reward
    # assumed 30 fps for its 16 fps videos
    assume_fps: float | None = None
    # keyword options of registered rewards named in weights, {name: {option: value}}; e.g.
    # {"video_hpsv3_local": {"path": "checkpoints/HPSv3"}} (see perceptual.components)
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    stillness: StillnessConfig = field(default_factory=StillnessConfig)


@dataclass
class ToyConfig:
    """The CPU toy task's latent-to-motion decoder (see `generator.nft.toy`)."""

    motion_frames: int = 16
    fps: float = 16.0
    gain: float = 2.0
    seed: int = 0


@dataclass
class RunConfig:
    """Epochs, seeds, logging, evaluation and checkpoints."""

    output_dir: str = "runs/nft"
    num_epochs: int = 330
    seed: int = 42
    eval_every: int = 10  # epochs; 0 disables; also runs before the first epoch
    eval_num_prompts: int = 120  # held-out prompts per evaluation (global)
    save_every: int = 30  # epochs; the last epoch is always saved
    keep_last: int = 0  # 0 keeps every checkpoint
    tensorboard: bool = True
    progress: bool = True
    num_gpus: int = 8  # the world size the config was made for (a different one is allowed)


# smallest allowed value of every count (1: must be positive; 0: 0 has a meaning)
COUNT_MINIMA = {
    "model.lora_rank": 1,
    "sampling.num_frames": 1,
    "sampling.height": 1,
    "sampling.width": 1,
    "sampling.videos_per_prompt": 1,
    "sampling.groups_per_epoch": 1,
    "sampling.batch_size": 1,
    "sampling.num_frame_per_block": 1,
    "training.batch_size": 1,
    "training.gradient_accumulation_steps": 0,  # 0 = the whole epoch
    "training.old_decay_start": 0,
    "reward.max_workers": 1,
    "toy.motion_frames": 1,
    "run.num_epochs": 1,
    "run.eval_every": 0,  # 0 disables
    "run.eval_num_prompts": 0,
    "run.save_every": 0,  # 0: only the last epoch
    "run.keep_last": 0,  # 0 keeps all
    "run.num_gpus": 1,
}
# floats that must be > 0
POSITIVE_VALUES = ("sampling.fps", "toy.fps")


@dataclass
class NFTConfig:
    """A complete run."""

    name: str = "nft"
    model: ModelConfig = field(default_factory=ModelConfig)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    reward: RewardConfig = field(default_factory=RewardConfig)
    run: RunConfig = field(default_factory=RunConfig)
    toy: ToyConfig = field(default_factory=ToyConfig)

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (tuples become lists)."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NFTConfig:
        """Inverse of `to_dict`; unknown keys raise `KeyError`."""
        return _build(cls, data, "")

    def check_values(self) -> None:
        """Raise `ValueError` naming the first count that is out of range (e.g. a batch size of
        0 or `run.num_epochs=-1`, which would otherwise train nothing and exit 0)."""
        data = self.to_dict()
        for key, low in COUNT_MINIMA.items():
            section, name = key.split(".")
            value = data[section][name]
            if value < low:
                raise ValueError(f"{key} must be >= {low}, got {value}")
        for key in POSITIVE_VALUES:
            section, name = key.split(".")
            value = data[section][name]
            if not value > 0:
                raise ValueError(f"{key} must be > 0, got {value}")
        if not self.sampling.denoising_steps:
            raise ValueError("sampling.denoising_steps must be non-empty, got ()")
        if self.training.train_timesteps is not None and not self.training.train_timesteps:
            raise ValueError("training.train_timesteps must be None or non-empty, got ()")
        stray = sorted(set(self.reward.options) - set(self.reward.weights))
        if stray:
            raise ValueError(f"reward.options names {stray}, which are not in reward.weights")
        check_stillness(self.reward.stillness, "reward.stillness.")
        fps = self.reward.assume_fps
        if fps is not None and not fps > 0:
            raise ValueError(f"reward.assume_fps must be None or > 0, got {fps}")
        latent_frames = (self.sampling.num_frames - 1) // 4 + 1
        if latent_frames % self.sampling.num_frame_per_block:
            raise ValueError(
                f"sampling.num_frames={self.sampling.num_frames} gives {latent_frames} latent "
                f"frames, not a multiple of sampling.num_frame_per_block="
                f"{self.sampling.num_frame_per_block}"
            )

    def validate(self, world_size: int = 1) -> None:
        """Check the values and the batch layout for `world_size` processes; raise `ValueError`
        on a mismatch."""
        self.check_values()
        s, t = self.sampling, self.training
        per_epoch = s.groups_per_epoch * s.videos_per_prompt
        if per_epoch % (world_size * s.batch_size):
            raise ValueError(
                f"groups_per_epoch x videos_per_prompt = {per_epoch} is not divisible by "
                f"world size {world_size} x sampling.batch_size {s.batch_size}"
            )
        local = per_epoch // world_size
        if local % t.batch_size:
            raise ValueError(
                f"{local} videos per rank per epoch not divisible by training.batch_size "
                f"{t.batch_size}"
            )
        micro = local // t.batch_size
        if t.gradient_accumulation_steps and micro % t.gradient_accumulation_steps:
            raise ValueError(
                f"{micro} micro-batches per rank per epoch not divisible by "
                f"gradient_accumulation_steps {t.gradient_accumulation_steps}"
            )
        choices = {
            "model.kind": (self.model.kind, ("full", "tiny", "full_random")),
            "model.mixed_precision": (self.model.mixed_precision, ("bf16", "no")),
            "training.loss": (t.loss, ("x0", "adaptive")),
            "training.invalid_policy": (t.invalid_policy, ("drop", "fixed")),
            "reward.motion_source": (self.reward.motion_source, ("pose", "toy")),
            "model.adapter_dtype": (self.model.adapter_dtype, ("float32", "bfloat16")),
            "sampling.prompt_mode": (s.prompt_mode, ("group", "epoch")),
            "training.attention_mask": (t.attention_mask, ("block", "frame")),
            "training.ema_start": (t.ema_start, ("init", "sync")),
        }
        for key, (value, allowed) in choices.items():
            if value not in allowed:
                raise ValueError(f"{key} = {value!r}; choose one of {', '.join(allowed)}")
        if not 0.0 < t.beta:
            raise ValueError(f"training.beta must be > 0, got {t.beta}")

    def training_block_size(self) -> int:
        """Latent frames per block of the training forward's mask: the sampler's block size
        (`sampling.num_frame_per_block`), or 1 under `training.attention_mask="frame"`."""
        if self.training.attention_mask == "frame":
            return 1
        return self.sampling.num_frame_per_block

    def micro_batches_per_epoch(self, world_size: int) -> int:
        """Training micro-batches each rank runs per epoch."""
        s = self.sampling
        return s.groups_per_epoch * s.videos_per_prompt // world_size // self.training.batch_size

    def accumulation_steps(self, world_size: int) -> int:
        """Micro-batches per optimizer step (0 in the config means the whole epoch)."""
        steps = self.training.gradient_accumulation_steps
        return steps or self.micro_batches_per_epoch(world_size)


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _build(cls: type, data: Mapping[str, Any], prefix: str) -> Any:
    hints = _hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise KeyError(f"unknown config key(s) {[prefix + k for k in unknown]}; "
                       f"known: {sorted(prefix + n for n in names)}")
    kwargs = {}
    for name, value in data.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint) and isinstance(value, Mapping):
            kwargs[name] = _build(hint, value, f"{prefix}{name}.")
        else:
            kwargs[name] = _coerce(value, hint, prefix + name)
    return cls(**kwargs)


def _coerce(value: Any, hint: Any, key: str) -> Any:
    """Bring a parsed value to the field's type (int -> float, list -> tuple); check the rest."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, key)
            except (TypeError, ValueError):
                continue
        raise TypeError(f"{key}: {value!r} does not fit {hint}")
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint is Any:
        return value
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"{key}: expected a sequence, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0], key) for v in value)
        if len(args) != len(value):
            raise ValueError(f"{key}: expected {len(args)} values, got {len(value)}")
        return tuple(_coerce(v, a, key) for v, a in zip(value, args, strict=True))
    if origin is dict:
        if not isinstance(value, Mapping):
            raise TypeError(f"{key}: expected a dict, got {value!r}")
        return {k: _coerce(v, args[1], f"{key}[{k!r}]") for k, v in value.items()}
    if isinstance(hint, type):
        if hint is bool and not isinstance(value, bool):
            raise TypeError(f"{key}: expected true/false, got {value!r}")
        if hint is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"{key}: expected an integer, got {value!r}")
        if not isinstance(value, hint):
            raise TypeError(f"{key}: expected {hint.__name__}, got {value!r}")
    return value


def parse_value(text: str) -> Any:
    """A Python literal (`1e-5`, `(0.9, 0.99)`, `{"a": 1.0}`, `None`, `True`), else the string;
    `true`/`false`/`null` are accepted too."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def apply_overrides(config: NFTConfig, overrides: Sequence[str]) -> NFTConfig:
    """Apply `section.field=value` (or `name=value`) overrides; returns a new config."""
    data = config.to_dict()
    for item in overrides:
        if "=" not in item:
            raise ValueError(f"override {item!r} is not key=value")
        key, text = item.split("=", 1)
        path = key.strip().split(".")
        node = data
        for part in path[:-1]:
            if not isinstance(node.get(part), dict):
                raise KeyError(f"override {key!r}: no section {part!r}")
            node = node[part]
        if path[-1] not in node:
            raise KeyError(f"override {key!r}: unknown field; known: {sorted(node)}")
        node[path[-1]] = parse_value(text)
    return NFTConfig.from_dict(data)


def _resolve_file(path: str) -> Path:
    candidate = Path(path)
    if candidate.is_file():
        return candidate
    in_repo = REPO_ROOT / path
    if not candidate.is_absolute() and in_repo.is_file():
        return in_repo
    raise FileNotFoundError(f"config file {path} not found (also looked in {REPO_ROOT})")


def load_config(spec: str, overrides: Sequence[str] = ()) -> NFTConfig:
    """Build the config named by `path/to/file.py:entry` and apply `overrides`."""
    if ":" not in spec:
        raise ValueError(f"config {spec!r} must be <file.py>:<entry>")
    file_part, entry = spec.rsplit(":", 1)
    path = _resolve_file(file_part)
    module_spec = importlib.util.spec_from_file_location(f"_nft_config_{path.stem}", path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot load config file {path}")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    if not hasattr(module, entry):
        names = [n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n))]
        raise KeyError(f"{path}: no entry {entry!r}; entries: {names}")
    value = getattr(module, entry)
    if callable(value) and not isinstance(value, type):
        value = value()
    if isinstance(value, Mapping):
        value = NFTConfig.from_dict(value)
    if not isinstance(value, NFTConfig):
        raise TypeError(f"{path}:{entry} gave {type(value).__name__}, not NFTConfig or dict")
    config = apply_overrides(value, overrides)
    config.check_values()
    return config
