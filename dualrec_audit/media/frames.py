"""Frames: sampled at a set rate under the decode plan, damaged spans, holes, single frames,
thumbnails.

Only the sampled frames are converted to pixels; undecodable packets become damaged spans, a
stretch with no frame at all (a recorder that dropped its frames) a hole, and a file that ends
before its declared duration is truncated (a :class:`MediaError`).
"""

from __future__ import annotations

import array
import logging
import math
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from dualrec_audit.core.errors import MediaError
from dualrec_audit.core.result import MediaInfo
from dualrec_audit.media.plan import DecodePlan, decode_plan
from dualrec_audit.media.probe import name_of, open_media, rotate, stream_start

log = logging.getLogger(__name__)

T = TypeVar("T")

# A file whose decodable video ends this much before its declared duration is truncated.
TRUNCATION_TOLERANCE_S = 1.5

# Undecodable packets closer than this belong to one damaged span.
DAMAGE_MERGE_S = 1.0
# No frame for longer than this (and than a few of the file's frame intervals): a hole.
HOLE_S = 1.0
HOLE_FRAMES = 4


def sample_frames(
    path: Path,
    info: MediaInfo,
    fps: float = 2.0,
    *,
    max_side: int = 1920,
    damaged: list[tuple[float, float]] | None = None,
    holes: list[tuple[float, float]] | None = None,
    plan: DecodePlan | None = None,
    tap: Callable[[float, Any], None] | None = None,
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield (time in seconds, BGR image) about ``fps`` times per second, upright.

    ``plan`` says what the decoder may skip (default: :func:`decode_plan` for this file).
    ``tap(t, frame)``, when given, sees every decoded frame (a PyAV frame, before any pixel
    conversion) in the decoding thread, before the sample at or after ``t`` is yielded.

    Pictures larger than ``max_side`` (4K) are scaled down during the pixel conversion.
    Packets that cannot be decoded are skipped and decoding goes on after them; the spans
    they cover are appended to ``damaged``; the stretches with no frame in the stream (no
    packet, decodable or not, for over ``HOLE_S``: :func:`hole_spans`) to ``holes``. A file
    whose frames stop well before its declared duration raises ``MediaError(truncated)``.
    """
    plan = plan or decode_plan(path, info, fps)
    step = 1.0 / fps
    scale = min(1.0, max_side / max(info.width, info.height))
    size = (int(round(info.width * scale / 2) * 2), int(round(info.height * scale / 2) * 2))
    last_t = -1.0
    bad: list[float] = []
    seen = array.array("d")  # every packet's and frame's time (the decoder may skip packets)
    with open_media(path) as container:
        vs = _configure(container.streams.video[0], plan)
        start = stream_start(vs)
        next_t = 0.0
        for frame in _decode_packets(path, container, vs, start, bad, seen):
            t = float(frame.pts * vs.time_base) - start
            last_t = max(last_t, t)
            seen.append(t)  # (a container may leave a packet's time unsaid, not a frame's)
            if tap is not None:
                tap(t, frame)
            if t + 1e-3 < next_t:
                continue
            if scale < 1.0:
                img = frame.to_ndarray(width=size[0], height=size[1], format="bgr24")
            else:
                img = frame.to_ndarray(format="bgr24")
            yield t, rotate(img, info.rotation)
            next_t = (math.floor(t / step + 1e-6) + 1) * step
    _check_complete(path, info, last_t, bad, damaged)
    if holes is not None:
        holes.extend(hole_spans(seen, info.fps))


def _configure(vs: Any, plan: DecodePlan) -> Any:
    """Set the decoder of ``vs`` up as ``plan`` says (before its first packet)."""
    vs.thread_type = "AUTO"
    vs.codec_context.thread_count = plan.threads
    if plan.skip_loop_filter:
        vs.codec_context.options = {"skip_loop_filter": plan.skip_loop_filter}
    if plan.skip_frame:
        vs.codec_context.skip_frame = plan.skip_frame
    return vs


def _check_complete(
    path: Path,
    info: MediaInfo,
    last_t: float,
    bad: list[float],
    damaged: list[tuple[float, float]] | None,
) -> None:
    """Raise when no frame or too few were decoded; note the damaged spans."""
    frame_gap = 1.0 / info.fps if info.fps else 0.0
    if last_t < 0:
        raise MediaError(f"{name_of(path)}: no video frame could be decoded", code="corrupt")
    if last_t + frame_gap < info.duration_s - TRUNCATION_TOLERANCE_S:
        raise MediaError(
            f"{name_of(path)}: the file is truncated or damaged: it declares "
            f"{info.duration_s:.1f} s but its frames stop at {last_t:.1f} s "
            "(a file still being copied looks like this too)",
            code="truncated",
        )
    spans = damage_spans([t for t in bad if t < last_t], frame_gap)
    if spans:
        where = ", ".join(f"{a:.1f}–{b:.1f} s" for a, b in spans)
        log.warning("%s: %d packets could not be decoded (%s)", name_of(path), len(bad), where)
    if damaged is not None:
        damaged.extend(spans)


def _decode_packets(
    path: Path, container: Any, vs: Any, start: float, bad: list[float], seen: array.array[float]
) -> Iterator[Any]:
    """The stream's frames, packet by packet: each packet's time is noted in ``seen``; a
    packet the decoder refuses is noted in ``bad`` too and skipped, and decoding goes on with
    the next one."""
    import av

    packets = container.demux(vs)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.error.FFmpegError as exc:  # the file ends (or breaks) inside a packet
            log.warning("%s: reading stopped: %s", name_of(path), exc)
            return
        if packet.pts is not None:
            seen.append(float(packet.pts * vs.time_base) - start)
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


def hole_spans(times: Sequence[float], fps: float) -> list[tuple[float, float]]:
    """The stretches between two frames (their times, in any order) more than ``HOLE_S`` and
    ``HOLE_FRAMES`` frame intervals apart: (the first frame's end, the next frame's time)."""
    frame_gap = 1.0 / fps if fps > 0 else 0.0
    ts = np.sort(np.asarray(times, np.float64))
    apart = np.flatnonzero(np.diff(ts) > max(HOLE_S, HOLE_FRAMES * frame_gap))
    return [(round(float(ts[i]) + frame_gap, 3), round(float(ts[i + 1]), 3)) for i in apart]


def picture_holes(path: Path, info: MediaInfo) -> list[tuple[float, float]]:
    """The holes in a file's picture (:func:`hole_spans`) from its video packets' times alone,
    nothing decoded (a recording whose frames were checked as it was made)."""
    import av

    times = array.array("d")
    with open_media(path) as container:
        vs = container.streams.video[0]
        start = stream_start(vs)
        try:
            for packet in container.demux(vs):
                if packet.pts is not None:
                    times.append(float(packet.pts * vs.time_base) - start)
        except av.error.FFmpegError as exc:  # the file ends (or breaks) inside a packet
            log.warning("%s: reading stopped: %s", name_of(path), exc)
    return hole_spans(times, info.fps)


def frame_at(path: Path, t: float, *, width: int | None = None) -> np.ndarray | None:
    """The upright BGR picture shown at ``t`` seconds (scaled to ``width``), or None when the
    file cannot be read there. Seeks to the key frame before ``t`` and decodes forward."""
    import av

    try:
        with open_media(path) as container:
            vs = container.streams.video[0]
            start = stream_start(vs)
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
            return rotate(img, rotation or 0)
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
