"""Converting one decoded frame in several threads at once, safely.

A guided recording hands each frame to several threads: the writer scales it for the encoder,
the live picture checks read it as BGR, the window draws it as RGB. PyAV keeps one swscale
context per frame object (``frame.reformat`` and ``frame.to_ndarray`` share it), and a
conversion briefly rewrites the source frame's colour fields: two threads converting one frame
at the same moment free each other's context in the middle of a scale, a segfault in
libswscale that shows only under load (a test worker died so with the machine at load 13).

:func:`convert` gives each thread its own context and lets one conversion of a shared frame run
at a time (a 720p conversion takes a millisecond or two, the recorder makes three a frame).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

_local = threading.local()
_one_at_a_time = threading.Lock()


def convert(frame: Any, **options: Any) -> Any:
    """``frame.reformat(**options)`` on this thread's own swscale context, one at a time: a
    new frame only this thread holds (or ``frame`` itself where nothing is to be done)."""
    reformatter = getattr(_local, "reformatter", None)
    if reformatter is None:
        from av.video.reformatter import VideoReformatter

        reformatter = _local.reformatter = VideoReformatter()
    options.setdefault("threads", 1)
    with _one_at_a_time:
        return reformatter.reformat(frame, **options)


def convert_array(frame: Any, **options: Any) -> np.ndarray:
    """``frame.to_ndarray(**options)`` through :func:`convert` (a frame that needs no
    conversion is read under the same lock: its planes are copied, nothing rewritten)."""
    out = convert(frame, **options)
    if out is frame:
        with _one_at_a_time:
            return np.asarray(frame.to_ndarray())
    return np.asarray(out.to_ndarray())
