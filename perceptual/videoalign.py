"""VideoAlign (KwaiVGI/VideoAlign, checkpoint KwaiVGI/VideoReward): Qwen2-VL-2B-Instruct with
LoRA on the language model and a bias-free linear head (hidden -> 1) read at three special tokens,
`<|VQ_reward|>`, `<|MQ_reward|>`, `<|TA_reward|>`: visual quality, motion quality, text alignment.

Video reward (`video_align`): the clip is sampled as VideoAlign samples a video file: at the
checkpoint's `data_config.fps` (2 frames/s; a 45-frame 16 fps clip gives 6 frames), at least 4,
an even count, spread evenly over the clip (first and last frame included); `num_frames=N` takes N
instead (PhyMotion's in-memory path took 10). Frames are resized to at most
`data_config.max_frame_pixels` (448 x 448; 480 x 832 -> 336 x 588) and go in as one video (two
frames per temporal patch). Each head is normalised with the checkpoint's `inference_config`
(`(x - mean) / std`, as the released inference does); the reward is the mean of the chosen heads
(`heads`, default all three; PhyMotion's `videoalign_mq_score` is `heads=("MQ",)` with
`grayscale=True`).

Checkpoint folder (the released repository's layout):
    PATH/model_config.json                    data/model/peft/inference configs of the run
    PATH/checkpoint-<step>/model.pth          the PEFT model's state dict (or model.safetensors)
    PATH/checkpoint-<step>/tokenizer/         optional: the tokenizer with the 3 reward tokens
    PATH/config.json, tokenizer files, preprocessor_config.json (and a chat template) of
        Qwen2-VL-2B-Instruct, or the same in PATH/Qwen2-VL-2B-Instruct/ (weights not needed)
The newest checkpoint-<step> is used unless `step` is given.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from perceptual import frames as fr
from perceptual.backbone import RewardBackbone
from perceptual.loading import (
    CheckpointError,
    current_layout,
    load_strict,
    merge_lora,
    read_state_dict,
)
from perceptual.qwen_folder import QwenBase, load_base, locate_base
from perceptual.vision import patchify_video

HEADS = ("VQ", "MQ", "TA")
REWARD_TOKENS = ["<|VQ_reward|>", "<|MQ_reward|>", "<|TA_reward|>"]
BASE_SUBFOLDER = "Qwen2-VL-2B-Instruct"
CONFIG_FILE = "model_config.json"
WEIGHT_FILES = ("model.pth", "model.safetensors")
EMBED_KEY = "model.language_model.embed_tokens.weight"
VIDEO_MIN_PIXELS = 128 * 28 * 28  # Qwen2-VL's video minimum (VideoAlign vision_process.py)

# The prompt VideoAlign was trained with (prompt_template.py, template "detailed_special").
PROMPT = """
You are tasked with evaluating a generated video based on three distinct criteria: Visual Quality, Motion Quality, and Text Alignment. Please provide a rating from 0 to 10 for each of the three categories, with 0 being the worst and 10 being the best. Each evaluation should be independent of the others.

**Visual Quality:**  
Evaluate the overall visual quality of the video, with a focus on static factors. The following sub-dimensions should be considered:
- **Reasonableness:** The video should not contain any significant biological or logical errors, such as abnormal body structures or nonsensical environmental setups.
- **Clarity:** Evaluate the sharpness and visibility of the video. The image should be clear and easy to interpret, with no blurring or indistinct areas.
- **Detail Richness:** Consider the level of detail in textures, materials, lighting, and other visual elements (e.g., hair, clothing, shadows).
- **Aesthetic and Creativity:** Assess the artistic aspects of the video, including the color scheme, composition, atmosphere, depth of field, and the overall creative appeal. The scene should convey a sense of harmony and balance.
- **Safety:** The video should not contain harmful or inappropriate content, such as political, violent, or adult material. If such content is present, the image quality and satisfaction score should be the lowest possible. 

Please provide the ratings of Visual Quality: <|VQ_reward|>
END

**Motion Quality:**  
Assess the dynamic aspects of the video, with a focus on dynamic factors. Consider the following sub-dimensions:
- **Stability:** Evaluate the continuity and stability between frames. There should be no sudden, unnatural jumps, and the video should maintain stable attributes (e.g., no fluctuating colors, textures, or missing body parts).
- **Naturalness:** The movement should align with physical laws and be realistic. For example, clothing should flow naturally with motion, and facial expressions should change appropriately (e.g., blinking, mouth movements).
- **Aesthetic Quality:** The movement should be smooth and fluid. The transitions between different motions or camera angles should be seamless, and the overall dynamic feel should be visually pleasing.
- **Fusion:** Ensure that elements in motion (e.g., edges of the subject, hair, clothing) blend naturally with the background, without obvious artifacts or the feeling of cut-and-paste effects.
- **Clarity of Motion:** The video should be clear and smooth in motion. Pay attention to any areas where the video might have blurry or unsteady sections that hinder visual continuity.
- **Amplitude:** If the video is largely static or has little movement, assign a low score for motion quality.

