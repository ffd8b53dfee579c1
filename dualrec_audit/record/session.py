"""One guided recording: a source's frames and sound written to the recording as they arrive
and checked live, the teller told what to fix, and after stop the audit of the saved file that
reuses the live checks.

Threads: the source's (it hands over frames and sound); the writer's (encodes everything it
is given); the picture's (the live frame checks on the latest sampled frame: one waits at most,
a newer one replaces it and the older is counted as dropped, as a camera drops frames when its
reader is slow); the sound's (every block, in order: the speech measures and the recogniser).
The lag of a moment is the wall time from its arrival to its checks done.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dualrec_audit.audit.pipeline import AuditPipeline, Looked, ProgressHook
from dualrec_audit.core.result import AuditResult, MediaInfo, Text
from dualrec_audit.media.convert import convert_array
from dualrec_audit.record.hints import Change, HintBoard, Key, Listener, Notice
from dualrec_audit.record.live_picture import LivePicture
from dualrec_audit.record.live_script import Alarm, LiveScript
from dualrec_audit.record.live_sound import LiveSound
from dualrec_audit.record.live_sweep import LiveSweep
from dualrec_audit.record.sources import Format, Source
from dualrec_audit.record.texts import alarm_text, document_text, hint_text, stage_text
from dualrec_audit.record.writer import SAMPLE_RATE, FragmentedWriter

log = logging.getLogger(__name__)

# Observations in a row that raise a hint (2 of the picture's samples: 0.5 s at 2 a second;
# the sound is measured 4 times a second) and that clear it.
HOLD = {"noise": 3, "clipping": 1, "silence": 1}
RELEASE = {"noise": 3}
SETTLE_S = 0.5


@dataclass
class Figures:
    """The live run's figures: lag (arrival to checks done), frames, dropped samples."""

    frames_in: int = 0
    samples_due: int = 0  # sampled frames the checks should have seen
    samples_dropped: int = 0  # ... replaced by a newer one before the checks took them
    picture_lags: list[float] = field(default_factory=list)
    sound_lags: list[float] = field(default_factory=list)
    sweep_lags: list[float] = field(default_factory=list)  # the forbidden sweep's (off the path)
    sweep_close_s: float | None = None  # the sweep catching up after stop
    cpu_s: float = 0.0
    wall_s: float = 0.0
    peak_rss_mb: float | None = None

    def to_dict(self) -> dict[str, Any]:
        def worst(v: list[float]) -> float | None:
            return round(max(v), 3) if v else None

        def p95(v: list[float]) -> float | None:
            return round(float(np.percentile(v, 95)), 3) if v else None

        return {
            "frames_in": self.frames_in,
            "samples_due": self.samples_due,
            "samples_checked": len(self.picture_lags),
            "samples_dropped": self.samples_dropped,
            "max_lag_s": worst(self.picture_lags + self.sound_lags),
            "picture_lag_max_s": worst(self.picture_lags),
            "picture_lag_p95_s": p95(self.picture_lags),
            "sound_lag_max_s": worst(self.sound_lags),
            "sound_lag_p95_s": p95(self.sound_lags),
            "sweep_lag_max_s": worst(self.sweep_lags),
            "sweep_lag_p95_s": p95(self.sweep_lags),
            "sweep_close_s": None if self.sweep_close_s is None else round(self.sweep_close_s, 2),
            "cpu_s": round(self.cpu_s, 2),
            "cpu_share": round(self.cpu_s / self.wall_s, 3) if self.wall_s else None,
            "peak_rss_mb": self.peak_rss_mb,
        }


