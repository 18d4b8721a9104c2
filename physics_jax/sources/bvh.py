"""BVH files: hierarchy, motion data and forward kinematics (numpy, vectorised over frames).

Conventions (those of the common exporters: MotionBuilder, 3ds Max, Blender):

- Rotation channels are in degrees and compose in the order they are listed: channels
  `Zrotation Xrotation Yrotation` give the local rotation R = Rz · Rx · Ry (intrinsic ZXY). Any
  order and any subset of the three axes is accepted.
- Position channels replace the matching component of the joint's OFFSET (exporters write the
  ROOT OFFSET as the first frame's position, so adding them would count it twice).
- `End Site` blocks become channel-less joints named `<parent>_end`.
- Lengths stay in the file's unit (BVH does not declare one); `physics_jax.sources.units`
  converts them. Axes stay the file's (usually y-up).
- One frame per line of the MOTION section; `Frames:` must equal the number of data lines and
  every line must hold as many numbers as the CHANNELS declared in the HIERARCHY.

The hierarchy is read with an explicit stack (any nesting depth) and the frames FRAME_CHUNK at a
time (`open_bvh`), so a long file needs little memory beyond its result.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from physics_jax.errors import require_file
from physics_jax.sources.errors import MotionFormatError, line_field
from physics_jax.sources.rotations import euler_to_quat, quat_to_matrix
from physics_jax.sources.textio import parse_floats, parse_table

CHANNEL_NAMES = ("Xposition", "Yposition", "Zposition", "Xrotation", "Yrotation", "Zrotation")
_CHANNEL_LOOKUP = {c.lower(): c for c in CHANNEL_NAMES}
READ_BLOCK = 1 << 20  # bytes read from the file at a time
HEAD_LIMIT = 1 << 26  # bytes searched for the MOTION line (a HIERARCHY is far smaller)
FRAME_CHUNK = 1024  # frames parsed (and, by the loaders, posed) at a time: bounds the memory


@dataclass(frozen=True)
class Skeleton:
    """A BVH joint tree. J joints in file order (each parent before its children).

    names (J,); parents (J,) int, -1 for the root; offsets (J, 3) in file units, relative to the
    parent; channels per joint (normalised names such as "Zrotation"); end_site (J,) bool.
    """

    names: tuple[str, ...]
    parents: np.ndarray
    offsets: np.ndarray
    channels: tuple[tuple[str, ...], ...]
    end_site: np.ndarray

    @property
    def n_joints(self) -> int:
        return len(self.names)

    @property
    def n_channels(self) -> int:
        return sum(len(c) for c in self.channels)

    def index(self, name: str) -> int:
        """Index of the joint called `name` (exact match); KeyError when absent."""
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(name) from None


@dataclass(frozen=True)
class BvhMotion:
    """A parsed BVH file.

    rotations (T, J, 4): local joint rotations, unit quaternions (w, x, y, z);
    translations (T, J, 3): local joint translations in file units (the OFFSET, with components
    replaced by position channels where present); fps: frames per second (1 / Frame Time).
    """

    skeleton: Skeleton
    rotations: np.ndarray
    translations: np.ndarray
    fps: float
    source: str

    @property
    def n_frames(self) -> int:
        return int(self.rotations.shape[0])

    @property
    def root_translation(self) -> np.ndarray:
        """Root position per frame, (T, 3), file units."""
        return self.translations[:, 0]


class _Tokens:
    """The HIERARCHY section as (token, 1-based line) pairs, braces split off."""

    def __init__(self, lines: list[str], stop: int, path: str):
        self.path = path
        self.items: list[tuple[str, int]] = []
        for i in range(stop):
            spaced = lines[i].replace("{", " { ").replace("}", " } ")
            self.items.extend((tok, i + 1) for tok in spaced.split())
        self.pos = 0
        self.last_line = stop

    def peek(self) -> tuple[str, int] | None:
        return self.items[self.pos] if self.pos < len(self.items) else None

    def take(self, what: str) -> tuple[str, int]:
        item = self.peek()
        if item is None:
            raise MotionFormatError(self.path, line_field(self.last_line),
                                    f"HIERARCHY ends early, expected {what}")
        self.pos += 1
        return item

    def expect(self, word: str) -> int:
        tok, line = self.take(repr(word))
        if tok.upper() != word.upper():
            raise MotionFormatError(self.path, line_field(line), f"expected {word!r}, got {tok!r}")
        return line

    def floats(self, n: int, what: str) -> np.ndarray:
        items = [self.take(what) for _ in range(n)]
        return parse_floats([t for t, _ in items], self.path, items[0][1])


class _Builder:
    """Collects joints while the hierarchy is read."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.parents: list[int] = []
        self.offsets: list[np.ndarray] = []
        self.channels: list[tuple[str, ...]] = []
        self.end_site: list[bool] = []

    def add(self, name: str, parent: int, end: bool) -> int:
        self.names.append(name)
        self.parents.append(parent)
        self.offsets.append(np.zeros(3))
        self.channels.append(())
        self.end_site.append(end)
        return len(self.names) - 1

    def skeleton(self) -> Skeleton:
        return Skeleton(tuple(self.names), np.array(self.parents, dtype=np.int64),
                        np.array(self.offsets, dtype=np.float64).reshape(-1, 3),
                        tuple(self.channels), np.array(self.end_site, dtype=bool))


