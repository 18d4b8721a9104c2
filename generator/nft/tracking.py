"""Run logging on rank 0: TensorBoard scalars and histograms, a progress bar, a text log."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import torch

log = logging.getLogger("generator.nft")


class Tracker:
    """TensorBoard writer (`<output_dir>/tensorboard`) and tqdm bar; silent off rank 0."""

    def __init__(self, output_dir: str | Path, *, enabled: bool, tensorboard: bool,
                 progress: bool, total_epochs: int, start_epoch: int) -> None:
        self.enabled = enabled
        self.writer = None
        self.bar = None
        if not enabled:
            return
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(log_dir=str(Path(output_dir) / "tensorboard"))
        if progress:
            from tqdm import tqdm

            self.bar = tqdm(total=total_epochs, initial=start_epoch, desc="nft", unit="epoch",
                            dynamic_ncols=True)

    def scalars(self, values: Mapping[str, float], step: int) -> None:
        """Log each finite scalar under its tag."""
        if self.writer is None:
            return
        for tag, value in values.items():
            value = float(value)
            if value == value and abs(value) != float("inf"):
                self.writer.add_scalar(tag, value, step)

    def histogram(self, tag: str, values: torch.Tensor, step: int) -> None:
        """Log a histogram (e.g. advantages)."""
        if self.writer is not None and values.numel():
            self.writer.add_histogram(tag, values.detach().float().cpu(), step)

    def advance(self, summary: Mapping[str, float]) -> None:
        """One epoch done: move the bar and show a few figures."""
        shown = {k: _shown(v) for k, v in summary.items()}
        if self.bar is not None:
            self.bar.set_postfix(shown, refresh=False)
            self.bar.update(1)
        if self.enabled:
            log.info("epoch done: %s", ", ".join(f"{k}={v}" for k, v in shown.items()))

    def close(self) -> None:
        """Flush and close."""
        if self.writer is not None:
            self.writer.flush()
            self.writer.close()
        if self.bar is not None:
            self.bar.close()


def _shown(value: float) -> str:
    """A figure for the log: 4 significant digits, "n/a" where there is none (e.g. the mean
    reward of an epoch whose clips were all invalid)."""
    value = float(value)
    return f"{value:.4g}" if value == value and abs(value) != float("inf") else "n/a"
