"""Evaluation: compare audit results with hand labels.

A labels file (JSON, ``schema_version`` 1) says, for each recording (by file name), the
expected outcome and the defects a person marked::

    {"schema_version": 1,
     "recordings": {"chin.mp4": {"expected": "flag",
                                 "defects": [{"check": "face_cut", "party": "customer",
                                              "start": 8.0, "end": 14.0}]}}}

``expected`` is ``approve``, ``flag`` (review or re-record) or ``error`` (the file cannot be
audited); ``check`` is a layer-1 event name; ``party`` is ``staff``, ``customer`` or null (any).

``evaluate(results, labels)`` is pure: it takes results from anywhere (a fresh audit, stored
results) keyed by file name. Definitions:

- A defect is **found** when an event of its check — of its party, when the label gives one —
  overlaps it (shares a positive length of time, or an instantaneous event falls inside it).
- The **IoU** of a found defect is |U ∩ D| / |U ∪ D|, with D the defect and U the union of the
  matching events that overlap it (whole events, including their parts outside D).
- **False-alarm seconds** of a check: the seconds covered by that check's events (any party)
  outside every labelled defect of that check in the same recording, summed over recordings.
- A recording is **defective** when it is expected ``flag`` or has labelled defects; a
  defective recording whose decision is ``approve`` is **auto-approved** — the worst failure.
  The run fails (exit 1) on any of those, or on a recording expected ``error`` that was not one.
- **Watch share**: over the flagged recordings (decision review or re-record), the seconds of
  :func:`dualrec_audit.workflow.watch.watch_intervals` divided by their duration. Recordings
  whose script the tool could not verify (``script_by_ear``) are counted separately: the
  reviewer must also listen to them for the required phrases.
- A labelled defect of a flagged recording is **watched** when one of those intervals overlaps
  it; an unwatched defect is lost to the reviewer (reported, like a missed one).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)

from dualrec_audit.core.errors import ConfigError, read_config_text
from dualrec_audit.core.result import EVENT_SOURCES, AuditResult, Event
from dualrec_audit.workflow.watch import (
    merge_intervals,
    script_by_ear,
    watch_intervals,
    watch_seconds,
)

LABELS_SCHEMA_VERSION = 1
EXPECTED = ("approve", "flag", "error")
ACTUAL = ("approve", "review", "rerecord", "error")

Seconds = Annotated[float, Strict(), Field(ge=0, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DefectLabel(_Strict):
    """One labelled defect: a layer-1 event that should be reported over [start, end)."""

    check: Annotated[str, Strict()]
    party: Literal["staff", "customer"] | None = None
    start: Seconds
    end: Seconds

    @field_validator("check")
    @classmethod
    def _known_check(cls, v: str) -> str:
        if v not in EVENT_SOURCES:
            raise ValueError(f"unknown check '{v}'; valid: {', '.join(EVENT_SOURCES)}")
        return v

    @model_validator(mode="after")
    def _ordered(self) -> DefectLabel:
        if self.start >= self.end:
            raise ValueError(f"start ({self.start:g}) must be before end ({self.end:g})")
        return self


class RecordingLabel(_Strict):
    expected: Literal["approve", "flag", "error"]
    defects: tuple[DefectLabel, ...] = ()

    @model_validator(mode="after")
    def _error_has_no_defects(self) -> RecordingLabel:
        if self.expected == "error" and self.defects:
            raise ValueError("a recording expected to be an error cannot have defects")
        return self


class Labels(_Strict):
    schema_version: Literal[1]
    recordings: dict[str, RecordingLabel] = Field(min_length=1)


def _key_path(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out or "(top level)"


def _format_error(source: str, exc: ValidationError) -> str:
    lines = [f"{source}: invalid labels file:"]
    for err in exc.errors():
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "required key is missing"
        elif err["type"] not in ("value_error", "too_short"):
            msg += f" (found {json.dumps(err['input'], ensure_ascii=False)})"
        lines.append(f"  {_key_path(err['loc'])}: {msg}")
    return "\n".join(lines)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise ValueError(f"duplicate key {', '.join(repr(k) for k in dup)}")
    return dict(pairs)


def parse_labels(text: str, source: str) -> Labels:
    """Validate a labels document; a ConfigError names the key path of every mistake."""
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except ValueError as exc:
        raise ConfigError(f"{source}: not a valid labels file: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a labels file is a JSON object")
    version = data.get("schema_version")
    if version != LABELS_SCHEMA_VERSION or isinstance(version, bool):
        found = "missing" if "schema_version" not in data else json.dumps(version)
        raise ConfigError(
            f"{source}: schema_version: expected {LABELS_SCHEMA_VERSION}, found {found}"
        )
    try:
        return Labels.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_error(source, exc)) from None


def load_labels(path: Path) -> Labels:
    text = read_config_text(path, "utf-8-sig")
    return parse_labels(text, str(path))


def check_coverage(labels: Labels, names: Iterable[str], where: str = "the folder") -> None:
    """Every labelled recording is there and every recording there is labelled."""
    present = set(names)
    missing = sorted(set(labels.recordings) - present)
    extra = sorted(present - set(labels.recordings))
    if missing or extra:
        lines = [f"the labels and {where} do not match:"]
        if missing:
            lines.append(f"  labelled but not in {where}: {', '.join(missing)}")
        if extra:
            lines.append(f"  in {where} but not labelled: {', '.join(extra)}")
        raise ConfigError("\n".join(lines))


# ---------------------------------------------------------------------------------------------
# The report


@dataclass(frozen=True)
class DefectOutcome:
    """A labelled defect and what the audit made of it."""

    file: str
    check: str
    party: str | None
    start: float
    end: float
    found: bool
    iou: float | None  # None when missed
    watched: bool | None = None  # in a watch interval; None when the recording is not flagged

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "check": self.check,
            "party": self.party,
            "start": self.start,
            "end": self.end,
            "found": self.found,
            "iou": None if self.iou is None else round(self.iou, 4),
            "watched": self.watched,
        }


@dataclass(frozen=True)
class RecordingEval:
    file: str
    expected: str
    decision: str
    score: float
    duration_s: float
    defects: tuple[DefectOutcome, ...]
    watch_s: float
    script_by_ear: bool
    error: str | None = None  # the error code of a result that could not be audited

    @property
    def defective(self) -> bool:
        return self.expected == "flag" or bool(self.defects)

    @property
    def flagged(self) -> bool:
        return self.decision in ("review", "rerecord")

    @property
    def auto_approved_defective(self) -> bool:
        return self.defective and self.decision == "approve"

    @property
    def missed_error(self) -> bool:
        return self.expected == "error" and self.decision != "error"

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "expected": self.expected,
            "decision": self.decision,
            "score": round(self.score, 1),
            "duration_s": round(self.duration_s, 3),
            "defective": self.defective,
            "defects": [d.to_dict() for d in self.defects],
            "watch_s": round(self.watch_s, 2) if self.flagged else None,
            "script_by_ear": self.script_by_ear,
            "error": self.error,
        }


@dataclass(frozen=True)
class CheckStats:
    check: str
    defects: int
    found: int
    mean_iou: float | None  # over found defects; None when none was found
    false_alarm_s: float

    @property
    def missed(self) -> int:
        return self.defects - self.found

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "defects": self.defects,
            "found": self.found,
            "missed": self.missed,
            "mean_iou": None if self.mean_iou is None else round(self.mean_iou, 4),
            "false_alarm_s": round(self.false_alarm_s, 2),
        }


@dataclass(frozen=True)
class EvalReport:
    recordings: tuple[RecordingEval, ...]
    checks: tuple[CheckStats, ...]  # every layer-1 event name, in EVENT_SOURCES order
    preroll: float = 2.0
    confusion: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    @property
    def auto_approved_defective(self) -> tuple[str, ...]:
        return tuple(r.file for r in self.recordings if r.auto_approved_defective)

    @property
    def missed_errors(self) -> tuple[str, ...]:
        return tuple(r.file for r in self.recordings if r.missed_error)

    @property
    def missed_defects(self) -> tuple[DefectOutcome, ...]:
        return tuple(d for r in self.recordings for d in r.defects if not d.found)

    @property
    def unwatched_defects(self) -> tuple[DefectOutcome, ...]:
        """Defects of flagged recordings that no watch interval overlaps."""
        return tuple(d for r in self.recordings for d in r.defects if d.watched is False)

    @property
    def flagged(self) -> tuple[RecordingEval, ...]:
        return tuple(r for r in self.recordings if r.flagged)

    @property
    def flagged_s(self) -> float:
        return sum(r.duration_s for r in self.flagged)

    @property
    def watch_s(self) -> float:
        return sum(r.watch_s for r in self.flagged)

    @property
    def watch_share(self) -> float | None:
        return self.watch_s / self.flagged_s if self.flagged_s > 0 else None

    @property
    def script_by_ear(self) -> int:
        """Flagged recordings whose script the reviewer must check by ear."""
        return sum(r.script_by_ear for r in self.flagged)

    @property
    def passed(self) -> bool:
        return not self.auto_approved_defective and not self.missed_errors

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def to_dict(self) -> dict[str, Any]:
        share = self.watch_share
        return {
            "schema_version": LABELS_SCHEMA_VERSION,
            "passed": self.passed,
            "auto_approved_defective": list(self.auto_approved_defective),
            "missed_errors": list(self.missed_errors),
            "defects": {
                "total": sum(c.defects for c in self.checks),
                "found": sum(c.found for c in self.checks),
                "missed": [d.to_dict() for d in self.missed_defects],
                "unwatched": [d.to_dict() for d in self.unwatched_defects],
            },
            "checks": {c.check: c.to_dict() for c in self.checks},
            "confusion": {e: dict(row) for e, row in self.confusion.items()},
            "watch": {
                "preroll_s": self.preroll,
                "flagged_recordings": len(self.flagged),
                "flagged_s": round(self.flagged_s, 2),
                "watch_s": round(self.watch_s, 2),
                "share": None if share is None else round(share, 4),
                "script_by_ear": self.script_by_ear,
            },
            "recordings": [r.to_dict() for r in self.recordings],
        }


# ---------------------------------------------------------------------------------------------
# Matching


def _overlaps(e: Event, d: DefectLabel) -> bool:
    if e.end == e.start:
        return d.start <= e.start <= d.end
    return e.start < d.end and e.end > d.start


def _length(spans: Iterable[tuple[float, float]]) -> float:
    return sum(b - a for a, b in spans)


def _intersection(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> float:
    """Length of the intersection of two unions of disjoint intervals."""
    return sum(max(0.0, min(e1, e2) - max(s1, s2)) for s1, e1 in a for s2, e2 in b)


def _match(file: str, defect: DefectLabel, events: Iterable[Event]) -> DefectOutcome:
    hits = [
        e
        for e in events
        if e.check == defect.check
        and (defect.party is None or e.party == defect.party)
        and _overlaps(e, defect)
    ]
    iou = None
    if hits:
        union = merge_intervals((e.start, e.end) for e in hits)
        d = [(defect.start, defect.end)]
        inter = _intersection(union, d)
        iou = inter / (_length(union) + (defect.end - defect.start) - inter)
    return DefectOutcome(
        file, defect.check, defect.party, defect.start, defect.end, bool(hits), iou
    )


def _watched(d: DefectOutcome, to_watch: list[tuple[float, float]] | None) -> DefectOutcome:
    if to_watch is None:
        return d
    return replace(d, watched=any(a < d.end and b > d.start for a, b in to_watch))


def _false_alarm_s(check: str, events: Iterable[Event], defects: Iterable[DefectLabel]) -> float:
    flagged = merge_intervals((e.start, e.end) for e in events if e.check == check)
    labelled = merge_intervals((d.start, d.end) for d in defects if d.check == check)
    return _length(flagged) - _intersection(flagged, labelled)


def evaluate(
    results: Mapping[str, AuditResult], labels: Labels, *, preroll: float = 2.0
) -> EvalReport:
    """Compare audit results (keyed by file name) with the labels; see the module doc."""
    check_coverage(labels, results, "the results")
    recordings = []
    false_alarm = dict.fromkeys(EVENT_SOURCES, 0.0)
    for name in sorted(labels.recordings):
        label, result = labels.recordings[name], results[name]
        flagged = result.decision in ("review", "rerecord")
        to_watch = watch_intervals(result, preroll) if flagged else None
        outcomes = tuple(_watched(_match(name, d, result.events), to_watch) for d in label.defects)
        for check in false_alarm:
            false_alarm[check] += _false_alarm_s(check, result.events, label.defects)
        recordings.append(
            RecordingEval(
                file=name,
                expected=label.expected,
                decision=result.decision,
                score=result.score,
                duration_s=result.duration_s,
                defects=outcomes,
                watch_s=watch_seconds(result, preroll),
                script_by_ear=script_by_ear(result),
                error=None if result.error is None else result.error.code,
            )
        )
    checks = []
    for check in EVENT_SOURCES:
        of_check = [d for r in recordings for d in r.defects if d.check == check]
        ious = [d.iou for d in of_check if d.iou is not None]
        checks.append(
            CheckStats(
                check=check,
                defects=len(of_check),
                found=sum(d.found for d in of_check),
                mean_iou=sum(ious) / len(ious) if ious else None,
                false_alarm_s=false_alarm[check],
            )
        )
    confusion = {e: dict.fromkeys(ACTUAL, 0) for e in EXPECTED}
    for r in recordings:
        confusion[r.expected][r.decision] += 1
    return EvalReport(tuple(recordings), tuple(checks), preroll, confusion)
