"""The picture checked live: each sampled frame through the faces and video-quality checks'
own code (``FacesCheck.update``, ``VideoQualityCheck.update``, the mouth tracker and, when
the profile asks for papers, the documents check, every sample, in a thread of its own), then
their per-sample state read as the hints' conditions. The checks keep every sample, so after
stop their ``finish`` gives the same results the audit of a file would: nothing is computed
twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dualrec_audit.checks.documents import DocumentsCheck
from dualrec_audit.checks.faces import PARTIES, FacesCheck, PartyState
from dualrec_audit.checks.talk import MouthTracker
from dualrec_audit.checks.video import VideoQualityCheck
from dualrec_audit.record.hints import Key

SIDES = ("top", "bottom", "left", "right")
BLUR_WARM_UP = 10  # lit samples before the recording's own sharp level is trusted


@dataclass
class PictureState:
    """What the window draws: each party's face box in the latest sample."""

    t: float = 0.0
    boxes: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)


class LivePicture:
    def __init__(
        self,
        faces: FacesCheck,
        video: VideoQualityCheck,
        mouths: MouthTracker | None = None,
        documents: DocumentsCheck | None = None,
    ) -> None:
        self.faces, self.video, self.mouths, self.documents = faces, video, mouths, documents
        self.state = PictureState()
        self._reads: dict[str, tuple[float, float]] = {}  # document -> (first, last) read
        self._shown: set[str] = set()

    def read_documents(self, t: float, img: np.ndarray) -> list[str]:
        """One sampled frame through the documents check (in a thread of its own: OCR must
        not hold up the faces' hints); the documents whose title has now been legible for
        their ``min_seconds`` (reads up to the check's ``max_gap_s`` apart joined, as the
        check joins them), each once."""
        docs = self.documents
        if docs is None:
            return []
        docs.update(t, img)
        sample = docs.samples[-1]
        new = []
        for spec in docs.specs:
            if spec.id in self._shown or spec.id not in sample.found:
                continue
            first, last = self._reads.get(spec.id, (sample.t, sample.t))
            if sample.t - last > docs.p.max_gap_s:
                first = sample.t
            self._reads[spec.id] = (first, sample.t)
            if sample.t + docs.step - first >= spec.min_seconds - 1e-6:
                self._shown.add(spec.id)
                new.append(spec.id)
        return new

    @property
    def checks(self) -> list[Any]:
        return [c for c in (self.faces, self.video, self.documents) if c is not None]

    def update(self, t: float, img: np.ndarray) -> list[tuple[Key, bool]]:
        """One sampled frame through every frame check; the hints' conditions in it."""
        self.faces.update(t, img)
        found = self.faces.last_faces()
        self.video.update(t, img)
        if self.mouths is not None:
            self.mouths.update(t, found)
        self.state = PictureState(
            t, {p: st.box for p, st in found.items() if st.present and st.box is not None}
        )
        extra = self.faces.samples[-1].extra > 0 if self.faces.samples else False
        return [*face_conditions(found), (("extra_person", None, None), extra), *self._video()]

    def _video(self) -> list[tuple[Key, bool]]:
        v, p = self.video, self.video.p
        luma, sat, sharp, diff = v.luma[-1], v.saturated[-1], v.sharpness[-1], v.diff[-1]
        dark = luma < p.dark_luma
        bright = luma > p.bright_luma or sat > p.saturated_share
        lit = [
            s
            for s, lu, sa in zip(v.sharpness, v.luma, v.saturated, strict=True)
            if p.dark_luma <= lu <= p.bright_luma and sa <= p.saturated_share
        ]
        floor = p.blur_sharpness
        if len(lit) >= BLUR_WARM_UP:
            floor = max(floor, p.blur_relative * float(np.percentile(lit, p.blur_reference_pct)))
        blur = sharp < floor and not dark and not bright
        frozen = diff < p.frozen_diff and not dark
        return [
            (("dark", None, None), dark),
            (("overexposed", None, None), bright),
            (("blur", None, None), blur),
            (("frozen", None, None), frozen),
        ]


def face_conditions(found: dict[str, PartyState]) -> list[tuple[Key, bool]]:
    """Per party: absent, each side cut, small, turned."""
    out: list[tuple[Key, bool]] = []
    for party in PARTIES:
        st = found.get(party) or PartyState()
        out.append((("party_absent", party, None), not st.present))
        out.extend((("face_cut", party, side), st.present and side in st.cut) for side in SIDES)
        out.append((("face_small", party, None), st.present and st.small))
        out.append((("face_turned", party, None), st.present and st.turned))
    return out
