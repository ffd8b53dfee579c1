"""What a reviewer has to watch in one audited recording.

``watch_intervals(result)`` is the sorted, merged union of every place the audit points at —
the low-score segments, the layer-1 events and the layer-2 findings — each started
``preroll`` seconds early so the reviewer sees what leads up to it. The reviewer UI steps
through these intervals (next / previous finding) and the daily summary adds them up with
``watch_seconds``.

Findings that cover the whole recording (a required stage not heard, a check that could not
be evaluated, a recording too short) name no place to look, so they are not watch intervals.
The one a reviewer must still act on is the script: when ``script_by_ear(result)`` is true the
script could not be verified by the tool and has to be listened for; callers report that
separately instead of counting the whole recording as "to watch".
"""

from __future__ import annotations

from collections.abc import Iterable

from dualrec_audit.result import AuditResult

_EPS = 1e-6


def merge_intervals(spans: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sorted union of [start, end) intervals; empty ones dropped, touching ones merged."""
    out: list[tuple[float, float]] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if out and start <= out[-1][1] + _EPS:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _covers_recording(start: float, end: float, duration: float) -> bool:
    return start <= 1e-3 and end >= duration - 1e-3


def watch_intervals(result: AuditResult, preroll: float = 2.0) -> list[tuple[float, float]]:
    """The merged, sorted time ranges a reviewer must watch, with ``preroll`` seconds before each.

    Sources: ``result.segments``, ``result.events`` and ``result.findings`` with end > start;
    findings covering the whole recording, and ``phrase_missing`` events that do, are left out
    (see the module doc). Every range is
    clamped to [0, duration]. A result that could not be audited has none.
    """
    if preroll < 0:
        raise ValueError("preroll must be >= 0")
    duration = result.duration_s
    spans: list[tuple[float, float]] = [(s.start, s.end) for s in result.segments]
    # A phrase not heard names no place to watch (as a stage finding covering the recording).
    spans += [
        (e.start, e.end)
        for e in result.events
        if e.check != "phrase_missing" or not _covers_recording(e.start, e.end, duration)
    ]
    spans += [
        (f.start, f.end) for f in result.findings if not _covers_recording(f.start, f.end, duration)
    ]
    return merge_intervals(
        (max(0.0, start - preroll), min(duration, end)) for start, end in spans if end > start
    )


def watch_seconds(result: AuditResult, preroll: float = 2.0) -> float:
    """Total length of :func:`watch_intervals`."""
    return sum((end - start for start, end in watch_intervals(result, preroll)), 0.0)


def script_by_ear(result: AuditResult) -> bool:
    """True when the script check did not run with a trusted speech model (none installed, a
    test model, no audio track): the reviewer must listen for the required phrases."""
    if result.error is not None:
        return False
    script = result.checks.get("script")
    return script is None or script.status != "ok"
