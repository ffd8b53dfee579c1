"""What is held up and what is background: the recording's scene, learned as it goes.

Branch counters have posters, notices, maps, tiled walls and shelves behind the staff; their
print looks like a page to the page detector. A document stage is about a paper *shown* to
the camera, so print counts only where it is **held up**: where the picture differs from the
background (the paper appeared, or covers what was visible before; one swaying in a hand
keeps changing, so it never becomes background). Everything is done on the page detector's
small copy (320 pixels wide), on its brightness channel:

- The background starts as the first sample: print there from the start is background.
- A pixel is **new** when it differs from the background by more than ``change`` (both
  smoothed 3 x 3, so the encoder's noise is no change; after the picture's overall
  brightness is matched, so a camera adjusting its exposure changes nothing), or when it
  is a printed stroke where the background has none within a pixel (a page's small print
  can average out to the wall's brightness; its strokes are still new).
  The plain background follows slow drifts (lighting, the encoder); the print under and
  around a paper held up does not.
- A new pixel that stays put for ``absorb_s`` (long: a held card stays still for a while, a
  poster put up stays for good) becomes background; what it covered is kept, so that when
  the paper then leaves, the place returns to the background instead of looking new.
- A pixel that changes from one upkeep (every 2 s) to the next (a paper swaying in a hand)
  is never absorbed.

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
    follow: float = 0.1  # unchanged pixels follow the picture this much per upkeep
    upkeep_s: float = 2.0  # the background is kept up (follow, absorb, moves) this often


class SceneModel:
    """The background of one recording at the page detector's width (see the module).

    Per sample only the comparison with the background runs (a few operations on the small
    copy); the background is kept up once per ``upkeep_s``, and its smoothed copy and its
    strokes are made again only then."""

    def __init__(self, p: SceneParams | None = None):
        self.p = p or SceneParams()
        self.bg: np.ndarray = np.zeros((0, 0), np.float32)  # the background (brightness)
        self.behind: np.ndarray | None = None  # what absorbed pixels covered (once any is)
        self.prev: np.ndarray = self.bg  # the picture at the last upkeep (smoothed)
        self.still: np.ndarray = self.bg  # when each pixel last changed (upkeep to upkeep)
        self.kept_at = 0.0
        self._smooth: np.ndarray = self.bg  # smoothed, and its strokes: made at each upkeep
        self._strokes = np.zeros((0, 0), bool)
        self._contrast = 0.0

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
        if self.bg.shape != raw.shape:
            self.bg, self.behind, self.prev = raw.copy(), None, cur
            self.still = np.full(raw.shape, t, np.float32)
            self.kept_at, self._contrast = t, contrast
            self._made()
            return np.zeros(raw.shape, bool)
        gain = _gain(cur, self._smooth)
        new = np.abs(cur - gain * self._smooth) > p.change
        new |= strokes.astype(bool) & ~self._strokes
        if self.behind is not None:  # a paper left a place it had been absorbed into
            behind = cv2.blur(self.behind, (3, 3))
            back = new & (np.abs(self._smooth - behind) > p.change)
            back &= np.abs(cur - gain * behind) <= p.change
            if back.any():
                np.copyto(self.bg, self.behind, where=back)
                new &= ~back
                self._made()
        if t - self.kept_at >= p.upkeep_s - 1e-6:
            new = self._upkeep(t, raw, cur, new, gain)
        return new

    def _upkeep(
        self, t: float, raw: np.ndarray, cur: np.ndarray, new: np.ndarray, gain: float
    ) -> np.ndarray:
        """Moves noted, long-still changes absorbed, the plain background followed."""
        import cv2

        p = self.p
        np.copyto(self.still, np.float32(t), where=np.abs(cur - self.prev) > p.change)
        absorb = new & (t - self.still >= p.absorb_s)
        if absorb.any():
            if self.behind is None:
                self.behind = self.bg.copy()
            np.copyto(self.behind, self.bg, where=absorb)
            np.copyto(self.bg, raw, where=absorb)
            new = new & ~absorb
        # Only what is plainly background follows the picture: never the print under or
        # around a paper held up (its pixels alike when smoothed, not one by one).
        near = cv2.dilate(new.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        keep = ~near & (np.abs(raw - gain * self.bg) <= p.change)
        self.bg += (p.follow * keep) * (raw / gain - self.bg)
        self.prev, self.kept_at = cur, t
        self._made()
        return new

    def _made(self) -> None:
        import cv2

        self._smooth = cv2.blur(self.bg, (3, 3))
        self._strokes = _strokes(self.bg, self._contrast)


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
    """The picture's overall brightness against the background's: the median ratio on a
    coarse grid of pixels that are not dark, clipped to a plausible exposure change."""
    c, b = cur[::8, ::8].ravel(), bg[::8, ::8].ravel()
    ok = b > 30
    if int(ok.sum()) < 16:
        return 1.0
    ratio = c[ok] / b[ok]
    mid = len(ratio) // 2
    return float(np.clip(np.partition(ratio, mid)[mid], 0.5, 2.0))


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
