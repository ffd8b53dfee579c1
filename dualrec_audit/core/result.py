"""Result types of an audit: frozen dataclasses that serialise to the JSON contract.

JSON contract, schema_version 1 (see docs/checks.md): top level ``schema_version``,
``tool_version``, ``file``, ``sha256``, ``duration_s``, ``models``, ``decision``, ``score``,
``error``, ``events``, ``segments``, ``timelines``; plus ``media``, ``options``, ``checks`` and
``transcript``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

SCHEMA_VERSION = 1
# The keys every JSON result has (schema_version 1).
CONTRACT_KEYS = (
    "schema_version",
    "tool_version",
    "file",
    "sha256",
    "duration_s",
    "models",
    "decision",
    "score",
    "error",
    "events",
    "segments",
    "timelines",
)

Party = Literal["staff", "customer"]
Severity = Literal["low", "medium", "high"]
Decision = Literal["approve", "review", "rerecord", "error"]
CheckStatus = Literal["ok", "unavailable", "unverified"]

SEVERITY_RANK: dict[str, int] = {"low": 1, "medium": 2, "high": 3}

# Event names ("check" in the JSON contract) and the layer-1 module that emits each.
EVENT_SOURCES: dict[str, str] = {
    "party_absent": "faces",
    "extra_person": "faces",
    "face_cut": "faces",
    "face_small": "faces",
    "face_turned": "faces",
    "silence": "speech",
    "low_clarity": "speech",
    "clipping": "speech",
    "phrase_missing": "script",
    "forbidden_phrase": "script",
    "dark": "video",
    "overexposed": "video",
    "blur": "video",
    "frozen": "video",
    "document_missing": "documents",
    "document_illegible": "documents",
    "damaged": "video",  # a span that could not be decoded (the file is damaged there)
    "audio_track": "speech",  # several audio tracks: which one was audited
    # Who said it (layer 2, from the talk intervals and the heard stages): a stage said by the
    # other party; the staff voicing the customer's confirmation (代答); a confirmation that
    # repeats the staff's previous sentence word for word.
    "wrong_speaker": "talk",
    "answered_for_customer": "talk",
    "prompted_answer": "talk",
    # Identity (face descriptors): a party replaced by another person part-way; an ID card
    # whose portrait is not the customer.
    "person_changed": "identity",
    "id_face_mismatch": "identity",
}


@dataclass(frozen=True)
class Text:
    """A user-facing message in Simplified Chinese and English."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def to_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


@dataclass(frozen=True)
class Event:
    """A time-stamped finding of a layer-1 check."""

    check: str
    start: float
    end: float
    severity: Severity
    message: Text
    party: Party | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "party": self.party,
            "start": round(self.start, 2),
            "end": round(self.end, 2),
            "severity": self.severity,
            "message": self.message.to_dict(),
            "details": dict(self.details),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Event:
        return cls(
            check=d["check"],
            start=float(d["start"]),
            end=float(d["end"]),
            severity=d["severity"],
            message=Text(**d["message"]),
            party=d.get("party"),
            details=dict(d.get("details") or {}),
        )


@dataclass(frozen=True)
class CheckResult:
    """What one layer-1 check produced: a per-second timeline in [0, 1] and events.

    ``status`` is ``ok``; ``unavailable`` when the check could not run (no audio track,
    no speech model), with ``reason``; or ``unverified`` when it ran with a model that cannot
    be trusted for a verdict (a test model), with ``reason``.
    """

    name: str
    status: CheckStatus
    timeline: tuple[float | None, ...] = ()
    events: tuple[Event, ...] = ()
    reason: Text | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def available(self) -> bool:
        return self.status == "ok"

    @property
    def score(self) -> float | None:
        """Mean of the timeline's defined seconds, or None when nothing was scored."""
        values = [v for v in self.timeline if v is not None]
        if self.status == "unavailable" or not values:
            return None
        return sum(values) / len(values)

    def to_dict(self) -> dict[str, Any]:
        score = self.score
        return {
            "status": self.status,
            "score": None if score is None else round(score, 4),
            "reason": None if self.reason is None else self.reason.to_dict(),
            "details": dict(self.details),
        }

    @classmethod
    def unavailable(cls, name: str, reason: Text, **details: Any) -> CheckResult:
        return cls(name=name, status="unavailable", reason=reason, details=details)