def _parse_channels(tokens: _Tokens, line: int) -> tuple[str, ...]:
    count_tok, _ = tokens.take("a channel count")
    if not count_tok.isdigit():
        raise MotionFormatError(tokens.path, line_field(line),
                                f"CHANNELS count is not a whole number: {count_tok!r}")
    count = int(count_tok)
    names: list[str] = []
    while len(names) < count:
        item = tokens.peek()
        if item is None or item[0].lower() not in _CHANNEL_LOOKUP:
            raise MotionFormatError(tokens.path, line_field(line),
                                    f"CHANNELS says {count} but lists {len(names)} channel names")
        names.append(_CHANNEL_LOOKUP[item[0].lower()])
        tokens.pos += 1
    item = tokens.peek()
    if item is not None and item[0].lower() in _CHANNEL_LOOKUP and item[1] == line:
        raise MotionFormatError(tokens.path, line_field(line),
                                f"CHANNELS says {count} but lists more channel names")
    if len(set(names)) != len(names):
        raise MotionFormatError(tokens.path, line_field(line), f"repeated channel in {names}")
    return tuple(names)


@dataclass
class _Open:
    """A joint whose `{ ... }` block is being read."""

    joint: int
    line: int
    has_offset: bool = False


def _open_joint(tokens: _Tokens, build: _Builder, parent: int, line: int) -> _Open:
    """Read a joint's name and its `{`; the joint is added to `build`."""
    name_parts: list[str] = []
    while True:
        tok, _ = tokens.take("'{'")
        if tok == "{":
            break
        name_parts.append(tok)
    if not name_parts:
        raise MotionFormatError(tokens.path, line_field(line), "joint without a name")
    return _Open(build.add(" ".join(name_parts), parent, end=False), line)


def _parse_joints(tokens: _Tokens, build: _Builder, root_line: int) -> None:
    """The ROOT joint and everything nested in it, with an explicit stack (any depth)."""
    stack = [_open_joint(tokens, build, -1, root_line)]
    while stack:
        top = stack[-1]
        tok, tok_line = tokens.take("'}'")
        key = tok.upper()
        if key == "OFFSET":
            build.offsets[top.joint] = tokens.floats(3, "three OFFSET values")
            top.has_offset = True
        elif key == "CHANNELS":
            build.channels[top.joint] = _parse_channels(tokens, tok_line)
        elif key == "JOINT":
            stack.append(_open_joint(tokens, build, top.joint, tok_line))
        elif key == "END":
            tokens.expect("Site")
            _parse_end_site(tokens, build, top.joint, tok_line)
        elif tok == "}":
            if not top.has_offset:
                raise MotionFormatError(tokens.path, line_field(top.line),
                                        f"joint {build.names[top.joint]!r} has no OFFSET")
            stack.pop()
        else:
            raise MotionFormatError(tokens.path, line_field(tok_line),
                                    f"unexpected {tok!r} in joint {build.names[top.joint]!r}")


def _parse_end_site(tokens: _Tokens, build: _Builder, parent: int, line: int) -> None:
    j = build.add(f"{build.names[parent]}_end", parent, end=True)
    tokens.expect("{")
    tokens.expect("OFFSET")
    build.offsets[j] = tokens.floats(3, "three OFFSET values")
    tokens.expect("}")


def _parse_hierarchy(lines: list[str], stop: int, path: str) -> Skeleton:
    tokens = _Tokens(lines, stop, path)
    tokens.expect("HIERARCHY")
    root_line = tokens.expect("ROOT")
    build = _Builder()
    _parse_joints(tokens, build, root_line)
    extra = tokens.peek()
    if extra is not None:
        what = "a second ROOT (not supported)" if extra[0].upper() == "ROOT" else repr(extra[0])
        raise MotionFormatError(path, line_field(extra[1]), f"unexpected {what} after the ROOT")
    return build.skeleton()


