"""Reading motion text files: decoding, line splitting and numbers with line numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from physics_jax.errors import require_file
from physics_jax.sources.errors import MotionFormatError, line_field


def read_lines(path: str | Path) -> list[str]:
    """All lines of a text file, any mix of CRLF / CR / LF endings, without terminators.

    Raises MotionFormatError when the file is missing, unreadable or binary.
    """
    p = require_file(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise MotionFormatError(str(p), "file", f"unreadable ({exc.strerror})") from None
    if b"\x00" in raw:
        raise MotionFormatError(str(p), "file", "binary data (NUL bytes), not a text file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return text.splitlines()


def parse_floats(tokens: list[str], path: str | Path, line_no: int) -> np.ndarray:
    """Tokens as a float64 vector; a non-numeric or non-finite token names its line."""
    try:
        values = np.array([float(t) for t in tokens], dtype=np.float64)
    except ValueError:
        bad = next(t for t in tokens if not _is_float(t))
        raise MotionFormatError(str(path), line_field(line_no),
                                f"not a number: {bad!r}") from None
    if not np.isfinite(values).all():
        bad = tokens[int(np.argmin(np.isfinite(values)))]
        raise MotionFormatError(str(path), line_field(line_no), f"non-finite value: {bad!r}")
    return values


def parse_table(rows: list[list[str]], line_numbers: list[int], path: str | Path) -> np.ndarray:
    """Equal-length rows of numeric tokens as a (rows, cols) float64 array.

    `line_numbers[i]` is the 1-based line of `rows[i]`, named in any error.
    """
    try:
        table = np.array(rows, dtype=np.float64)
    except ValueError:
        for row, line_no in zip(rows, line_numbers, strict=True):
            parse_floats(row, path, line_no)
        raise
    if not np.isfinite(table).all():
        i = int(np.argwhere(~np.isfinite(table))[0][0])
        parse_floats(rows[i], path, line_numbers[i])
    return table


def _is_float(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True
