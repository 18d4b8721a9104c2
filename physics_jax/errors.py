"""Project exceptions with messages that name the file and the field."""

from __future__ import annotations


class MotionFormatError(ValueError):
    """A motion file or array is unreadable or invalid: `<file>: <field>: <what is wrong>`."""

    def __init__(self, path: str, field: str, message: str):
        self.path, self.field, self.message = str(path), field, message
        super().__init__(f"{path}: {field}: {message}")
