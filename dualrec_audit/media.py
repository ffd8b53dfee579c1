"""Media access: probe a file, sample its frames at a set rate, read its audio as 16 kHz mono.

Decoding uses PyAV (FFmpeg's libraries, shipped in the `av` wheel; faster-whisper needs it too).
Only what the checks need is decoded, chosen per file from its packets (:func:`decode_plan`):
key frames alone when they come at least as often as the samples; otherwise non-reference
frames are skipped when sampling at a few frames per second, and the in-loop deblocking
filter is skipped where the measurements showed it pays; decoder threads take half the
cores, or twice the cores where decoding sets the pace (:func:`decoder_threads`), and only
the sampled frames are converted to pixels.
"""

from __future__ import annotations

import errno
import itertools
import logging
import math
import os
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from dualrec_audit.core.errors import MediaError
from dualrec_audit.core.paths import display_path
from dualrec_audit.core.result import MediaInfo

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


# The deblocking filter is skipped on every frame but key frames in the fast plans.
SKIP_LOOP_FILTER = "nokey"
# How far into a file its packets are read to learn its key-frame interval and frame order.
PLAN_SCAN_S = 30.0


@dataclass(frozen=True)
class DecodePlan:
    """How a file's frames are decoded for the frame checks, chosen from its packets; recorded
    in each result's options (``decode``) so that an audit says how it decoded.

    ``skip_frame``: FFmpeg's discard level for frames not needed ("NONKEY": key frames alone,
    when they come at least as often as the samples; "NONREF": frames no other frame refers
    to, i.e. B-frames; None: none). ``skip_loop_filter``: the deblocking filter left out
    ("nokey": on every frame but key frames; None: never). ``threads``: decoder threads.
    """

    mode: str  # "exact" (every frame, in full), "keyframes", "skip_nonref", "all_frames"
    skip_frame: str | None
    skip_loop_filter: str | None
    threads: int
    keyframe_interval_s: float | None  # the longest seen in the first PLAN_SCAN_S
    reordered: bool  # frames stored out of display order (B-frames)
    codec: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# A scan worker's share of the cores (:func:`share_cores`); None: every core it may run on.
_core_share: int | None = None


def share_cores(n: int | None) -> None:
    """Size this process's threads (decoder, OpenCV) by ``n`` cores — a scan worker's share of
    the machine — rather than by every core it may run on; None: by every core again."""
    global _core_share
    _core_share = None if n is None else max(1, n)


def usable_cores() -> int:
    """The cores this process may use: those it may run on, or its share of them when it is
    one of a scan's workers (:func:`share_cores`)."""
    try:
        cores = max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        cores = max(1, os.cpu_count() or 1)
    return cores if _core_share is None else min(cores, _core_share)


# What decoding a picture costs, by codec, against H.264 (measured single-threaded on 720p25
# and 1080p30: HEVC about 2.2 times H.264); codecs not named count as H.264.
CODEC_COST = {"hevc": 2.0, "av1": 2.0, "vp9": 1.5}
# Up to this decoding load (megapixels a second times the codec's cost; 720p25 H.264 is 23)
# the decoder keeps up with the frame checks on a thread of its own. Above it (HEVC 720p25
# is 46, H.264 1080p30 62) decoding is the audit's longest chain and sets its pace.
LIGHT_DECODE_LOAD = 30.0
# FFmpeg advises against more frame threads than this.
MAX_DECODER_THREADS = 16


def decode_load(info: MediaInfo, share: float = 1.0) -> float:
    """Megapixels decoded a second, weighted by the codec's cost; ``share``: the part of the
    frames decoded."""
    mpx = info.width * info.height * (info.fps or 25.0) / 1e6
    return mpx * share * CODEC_COST.get(info.video_codec.lower(), 1.0)


