"""Probing a file: is it a readable recording, which streams, how long, which way up.

Every reader of a file opens it here (:func:`open_media`), so that a damaged, truncated or
non-video file gives the same clear :class:`~dualrec_audit.core.errors.MediaError` wherever it
is read.
"""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from dualrec_audit.core.errors import MediaError
from dualrec_audit.core.paths import display_path
from dualrec_audit.core.result import MediaInfo

log = logging.getLogger(__name__)


# File name suffixes treated as recordings (compared in lower case).
VIDEO_SUFFIXES = frozenset(
    {".mp4", ".mov", ".m4v", ".avi", ".mkv", ".flv", ".ts", ".mpg", ".mpeg", ".wmv", ".webm"}
    | {".3gp", ".3g2", ".mts", ".m2ts"}
)

# Signatures of still pictures (a photo renamed .mp4 is not a recording).
_IMAGE_MAGIC = {
    b"\xff\xd8\xff": "JPEG",
    b"\x89PNG": "PNG",
    b"GIF8": "GIF",
    b"BM": "BMP",
}


def os_error_message(path: Path | str, exc: OSError) -> str:
    """Why a file cannot be read, in words (not "[Errno 13]")."""
    reasons = {
        errno.EACCES: "permission denied (this account may not read it: check the share's "
        "access rights)",
        errno.EPERM: "permission denied (check the share's access rights)",
        errno.ENOENT: "no such file (renamed or deleted)",
        errno.EIO: "input/output error (a damaged disk, or the share went away)",
        errno.ESTALE: "the share went away (stale file handle)",
    }
    reason = reasons.get(exc.errno or 0, exc.strerror or str(exc))
    return f"{display_path(Path(path).name)}: cannot be read: {reason}"


def _not_there(path: Path, exc: OSError) -> MediaError:
    """Why ``os.stat`` found no file: missing, a link to nothing or a loop of links, a name or
    path longer than the system opens, or unreadable."""
    if exc.errno == errno.ENAMETOOLONG:
        longest = max(len(os.fsencode(part)) for part in path.parts)
        return MediaError(
            f"{display_path(path)[:120]}…: the name is too long for the system to open "
            f"({longest} bytes in one name, {len(os.fsencode(path))} in the path; at most "
            "255 and 4095). Rename it shorter",
            code="path_too_long",
        )
    if exc.errno == errno.ELOOP:
        return MediaError(
            f"{name_of(path)}: a link that leads back to itself (a loop of links)",
            code="link_loop",
        )
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        if os.path.islink(path):
            target = display_path(os.readlink(path))
            return MediaError(
                f"{name_of(path)}: a link to {target}, which does not exist", code="broken_link"
            )
        return MediaError(f"{display_path(path)}: no such file", code="not_found")
    return MediaError(os_error_message(path, exc), code="unreadable")


def name_of(path: Path) -> str:
    return display_path(path.name)


def open_media(path: Path) -> Any:
    import av

    try:
        return av.open(str(path), metadata_errors="ignore")
    except av.error.InvalidDataError:
        raise MediaError(
            f"{name_of(path)}: not a readable video (unknown format or damaged header; a file "
            "still being copied looks like this too)",
            code="not_media",
        ) from None
    except av.error.EOFError:  # the file ends inside its header
        raise MediaError(
            f"{name_of(path)}: the file is truncated: it ends before its header is complete "
            "(a file still being copied looks like this too)",
            code="truncated",
        ) from None
    except av.error.FFmpegError as exc:
        raise MediaError(f"{name_of(path)}: cannot be opened: {exc}", code="unreadable") from None


def check_file(path: Path) -> None:
    """Errors that need no decoder: missing, a link to nothing, not a file, unreadable,
    empty, a still picture."""
    try:
        os.stat(path)
    except OSError as exc:
        raise _not_there(path, exc) from None
    if not path.is_file():
        raise MediaError(f"{display_path(path)}: not a file", code="not_a_file")
    try:
        with path.open("rb") as f:
            head = f.read(16)
    except OSError as exc:
        raise MediaError(os_error_message(path, exc), code="unreadable") from None
    if not head:
        raise MediaError(f"{name_of(path)}: the file is empty (0 bytes)", code="empty_file")
    for magic, kind in _IMAGE_MAGIC.items():
        if head.startswith(magic):
            raise MediaError(
                f"{name_of(path)}: a still picture ({kind}), not a video", code="not_video"
            )


