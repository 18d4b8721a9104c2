"""Replay a clip's humanoid in MuJoCo's renderer with what `v2` judges drawn on it.

The model is the scorer's ball-joint humanoid from `humanoid.mjcf.build_mjcf` (checker floor at
z = 0); only visual fields of a private copy are changed (colours, light, offscreen size). The
body is lowered by the clip's estimated floor height so that the scorer's floor is the drawn
one. Foot boxes are coloured by `timeline.foot_states`; the residual root force (what contacts
in the friction cone cannot supply) is an arrow from the centre of mass, 1 m per body weight; a
penetrating foot gets a red disc on the floor.
"""

from __future__ import annotations

import mujoco
import numpy as np

from physics_jax.humanoid.mjcf import build_mjcf
from physics_jax.viz import timeline as tlm
from physics_jax.viz.headless import make_renderer
from physics_jax.viz.timeline import FOOT_NAMES, Timeline, foot_states

FOOT_RGBA = {
    tlm.AIR: (0.55, 0.55, 0.55, 1.0),  # grey: in the air
    tlm.CONTACT: (0.1, 0.8, 0.1, 1.0),  # green: in contact
    tlm.SLIP: (1.0, 0.55, 0.0, 1.0),  # orange: in contact and sliding
    tlm.PENETRATE: (0.9, 0.05, 0.05, 1.0),  # red: below the floor
}
BODY_RGBA = (0.8, 0.6, 0.4, 1.0)
RESIDUAL_RGBA = (0.85, 0.1, 0.85, 1.0)  # magenta arrow
PEN_DISC_RGBA = (0.9, 0.05, 0.05, 0.6)
ARROW_M_PER_BW = 1.0  # arrow length (m) per body weight of residual force
ARROW_MIN_BW = 0.02  # residual forces below this are not drawn
ARROW_WIDTH = 0.025  # m
PEN_DISC_RADIUS = 0.12  # m
CAMERA_DISTANCE, CAMERA_AZIMUTH, CAMERA_ELEVATION = 3.6, 150.0, -15.0  # m, degrees
LOOKAT_HEIGHT = 0.85  # m above the floor; the camera follows the centre of mass horizontally


def render_model(width: int, height: int) -> mujoco.MjModel:
    """A fresh copy of the scoring model (ball joints) with visual settings for replay."""
    model = mujoco.MjModel.from_xml_string(build_mjcf(scoring=True, joints="ball"))
    model.vis.global_.offwidth = max(int(model.vis.global_.offwidth), width)
    model.vis.global_.offheight = max(int(model.vis.global_.offheight), height)
    model.vis.headlight.ambient[:] = 0.35
    model.vis.headlight.diffuse[:] = 0.5
    model.vis.quality.shadowsize = 2048
    model.mat_reflectance[:] = 0.0
    model.geom_rgba[:] = BODY_RGBA
    floor = model.geom("floor").id
    model.geom_rgba[floor] = (1.0, 1.0, 1.0, 1.0)
    return model


def playback_indices(frames: int, clip_fps: float, fps: float | None) -> np.ndarray:
    """Frame indices for a video at `fps` (None: the clip's own rate) that plays in real time."""
    if fps is None or abs(fps - clip_fps) < 1e-9:
        return np.arange(frames)
    n_out = int(np.floor((frames - 1) * fps / clip_fps + 1e-9)) + 1
    return np.minimum(np.round(np.arange(n_out) * clip_fps / fps).astype(int), frames - 1)


def _add_geom(scene: mujoco.MjvScene, kind: int, size, pos, mat, rgba) -> mujoco.MjvGeom | None:
    if scene.ngeom >= scene.maxgeom:
        return None
    geom = scene.geoms[scene.ngeom]
    mujoco.mjv_initGeom(geom, kind, np.asarray(size, float), np.asarray(pos, float),
                        np.asarray(mat, float).reshape(9), np.asarray(rgba, np.float32))
    geom.category = mujoco.mjtCatBit.mjCAT_DECOR  # not always set by mjv_initGeom
    scene.ngeom += 1
    return geom


