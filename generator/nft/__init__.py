"""DiffusionNFT post-training of the causal generator with a motion reward (docs/training.md)."""
