"""Causal Forcing video generator (causal Wan2.1-T2V-1.3B): model, KV-cache sampler, text encoder,
VAE, checkpoints, LoRA and the `sample` command."""