# The first bytes of the containers recordings come in (ISO BMFF boxes: MP4, MOV, 3GP; RIFF
# AVI; Matroska/WebM; FLV; ASF/WMV; MPEG program and transport streams).
_BOX_TYPES = (b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid", b"styp")
_VIDEO_MAGIC = (b"\x1a\x45\xdf\xa3", b"FLV", b"\x30\x26\xb2\x75", b"\x00\x00\x01\xba")


def may_become_media(path: Path) -> bool:
    """Whether the bytes written so far could be the start of a recording still being copied.

    False for a file that already holds enough bytes and starts like no video container (a
    text file named ``.mp4``): no more data will make it one, so a scan never waits for it."""
    try:
        with path.open("rb") as f:
            head = f.read(512)
    except OSError:
        return True  # cannot tell: waiting costs time, not a result
    if len(head) < 12:
        return True
    if head[4:8] in _BOX_TYPES or head.startswith(_VIDEO_MAGIC):
        return True
    if head.startswith(b"RIFF") and head[8:12] in (b"AVI ", b"AVIX"):
        return True
    return head[0] == 0x47 and (len(head) < 189 or head[188] == 0x47)  # MPEG-TS sync bytes


def probe(path: Path) -> MediaInfo:
    """Duration, size, frame rate, rotation and audio streams of a recording."""
    check_file(path)
    with open_media(path) as container:
        if not container.streams.video:
            raise MediaError(f"{name_of(path)}: the file has no video stream", code="no_video")
        if container.format.name.endswith("_pipe") or container.format.name == "image2":
            raise MediaError(
                f"{name_of(path)}: a still picture ({container.format.name}), not a video",
                code="not_video",
            )
        vs = container.streams.video[0]
        cc = vs.codec_context
        width, height = int(cc.width or 0), int(cc.height or 0)
        if width <= 0 or height <= 0:
            raise MediaError(
                f"{name_of(path)}: the video stream has no picture size", code="corrupt"
            )
        rate = vs.average_rate or vs.guessed_rate or vs.base_rate
        fps = float(rate) if rate else 0.0
        duration = _duration(container, vs)
        rotation = _rotation(container, vs)
        audio = container.streams.audio
        acodec = audio[0].codec_context.name if audio else None
        srate = int(audio[0].codec_context.sample_rate or 0) if audio else None
        info = MediaInfo(
            duration_s=duration,
            width=width,
            height=height,
            fps=fps,
            rotation=rotation,
            video_codec=cc.name,
            audio_streams=len(audio),
            audio_codec=acodec,
            sample_rate=srate,
        )
    if info.duration_s <= 0:
        raise MediaError(f"{name_of(path)}: the recording has zero length", code="zero_length")
    return info


def _duration(container: Any, vs: Any) -> float:
    if vs.duration is not None and vs.time_base is not None:
        d = float(vs.duration * vs.time_base)
        if d > 0:
            return d
    if container.duration is not None:
        return float(container.duration) / 1_000_000
    if vs.frames and vs.average_rate:
        return float(vs.frames / vs.average_rate)
    return 0.0


def _rotation(container: Any, vs: Any) -> int:
    """Display rotation in degrees clockwise (0, 90, 180, 270), read from the first frame."""
    try:
        for frame in container.decode(vs):
            return round(-float(frame.rotation or 0)) % 360
    except Exception:  # a damaged first frame: rotation unknown, the sampler reports it
        return 0
    return 0


def stream_start(vs: Any) -> float:
    """A stream's first time (seconds): its frames' and packets' times are counted from it."""
    return float(vs.start_time * vs.time_base) if vs.start_time is not None else 0.0


def rotate(img: np.ndarray, rotation: int) -> np.ndarray:
    if rotation == 90:
        return np.ascontiguousarray(np.rot90(img, k=-1))
    if rotation == 180:
        return np.ascontiguousarray(img[::-1, ::-1])
    if rotation == 270:
        return np.ascontiguousarray(np.rot90(img, k=1))
    return img
