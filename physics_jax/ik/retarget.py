"""Motion sources to SmplClip: joint positions through inverse kinematics, SMPL parameters
directly."""

from __future__ import annotations

from physics_jax.ik.fit import fit_joints
from physics_jax.motion.clip import SmplClip, make_clip
from physics_jax.sources.amass import SmplParams
from physics_jax.sources.joint_motion import JointMotion
from physics_jax.sources.resample import resample, resample_smpl_params


def retarget_joint_motion(motion: JointMotion, fps_out: float | None = 30.0
                          ) -> tuple[SmplClip, float]:
    """A joint-position clip as humanoid SMPL parameters: resampled to fps_out (None keeps
    the source rate), scaled to the humanoid, floored and fitted. Returns the clip and its
    mean joint fit error (cm)."""
    if fps_out is not None and float(fps_out) != motion.fps:
        motion = resample(motion, float(fps_out))
    fit = fit_joints(motion.positions[None], [motion.n_frames], motion.fps)
    return fit.clip(0, source=motion.source), float(fit.fit_error_cm[0])


def resample_clip(clip: SmplClip, fps_out: float | None) -> SmplClip:
    """An SmplClip at fps_out (rotations slerped, translation interpolated); None keeps it."""
    if fps_out is None or float(fps_out) == clip.fps:
        return clip
    params = SmplParams(global_orient=clip.global_orient, body_pose=clip.body_pose,
                        transl=clip.transl, betas=clip.betas, fps=clip.fps)
    out = resample_smpl_params(params, float(fps_out), clip.source)
    return make_clip(out["global_orient"], out["body_pose"], out["transl"], out["fps"],
                     out["betas"], clip.source)
