"""The forbidden phrases swept for as the sound arrives: the script check's sweep (the keyword
spotter's shared streams over all the speech, :func:`checks.script.forbidden_groups`) run on the
live sound in a thread of its own, so that after stop the audit only confirms what it proposed
(``checks.script.SweptLive``) instead of sweeping the whole recording again (about 6 s of CPU a
stream for each 10 minutes, 8 streams for the shared forbidden list).

The thread is off the teller's path: the hints and ticks never wait for it, and when it falls
behind (a busy machine) it catches up after stop on what is queued. A spotter that fails is
logged and left: the audit sweeps the saved file as ``check`` does.

Each place a shared stream fires is confirmed by the phrase's own stream on the window the
audit confirms it on (``window_pad_s`` either side: as soon as the sound after it has
arrived), on the last seconds of sound kept; a confirmed place is handed to the sound thread
(:attr:`LiveSweep.found`), which raises the alarm unless its recogniser heard a negation right
before it (``LiveScript.spotted``): a forbidden phrase the recogniser's syllables missed is
still told to the teller while the customer is there.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from dualrec_audit.checks.script import ScriptParams, SweptLive, forbidden_groups
from dualrec_audit.speech.phrases import Phrase

if TYPE_CHECKING:
    from dualrec_audit.speech.sherpa import SpotHit

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
RECENT_S = 12.0  # the sound kept for confirming a place (a phrase is shorter)


class LiveSweep:
    """``start()``, ``put()`` each block of sound as it arrives, ``close()`` after stop."""

    def __init__(self, engine: Any, phrases: Sequence[Phrase], params: ScriptParams) -> None:
        self.engine, self.params = engine, params
        self.groups = forbidden_groups(engine, phrases, params)
        self.spotter = engine.live_spotter(
            self.groups,
            threshold=params.kws_threshold,
            boost=params.kws_boost,
            paths=params.kws_paths,
        )
        self.found: queue.Queue[SpotHit] = queue.Queue()  # confirmed places, for the alarms
        self._recent: list[np.ndarray] = []  # the last RECENT_S of sound, in blocks
        self._unconfirmed: list[SpotHit] = []  # places waiting for the sound after them
        self._recent_n = 0
        self.lags: list[float] = []  # arrival of a block to its sweep done, seconds
        self.close_s: float | None = None  # the sweep's catching up after stop
        self.failed = False
        self._queue: queue.Queue[tuple[np.ndarray, float] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="live-sweep", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def put(self, samples: np.ndarray, arrived: float) -> None:
        self._queue.put((samples, arrived))

    def close(self) -> SweptLive | None:
        """The sound ended: what is queued swept, the streams' tails decoded. None when the
        spotter failed (the audit sweeps the file)."""
        t0 = time.monotonic()
        self._queue.put(None)
        if self._thread.ident is None:  # never started: what is queued is swept here
            self._run()
        else:
            self._thread.join()
        self.close_s = time.monotonic() - t0
        if self.failed:
            return None
        return SweptLive(
            groups=tuple(tuple(g) for g in self.groups),
            hits=tuple(self.spotter.hits),
            until_s=self.spotter.fed_s,
        )

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if self.failed:
                if item is None:
                    return
                continue
            try:
                if item is None:
                    self.spotter.close()
                    return
                samples, arrived = item
                self._keep(samples)
                self._unconfirmed += self.spotter.feed(samples)
                self._confirm_due()
                self.lags.append(time.monotonic() - arrived)
            except Exception:
                log.exception(
                    "the live forbidden-phrase sweep failed: the file is swept after stop"
                )
                self.failed = True
                if item is None:
                    return

    def _keep(self, samples: np.ndarray) -> None:
        self._recent.append(samples)
        self._recent_n += len(samples)
        while self._recent_n - len(self._recent[0]) >= RECENT_S * SAMPLE_RATE:
            self._recent_n -= len(self._recent.pop(0))

    def _confirm_due(self) -> None:
        pad, waiting = self.params.window_pad_s, []
        for hit in self._unconfirmed:
            if hit.end + pad > self.spotter.fed_s:
                waiting.append(hit)
            elif self._confirmed(hit):
                self.found.put(hit)
            else:
                log.debug("live sweep: %s at %.2f s not confirmed", hit.key, hit.start)
        self._unconfirmed = waiting

    def _confirmed(self, hit: SpotHit) -> bool:
        """The phrase's own stream hears it there too, on the sound kept (the window the
        audit confirms it on, up to the sound heard so far)."""
        recent = np.concatenate(self._recent)
        origin = self.spotter.fed_s - len(recent) / SAMPLE_RATE
        pad = self.params.window_pad_s
        own = self.engine.spot(
            recent,
            [(hit.key, hit.start - pad - origin, hit.end + pad - origin)],
            threshold=self.params.kws_threshold,
            boost=self.params.kws_boost,
            paths=self.params.kws_paths,
        )
        return bool(own)