@dataclass(frozen=True)
class Segment:
    """A run of low-score seconds, for the reviewer to watch."""

    start: float
    end: float
    score: float
    checks: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": round(self.start, 2),
            "end": round(self.end, 2),
            "score": round(self.score, 4),
            "checks": list(self.checks),
        }


@dataclass(frozen=True)
class Word:
    """A recognised word with its time span (seconds) and recogniser probability."""

    start: float
    end: float
    text: str
    probability: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": round(self.start, 2),
            "end": round(self.end, 2),
            "text": self.text,
            "probability": round(self.probability, 4),
        }


@dataclass(frozen=True)
class Talk:
    """Who talks when: ``staff``, ``customer``, ``both`` (overlap) or ``off_screen`` (a voice
    with no moving mouth on screen), with a confidence in [0, 1]."""

    party: str
    start: float
    end: float
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "party": self.party,
            "start": round(self.start, 2),
            "end": round(self.end, 2),
            "confidence": round(self.confidence, 3),
        }


@dataclass(frozen=True)
class Finding:
    """A layer-2 finding: a rule of the business profile that fired, with its evidence."""

    rule: str  # e.g. "mandatory.both_parties_present", "stage.risk_disclosure", "event.blur"
    start: float
    end: float
    severity: Severity
    reason: Text
    deduction: float = 0.0
    mandatory: bool = False  # a mandatory check failed: the recording must be re-recorded
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "start": round(self.start, 2),
            "end": round(self.end, 2),
            "severity": self.severity,
            "reason": self.reason.to_dict(),
            "deduction": round(self.deduction, 2),
            "mandatory": self.mandatory,
            "evidence": dict(self.evidence),
        }


@dataclass(frozen=True)
class StageStatus:
    """One script stage of the profile: heard or not, and when."""

    id: str
    name: Text
    speaker: str
    required: bool
    status: Literal["found", "uncertain", "missing", "not_verified"]
    start: float | None = None
    end: float | None = None
    phrases: tuple[Mapping[str, Any], ...] = ()
    speaker_detected: str | None = None  # who said it (see Talk.party); None: not known

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name.to_dict(),
            "speaker": self.speaker,
            "required": self.required,
            "status": self.status,
            "start": None if self.start is None else round(self.start, 2),
            "end": None if self.end is None else round(self.end, 2),
            "phrases": [dict(p) for p in self.phrases],
            "speaker_detected": self.speaker_detected,
        }


DocumentState = Literal["shown", "illegible", "not_shown", "not_verified"]


@dataclass(frozen=True)
class DocumentStatus:
    """One document of the profile: shown on camera legibly, illegible or not shown; when,
    for how long, and the text read (ID numbers masked)."""

    id: str
    name: Text
    party: str
    required: bool
    status: DocumentState
    min_seconds: float
    start: float | None = None
    end: float | None = None
    seconds: float = 0.0  # seconds legible in all
    text: str | None = None  # the line read that matched (masked)
    titles: tuple[str, ...] = ()
    reason: str | None = None  # illegible: "too_short" (read, too briefly) or "unreadable"
    # An ID card's portrait against the customer (checks/identity.py): status ("match",
    # "mismatch", "no_face_on_card", "no_customer_face"), distance, threshold; None otherwise.
    face: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "name": self.name.to_dict(),
            "party": self.party,
            "required": self.required,
            "status": self.status,
            "min_seconds": self.min_seconds,
            "start": None if self.start is None else round(self.start, 2),
            "end": None if self.end is None else round(self.end, 2),
            "seconds": round(self.seconds, 2),
            "text": self.text,
            "titles": list(self.titles),
            "reason": self.reason,
        }
        if self.face is not None:
            out["face"] = dict(self.face)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DocumentStatus:
        return cls(
            id=d["id"],
            name=Text(**d["name"]),
            party=d["party"],
            required=d["required"],
            status=d["status"],
            min_seconds=float(d["min_seconds"]),
            start=d.get("start"),
            end=d.get("end"),
            seconds=float(d.get("seconds") or 0.0),
            text=d.get("text"),
            titles=tuple(d.get("titles") or ()),
            reason=d.get("reason"),
            face=None if d.get("face") is None else dict(d["face"]),
        )


