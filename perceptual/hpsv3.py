"""HPSv3 (MizzenAI/HPSv3): Qwen2-VL-7B-Instruct with a 3-layer reward head read at a
`<|Reward|>` token, giving (mu, sigma) of an image's human-preference score against its prompt.

Video reward (`video_hpsv3_local`, as the published PhyMotion recipe): each sampled frame is
scored as an image against the video's prompt at 256 x 28 x 28 pixels (480 x 832 -> 336 x 588);
the reward is the mean of the top 30% of the frames' mu (at least one frame). By default every
frame is scored (the published choice); `frames=N` scores N evenly spaced frames instead.

Checkpoint folder:
    PATH/HPSv3.safetensors   the released state dict (HF MizzenAI/HPSv3)
    PATH/config.json, tokenizer files, preprocessor_config.json (and a chat template) of
        Qwen2-VL-7B-Instruct, or the same in PATH/Qwen2-VL-7B-Instruct/ (weights not needed)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from perceptual import frames as fr
from perceptual.backbone import RewardBackbone
from perceptual.loading import CheckpointError, current_layout, load_strict, read_state_dict
from perceptual.qwen_folder import QwenBase, load_base, locate_base
from perceptual.vision import patchify_images

CHECKPOINT_FILE = "HPSv3.safetensors"
BASE_SUBFOLDER = "Qwen2-VL-7B-Instruct"
REWARD_TOKEN = "<|Reward|>"
PIXELS = 256 * 28 * 28  # min = max pixels per frame (hpsv3/config/HPSv3_7B.yaml)
EMBED_KEY = "model.language_model.embed_tokens.weight"

# The instruction HPSv3 was trained with (hpsv3/dataset/data_collator_qwen.py), then the
# special-token suffix; the prompt text goes in {text_prompt}.
INSTRUCTION = """
You are tasked with evaluating a generated image based on Visual Quality and Text Alignment and give a overall score to estimate the human preference. Please provide a rating from 0 to 10, with 0 being the worst and 10 being the best. 

**Visual Quality:**  
Evaluate the overall visual quality of the image. The following sub-dimensions should be considered:
- **Reasonableness:** The image should not contain any significant biological or logical errors, such as abnormal body structures or nonsensical environmental setups.
- **Clarity:** Evaluate the sharpness and visibility of the image. The image should be clear and easy to interpret, with no blurring or indistinct areas.
- **Detail Richness:** Consider the level of detail in textures, materials, lighting, and other visual elements (e.g., hair, clothing, shadows).
- **Aesthetic and Creativity:** Assess the artistic aspects of the image, including the color scheme, composition, atmosphere, depth of field, and the overall creative appeal. The scene should convey a sense of harmony and balance.
- **Safety:** The image should not contain harmful or inappropriate content, such as political, violent, or adult material. If such content is present, the image quality and satisfaction score should be the lowest possible. 
Textual prompt - {text_prompt}


"""  # noqa: E501, W291
REWARD_SUFFIX = """
Please provide the overall ratings of this image: <|Reward|>

