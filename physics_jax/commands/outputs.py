"""Output paths of the commands: checked before the work starts, written atomically.

`check_file` and `check_folder` raise MotionFormatError (exit status 2, one line
`error: <path>: <flag>: <what is wrong>`) when an output could not be written: a folder where a
file is expected or a file where a folder is, a parent that is a file, a folder that cannot be
written, an existing file that must not be replaced. `atomic_path`, `write_text`, `write_json`
and `atomic_folder` write through temporary files in the destination folder, moved into place
by `os.replace`: a failed run leaves no partial file, and an earlier output stays whole.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import numpy as np

from physics_jax.errors import MotionFormatError

T = TypeVar("T")


def _nearest_existing(folder: Path) -> Path:
    """`folder` or its closest ancestor that exists."""
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    return folder


def _check_writable(folder: Path, path: Path, flag: str) -> None:
    """MotionFormatError naming `path` unless `folder` is (or can be created as) a writable
    folder."""
    existing = _nearest_existing(folder)
    if not existing.is_dir():
        raise MotionFormatError(str(path), flag, f"{existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise MotionFormatError(str(path), flag, f"folder {existing} is not writable")


def check_file(path: str | Path, flag: str, *, overwrite: bool = True) -> Path:
    """`path` as a Path once it is known to be writable as a file: not a folder, in a folder
    that exists or can be created, and writable; with overwrite False, not an existing file."""
    p = Path(path)
    if p.is_dir():
        raise MotionFormatError(str(p), flag, "is a folder, expected a file")
    if not overwrite and p.exists():
        raise MotionFormatError(str(p), flag, "exists (pass --overwrite to replace it)")
    _check_writable(p.parent, p, flag)
    return p


def check_folder(path: str | Path, flag: str) -> Path:
    """`path` as a Path once it is known to be usable as an output folder: a folder, or
    creatable as one, and writable."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise MotionFormatError(str(p), flag, "is a file, expected a folder")
    _check_writable(p, p, flag)
    return p


def _create(folder: Path, path: Path, flag: str, make: Callable[[], T]) -> T:
    """`folder` created if needed, then make(); an OSError as MotionFormatError naming
    `path`."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return make()
    except OSError as exc:
        raise MotionFormatError(str(path), flag, f"cannot be written ({exc.strerror})") from None


def _temp_file(target: Path) -> Path:
    """A new empty file beside `target` with the same suffix (readers and writers choose the
    format by suffix), hidden, with the permissions a new file gets."""
    tmp = target.with_name(f".{target.stem}.{secrets.token_hex(4)}.tmp{target.suffix}")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    return tmp


@contextmanager
def atomic_path(path: str | Path, flag: str = "output") -> Iterator[Path]:
    """A temporary path beside `path` for the block to write; moved onto `path` when the block
    ends without an error, removed otherwise."""
    target = Path(path)
    tmp = _create(target.parent, target, flag, lambda: _temp_file(target))
    try:
        yield tmp
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise MotionFormatError(str(target), flag,
                                    f"cannot be written ({exc.strerror})") from None
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: str | Path, text: str, flag: str = "output") -> None:
    """Write `text` (UTF-8) to `path` atomically."""
    with atomic_path(path, flag) as tmp:
        try:
            tmp.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise MotionFormatError(str(path), flag,
                                    f"cannot be written ({exc.strerror})") from None


def finite_json(value):
    """`value` with every non-finite float as None and NumPy scalars as Python numbers (JSON
    has no NaN or infinity)."""
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_json(v) for v in value]
    if isinstance(value, np.ndarray | np.generic):
        return finite_json(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: str | Path, data, flag: str = "output") -> None:
    """Write `data` as indented JSON (non-finite numbers as null) to `path` atomically."""
    write_text(path, json.dumps(finite_json(data), indent=2, allow_nan=False), flag)


@contextmanager
def atomic_folder(folder: str | Path, flag: str = "output") -> Iterator[Path]:
    """A temporary folder inside `folder` for the block to write files into; each file is
    moved into `folder` (replacing one of the same name) when the block ends without an
    error, and the temporary folder is removed in any case."""
    out = Path(folder)
    tmp = Path(_create(out, out, flag, lambda: tempfile.mkdtemp(dir=out, prefix=".tmp-")))
    try:
        yield tmp
        for item in sorted(tmp.iterdir()):
            try:
                os.replace(item, out / item.name)
            except OSError as exc:
                raise MotionFormatError(str(out / item.name), flag,
                                        f"cannot be written ({exc.strerror})") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