class RecordingSession:
    """``start()``, then ``stop()`` (or the source ends), then ``finish()`` for the audit."""

    def __init__(
        self,
        pipeline: AuditPipeline,
        profile: str,
        out: Path,
        source: Source,
        listeners: tuple[Listener, ...] = (),
    ) -> None:
        self.pipeline = pipeline
        self.profile_id = profile
        prof = pipeline.profile_for(profile)
        assert prof is not None
        self.profile = prof
        self.out = out
        self.source = source
        self.listeners = list(listeners)
        self.format: Format = source.open()  # a device that cannot be opened: nothing started
        self.figures = Figures()
        self.notices: list[Notice] = []
        self.device_lost: str | None = None
        self.documents_shown: set[str] = set()
        self._asked: str | None = None
        self.latest: Any = None  # the latest frame (for the window)
        self.board = HintBoard(self._tell, lambda k: hint_text(k[0], k[1], k[2]))
        self._build_checks()
        f = self.format
        self.writer = FragmentedWriter(out, f.width, f.height, f.fps, lossless=source.lossless)
        self._origin: float | None = None
        self._step = 1.0 / pipeline.options.sample_fps
        self._next_sample = 0.0
        self._slot: tuple[float, Any, float] | None = None
        self._slot_ready = threading.Condition()
        self._sounds: queue.Queue[tuple[float, np.ndarray, float] | None] = queue.Queue()
        self._papers: queue.Queue[tuple[float, np.ndarray] | None] = queue.Queue()
        self._ended = threading.Event()
        self._threads: list[threading.Thread] = []
        self._spots: list[Any] = []  # the live sweep's places not yet heard by the recogniser
        self._cpu0 = 0.0
        self._wall0 = 0.0

    def _build_checks(self) -> None:
        f = self.format
        info = MediaInfo(0.0, f.width, f.height, f.fps, 0, "h264", 1)
        checks, mouths, self._no_docs = self.pipeline.frame_checks(self.profile, info)
        faces, video, *docs = checks
        if docs:
            from dualrec_audit.vision import ocr

            ocr.load()
        self.looking = LivePicture(faces, video, mouths, docs[0] if docs else None)  # type: ignore[arg-type]
        self.hearing = LiveSound(self.pipeline.options.speech)
        engine = self.pipeline.engine
        self.script = LiveScript(engine, self.profile) if engine is not None else None
        self.sweep = self._sweeper()

    def _sweeper(self) -> LiveSweep | None:
        """The forbidden phrases' sweep, live (None: the audit sweeps the file after stop)."""
        params = self.pipeline.options.script
        if self.pipeline.engine is None or not params.sweep_forbidden:
            return None
        try:
            return LiveSweep(self.pipeline.engine, self.profile.phrase_set().forbidden, params)
        except Exception:
            log.exception("the live forbidden-phrase sweep cannot start: the file is swept")
            return None

    # -- control ---------------------------------------------------------------------

    def start(self) -> None:
        self._cpu0, self._wall0 = time.process_time(), time.monotonic()
        self._document(None, shown=False)  # the first document to show, if any
        threads = [(self._look, "live-picture"), (self._hear, "live-sound")]
        if self.looking.documents is not None:
            threads.append((self._read_papers, "live-documents"))
        for target, name in threads:
            th = threading.Thread(target=target, name=name, daemon=True)
            th.start()
            self._threads.append(th)
        if self.sweep is not None:
            self.sweep.start()
        self.source.start(self)

    def stop(self) -> None:
        """The teller pressed stop (or the window closed): the source stops delivering."""
        self.source.stop()
        self.ended()

    def wait(self, timeout: float | None = None) -> bool:
        """Until the source ended (a file played to its end, a device lost, stop)."""
        return self._ended.wait(timeout)

    def clock(self) -> float:
        """The stream's time now: seconds since its start, on the source's own schedule."""
        return 0.0 if self._origin is None else time.monotonic() - self._origin

    def _arrived(self, t: float) -> None:
        """Stream time ``t`` arrived now. The stream started at the earliest arrival less its
        time: a first frame that came late (a decoder starting on a busy machine) does not put
        the clock behind the source for the rest of the recording."""
        origin = time.monotonic() - t
        if self._origin is None or origin < self._origin:
            self._origin = origin

    def finish(self, hook: ProgressHook | None = None) -> AuditResult:
        """Close the recording and audit it, reusing the live frame checks."""
        self.stop()
        for th in self._threads:
            th.join()
        self.board.close(self.clock())
        self.writer.close()
        fig = self.figures
        fig.cpu_s = time.process_time() - self._cpu0
        fig.wall_s = time.monotonic() - self._wall0
        fig.peak_rss_mb = _peak_rss_mb()
        heard = self.script.close() if self.script is not None else None
        swept = self.sweep.close() if self.sweep is not None else None
        if self.sweep is not None:
            fig.sweep_lags, fig.sweep_close_s = self.sweep.lags, self.sweep.close_s
        # Frames the encoder could not take are not in the file: the verdict is the file's, so
        # its frames are checked again rather than the live checks' finished.
        whole = self.writer.dropped == 0
        looked = Looked(
            tuple(self.looking.checks) if whole else None,
            self.looking.mouths if whole else None,
            self._no_docs,
            heard,
            swept,
            self.summary(),
        )
        return self.pipeline.apply(self.out, hook, profile=self.profile_id, looked=looked)

    def discard(self) -> None:
        """Never started (the window closed before recording): nothing is left behind."""
        if self.figures.frames_in == 0:
            self.writer.close()
            self.out.unlink(missing_ok=True)

    def summary(self) -> dict[str, Any]:
        return {
            **self.figures.to_dict(),
            "frames_written": self.writer.frames,
            "frames_not_written": self.writer.dropped,
            "write_error": self.writer.error,
            "device_lost": self.device_lost,
        }

    # -- Sink: the source's threads ----------------------------------------------------

    def video(self, t: float, frame: Any) -> None:
        if self._ended.is_set():
            return
        if self._origin is None:
            self._origin = time.monotonic() - t
        if self.writer.error is not None:  # the disk is full: what was written is kept
            self._stopped_by("disk_full", hint_text("disk_full"))
            return
        self.figures.frames_in += 1
        self.latest = frame
        self.writer.video_frame(t, frame)
        if self.looking.mouths is not None:
            self.looking.mouths.tap(t, frame)
        if t + 1e-3 < self._next_sample:
            return
        self._next_sample = (math.floor(t / self._step + 1e-6) + 1) * self._step
        with self._slot_ready:
            self.figures.samples_due += 1
            while self.source.lossless and self._slot is not None and not self._ended.is_set():
                self._slot_ready.wait(0.1)  # a file played as fast as it is checked
            if self._slot is not None:
                self.figures.samples_dropped += 1
            self._slot = (t, frame, time.monotonic())
            self._slot_ready.notify_all()

    def sound(self, t: float, samples: np.ndarray) -> None:
        if self._ended.is_set():
            return
        self._arrived(t + len(samples) / SAMPLE_RATE)  # a block arrives once complete
        self.writer.sound(t, samples)
        arrived = time.monotonic()
        self._sounds.put((t, samples, arrived))
        if self.sweep is not None:
            self.sweep.put(samples, arrived)

    def lost(self, device: str, why: str) -> None:
        log.warning("%s lost: %s", device, why)
        self.device_lost = device
        self._stopped_by("device_lost", hint_text("device_lost", d=device))

    def _stopped_by(self, code: str, message: Text) -> None:
        """A device lost or the disk full: the teller is told, the recording ends there (what
        was written is kept and audited)."""
        now = self.clock()
        self._tell(Notice(now, "alarm", code, message, since=now))
        self.ended()

    def ended(self) -> None:
        if self._ended.is_set():
            return
        self._ended.set()
        self._sounds.put(None)
        with self._slot_ready:
            self._slot_ready.notify_all()

    # -- the live checks' threads ------------------------------------------------------

    def _look(self) -> None:
        while True:
            with self._slot_ready:
                while self._slot is None and not self._ended.is_set():
                    self._slot_ready.wait()
                item, self._slot = self._slot, None
                self._slot_ready.notify_all()
            if item is None:
                self._papers.put(None)
                return
            t, frame, arrived = item
            img = convert_array(frame, format="bgr24")
            try:
                conditions = self.looking.update(t, img)
            except Exception:
                log.exception("live picture checks failed at %.2f s", t)
                continue
            self._observe(conditions, t)
            if self.looking.documents is not None:
                self._papers.put((t, img))
            self.figures.picture_lags.append(time.monotonic() - arrived)

    def _read_papers(self) -> None:
        """Every sampled frame the picture thread saw, in order, through the documents check
        (none dropped: its result is the audit's)."""
        while True:
            item = self._papers.get()
            if item is None:
                return
            for doc in self.looking.read_documents(*item):
                self._document(doc, shown=True)

    def _hear(self) -> None:
        pending: list[np.ndarray] = []
        while True:
            item = self._sounds.get()
            if item is None:
                return
            _, samples, arrived = item
            pending.append(samples)
            hops = list(self.hearing.feed(samples))
            if not hops:
                continue
            last = hops[-1]
            for hop in hops:
                self._observe(hop.conditions, hop.t)
            if self.script is not None:
                try:
                    self._listen(np.concatenate(pending), last.t, last.speaking)
                    self._spotted(last.t)
                except Exception:  # no more ticks; the audit recognises the saved file again
                    log.exception("the live recogniser failed at %.2f s", last.t)
                    self.script = None
            pending = []
            self.figures.sound_lags.append(time.monotonic() - arrived)

    def _listen(self, samples: np.ndarray, t: float, speaking: bool) -> None:
        assert self.script is not None
        ticks, alarms = self.script.feed(samples, t, speaking)
        now = self.clock()
        for tick in ticks:
            details = {"start": round(tick.start, 2), "end": round(tick.end, 2)}
            details["score"] = round(tick.score, 3)
            self._tell(
                Notice(
                    now,
                    "stage",
                    "stage",
                    stage_text(tick.name),
                    stage=tick.stage,
                    since=tick.end,
                    details=details,
                )
            )
        self._alarm(alarms)

    def _spotted(self, t: float) -> None:
        """The places the live sweep heard and confirmed, once the recogniser has heard
        ``SETTLE_S`` past their end (its syllables there, a negation before them, settled):
        alarms."""
        assert self.script is not None
        if self.sweep is None:
            return
        while not self.sweep.found.empty():
            self._spots.append(self.sweep.found.get_nowait())
        ready = [h for h in self._spots if h.end + SETTLE_S <= t]
        self._spots = [h for h in self._spots if h.end + SETTLE_S > t]
        found = [self.script.spotted(h.key, h.start, h.end) for h in ready]
        self._alarm([a for a in found if a is not None])

    def _alarm(self, alarms: list[Alarm]) -> None:
        now = self.clock()
        for a in alarms:
            details = {"phrase": a.phrase, "start": round(a.start, 2), "by": a.by}
            self._tell(
                Notice(
                    now,
                    "alarm",
                    "forbidden_phrase",
                    alarm_text(a.phrase),
                    since=a.start,
                    details=details,
                )
            )

    def _document(self, doc_id: str | None, shown: bool) -> None:
        """A document read (``shown``), then the next one not yet shown asked for, in the
        profile's order (at the start: the first)."""
        docs = {d.id: d for d in self.profile.documents}
        now = self.clock()
        if doc_id is not None and shown:
            self.documents_shown.add(doc_id)
            name = docs[doc_id].name
            text = document_text(Text(zh=name.zh, en=name.en), shown=True)
            self._tell(Notice(now, "document", "document_shown", text, stage=doc_id))
        todo = [d for d in self.profile.documents if d.id not in self.documents_shown]
        if todo and todo[0].id != self._asked:
            self._asked = todo[0].id
            text = document_text(Text(zh=todo[0].name.zh, en=todo[0].name.en), shown=False)
            self._tell(Notice(now, "document", "document_asked", text, stage=todo[0].id))

    def _observe(self, conditions: list[tuple[Key, bool]], t: float) -> None:
        now = self.clock()
        for key, active in conditions:
            code = key[0]
            self.board.observe(
                key, active, t, now, hold=HOLD.get(code, 2), release=RELEASE.get(code, 2)
            )

    def _tell(self, notice: Notice, change: Change = "raised") -> None:
        if change == "raised":
            self.notices.append(notice)
        for listen in self.listeners:
            try:
                listen(notice, change)
            except Exception:
                log.exception("a listener failed on %s", notice.code)


def _peak_rss_mb() -> float | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
