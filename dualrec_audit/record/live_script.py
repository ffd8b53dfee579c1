"""The script heard live: the bundled Mandarin model's streaming recogniser
(``PinyinEngine.live``) fed as the sound arrives and cut at each pause, its syllables searched
by the script check's pinyin-aware matcher (``speech.matching``) for the stages still to come
(a stage is ticked as soon as its phrases are heard, at the script check's ``match_threshold``)
and for the forbidden promises (an alarm at once; a negated use such as 不保本 is fine).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from dualrec_audit.core.result import Text, Word
from dualrec_audit.rules.profiles import Profile
from dualrec_audit.speech.matching import PhraseMatcher, TranscriptIndex

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


class LiveScript:
    def __init__(self, engine: Any, profile: Profile, threshold: float = 0.8) -> None:
        self.engine = engine
        self.profile = profile
        self.matcher = PhraseMatcher(threshold)
        self.recogniser = engine.live()
        self.ticked: dict[str, StageTick] = {}
        self._alarmed: set[tuple[str, float]] = set()
        self._since_cut = 0.0  # seconds fed since the last cut
        self._heard_speech = False
        forbidden = profile.phrase_set().forbidden
        self._forbidden = [p.alternatives for p in forbidden]

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
        for alternatives in self._forbidden:
            for m in self.matcher.find_all(alternatives, index):
                key = (m.phrase, round(m.start))
                if key in self._alarmed:
                    continue
                self._alarmed.add(key)
                new.append(Alarm(m.phrase, m.start, m.end))
        return new
