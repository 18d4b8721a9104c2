"""`phymotion convert`: joint and SMPL sources to the project npz, table, exit status 2."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ik_data import joints_of

from app.cli import main
from physics_jax.motion import load_motion, save_motion
from physics_jax.sources.units import Y_UP_TO_Z_UP
from physics_jax.synthetic import synthetic_clip


def _humanml3d(path: Path, frames: int = 61) -> Path:
    """A HumanML3D-style (T, 22, 3) y-up array of the humanoid's walk at 20 fps."""
    joints = joints_of(synthetic_clip("walk", frames=frames, fps=20.0, seed=7))
    np.save(path, joints @ Y_UP_TO_Z_UP)  # z-up -> y-up
    return path


def test_convert_writes_npz_and_prints_the_table(tmp_path: Path, capsys) -> None:
    npy = _humanml3d(tmp_path / "walk.npy")
    smpl = tmp_path / "stand.npz"
    save_motion(smpl, synthetic_clip("stand", frames=31, fps=60.0))
    out = tmp_path / "out"
    assert main(["convert", str(npy), str(smpl), "-o", str(out)]) == 0
    table = capsys.readouterr().out
    assert "fit error cm" in table and "walk.npy" in table and "stand.npz" in table
    assert "feet below floor %" in table
    walk = load_motion(out / "walk.npz")
    assert walk.fps == 30.0 and walk.frames == 91  # 3 s at 20 fps -> 30 fps
    stand = load_motion(out / "stand.npz")
    assert stand.fps == 30.0 and stand.frames == 16  # resampled, no IK
    np.testing.assert_allclose(stand.transl, synthetic_clip("stand", frames=31,
                                                            fps=60.0).transl[::2], atol=1e-9)


def _error_line(capsys) -> str:
    lines = [x for x in capsys.readouterr().err.splitlines() if x.startswith("error:")]
    assert len(lines) == 1
    return lines[0]


def test_bad_file_exits_2_naming_file_and_field(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((10, 21, 3)))
    good = _humanml3d(tmp_path / "good.npy")
    assert main(["convert", str(good), str(bad), "-o", str(tmp_path / "out")]) == 2
    assert _error_line(capsys).startswith(f"error: {bad}: array: shape (10, 21, 3)")
    assert not (tmp_path / "out").exists()  # nothing written when any source is bad


@pytest.mark.parametrize("case", ["duplicate", "amc_without_asf", "empty", "no_fps"])
def test_unusable_sources_exit_2(tmp_path: Path, capsys, case: str) -> None:
    if case == "duplicate":
        for d in ("a", "b"):
            (tmp_path / d).mkdir()
            _humanml3d(tmp_path / d / "x.npy", frames=5)
        args, field = [str(tmp_path / "a" / "x.npy"), str(tmp_path / "b" / "x.npy")], "output"
    elif case == "amc_without_asf":
        amc = tmp_path / "77_01.amc"
        amc.write_text(":FULLY-SPECIFIED\n:DEGREES\n1\nroot 0 0 0 0 0 0\n")
        args, field = [str(amc)], "asf"
    elif case == "empty":
        (tmp_path / "none").mkdir()
        args, field = [str(tmp_path / "none")], "paths"
    else:
        aist = tmp_path / "aist.npz"
        np.savez(aist, smpl_poses=np.zeros((5, 72)), smpl_trans=np.zeros((5, 3)),
                 smpl_scaling=np.ones(1))
        args, field = [str(aist)], "fps"
    assert main(["convert", *args, "-o", str(tmp_path / "out")]) == 2
    assert f": {field}: " in _error_line(capsys)
