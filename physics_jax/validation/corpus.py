"""The calibration corpus: real motion from public sources, its manifest and its rebuild.

Every take names the public repository, commit and path it comes from, its licence, the
capture source (lab, studio or capture system: takes of one source are not independent), its
category and the SMPL clip it was converted to. Data fetched from public repositories is never
committed, whatever its licence: those takes are manifest entries, rebuilt into the cache by
`build` from copies of their repositories at the recorded commits. The 14 CMU takes already in
`physics_jax/samples/cmu/` (converted from the project's shared data) are listed with their
sample clips. See docs/corpus.md.
"""

from __future__ import annotations

import csv
import re
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "data" / "corpus"
MANIFEST = CORPUS / "manifest.csv"
SAMPLES = REPO / "physics_jax" / "samples" / "cmu"
SHARED_CMU = REPO.parent / "shared" / "data" / "cmu"
FPS = 30.0  # output rate
MAX_SECONDS = 20.0  # takes are cut to their first 20 s
CATEGORIES = ("locomotion", "sport", "dance", "idle", "floor", "acrobatics")
FIELDS = ("take", "capture_source", "category", "description", "repo", "commit", "path",
          "licence", "committed", "clip", "skeleton", "source_fps", "frames", "fps",
          "seconds", "fit_error_cm", "below_floor_pct", "attribution")

CMU_ACK = ("The data used in this project was obtained from mocap.cs.cmu.edu. The database "
           "was created with funding from NSF EIA-0196217.")
LICENCES = {
    "cmu": "CMU mocap terms (free for research and commercial use, not for resale)",
    "apache": "Apache-2.0 (repository licence)",
    "mit": "MIT (repository licence)",
    "cc-by-nc": "CC BY-NC 4.0 (data/motions/sie/LICENSE)",
    "cc-by-nc-nd": "CC BY-NC-ND 4.0 (Ubisoft La Forge Animation Dataset licence)",
    "cc-by-sa": "CC BY-SA 3.0 (HDM05 database licence; the converted clips are CC BY-SA 3.0)",
    "mixamo": "Adobe Mixamo terms (no redistribution of the animation files)",
    "unknown": "no licence for the data",
    "mit-code": "no licence stated for the data (the repository's README puts its code under MIT)",
}
"""Licences that allow committing converted clips (with attribution; CC BY-SA clips stay under
CC BY-SA); NC, no-redistribution and unlicensed data are manifest entries only."""

WSPR = ("wspr/bvh-matlab", "45939d88b86a388b9b5027e76489042439546fae")
BVHPY = ("20tab/bvh-python", "b7e00585aef1c9577831ee08aa5e33553b329cc0")
PYMO = ("omimo/PyMO", "ba24f5f8d8911173f41e2ea1a367fa7955a6da9f")
DEEPMIMIC = ("xbpeng/DeepMimic", "1f915c52fcd4b95b5f5f15b759ae91bd81e9a801")
RFC = ("Khrylx/RFC", "822430569cb5dad6e89db424a25bce3a3593a29d")
HDM05_REPO = ("zhangchi8620/JointLearning-HDM05", "b252ad65598e052c38f49490c1ac9dbadc283fd3")
MOVA = ("omimo/Mova", "88bbc8a9d078ec176756cb8ea26e52a426de051e")
# the AV_8Walk files were removed from Mova after this commit
MOVA_OLD = ("omimo/Mova", "e3f3129949400b3af90b80b61607eb01c0cba2f0")
MOVA_ACK = "SFU MovingStories (O. Alemi et al.), via omimo/Mova (not committed)"
GMR_LAFAN1 = ("liuchenxu125/GMR", "7553d31858733543e45485201e498ae287ec7cbe")
LAFAN1_ACK = ("Ubisoft La Forge Animation Dataset (LAFAN1), Harvey et al., Robust Motion "
              "In-betweening, ACM TOG 39(4), 2020; CC BY-NC-ND 4.0; via liuchenxu125/GMR "
              "assets/lafan1 (not committed)")
