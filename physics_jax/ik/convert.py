"""Motion files to the project's SmplClip in one batch: joint-position sources (BVH, ASF/AMC,
HumanML3D npy) through one inverse-kinematics fit, SMPL-parameter sources (project npz,
AMASS / AIST++ npz, GVHMR .pt) directly; all resampled to one output rate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from scipy.spatial.transform import Rotation

from physics_jax.errors import MotionFormatError, require_file
from physics_jax.ik.fit import fit_joints
from physics_jax.ik.fk import bone_frames
from physics_jax.ik.normalize import floor_heights, scale_factors, sole_floor
from physics_jax.ik.retarget import resample_clip
from physics_jax.ik.skeleton import FOOT_BOX_BONES, FOOT_BOX_CORNERS, N_TARGETS
from physics_jax.kernels.rotation import R_YZ, axis_angle_to_matrix
from physics_jax.motion.clip import SmplClip, make_clip
from physics_jax.motion.readers import MOTION_SUFFIXES, expand_paths, load_motion
from physics_jax.sources.floor_check import below_floor_share
from physics_jax.sources.joint_motion import JointMotion
from physics_jax.sources.load import JOINT_SUFFIXES, load_joint_motion
from physics_jax.sources.resample import resample
from physics_jax.sources.rotations import slerp

SOURCE_SUFFIXES = JOINT_SUFFIXES + MOTION_SUFFIXES
CMU_AMC_FPS = 120.0
"""Frame rate assumed for AMC files when none is given: CMU's capture rate (a few subjects
were captured at 60 fps; see the data README)."""
IK_WINDOW = 4096
"""Frames per inverse-kinematics call (`fit_joints`): bounds the fit's memory and is the step
of the progress reports. Shorter clips are fitted several to a call, longer ones in
overlapping windows."""
IK_OVERLAP = 64
"""Frames shared by neighbouring windows of a long clip; each window's result is kept up to
the middle of the overlap (away from the window's ends, where the tracking sweep starts)."""
Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): stage "reading" (files read so far, of all) or "fitting"
(frames fitted so far, of all)."""


@dataclass(frozen=True)
class Source:
    """One motion file to convert.

    asf: the skeleton of an AMC file (default: `<subject>.asf` beside it, CMU's naming);
    fps: the frame rate of a file that stores none (AMC: 120 when None; HumanML3D npy: 20
    when None; AIST++ npz, GVHMR .pt: required); files that store a rate (BVH, npz with `fps`
    or `mocap_framerate`) keep theirs. skip: frames dropped at the start (e.g. the synthetic
    T-pose frame that starts the cgspeed BVH conversions of CMU).
    """

    path: Path
    asf: Path | None = None
    fps: float | None = None
    skip: int = 0


@dataclass
class Converted:
    """A converted clip: the SMPL parameters, the source's frame rate, and for joint sources
    the applied scale, the mean joint fit error (cm) and the share of source frames with a foot
    joint below the source's floor (`sources.floor_check.below_floor_share`); None for SMPL
    sources."""

    source: Path
    clip: SmplClip
    source_fps: float
    scale: float | None = None
    fit_error_cm: float | None = None
    below_floor: float | None = None


def expand_sources(paths: list[str | Path]) -> list[Path]:
    """Folders become the motion files inside them (sorted, recursive; ASF skeletons are not
    motion files and are skipped)."""
    return expand_paths(paths, SOURCE_SUFFIXES)


def default_asf(amc: Path) -> Path | None:
    """CMU's skeleton file for an AMC take: `<subject>.asf` beside `<subject>_<trial>.amc`."""
    candidate = amc.with_name(amc.stem.split("_")[0] + ".asf")
    return candidate if candidate.is_file() else None


def load_source(src: Source) -> JointMotion | SmplClip:
    """Read one source: a JointMotion for joint-position formats, an SmplClip for SMPL ones;
    MotionFormatError naming the file and the field or line for any defect."""
    path = require_file(src.path)
    suffix = path.suffix.lower()
    if suffix in MOTION_SUFFIXES:
        motion: JointMotion | SmplClip = _load_smpl(path, src.fps)
    elif suffix == ".amc":
        asf = src.asf or default_asf(path)
        if asf is None:
            raise MotionFormatError(str(path), "asf", "no skeleton: pass --asf (CMU names it "
                                    f"{path.stem.split('_')[0]}.asf)")
        motion = load_joint_motion(path, asf=asf, fps=src.fps or CMU_AMC_FPS)
    elif suffix == ".bvh":
        motion = load_joint_motion(path)
    elif suffix in JOINT_SUFFIXES:
        motion = load_joint_motion(path, fps=src.fps)
    else:
        raise MotionFormatError(str(path), "file", f"unknown motion format {suffix!r} "
                                f"(expected one of {', '.join(SOURCE_SUFFIXES)})")
    return _skip(motion, src.skip, str(path))


def _load_smpl(path: Path, fps: float | None) -> SmplClip:
    """An SMPL-parameter file at its stored rate, or at `fps` when it stores none."""
    try:
        return load_motion(path)
    except MotionFormatError as exc:
        if exc.field != "fps" or fps is None:
            raise
    return load_motion(path, fps)


def _skip(motion: JointMotion | SmplClip, skip: int, source: str) -> JointMotion | SmplClip:
    if skip < 0:
        raise MotionFormatError(source, "skip", f"must be >= 0, got {skip}")
    if skip == 0:
        return motion
    if isinstance(motion, JointMotion):
        if motion.n_frames <= skip:
            raise MotionFormatError(source, "frames", f"{motion.n_frames} frames, skip {skip}")
        return replace(motion, positions=motion.positions[skip:])
    return make_clip(motion.global_orient[skip:], motion.body_pose[skip:],
                     motion.transl[skip:], motion.fps, motion.betas, motion.source)


def convert_sources(sources: list[Source], fps_out: float | None = 30.0, *,
                    window: int | None = None, progress: Progress | None = None
                    ) -> list[Converted]:
    """Convert every source (all read first, so a bad file stops the run before any work).
    Joint sources are fitted `window` frames (default IK_WINDOW) per `fit_joints` call: short
    clips several to a call, long ones in overlapping windows, so memory stays bounded however
    long the clips. fps_out None keeps each source's rate. progress (see `Progress`) is told
    before each file is read and each fit starts, and when all are done."""
    window = window or IK_WINDOW
    loaded = _read_all(sources, progress)
    out: list[Converted | None] = [None] * len(sources)
    joints = _joint_sources(loaded, sources, fps_out, out)
    names = [str(sources[i].path) for i in joints.index]
    for k, fit in enumerate(fit_motions(joints.motions, names, window, progress)):
        i = joints.index[k]
        out[i] = Converted(sources[i].path, fit.clip, joints.source_fps[k], fit.scale,
                           fit.fit_error_cm, joints.below_floor[k])
    return [c for c in out if c is not None]


@dataclass
class _JointSources:
    """The joint sources to fit: their index among all sources, the motions at the output
    rate, and the source's rate and below-floor share (`floor_check`) of each."""

    index: list[int]
    motions: list[JointMotion]
    source_fps: list[float]
    below_floor: list[float]


def _joint_sources(loaded: list, sources: list[Source], fps_out: float | None,
                   out: list[Converted | None]) -> _JointSources:
    """SMPL sources resampled into `out`; joint sources resampled for the fit. Each entry of
    `loaded` is cleared once used, so a long source's copy at its own rate is not kept."""
    joints = _JointSources([], [], [], [])
    for i in range(len(loaded)):
        m, loaded[i] = loaded[i], None
        if isinstance(m, SmplClip):
            out[i] = Converted(sources[i].path, resample_clip(m, fps_out), m.fps)
            continue
        joints.index.append(i)
        joints.source_fps.append(m.fps)
        joints.below_floor.append(below_floor_share(m))
        joints.motions.append(resample(m, fps_out) if fps_out not in (None, m.fps) else m)
    return joints


def _read_all(sources: list[Source], progress: Progress | None
              ) -> list[JointMotion | SmplClip | None]:
    """Every source read (`load_source`), progress told "reading" before each and at the end."""
    loaded: list[JointMotion | SmplClip | None] = []
    for k, src in enumerate(sources):
        if progress is not None:
            progress("reading", k, len(sources))
        loaded.append(load_source(src))
    if progress is not None:
        progress("reading", len(sources), len(sources))
    return loaded


@dataclass
class ClipFit:
    """One joint clip fitted: the clip, the applied scale and the mean joint fit error (cm)."""

    clip: SmplClip
    scale: float
    fit_error_cm: float


def fit_motions(motions: list[JointMotion], names: list[str], window: int = IK_WINDOW,
                progress: Progress | None = None) -> list[ClipFit]:
    """Fit joint clips with at most `window` frames per `fit_joints` call (see
    `convert_sources`); names: each clip's source, named in errors; progress: told "fitting"
    with the frames done before the first call and after each."""
    total = sum(m.n_frames for m in motions)
    done = 0

    def advance(frames: int) -> None:
        nonlocal done
        done += frames
        if progress is not None:
            progress("fitting", done, total)

    advance(0)
    fits: list[ClipFit | None] = [None] * len(motions)
    for group in _groups([m.n_frames for m in motions], window):
        group_fits = _fit_group([motions[i] for i in group], [names[i] for i in group])
        for i, fit in zip(group, group_fits, strict=True):
            fits[i] = fit
        advance(sum(motions[i].n_frames for i in group))
    for i, m in enumerate(motions):
        if m.n_frames > window:
            fits[i] = _fit_long(m, names[i], window, advance)
    return [f for f in fits if f is not None]


def _groups(lengths: list[int], window: int) -> list[list[int]]:
    """Indices of the clips of at most `window` frames, in order, packed into groups of at most
    `window` frames in all."""
    groups: list[list[int]] = []
    size = window
    for i, n in enumerate(lengths):
        if n > window:
            continue
        if size + n > window:
            groups.append([])
            size = 0
        groups[-1].append(i)
        size += n
    return groups


def _fit_group(motions: list[JointMotion], names: list[str]) -> list[ClipFit]:
    """Clips fitted together by one `fit_joints` call (padded to the longest)."""
    lengths = np.array([m.n_frames for m in motions])
    joints = np.stack([np.concatenate([m.positions, np.repeat(m.positions[-1:],
                                       lengths.max() - m.n_frames, axis=0)])
                       for m in motions])
    fit = fit_joints(joints, lengths, np.array([m.fps for m in motions]))
    return [ClipFit(fit.clip(k, source=name), float(fit.scale[k]), float(fit.fit_error_cm[k]))
            for k, name in enumerate(names)]


def window_starts(frames: int, window: int, overlap: int = IK_OVERLAP) -> list[int]:
    """First frames of the overlapping windows that cover a clip longer than `window`: every
    `window - overlap` frames (overlap at most a quarter of the window), the last window
    ending at the clip's end."""
    step = window - min(overlap, window // 4)
    return [*range(0, frames - window, step), frames - window]


def _fit_long(motion: JointMotion, name: str, window: int, advance: Callable[[int], None]
              ) -> ClipFit:
    """A clip longer than `window` frames fitted window by window: scaled and floored as one
    clip first, neighbouring windows cross-faded over their overlap (rotations slerped), the
    fitted soles put on z = 0 and the fit error measured over the whole clip (as `fit_joints`
    does for one call)."""
    frames = motion.n_frames
    x = motion.positions[None].copy()
    w = np.broadcast_to(1.0, x.shape[:3])  # every joint present (JointMotion is finite)
    mask = np.ones((1, frames), dtype=bool)
    scale = scale_factors(x, w, mask)
    x *= scale[:, None, None, None]
    x[..., 2] -= floor_heights(x, w, mask)[:, None, None]
    go, bp, tr = np.empty((frames, 3)), np.empty((frames, 69)), np.empty((frames, 3))
    done = 0
    for start in window_starts(frames, window):
        fit = fit_joints(x[:, start:start + window], [window], motion.fps,
                         scale_to_humanoid=False, floor_to_zero=False)
        new = (fit.global_orient[0], fit.body_pose[0], fit.transl[0])
        overlap = done - start
        if overlap > 0:
            new = _cross_fade((go[start:done], bp[start:done], tr[start:done]), new, overlap)
        for out, part in zip((go, bp, tr), new, strict=True):
            out[start:start + window] = part
        advance(start + window - done)
        done = start + window
    sole, err = _fk_checks(go, bp, tr, x[0], window)
    tr[:, 1] -= sole_floor(sole[None], mask)[0]
    clip = make_clip(go, bp, tr, motion.fps, None, name)
    return ClipFit(clip, float(scale[0]), float(err.mean()) * 100.0 / N_TARGETS)


def _cross_fade(old: tuple[np.ndarray, ...], new: tuple[np.ndarray, ...], overlap: int
                ) -> tuple[np.ndarray, ...]:
    """A window's (global_orient, body_pose, transl) whose first `overlap` frames move from the
    previous window's result `old` to its own: rotations slerped, translation blended."""
    weight = np.arange(1, overlap + 1) / (overlap + 1)
    go, bp, tr = (a.copy() for a in new)
    for ours, theirs in ((go, old[0]), (bp, old[1])):
        q0 = _quat(theirs)
        q1 = _quat(ours[:overlap])
        ours[:overlap] = _rotvec(slerp(q0, q1, weight[:, None]))
    tr[:overlap] = (1 - weight[:, None]) * old[2] + weight[:, None] * tr[:overlap]
    return go, bp, tr


def _quat(rotvec: np.ndarray) -> np.ndarray:
    """(T, 3k) axis-angle -> (T, k, 4) quaternions, w first."""
    q = Rotation.from_rotvec(rotvec.reshape(-1, 3)).as_quat(scalar_first=True)
    return q.reshape(len(rotvec), -1, 4)


def _rotvec(quat: np.ndarray) -> np.ndarray:
    """(T, k, 4) quaternions -> (T, 3k) axis-angle."""
    v = Rotation.from_quat(quat.reshape(-1, 4), scalar_first=True).as_rotvec()
    return v.reshape(len(quat), -1)


@jax.jit
def _fk_terms(global_orient: jnp.ndarray, body_pose: jnp.ndarray, transl: jnp.ndarray,
              targets: jnp.ndarray) -> tuple[jnp.ndarray, jnp.ndarray]:
    ryz = jnp.asarray(R_YZ, transl.dtype)
    root_rot = ryz @ axis_angle_to_matrix(global_orient)
    local = axis_angle_to_matrix(body_pose.reshape(body_pose.shape[0], -1, 3))
    pos, rot = bone_frames(transl @ ryz.T, root_rot, local)
    boxes = jnp.asarray(FOOT_BOX_BONES)
    corners = jnp.einsum("nbij,bkj->nbki", rot[:, boxes],
                         jnp.asarray(FOOT_BOX_CORNERS, transl.dtype))
    sole = jnp.min(corners[..., 2] + pos[:, boxes][:, :, None, 2], axis=(1, 2))
    return sole, jnp.linalg.norm(pos[:, :N_TARGETS] - targets, axis=-1).sum(axis=-1)


def _fk_checks(global_orient: np.ndarray, body_pose: np.ndarray, transl: np.ndarray,
               targets: np.ndarray, chunk: int) -> tuple[np.ndarray, np.ndarray]:
    """Per frame of fitted SMPL parameters (T, 3), (T, 69), (T, 3): the z (m) of the lowest
    corner of the humanoid's foot boxes (the fit's `sole`) and the summed distance (m) of the
    22 joints from their targets (T, 22, 3); `chunk` frames at a time."""
    frames = len(transl)
    sole, err = np.empty(frames), np.empty(frames)
    dtype = jax.dtypes.canonicalize_dtype(np.float64)
    for start in range(0, frames, chunk):
        n = min(chunk, frames - start)
        part = [jnp.asarray(_pad_rows(a[start:start + n], chunk), dtype)
                for a in (global_orient, body_pose, transl, targets)]
        s, e = _fk_terms(*part)
        sole[start:start + n] = np.asarray(s)[:n]
        err[start:start + n] = np.asarray(e)[:n]
    return sole, err


def _pad_rows(a: np.ndarray, rows: int) -> np.ndarray:
    """a (n, ...) with its last row repeated to `rows` rows."""
    return np.concatenate([a, np.repeat(a[-1:], rows - len(a), axis=0)]) if len(a) < rows else a
