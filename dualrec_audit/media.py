"""Media access: probe a file, sample its frames at a set rate, read its audio as 16 kHz mono.

Decoding uses PyAV (FFmpeg's libraries, shipped in the `av` wheel; faster-whisper needs it too).
Only what the checks need is decoded: non-reference frames are skipped by the decoder when
sampling at a few frames per second, and only the sampled frames are converted to pixels.
"""

from __future__ import annotations

import errno
import logging
import math
import os
import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from dualrec_audit.errors import MediaError
from dualrec_audit.paths import display_path
from dualrec_audit.result import MediaInfo

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
# File name suffixes treated as recordings (compared in lower case).
VIDEO_SUFFIXES = frozenset(
    {".mp4", ".mov", ".m4v", ".avi", ".mkv", ".flv", ".ts", ".mpg", ".mpeg", ".wmv", ".webm"}
    | {".3gp", ".3g2", ".mts", ".m2ts"}
)
T = TypeVar("T")
# A file whose decodable video ends this much before its declared duration is truncated.
TRUNCATION_TOLERANCE_S = 1.5
# Undecodable packets closer than this belong to one damaged span.
DAMAGE_MERGE_S = 1.0
# A track quieter than this (RMS, dBFS) is silent: a later track with sound is audited instead.
SILENT_TRACK_DBFS = -60.0
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


def _name(path: Path) -> str:
    return display_path(path.name)


def _open(path: Path) -> Any:
    import av

    try:
        return av.open(str(path), metadata_errors="ignore")
    except av.error.InvalidDataError:
        raise MediaError(
            f"{_name(path)}: not a readable video (unknown format or damaged header; a file still "
            "being copied looks like this too)",
            code="not_media",
        ) from None
    except av.error.EOFError:  # the file ends inside its header
        raise MediaError(
            f"{_name(path)}: the file is truncated: it ends before its header is complete "
            "(a file still being copied looks like this too)",
            code="truncated",
        ) from None
    except av.error.FFmpegError as exc:
        raise MediaError(f"{_name(path)}: cannot be opened: {exc}", code="unreadable") from None


def check_file(path: Path) -> None:
    """Errors that need no decoder: missing, a link to nothing, not a file, unreadable,
    empty, a still picture."""
    if not path.exists():
        if path.is_symlink():
            target = display_path(os.readlink(path))
            raise MediaError(
                f"{_name(path)}: a link to {target}, which does not exist",
                code="broken_link",
            )
        raise MediaError(f"{display_path(path)}: no such file", code="not_found")
    if not path.is_file():
        raise MediaError(f"{display_path(path)}: not a file", code="not_a_file")
    try:
        with path.open("rb") as f:
            head = f.read(16)
    except OSError as exc:
        raise MediaError(os_error_message(path, exc), code="unreadable") from None
    if not head:
        raise MediaError(f"{_name(path)}: the file is empty (0 bytes)", code="empty_file")
    for magic, kind in _IMAGE_MAGIC.items():
        if head.startswith(magic):
            raise MediaError(
                f"{_name(path)}: a still picture ({kind}), not a video", code="not_video"
            )


def probe(path: Path) -> MediaInfo:
    """Duration, size, frame rate, rotation and audio streams of a recording."""
    check_file(path)
    with _open(path) as container:
        if not container.streams.video:
            raise MediaError(f"{_name(path)}: the file has no video stream", code="no_video")
        if container.format.name.endswith("_pipe") or container.format.name == "image2":
            raise MediaError(
                f"{_name(path)}: a still picture ({container.format.name}), not a video",
                code="not_video",
            )
        vs = container.streams.video[0]
        cc = vs.codec_context
        width, height = int(cc.width or 0), int(cc.height or 0)
        if width <= 0 or height <= 0:
            raise MediaError(f"{_name(path)}: the video stream has no picture size", code="corrupt")
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
        raise MediaError(f"{_name(path)}: the recording has zero length", code="zero_length")
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


def _rotate(img: np.ndarray, rotation: int) -> np.ndarray:
    if rotation == 90:
        return np.ascontiguousarray(np.rot90(img, k=-1))
    if rotation == 180:
        return np.ascontiguousarray(img[::-1, ::-1])
    if rotation == 270:
        return np.ascontiguousarray(np.rot90(img, k=1))
    return img