HDM05_ACK = ("HDM05 (M. Mueller, T. Roeder, M. Clausen, B. Eberhardt, B. Krueger, A. Weber: "
             "Documentation Mocap Database HDM05, Universitaet Bonn, CG-2007-2, 2007), CC BY-SA "
             "3.0, via zhangchi8620/JointLearning-HDM05. The data used in this project was "
             "obtained from HDM05.")


@dataclass(frozen=True)
class Take:
    """One take: where it comes from and how it is read.

    kind: bvh, amc (with `asf`, a path in the same repository or `shared:<path>` under
    ../shared/data/cmu), deepmimic, or sample (an already committed clip of samples/cmu).
    """

    take: str
    capture_source: str
    category: str
    description: str
    repo: str
    commit: str
    path: str
    licence: str
    kind: str = "bvh"
    asf: str | None = None
    source_fps: float | None = None
    attribution: str = ""

    @property
    def committed(self) -> bool:
        """Only the bundled CMU samples: fetched data stays out of the project's commits."""
        return self.kind == "sample"


def _cmu_samples() -> list[Take]:
    from physics_jax.samples.make_cmu_samples import TAKES

    cats = {"01_01": "acrobatics", "02_01": "locomotion", "02_03": "locomotion",
            "05_06": "dance", "05_11": "dance", "09_01": "locomotion", "16_15": "locomotion",
            "16_35": "locomotion", "35_01": "locomotion", "49_20": "idle",
            "88_01": "acrobatics", "90_02": "acrobatics", "90_05": "sport",
            "131_03": "dance"}
    out = []
    for t in TAKES:
        repo, _, rest = t.host.partition("@")
        commit, _, path = rest.partition(":")
        out.append(Take(f"cmu_{t.take}", "cmu", cats[t.take], t.description, repo, commit,
                        path, "cmu", "sample", attribution=CMU_ACK))
    return out


def _sie() -> list[Take]:
    """SIE's takes without their mirrored copies: the odd run_forward files mirror the even
    ones, and run_right mirrors run_left (same frame counts, mirrored values)."""
    names = ([f"punch_forward{i:02d}" for i in range(3)] + ["punch_left00"]
             + [f"run_forward{i:02d}" for i in range(0, 16, 2)]
             + [f"run_left{i:02d}" for i in range(15)])
    return [Take(f"sie_{n}", "sie", "sport" if n.startswith("punch") else "locomotion",
                 n.replace("_", " ").rstrip("0123456789"), *DEEPMIMIC,
                 f"data/motions/sie/sie_humanoid3d_{n}.txt", "cc-by-nc", "deepmimic",
                 attribution="Copyright (c) 2021 Sony Interactive Entertainment, CC BY-NC 4.0")
            for n in names]


def _deepmimic_mixed() -> list[Take]:
    clips = {"getup_facedown": "floor", "getup_faceup": "floor", "crawl": "floor",
             "roll": "floor", "backflip": "acrobatics", "sideflip": "acrobatics",
             "cartwheel": "acrobatics", "dance_a": "dance", "dance_b": "dance",
             "spinkick": "sport", "kick": "sport", "punch": "sport", "walk": "locomotion",
             "run": "locomotion", "jog": "locomotion", "jump": "acrobatics",
             "spin": "dance", "dance_spin": "dance", "stealthy_walk": "locomotion",
             "zombie_walk": "locomotion"}
    return [Take(f"deepmimic_{n}", "deepmimic_unattributed", cat, n.replace("_", " "),
                 *DEEPMIMIC, f"data/motions/humanoid3d_{n}.txt", "unknown", "deepmimic",
                 attribution="xbpeng/DeepMimic (MIT code; the clips' capture source is not "
                 "stated)") for n, cat in clips.items()]


