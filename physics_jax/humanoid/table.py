"""The figures of PHC's SMPL humanoid, one row per bone, in SMPL joint order.

Lengths in metres, densities in kg/m^3, joint range half-widths in degrees (per hinge x, y, z).
Body frames are SMPL's own (y-up, +x = subject's left, +z = forward); `offset` is the body origin
relative to the parent's origin. Geoms: `sphere` (radius), `capsule` (radius, `fromto` segment in
the body frame), `box` (half-sizes, centre `pos`). Source of the figures: PHC's
`smpl_humanoid.xml` (BSD-3-Clause-Clear), also bundled with PhyMotion.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bone:
    """One rigid body of the humanoid and its geom."""

    name: str
    parent: int  # index into BONES, -1 for the root
    offset: tuple[float, float, float]
    geom_type: str  # "sphere" | "capsule" | "box"
    geom_size: tuple[float, ...]
    density: float
    geom_pos: tuple[float, float, float] = (0.0, 0.0, 0.0)
    fromto: tuple[float, float, float, float, float, float] | None = None
    range_deg: tuple[float, float, float] = (180.0, 180.0, 180.0)
    torque_limit: float = 0.0  # N·m, the published per-bone limit (reward.md §4)


BONES: tuple[Bone, ...] = (
    Bone("Pelvis", -1, (-0.0018, -0.2233, 0.0282), "sphere", (0.0942,), 4629.6296296296305),
    Bone("L_Hip", 0, (0.0695, -0.0914, -0.0068), "capsule", (0.0615,), 2040.816327,
         fromto=(0.0069, -0.0750, -0.0009, 0.0274, -0.3002, -0.0036),
         range_deg=(90.0, 90.0, 90.0), torque_limit=400.0),
    Bone("R_Hip", 0, (-0.0677, -0.0905, -0.0043), "capsule", (0.0606,), 2040.816327,
         fromto=(-0.0077, -0.0765, -0.0018, -0.0306, -0.3061, -0.0071),
         range_deg=(90.0, 90.0, 90.0), torque_limit=400.0),
    Bone("Torso", 0, (-0.0025, 0.109, -0.0267), "capsule", (0.0769,), 2040.816327,
         fromto=(0.0025, 0.0608, 0.0005, 0.0030, 0.0743, 0.0006),
         range_deg=(60.0, 60.0, 60.0), torque_limit=200.0),
    Bone("L_Knee", 1, (0.0343, -0.3752, -0.0045), "capsule", (0.0541,), 1234.567901,
         fromto=(-0.0027, -0.0796, -0.0087, -0.0109, -0.3184, -0.0350),
         range_deg=(180.0, 5.625, 5.625), torque_limit=300.0),
    Bone("R_Knee", 2, (-0.0383, -0.3826, -0.0089), "capsule", (0.0541,), 1234.567901,
         fromto=(0.0032, -0.0797, -0.0085, 0.0126, -0.3187, -0.0338),
         range_deg=(180.0, 5.625, 5.625), torque_limit=300.0),
    Bone("Spine", 3, (0.0055, 0.1352, 0.0011), "capsule", (0.0755,), 2040.816327,
         fromto=(0.0007, 0.0238, 0.0114, 0.0008, 0.0291, 0.0140),
         range_deg=(60.0, 60.0, 60.0), torque_limit=200.0),
    Bone("L_Ankle", 4, (-0.0136, -0.398, -0.0437), "box", (0.0483, 0.0464, 0.085), 449.071569,
         geom_pos=(0.0233, -0.0239, 0.0242), range_deg=(90.0, 90.0, 90.0), torque_limit=200.0),
    Bone("R_Ankle", 5, (0.0158, -0.3984, -0.0423), "box", (0.0483, 0.0478, 0.0865), 434.700981,
         geom_pos=(-0.0212, -0.0174, 0.0256), range_deg=(90.0, 90.0, 90.0), torque_limit=200.0),
    Bone("Chest", 6, (0.0015, 0.0529, 0.0254), "capsule", (0.1002,), 2040.816327,
         fromto=(-0.0009, 0.0682, -0.0173, -0.0010, 0.0833, -0.0212),
         range_deg=(60.0, 60.0, 60.0), torque_limit=200.0),
    Bone("L_Toe", 7, (0.0264, -0.0558, 0.1193), "box", (0.0478, 0.02, 0.0496), 423.206892,
         geom_pos=(-0.0030, 0.0055, 0.0248), range_deg=(90.0, 45.0, 45.0), torque_limit=100.0),
    Bone("R_Toe", 8, (-0.0254, -0.0481, 0.1233), "box", (0.0479, 0.0216, 0.0493), 407.384095,
         geom_pos=(0.0042, 0.0045, 0.0227), range_deg=(90.0, 45.0, 45.0), torque_limit=100.0),
    Bone("Neck", 9, (-0.0028, 0.2139, -0.0429), "capsule", (0.0436,), 1000.0,
         fromto=(0.0010, 0.0130, 0.0103, 0.0041, 0.0520, 0.0411), torque_limit=100.0),
    Bone("L_Thorax", 9, (0.0788, 0.1217, -0.0341), "capsule", (0.0521,), 1000.0,
         fromto=(0.0182, 0.0061, -0.0018, 0.0728, 0.0244, -0.0071), torque_limit=150.0),
    Bone("R_Thorax", 9, (-0.0818, 0.1188, -0.0386), "capsule", (0.0511,), 1000.0,
         fromto=(-0.0192, 0.0065, -0.0018, -0.0768, 0.0260, -0.0073), torque_limit=150.0),
    Bone("Head", 12, (0.0052, 0.065, 0.0513), "sphere", (0.1011,), 1000.0,
         range_deg=(90.0, 90.0, 90.0), torque_limit=100.0),
    Bone("L_Shoulder", 13, (0.091, 0.0305, -0.0089), "capsule", (0.0517,), 1000.0,
         fromto=(0.0519, -0.0026, -0.0055, 0.2077, -0.0102, -0.0220), torque_limit=150.0),
    Bone("R_Shoulder", 14, (-0.096, 0.0326, -0.0091), "capsule", (0.0531,), 1000.0,
         fromto=(-0.0507, -0.0027, -0.0043, -0.2030, -0.0107, -0.0171), torque_limit=150.0),
    Bone("L_Elbow", 16, (0.2596, -0.0128, -0.0275), "capsule", (0.0405,), 1000.0,
         fromto=(0.0498, 0.0018, -0.0002, 0.1994, 0.0072, -0.0009),
         range_deg=(720.0, 720.0, 720.0), torque_limit=100.0),
    Bone("R_Elbow", 17, (-0.2537, -0.0133, -0.0214), "capsule", (0.0408,), 1000.0,
         fromto=(-0.0511, 0.0016, -0.0011, -0.2042, 0.0062, -0.0044),
         range_deg=(720.0, 720.0, 720.0), torque_limit=100.0),
    Bone("L_Wrist", 18, (0.2492, 0.009, -0.0012), "capsule", (0.0318,), 1000.0,
         fromto=(0.0168, -0.0016, -0.0030, 0.0672, -0.0065, -0.0120), torque_limit=50.0),
    Bone("R_Wrist", 19, (-0.2553, 0.0078, -0.0056), "capsule", (0.0326,), 1000.0,
         fromto=(-0.0169, -0.0012, -0.0021, -0.0677, -0.0049, -0.0083), torque_limit=50.0),
    Bone("L_Hand", 20, (0.084, -0.0082, -0.0149), "box", (0.0585, 0.0158, 0.0538), 400.552564,
         geom_pos=(0.0493, 0.0010, -0.0058), torque_limit=30.0),
    Bone("R_Hand", 21, (-0.0846, -0.0061, -0.0103), "box", (0.0569, 0.0164, 0.0546), 403.679611,
         geom_pos=(-0.0462, -0.0009, -0.0079), torque_limit=30.0),
)

BONE_NAMES: tuple[str, ...] = tuple(b.name for b in BONES)
PARENTS: tuple[int, ...] = tuple(b.parent for b in BONES)
FOOT_BONES: tuple[str, ...] = ("L_Ankle", "L_Toe", "R_Ankle", "R_Toe")
# Body pairs whose geoms never count as colliding (PHC's <exclude> list).
CONTACT_EXCLUDES: tuple[tuple[str, str], ...] = (
    ("Torso", "Chest"), ("Head", "Chest"), ("R_Knee", "R_Toe"), ("R_Knee", "L_Ankle"),
    ("R_Knee", "L_Toe"), ("L_Knee", "L_Toe"), ("L_Knee", "R_Ankle"), ("L_Knee", "R_Toe"),
    ("L_Shoulder", "Chest"), ("R_Shoulder", "Chest"),
)
