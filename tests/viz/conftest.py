"""Shared fixtures for the visualisation tests: one padded batch (5 clips, <= 16 frames) so
that the per-frame kernel and the scorer compile once each."""

from physics_jax.viz.headless import select_backend

select_backend()  # before anything imports mujoco (osmesa unless MUJOCO_GL is set)

import pytest  # noqa: E402
from viz_clips import make_clips  # noqa: E402


@pytest.fixture(scope="session")
def clips() -> dict:
    return make_clips()


@pytest.fixture(scope="session")
def analysed(clips):
    """(rows, timelines), each a dict by clip name, from one `analyse_clips` call."""
    from physics_jax.viz.timeline import analyse_clips

    rows, timelines = analyse_clips(list(clips.values()))
    return dict(zip(clips, rows, strict=True)), dict(zip(clips, timelines, strict=True))