def add_arrow(scene: mujoco.MjvScene, start: np.ndarray, end: np.ndarray, rgba,
              width: float = ARROW_WIDTH) -> None:
    """Append an arrow geom from `start` to `end` (m, world) to a scene after update_scene.

    MuJoCo draws an arrow geom over half of its length `size[2]` (shaft to size/3, head to
    size/2), so the connector is laid over twice the span to end the head at `end`."""
    geom = _add_geom(scene, mujoco.mjtGeom.mjGEOM_ARROW, np.zeros(3), np.zeros(3), np.eye(3),
                     rgba)
    if geom is not None:
        start = np.asarray(start, float)
        mujoco.mjv_connector(geom, mujoco.mjtGeom.mjGEOM_ARROW, width, start,
                             start + 2.0 * (np.asarray(end, float) - start))


def add_disc(scene: mujoco.MjvScene, centre: np.ndarray, radius: float, rgba) -> None:
    """Append a flat disc (2 mm thick cylinder) centred at `centre` (m, world)."""
    _add_geom(scene, mujoco.mjtGeom.mjGEOM_CYLINDER, (radius, 0.001, 0.0), centre, np.eye(3),
              rgba)


class ClipRenderer:
    """Offscreen renderer for timelines; width x height pixels (RGB uint8 frames)."""

    def __init__(self, width: int = 640, height: int = 480):
        self.model = render_model(width, height)
        self.data = mujoco.MjData(self.model)
        self.renderer = make_renderer(self.model, width, height)
        self.foot_geoms = np.array([self.model.geom(n).id for n in FOOT_NAMES])
        self.camera = mujoco.MjvCamera()
        self.camera.type = mujoco.mjtCamera.mjCAMERA_FREE
        self.camera.distance = CAMERA_DISTANCE
        self.camera.azimuth = CAMERA_AZIMUTH
        self.camera.elevation = CAMERA_ELEVATION

    def close(self) -> None:
        self.renderer.close()

    def __enter__(self) -> ClipRenderer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def render(self, tl: Timeline, indices: np.ndarray | None = None) -> np.ndarray:
        """Frames (N, H, W, 3) uint8 of `tl` at `indices` (default: every frame)."""
        idx = np.arange(tl.frames) if indices is None else np.asarray(indices)
        states = foot_states(tl)
        height = self.renderer.height
        width = self.renderer.width
        out = np.empty((len(idx), height, width, 3), np.uint8)
        for k, t in enumerate(idx):
            self._pose(tl, int(t), states[t])
            self.renderer.update_scene(self.data, self.camera)
            self._overlay(tl, int(t), states[t])
            self.renderer.render(out=out[k])
        return out

    def _pose(self, tl: Timeline, t: int, state: np.ndarray) -> None:
        qpos = tl.qpos[t].copy()
        qpos[2] -= tl.floor
        self.data.qpos[:] = qpos
        mujoco.mj_kinematics(self.model, self.data)
        for geom, s in zip(self.foot_geoms, state, strict=True):
            self.model.geom_rgba[geom] = FOOT_RGBA[int(s)]
        com = tl.com[t]
        self.camera.lookat[:] = (com[0], com[1], LOOKAT_HEIGHT)

    def _overlay(self, tl: Timeline, t: int, state: np.ndarray) -> None:
        scene = self.renderer.scene
        com = tl.com[t] - np.array([0.0, 0.0, tl.floor])
        resid = tl.residual_force[t] / tl.body_weight
        if np.linalg.norm(resid) > ARROW_MIN_BW:
            add_arrow(scene, com, com + ARROW_M_PER_BW * resid, RESIDUAL_RGBA)
        for geom, s in zip(self.foot_geoms, state, strict=True):
            if s == tlm.PENETRATE:
                x, y, _ = self.data.geom_xpos[geom]
                add_disc(scene, (x, y, 0.002), PEN_DISC_RADIUS, PEN_DISC_RGBA)
