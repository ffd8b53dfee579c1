"""Media access: probe a file, sample its frames at a set rate, read its audio as 16 kHz mono.

Decoding uses PyAV (FFmpeg's libraries, shipped in the `av` wheel; faster-whisper needs it too).
Only what the checks need is decoded: non-reference frames are skipped by the decoder when
sampling at a few frames per second, and only the sampled frames are converted to pixels.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from dualrec_audit.errors import MediaError
from dualrec_audit.result import MediaInfo

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
# File name suffixes treated as recordings (compared in lower case).
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".avi", ".mkv", ".flv", ".ts", ".mpg", ".wmv"})
T = TypeVar("T")
# A file whose decodable video ends this much before its declared duration is truncated.
TRUNCATION_TOLERANCE_S = 1.5


def _open(path: Path) -> Any:
    import av

    try:
        return av.open(str(path), metadata_errors="ignore")
    except av.error.InvalidDataError:
        raise MediaError(
            f"{path.name}: not a readable video (unknown format or damaged header; a file still "
            "being copied looks like this too)",
            code="not_media",
        ) from None
    except av.error.EOFError:  # the file ends inside its header
        raise MediaError(
            f"{path.name}: the file is truncated: it ends before its header is complete "
            "(a file still being copied looks like this too)",
            code="truncated",
        ) from None
    except av.error.FFmpegError as exc:
        raise MediaError(f"{path.name}: cannot be opened: {exc}", code="unreadable") from None


def check_file(path: Path) -> None:
    """Errors that need no decoder: missing, not a file, empty."""
    if not path.exists():
        raise MediaError(f"{path}: no such file", code="not_found")
    if not path.is_file():
        raise MediaError(f"{path}: not a file", code="not_a_file")
    if path.stat().st_size == 0:
        raise MediaError(f"{path.name}: the file is empty (0 bytes)", code="empty_file")


def probe(path: Path) -> MediaInfo:
    """Duration, size, frame rate, rotation and audio streams of a recording."""
    check_file(path)
    with _open(path) as container:
        if not container.streams.video:
            raise MediaError(f"{path.name}: the file has no video stream", code="no_video")
        vs = container.streams.video[0]
        cc = vs.codec_context
        width, height = int(cc.width or 0), int(cc.height or 0)
        if width <= 0 or height <= 0:
            raise MediaError(f"{path.name}: the video stream has no picture size", code="corrupt")
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
        raise MediaError(f"{path.name}: the recording has zero length", code="zero_length")
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
    path: Path, info: MediaInfo, fps: float = 2.0, *, max_side: int = 1920
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield (time in seconds, BGR image) about ``fps`` times per second, upright.

    Pictures larger than ``max_side`` (4K) are scaled down during the pixel conversion. A file
    whose frames stop well before its declared duration raises ``MediaError(truncated)``.
    """
    for t, img, _ in sample_frames_dense(path, info, fps, max_side=max_side):
        yield t, img


def sample_frames_dense(
    path: Path,
    info: MediaInfo,
    fps: float = 2.0,
    *,
    dense: Callable[[float], bool] | None = None,
    dense_fps: float = 10.0,
    max_side: int = 1920,
) -> Iterator[tuple[float, np.ndarray, bool]]:
    """As :func:`sample_frames`, plus extra frames about ``dense_fps`` times per second at the
    times where ``dense(t)`` is true: yields (time, image, is_base) with ``is_base`` true for
    the ``fps`` frames. Only the frames yielded are converted to pixels."""
    import av

    step = 1.0 / fps
    dstep = 1.0 / dense_fps if dense is not None else math.inf
    next_d = 0.0
    scale = min(1.0, max_side / max(info.width, info.height))
    out_w = int(round(info.width * scale / 2) * 2)
    out_h = int(round(info.height * scale / 2) * 2)
    last_t = -1.0
    with _open(path) as container:
        vs = container.streams.video[0]
        vs.thread_type = "AUTO"
        if info.fps >= 2 * max(fps, dense_fps if dense is not None else 0.0):
            vs.codec_context.skip_frame = "NONREF"
        start = float(vs.start_time * vs.time_base) if vs.start_time is not None else 0.0
        next_t = 0.0
        try:
            for frame in container.decode(vs):
                if frame.pts is None:
                    continue
                t = float(frame.pts * vs.time_base) - start
                last_t = max(last_t, t)
                base = t + 1e-3 >= next_t
                extra = not base and t + 1e-3 >= next_d and dense is not None and dense(t)
                if not (base or extra):
                    continue
                if scale < 1.0:
                    img = frame.to_ndarray(width=out_w, height=out_h, format="bgr24")
                else:
                    img = frame.to_ndarray(format="bgr24")
                yield t, _rotate(img, info.rotation), base
                if base:
                    next_t = (math.floor(t / step + 1e-6) + 1) * step
                if dense is not None:
                    next_d = (math.floor(t / dstep + 1e-6) + 1) * dstep
        except av.error.FFmpegError as exc:
            log.warning("%s: decoding stopped at %.2f s: %s", path.name, last_t, exc)
    frame_gap = 1.0 / info.fps if info.fps else 0.0
    if last_t < 0:
        raise MediaError(f"{path.name}: no video frame could be decoded", code="corrupt")
    if last_t + frame_gap < info.duration_s - TRUNCATION_TOLERANCE_S:
        raise MediaError(
            f"{path.name}: the file is truncated or damaged: it declares "
            f"{info.duration_s:.1f} s but its frames stop at {last_t:.1f} s "
            "(a file still being copied looks like this too)",
            code="truncated",
        )


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
    import av

    with _open(path) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        chunks: list[np.ndarray] = []
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except av.error.FFmpegError as exc:
            log.warning("%s: audio decoding stopped early: %s", path.name, exc)
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(chunks).astype(np.float32, copy=False)
