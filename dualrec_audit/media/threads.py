"""How many threads decoding takes: a share of the cores, by the decoding load.

A scan worker sizes its threads by its share of the machine (:func:`share_cores`); the decoder
takes half of them, or twice the cores where decoding sets the audit's pace
(:func:`decoder_threads`).
"""

from __future__ import annotations

import logging
import os

from dualrec_audit.core.result import MediaInfo

log = logging.getLogger(__name__)


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
