"""The error raised for unreadable or invalid motion files.

`MotionFormatError(path, field, message)` is the project-wide class from `physics_jax.errors`
(re-exported here so the loaders and the core raise, and callers catch, one class). Its text is
`"<path>: <field>: <what is wrong>"`; for text formats the field is `"line N"`.
"""

from __future__ import annotations

from physics_jax.errors import MotionFormatError

__all__ = ["MotionFormatError", "line_field"]


def line_field(line_no: int) -> str:
    """The field name used for a 1-based line number, e.g. `"line 12"`."""
    return f"line {line_no}"
