"""Real windows of a calibration corpus, each with its capture source.

A corpus argument is the corpus manifest (a .csv: each take's clip from the cache folder, or
the committed sample it names) or motion files and folders (the source of a file is the name
of its parent folder). Takes whose source skeleton does not fit them are left out, as in
`phymotion validate` (`validation.dataset.source_misfit`). Every take is resampled to 30 fps
and cut into the validation's 3.2 s windows; at most `max_windows` of them per take, spread
evenly over the take, so a long take does not outweigh a short one of its source."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from physics_jax.motion import SmplClip, expand_paths, load_motion
from physics_jax.validation.dataset import WINDOW_S, at_rate, source_misfit, windows

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / "data" / "corpus" / "manifest.csv"
CACHE = Path(".cache") / "corpus" / "clips"


@dataclass
class CorpusWindows:
    clips: list[SmplClip]
    sources: list[str]  # capture source per window
    takes: list[str]  # take per window
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (take or file, why)
    manifests: dict[str, str] = field(default_factory=dict)  # path -> sha256

    def takes_per_source(self) -> dict[str, int]:
        out: dict[str, set] = {}
        for s, t in zip(self.sources, self.takes, strict=True):
            out.setdefault(s, set()).add(t)
        return {s: len(v) for s, v in sorted(out.items())}

    def windows_per_source(self) -> dict[str, int]:
        names, counts = np.unique(np.asarray(self.sources), return_counts=True)
        return {str(n): int(c) for n, c in zip(names, counts, strict=True)}


def sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def manifest_files(manifest: Path, cache: Path) -> tuple[list[tuple[str, str, Path]],
                                                          list[tuple[str, str]]]:
    """[(take, source, clip path)] of a manifest's takes with a clip, and [(take, why)] of
    those without one."""
    rows = list(csv.DictReader(manifest.open()))
    found, missing = [], []
    for r in rows:
        if r.get("committed") == "yes" and r.get("clip"):
            path = REPO / r["clip"]
        else:
            path = cache / f"{r['take']}.npz"
        if path.exists():
            found.append((r["take"], r["capture_source"], path))
        else:
            missing.append((r["take"], f"no clip at {path} (scripts/build_corpus.py)"))
    return found, missing


def spread(n: int, k: int | None) -> list[int]:
    """At most k indices of range(n), evenly spread (first and last included)."""
    if k is None or n <= k:
        return list(range(n))
    return sorted({int(round(i)) for i in np.linspace(0, n - 1, k)})


def load_corpus(args: list[str], cache: str | Path = CACHE, max_windows: int | None = 3,
                window_s: float = WINDOW_S, keep_misfits: bool = False) -> CorpusWindows:
    """The real windows of the manifests (.csv) and motion files or folders in `args`."""
    files: list[tuple[str, str, Path]] = []
    out = CorpusWindows([], [], [])
    for a in args or [str(MANIFEST)]:
        if a.endswith(".csv"):
            found, missing = manifest_files(Path(a), Path(cache))
            files += found
            out.left_out += missing
            out.manifests[a] = sha256(a)
        else:
            files += [(Path(f).stem, Path(f).parent.name, Path(f)) for f in expand_paths([a])]
    for take, source, path in files:
        why = None if keep_misfits else source_misfit(path)
        if why:
            out.left_out.append((take, why))
            continue
        ws = windows(at_rate(load_motion(path)), window_s)
        for i in spread(len(ws), max_windows):
            out.clips.append(ws[i])
            out.sources.append(source)
            out.takes.append(take)
    return out
