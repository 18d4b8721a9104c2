"""`phymotion convert` of clips longer than the IK window: fitted in overlapping windows (each
IK call bounded), stitched smoothly, with a progress bar on stderr for long work only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from ik_data import joints_of

from app.cli import main
from physics_jax.commands import convert as convert_command
from physics_jax.ik import convert as ik_convert
from physics_jax.motion import load_motion
from physics_jax.sources.units import Y_UP_TO_Z_UP
from physics_jax.synthetic import synthetic_clip

WINDOW = 96  # the frame bucket the other IK tests compile


def _humanml3d(path: Path, frames: int) -> Path:
    """A HumanML3D-style (T, 22, 3) y-up array of the humanoid's walk at 20 fps."""
    joints = joints_of(synthetic_clip("walk", frames=frames, fps=20.0, seed=7))
    np.save(path, joints @ Y_UP_TO_Z_UP)
    return path


def test_window_starts_cover_the_clip() -> None:
    assert ik_convert.window_starts(224, 96) == [0, 72, 128]
    assert ik_convert.window_starts(10_000, 4096) == [0, 4032, 5904]


def test_progress_only_for_long_work(tmp_path: Path, capsys) -> None:
    progress = convert_command._Progress([], window=WINDOW)
    for done in (0, 50, 91):  # one IK call: no bar
        progress("fitting", done, 91)
    progress("reading", 1, 1)  # small files: no bar
    assert capsys.readouterr().err == ""
    for done in (0, 96, 200):
        progress("fitting", done, 200)
    assert "fitting: 100%" in capsys.readouterr().err


def test_long_clip_is_fitted_in_windows_with_progress(tmp_path: Path, capsys,
                                                      monkeypatch) -> None:
    monkeypatch.setattr(ik_convert, "IK_WINDOW", WINDOW)
    calls: list[tuple[int, int]] = []
    fit = ik_convert.fit_joints

    def spy(joints, lengths, fps, **kwargs):
        calls.append(np.shape(joints)[:2])
        return fit(joints, lengths, fps, **kwargs)

    monkeypatch.setattr(ik_convert, "fit_joints", spy)
    src = _humanml3d(tmp_path / "long.npy", frames=150)  # 224 frames at 30 fps
    assert main(["convert", str(src), "-o", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert "fitting" in captured.err and "224/224" in captured.err
    assert calls == [(1, WINDOW)] * 3  # every IK call holds one window, never the whole clip
    clip = load_motion(tmp_path / "out" / "long.npz")
    assert clip.frames == 224 and clip.fps == 30.0
    fit_error = float(captured.out.split("long.npy")[1].split("│")[5])
    assert fit_error < 1.0  # cm: the humanoid's own walk
    # the windows are stitched without a jump: the pelvis moves < 6 cm per frame (1.8 m/s)
    assert np.abs(np.diff(clip.transl, axis=0)).max() < 0.06
    pose = clip.body_pose.reshape(224, 23, 3)
    steps = np.linalg.norm(np.diff(pose, axis=0), axis=-1).max(axis=1)
    seams = [72, 95, 128, 167]  # where the cross-fades start and end
    assert steps[seams].max() <= 1.5 * np.median(steps) + 0.02