@dataclass(frozen=True)
class AuditError:
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class MediaInfo:
    """What ``media.probe`` learnt about a file."""

    duration_s: float
    width: int
    height: int
    fps: float
    rotation: int
    video_codec: str
    audio_streams: int
    audio_codec: str | None = None
    sample_rate: int | None = None

    @property
    def display_size(self) -> tuple[int, int]:
        """(width, height) after applying the rotation."""
        if self.rotation % 180:
            return self.height, self.width
        return self.width, self.height

    def to_dict(self) -> dict[str, Any]:
        return {
            "duration_s": round(self.duration_s, 3),
            "width": self.width,
            "height": self.height,
            "fps": round(self.fps, 3),
            "rotation": self.rotation,
            "video_codec": self.video_codec,
            "audio_streams": self.audio_streams,
            "audio_codec": self.audio_codec,
            "sample_rate": self.sample_rate,
        }


@dataclass(frozen=True)
class AuditResult:
    """The complete result of auditing one recording."""

    file: str
    tool_version: str
    sha256: str | None
    duration_s: float
    decision: Decision
    score: float
    models: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    media: MediaInfo | None = None
    checks: Mapping[str, CheckResult] = field(default_factory=dict)
    events: tuple[Event, ...] = ()
    segments: tuple[Segment, ...] = ()
    transcript: tuple[Word, ...] = ()
    error: AuditError | None = None
    profile: Mapping[str, Any] | None = None  # id, version, names of the business profile
    findings: tuple[Finding, ...] = ()
    stages: tuple[StageStatus, ...] = ()
    documents: tuple[DocumentStatus, ...] = ()  # the profile's documents shown on camera
    talk: tuple[Talk, ...] = ()  # who talks when (the talk check)
    # Per party, the spans of each distinct person (the identity check): party -> [{person,
    # start, end}]; empty when the check did not run.
    identity: Mapping[str, Any] = field(default_factory=dict)

    @property
    def timelines(self) -> dict[str, list[float | None]]:
        return {name: list(c.timeline) for name, c in self.checks.items() if c.timeline}

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "tool_version": self.tool_version,
            "file": self.file,
            "sha256": self.sha256,
            "duration_s": round(self.duration_s, 3),
            "models": dict(self.models),
            "decision": self.decision,
            "score": round(self.score, 1),
            "error": None if self.error is None else self.error.to_dict(),
            "events": [e.to_dict() for e in self.events],
            "segments": [s.to_dict() for s in self.segments],
            "timelines": {
                k: [None if v is None else round(v, 3) for v in tl]
                for k, tl in self.timelines.items()
            },
            "media": None if self.media is None else self.media.to_dict(),
            "options": dict(self.options),
            "checks": {k: c.to_dict() for k, c in self.checks.items()},
            "transcript": [w.to_dict() for w in self.transcript],
            "profile": None if self.profile is None else dict(self.profile),
            "findings": [f.to_dict() for f in self.findings],
            "stages": [st.to_dict() for st in self.stages],
            "documents": [d.to_dict() for d in self.documents],
            "talk": [t.to_dict() for t in self.talk],
            "identity": {k: [dict(x) for x in v] for k, v in self.identity.items()},
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AuditResult:
        """Rebuild a result from its JSON document (``to_dict`` of the same schema)."""
        if d.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
            raise ValueError(f"unsupported result schema_version {d.get('schema_version')!r}")
        events = tuple(Event.from_dict(e) for e in d.get("events") or ())
        timelines = d.get("timelines") or {}
        checks = {}
        for name, c in (d.get("checks") or {}).items():
            reason = c.get("reason")
            checks[name] = CheckResult(
                name=name,
                status=c["status"],
                timeline=tuple(timelines.get(name) or ()),
                events=tuple(e for e in events if EVENT_SOURCES.get(e.check) == name),
                reason=None if reason is None else Text(**reason),
                details=dict(c.get("details") or {}),
            )
        media, error = d.get("media"), d.get("error")
        return cls(
            file=d["file"],
            tool_version=d["tool_version"],
            sha256=d.get("sha256"),
            duration_s=float(d["duration_s"]),
            decision=d["decision"],
            score=float(d["score"]),
            models=dict(d.get("models") or {}),
            options=dict(d.get("options") or {}),
            media=None if media is None else MediaInfo(**media),
            checks=checks,
            events=events,
            segments=tuple(
                Segment(s["start"], s["end"], s["score"], tuple(s["checks"]))
                for s in d.get("segments") or ()
            ),
            transcript=tuple(Word(**w) for w in d.get("transcript") or ()),
            error=None if error is None else AuditError(**error),
            profile=None if d.get("profile") is None else dict(d["profile"]),
            findings=tuple(
                Finding(
                    rule=f["rule"],
                    start=f["start"],
                    end=f["end"],
                    severity=f["severity"],
                    reason=Text(**f["reason"]),
                    deduction=f.get("deduction", 0.0),
                    mandatory=f.get("mandatory", False),
                    evidence=dict(f.get("evidence") or {}),
                )
                for f in d.get("findings") or ()
            ),
            stages=tuple(
                StageStatus(
                    id=st["id"],
                    name=Text(**st["name"]),
                    speaker=st["speaker"],
                    required=st["required"],
                    status=st["status"],
                    start=st.get("start"),
                    end=st.get("end"),
                    phrases=tuple(dict(p) for p in st.get("phrases") or ()),
                    speaker_detected=st.get("speaker_detected"),
                )
                for st in d.get("stages") or ()
            ),
            documents=tuple(DocumentStatus.from_dict(x) for x in d.get("documents") or ()),
            talk=tuple(Talk(**t) for t in d.get("talk") or ()),
            identity=dict(d.get("identity") or {}),
        )


