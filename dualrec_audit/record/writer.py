"""The recording written as it is made: H.264 + AAC in a fragmented MP4 (PyAV).

A fragment is written every key frame (one a second) with the moov box first and empty
(``frag_keyframe+empty_moov+default_base_moof``), so that a crash, a pulled cable or a full
disk leaves a file that plays up to its last complete fragment. Frames are encoded in a thread
of their own from a queue; the picture is written at a constant rate (a frame's number is its
time times the rate; a late frame takes the next free number, one that comes too soon after
the last is skipped), the sound at 16 kHz mono. A writer more than ``MAX_BEHIND_S`` behind
drops frames rather than holding them all in memory.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from dualrec_audit.media.convert import convert

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
MOVFLAGS = "frag_keyframe+empty_moov+default_base_moof"
# x264's superfast preset: on a 720p25 stream a quarter less CPU than veryfast for a file about
# a tenth larger (measured on the samples: 0.77 s and 0.75 MB against 1.05 s and 0.68 MB per
# 8 s); ultrafast halves the CPU again but doubles the file.
PRESET = "superfast"
MAX_BEHIND_S = 3.0


class WriteError(Exception):
    """The recording could not be written on (disk full, removed, no permission)."""


class FragmentedWriter:
    def __init__(
        self, path: Path, width: int, height: int, fps: float, *, lossless: bool = False
    ) -> None:
        import av

        self.path = path
        self.lossless = lossless
        self.fps = max(1, round(fps))
        self.container = av.open(
            str(path), "w", format="mp4", options={"movflags": MOVFLAGS, "flush_packets": "1"}
        )
        vs = self.container.add_stream("libx264", rate=self.fps)
        vs.width, vs.height = width - width % 2, height - height % 2
        vs.pix_fmt = "yuv420p"
        vs.codec_context.options = {
            "preset": PRESET,
            "tune": "zerolatency",
            "crf": "23",
            "g": str(self.fps),  # a key frame, so a fragment, every second
            "keyint_min": str(self.fps),
            "threads": "1",
        }
        a = self.container.add_stream("aac", rate=SAMPLE_RATE)
        a.layout = "mono"
        self.video, self.audio = vs, a
        self._queue: queue.Queue[tuple[str, float, Any] | None] = queue.Queue()
        self._last = -1
        self._samples = 0
        self.frames = 0
        self.dropped = 0  # frames not written: the encoder was too far behind
        self._waiting = 0  # frames queued
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, name="writer", daemon=True)
        self._thread.start()

    # -- from the source's threads -------------------------------------------------------

    def video_frame(self, t: float, frame: Any) -> None:
        """A frame to write; dropped when the encoder is ``MAX_BEHIND_S`` behind (a machine
        too busy to encode in real time: the picture stutters, the sound goes on whole)."""
        if self._waiting >= MAX_BEHIND_S * self.fps:
            if not self.lossless:
                self.dropped += 1
                return
            while self._waiting >= MAX_BEHIND_S * self.fps and self.error is None:
                time.sleep(0.01)  # a file played as fast as it is checked: wait for the encoder
        self._waiting += 1
        self._queue.put(("v", t, frame))

    def sound(self, t: float, samples: np.ndarray) -> None:
        self._queue.put(("a", t, samples))

    @property
    def backlog(self) -> int:
        return self._queue.qsize()

    def close(self) -> None:
        """Encode what is queued, flush the encoders and close the file."""
        self._queue.put(None)
        self._thread.join()

    # -- the writer's thread -------------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    break
                if self.error is not None:
                    continue  # the disk failed: the rest is dropped, the file kept
                kind, t, data = item
                if kind == "v":
                    self._waiting -= 1
                self._encode_video(t, data) if kind == "v" else self._encode_sound(data)
            if self.error is None:
                self._mux(self.video.encode(None))
                self._mux(self.audio.encode(None))
        except Exception as exc:  # PyAV's errors for a full disk subclass OSError; any other
            self._failed(exc)  # error of the encoder ends the file the same way
        finally:
            try:
                self.container.close()
            except Exception as exc:  # a full disk fails the last fragment too
                log.warning("%s: closing: %s", self.path, exc)

    def _encode_video(self, t: float, frame: Any) -> None:
        n = round(t * self.fps)
        if n <= self._last:
            if t * self.fps < self._last:
                return  # too soon after the last one: a camera faster than the stated rate
            n = self._last + 1  # a little late: the next number
        if frame.width != self.video.width or frame.height != self.video.height:
            frame = convert(frame, width=self.video.width, height=self.video.height)
        frame.pts = n
        frame.time_base = Fraction(1, self.fps)
        self._last = n
        self.frames += 1
        self._mux(self.video.encode(frame))

    def _encode_sound(self, samples: np.ndarray) -> None:
        import av

        block = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples, np.float32).reshape(1, -1), format="flt", layout="mono"
        )
        block.sample_rate = SAMPLE_RATE
        block.pts = self._samples
        block.time_base = Fraction(1, SAMPLE_RATE)
        self._samples += len(samples)
        self._mux(self.audio.encode(block))

    def _mux(self, packets: Any) -> None:
        try:
            for p in packets:
                self.container.mux(p)
        except OSError as exc:
            self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        if self.error is None:
            self.error = getattr(exc, "strerror", None) or str(exc)
            log.error("%s: the recording cannot be written on: %s", self.path, self.error)