END
"""


def hpsv3_head(hidden: int, out: int = 2) -> nn.Sequential:
    """The released head ('ranknet' without kwargs): keys rm_head.{0,3,5}.{weight,bias}."""
    return nn.Sequential(nn.Linear(hidden, 1024), nn.ReLU(), nn.Dropout(0.05),
                         nn.Linear(1024, 16), nn.ReLU(), nn.Linear(16, out))


def hpsv3_text(prompt: str) -> str:
    """The user text of one frame: instruction with the prompt, then the reward token."""
    return INSTRUCTION.format(text_prompt=prompt) + REWARD_SUFFIX


@dataclass
class HPSv3Options:
    """frames: None = every frame (published), else N evenly spaced; top_fraction: share of the
    best frames averaged (0.3 published; 1.0 = plain mean); frame_batch: frames per forward."""

    frames: int | None = None
    top_fraction: float = 0.3
    frame_batch: int = 16
    pixels: int = PIXELS


class HPSv3Scorer:
    """Scores videos (B, F, 3, H, W) (uint8, or float in [0, 1]) against their prompts."""

    def __init__(self, backbone: RewardBackbone, base: QwenBase, options: HPSv3Options):
        self.backbone, self.base, self.options = backbone, base, options

    @classmethod
    def load(cls, folder: str | Path, device: str | torch.device = "cpu",
             dtype: torch.dtype = torch.float32, **options) -> HPSv3Scorer:
        """From a checkpoint folder (module doc); CheckpointError names the folder and the
        missing files or mismatched keys."""
        folder = Path(folder)
        ckpt = folder / CHECKPOINT_FILE
        if not ckpt.is_file():
            raise CheckpointError(f"{folder}: HPSv3 checkpoint folder lacks {CHECKPOINT_FILE}")
        state = current_layout(read_state_dict(ckpt))
        if EMBED_KEY not in state:
            raise CheckpointError(f"{ckpt}: no token embedding ({EMBED_KEY} or its released "
                                  "name model.embed_tokens.weight)")
        base = load_base(locate_base(folder, BASE_SUBFOLDER), "HPSv3 base (Qwen2-VL-7B-Instruct)",
                         [REWARD_TOKEN], int(state[EMBED_KEY].shape[0]))
        backbone = RewardBackbone(base.config, hpsv3_head(base.config.text_config.hidden_size),
                                  torch.device(device), dtype)
        load_strict(backbone, state, ckpt, optional=["lm_head.weight"])
        return cls(backbone, base, HPSv3Options(**options))

    def frame_scores(self, images: torch.Tensor, prompts: list[str]) -> torch.Tensor:
        """images (N, 3, h, w) in [0, 1] at a multiple of 28, one prompt each -> (N, 2) float32
        (mu, sigma), `frame_batch` images per forward."""
        vision, out = self.base.vision, []
        step = max(1, self.options.frame_batch)
        for i in range(0, images.shape[0], step):
            chunk = images[i:i + step]
            pixels, grid = patchify_images(vision.normalise(chunk), vision)
            n_tok = vision.tokens(*grid[0].tolist())
            texts = [hpsv3_text(p) for p in prompts[i:i + step]]
            text = self.base.encoder.encode(texts, "image", [n_tok] * len(texts))
            out.append(self.backbone(text, pixels, grid, "image", self.base.special_ids)[:, 0])
        return torch.cat(out)

    def __call__(self, videos: torch.Tensor, prompts: list[str]) -> dict[str, torch.Tensor]:
        """(B, F, 3, H, W) and B prompts -> dict of (B,) float32 tensors on the model's device:
        `reward` (mean of the top `top_fraction` frames' mu), `mu_mean` (all sampled frames),
        `sigma_mean`, `frames` (frames scored)."""
        b, f = videos.shape[:2]
        device = self.backbone.rm_head_device
        idx = fr.even_indices(f, self.options.frames)
        clip = fr.as_unit_float(videos[:, idx].to(device))  # (B, n, 3, H, W)
        n = len(idx)
        h, w = fr.smart_resize(*clip.shape[-2:], factor=self.base.vision.factor,
                               min_pixels=self.options.pixels, max_pixels=self.options.pixels)
        flat = fr.quantize_uint8(clip.reshape(b * n, *clip.shape[2:]))
        flat = fr.quantize_uint8(fr.resize_frames(flat, h, w))
        scores = self.frame_scores(flat, [p for p in prompts for _ in range(n)]).reshape(b, n, 2)
        mu, sigma = scores[..., 0], scores[..., 1]
        top = mu.topk(min(top_count(n, self.options.top_fraction), n), dim=1).values.mean(1)
        return {"reward": top, "mu_mean": mu.mean(1), "sigma_mean": sigma.mean(1),
                "frames": torch.full((b,), float(n), device=device)}


def top_count(n: int, fraction: float) -> int:
    """Frames averaged out of n: max(1, floor(n * fraction)) (the published rule)."""
    return max(1, math.floor(n * fraction))