class _LineStream:
    """A text file's lines (any mix of LF / CRLF / CR endings) as bytes, read in blocks of
    about READ_BLOCK bytes and taken one at a time or a block at a time; `line` is the 1-based
    number of the last line taken. MotionFormatError when the file is missing, unreadable or
    binary."""

    def __init__(self, path: str):
        self.path = path
        self.line = 0
        self._blocks = self._read(require_file(path))
        self._buf: list[bytes] = []
        self._pos = 0

    def _read(self, file: Path) -> Iterator[list[bytes]]:
        try:
            with file.open("rb") as handle:
                while raw := handle.readlines(READ_BLOCK):
                    if any(b"\x00" in line for line in raw):
                        raise MotionFormatError(self.path, "file",
                                                "binary data (NUL bytes), not a text file")
                    yield [part for line in raw for part in line.splitlines()]
        except OSError as exc:
            raise MotionFormatError(self.path, "file", f"unreadable ({exc.strerror})") from None

    def _fill(self) -> bool:
        while self._pos >= len(self._buf):
            block = next(self._blocks, None)
            if block is None:
                return False
            self._buf, self._pos = block, 0
        return True

    def take(self) -> bytes | None:
        """The next line; None at the end of the file."""
        if not self._fill():
            return None
        self._pos += 1
        self.line += 1
        return self._buf[self._pos - 1]

    def take_block(self) -> tuple[int, list[bytes]]:
        """The lines left in the current block (or the next block) and the number of the
        first; no lines at the end of the file."""
        if not self._fill():
            return self.line + 1, []
        lines = self._buf[self._pos:]
        self._pos = len(self._buf)
        self.line += len(lines)
        return self.line - len(lines) + 1, lines


def _read_head(stream: _LineStream) -> list[str]:
    """The lines before the MOTION line, decoded (UTF-8, else Latin-1)."""
    head: list[bytes] = []
    size = 0
    while (line := stream.take()) is not None:
        if line.strip().upper() == b"MOTION":
            raw = b"\n".join(head)
            try:
                return raw.decode("utf-8").split("\n")
            except UnicodeDecodeError:
                return raw.decode("latin-1").split("\n")
        head.append(line)
        size += len(line)
        if size > HEAD_LIMIT:
            raise MotionFormatError(stream.path, "MOTION",
                                    f"no MOTION section in the first {HEAD_LIMIT >> 20} MiB")
    raise MotionFormatError(stream.path, "MOTION", "no MOTION section")


def _header_value(stream: _LineStream, key: str) -> str:
    """The value after `key:` on the next line (e.g. 'Frames: 471')."""
    line = stream.take()
    if line is None:
        raise MotionFormatError(stream.path, line_field(stream.line + 1), f"missing '{key}:' line")
    text = line.decode("latin-1").strip()
    head, sep, value = text.partition(":")
    if not sep or " ".join(head.split()).lower() != key.lower():
        raise MotionFormatError(stream.path, line_field(stream.line),
                                f"expected '{key}: ...', got {text!r}")
    return value.strip()


def _frame_rate(frame_time: float) -> float:
    """1 / frame_time, snapped to the nearest integer when within 0.02 % (rounded headers)."""
    fps = 1.0 / frame_time
    nearest = round(fps)
    return float(nearest) if nearest > 0 and abs(fps - nearest) < 2e-4 * fps else fps


def _read_header(stream: _LineStream) -> tuple[int, int, float]:
    """The `Frames:` and `Frame Time:` lines after MOTION: frame count, the Frames line's
    number and fps."""
    frames_text = _header_value(stream, "Frames")
    frames_line = stream.line
    if not frames_text.isdigit() or int(frames_text) < 1:
        raise MotionFormatError(stream.path, line_field(frames_line),
                                f"Frames must be a positive whole number, got {frames_text!r}")
    time_text = _header_value(stream, "Frame Time")
    frame_time = parse_floats([time_text], stream.path, stream.line)[0] if time_text else 0.0
    if frame_time <= 0:
        raise MotionFormatError(stream.path, line_field(stream.line),
                                f"Frame Time must be positive, got {time_text!r}")
    return int(frames_text), frames_line, _frame_rate(frame_time)


def _table(rows: list[list[bytes]], row_lines: list[int], path: str) -> np.ndarray:
    """Rows of numeric tokens as (rows, C) float64; a bad token names its line."""
    try:
        table = np.array(rows, dtype=np.float64)
    except ValueError:
        table = None
    if table is None or not np.isfinite(table).all():
        text = [[t.decode("latin-1") for t in row] for row in rows]
        return parse_table(text, row_lines, path)
    return table