def _hdm05() -> list[Take]:
    """HDM05's cut takes (HdM Stuttgart, Vicon, 120 Hz, five actors bd, bk, dg, mm, tr; ASF/AMC
    with CMU's bone names), as shipped in the folders of zhangchi8620/JointLearning-HDM05 with
    each actor's ASF beside them."""
    clips = [  # (folder, actor, motion class, take, category, description)
        ("train/5", "bd", "jogLeftCircle4StepsRstart", "001", "locomotion", "jog, left circle"),
        ("test/5", "tr", "jogLeftCircle4StepsRstart", "014", "locomotion", "jog, left circle"),
        ("train/9", "dg", "sneak2StepsLStart", "007", "locomotion", "sneak, two steps"),
        ("test/9", "mm", "sneak2StepsLStart", "011", "locomotion", "sneak, two steps"),
        ("train/6", "bk", "kickLFront1Reps", "009", "sport", "front kick, left leg"),
        ("test/6", "tr", "kickLFront1Reps", "025", "sport", "front kick, left leg"),
        ("train/11", "bd", "throwBasketball", "001", "sport", "basketball throw"),
        ("test/11", "mm", "throwBasketball", "010", "sport", "basketball throw"),
        ("train/2", "bk", "elbowToKnee1RepsLelbowStart", "008", "sport",
         "exercise, elbow to opposite knee"),
        ("train/10", "bk", "squat1Reps", "013", "sport", "exercise, one squat"),
        ("train/7", "bd", "lieDownFloor", "001", "floor", "lie down on the floor"),
        ("train/7", "dg", "lieDownFloor", "011", "floor", "lie down on the floor"),
        ("test/7", "mm", "lieDownFloor", "015", "floor", "lie down on the floor"),
        ("test/7", "tr", "lieDownFloor", "019", "floor", "lie down on the floor"),
        ("train/1", "bk", "depositFloorR", "007", "floor",
         "crouch and put an object on the floor, right hand"),
        ("test/1", "tr", "depositFloorR", "027", "floor",
         "crouch and put an object on the floor, right hand"),
        ("test/8", "mm", "rotateArmsBothBackward1Reps", "011", "idle",
         "standing, both arms circle backward"),
        ("train/8", "bk", "rotateArmsBothBackward1Reps", "005", "idle",
         "standing, both arms circle backward"),
        ("test/3", "mm", "grabHighR", "017", "idle", "standing, reach high with the right hand"),
        ("test/3", "tr", "grabHighR", "023", "idle", "standing, reach high with the right hand"),
        ("train/4", "dg", "hopBothLegs1hops", "024", "acrobatics", "hop on both legs"),
        ("train/4", "bd", "hopBothLegs1hops", "010", "acrobatics", "hop on both legs"),
    ]
    short = {"jogLeftCircle4StepsRstart": "jog", "sneak2StepsLStart": "sneak",
             "kickLFront1Reps": "kick", "throwBasketball": "throw",
             "elbowToKnee1RepsLelbowStart": "elbowknee", "squat1Reps": "squat",
             "lieDownFloor": "liedown", "depositFloorR": "deposit",
             "rotateArmsBothBackward1Reps": "armcircle", "grabHighR": "grabhigh",
             "hopBothLegs1hops": "hop"}
    return [Take(f"hdm05_{actor}_{short[motion]}_{n}", "hdm05", cat,
                 f"{desc} (HDM05 actor {actor})", *HDM05_REPO,
                 f"{folder}/HDM_{actor}_{motion}_{n}_120.amc", "cc-by-sa", "amc",
                 f"{folder}/HDM_{actor}.asf", 120.0, HDM05_ACK)
            for folder, actor, motion, n, cat, desc in clips]


def _movingstories() -> list[Take]:
    """More SFU MovingStories takes, from omimo/Mova (Omid Alemi's movement analysis tool): its
    copy of AV_8Walk_Meredith_HVHA_Rep1 is the file PyMO ships (same bytes) and is left out,
    as is MS2_8Walk_M_nopos (no root positions)."""
    walk = "expressive walk along a figure 8, high valence high arousal"
    return [
        Take("movingstories_av8walk_rep1", "sfu_movingstories", "locomotion", f"{walk}, rep 1",
             *MOVA_OLD, "movs/AV_8Walk_HVHA_Rep1.bvh", "mit-code", attribution=MOVA_ACK),
        Take("movingstories_av8walk_rep2", "sfu_movingstories", "locomotion", f"{walk}, rep 2",
             *MOVA_OLD, "movs/AV_8Walk_HVHA_Rep2.bvh", "mit-code", attribution=MOVA_ACK),
        Take("movingstories_av8walk_rep3", "sfu_movingstories", "locomotion", f"{walk}, rep 3",
             *MOVA_OLD, "movs/AV_8Walk_HVHA_Rep3.bvh", "mit-code", attribution=MOVA_ACK),
        Take("movingstories_av8walk_meredith_rep2", "sfu_movingstories", "locomotion",
             f"{walk} (actor Meredith), rep 2", *MOVA_OLD,
             "movs/AV_8Walk_Meredith_HVHA_Rep2.bvh", "mit-code", attribution=MOVA_ACK),
        Take("movingstories_ms2_8walk", "sfu_movingstories", "locomotion",
             "walk along a figure 8", *MOVA, "movs/MS2_8Walk_M.bvh", "mit-code",
             attribution=MOVA_ACK),
        Take("movingstories_slash_karen", "sfu_movingstories", "idle",
             "standing, Laban 'slash' effort repeated four times (actor Karen)", *MOVA,
             "movs/Slash_x4_0001KAREN.bvh", "mit-code", attribution=MOVA_ACK),
    ]


