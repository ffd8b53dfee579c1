"""Sound: audio tracks decoded to 16 kHz mono, spooled to disk and read by windows and blocks.

Memory does not grow with the length of the recording: a track is read back a window or a
block (``AUDIO_BLOCK_S``) at a time. A silent track is passed over for a later one with sound.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dualrec_audit.media.probe import name_of, open_media

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000

# A track quieter than this (RMS, dBFS) is silent: a later track with sound is audited instead.
SILENT_TRACK_DBFS = -60.0

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

    with open_media(path) as container:
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
        log.warning("%s: audio reading stopped early: %s", name_of(path), exc)
    if bad:
        log.warning("%s: %d audio packets could not be decoded", name_of(path), bad)
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
