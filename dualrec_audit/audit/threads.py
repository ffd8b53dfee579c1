"""The audit's two threads: the sound heard in a thread of its own while the frames are checked
in the audit's; what passes between them (its progress, a request to stop)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FuturesTimeout
from typing import TypeVar

T = TypeVar("T")


class Stopped(Exception):
    """The sound thread gave up: the audit failed in the frames."""


def stop_if_set(stop: threading.Event) -> None:
    if stop.is_set():
        raise Stopped


class Relay:
    """Progress of the sound thread, handed to the hook by the audit's own thread (so a
    progress bar is only ever drawn from one thread, and never goes back): kept while the
    frames are checked, passed on while the audit waits for the sound."""

    POLL_S = 0.2

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: tuple[str, float, float] | None = None

    def __call__(self, stage: str, done: float, total: float) -> None:
        with self._lock:
            self._last = (stage, done, total)

    def _take(self) -> tuple[str, float, float] | None:
        with self._lock:
            last, self._last = self._last, None
        return last

    def wait(self, heard: Future[T], hook: Callable[[str, float, float], None]) -> T:
        hook("audio", 0, 1)
        while True:
            try:
                sound = heard.result(timeout=self.POLL_S)
                done = True
            except FuturesTimeout:
                done = False
            last = self._take()
            if last is not None:
                hook(*last)
            if done:
                return sound
