"""The recordings the benchmarks measure, built once into the cache by remuxing the samples
(no re-encoding): the long recording, the one with papers held up, the folder `scan` audits;
and a recording's length.
"""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks.common import CACHE, ROOT, SAMPLES


def build_recording(
    minutes: float,
    cache: Path = CACHE,
    start: int = 0,
    prefix: str = "long",
    sources: list[Path] | None = None,
) -> Path:
    """The samples (or ``sources``, same encoder settings) end to end by remuxing, until at
    least ``minutes`` long; ``start`` rotates which comes first (distinct contents of the same
    length). Built once: an existing file is reused."""
    import av

    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"{prefix}_{minutes:g}min_720p.mp4"
    if target.exists():
        return target
    sources = sources or sorted(SAMPLES.glob("*.mp4"))
    tmp = target.with_suffix(".part.mp4")
    parts, total, i = [], 0.0, start
    while total < minutes * 60:
        src = sources[i % len(sources)]
        i += 1
        parts.append(src)
        with av.open(str(src)) as c:  # the length concat_recordings steps by, plus its gap
            total += float(c.duration) / 1e6 + 0.2
    sys.path.insert(0, str(ROOT / "sample_videos"))
    import build_samples

    build_samples.concat_recordings(parts, tmp)
    tmp.replace(target)
    return target


def build_documents_recording(minutes: float, cache: Path) -> Path:
    """A recording of ``minutes`` in which papers are held up: the six samples, then the
    document composites of sample_videos/build_documents.py (风险揭示书 and an ID card, the
    投保提示书, an unreadable page), in turn; pages are on screen about 14 % of the time."""
    sys.path.insert(0, str(ROOT / "sample_videos"))
    import build_documents as bd

    folder = cache / "documents"
    names = ["docs_risk.mp4", "docs_notice.mp4", "docs_blurred.mp4"]
    if not all((folder / n).exists() for n in names):
        bd.build(bd.bs.DEFAULT_SRC, folder, names)
    samples = sorted(SAMPLES.glob("*.mp4"))
    return build_recording(
        minutes, cache, prefix="documents", sources=[*samples, *(folder / n for n in names)]
    )


def scan_folder(main: Path, minutes: float, quick: bool, cache: Path) -> Path:
    """The folder `scan` audits: the main recording plus as much again in other recordings,
    so that two workers have about the same work each. Quick: the 2-minute recording and the
    six 20 s samples. Full: the long recording and --minutes/2 distinct 2-minute recordings
    (the samples in another order each). Links, not copies."""
    if quick:
        folder, others = cache / "scan_quick", sorted(SAMPLES.glob("*.mp4"))
    else:
        folder = cache / f"scan_{minutes:g}min"
        n = max(1, round(minutes / 2))
        others = [build_recording(2, cache, start=k, prefix=f"mix{k}") for k in range(1, n + 1)]
    folder.mkdir(parents=True, exist_ok=True)
    for f in [main, *others]:
        link = folder / f.name
        if not link.exists():
            link.symlink_to(f.resolve())
    return folder


def duration_of(path: Path) -> float:
    from dualrec_audit.media.probe import probe

    return probe(path).duration_s
