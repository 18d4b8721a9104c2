"""DiffusionNFT trainer of the causal generator (spec: generator.md section 3).

One epoch on each rank:
1. rollout: the `old` adapter samples its share of G prompt groups x K clips (KV-cache sampler),
   keeping only the clean latents; each batch's latents become motion (VAE + pose, or the toy
   map) in the motion worker and are submitted to the reward registry, which scores them; both
   run while the next batch is generated (`reward.overlap_motion`);
2. rewards of all ranks are gathered; per-group advantages with the global std give r per clip;
3. training: for each micro-batch, x_t = (1 - s) x0 + s noise at one of the training noise
   levels per clip, x0-predictions of the old, current and reference policies, the NFT loss,
   backward (DDP, gradient accumulation), AdamW, EMA of the trained weights;
4. the old adapter moves toward the trained one; evaluation (EMA weights) and checkpoints.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch.nn.parallel import DistributedDataParallel

from bridge.registry import RewardContext
from generator.compilation import compile_seconds
from generator.distributed import RankInfo
from generator.nft import dist
from generator.nft.advantages import Advantages, compute_advantages
from generator.nft.checkpointing import (
    CheckpointError,
    checkpoints_root,
    load_checkpoint,
    resume_candidates,
    save_checkpoint,
)
from generator.nft.components import Components, adapter_dtype, build_components
from generator.nft.config import NFTConfig
from generator.nft.ema import ParameterEMA, old_decay
from generator.nft.loss import nft_loss
from generator.nft.metrics import PhaseTimer, accumulate_rewards, reduce_means
from generator.nft.plan import EpochPlan, clip_generator, derive_seed, make_plan
from generator.nft.policy import PolicySet
from generator.nft.tracking import Tracker
from generator.noise import draw_noise
from generator.prediction import predict_x0
from generator.sampler import CausalSampler, SamplerConfig
from generator.schedule import add_noise
from physics_jax.motion.amount import motion_amount

log = logging.getLogger("generator.nft")
Hook = Callable[[str, dict[str, int]], None]
EVAL_EPOCH_KEY = 1 << 30  # eval clips use a fixed seed key, the same at every evaluation


@dataclass
class Rollouts:
    """One rank's rollouts of an epoch: clean latents, prompts, rewards."""

    indices: list[int]
    latents: torch.Tensor  # [n, 16, F, h, w] float32
    prompt_index: list[int]
    rewards: dict[str, torch.Tensor]  # (n,) CPU tensors, keys as the registry gives them
    reasons: list[str]
    motion: dict[str, torch.Tensor] = field(default_factory=dict)  # (n,) motion amounts


@dataclass
class MotionStage:
    """One sampling batch after its motion stage: the reward's future with its submit/done
    times, the motion amounts (n,) and the stage's phase seconds (`to_motion`, `decode`, ...)."""

    reward: Future
    stamp: dict[str, float]
    moved: dict[str, torch.Tensor]
    seconds: dict[str, float]


