"""Import `mujoco.mjx` without the optional-Warp notices it prints on CPU-only installs."""

from __future__ import annotations

import contextlib
import io

with contextlib.redirect_stdout(io.StringIO()):
    from mujoco import mjx  # noqa: F401

__all__ = ["mjx"]
