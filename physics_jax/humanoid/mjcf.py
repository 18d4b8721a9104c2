"""Build the humanoid's MJCF from the bone table (3 hinges per non-root bone, Rx·Ry·Rz).

Collision set-up for scoring: only the four foot boxes collide, and only with the floor
(foot contype 1 / conaffinity 0, floor contype 0 / conaffinity 1, every other geom 0/0). Self
collision is measured separately from geom distances (`kernels.self_collision`), never through
reserved contacts.
"""

from __future__ import annotations

from functools import lru_cache

import mujoco

from physics_jax.humanoid.table import BONES, CONTACT_EXCLUDES, FOOT_BONES, Bone

_AXES = ("x", "y", "z")


def _fmt(values: tuple[float, ...] | list[float]) -> str:
    return " ".join(repr(float(v)) for v in values)


def _geom_xml(bone: Bone, scoring: bool) -> str:
    if scoring:
        collide = 'contype="1" conaffinity="0"' if bone.name in FOOT_BONES else (
            'contype="0" conaffinity="0"')
    else:
        collide = 'contype="1" conaffinity="1"'
    size = _fmt(bone.geom_size)
    common = f'name="{bone.name}" type="{bone.geom_type}" size="{size}" density="{bone.density!r}"'
    if bone.fromto is not None:
        return f'<geom {common} fromto="{_fmt(bone.fromto)}" {collide}/>'
    return f'<geom {common} pos="{_fmt(bone.geom_pos)}" {collide}/>'


def _body_xml(index: int, scoring: bool, joints: str, depth: int) -> str:
    bone = BONES[index]
    pad = "  " * depth
    lines = [f'{pad}<body name="{bone.name}" pos="{_fmt(bone.offset)}">']
    if bone.parent < 0:
        lines.append(f'{pad}  <freejoint name="{bone.name}"/>')
    elif joints == "ball":
        lines.append(f'{pad}  <joint name="{bone.name}" type="ball" limited="false"/>')
    else:
        for axis, half in zip(_AXES, bone.range_deg, strict=True):
            vec = _fmt(tuple(1.0 if a == axis else 0.0 for a in _AXES))
            lines.append(
                f'{pad}  <joint name="{bone.name}_{axis}" type="hinge" axis="{vec}" '
                f'range="{-half!r} {half!r}"/>')
    lines.append(f"{pad}  {_geom_xml(bone, scoring)}")
    for child, other in enumerate(BONES):
        if other.parent == index:
            lines.append(_body_xml(child, scoring, joints, depth + 1))
    lines.append(f"{pad}</body>")
    return "\n".join(lines)


def build_mjcf(scoring: bool = True, joints: str = "hinge3") -> str:
    """MJCF text of the humanoid on a floor plane at z = 0 (z-up, gravity -9.81 m/s^2).

    `joints`: "hinge3" (the published layout: hinges x, y, z per bone, nq 76) or "ball" (one
    ball joint per bone, nq 99); both have nv 75 and identical bodies.
    """
    if joints not in ("hinge3", "ball"):
        raise ValueError(f"joints must be 'hinge3' or 'ball', got {joints!r}")
    floor_collide = 'contype="0" conaffinity="1"' if scoring else 'contype="1" conaffinity="1"'
    excludes = "\n".join(
        f'    <exclude body1="{a}" body2="{b}"/>' for a, b in CONTACT_EXCLUDES)
    return f"""<mujoco model="phymotion_smpl_humanoid">
  <compiler angle="degree" autolimits="true"/>
  <option timestep="0.0333333333333" gravity="0 0 -9.81"/>
  <default>
    <joint damping="0" stiffness="0" armature="0.01" limited="true"/>
    <geom condim="3" margin="0.001" rgba="0.8 0.6 0.4 1"/>
  </default>
  <visual><global offwidth="1280" offheight="720"/></visual>
  <asset>
    <texture name="grid" type="2d" builtin="checker" rgb1="0.2 0.3 0.4" rgb2="0.3 0.4 0.5"
             width="256" height="256"/>
    <material name="grid" texture="grid" texrepeat="8 8" reflectance="0.1"/>
  </asset>
  <worldbody>
    <light pos="0 0 4" dir="0 0 -1" directional="true"/>
    <geom name="floor" type="plane" size="100 100 0.2" material="grid" {floor_collide}/>
{_body_xml(0, scoring, joints, 2)}
  </worldbody>
  <contact>
{excludes}
  </contact>
</mujoco>
"""


@lru_cache(maxsize=4)
def load_model(scoring: bool = True, joints: str = "hinge3") -> mujoco.MjModel:
    """Compiled humanoid (cached). `scoring=True`: feet-only collision with the floor."""
    return mujoco.MjModel.from_xml_string(build_mjcf(scoring, joints))
