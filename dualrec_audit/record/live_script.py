"""The script heard live: the bundled Mandarin model's streaming recogniser
(``PinyinEngine.live``) fed as the sound arrives and cut at each pause, its syllables searched
by the script check's pinyin-aware matcher (``speech.matching``) for the stages still to come
(a stage is ticked as soon as its phrases are heard, at the script check's ``match_threshold``)
and for the forbidden promises (an alarm at once; a negated use such as 不保本 is fine). The
places the live forbidden-phrase sweep (``record.live_sweep``) heard are alarms too
(:meth:`LiveScript.spotted`), unless these syllables have a negation right before them; one
place of one phrase is raised once, whichever heard it first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from dualrec_audit.core.result import Text, Word
from dualrec_audit.rules.profiles import Profile
from dualrec_audit.speech.matching import PhraseMatcher, TranscriptIndex, negated_at

log = logging.getLogger(__name__)

WINDOW_S = 40.0  # syllables searched: those of the last 40 s (a stage's phrase is shorter)
MAX_UTTERANCE_S = 20.0  # a stream is cut at least this often even without a pause


@dataclass(frozen=True)
class StageTick:
    stage: str
    name: Text
    start: float  # the phrase heard, from .. to (stream seconds)
    end: float
    score: float


@dataclass(frozen=True)
class Alarm:
    phrase: str
    start: float
    end: float
    by: str = "recogniser"  # or "spotter": the live sweep heard it


class LiveScript:
    def __init__(self, engine: Any, profile: Profile, threshold: float = 0.8) -> None:
        self.engine = engine
        self.profile = profile
        self.matcher = PhraseMatcher(threshold)
        self.recogniser = engine.live()
        self.ticked: dict[str, StageTick] = {}
        self._alarmed: list[tuple[int, float, float]] = []  # (forbidden phrase, start, end)
        self._since_cut = 0.0  # seconds fed since the last cut
        self._heard_speech = False
        forbidden = profile.phrase_set().forbidden
        self._forbidden = [p.alternatives for p in forbidden]
        self._which = {
            "".join(a.split()): i for i, p in enumerate(forbidden) for a in p.alternatives
        }

    def close(self) -> tuple[Word, ...]:
        """The sound ended: the last utterance decoded; every syllable heard, in order."""
        self.recogniser.cut()
        return tuple(self.recogniser.heard)

    def pending(self) -> list[str]:
        """The stages not heard yet, in the script's order."""
        return [s.id for s in self.profile.stages if s.id not in self.ticked]

    def feed(
        self, samples: np.ndarray, t: float, speaking: bool
    ) -> tuple[list[StageTick], list[Alarm]]:
        """Sound up to stream time ``t``; ``speaking``: speech in the last moment (a pause
        when False). What was heard for the first time: stages ticked, alarms."""
        self.recogniser.feed(samples)
        self._since_cut += len(samples) / 16000
        self._heard_speech |= speaking
        if (not speaking and self._heard_speech) or self._since_cut >= MAX_UTTERANCE_S:
            self.recogniser.cut()
            self._since_cut, self._heard_speech = 0.0, False
            self.recogniser.forget(t - WINDOW_S)
        words = [w for w in self.recogniser.words if w.end >= t - WINDOW_S]
        if not words:
            return [], []
        index = TranscriptIndex.from_syllables(words)
        return self._stages(index), self._alarms(index, words)

    def _stages(self, index: TranscriptIndex) -> list[StageTick]:
        new: list[StageTick] = []
        for stage in self.profile.stages:
            if stage.id in self.ticked:
                continue
            found = [self.matcher.find(p.alternatives, index) for p in stage.phrases]
            hits = [m for m in found if m is not None]
            if not hits or (stage.match == "all" and len(hits) < len(found)):
                continue
            tick = StageTick(
                stage.id,
                Text(zh=stage.name.zh, en=stage.name.en),
                min(m.start for m in hits),
                max(m.end for m in hits),
                min(m.score for m in hits),
            )
            self.ticked[stage.id] = tick
            new.append(tick)
        return new

    def _alarms(self, index: TranscriptIndex, words: list[Word]) -> list[Alarm]:
        new: list[Alarm] = []
        for i, alternatives in enumerate(self._forbidden):
            for m in self.matcher.find_all(alternatives, index):
                if self._raised(i, m.start, m.end):
                    continue
                new.append(Alarm(m.phrase, m.start, m.end))
        return new

    def spotted(self, key: str, start: float, end: float) -> Alarm | None:
        """A forbidden phrase the live sweep heard, and confirmed, from ``start`` to ``end``:
        an alarm, unless the syllables heard have a negation right before it (不保本) or the
        phrase was raised there already."""
        which = self._which.get("".join(key.split()))
        if which is None:
            return None
        words = [w for w in self.recogniser.words if w.end >= start - 5.0]
        if words and negated_at(TranscriptIndex.from_syllables(words), start, key):
            log.debug("live sweep: %s at %.2f s is negated", key, start)
            return None
        if self._raised(which, start, end):
            return None
        return Alarm(key, start, end, by="spotter")

    def _raised(self, which: int, start: float, end: float) -> bool:
        """Whether this phrase was raised at this place (within a second); if not, it is now."""
        if any(w == which and s <= end + 1 and start <= e + 1 for w, s, e in self._alarmed):
            return True
        self._alarmed.append((which, start, end))
        return False
