"""Project exceptions with messages that name the file and the field."""

from __future__ import annotations

from pathlib import Path


class MotionFormatError(ValueError):
    """A motion file or array is unreadable or invalid: `<file>: <field>: <what is wrong>`."""

    def __init__(self, path: str, field: str, message: str):
        self.path, self.field, self.message = str(path), field, message
        super().__init__(f"{path}: {field}: {message}")


def require_file(path: str | Path) -> Path:
    """`path` as a Path; MotionFormatError (field `file`) when it is missing or not a file."""
    p = Path(path)
    if not p.exists():
        raise MotionFormatError(str(p), "file", "does not exist")
    if not p.is_file():
        raise MotionFormatError(str(p), "file", "not a file")
    return p