def _lafan1() -> list[Take]:
    """LAFAN1 takes (Ubisoft La Forge, Vicon, 30 Hz, five subjects) that a fork of GMR ships
    whole in assets/lafan1 (at an earlier commit; the files under 4 MiB); first 20 s of each.
    CC BY-NC-ND: manifest entries only. Left out: obstacles and push takes (support from props,
    forces from another actor)."""
    clips = {"dance1_subject1": ("dance", "dance"), "dance1_subject2": ("dance", "dance"),
             "dance1_subject3": ("dance", "dance"),
             "fallAndGetUp1_subject4": ("floor", "falls to the floor and gets up"),
             "fallAndGetUp2_subject2": ("floor", "falls to the floor and gets up"),
             "fallAndGetUp3_subject1": ("floor", "falls to the floor and gets up"),
             "ground1_subject5": ("floor", "moves on the ground"),
             "ground2_subject3": ("floor", "moves on the ground"),
             "walk4_subject1": ("locomotion", "walk")}
    return [Take(f"lafan1_{n}", "lafan1", cat, f"{desc} (LAFAN1 {n}, first 20 s)",
                 *GMR_LAFAN1, f"assets/lafan1/{n}.bvh", "cc-by-nc-nd", attribution=LAFAN1_ACK)
            for n, (cat, desc) in clips.items()]


def takes() -> list[Take]:
    """Every take of the corpus, in manifest order."""
    return _cmu_samples() + [
        Take("cmu_05_07", "cmu", "dance", "dance - rory3 session (subject 05)", *RFC,
             "data/cmu_mocap/amc/05_07.amc", "cmu", "amc", "shared:asf_amc/05.asf", 120.0,
             CMU_ACK),
        Take("cmu_05_13", "cmu", "dance", "dance - rory3 session (subject 05)", *RFC,
             "data/cmu_mocap/amc/05_13.amc", "cmu", "amc", "shared:asf_amc/05.asf", 120.0,
             CMU_ACK),
        Take("cmu_90_08", "cmu", "acrobatics", "acrobatics (subject 90, Acrobat session)",
             *RFC, "data/cmu_mocap/amc/90_08.amc", "cmu", "amc", "shared:asf_amc/09.asf",
             120.0, CMU_ACK),
        Take("cmu_90_11", "cmu", "acrobatics", "acrobatics (subject 90, Acrobat session)",
             *RFC, "data/cmu_mocap/amc/90_11.amc", "cmu", "amc", "shared:asf_amc/09.asf",
             120.0, CMU_ACK),
        Take("cmu_walk_bvhmatlab", "cmu", "locomotion", "walk (cgspeed BVH of a CMU take)",
             *WSPR, "walk.bvh", "cmu", attribution=CMU_ACK),
        Take("adelaide_louise", "adelaide_optitrack_arena", "dance",
             "in-place movement with small jumps, root up to 22 cm above standing (OptiTrack "
             "Arena, University of Adelaide)", *WSPR,
             "louise.bvh", "apache",
             attribution="Copyright 2012 Will Robertson and The University of Adelaide, "
             "Apache-2.0"),
        Take("adelaide_milad", "perception_neuron", "idle",
             "standing, arm movements (Perception Neuron skeleton)", *WSPR, "milad.bvh",
             "apache", attribution="wspr/bvh-matlab (The University of Adelaide), Apache-2.0"),
        Take("movingstories_av8walk", "sfu_movingstories", "locomotion",
             "expressive walk, high valence high arousal (actor Meredith)", *PYMO,
             "demos/data/AV_8Walk_Meredith_HVHA_Rep1.bvh", "mit",
             attribution="omimo/PyMO (Omid Alemi), MIT"),
        Take("mocapbank_test", "mocapbank", "locomotion", "mocapbank.com sample take", *BVHPY,
             "tests/test_mocapbank.bvh", "unknown",
             attribution="mocapbank.com, via 20tab/bvh-python tests"),
        Take("mixamo_test", "mixamo", "locomotion", "Mixamo animation sample", *BVHPY,
             "tests/test_freebvh.bvh", "mixamo",
             attribution="Adobe Mixamo, via 20tab/bvh-python tests"),
    ] + _sie() + _deepmimic_mixed() + _hdm05() + _lafan1() + _movingstories()