def _frame_values(stream: _LineStream, n_frames: int, frames_line: int, n_channels: int
                  ) -> Iterator[np.ndarray]:
    """Channel values of the data lines, (k, C) for at most FRAME_CHUNK frames at a time;
    MotionFormatError at the first line with a wrong count or a bad number, and at the end
    when there are not `n_frames` data lines."""
    path = stream.path
    count = 0
    rows: list[list[bytes]] = []
    row_lines: list[int] = []
    while True:
        first, lines = stream.take_block()
        if not lines:
            break
        for k, line in enumerate(lines):
            tokens = line.split()
            if not tokens:
                continue
            if len(tokens) != n_channels:
                raise MotionFormatError(path, line_field(first + k),
                                        f"{len(tokens)} values, expected {n_channels} "
                                        "(the CHANNELS declared in the HIERARCHY)")
            count += 1
            if count > n_frames:
                continue
            rows.append(tokens)
            row_lines.append(first + k)
            if len(rows) == FRAME_CHUNK:
                yield _table(rows, row_lines, path)
                rows, row_lines = [], []
    if rows:
        yield _table(rows, row_lines, path)
    if count != n_frames:
        state = "truncated" if count < n_frames else "extra data lines"
        raise MotionFormatError(path, line_field(frames_line),
                                f"Frames: {n_frames} but the file has {count} data lines "
                                f"({state})")


@dataclass
class BvhFrames:
    """A BVH file whose motion is read as it is consumed.

    skeleton, fps, n_frames (the `Frames:` header); max_frames: at most this many frames can
    follow (n_frames, or fewer when the file is too small to hold them); chunks: the channel
    values, (k, C) arrays of at most FRAME_CHUNK frames in file order, raising
    MotionFormatError at the first bad data line or, at the end, when the data lines are not
    n_frames.
    """

    skeleton: Skeleton
    fps: float
    n_frames: int
    max_frames: int
    source: str
    chunks: Iterator[np.ndarray]


def open_bvh(path: str | Path) -> BvhFrames:
    """Read a BVH file's HIERARCHY and MOTION header; its frames follow in chunks (bounded
    memory for long files). MotionFormatError names the file and line of any defect."""
    src = str(path)
    stream = _LineStream(src)
    head = _read_head(stream)
    skeleton = _parse_hierarchy(head, len(head), src)
    if skeleton.n_channels == 0:
        raise MotionFormatError(src, "HIERARCHY", "no CHANNELS declared")
    n_frames, frames_line, fps = _read_header(stream)
    # a data line holds n_channels numbers and n_channels separators at least
    fits = os.path.getsize(src) // (2 * skeleton.n_channels) + 1
    chunks = _frame_values(stream, n_frames, frames_line, skeleton.n_channels)
    return BvhFrames(skeleton, fps, n_frames, min(n_frames, fits), src, chunks)


def split_channels(skeleton: Skeleton, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Channel values (T, C) as local rotations (T, J, 4) and translations (T, J, 3)."""
    n_frames = values.shape[0]
    rotations = np.zeros((n_frames, skeleton.n_joints, 4))
    rotations[..., 0] = 1.0
    translations = np.repeat(skeleton.offsets[None], n_frames, axis=0)
    col = 0
    for j, chans in enumerate(skeleton.channels):
        rot_cols = [col + k for k, c in enumerate(chans) if c.endswith("rotation")]
        order = "".join(c[0] for c in chans if c.endswith("rotation"))
        if rot_cols:
            rotations[:, j] = euler_to_quat(values[:, rot_cols], order, degrees=True)
        for k, c in enumerate(chans):
            if c.endswith("position"):
                translations[:, j, "XYZ".index(c[0])] = values[:, col + k]
        col += len(chans)
    return rotations, translations


def parse_bvh(path: str | Path) -> BvhMotion:
    """Read a BVH file; MotionFormatError names the file and line of any defect."""
    frames = open_bvh(path)
    values = np.concatenate(list(frames.chunks))
    rotations, translations = split_channels(frames.skeleton, values)
    return BvhMotion(frames.skeleton, rotations, translations, frames.fps, frames.source)


def forward_kinematics(motion: BvhMotion) -> np.ndarray:
    """World positions of every joint (end sites included), (T, J, 3), file units and axes."""
    return world_positions(motion.skeleton, motion.rotations, motion.translations)


def world_positions(skeleton: Skeleton, rotations: np.ndarray, translations: np.ndarray
                    ) -> np.ndarray:
    """World positions (T, J, 3) from local rotations (T, J, 4) and translations (T, J, 3)."""
    local_r = quat_to_matrix(rotations)
    t = translations
    world_r = np.empty_like(local_r)
    world_p = np.empty_like(t)
    for j, p in enumerate(skeleton.parents):
        if p < 0:
            world_r[:, j] = local_r[:, j]
            world_p[:, j] = t[:, j]
        else:
            world_r[:, j] = world_r[:, p] @ local_r[:, j]
            world_p[:, j] = world_p[:, p] + np.einsum("tab,tb->ta", world_r[:, p], t[:, j])
    return world_p


def rest_positions(skeleton: Skeleton) -> np.ndarray:
    """Joint positions (J, 3) with every rotation zero and the root at the origin, file units."""
    out = np.zeros((skeleton.n_joints, 3))
    for j, p in enumerate(skeleton.parents):
        if p >= 0:
            out[j] = out[p] + skeleton.offsets[j]
    return out
