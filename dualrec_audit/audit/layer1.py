"""What the pipeline adds to the layer-1 checks' own results: the events of undecodable spans,
of holes in the picture and of several audio tracks, the talk intervals, and the default score
and decision used when no business profile judges the recording."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from dualrec_audit.core.i18n import event_message
from dualrec_audit.core.result import (
    SEVERITY_RANK,
    CheckResult,
    Decision,
    Event,
    MediaInfo,
    Talk,
)


def talk_of(check: CheckResult | None) -> tuple[Talk, ...]:
    """The talk intervals the talk check found (none when it did not run)."""
    if check is None or check.status != "ok":
        return ()
    return tuple(Talk(**t) for t in check.details.get("talk", []))


def with_events(check: CheckResult, events: list[Event]) -> CheckResult:
    return replace(check, events=(*check.events, *events)) if events else check


def damage_events(
    spans: list[tuple[float, float]], holes: list[tuple[float, float]], duration_s: float
) -> list[Event]:
    """A ``damaged`` event per span of the recording that could not be decoded, and per hole
    in its picture (a stretch the file has no frame for: a recorder that dropped its frames;
    part of the sale is not on record there either)."""
    said = [(a, b, event_message("damaged")) for a, b in spans]
    said += [(a, b, event_message("damaged", hole="yes")) for a, b in holes]
    return [
        Event(
            check="damaged",
            start=round(a, 2),
            end=round(min(b, duration_s), 2),
            severity="high",
            message=message,
        )
        for a, b, message in sorted(said, key=lambda s: s[0])
    ]


def track_events(n: int, chosen: int, info: MediaInfo) -> list[Event]:
    """A note when the recording has several audio tracks: which one was audited, and why."""
    if n < 2:
        return []
    return [
        Event(
            check="audio_track",
            start=0.0,
            end=round(info.duration_s, 2),
            severity="low",
            message=event_message("audio_track", tracks=str(n), audited=str(chosen + 1)),
            details={"tracks": n, "audited": chosen + 1, "first_silent": chosen > 0},
        )
    ]


def pinyin_only(check: CheckResult) -> bool:
    """The transcript shown as the script engine's syllables: their token posteriors are not a
    calibrated confidence, so they rank no segment for the reviewer."""
    return check.name == "transcript" and check.details.get("units") == "pinyin"


PENALTY = {"low": 3.0, "medium": 8.0, "high": 15.0}


def overall_score(timelines: dict[str, Any], events: tuple[Event, ...]) -> float:
    """0-100: the mean over seconds of the worst check score, less a penalty per event.

    A simple default until business profiles (layer 2) take over."""
    n = max((len(t) for t in timelines.values()), default=0)
    worst = []
    for i in range(n):
        vals = [tl[i] for tl in timelines.values() if i < len(tl) and tl[i] is not None]
        if vals:
            worst.append(min(vals))
    base = 100.0 * sum(worst) / len(worst) if worst else 0.0
    return max(0.0, base - sum(PENALTY[e.severity] for e in events))


def default_decision(
    score: float, events: tuple[Event, ...], checks: dict[str, CheckResult]
) -> Decision:
    """approve only when every check ran with trusted models and found nothing."""
    if any(SEVERITY_RANK[e.severity] >= 3 for e in events) or score < 60:
        return "rerecord"
    if events or score < 80 or any(c.status != "ok" for c in checks.values()):
        return "review"
    return "approve"
