"""The decode plan: what of a file's video is decoded, chosen per file from its packets.

Key frames alone when they come at least as often as the samples; otherwise non-reference
frames are skipped when sampling at a few frames per second, and the in-loop deblocking
filter is skipped where the measurements showed it pays.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dualrec_audit.core.result import MediaInfo
from dualrec_audit.media.probe import name_of, open_media, stream_start
from dualrec_audit.media.threads import decode_load, decoder_threads

log = logging.getLogger(__name__)

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


def scan_packets(path: Path, seconds: float = PLAN_SCAN_S) -> tuple[float | None, bool]:
    """(the longest key-frame interval, are frames reordered) from the video packets of the
    first ``seconds`` (demuxed, not decoded). The interval counts to the end of what was read
    when the file ends there, and is None when no key frame was seen."""
    keys: list[float] = []
    reordered = False
    last_pts: float | None = None
    max_pts = float("-inf")
    with open_media(path) as container:
        vs = container.streams.video[0]
        tb = vs.time_base
        start = stream_start(vs)
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
            log.debug("%s: packet scan stopped", name_of(path), exc_info=True)
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
