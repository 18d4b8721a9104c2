"""Headless OpenGL for MuJoCo's renderer: OSMesa (software, any machine) or EGL (GPU machines).

MuJoCo picks its OpenGL back end from `MUJOCO_GL` when it is first imported. `select_backend`
sets it (OSMesa unless already set) together with PyOpenGL's `PYOPENGL_PLATFORM`; call it before
anything imports mujoco. `make_renderer` also copes with a mujoco imported earlier without the
variable (which would have chosen GLFW, which needs a display).
"""

from __future__ import annotations

import os

HEADLESS = ("osmesa", "egl")


class RenderUnavailable(RuntimeError):
    """No OpenGL context could be made; the message names the back end and the cause."""


def select_backend() -> str:
    """Set MUJOCO_GL (to "osmesa" when unset or empty) and PYOPENGL_PLATFORM to match; return
    the back end."""
    backend = os.environ.get("MUJOCO_GL", "").strip().lower() or "osmesa"
    os.environ["MUJOCO_GL"] = backend
    if backend in HEADLESS:
        os.environ.setdefault("PYOPENGL_PLATFORM", backend)
    return backend


def _context_class(backend: str):
    if backend == "osmesa":
        from mujoco.osmesa import GLContext
    elif backend == "egl":
        from mujoco.egl import GLContext
    else:
        from mujoco.glfw import GLContext
    return GLContext


def make_renderer(model, width: int, height: int):
    """mujoco.Renderer (height x width pixels) on the selected back end; RenderUnavailable when
    no context can be made (e.g. libOSMesa missing: `make sysdeps`)."""
    backend = select_backend()
    try:
        import mujoco
        from mujoco.rendering.classic import gl_context

        if backend in HEADLESS:
            wanted = _context_class(backend)
            if getattr(gl_context, "GLContext", None) is not wanted:
                gl_context.GLContext = wanted  # mujoco was imported before MUJOCO_GL was set
        return mujoco.Renderer(model, height=height, width=width)
    except (ImportError, OSError, RuntimeError, AttributeError) as exc:
        raise RenderUnavailable(f"MUJOCO_GL={backend}: cannot create an OpenGL context "
                                f"({type(exc).__name__}: {exc})") from None
