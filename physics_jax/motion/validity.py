"""The validity rule for SMPL motion, written once for numpy arrays and torch tensors.

A clip is scored when it has at least `MIN_FRAMES` frames (and no more than its arrays hold),
one frame rate in [`MIN_FPS`, `MAX_FPS`] Hz, and in its first `lengths` frames only finite
values, |transl| <= `MAX_TRANSL` m and |axis-angle| <= `MAX_ANGLE` rad. The ranges are far
outside any human motion; a value beyond them is a broken file or buffer, and float32 (the
scorer's precision) would lose the motion in it anyway.

`row_codes` gives each clip of a batch the first rule it breaks, a code into `ROW_REASONS`
(`PhysicsReward` on torch tensors); `make_clip` applies the same rule, in the same order, to one
numpy clip and names the field and frame in its error.
"""

from __future__ import annotations

from physics_jax.motion.xp import Array, arange, namespace

MIN_FRAMES = 3
"""Fewest frames scored."""
MIN_FPS = 1.0
"""Lowest frame rate scored (Hz)."""
MAX_FPS = 1000.0
"""Highest frame rate scored (Hz)."""
MAX_TRANSL = 1.0e3
"""Largest |translation| component scored (m): float32 keeps 0.06 mm steps up to it."""
MAX_ANGLE = 1.0e2
"""Largest |axis-angle| component scored (rad), about 16 turns."""
MAX_BETAS = 300
"""Most shape coefficients a clip may carry (SMPL-X's largest shape space)."""

VALID, BAD_LENGTH, BAD_FPS, NON_FINITE, FAR_TRANSL, FAR_ANGLE, NUMERICAL_FAILURE = range(7)
"""Row codes, in the order the rule is checked (a row gets the first it breaks)."""
ROW_REASONS = (
    "",
    f"lengths: below {MIN_FRAMES} frames or beyond the data",
    f"fps: outside [{MIN_FPS:g}, {MAX_FPS:g}] Hz",
    "non-finite value",
    f"transl: |value| beyond {MAX_TRANSL:g} m",
    f"global_orient/body_pose: |axis-angle| beyond {MAX_ANGLE:g} rad",
    "non-finite score (numerical failure)",
)
"""Why a row is invalid, indexed by its code; the last is found by the scorer, not the rule."""


def fps_in_range(fps: Array) -> Array:
    """Frame rates (any shape, Hz) inside [MIN_FPS, MAX_FPS]; NaN is outside."""
    return (fps >= MIN_FPS) & (fps <= MAX_FPS)


FIELD_LIMITS = {"global_orient": (MAX_ANGLE, "rad"), "body_pose": (MAX_ANGLE, "rad"),
                "transl": (MAX_TRANSL, "m")}
"""Largest |component| of each field and its unit."""


def field_faults(name: str, x: Array) -> tuple[Array, Array]:
    """Per frame (..., T) bool for field `name` of shape (..., T, K): a non-finite value; a
    component beyond the field's limit (`FIELD_LIMITS`)."""
    xp = namespace(x)
    return ~xp.isfinite(x).all(-1), xp.amax(xp.abs(x), -1) > FIELD_LIMITS[name][0]


def frame_faults(global_orient: Array, body_pose: Array, transl: Array
                 ) -> tuple[Array, Array, Array]:
    """Per frame (..., T) bool, the value rules in order: a non-finite value in any field;
    |transl| beyond MAX_TRANSL; |axis-angle| beyond MAX_ANGLE. Fields are (..., T, 3),
    (..., T, K) and (..., T, 3)."""
    go, bp, tr = (field_faults(name, x) for name, x in
                  (("global_orient", global_orient), ("body_pose", body_pose),
                   ("transl", transl)))
    return go[0] | bp[0] | tr[0], tr[1], go[1] | bp[1]


def row_codes(global_orient: Array, body_pose: Array, transl: Array, lengths: Array,
              fps: Array) -> Array:
    """(B,) integer codes into `ROW_REASONS`: VALID where a row can be scored, else the first
    rule it breaks (numpy, torch or JAX arrays; the scorer applies it inside its program).
    Fields (B, T, 3), (B, T, K), (B, T, 3); lengths (B,) frames (integers);
    fps (B,) Hz. Only the first `lengths` frames of a row are looked at."""
    xp = namespace(transl)
    t = transl.shape[1]
    inside = arange(t, transl)[None, :] < lengths[:, None]  # (B, T)
    faults = frame_faults(global_orient, body_pose, transl)
    rules = [
        (lengths < MIN_FRAMES) | (lengths > t),
        ~fps_in_range(fps),
        *((bad & inside).any(1) for bad in faults),
    ]
    code = xp.zeros_like(lengths)  # the integer type of the lengths (int64; int32 under JAX)
    for i, broken in reversed(list(enumerate(rules, start=BAD_LENGTH))):
        code = xp.where(broken, i, code)
    return code
