"""What a reviewer has to watch in one audited recording.

``watch_intervals(result)`` is the sorted, merged union of the places the audit sends the
reviewer to, each started ``preroll`` seconds early so the reviewer sees what leads up to it:

- decided under a business profile (layer 2): the located findings that hold the recording
  (a failed mandatory check, or medium or high severity). Every layer-1 event is such a finding
  or a low-severity note (an episode shorter than its rule's minimum, which never holds a
  recording and is only listed); an aggregate rule's episodes are always held.
- without a profile (layer 1 only): the low-score segments, the events and the findings.

The reviewer UI steps through these intervals (next / previous finding) and the daily summary
adds them up with ``watch_seconds``.

Findings that cover the whole recording (a required stage not heard, a check that could not
be evaluated, a recording too short) name no place to look, so they are not watch intervals.
The one a reviewer must still act on is the script: when ``script_by_ear(result)`` is true the
script could not be verified by the tool and has to be listened for; callers report that
separately instead of counting the whole recording as "to watch".
"""

from __future__ import annotations

from collections.abc import Iterable

from dualrec_audit.core.result import AuditResult
from dualrec_audit.rules.decision import holds

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

    Sources (see the module doc): under a profile, the located findings that hold the
    recording; else ``result.segments``, ``result.events`` and ``result.findings``. Spans need
    end > start; findings covering the whole recording are left out. Every range is clamped to
    [0, duration]. A result that could not be audited has none.
    """
    if preroll < 0:
        raise ValueError("preroll must be >= 0")
    duration = result.duration_s
    located = [f for f in result.findings if not _covers_recording(f.start, f.end, duration)]
    spans: list[tuple[float, float]]
    if result.profile is not None:
        spans = [(f.start, f.end) for f in located if holds(f)]
    else:
        spans = [(s.start, s.end) for s in result.segments]
        # A phrase not heard names no place to watch (as a stage finding covering the recording).
        spans += [
            (e.start, e.end)
            for e in result.events
            if e.check != "phrase_missing" or not _covers_recording(e.start, e.end, duration)
        ]
        spans += [(f.start, f.end) for f in located]
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
