"""The files a scan looks at: the recordings in a folder, their content hash, and when a file
has stopped changing (a recording still being copied is left alone until it has).
"""

from __future__ import annotations

import errno
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dualrec_audit.core.errors import ConfigError
from dualrec_audit.core.paths import display_path
from dualrec_audit.media.probe import VIDEO_SUFFIXES

# The longest path the system opens (Linux: PATH_MAX, the terminating NUL included).
PATH_MAX = 4096


@dataclass(frozen=True)
class PathProblem:
    """A path under the scanned folder that cannot be looked at: its own error, listed and
    stored, while the rest of the folder is scanned."""

    path: Path
    code: str  # path_too_long | folder_unreadable
    message: str


def find_recordings(folder: Path, recursive: bool = False) -> list[Path]:
    """Video files in ``folder`` (by suffix, any case), sorted; hidden files left out. A link
    whose target is missing is listed too (the scan reports it)."""
    return list_folder(folder, recursive)[0]


def list_folder(folder: Path, recursive: bool = False) -> tuple[list[Path], list[PathProblem]]:
    """The recordings in ``folder`` (see :func:`find_recordings`) and the paths under it that
    could not be looked at: a subfolder that cannot be read, a path longer than the system
    opens. One bad path never stops the listing; the folder itself not being there (a share
    gone) raises ConfigError or OSError."""
    if not folder.is_dir():
        raise ConfigError(f"{folder}: not a folder")
    files: list[Path] = []
    problems: list[PathProblem] = []
    stack = [folder]
    while stack:
        here = stack.pop()
        try:
            with os.scandir(here) as it:
                entries = list(it)
        except OSError as exc:
            if here == folder:
                raise
            problems.append(_problem(here, exc, "folder"))
            continue
        for e in entries:
            _entry(Path(e.path), e, recursive, files, problems, stack)
    if problems and not folder.is_dir():  # the share went away while it was listed
        raise ConfigError(f"{folder}: not a folder")
    return sorted(files), problems


def _entry(
    p: Path,
    e: os.DirEntry[str],
    recursive: bool,
    files: list[Path],
    problems: list[PathProblem],
    stack: list[Path],
) -> None:
    if e.name.startswith("."):
        return
    try:
        if e.is_dir(follow_symlinks=False):
            if recursive:
                stack.append(p)
            return
        if p.suffix.lower() not in VIDEO_SUFFIXES:
            return
        if len(os.fsencode(e.path)) >= PATH_MAX:
            problems.append(_problem(p, OSError(errno.ENAMETOOLONG, ""), "file"))
            return
        # A link to nothing (or a loop of links) is listed: the scan reports it.
        if (e.is_symlink() and not os.path.exists(p)) or e.is_file():
            files.append(p)
    except OSError:  # vanished or unreadable entry on a share
        return


def _problem(p: Path, exc: OSError, what: str) -> PathProblem:
    size = len(os.fsencode(p))
    if exc.errno == errno.ENAMETOOLONG or size >= PATH_MAX:
        return PathProblem(
            p,
            "path_too_long",
            f"{display_path(p)}: the path is {size} bytes long, longer than the system opens "
            f"({PATH_MAX - 1}); what is under it cannot be audited. Shorten the folder names",
        )
    reason = "permission denied" if exc.errno in (errno.EACCES, errno.EPERM) else exc.strerror
    return PathProblem(
        p,
        "folder_unreadable" if what == "folder" else "unreadable",
        f"{display_path(p)}: this {what} cannot be read ({reason}); the recordings in it are "
        "not audited",
    )


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
