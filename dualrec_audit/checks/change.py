"""How much a picture changed since a reference, block by block, outside given windows.

The faces check uses it to put off a whole-picture search for newcomers while nothing outside
the tracked faces has moved since the last one: a person coming into view changes the blocks
they cross. The pictures are compared in grey at :data:`WIDTH` pixels wide, in blocks of
:data:`BLOCK` pixels (32 px of a 1280-wide picture, about the smallest face the whole-picture
search finds), by the mean absolute difference of their grey levels (0-255).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

WIDTH = 320
BLOCK = 8

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in the full picture's pixels


def grey(frame: np.ndarray) -> np.ndarray:
    """``frame`` (BGR) in grey at :data:`WIDTH` pixels wide (never upscaled), as int16."""
    import cv2

    h, w = frame.shape[:2]
    scale = min(1.0, WIDTH / w)
    small = cv2.resize(
        frame, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
    )
    return cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.int16)


def largest_change(
    before: np.ndarray, after: np.ndarray, width: int, keep_out: Sequence[Box] = ()
) -> float:
    """The largest mean grey-level change of a block between two :func:`grey` pictures of a
    ``width``-pixel-wide picture, leaving out the blocks that touch ``keep_out`` (boxes in the
    full picture's pixels). Pictures of different sizes count as wholly changed (255)."""
    if before.shape != after.shape:
        return 255.0
    diff = np.abs(after - before).astype(np.float32)
    h, w = diff.shape
    rows, cols = h // BLOCK, w // BLOCK
    if rows == 0 or cols == 0:
        return float(diff.mean()) if diff.size else 0.0
    means = diff[: rows * BLOCK, : cols * BLOCK].reshape(rows, BLOCK, cols, BLOCK).mean(axis=(1, 3))
    k = w / width / BLOCK  # full-picture pixels -> block index
    for x0, y0, x1, y1 in keep_out:
        c0, c1 = max(0, int(x0 * k)), min(cols, int(np.ceil(x1 * k)))
        r0, r1 = max(0, int(y0 * k)), min(rows, int(np.ceil(y1 * k)))
        if c1 > c0 and r1 > r0:
            means[r0:r1, c0:c1] = 0.0
    return float(means.max())
