"""Work off the GUI thread: thread pools whose tasks report back through Qt signals.

A task runs a plain function in a pool thread and never touches a widget; its result (or
exception) comes back as a signal to a :class:`Worker` living in the GUI thread, which calls
the caller's callback there. The database has its own one-thread worker, so database calls
run one at a time, in the order they were made, on one connection pool."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from dualrec_audit.store.database import Store

log = logging.getLogger("dualrec_audit.ui")

Callback = Callable[[Any], None]
ProgressCallback = Callable[[str, float, float], None]


class _Signals(QObject):
    done = Signal(object, object)  # task, result
    failed = Signal(object, object)  # task, exception
    progress = Signal(str, float, float)


class Task(QRunnable):
    def __init__(self, fn: Callable[..., Any], with_progress: bool):
        super().__init__()
        self.setAutoDelete(False)  # the Worker holds it until its result is delivered
        self.fn = fn
        self.with_progress = with_progress
        self.signals = _Signals()
        self.on_done: Callback | None = None
        self.on_error: Callback | None = None
        self.on_progress: ProgressCallback | None = None

    def run(self) -> None:
        try:
            if self.with_progress:
                result = self.fn(self.signals.progress.emit)
            else:
                result = self.fn()
        except Exception as exc:  # delivered to the GUI thread, shown as a dialog
            log.debug("task failed", exc_info=True)
            self.signals.failed.emit(self, exc)
            return
        self.signals.done.emit(self, result)


class Worker(QObject):
    """A thread pool plus the tasks in flight; callbacks run in the GUI thread."""

    busy_changed = Signal(bool)
    waiting = Signal(bool)  # True: busy for longer than WAIT_MS (a locked database); False: done
    WAIT_MS = 2000

    def __init__(self, name: str, threads: int = 1, parent: QObject | None = None):
        super().__init__(parent)
        self.setObjectName(name)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self.tasks: set[Task] = set()
        self.on_error: Callback | None = None  # default error handler (a dialog)
        self.slow = QTimer(self)
        self.slow.setSingleShot(True)
        self.slow.setInterval(self.WAIT_MS)
        self.slow.timeout.connect(lambda: self.waiting.emit(True) if self.tasks else None)

    def submit(
        self,
        fn: Callable[..., Any],
        on_done: Callback | None = None,
        on_error: Callback | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Task:
        task = Task(fn, with_progress=on_progress is not None)
        task.on_done, task.on_error, task.on_progress = on_done, on_error, on_progress
        task.signals.done.connect(self._done)
        task.signals.failed.connect(self._failed)
        if on_progress is not None:
            task.signals.progress.connect(self._progress)
        self.tasks.add(task)
        if len(self.tasks) == 1:
            self.busy_changed.emit(True)
            self.slow.start()
        self.pool.start(task)
        return task

    def idle(self) -> bool:
        return not self.tasks

    def wait(self, ms: int = 10_000) -> bool:
        """Block until the pool is idle (at exit); callbacks not yet delivered are dropped."""
        return self.pool.waitForDone(ms)

    def _finish(self, task: Task) -> None:
        self.tasks.discard(task)
        if not self.tasks:
            self.busy_changed.emit(False)
            self.slow.stop()
            self.waiting.emit(False)

    @Slot(object, object)
    def _done(self, task: Task, result: object) -> None:
        self._finish(task)
        if task.on_done is not None:
            task.on_done(result)

    @Slot(object, object)
    def _failed(self, task: Task, exc: object) -> None:
        self._finish(task)
        handler = task.on_error or self.on_error
        if handler is not None:
            handler(exc)
        else:
            log.error("%s: %s", self.objectName(), exc)

    @Slot(str, float, float)
    def _progress(self, stage: str, done: float, total: float) -> None:
        sender = self.sender()
        for task in self.tasks:
            if task.signals is sender and task.on_progress is not None:
                task.on_progress(stage, done, total)


class Database(Worker):
    """The results store, used from one worker thread only (it is opened there too)."""

    def __init__(self, url: str | None, actor: str | None = None, parent: QObject | None = None):
        super().__init__("database", 1, parent)
        self.url = url
        self.actor = actor
        self._store: Store | None = None
        self.closed = False

    def store(self) -> Store:
        """The open store; call only from a task of this worker."""
        if self._store is None:
            self._store = Store(self.url, actor=self.actor)
        return self._store

    def call(
        self,
        fn: Callable[[Store], Any],
        on_done: Callback | None = None,
        on_error: Callback | None = None,
    ) -> Task | None:
        if self.closed:  # the window is closing: nothing new starts
            log.debug("database closed; call dropped")
            return None
        return self.submit(lambda: fn(self.store()), on_done, on_error)

    def close(self, ms: int = 10_000) -> None:
        """Finish what was asked (a decision being saved is never cut off), then close."""

        def _close() -> None:
            if self._store is not None:
                self._store.close()
                self._store = None

        if self.closed:
            return
        self.wait(ms)
        self.closed = True
        self.submit(_close)
        self.wait(ms)