def _mirror_file(mirrors: Path, repo: str, commit: str, path: str) -> bytes | None:
    git_dir = mirrors / repo.replace("/", "+") / "repo"
    if not git_dir.is_dir():
        return None
    out = subprocess.run(["git", "-C", str(git_dir), "show", f"{commit}:{path}"],
                         capture_output=True, check=False)
    if out.returncode != 0:
        out = subprocess.run(["git", "-C", str(git_dir), "show", f"HEAD:{path}"],
                             capture_output=True, check=False)
    return out.stdout if out.returncode == 0 else None


def source_file(take: Take, path: str, cache: Path, mirrors: Path) -> Path:
    """The take's file at `<cache>/<owner>+<repo>/<path>`, copied there from a fetched git
    mirror (`<mirrors>/<owner>+<repo>/repo`) when missing; blank lines that some exporters
    leave in a BVH header are dropped. FileNotFoundError when neither has it."""
    if path.startswith("shared:"):
        return SHARED_CMU / path.removeprefix("shared:")
    target = cache / take.repo.replace("/", "+") / path
    if not target.is_file():
        data = _mirror_file(mirrors, take.repo, take.commit, path)
        if data is None:
            raise FileNotFoundError(f"{take.repo}@{take.commit[:12]}:{path} is neither in "
                                    f"{cache} nor in a mirror under {mirrors}")
        if path.lower().endswith(".bvh"):
            data = re.sub(rb"(MOTION\s*?\r?\n)(\s*\r?\n)+", rb"\1", data)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return target


def load_take(take: Take, cache: Path, mirrors: Path):
    """The take as a JointMotion, cut to MAX_SECONDS."""
    from physics_jax.ik.convert import Source, load_source
    from physics_jax.validation.deepmimic import load_deepmimic

    src = source_file(take, take.path, cache, mirrors)
    if take.kind == "deepmimic":
        motion = load_deepmimic(src)
    else:
        asf = source_file(take, take.asf, cache, mirrors) if take.asf else None
        motion = load_source(Source(src, asf, take.source_fps))
    keep = int(round(MAX_SECONDS * motion.fps)) + 1
    return replace(motion, positions=motion.positions[:keep])


def _skeleton(take: Take, cache: Path, mirrors: Path) -> str:
    if take.kind == "deepmimic":
        return "deepmimic_humanoid3d"
    if take.kind == "amc":
        return "cmu_asf"
    from physics_jax.sources.bvh import parse_bvh
    from physics_jax.sources.skeleton_map import smpl_weights

    names = parse_bvh(source_file(take, take.path, cache, mirrors)).skeleton.names
    return smpl_weights(names)[1] if _maps(names) else "unmapped"


def _maps(names) -> bool:
    from physics_jax.sources.skeleton_map import UnknownSkeletonError, match_profile

    try:
        match_profile(names)
    except UnknownSkeletonError:
        return False
    return True