def sample_frames(
    path: Path,
    info: MediaInfo,
    fps: float = 2.0,
    *,
    max_side: int = 1920,
    damaged: list[tuple[float, float]] | None = None,
    tap: Callable[[float, Any], None] | None = None,
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield (time in seconds, BGR image) about ``fps`` times per second, upright.

    ``tap(t, frame)``, when given, sees every decoded frame (a PyAV frame, before any pixel
    conversion) in the decoding thread, before the sample at or after ``t`` is yielded.

    Pictures larger than ``max_side`` (4K) are scaled down during the pixel conversion.
    Packets that cannot be decoded are skipped and decoding goes on after them; the spans
    they cover are appended to ``damaged``. A file whose frames stop well before its declared
    duration raises ``MediaError(truncated)``.
    """
    step = 1.0 / fps
    scale = min(1.0, max_side / max(info.width, info.height))
    size = (int(round(info.width * scale / 2) * 2), int(round(info.height * scale / 2) * 2))
    last_t = -1.0
    bad: list[float] = []
    with _open(path) as container:
        vs = container.streams.video[0]
        vs.thread_type = "AUTO"
        if info.fps >= 2 * fps:
            vs.codec_context.skip_frame = "NONREF"
        start = float(vs.start_time * vs.time_base) if vs.start_time is not None else 0.0
        next_t = 0.0
        for frame in _decode_packets(path, container, vs, start, bad):
            t = float(frame.pts * vs.time_base) - start
            last_t = max(last_t, t)
            if tap is not None:
                tap(t, frame)
            if t + 1e-3 < next_t:
                continue
            if scale < 1.0:
                img = frame.to_ndarray(width=size[0], height=size[1], format="bgr24")
            else:
                img = frame.to_ndarray(format="bgr24")
            yield t, _rotate(img, info.rotation)
            next_t = (math.floor(t / step + 1e-6) + 1) * step
    frame_gap = 1.0 / info.fps if info.fps else 0.0
    if last_t < 0:
        raise MediaError(f"{_name(path)}: no video frame could be decoded", code="corrupt")
    if last_t + frame_gap < info.duration_s - TRUNCATION_TOLERANCE_S:
        raise MediaError(
            f"{_name(path)}: the file is truncated or damaged: it declares "
            f"{info.duration_s:.1f} s but its frames stop at {last_t:.1f} s "
            "(a file still being copied looks like this too)",
            code="truncated",
        )
    spans = damage_spans([t for t in bad if t < last_t], frame_gap)
    if spans:
        where = ", ".join(f"{a:.1f}–{b:.1f} s" for a, b in spans)
        log.warning("%s: %d packets could not be decoded (%s)", _name(path), len(bad), where)
    if damaged is not None:
        damaged.extend(spans)


def _decode_packets(
    path: Path, container: Any, vs: Any, start: float, bad: list[float]
) -> Iterator[Any]:
    """The stream's frames, packet by packet: a packet the decoder refuses is noted in
    ``bad`` (its time) and skipped, and decoding goes on with the next one."""
    import av

    packets = container.demux(vs)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.error.FFmpegError as exc:  # the file ends (or breaks) inside a packet
            log.warning("%s: reading stopped: %s", _name(path), exc)
            return
        try:
            frames = packet.decode()
        except av.error.FFmpegError:
            if packet.pts is not None:
                bad.append(float(packet.pts * vs.time_base) - start)
            continue
        yield from (f for f in frames if f.pts is not None)


def damage_spans(times: list[float], frame_gap: float) -> list[tuple[float, float]]:
    """Undecodable packet times merged into spans (packets within ``DAMAGE_MERGE_S``)."""
    spans: list[tuple[float, float]] = []
    for t in sorted(times):
        if spans and t - spans[-1][1] <= DAMAGE_MERGE_S:
            spans[-1] = (spans[-1][0], t + frame_gap)
        else:
            spans.append((max(0.0, t), t + frame_gap))
    return spans


def frame_at(path: Path, t: float, *, width: int | None = None) -> np.ndarray | None:
    """The upright BGR picture shown at ``t`` seconds (scaled to ``width``), or None when the
    file cannot be read there. Seeks to the key frame before ``t`` and decodes forward."""
    import av

    try:
        with _open(path) as container:
            vs = container.streams.video[0]
            start = float(vs.start_time * vs.time_base) if vs.start_time is not None else 0.0
            rotation = None
            container.seek(int(max(0.0, t + start) / vs.time_base), stream=vs, backward=True)
            chosen = None
            for frame in container.decode(vs):
                if rotation is None:
                    rotation = round(-float(frame.rotation or 0)) % 360
                if frame.pts is None:
                    continue
                chosen = frame
                if float(frame.pts * vs.time_base) - start >= t - 1e-3:
                    break
            if chosen is None:
                return None
            w, h = chosen.width, chosen.height
            if width and width < w:
                h, w = int(round(h * width / w / 2) * 2), width
            img = chosen.to_ndarray(width=w, height=h, format="bgr24")
            return _rotate(img, rotation or 0)
    except (MediaError, av.error.FFmpegError, IndexError, OSError) as exc:
        log.info("%s: no picture at %.1f s: %s", path.name, t, exc)
        return None


def thumbnail_jpeg(path: Path, t: float, width: int = 240) -> bytes | None:
    """A small JPEG of the picture at ``t`` seconds (for reports), or None."""
    import cv2

    img = frame_at(path, t, width=width)
    if img is None:
        return None
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return buf.tobytes() if ok else None


def prefetch(items: Iterator[T], depth: int = 4) -> Iterator[T]:
    """Run ``items`` in a background thread, ``depth`` items ahead, so that decoding overlaps
    with analysis (both release the GIL in native code). Exceptions are re-raised here."""
    q: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                q.put(("item", item))
            q.put(("end", None))
        except BaseException as exc:
            q.put(("error", exc))

    worker = threading.Thread(target=produce, name="dualrec-decode", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = q.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                worker.join(0.05)


def load_audio(path: Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray | None:
    """The first audio track as float32 mono at ``sample_rate`` Hz, or None if there is none."""
    tracks = load_audio_tracks(path, sample_rate, first_only=True)
    return tracks[0] if tracks else None


def load_audio_tracks(
    path: Path, sample_rate: int = SAMPLE_RATE, *, first_only: bool = False
) -> list[np.ndarray]:
    """Every audio track (or only the first) as float32 mono at ``sample_rate`` Hz, read in
    one pass over the file."""
    import av

    with _open(path) as container:
        streams = list(container.streams.audio)[: 1 if first_only else None]
        if not streams:
            return []
        resamplers = {
            s.index: av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
            for s in streams
        }
        chunks: dict[int, list[np.ndarray]] = {s.index: [] for s in streams}
        bad = 0
        try:
            for packet in container.demux(*streams):
                try:
                    frames = packet.decode()
                except av.error.FFmpegError:  # a damaged packet: skip it, go on
                    bad += 1
                    continue
                for frame in frames:
                    for out in resamplers[packet.stream.index].resample(frame):
                        chunks[packet.stream.index].append(out.to_ndarray().reshape(-1))
        except av.error.FFmpegError as exc:
            log.warning("%s: audio reading stopped early: %s", _name(path), exc)
        if bad:
            log.warning("%s: %d audio packets could not be decoded", _name(path), bad)
        for index, resampler in resamplers.items():
            for out in resampler.resample(None):
                chunks[index].append(out.to_ndarray().reshape(-1))
    return [
        np.concatenate(c).astype(np.float32, copy=False) if c else np.zeros(0, np.float32)
        for c in chunks.values()  # in stream order
    ]


def level_dbfs(audio: np.ndarray) -> float:
    """RMS level in dBFS (-inf for silence)."""
    if audio.size == 0:
        return float("-inf")
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    return 20 * math.log10(rms) if rms > 0 else float("-inf")


def choose_audio_track(tracks: list[np.ndarray]) -> int:
    """The track to audit: the first one, unless it is silent and a later one is not."""
    for i, audio in enumerate(tracks):
        if level_dbfs(audio) > SILENT_TRACK_DBFS:
            return i
    return 0
