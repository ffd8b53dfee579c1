"""Keeping native libraries' log lines off the user's terminal.

MediaPipe and TensorFlow Lite write log lines straight to file descriptor 2 when a model is
created and on its first inference ("Created TensorFlow Lite XNNPACK delegate", "Feedback manager
requires …"); no Python setting silences them. :func:`quiet_stderr` points fd 2 at the null
device for the duration of a block (model creation and a warm-up run), then restores it. With
the ``dualrec_audit`` logger at DEBUG the lines are left alone, for whoever debugs a model.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator

log = logging.getLogger(__name__)


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    if logging.getLogger("dualrec_audit").isEnabledFor(logging.DEBUG):
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no fd 2 (a windowed app): nothing to keep clean
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