def decoder_threads(load: float = 0.0) -> int:
    """Decoder threads for a decoding ``load`` (:func:`decode_load`).

    Light (up to :data:`LIGHT_DECODE_LOAD`): half the cores this process may use (at least
    one), the frame checks and the sound running beside it on the other half. On 2 cores a
    second decoder thread only added FFmpeg's frame-threading overhead (0.3-0.4 CPU s a minute
    of 720p H.264) to a core already busy: the checks of a minute of 720p Baseline took
    15-25 % longer with it.

    Heavier: twice the cores (at most :data:`MAX_DECODER_THREADS`). The decoder is then the
    chain the rest waits for, and with more threads than cores it gets the larger share of
    them while the checks' threads take the rest: on HEVC 720p25 checks / floor went from
    1.00-1.02 with one thread to 1.03-1.05 with two, 1.08 with three and 1.04-1.11 with four
    (medians of 6-10 alternated rounds), on HEVC 1080p30 from 1.32 with two to 1.38 with four;
    H.264 1080p30 was the same with one or four (1.48-1.66 / 1.52-1.58)."""
    cores = usable_cores()
    if load <= LIGHT_DECODE_LOAD:
        return max(1, cores // 2)
    return min(MAX_DECODER_THREADS, 2 * cores)


def scan_packets(path: Path, seconds: float = PLAN_SCAN_S) -> tuple[float | None, bool]:
    """(the longest key-frame interval, are frames reordered) from the video packets of the
    first ``seconds`` (demuxed, not decoded). The interval counts to the end of what was read
    when the file ends there, and is None when no key frame was seen."""
    keys: list[float] = []
    reordered = False
    last_pts: float | None = None
    max_pts = float("-inf")
    with _open(path) as container:
        vs = container.streams.video[0]
        tb = vs.time_base
        start = float(vs.start_time * tb) if vs.start_time is not None else 0.0
        try:
            for packet in container.demux(vs):
                if packet.pts is None:
                    continue
                t = float(packet.pts * tb) - start
                if t > seconds:
                    break
                reordered = reordered or t < max_pts
                max_pts = max(max_pts, t)
                last_pts = t
                if packet.is_keyframe:
                    keys.append(t)
        except Exception:  # a damaged file: the sampler reports it; plan without it
            log.debug("%s: packet scan stopped", _name(path), exc_info=True)
    if not keys or last_pts is None:
        return None, reordered
    bounds = [*keys, last_pts]
    gaps = [b - a for a, b in itertools.pairwise(bounds)]
    return (max(gaps) if gaps and max(gaps) > 0 else None), reordered


def decode_plan(path: Path, info: MediaInfo, fps: float, *, exact: bool = False) -> DecodePlan:
    """The cheapest decoding whose sampled pictures give the checks the same events: key frames
    alone when they come at least every sample step (plus one frame); otherwise B-frames
    skipped when sampling at most half the frame rate, and the deblocking filter left out
    of all but key frames. ``exact``: every frame decoded in full
    (the reference the fast paths are tested against)."""
    interval, reordered = scan_packets(path)
    step = 1.0 / fps
    frame = 1.0 / info.fps if info.fps else 0.0
    keyframes = not exact and interval is not None and interval <= step + frame + 1e-3
    # Key frames alone: a key frame every interval is decoded; otherwise count every frame
    # (skipped B-frames are the cheapest ones).
    share = frame / interval if keyframes and interval else 1.0
    common = {
        "threads": decoder_threads(decode_load(info, share)),
        "keyframe_interval_s": None if interval is None else round(interval, 3),
        "reordered": reordered,
        "codec": info.video_codec,
    }
    if exact:
        return DecodePlan("exact", None, None, **common)  # type: ignore[arg-type]
    if keyframes:
        return DecodePlan("keyframes", "NONKEY", None, **common)  # type: ignore[arg-type]
    # Deblocking left out of every frame but key frames: 15-25 % of H.264 and HEVC decoding
    # time, measured; the samples' and the encodings' events do not move (tests/test_decode.py).
    if info.fps >= 2 * fps and reordered:
        return DecodePlan("skip_nonref", "NONREF", SKIP_LOOP_FILTER, **common)  # type: ignore[arg-type]
    return DecodePlan("all_frames", None, SKIP_LOOP_FILTER, **common)  # type: ignore[arg-type]


def sample_frames(
    path: Path,
    info: MediaInfo,
    fps: float = 2.0,
    *,
    max_side: int = 1920,
    damaged: list[tuple[float, float]] | None = None,
    plan: DecodePlan | None = None,
    tap: Callable[[float, Any], None] | None = None,
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield (time in seconds, BGR image) about ``fps`` times per second, upright.

    ``plan`` says what the decoder may skip (default: :func:`decode_plan` for this file).
    ``tap(t, frame)``, when given, sees every decoded frame (a PyAV frame, before any pixel
    conversion) in the decoding thread, before the sample at or after ``t`` is yielded.

    Pictures larger than ``max_side`` (4K) are scaled down during the pixel conversion.
    Packets that cannot be decoded are skipped and decoding goes on after them; the spans
    they cover are appended to ``damaged``. A file whose frames stop well before its declared
    duration raises ``MediaError(truncated)``.
    """
    plan = plan or decode_plan(path, info, fps)
    step = 1.0 / fps
    scale = min(1.0, max_side / max(info.width, info.height))
    size = (int(round(info.width * scale / 2) * 2), int(round(info.height * scale / 2) * 2))
    last_t = -1.0
    bad: list[float] = []
    with _open(path) as container:
        vs = _configure(container.streams.video[0], plan)
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
    _check_complete(path, info, last_t, bad, damaged)


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


# Audio is decoded, analysed and recognised in blocks of this many seconds (a multiple of
# 3 s, so that a block holds whole 30 ms frames and whole seconds): memory does not grow with
# the length of the recording.
AUDIO_BLOCK_S = 30


class AudioTrack:
    """One decoded audio track, float32 mono, spooled to an unnamed temporary file.

    Read by windows (``track[a:b]`` in samples, :meth:`window` in seconds, :meth:`blocks`):
    only the window asked for is in memory. Slicing gives a new array, as a NumPy slice would
    give a view, so code written for an array of samples works on a track unchanged."""

    def __init__(self, sample_rate: int = SAMPLE_RATE) -> None:
        import tempfile

        self.sample_rate = sample_rate
        self._file = tempfile.TemporaryFile(prefix="dualrec-audio-")
        self._n = 0
        self._sumsq = 0.0

    @classmethod
    def from_array(cls, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> AudioTrack:
        track = cls(sample_rate)
        track.append(audio)
        return track

    def append(self, samples: np.ndarray) -> None:
        data = np.ascontiguousarray(samples, dtype=np.float32).reshape(-1)
        self._file.seek(self._n * 4)
        self._file.write(data.tobytes())
        self._n += len(data)
        self._sumsq += float(np.sum(np.square(data, dtype=np.float64)))

    def __len__(self) -> int:
        return self._n

    @property
    def duration_s(self) -> float:
        return self._n / self.sample_rate

    @property
    def level_dbfs(self) -> float:
        """RMS level of the whole track in dBFS (-inf for silence)."""
        if self._n == 0 or self._sumsq <= 0:
            return float("-inf")
        return 10 * math.log10(self._sumsq / self._n)

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples [start, stop) (clipped to the track)."""
        start, stop = max(0, start), min(self._n, stop)
        if stop <= start:
            return np.zeros(0, np.float32)
        data = os.pread(self._file.fileno(), (stop - start) * 4, start * 4)
        return np.frombuffer(data, dtype=np.float32).copy()

    def __getitem__(self, key: slice) -> np.ndarray:
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("an audio track is read by contiguous slices")
        start, stop, _ = key.indices(self._n)
        return self.read(start, stop)

    def window(self, start_s: float, end_s: float) -> np.ndarray:
        """Samples from ``start_s`` to ``end_s`` seconds."""
        return self.read(int(max(0.0, start_s) * self.sample_rate), int(end_s * self.sample_rate))

    def blocks(self, block_s: float = AUDIO_BLOCK_S) -> Iterator[np.ndarray]:
        """The track in order, ``block_s`` seconds at a time."""
        step = int(block_s * self.sample_rate)
        for a in range(0, self._n, step):
            yield self.read(a, a + step)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> AudioTrack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# Samples, whole in memory or spooled by track: what the speech checks and recognisers read.
Audio = np.ndarray | AudioTrack


def samples_between(audio: Audio, start: int, stop: int) -> np.ndarray:
    """Samples [start, stop) of an array or a track."""
    return audio[max(0, start) : max(0, stop)]


def iter_blocks(audio: Audio, block: int) -> Iterator[np.ndarray]:
    """An array or a track in order, ``block`` samples at a time."""
    for a in range(0, len(audio), block):
        yield samples_between(audio, a, a + block)


def load_audio(path: Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray | None:
    """The first audio track as float32 mono at ``sample_rate`` Hz, or None if there is none
    (whole in memory: for short clips and tests; audits use :func:`decode_audio_tracks`)."""
    tracks = decode_audio_tracks(path, sample_rate, first_only=True)
    if not tracks:
        return None
    with tracks[0] as track:
        return track[:]


def load_audio_tracks(
    path: Path, sample_rate: int = SAMPLE_RATE, *, first_only: bool = False
) -> list[np.ndarray]:
    """Every audio track (or only the first) as float32 mono arrays (whole in memory)."""
    out = []
    for track in decode_audio_tracks(path, sample_rate, first_only=first_only):
        with track:
            out.append(track[:])
    return out


def decode_audio_tracks(
    path: Path, sample_rate: int = SAMPLE_RATE, *, first_only: bool = False
) -> list[AudioTrack]:
    """Every audio track (or only the first) as float32 mono at ``sample_rate`` Hz, read in
    one pass over the file and spooled to temporary files block by block (the caller closes
    them). Damaged packets are skipped."""
    import av

    with _open(path) as container:
        streams = list(container.streams.audio)[: 1 if first_only else None]
        if not streams:
            return []
        resamplers = {
            s.index: av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
            for s in streams
        }
        tracks = {s.index: AudioTrack(sample_rate) for s in streams}
        try:
            _spool_packets(path, container, streams, resamplers, tracks)
        except BaseException:
            for t in tracks.values():
                t.close()
            raise
    return list(tracks.values())  # in stream order


def _spool_packets(
    path: Path,
    container: Any,
    streams: list[Any],
    resamplers: dict[int, Any],
    tracks: dict[int, AudioTrack],
) -> None:
    import av

    pending: dict[int, list[np.ndarray]] = {i: [] for i in tracks}
    sizes = dict.fromkeys(tracks, 0)
    block = AUDIO_BLOCK_S * next(iter(tracks.values())).sample_rate

    def add(index: int, out: Any) -> None:
        pending[index].append(out.to_ndarray().reshape(-1))
        sizes[index] += pending[index][-1].size
        if sizes[index] >= block:
            tracks[index].append(np.concatenate(pending[index]))
            pending[index], sizes[index] = [], 0

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
                    add(packet.stream.index, out)
    except av.error.FFmpegError as exc:
        log.warning("%s: audio reading stopped early: %s", _name(path), exc)
    if bad:
        log.warning("%s: %d audio packets could not be decoded", _name(path), bad)
    for index, resampler in resamplers.items():
        for out in resampler.resample(None):
            add(index, out)
        if pending[index]:
            tracks[index].append(np.concatenate(pending[index]))


def level_dbfs(audio: np.ndarray) -> float:
    """RMS level in dBFS (-inf for silence)."""
    if audio.size == 0:
        return float("-inf")
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    return 20 * math.log10(rms) if rms > 0 else float("-inf")


def choose_audio_track(tracks: Sequence[Audio]) -> int:
    """The track to audit: the first one, unless it is silent and a later one is not."""
    for i, audio in enumerate(tracks):
        level = audio.level_dbfs if isinstance(audio, AudioTrack) else level_dbfs(audio)
        if level > SILENT_TRACK_DBFS:
            return i
    return 0