# ---------------------------------------------------------------------------
# Helpers shared by the checks: per-sample flags -> runs -> events; timelines -> segments.


def seconds_of(duration_s: float) -> int:
    """Number of one-second bins that cover a recording."""
    return max(1, math.ceil(duration_s - 1e-6))


def runs(
    times: Sequence[float],
    flags: Sequence[bool],
    step: float,
    *,
    min_duration: float = 0.0,
    max_gap: float = 0.0,
) -> list[tuple[float, float]]:
    """Turn samples (time, flag) taken every ``step`` seconds into [start, end) runs.

    Each flagged sample covers [t, t + step). Runs separated by at most ``max_gap`` seconds
    are merged; runs shorter than ``min_duration`` are dropped.
    """
    out: list[list[float]] = []
    for t, f in zip(times, flags, strict=True):
        if not f:
            continue
        if out and t - out[-1][1] <= max_gap + 1e-6:
            out[-1][1] = t + step
        else:
            out.append([t, t + step])
    return [(s, e) for s, e in out if e - s >= min_duration - 1e-6]


def per_second(
    times: Sequence[float], values: Sequence[float], n_seconds: int
) -> list[float | None]:
    """Mean of the sampled values falling in each one-second bin (None for empty bins)."""
    sums = [0.0] * n_seconds
    counts = [0] * n_seconds
    for t, v in zip(times, values, strict=True):
        i = min(n_seconds - 1, max(0, int(t)))
        sums[i] += v
        counts[i] += 1
    return [s / c if c else None for s, c in zip(sums, counts, strict=True)]


def merge_segments(
    timelines: Mapping[str, Sequence[float | None]],
    *,
    threshold: float = 0.6,
    max_gap: int = 1,
) -> list[Segment]:
    """Merge the seconds whose lowest check score is below ``threshold`` into segments.

    Seconds at most ``max_gap`` apart are merged. Segments are ranked worst first: by mean
    score, then longer first, then earlier first.
    """
    if not timelines:
        return []
    n = max(len(t) for t in timelines.values())
    low: list[tuple[int, float, set[str]]] = []
    for i in range(n):
        vals: dict[str, float] = {}
        for k, tl in timelines.items():
            v = tl[i] if i < len(tl) else None
            if v is not None:
                vals[k] = v
        if vals and min(vals.values()) < threshold:
            low.append((i, min(vals.values()), {k for k, v in vals.items() if v < threshold}))
    groups: list[list[tuple[int, float, set[str]]]] = []
    for item in low:
        if groups and item[0] - groups[-1][-1][0] <= max_gap + 1:
            groups[-1].append(item)
        else:
            groups.append([item])
    segs = []
    for g in groups:
        checks: set[str] = set().union(*(c for _, _, c in g))
        segs.append(
            Segment(
                start=float(g[0][0]),
                end=float(g[-1][0] + 1),
                score=sum(s for _, s, _ in g) / len(g),
                checks=tuple(sorted(checks)),
            )
        )
    segs.sort(key=lambda s: (round(s.score, 4), -(s.end - s.start), s.start))
    return segs


def sort_events(events: Iterable[Event]) -> tuple[Event, ...]:
    return tuple(sorted(events, key=lambda e: (e.start, e.end, e.check, e.party or "")))
