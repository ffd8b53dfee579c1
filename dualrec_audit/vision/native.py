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
import types
from collections.abc import Iterator
from typing import Any

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


class _NotLoaded(types.ModuleType):
    """Stands in for ``matplotlib.pyplot`` or ``sounddevice`` while MediaPipe is imported (see
    :func:`import_mediapipe`): any use of it says so."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise ImportError(
            f"{self.__name__} was not loaded for MediaPipe's drawing helpers or microphone "
            f"({self.__name__}.{name})"
        )


# Imported by MediaPipe's package for what the audit never does: drawing (matplotlib.pyplot,
# about 0.5 s of CPU) and recording from a microphone (sounddevice, about 0.13 s).
_NOT_LOADED = ("matplotlib", "matplotlib.pyplot", "sounddevice")


def import_mediapipe() -> Any:
    """The ``mediapipe`` package, imported without matplotlib and sounddevice.

    MediaPipe's package imports every task, its drawing helpers (which import
    ``matplotlib.pyplot``) and its audio recorder (``sounddevice``): most of MediaPipe's import
    time. Placeholders stand in for those modules during that import only; a later real
    ``import matplotlib`` or ``import sounddevice`` is unaffected."""
    if "mediapipe" in sys.modules:
        return sys.modules["mediapipe"]
    placed = [name for name in _NOT_LOADED if name not in sys.modules]
    for name in placed:
        sys.modules[name] = _NotLoaded(name)
    if "matplotlib" in placed:  # a package holding pyplot: `import matplotlib.pyplot` resolves
        package = sys.modules["matplotlib"]
        package.__path__ = []
        package.pyplot = sys.modules["matplotlib.pyplot"]  # type: ignore[attr-defined]
    try:
        import mediapipe

        return mediapipe
    finally:
        for name in placed:
            if isinstance(sys.modules.get(name), _NotLoaded):
                del sys.modules[name]
