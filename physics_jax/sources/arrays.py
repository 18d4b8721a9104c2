"""Read `.npy` and `.npz` arrays without trusting their headers.

An npy header declares a shape and a dtype; numpy allocates what it declares before reading.
These readers check the declaration first: no object dtype (that is pickle), at most
`MAX_ARRAY_BYTES`, and exactly as many bytes as the file (or the npz member) holds. From an npz
only the requested keys are decompressed.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

import numpy as np

from physics_jax.errors import MotionFormatError

MAX_ARRAY_BYTES = 1 << 30
"""Largest array read from a motion file (1 GiB: 1.9M frames of a (T, 69) float64 pose)."""


def _check_header(fp: IO[bytes], size: int, src: str, field: str, max_bytes: int) -> None:
    """Read an npy header from `fp` (positioned at its start, `size` bytes in all) and check it
    against the bytes that follow; MotionFormatError naming `src` and `field` when it lies."""
    try:
        version = np.lib.format.read_magic(fp)
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        shape, _, dtype = read_header(fp, max_header_size=10_000)
    except (ValueError, OSError, EOFError) as exc:
        raise MotionFormatError(src, field, f"unreadable npy header ({exc})") from None
    if dtype.hasobject:
        raise MotionFormatError(src, field, "holds pickled Python objects, not numbers")
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > max_bytes:
        raise MotionFormatError(src, field, f"declares shape {shape} of {dtype} "
                                f"({nbytes / 2**20:.0f} MiB), over the {max_bytes / 2**20:.0f} "
                                "MiB limit")
    payload = size - fp.tell()
    if payload != nbytes:
        raise MotionFormatError(src, field, f"declares shape {shape} of {dtype} ({nbytes} bytes)"
                                f" but holds {payload} bytes")


def read_npy(path: str | Path, max_bytes: int = MAX_ARRAY_BYTES) -> np.ndarray:
    """The array of an `.npy` file, its header checked before anything is allocated."""
    src = str(path)
    try:
        size = Path(path).stat().st_size
        with open(path, "rb") as fp:
            _check_header(fp, size, src, "file", max_bytes)
            fp.seek(0)
            return np.lib.format.read_array(fp, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        if isinstance(exc, MotionFormatError):
            raise
        raise MotionFormatError(src, "file", f"unreadable npy ({exc})") from None


def read_npz(path: str | Path, keys: Iterable[str] | None = None,
             max_bytes: int = MAX_ARRAY_BYTES) -> dict[str, np.ndarray]:
    """The arrays of an npz named in `keys` (all when None); the others are not decompressed."""
    src = str(path)
    wanted = None if keys is None else set(keys)
    out: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                key = info.filename.removesuffix(".npy")
                if wanted is not None and key not in wanted:
                    continue
                with archive.open(info) as fp:
                    _check_header(fp, info.file_size, src, key, max_bytes)
                with archive.open(info) as fp:
                    out[key] = np.lib.format.read_array(fp, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, NotImplementedError) as exc:
        if isinstance(exc, MotionFormatError):
            raise
        raise MotionFormatError(src, "file", f"unreadable npz ({exc})") from None
    return out


def npz_keys(path: str | Path) -> set[str]:
    """The array names of an npz (nothing decompressed)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return {name.removesuffix(".npy") for name in archive.namelist()}
    except (OSError, zipfile.BadZipFile) as exc:
        raise MotionFormatError(str(path), "file", f"unreadable npz ({exc})") from None
