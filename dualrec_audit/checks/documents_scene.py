"""What is held up and what is background: the recording's scene, learned as it goes.

Branch counters have posters, notices, maps, tiled walls and shelves behind the staff; their
print looks like a page to the page detector. A document stage is about a paper *shown* to
the camera, so print counts only where it is **held up**: where the picture differs from the
background (the paper appeared, or covers what was visible before) or keeps moving (a paper
swaying in a hand). Everything is done on the page detector's small copy (320 pixels wide),
on its brightness channel:

- The background starts as the first sample: print there from the start is background.
- A pixel is **new** when it differs from the background by more than ``change`` (both
  smoothed 3 x 3, so the encoder's noise is no change; after the
  picture's overall brightness is matched, so a camera adjusting its exposure changes
  nothing), or when it is a printed stroke where the background has none within a pixel (a
  page's small print can average out to the wall's brightness; its strokes are still new).
  A pixel that is not new follows slow drifts (lighting, the encoder).
- A new pixel that stays put for ``absorb_s`` (long: a held card stays still for a while, a
  poster put up stays for good) becomes background; what it covered is kept, so that when
  the paper then leaves, the place returns to the background instead of looking new.
- A pixel keeps moving while it changes from one sample to the next (a paper swaying in a
  hand, even one held up from the first frame): it is never absorbed, and where the paper
  sways away from where it was, it differs from the background.

Print is *held up* where its pixels are new. Nothing here reads text: the held-up mask gates
the page detector and hides the background from OCR.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SceneParams:
    change: float = 24.0  # brightness difference (0-255, smoothed) that is a change
    absorb_s: float = 30.0  # a change that stays put this long becomes background
    follow: float = 0.05  # unchanged pixels follow the picture this much per sample


class SceneModel:
    """The background of one recording at the page detector's width (see the module)."""

    def __init__(self, p: SceneParams | None = None):
        self.p = p or SceneParams()
        self.bg: np.ndarray | None = None  # the background (float32)
        self.behind: np.ndarray | None = None  # what absorbed pixels covered
        self.prev: np.ndarray | None = None  # the previous sample
        self.still: np.ndarray | None = None  # when each pixel last changed

    def update(
        self, t: float, value: np.ndarray, strokes: np.ndarray, contrast: float
    ) -> np.ndarray:
        """The held-up mask (bool, ``value``'s shape) of this sample; ``value`` is the
        brightness (HSV value) of the page detector's copy of the frame, ``strokes`` its
        printed strokes (a black-hat response over ``contrast``)."""
        import cv2

        p = self.p
        raw = value.astype(np.float32)
        cur = cv2.blur(raw, (3, 3))
        if self.bg is None or self.bg.shape != raw.shape:
            self.bg, self.behind, self.prev = raw.copy(), raw.copy(), cur
            self.still = np.full(raw.shape, t, np.float32)
            return np.zeros(raw.shape, bool)
        assert self.behind is not None and self.prev is not None
        assert self.still is not None
        bg = cv2.blur(self.bg, (3, 3))  # compared smoothed: the encoder's noise is no change
        gain = _gain(cur, bg)
        new = (np.abs(cur - gain * bg) > p.change) | (
            strokes.astype(bool) & ~_strokes(self.bg, contrast)
        )
        # The paper left a place it had been absorbed into: the background returns.
        behind = cv2.blur(self.behind, (3, 3))
        back = new & (np.abs(bg - behind) > p.change) & (np.abs(cur - gain * behind) <= p.change)
        self.bg[back] = self.behind[back]
        new &= ~back
        moved = np.abs(cur - self.prev) > p.change
        self.still[moved] = t
        # A change that stays put long enough is background now.
        absorb = new & (t - self.still >= p.absorb_s)
        self.behind[absorb] = self.bg[absorb]
        self.bg[absorb] = raw[absorb]
        new &= ~absorb
        # Only what is plainly background follows the picture: never the print under or
        # around a paper held up (its pixels alike when smoothed, not one by one).
        near = cv2.dilate(new.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        keep = ~near & (np.abs(raw - gain * self.bg) <= p.change)
        self.bg[keep] += p.follow * (raw[keep] / gain - self.bg[keep])
        self.prev = cur
        return new


def _strokes(image: np.ndarray, contrast: float) -> np.ndarray:
    """Printed strokes of ``image`` (black-hat over ``contrast``), grown by a pixel."""
    import cv2

    rect5 = cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5))
    blackhat = cv2.morphologyEx(np.clip(image, 0, 255).astype(np.uint8), cv2.MORPH_BLACKHAT, rect5)
    grown: np.ndarray = cv2.dilate(
        (blackhat > contrast).astype(np.uint8), np.ones((3, 3), np.uint8)
    )
    return grown > 0


def _gain(cur: np.ndarray, bg: np.ndarray) -> float:
    """The picture's overall brightness against the background's (median ratio, on a grid
    of pixels that are not dark), clipped to a plausible exposure change."""
    c, b = cur[::4, ::4], bg[::4, ::4]
    ok = b > 30
    if int(ok.sum()) < 16:
        return 1.0
    return float(np.clip(np.median(c[ok] / b[ok]), 0.5, 2.0))


def crop_mask(
    held: np.ndarray, box: tuple[int, int, int, int], size: tuple[int, int]
) -> np.ndarray:
    """The held-up mask over ``box`` (frame pixels; the frame is ``size`` = width, height),
    grown by two pixels of the small copy (several frame pixels) so that a paper's own edges
    and strokes stay whole; bool, the box's shape."""
    import cv2

    x, y, w, h = box
    grown = cv2.dilate(held.astype(np.uint8), np.ones((5, 5), np.uint8))
    full = cv2.resize(grown, size, interpolation=cv2.INTER_NEAREST)
    out: np.ndarray = full[y : y + h, x : x + w] > 0
    return out
