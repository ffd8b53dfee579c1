"""The evidence an approval needs beyond the places to watch, without Qt or a database:

- a recording the tool **could not audit** (a truncated file, no picture) cannot be approved
  at all: nothing vouches for it; it is re-recorded or escalated;
- a script the tool **could not check** (no trusted speech model) is checked by ear: the
  reviewer must have played at least the profile's ``[review] listen_share`` of the speech
  (default 90 %), or give the logged reason to approve without listening;
- a **reason has substance**: a few letters, digits or Chinese characters, not punctuation
  or one key held down.

The workflow's rules (:func:`dualrec_audit.workflow.policy.check_decision`) apply these; the
review window shows the same figures while the reviewer works.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence

from dualrec_audit.core.result import AuditResult
from dualrec_audit.workflow.watch import merge_intervals, script_by_ear

DEFAULT_LISTEN_SHARE = 0.9
MIN_REASON_WEIGHT = 4  # a Chinese character weighs 2, a letter or digit 1


def unaudited(result: AuditResult) -> bool:
    """The tool could not audit the recording (its error says why)."""
    return result.error is not None or result.decision == "error"


def needs_listening(result: AuditResult) -> bool:
    """The script is checked by ear: the speech has to be played through."""
    return not unaudited(result) and script_by_ear(result)


def speech_spans(result: AuditResult) -> list[tuple[float, float]]:
    """Where people speak (the speech check's voice regions); the whole recording when the
    speech check did not run, so that listening through means playing it all."""
    speech = result.checks.get("speech")
    regions = speech.details.get("regions") if speech is not None else None
    if speech is None or speech.status != "ok" or not regions:
        return [(0.0, result.duration_s)] if result.duration_s > 0 else []
    return merge_intervals((float(s), float(e)) for s, e in regions)


def listened_share(
    spans: Sequence[tuple[float, float]], played: Sequence[tuple[float, float]]
) -> float:
    """The share of the speech that was played (1.0 when there is no speech)."""
    total = sum(e - s for s, e in spans)
    if total <= 0:
        return 1.0
    seen = sum(max(0.0, min(e, pe) - max(s, ps)) for s, e in spans for ps, pe in played)
    return min(1.0, seen / total)


def listen_share_for(result: AuditResult) -> float:
    """The share of speech the result's business profile asks a reviewer to play when the
    script is checked by ear (``[review] listen_share``); the default without a profile or
    when the profile is no longer installed."""
    pid = (result.profile or {}).get("id")
    return _listen_share(str(pid)) if pid else DEFAULT_LISTEN_SHARE


@functools.lru_cache(maxsize=64)
def _listen_share(profile_id: str) -> float:
    """Read once per process (the window asks at every player tick)."""
    from dualrec_audit.core.errors import DualrecError
    from dualrec_audit.rules.profiles import get_profile

    try:
        return float(get_profile(profile_id).review.listen_share)
    except DualrecError:
        return DEFAULT_LISTEN_SHARE


def reason_weight(text: str | None) -> int:
    """How much a reason says: Chinese characters count 2, letters and digits 1, the rest
    (punctuation, spaces, symbols) nothing; one character repeated counts once."""
    chars = [c for c in (text or "").strip() if unicodedata.category(c)[0] in "LN"]
    if len(set(chars)) < 2:
        return 2 * len(set(chars))
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in chars)


def substantive(text: str | None) -> bool:
    return reason_weight(text) >= MIN_REASON_WEIGHT