class NFTTrainer:
    """Runs DiffusionNFT epochs; one instance per process (rank)."""

    def __init__(self, config: NFTConfig, *, components: Components | None = None,
                 info: RankInfo | None = None, hooks: Hook | None = None) -> None:
        self.info = info or RankInfo.from_env()
        dist.init_distributed(self.info)
        config.validate(self.info.world_size)
        if self.info.world_size != config.run.num_gpus and self.info.is_main:
            log.warning("config %s was made for %d GPUs, running on %d ranks", config.name,
                        config.run.num_gpus, self.info.world_size)
        self.config = config
        self.device = self.info.device()
        self.parts = components or build_components(config, self.device)
        self.hooks = hooks
        dtype = adapter_dtype(config)
        self.policy = PolicySet(self.parts.model, dtype=dtype)
        self.model = self.parts.model
        self.ddp: torch.nn.Module = self.model
        if dist.active():
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.ddp = DistributedDataParallel(self.model, device_ids=ids)
        t = config.training
        self.optimizer = torch.optim.AdamW(list(self.policy.trained.values()),
                                           lr=t.learning_rate, betas=t.betas,
                                           weight_decay=t.weight_decay, eps=t.eps,
                                           fused=t.fused_optimizer and self.device.type == "cuda")
        self.ema = ParameterEMA(self.policy.trained, t.ema_max_decay, dtype=dtype)
        s = config.sampling
        self.sampler_config = SamplerConfig(tuple(s.denoising_steps), s.shift, s.warp,
                                            s.num_frame_per_block)
        self.train_block = config.training_block_size()  # the training forward's mask
        if self.info.is_main:
            log.info("training mask: %d latent frame(s) per block; sampler: %d per block",
                     self.train_block, s.num_frame_per_block)
        self.sampler = CausalSampler(self.model, self.sampler_config)
        levels = t.train_timesteps or tuple(self.sampler_config.timesteps().tolist())
        self.train_levels = torch.tensor([float(v) for v in levels], dtype=torch.float32)
        self.autocast = self.parts.compute_dtype == torch.bfloat16
        self.global_step = 0
        self.epoch = 0
        self.output_dir = Path(config.run.output_dir)
        self.tracker: Tracker | None = None
        self.last_metrics: dict[str, float] = {}

    # ----------------------------------------------------------------------------- helpers
    def _hook(self, event: str, **info: int) -> None:
        if self.hooks is not None:
            self.hooks(event, info)

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.autocast:
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _context(self, prompts: list[str]) -> torch.Tensor:
        return self.parts.encoder.encode(prompts).to(self.device)

    def _plan(self, epoch: int) -> EpochPlan:
        s = self.config.sampling
        return make_plan(epoch, num_prompts=len(self.parts.train_prompts),
                         groups=s.groups_per_epoch, group_size=s.videos_per_prompt,
                         batch_size=s.batch_size, seed=self.config.run.seed,
                         rank=self.info.rank, world_size=self.info.world_size,
                         prompt_mode=s.prompt_mode)

    def _sample(self, indices: list[int], prompts: list[str], epoch: int, purpose: str,
                timer: PhaseTimer) -> torch.Tensor:
        """Clean latents for clips `indices` with the currently active adapter."""
        gens = [clip_generator(self.config.run.seed, epoch, i, purpose) for i in indices]
        noise = draw_noise((len(indices), *self.parts.latent_shape), gens, self.device)
        with timer("rollout"), torch.no_grad(), self._autocast():
            context = self._context(prompts)
            latents = self.sampler.rollout(noise, context, generator=gens)
        return latents.float()

    def _reward_context(self, prompts: list[str]) -> RewardContext:
        """The clips' prompts, and the decoded videos when the motion decoder keeps them (for
        rewards that read them, e.g. the perceptual ones), beside the batch."""
        return RewardContext(prompts=list(prompts),
                             videos=getattr(self.parts.motion, "last_videos", None),
                             video_fps=float(self.config.sampling.fps))

    # ----------------------------------------------------------------------------- rollout
    def _motion_stage(self, x0: torch.Tensor, finite: torch.Tensor, prompts: list[str],
                      timer: PhaseTimer) -> MotionStage:
        """One batch's latents -> motion (VAE decode + pose, or the toy map), its validity,
        reasons and motion amounts, then the reward's submission. Runs in the motion worker
        under `reward.overlap_motion`; `timer` is the stage's own (the caller adds it up)."""
        motion = self.parts.motion
        with timer("to_motion"):
            clip_motion = motion(x0)
        for name, seconds in getattr(motion, "timings", {}).items():
            timer.add(name, seconds)
        clip_motion.valid = clip_motion.valid & finite.to(clip_motion.valid.device)
        moved: dict[str, torch.Tensor] = {}
        for key, value in zip(("joint_speed", "root_speed"), motion_amount(clip_motion),
                              strict=True):
            moved[key] = value.detach().float().cpu()
        moved["valid"] = clip_motion.valid.detach().cpu()
        for k, ok in enumerate(finite.tolist()):
            if not ok:
                clip_motion.reasons[k] = "non-finite latents"
        stamp = {"submit": time.perf_counter()}
        future = self.parts.registry.submit(clip_motion, self._reward_context(prompts))
        future.add_done_callback(lambda _f, s=stamp: s.__setitem__("done", time.perf_counter()))
        return MotionStage(future, stamp, moved, dict(timer.seconds))

    def rollout(self, plan: EpochPlan, timer: PhaseTimer) -> Rollouts:
        """Generate and score this rank's clips of the epoch.

        Rewards are scored in the registry's worker while the next batch is generated. With
        `reward.overlap_motion` each batch's motion stage (`_motion_stage`) runs in one motion
        worker thread while the next batch is generated: after batch j+1's rollout the loop
        waits for batch j's stage (`motion_wait`) before handing batch j+1 to it, so at most one
        stage is in flight beside a rollout and results keep the batches' order. Without it the
        stage runs inline, between the rollouts."""
        overlap = self.config.reward.overlap_motion
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="motion") if overlap else None
        in_flight: Future | None = None
        stages: list[MotionStage] = []
        latents, indices = [], []
        try:
            for j in range(plan.batches_per_rank):
                self._hook("rollout_batch", epoch=plan.epoch, batch=j)
                batch = plan.batch_indices(j)
                prompts = [self.parts.train_prompts[plan.prompt_index(i)] for i in batch]
                with self.policy.use_old():
                    x0 = self._sample(batch, prompts, plan.epoch, "rollout", timer)
                finite = torch.isfinite(x0.flatten(1)).all(dim=1)
                x0 = torch.where(finite[:, None, None, None, None], x0, torch.zeros_like(x0))
                if pool is None:
                    stages.append(self._motion_stage(x0, finite, prompts,
                                                     PhaseTimer(self.device)))
                else:
                    if in_flight is not None:
                        with timer("motion_wait"):
                            stages.append(in_flight.result())
                    # the worker's own timer does not synchronise the device: it would wait for
                    # the rollout kernels the main thread queues meanwhile
                    in_flight = pool.submit(self._motion_stage, x0, finite, prompts,
                                            PhaseTimer(torch.device("cpu")))
                latents.append(x0)
                indices.extend(batch)
            if in_flight is not None:
                with timer("motion_wait"):
                    stages.append(in_flight.result())
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        moved: dict[str, list[torch.Tensor]] = defaultdict(list)
        for stage in stages:  # the stages' timings and motion amounts, in batch order
            for name, seconds in stage.seconds.items():
                timer.add(name, seconds)
            for key, value in stage.moved.items():
                moved[key].append(value)
        rewards: dict[str, list[torch.Tensor]] = defaultdict(list)
        reasons: list[str] = []
        last_done = 0.0
        with timer("reward_wait"):
            results = [stage.reward.result() for stage in stages]
        for stage, result in zip(stages, results, strict=True):
            start = max(stage.stamp["submit"], last_done)
            timer.add("reward", stage.stamp.get("done", start) - start)
            last_done = stage.stamp.get("done", start)
            for key, value in result.items():
                rewards[key].append(value.detach().cpu())
            reasons.extend(result.reasons)
        merged = {k: torch.cat(v) for k, v in rewards.items() if len(v) == len(results)}
        prompt_index = [plan.prompt_index(i) for i in indices]
        motion_amounts = {k: torch.cat(v) for k, v in moved.items()}
        return Rollouts(indices, torch.cat(latents), prompt_index, merged, reasons,
                        motion_amounts)

    # ----------------------------------------------------------------------------- advantages
    def advantages(self, plan: EpochPlan, rollouts: Rollouts) -> tuple[Advantages, Advantages]:
        """(global advantages ordered by clip index, this rank's advantages in rollout order)."""
        idx = torch.tensor(rollouts.indices, dtype=torch.int64)
        avg = rollouts.rewards["avg"].to(torch.float64)
        valid = rollouts.rewards["valid"].to(torch.float64)
        packed = torch.stack([idx.to(torch.float64), avg, valid], dim=1).to(self.device)
        gathered = dist.all_gather_cat(packed).cpu()
        order = torch.argsort(gathered[:, 0])
        gathered = gathered[order]
        g_idx = gathered[:, 0].long()
        if not torch.equal(g_idx, torch.arange(plan.total)):
            raise RuntimeError("gathered rollouts do not cover the epoch's clips exactly once")
        t = self.config.training
        groups = plan.advantage_groups(g_idx)
        full = compute_advantages(gathered[:, 1], gathered[:, 2] > 0.5, groups,
                                  adv_clip_max=t.adv_clip_max, policy=t.invalid_policy,
                                  fixed_value=t.invalid_reward, zero=t.zero_advantages)
        # gathered rows are ordered by clip index, so row i is clip i
        local = Advantages(full.raw[idx], full.clipped[idx], full.r[idx], full.weight[idx],
                           full.rewards[idx])
        return full, local

    # ----------------------------------------------------------------------------- training
    def _train_inputs(self, epoch: int, indices: list[int], x0: torch.Tensor
                      ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per clip: a training noise level (one of `train_levels`) and x_t."""
        levels, noises = [], []
        for i in indices:
            gen = clip_generator(self.config.run.seed, epoch, i, "train")
            pick = int(torch.randint(len(self.train_levels), (1,), generator=gen))
            levels.append(self.train_levels[pick])
            noises.append(torch.randn(x0.shape[1:], generator=gen))
        t = torch.stack(levels).to(self.device)
        noise = torch.stack(noises).to(self.device)
        return t, add_noise(x0, noise, t)

    def _predict(self, model: torch.nn.Module, x_t: torch.Tensor, levels: torch.Tensor,
                 context: torch.Tensor) -> torch.Tensor:
        """x0-prediction of a full training sequence under the training mask."""
        return predict_x0(model, x_t, levels, context, frames_per_block=self.train_block)

    def _count_step(self) -> float:
        """After an optimizer step: count it and update the EMA; returns the EMA decay.

        `ema_start="init"`: update with the step count after this step. `"sync"` (published):
        the first step sets the EMA to the weights, updates use the count before the step."""
        if self.config.training.ema_start == "sync":
            if self.global_step == 0:
                self.ema.sync(self.policy.trained)
            decay = self.ema.step(self.policy.trained, self.global_step)
            self.global_step += 1
            return decay
        self.global_step += 1
        return self.ema.step(self.policy.trained, self.global_step)

    def train(self, plan: EpochPlan, rollouts: Rollouts, adv: Advantages,
              timer: PhaseTimer) -> dict[str, float]:
        """Micro-batches over this rank's clips; optimizer steps every `accumulation` of them."""
        cfg, t = self.config, self.config.training
        n = len(rollouts.indices)
        perm_gen = torch.Generator().manual_seed(
            derive_seed(cfg.run.seed, plan.epoch, self.info.rank, 7))
        order = torch.randperm(n, generator=perm_gen).tolist()
        micro = [order[k:k + t.batch_size] for k in range(0, n, t.batch_size)]
        accum = cfg.accumulation_steps(self.info.world_size)
        sums: dict[str, float] = defaultdict(float)
        steps = skipped = 0
        self.optimizer.zero_grad(set_to_none=True)
        for m, rows in enumerate(micro):
            indices = [rollouts.indices[k] for k in rows]
            prompts = [self.parts.train_prompts[rollouts.prompt_index[k]] for k in rows]
            x0 = rollouts.latents[rows].to(self.device)
            r, weight = adv.r[rows].to(self.device), adv.weight[rows].to(self.device)
            levels, x_t = self._train_inputs(plan.epoch, indices, x0)
            with timer("train_old_ref"), torch.no_grad(), self._autocast():
                context = self._context(prompts)
                with self.policy.use_old() as model:
                    old = self._predict(model, x_t, levels, context)
                with self.policy.use_reference() as model:
                    ref = self._predict(model, x_t, levels, context)
            boundary = (m + 1) % accum == 0
            no_sync = (self.ddp.no_sync() if dist.active() and not boundary
                       else contextlib.nullcontext())
            with timer("train_forward_backward"), no_sync:
                with self._autocast():
                    cur = self._predict(self.ddp, x_t, levels, context)
                terms = nft_loss(x0, old, cur, ref, r, weight, beta=t.beta,
                                 kl_weight=t.kl_weight, variant=t.loss,
                                 adv_clip_max=t.adv_clip_max)
                (terms.loss / accum).backward()
            for key in ("policy", "kl", "positive_mse", "negative_mse"):
                sums[f"loss/{key}"] += getattr(terms, key)
            sums["loss/total"] += float(terms.loss.detach())
            if boundary:
                with timer("optimizer"):
                    params = list(self.policy.trained.values())
                    norm = torch.nn.utils.clip_grad_norm_(params, t.max_grad_norm)
                    if torch.isfinite(norm):
                        self.optimizer.step()
                        sums["train/ema_decay"] += self._count_step()
                        steps += 1
                    else:
                        skipped += 1
                        log.warning("non-finite gradient norm at step %d: update skipped",
                                    self.global_step)
                    sums["train/grad_norm"] += float(norm)
                    self.optimizer.zero_grad(set_to_none=True)
        losses = {k: v / len(micro) for k, v in sums.items() if k.startswith("loss/")}
        gathered = dist.all_gather_objects(losses)
        out = {k: sum(g[k] for g in gathered) / len(gathered) for k in losses}
        out["train/grad_norm"] = sums["train/grad_norm"] / max(steps + skipped, 1)
        if steps:
            out["train/ema_decay"] = sums["train/ema_decay"] / steps
        out["train/optimizer_steps"] = float(steps)
        out["train/skipped_steps"] = float(skipped)
        out["train/lr"] = self.optimizer.param_groups[0]["lr"]
        return out

    # ----------------------------------------------------------------------------- evaluation
    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """Mean reward on held-out prompts with the EMA weights (fixed noise, every time)."""
        cfg, s = self.config, self.config.sampling
        world, b = self.info.world_size, s.batch_size
        total = math.ceil(max(cfg.run.eval_num_prompts, 1) / (world * b)) * world * b
        timer = PhaseTimer(self.device)
        sums: dict[str, float] = defaultdict(float)
        counts: dict[str, float] = defaultdict(float)
        with self.ema.swapped_in(self.policy.trained):
            for j in range(total // (world * b)):
                start = (j * world + self.info.rank) * b
                batch = list(range(start, start + b))
                prompts = [self.parts.eval_prompts[i % len(self.parts.eval_prompts)]
                           for i in batch]
                x0 = self._sample(batch, prompts, EVAL_EPOCH_KEY, "eval", timer)
                clip_motion = self.parts.motion(x0)
                result = self.parts.registry(clip_motion, self._reward_context(prompts))
                accumulate_rewards(result, sums, counts)
        return reduce_means(sums, counts, "eval/")

    # ----------------------------------------------------------------------------- epochs
    def run_epoch(self, epoch: int) -> dict[str, float]:
        """One full epoch; returns its metrics (identical on every rank)."""
        timer = PhaseTimer(self.device)
        start, compiling = time.perf_counter(), compile_seconds()
        plan = self._plan(epoch)
        rollouts = self.rollout(plan, timer)
        with timer("advantages"):
            full, local = self.advantages(plan, rollouts)
        self.model.train()
        metrics = self.train(plan, rollouts, local, timer)
        self.model.eval()
        decay = old_decay(self.global_step, self.config.training.old_decay_rate,
                          self.config.training.old_decay_max, self.config.training.old_decay_start)
        self.policy.update_old(decay)
        metrics["train/old_decay"] = decay
        metrics.update(self._reward_metrics(rollouts, full))
        timer.add("epoch", time.perf_counter() - start)
        timer.add("compile", compile_seconds() - compiling)  # inside the phases above
        metrics.update(self._time_metrics(timer))
        if self.tracker is not None:
            self.tracker.histogram("advantage/values", full.clipped, self.global_step)
        return metrics

    def _reward_metrics(self, rollouts: Rollouts, full: Advantages) -> dict[str, float]:
        sums: dict[str, float] = defaultdict(float)
        counts: dict[str, float] = defaultdict(float)
        accumulate_rewards(rollouts.rewards, sums, counts)
        out = reduce_means(sums, counts, "reward/")
        if rollouts.motion:  # how much the rollouts move: a collapse toward stillness shows
            sums, counts = defaultdict(float), defaultdict(float)
            accumulate_rewards(rollouts.motion, sums, counts)
            out.update(reduce_means(sums, counts, "motion/"))
        reasons = Counter(r for r in rollouts.reasons if r)
        merged: Counter = Counter()
        for part in dist.all_gather_objects(dict(reasons)):
            merged.update(part)
        if merged and self.info.is_main:
            log.info("invalid clips this epoch: %s", dict(merged.most_common(5)))
        used = full.weight > 0
        out.update({
            "advantage/mean": float(full.clipped[used].mean()) if used.any() else 0.0,
            "advantage/std": float(full.raw[used].std(unbiased=False)) if used.any() else 0.0,
            "advantage/abs_mean": float(full.clipped[used].abs().mean()) if used.any() else 0.0,
            "advantage/clipped_fraction": float((full.raw.abs() > full.clipped.abs()).float()
                                                .mean()),
            "advantage/r_mean": float(full.r[used].mean()) if used.any() else 0.5,
            "reward/used_fraction": float(used.float().mean()),
            "reward/global_std": float(full.rewards[used].std(unbiased=False))
            if used.sum() > 1 else 0.0,
        })
        return out

    def _time_metrics(self, timer: PhaseTimer) -> dict[str, float]:
        parts = dist.all_gather_objects(dict(timer.seconds))
        keys = sorted({k for p in parts for k in p})
        return {f"time/{k}": max(p.get(k, 0.0) for p in parts) for k in keys}

    # ----------------------------------------------------------------------------- run
    def resume(self, spec: str | None) -> Path | None:
        """Load `spec` (`auto` / a checkpoint path / None); returns the folder loaded, if any.

        A bad checkpoint (`CheckpointError`) stops an explicit path; with `auto` the next older
        complete checkpoint is tried, with a warning, and the error is raised when none loads.
        Every rank takes the same decision (a file bad on one rank counts for all)."""
        candidates = resume_candidates(spec, self.output_dir)
        if not candidates:
            if spec == "auto" and self.info.is_main:
                log.info("no checkpoint under %s: starting fresh", self.output_dir)
            return None
        skipped: list[str] = []
        for path in candidates:
            error = self._load_everywhere(path)
            if error is None:
                if skipped and self.info.is_main:
                    log.warning("--resume auto: resuming from %s; skipped %s", path,
                                ", ".join(skipped))
                if self.info.is_main:
                    log.info("resumed from %s (step %d, epoch %d)", path, self.global_step,
                             self.epoch)
                return path
            if spec != "auto":
                raise error
            if self.info.is_main:
                log.warning("--resume auto: skipping checkpoint %s: %s", path, error)
            skipped.append(f"{path.name} ({error})")
        raise CheckpointError(checkpoints_root(self.output_dir),
                              f"no usable checkpoint; {'; '.join(skipped)}")

    def _load_everywhere(self, path: Path) -> CheckpointError | None:
        """Load `path` on every rank; the first rank's error if any rank failed, else None."""
        try:
            state = load_checkpoint(path, policy=self.policy, ema=self.ema,
                                    optimizer=self.optimizer, rank=self.info.rank)
            error = None
        except CheckpointError as exc:
            error = (str(exc.file), exc.problem)
        failures = [e for e in dist.all_gather_objects(error) if e is not None]
        if failures:
            return CheckpointError(*failures[0])
        self.global_step = int(state["global_step"])
        self.epoch = int(state["epoch"])
        self.last_metrics = dict(state.get("metrics", {}))
        return None

    def save(self) -> Path:
        """Write checkpoint-<global_step> (all ranks call this)."""
        state = {"global_step": self.global_step, "epoch": self.epoch,
                 "world_size": self.info.world_size, "config": self.config.to_dict(),
                 "metrics": self.last_metrics}
        path = save_checkpoint(checkpoints_root(self.output_dir), self.global_step,
                               policy=self.policy, ema=self.ema, optimizer=self.optimizer,
                               state=state, rank=self.info.rank, barrier=dist.barrier,
                               keep_last=self.config.run.keep_last)
        self._hook("checkpoint", step=self.global_step, epoch=self.epoch)
        return path

    def fit(self, resume: str | None = None) -> dict[str, float]:
        """Run until `run.num_epochs` epochs are done; returns the last epoch's metrics."""
        run = self.config.run
        self.resume(resume)
        if self.info.is_main:
            self.output_dir.mkdir(parents=True, exist_ok=True)
            (self.output_dir / "config.json").write_text(
                json.dumps(self.config.to_dict(), indent=2))
        self.tracker = Tracker(self.output_dir, enabled=self.info.is_main,
                               tensorboard=run.tensorboard, progress=run.progress,
                               total_epochs=run.num_epochs, start_epoch=self.epoch)
        try:
            if run.eval_every > 0 and self.epoch == 0 and run.num_epochs > 0:
                self._log_eval()
            while self.epoch < run.num_epochs:
                metrics = self.run_epoch(self.epoch)
                self.epoch += 1
                self.last_metrics = metrics
                self.tracker.scalars(metrics, self.global_step)
                self.tracker.advance({"reward": metrics.get("reward/avg", float("nan")),
                                      "loss": metrics.get("loss/total", float("nan")),
                                      "step": float(self.global_step)})
                self._hook("epoch_end", epoch=self.epoch, step=self.global_step)
                if run.eval_every > 0 and self.epoch % run.eval_every == 0:
                    self._log_eval()
                last = self.epoch == run.num_epochs
                if (run.save_every > 0 and self.epoch % run.save_every == 0) or last:
                    self.save()
        finally:
            self.tracker.close()
        return self.last_metrics

    def _log_eval(self) -> None:
        timer = PhaseTimer(self.device)
        with timer("eval"):
            metrics = self.evaluate()
        metrics["time/eval"] = timer.seconds["eval"]
        self.last_metrics.update(metrics)
        if self.tracker is not None:
            self.tracker.scalars(metrics, self.global_step)
        if self.info.is_main:
            log.info("eval at step %d: reward %.4f", self.global_step,
                     metrics.get("eval/avg", float("nan")))
