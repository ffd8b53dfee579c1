"""The effect of a profile on the stored recordings, and each check's precision from the
verdicts: what the calibration report shows before and after."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dualrec_audit.calibrate.data import Sample, held, redecide
from dualrec_audit.core.result import AuditResult
from dualrec_audit.workflow.watch import watch_seconds


@dataclass(frozen=True)
class Effect:
    """What a profile does to the stored recordings."""

    recordings: int
    minutes: float
    approved_minutes: float
    watch_minutes: float  # the places a reviewer must watch, in recordings not approved
    review: int
    rerecord: int
    approve: int
    false_alarms_holding: int  # findings marked false alarm that still hold their recording
    confirmed_holding: int  # findings marked confirmed that hold their recording

    @property
    def approved_share(self) -> float:
        return self.approved_minutes / self.minutes if self.minutes else 0.0

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        for k in ("minutes", "approved_minutes", "watch_minutes"):
            out[k] = round(out[k], 2)
        out["approved_share"] = round(self.approved_share, 4)
        return out


def effect(samples: Sequence[Sample], results: Sequence[AuditResult]) -> Effect:
    """``results[i]``: sample i's result under the profile looked at."""
    minutes = approved = watch = 0.0
    counts = {"approve": 0, "review": 0, "rerecord": 0}
    fa = conf = 0
    for s, r in zip(samples, results, strict=True):
        if r.error is not None:
            continue
        m = r.duration_s / 60
        minutes += m
        counts[r.decision] = counts.get(r.decision, 0) + 1
        if r.decision == "approve":
            approved += m
        else:
            watch += watch_seconds(r) / 60
        for mark in s.marks:
            if held(r.findings, mark.key):
                fa += mark.label == "false_alarm"
                conf += mark.label == "confirmed"
    return Effect(
        sum(counts.values()),
        minutes,
        approved,
        watch,
        counts["review"],
        counts["rerecord"],
        counts["approve"],
        fa,
        conf,
    )


@dataclass(frozen=True)
class Precision:
    rule: str
    confirmed: int
    false_alarms: int

    @property
    def precision(self) -> float | None:
        n = self.confirmed + self.false_alarms
        return self.confirmed / n if n else None

    def to_dict(self) -> dict[str, Any]:
        p = self.precision
        return {
            "rule": self.rule,
            "confirmed": self.confirmed,
            "false_alarms": self.false_alarms,
            "precision": None if p is None else round(p, 4),
        }


def precision(samples: Sequence[Sample]) -> list[Precision]:
    """Per rule (check), the share of its marked findings that reviewers confirmed."""
    tally: dict[str, list[int]] = {}
    for s in samples:
        for m in s.marks:
            t = tally.setdefault(m.key[0], [0, 0])
            t[0 if m.label == "confirmed" else 1] += 1
    return [Precision(rule, c, f) for rule, (c, f) in sorted(tally.items())]


@dataclass(frozen=True)
class Changed:
    """A recording whose decision the proposal would change."""

    run_id: int
    recording_id: int
    file: str
    before: str
    after: str
    verdict: str | None

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def compare(samples: Sequence[Sample], proposed: Any) -> tuple[Effect, Effect, list[Changed]]:
    """The stored decisions' effect, the proposed profile's, and what changes."""
    after = [redecide(s.result, proposed) for s in samples]
    changed = [
        Changed(s.run_id, s.recording_id, s.result.file, s.result.decision, a.decision, s.verdict)
        for s, a in zip(samples, after, strict=True)
        if a.decision != s.result.decision
    ]
    before = effect(samples, [s.result for s in samples])
    return before, effect(samples, after), changed
