"""The files a scan looks at: the recordings in a folder, their content hash, and when a file
has stopped changing (a recording still being copied is left alone until it has).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

from dualrec_audit.core.errors import ConfigError
from dualrec_audit.media.probe import VIDEO_SUFFIXES


def find_recordings(folder: Path, recursive: bool = False) -> list[Path]:
    """Video files in ``folder`` (by suffix, any case), sorted; hidden files left out. A link
    whose target is missing is listed too (the scan reports it)."""
    if not folder.is_dir():
        raise ConfigError(f"{folder}: not a folder")
    pattern = folder.rglob("*") if recursive else folder.iterdir()
    out = []
    for p in pattern:
        if p.name.startswith(".") or p.suffix.lower() not in VIDEO_SUFFIXES:
            continue
        try:
            if p.is_file() or (p.is_symlink() and not p.exists()):
                out.append(p)
        except OSError:  # vanished or unreadable entry on a share
            continue
    return sorted(out)


def hash_file(path: Path, stop: Callable[[], bool] = lambda: False) -> str | None:
    """sha256 of the file's content; None when ``stop()`` turned true on the way (Ctrl-C
    during a large file)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            if stop():
                return None
            h.update(chunk)
    return h.hexdigest()


class Settler:
    """Decides when a file has stopped changing.

    A file is settled when its mtime is at least ``settle_s`` old and its size and mtime are
    the same as at the previous look (if there was one)."""

    def __init__(self, settle_s: float, clock: Callable[[], float] = time.time):
        self.settle_s = settle_s
        self.clock = clock
        self.seen: dict[str, tuple[int, int]] = {}

    def settled(self, path: Path) -> tuple[bool, os.stat_result | None]:
        try:
            st = path.stat()
        except OSError:
            return False, None
        key, sig = str(path), (st.st_size, st.st_mtime_ns)
        before = self.seen.get(key)
        self.seen[key] = sig
        old_enough = self.clock() - st.st_mtime >= self.settle_s
        return old_enough and (before is None or before == sig), st
