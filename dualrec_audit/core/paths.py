"""File paths as the store keeps them: absolute and normalised, shown as valid Unicode.

On Linux a file name is bytes. A name written by a Windows share in GBK is not valid UTF-8, so
Python holds it with lone surrogates (``os.fsdecode``): such a string opens the file but
cannot be written to a database, a JSON document or a UTF-8 terminal. ``display_path`` gives
the name a person can read (the bytes decoded as GB18030 when they decode cleanly, otherwise
with the undecodable bytes escaped) and ``raw_hex`` the exact bytes, from which
``os_path`` rebuilds the path that opens the file.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath


def absolute(path: str | Path) -> Path:
    """The absolute, normalised path (``..`` and ``.`` removed; symlinks kept as named)."""
    return Path(os.path.abspath(os.fspath(path)))


def is_clean(text: str) -> bool:
    """True when ``text`` is valid Unicode (no lone surrogates from undecodable bytes)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def display_path(path: str | Path) -> str:
    """``path`` as valid Unicode text: itself when it is; else each undecodable name part
    decoded as GB18030 (Windows' Chinese code page) if that works, else escaped (\\xNN)."""
    text = os.fspath(path)
    if is_clean(text):
        return text
    raw = os.fsencode(text)
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace")


def raw_hex(path: str | Path) -> str | None:
    """The path's bytes in hex when its name is not valid UTF-8 (else None: the text is exact)."""
    text = os.fspath(path)
    return None if is_clean(text) else os.fsencode(text).hex()


def os_path(path: str, path_hex: str | None = None) -> str:
    """The path that opens the file: rebuilt from its bytes when they were stored."""
    return os.fsdecode(bytes.fromhex(path_hex)) if path_hex else path


def share_relative(path: Path, root: Path | None) -> str | None:
    """``path`` relative to the scanned folder ``root``, with forward slashes (valid Unicode),
    so that a share mounted elsewhere (another drive letter, another mount point) resolves."""
    if root is None:
        return None
    try:
        rel = path.relative_to(root)
    except ValueError:
        return None
    return display_path(PurePosixPath(*rel.parts).as_posix())


def share_roots() -> list[Path]:
    """Folders where shares are mounted on this machine (``$DUALREC_AUDIT_SHARE_ROOTS``,
    separated by the OS path separator): a stored share-relative path is looked up in each."""
    value = os.environ.get("DUALREC_AUDIT_SHARE_ROOTS", "")
    return [Path(p) for p in value.split(os.pathsep) if p]


def without_name(message: str, name: str) -> str:
    """An error message without the file name it starts with (the line names the file)."""
    for head in (f"{name}: ", f"{name}："):
        if message.startswith(head):
            return message[len(head) :]
    return message
