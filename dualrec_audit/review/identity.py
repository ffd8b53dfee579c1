"""Is the file about to be played the file that was audited? Its size first (free), then its
sha256 (read in full, in a worker thread), cached by path, size and modification time so
that a file is hashed once while it stays as it is.

The review window checks before the player opens the file and again before any decision; a
different file is refused with the reason and the recording is marked for a new audit.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass

from dualrec_audit.core.result import Text

CHUNK = 1 << 20


@dataclass(frozen=True)
class FileIdentity:
    path: str
    size: int
    mtime_ns: int
    sha256: str


class DigestCache:
    """sha256 per (path, size, mtime); safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[tuple[str, int, int], str] = {}
        self.hashed = 0  # files actually read (for tests and logs)

    def identity(self, path: str) -> FileIdentity:
        st = os.stat(path)
        key = (os.path.abspath(path), st.st_size, st.st_mtime_ns)
        with self._lock:
            known = self._known.get(key)
        if known is None:
            known = sha256_of(path)
            with self._lock:
                self._known[key] = known
                self.hashed += 1
        return FileIdentity(path, st.st_size, st.st_mtime_ns, known)


def sha256_of(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def mismatch(found: FileIdentity, sha256: str, size: int) -> Text | None:
    """Why the file found is not the file audited (None: it is)."""
    if found.size != size:
        return Text(
            f"录像文件已被更换：现在的文件 {found.size} 字节，审核时是 {size} 字节。"
            "不能播放，也不能做决定；已标记为待重新审核",
            f"The recording's file was replaced: it now has {found.size} bytes, the file "
            f"audited had {size}. It is not played and no decision can be made; it is marked "
            "for a new audit",
        )
    if found.sha256 != sha256:
        return Text(
            "录像文件已被更换：大小相同，但内容与审核时的文件不一致（SHA-256 不同）。"
            "不能播放，也不能做决定；已标记为待重新审核",
            "The recording's file was replaced: same size, but its content differs from the "
            "file audited (another SHA-256). It is not played and no decision can be made; it "
            "is marked for a new audit",
        )
    return None
