"""Acclaim ASF skeletons and AMC motions (the CMU mocap format), with forward kinematics.

Conventions (Acclaim, as used by the CMU database):

- Lengths (bone `length`, root translation) are in ASF units: value / L is in inches, L being
  `:units length` (CMU's convention), so metres = value / L · 0.0254 (CMU: L = 0.45, 0.056444 m
  per unit). Angles are in `:units angle deg|rad` (an AMC `:DEGREES` / `:RADIANS`
  header overrides).
- Every bone has a rest direction (global frame, unit vector) and an `axis a b c ORDER`: the
  orientation C of its local frame, Euler angles about the axes of ORDER, listed and applied in
  that order (first letter first; CMU always uses XYZ). The
  AMC rotation M of a bone is built the same way from its `dof` values in the listed order
  (`dof rx ry rz`: x first). The bone's world rotation is W = W_parent · C · M · C⁻¹ and its end
  is start + length · W · direction, its start being the parent's end (the root's position for
  bones hanging from the root).
- The root's AMC values follow `:root order` (e.g. TX TY TZ RX RY RZ); its rotation composes in
  the `axis` order, and the AMC translation replaces the rest `position`.
- Only rotational dofs (rx, ry, rz) are supported on bones.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from physics_jax.sources.errors import MotionFormatError, line_field
from physics_jax.sources.rotations import euler_to_quat, quat_to_matrix
from physics_jax.sources.textio import parse_floats, parse_table, read_lines

METRES_PER_INCH = 0.0254
_ROTATION_DOFS = ("rx", "ry", "rz")
_ROOT_CHANNELS = ("TX", "TY", "TZ", "RX", "RY", "RZ")


@dataclass(frozen=True)
class AsfBone:
    """One ASF bone: direction (3,) unit vector, length in ASF units, axis (3,) radians."""

    name: str
    parent: str
    direction: np.ndarray
    length: float
    axis: np.ndarray
    axis_order: str
    dof: tuple[str, ...]


@dataclass(frozen=True)
class AsfSkeleton:
    """An ASF file: root channels and bones, each bone after its parent ("root" is the root).

    length_unit: the `:units length` value; angles (axis, orientation) already in radians.
    """

    source: str
    length_unit: float
    degrees: bool
    root_order: tuple[str, ...]
    root_axis: str
    root_position: np.ndarray
    root_orientation: np.ndarray
    bones: tuple[AsfBone, ...]

    @property
    def metres_per_unit(self) -> float:
        """Metres per ASF length unit: 0.0254 / length (0.056444 for CMU's 0.45)."""
        return METRES_PER_INCH / self.length_unit

    def bone(self, name: str) -> AsfBone:
        """The bone called `name`; KeyError when absent."""
        for b in self.bones:
            if b.name == name:
                return b
        raise KeyError(name)


@dataclass(frozen=True)
class AmcMotion:
    """An AMC file: values[bone] (T, n_dof) in file order and units; root as `root_order`.

    degrees tells the angle unit of the values; frame_ids (T,) are the file's frame numbers.
    """

    source: str
    frame_ids: np.ndarray
    values: dict[str, np.ndarray]
    degrees: bool

    @property
    def n_frames(self) -> int:
        return int(self.frame_ids.shape[0])


def _floats(tokens: list[str], n: int, path: str, line: int, what: str) -> np.ndarray:
    if len(tokens) != n:
        raise MotionFormatError(path, line_field(line), f"{what}: {len(tokens)} values, "
                                f"expected {n}")
    return parse_floats(tokens, path, line)


def _axis_order(token: str, path: str, line: int) -> str:
    order = token.upper()
    if len(order) != 3 or sorted(order) != ["X", "Y", "Z"]:
        raise MotionFormatError(path, line_field(line), f"axis order {token!r} is not a "
                                "permutation of XYZ")
    return order


def _read_bone(block: dict[str, tuple[list[str], int]], begin: int, path: str,
               degrees: bool) -> tuple[str, dict]:
    for key in ("name", "direction", "length"):
        if key not in block:
            raise MotionFormatError(path, line_field(begin), f"bone block has no '{key}'")
    name_tokens, name_line = block["name"]
    if len(name_tokens) != 1:
        raise MotionFormatError(path, line_field(name_line), "bone name must be one word")
    tokens, line = block["direction"]
    direction = _floats(tokens, 3, path, line, "direction")
    norm = float(np.linalg.norm(direction))
    if norm == 0.0:
        raise MotionFormatError(path, line_field(line), "zero direction")
    tokens, line = block["length"]
    length = _floats(tokens, 1, path, line, "length")[0]
    if length < 0:
        raise MotionFormatError(path, line_field(line), f"negative length {length}")
    axis, order = np.zeros(3), "XYZ"
    if "axis" in block:
        tokens, line = block["axis"]
        axis = _floats(tokens[:3], 3, path, line, "axis")
        order = _axis_order(tokens[3], path, line) if len(tokens) > 3 else "XYZ"
    dof: tuple[str, ...] = ()
    if "dof" in block:
        tokens, line = block["dof"]
        dof = tuple(t.lower() for t in tokens)
        bad = [d for d in dof if d not in _ROTATION_DOFS]
        if bad or len(set(dof)) != len(dof):
            raise MotionFormatError(path, line_field(line), f"unsupported dof {tokens} "
                                    "(rotations rx ry rz only, each once)")
    return name_tokens[0], {
        "direction": direction / norm, "length": float(length),
        "axis": np.deg2rad(axis) if degrees else axis, "axis_order": order, "dof": dof}


def _order_bones(bones: dict[str, dict], children: dict[str, list[str]], path: str
                 ) -> tuple[AsfBone, ...]:
    out: list[AsfBone] = []
    queue = ["root"]
    while queue:
        parent = queue.pop(0)
        for child in children.get(parent, []):
            out.append(AsfBone(child, parent, **bones[child]))
            queue.append(child)
    missing = sorted(set(bones) - {b.name for b in out})
    if missing:
        raise MotionFormatError(path, ":hierarchy", f"bones not reachable from root: {missing}")
    return tuple(out)


def parse_asf(path: str | Path) -> AsfSkeleton:
    """Read an ASF skeleton; MotionFormatError names the file and line of any defect."""
    src = str(path)
    lines = read_lines(path)
    section = ""
    units: dict[str, str] = {}
    root: dict[str, tuple[list[str], int]] = {}
    blocks: list[tuple[int, dict[str, tuple[list[str], int]]]] = []
    block: dict[str, tuple[list[str], int]] | None = None
    hierarchy: list[tuple[int, list[str]]] = []
    for i, raw in enumerate(lines, start=1):
        tokens = raw.split()
        if not tokens or tokens[0].startswith("#"):
            continue
        if tokens[0].startswith(":"):
            section = tokens[0][1:].lower()
            continue
        key = tokens[0].lower()
        if section == "units":
            units[key] = tokens[1] if len(tokens) > 1 else ""
        elif section == "root":
            root[key] = (tokens[1:], i)
        elif section == "bonedata":
            if key == "begin":
                block = {}
                blocks.append((i, block))
            elif key == "end":
                block = None
            elif block is None:
                raise MotionFormatError(src, line_field(i), f"{tokens[0]!r} outside begin/end")
            elif not key.startswith("("):
                block[key] = (tokens[1:], i)
        elif section == "hierarchy" and key not in ("begin", "end"):
            hierarchy.append((i, tokens))
    try:
        length_unit = float(units.get("length", "1"))
    except ValueError:
        raise MotionFormatError(src, ":units length", f"not a number: {units['length']!r}"
                                ) from None
    if not np.isfinite(length_unit) or length_unit <= 0:
        raise MotionFormatError(src, ":units length", f"must be positive, got {length_unit}")
    angle = units.get("angle", "deg").lower()
    if angle not in ("deg", "rad"):
        raise MotionFormatError(src, ":units angle", f"expected deg or rad, got {angle!r}")
    degrees = angle == "deg"
    if not blocks:
        raise MotionFormatError(src, ":bonedata", "no bones")
    bones: dict[str, dict] = {}
    for begin, blk in blocks:
        name, fields = _read_bone(blk, begin, src, degrees)
        if name in bones or name == "root":
            raise MotionFormatError(src, line_field(blk["name"][1]), f"duplicate bone {name!r}")
        bones[name] = fields
    children = _read_hierarchy(hierarchy, bones, src)
    return _make_skeleton(src, root, length_unit, degrees, _order_bones(bones, children, src))


def _read_hierarchy(rows: list[tuple[int, list[str]]], bones: dict[str, dict], path: str
                    ) -> dict[str, list[str]]:
    """`parent child child ...` rows as parent -> children, every name checked."""
    children: dict[str, list[str]] = {}
    parent_line: dict[str, int] = {}
    for line, (parent, *kids) in rows:
        for name in (parent, *kids):
            if name != "root" and name not in bones:
                raise MotionFormatError(path, line_field(line),
                                        f"hierarchy names unknown bone {name!r}")
        for child in kids:
            if child in parent_line or child == "root":
                raise MotionFormatError(path, line_field(line), f"bone {child!r} has a second "
                                        "parent")
            parent_line[child] = line
        children.setdefault(parent, []).extend(kids)
    return children


def _make_skeleton(src: str, root: dict[str, tuple[list[str], int]], length_unit: float,
                   degrees: bool, bones: tuple[AsfBone, ...]) -> AsfSkeleton:
    order_tokens, order_line = root.get("order", (list(_ROOT_CHANNELS), 0))
    order = tuple(t.upper() for t in order_tokens)
    if any(c not in _ROOT_CHANNELS for c in order) or len(set(order)) != len(order):
        raise MotionFormatError(src, line_field(order_line), f"root order {order_tokens} "
                                "must use TX TY TZ RX RY RZ, each once")
    axis_tokens, axis_line = root.get("axis", (["XYZ"], 0))
    axis = _axis_order(axis_tokens[0] if axis_tokens else "", src, axis_line)
    vectors = {}
    for key in ("position", "orientation"):
        tokens, line = root.get(key, (["0", "0", "0"], 0))
        vectors[key] = _floats(tokens, 3, src, line, f"root {key}")
    orientation = np.deg2rad(vectors["orientation"]) if degrees else vectors["orientation"]
    return AsfSkeleton(src, length_unit, degrees, order, axis, vectors["position"],
                       orientation, bones)


def parse_amc(path: str | Path, skeleton: AsfSkeleton) -> AmcMotion:
    """Read an AMC motion against its ASF skeleton; errors name the file and line.

    Frame numbers must be consecutive and every frame must list every bone that has dofs.
    """
    src = str(path)
    lines = read_lines(path)
    n_values = {"root": len(skeleton.root_order)}
    n_values.update({b.name: len(b.dof) for b in skeleton.bones if b.dof})
    rows: dict[str, list[list[str]]] = {name: [] for name in n_values}
    row_lines: dict[str, list[int]] = {name: [] for name in n_values}
    frame_ids: list[int] = []
    frame_lines: list[int] = []
    degrees = skeleton.degrees
    for i, raw in enumerate(lines, start=1):
        tokens = raw.split()
        if not tokens or tokens[0].startswith("#"):
            continue
        if tokens[0].startswith(":"):
            flag = tokens[0].upper()
            degrees = True if flag == ":DEGREES" else False if flag == ":RADIANS" else degrees
            continue
        if len(tokens) == 1 and tokens[0].isdigit():
            _check_frame_complete(rows, frame_ids, frame_lines, src)
            frame_id = int(tokens[0])
            if frame_ids and frame_id != frame_ids[-1] + 1:
                raise MotionFormatError(src, line_field(i), f"frame {frame_id} follows frame "
                                        f"{frame_ids[-1]} (frames must be consecutive)")
            frame_ids.append(frame_id)
            frame_lines.append(i)
            continue
        name = tokens[0]
        if not frame_ids:
            raise MotionFormatError(src, line_field(i), f"{name!r} before the first frame "
                                    "number")
        if name not in n_values:
            known = name in {b.name for b in skeleton.bones}
            why = "has no dof in the ASF" if known else "is not a bone of the ASF"
            raise MotionFormatError(src, line_field(i), f"bone {name!r} {why} "
                                    f"({skeleton.source})")
        if len(tokens) - 1 != n_values[name]:
            raise MotionFormatError(src, line_field(i), f"bone {name!r}: {len(tokens) - 1} "
                                    f"values, the ASF gives it {n_values[name]} dof")
        if len(rows[name]) == len(frame_ids):
            raise MotionFormatError(src, line_field(i), f"bone {name!r} twice in frame "
                                    f"{frame_ids[-1]}")
        rows[name].append(tokens[1:])
        row_lines[name].append(i)
    if not frame_ids:
        raise MotionFormatError(src, "frames", "no frames")
    _check_frame_complete(rows, frame_ids, frame_lines, src)
    values = {name: parse_table(rows[name], row_lines[name], src) for name in n_values}
    return AmcMotion(src, np.array(frame_ids), values, degrees)


def _check_frame_complete(rows: dict[str, list[list[str]]], frame_ids: list[int],
                          frame_lines: list[int], path: str) -> None:
    if not frame_ids:
        return
    missing = [name for name, r in rows.items() if len(r) < len(frame_ids)]
    if missing:
        raise MotionFormatError(path, line_field(frame_lines[-1]), f"frame {frame_ids[-1]} "
                                f"lacks {', '.join(missing[:5])}"
                                f"{' ...' if len(missing) > 5 else ''} (truncated?)")


def _frame_matrix(angles: np.ndarray, order: str, degrees: bool) -> np.ndarray:
    """Rotation matrices (T, 3, 3) from angles (T, k), first letter of `order` applied first."""
    return quat_to_matrix(euler_to_quat(angles, order.lower(), degrees))


def forward_kinematics(skeleton: AsfSkeleton, motion: AmcMotion
                       ) -> tuple[tuple[str, ...], np.ndarray]:
    """World positions (T, P, 3) in ASF units and axes, and their names (P,).

    Points: "root", the start of every bone (named after the bone), and `<bone>_end` for the
    end of every bone without children.
    """
    n = motion.n_frames
    root_values = motion.values["root"]
    col = {c: k for k, c in enumerate(skeleton.root_order)}
    position = np.repeat(skeleton.root_position[None], n, axis=0)
    for a, c in enumerate(("TX", "TY", "TZ")):
        if c in col:
            position[:, a] = root_values[:, col[c]]
    angles = np.stack([root_values[:, col[f"R{a}"]] if f"R{a}" in col else np.zeros(n)
                       for a in skeleton.root_axis], axis=1)
    rot = _frame_matrix(angles, skeleton.root_axis, motion.degrees)
    orient = _frame_matrix(skeleton.root_orientation[None], skeleton.root_axis, False)[0]
    world = {"root": orient @ rot @ orient.T}
    ends = {"root": position}
    names, points = ["root"], [position]
    parents = {b.parent for b in skeleton.bones}
    for bone in skeleton.bones:
        c = _frame_matrix(bone.axis[None], bone.axis_order, False)[0]
        if bone.dof:
            m = _frame_matrix(motion.values[bone.name], "".join(d[1] for d in bone.dof),
                              motion.degrees)
            w = world[bone.parent] @ (c @ m @ c.T)
        else:
            w = np.broadcast_to(world[bone.parent], (n, 3, 3))
        world[bone.name] = w
        start = ends[bone.parent]
        ends[bone.name] = start + bone.length * (w @ bone.direction)
        names.append(bone.name)
        points.append(start)
        if bone.name not in parents:
            names.append(f"{bone.name}_end")
            points.append(ends[bone.name])
    return tuple(names), np.stack(points, axis=1)


def rest_forward_kinematics(skeleton: AsfSkeleton) -> tuple[tuple[str, ...], np.ndarray]:
    """Rest-pose points (P, 3) in ASF units (all dofs zero, root at its rest position)."""
    root = np.zeros((1, len(skeleton.root_order)))
    for k, channel in enumerate(skeleton.root_order):
        if channel.startswith("T"):
            root[0, k] = skeleton.root_position["XYZ".index(channel[1])]
    values = {"root": root}
    values.update({b.name: np.zeros((1, len(b.dof))) for b in skeleton.bones if b.dof})
    names, points = forward_kinematics(skeleton, AmcMotion("<rest>", np.zeros(1), values,
                                                           skeleton.degrees))
    return names, points[0]