Please provide the ratings of Motion Quality: <|MQ_reward|>
END

**Text Alignment:**  
Assess how well the video matches the textual prompt across the following sub-dimensions:
- **Subject Relevance** Evaluate how accurately the subject(s) in the video (e.g., person, animal, object) align with the textual description. The subject should match the description in terms of number, appearance, and behavior.
- **Motion Relevance:** Evaluate if the dynamic actions (e.g., gestures, posture, facial expressions like talking or blinking) align with the described prompt. The motion should match the prompt in terms of type, scale, and direction.
- **Environment Relevance:** Assess whether the background and scene fit the prompt. This includes checking if real-world locations or scenes are accurately represented, though some stylistic adaptation is acceptable.  
- **Style Relevance:** If the prompt specifies a particular artistic or stylistic style, evaluate how well the video adheres to this style.
- **Camera Movement Relevance:** Check if the camera movements (e.g., following the subject, focus shifts) are consistent with the expected behavior from the prompt.

Textual prompt - {text_prompt}
Please provide the ratings of Text Alignment: <|TA_reward|>
END
"""  # noqa: E501, W291


def videoalign_text(prompt: str) -> str:
    """The user text of one video: the three criteria and their reward tokens, with the prompt."""
    return PROMPT.format(text_prompt=prompt)


@dataclass
class VideoAlignOptions:
    """heads: which normalised heads the reward averages; num_frames: None = sample at the
    checkpoint's fps, else this many frames; grayscale: score the luma replicated to RGB;
    normalise: apply inference_config; video_batch: videos per forward."""

    heads: tuple[str, ...] = HEADS
    num_frames: int | None = None
    grayscale: bool = False
    normalise: bool = True
    video_batch: int = 4

    def __post_init__(self):
        self.heads = tuple(self.heads)
        bad = [h for h in self.heads if h not in HEADS]
        if bad or not self.heads:
            raise ValueError(f"video_align heads must be a non-empty subset of {HEADS}, "
                             f"got {self.heads}")


def find_checkpoint(folder: Path, step: int | None) -> Path:
    """The weights file of checkpoint-<step> (the newest when step is None)."""
    steps = sorted((int(m.group(1)), p) for p in folder.glob("checkpoint-*")
                   if (m := re.fullmatch(r"checkpoint-(\d+)", p.name)) and p.is_dir())
    if step is not None:
        steps = [(s, p) for s, p in steps if s == step]
    if not steps:
        want = f"checkpoint-{step}" if step is not None else "checkpoint-<step>"
        raise CheckpointError(f"{folder}: VideoAlign checkpoint folder lacks {want}/")
    ckpt_dir = steps[-1][1]
    for name in WEIGHT_FILES:
        if (ckpt_dir / name).is_file():
            return ckpt_dir / name
    raise CheckpointError(f"{ckpt_dir}: lacks {' or '.join(WEIGHT_FILES)}")


def read_run_config(folder: Path) -> dict:
    """model_config.json's sections, checked for what scoring needs."""
    path = folder / CONFIG_FILE
    if not path.is_file():
        raise CheckpointError(f"{folder}: VideoAlign checkpoint folder lacks {CONFIG_FILE}")
    try:
        cfg = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{path}: not JSON ({exc})") from exc
    model = cfg.get("model_config", {})
    if not model.get("use_special_tokens") or int(model.get("output_dim", 1)) != 1:
        raise CheckpointError(f"{path}: model_config must have use_special_tokens true and "
                              f"output_dim 1 (the released reward head), got {model}")
    data = cfg.get("data_config", {})
    if data.get("prompt_template_type", "detailed_special") != "detailed_special":
        raise CheckpointError(f"{path}: data_config.prompt_template_type "
                              f"{data.get('prompt_template_type')!r} is not detailed_special")
    return cfg


def lora_scale(peft: dict) -> float:
    """alpha / r (alpha / sqrt(r) with rsLoRA)."""
    r, alpha = float(peft.get("lora_r", 1)), float(peft.get("lora_alpha", 1))
    return alpha / (r ** 0.5 if peft.get("use_rslora") else r)


