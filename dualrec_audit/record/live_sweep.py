"""The forbidden phrases swept for as the sound arrives: the script check's sweep (the keyword
spotter's shared streams over all the speech, :func:`checks.script.forbidden_groups`) run on the
live sound in a thread of its own, so that after stop the audit only confirms what it proposed
(``checks.script.SweptLive``) instead of sweeping the whole recording again (about 6 s of CPU a
stream for each 10 minutes, 8 streams for the shared forbidden list).

The thread is off the teller's path: the hints and ticks never wait for it, and when it falls
behind (a busy machine) it catches up after stop on what is queued. A spotter that fails is
logged and left: the audit sweeps the saved file as ``check`` does.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from dualrec_audit.checks.script import ScriptParams, SweptLive, forbidden_groups
from dualrec_audit.speech.phrases import Phrase

log = logging.getLogger(__name__)


class LiveSweep:
    """``start()``, ``put()`` each block of sound as it arrives, ``close()`` after stop."""

    def __init__(self, engine: Any, phrases: Sequence[Phrase], params: ScriptParams) -> None:
        self.groups = forbidden_groups(engine, phrases, params)
        self.spotter = engine.live_spotter(
            self.groups, threshold=params.kws_threshold, boost=params.kws_boost
        )
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
                self.spotter.feed(samples)
                self.lags.append(time.monotonic() - arrived)
            except Exception:
                log.exception(
                    "the live forbidden-phrase sweep failed: the file is swept after stop"
                )
                self.failed = True
                if item is None:
                    return
