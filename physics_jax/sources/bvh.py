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
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from physics_jax.sources.errors import MotionFormatError, line_field
from physics_jax.sources.rotations import euler_to_quat, quat_to_matrix
from physics_jax.sources.textio import parse_floats, parse_table, read_lines

CHANNEL_NAMES = ("Xposition", "Yposition", "Zposition", "Xrotation", "Yrotation", "Zrotation")
_CHANNEL_LOOKUP = {c.lower(): c for c in CHANNEL_NAMES}


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


def _parse_joint(tokens: _Tokens, build: _Builder, parent: int, line: int) -> None:
    name_parts: list[str] = []
    while True:
        tok, tok_line = tokens.take("'{'")
        if tok == "{":
            break
        name_parts.append(tok)
    if not name_parts:
        raise MotionFormatError(tokens.path, line_field(line), "joint without a name")
    j = build.add(" ".join(name_parts), parent, end=False)
    has_offset = False
    while True:
        tok, tok_line = tokens.take("'}'")
        key = tok.upper()
        if key == "OFFSET":
            build.offsets[j] = tokens.floats(3, "three OFFSET values")
            has_offset = True
        elif key == "CHANNELS":
            build.channels[j] = _parse_channels(tokens, tok_line)
        elif key == "JOINT":
            _parse_joint(tokens, build, j, tok_line)
        elif key == "END":
            tokens.expect("Site")
            _parse_end_site(tokens, build, j, tok_line)
        elif tok == "}":
            break
        else:
            raise MotionFormatError(tokens.path, line_field(tok_line),
                                    f"unexpected {tok!r} in joint {build.names[j]!r}")
    if not has_offset:
        raise MotionFormatError(tokens.path, line_field(line),
                                f"joint {build.names[j]!r} has no OFFSET")


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
    _parse_joint(tokens, build, -1, root_line)
    extra = tokens.peek()
    if extra is not None:
        what = "a second ROOT (not supported)" if extra[0].upper() == "ROOT" else repr(extra[0])
        raise MotionFormatError(path, line_field(extra[1]), f"unexpected {what} after the ROOT")
    return build.skeleton()


def _header_value(lines: list[str], i: int, key: str, path: str) -> str:
    """The value after `key:` on line index i (e.g. 'Frames: 471')."""
    if i >= len(lines):
        raise MotionFormatError(path, line_field(i + 1), f"missing '{key}:' line")
    text = lines[i].strip()
    head, sep, value = text.partition(":")
    if not sep or " ".join(head.split()).lower() != key.lower():
        raise MotionFormatError(path, line_field(i + 1), f"expected '{key}: ...', got {text!r}")
    return value.strip()


def _frame_rate(frame_time: float) -> float:
    """1 / frame_time, snapped to the nearest integer when within 0.02 % (rounded headers)."""
    fps = 1.0 / frame_time
    nearest = round(fps)
    return float(nearest) if nearest > 0 and abs(fps - nearest) < 2e-4 * fps else fps


def _read_motion(lines: list[str], start: int, n_channels: int, path: str
                 ) -> tuple[np.ndarray, float]:
    """The MOTION section from line index `start` (the MOTION line): values (T, C) and fps."""
    frames_text = _header_value(lines, start + 1, "Frames", path)
    if not frames_text.isdigit() or int(frames_text) < 1:
        raise MotionFormatError(path, line_field(start + 2),
                                f"Frames must be a positive whole number, got {frames_text!r}")
    n_frames = int(frames_text)
    time_text = _header_value(lines, start + 2, "Frame Time", path)
    frame_time = parse_floats([time_text], path, start + 3)[0] if time_text else 0.0
    if frame_time <= 0:
        raise MotionFormatError(path, line_field(start + 3),
                                f"Frame Time must be positive, got {time_text!r}")
    rows: list[list[str]] = []
    row_lines: list[int] = []
    for i in range(start + 3, len(lines)):
        tokens = lines[i].split()
        if not tokens:
            continue
        if len(tokens) != n_channels:
            raise MotionFormatError(path, line_field(i + 1),
                                    f"{len(tokens)} values, expected {n_channels} "
                                    "(the CHANNELS declared in the HIERARCHY)")
        rows.append(tokens)
        row_lines.append(i + 1)
    if len(rows) != n_frames:
        state = "truncated" if len(rows) < n_frames else "extra data lines"
        raise MotionFormatError(path, line_field(start + 2),
                                f"Frames: {n_frames} but the file has {len(rows)} data lines "
                                f"({state})")
    return parse_table(rows, row_lines, path), _frame_rate(frame_time)


def _split_channels(skeleton: Skeleton, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
    src = str(path)
    lines = read_lines(path)
    motion_at = next((i for i, line in enumerate(lines)
                      if line.strip().upper() == "MOTION"), None)
    if motion_at is None:
        raise MotionFormatError(src, "MOTION", "no MOTION section")
    skeleton = _parse_hierarchy(lines, motion_at, src)
    if skeleton.n_channels == 0:
        raise MotionFormatError(src, "HIERARCHY", "no CHANNELS declared")
    values, fps = _read_motion(lines, motion_at, skeleton.n_channels, src)
    rotations, translations = _split_channels(skeleton, values)
    return BvhMotion(skeleton, rotations, translations, fps, src)


def forward_kinematics(motion: BvhMotion) -> np.ndarray:
    """World positions of every joint (end sites included), (T, J, 3), file units and axes."""
    skel = motion.skeleton
    local_r = quat_to_matrix(motion.rotations)
    t = motion.translations
    world_r = np.empty_like(local_r)
    world_p = np.empty_like(t)
    for j, p in enumerate(skel.parents):
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