def convert_takes(batch: list[Take], cache: Path, mirrors: Path) -> list[dict]:
    """Convert a batch of takes by one IK fit; each clip is written to `cache/clips`; returns
    their manifest rows."""
    from physics_jax.ik.fit import fit_joints
    from physics_jax.motion import save_motion
    from physics_jax.sources.floor_check import below_floor_share
    from physics_jax.sources.resample import resample

    loaded = [load_take(t, cache, mirrors) for t in batch]
    motions = [resample(m, FPS) if m.fps != FPS else m for m in loaded]
    lengths = np.array([m.n_frames for m in motions])
    joints = np.stack([np.concatenate([m.positions, np.repeat(
        m.positions[-1:], lengths.max() - m.n_frames, axis=0)]) for m in motions])
    fit = fit_joints(joints, lengths, np.full(len(batch), FPS))
    rows = []
    for k, (take, src) in enumerate(zip(batch, loaded, strict=True)):
        folder = cache / "clips"
        folder.mkdir(parents=True, exist_ok=True)
        clip = fit.clip(k, source=f"{take.repo}:{take.path}")
        share = below_floor_share(src)
        save_motion(folder / f"{take.take}.npz", clip, share)
        rows.append(_row(take, folder / f"{take.take}.npz", _skeleton(take, cache, mirrors),
                         src.fps, clip.frames, float(fit.fit_error_cm[k]), share))
    return rows


def _row(take: Take, clip: Path, skeleton: str, source_fps: float, frames: int,
         fit_cm: float | None, share: float | None) -> dict:
    rel = clip.relative_to(REPO) if clip.is_relative_to(REPO) and take.committed else ""
    return {"take": take.take, "capture_source": take.capture_source,
            "category": take.category, "description": take.description, "repo": take.repo,
            "commit": take.commit, "path": take.path, "licence": LICENCES[take.licence],
            "committed": "yes" if take.committed else "no", "clip": str(rel),
            "skeleton": skeleton, "source_fps": f"{source_fps:g}", "frames": frames,
            "fps": f"{FPS:g}", "seconds": f"{(frames - 1) / FPS:.2f}",
            "fit_error_cm": "" if fit_cm is None else f"{fit_cm:.2f}",
            "below_floor_pct": "" if share is None else f"{100 * share:.1f}",
            "attribution": take.attribution}


def sample_rows() -> list[dict]:
    """Manifest rows of the committed CMU samples, from their README table."""
    from physics_jax.motion import load_motion, source_below_floor

    table = {}
    for line in (SAMPLES / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 10 and re.fullmatch(r"\d+_\d+", cells[0]):
            table[cells[0]] = cells
    rows = []
    for take in _cmu_samples():
        cid = take.take.removeprefix("cmu_")
        clip = load_motion(SAMPLES / f"{cid}.npz")
        share = source_below_floor(SAMPLES / f"{cid}.npz")
        skeleton = "cmu_asf" if take.path.endswith(".amc") else "cmu_bvh"
        rows.append(_row(replace(take, licence="cmu"), SAMPLES / f"{cid}.npz", skeleton,
                         float(table[cid][4]), clip.frames, float(table[cid][8]), share))
    return rows


def write_manifest(rows: list[dict], path: Path = MANIFEST) -> None:
    """The manifest as CSV, one row per take, in `takes()` order."""
    order = {t.take: i for i, t in enumerate(takes())}
    rows = sorted(rows, key=lambda r: order.get(r["take"], len(order)))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def read_manifest(path: Path = MANIFEST) -> list[dict]:
    """The manifest's rows."""
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def build(cache: Path, mirrors: Path, batch_size: int = 8,
          only: set[str] | None = None) -> list[dict]:
    """Convert every take (or those in `only`) in batches and write the manifest; rows of
    takes not rebuilt this time are kept from the existing manifest."""
    old = {r["take"]: r for r in read_manifest()} if MANIFEST.is_file() else {}
    rows = {r["take"]: r for r in sample_rows()}
    todo = [t for t in takes() if t.kind != "sample" and (only is None or t.take in only)]
    for i in range(0, len(todo), batch_size):
        for row in convert_takes(todo[i:i + batch_size], cache, mirrors):
            rows[row["take"]] = row
            print(f"{row['take']}: {row['frames']} frames, fit {row['fit_error_cm']} cm, "
                  f"feet below floor {row['below_floor_pct']} %", flush=True)
    for take in takes():
        if take.take not in rows and take.take in old:
            rows[take.take] = old[take.take]
    write_manifest(list(rows.values()))
    return list(rows.values())