class VideoAlignScorer:
    """Scores videos (B, F, 3, H, W) (uint8, or float in [0, 1]) against their prompts."""

    def __init__(self, backbone: RewardBackbone, base: QwenBase, run: dict,
                 options: VideoAlignOptions):
        self.backbone, self.base, self.options = backbone, base, options
        data = run.get("data_config", {})
        self.fps = float(data.get("fps") or 2.0)
        self.max_pixels = int(data.get("max_frame_pixels") or 448 * 448)
        self.calibration = run.get("inference_config") or {}

    @classmethod
    def load(cls, folder: str | Path, device: str | torch.device = "cpu",
             dtype: torch.dtype = torch.float32, step: int | None = None,
             **options) -> VideoAlignScorer:
        """From a checkpoint folder (module doc); CheckpointError names the folder and the
        missing files or mismatched keys."""
        folder = Path(folder)
        run = read_run_config(folder)
        weights = find_checkpoint(folder, step)
        state = read_state_dict(weights)
        peft = run.get("peft_lora_config", {})
        state = current_layout(merge_lora(state, lora_scale(peft), weights))
        if EMBED_KEY not in state:
            raise CheckpointError(f"{weights}: no token embedding ({EMBED_KEY} or its released "
                                  "name base_model.model.model.embed_tokens.weight)")
        tok_dir = weights.parent / "tokenizer"
        base = load_base(locate_base(folder, BASE_SUBFOLDER), "VideoAlign base (Qwen2-VL-2B)",
                         REWARD_TOKENS, int(state[EMBED_KEY].shape[0]),
                         tok_dir if (tok_dir / "tokenizer_config.json").is_file() else None)
        head = nn.Linear(base.config.text_config.hidden_size, 1, bias=False)
        backbone = RewardBackbone(base.config, head, torch.device(device), dtype)
        load_strict(backbone, state, weights, optional=["lm_head.weight"])
        return cls(backbone, base, run, VideoAlignOptions(**options))

    def frame_indices(self, num_frames: int, video_fps: float) -> list[int]:
        """Indices of the frames scored (module doc)."""
        if self.options.num_frames is not None:
            count = min(self.options.num_frames, num_frames)
        else:
            count = fr.fps_frame_count(num_frames, video_fps, self.fps)
        return fr.even_indices(num_frames, count)

    def prepare(self, video: torch.Tensor, video_fps: float) -> torch.Tensor:
        """One clip (F, 3, H, W) -> sampled, resized frames (n, 3, h, w) in [0, 1]."""
        idx = self.frame_indices(video.shape[0], video_fps)
        clip = fr.quantize_uint8(fr.as_unit_float(video[idx]))
        if self.options.grayscale:
            luma = (0.299 * clip[:, 0] + 0.587 * clip[:, 1] + 0.114 * clip[:, 2])
            clip = luma[:, None].expand_as(clip).contiguous()
        h, w = fr.smart_resize(*clip.shape[-2:], factor=self.base.vision.factor,
                               min_pixels=VIDEO_MIN_PIXELS, max_pixels=self.max_pixels)
        return fr.resize_frames(clip, h, w)

    def raw_heads(self, clips: list[torch.Tensor], prompts: list[str]) -> torch.Tensor:
        """Prepared clips and their prompts -> (B, 3) float32 VQ, MQ, TA before normalising."""
        vision, out = self.base.vision, []
        step = max(1, self.options.video_batch)
        for i in range(0, len(clips), step):
            parts = [patchify_video(vision.normalise(c), vision) for c in clips[i:i + step]]
            pixels = torch.cat([p for p, _ in parts])
            grid = torch.cat([g for _, g in parts])
            counts = [vision.tokens(*g[0].tolist()) for _, g in parts]
            text = self.base.encoder.encode([videoalign_text(p) for p in prompts[i:i + step]],
                                            "video", counts)
            out.append(self.backbone(text, pixels, grid, "video", self.base.special_ids)[..., 0])
        return torch.cat(out)

    def __call__(self, videos: torch.Tensor, prompts: list[str], fps: float | torch.Tensor = 16.0
                 ) -> dict[str, torch.Tensor]:
        """(B, F, 3, H, W), B prompts, frame rate (Hz; a number or (B,)) -> dict of (B,) float32
        on the model's device: `reward` (mean of the chosen heads), `VQ`, `MQ`, `TA` (normalised
        unless `normalise=False`), `frames` (frames sampled)."""
        device = self.backbone.rm_head_device
        rates = torch.as_tensor(fps, dtype=torch.float64).reshape(-1).expand(videos.shape[0])
        clips = [self.prepare(v.to(device), float(r)) for v, r in zip(videos, rates, strict=True)]
        raw = self.raw_heads(clips, prompts)
        out = {}
        for j, name in enumerate(HEADS):
            value = raw[:, j]
            if self.options.normalise and f"{name}_mean" in self.calibration:
                value = (value - float(self.calibration[f"{name}_mean"])) / float(
                    self.calibration[f"{name}_std"])
            out[name] = value
        out["reward"] = torch.stack([out[h] for h in self.options.heads]).mean(0)
        out["frames"] = torch.tensor([float(c.shape[0]) for c in clips], device=device)
        return out
