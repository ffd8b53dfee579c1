"""Who said it (layer 2): each heard stage and confirmation gets the party that said it.

The talk intervals (``result.talk``, from the talk check: voice activity and moving mouths)
say who was talking when. A phrase is said by the label that covers most of its time, when it
covers at least ``MIN_COVER`` of it; else nobody is named (``None``). Events (each judged by
its rule in the profile's ``[events]`` table, like a layer-1 event):

- ``wrong_speaker``: a stage said by the other party than the profile's (the phrase's time and
  the talker's interval both given);
- ``answered_for_customer`` (代答): a customer stage or confirmation voiced while the staff's
  mouth moves and the customer's is still;
- these two only when the other party's talk alone covers ``FIRM_COVER`` (3/4) of the phrase
  and the expected party's face was in the picture (no ``party_absent`` or ``face_cut`` event
  of theirs over it): a plurality names who spoke (``speaker_detected``), it accuses nobody,
  and a mouth that cannot be seen is not a still one;
- ``prompted_answer`` (review): a customer stage or confirmation whose syllables (toneless
  pinyin) repeat, word for word, the staff's talk that ended at most
  ``prompt_window_s`` before it;
- a phrase heard while both mouths move (``both``) is the expected party's (evidence
  ``overlap``): their mouth moves, nothing says someone else said it;
- where the profile allows it (``attribution.nod_evidence``), a customer who nods during a
  confirmation heard off screen is taken as its speaker (evidence ``nod``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dualrec_audit.core.i18n import event_message
from dualrec_audit.core.result import AuditResult, Event, Party, Severity, Talk, Text, Word
from dualrec_audit.rules.profiles import Profile
from dualrec_audit.speech.pinyin import normalize_text, to_syllables, toneless

MIN_COVER = 0.3
# A finding names a party who said what another should have: that party's talk alone must
# cover this share of the phrase (a plurality is enough to show who spoke, not to accuse).
FIRM_COVER = 0.75


@dataclass(frozen=True)
class Said:
    """A heard stage or confirmation: what, when, by whom it should be and was said."""

    kind: str  # "stage" or "confirmation"
    id: str
    name: Text
    expected: str  # staff | customer | any
    start: float
    end: float
    detected: str | None
    talk: Talk | None  # the talker's interval
    evidence: str = "talk"  # talk | overlap | nod
    cover: float = 0.0  # share of the phrase the detected label covers

    @property
    def firm(self) -> bool:
        return self.cover >= FIRM_COVER


def speaker_of(talk: Sequence[Talk], start: float, end: float) -> tuple[str | None, Talk | None]:
    """The talk label covering most of [start, end] (None when none covers ``MIN_COVER``)."""
    span = max(end - start, 1e-6)
    cover: dict[str, float] = {}
    best: dict[str, Talk] = {}
    for t in talk:
        o = min(end, t.end) - max(start, t.start)
        if o <= 0:
            continue
        cover[t.party] = cover.get(t.party, 0.0) + o
        if t.party not in best or o > min(end, best[t.party].end) - max(start, best[t.party].start):
            best[t.party] = t
    if not cover:
        return None, None
    party = max(cover, key=lambda k: cover[k])
    if cover[party] / span < MIN_COVER:
        return None, None
    return party, best[party]


def _cover(talk: Sequence[Talk], party: str | None, start: float, end: float) -> float:
    """The share of [start, end] that ``party``'s talk covers."""
    if party is None:
        return 0.0
    inside = sum(max(0.0, min(end, t.end) - max(start, t.start)) for t in talk if t.party == party)
    return inside / max(end - start, 1e-6)


def _unseen(result: AuditResult, party: str, start: float, end: float) -> bool:
    """The party's mouth could not be seen during [start, end] (absent, or the face cut off):
    nobody is accused of speaking for them there."""
    return any(
        e.check in ("party_absent", "face_cut") and e.party == party and e.start < end
        and start < e.end
        for e in result.events
    )  # fmt: skip


def _nodded(nods: Mapping[str, Any], party: str, start: float, end: float) -> bool:
    return any(a <= end + 1.0 and start - 1.0 <= b for a, b in nods.get(party, []))


def heard(
    result: AuditResult,
    profile: Profile,
    spans: Sequence[tuple[str, str, Text, str, float, float]],
) -> list[Said]:
    """Attribute every heard (kind, id, name, expected speaker, start, end)."""
    talk_check = result.checks.get("talk")
    if talk_check is None or talk_check.status != "ok":
        return []
    nods = talk_check.details.get("nods", {})
    out = []
    for kind, sid, name, expected, start, end in spans:
        who, interval = speaker_of(result.talk, start, end)
        cover = _cover(result.talk, who, start, end)
        evidence = "talk"
        if who == "both" and expected in ("staff", "customer"):
            # Both mouths move over it: the expected party's moves, so nothing says another
            # said it (the voice is not told apart): it is theirs, heard in an overlap.
            who, evidence = expected, "overlap"
        if (
            expected == "customer"
            and who in (None, "both", "off_screen")
            and profile.attribution.nod_evidence
            and _nodded(nods, "customer", start, end)
        ):
            who, evidence = "customer", "nod"
        out.append(Said(kind, sid, name, expected, start, end, who, interval, evidence, cover))
    return out


def syllables_between(words: Sequence[Word], start: float, end: float) -> list[str]:
    """Toneless syllables of the transcript whose middle lies in [start, end]."""
    out: list[str] = []
    for w in words:
        if start <= (w.start + w.end) / 2 <= end:
            text = w.text.strip()
            if text.isascii():
                out.extend(toneless(s).rstrip("012345") for s in text.split())
            else:
                out.extend(to_syllables(normalize_text(text)))
    return out


def _contains(hay: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    return n > 0 and any(list(hay[i : i + n]) == list(needle) for i in range(len(hay) - n + 1))


def prompted(result: AuditResult, said: Said, window_s: float) -> Talk | None:
    """The staff's talk that the answer repeats word for word, if any."""
    answer = syllables_between(result.transcript, said.start, said.end)
    if len(answer) < 2:
        return None
    before = [
        t
        for t in result.talk
        if t.party == "staff" and t.end <= said.start + 0.1 and said.start - t.end <= window_s
    ]
    for t in sorted(before, key=lambda t: -t.end)[:1]:
        if _contains(syllables_between(result.transcript, t.start, t.end), answer):
            return t
    return None


def _span(t: Talk | None) -> dict[str, Any] | None:
    return None if t is None else t.to_dict()


def events(result: AuditResult, profile: Profile, said: Sequence[Said]) -> list[Event]:
    """The who-said-it events (judged by the profile's ``[events]`` rules in layer 2)."""
    out: list[Event] = []
    for s in said:
        ev = {
            "kind": s.kind,
            "id": s.id,
            "expected": s.expected,
            "detected": s.detected,
            "said": {"start": round(s.start, 2), "end": round(s.end, 2)},
            "talk": _span(s.talk),
            "evidence": s.evidence,
            "cover": round(s.cover, 2),
        }
        seen = not _unseen(result, s.expected, s.start, s.end)
        if s.expected == "customer" and s.detected == "staff" and s.firm and seen:
            out.append(_event("answered_for_customer", s, ev))
        elif s.expected in ("staff", "customer") and s.detected in ("staff", "customer"):
            if s.detected != s.expected and s.firm and seen:
                out.append(_event("wrong_speaker", s, ev))
        if s.expected == "customer" and s.detected != "staff":
            t = prompted(result, s, profile.attribution.prompt_window_s)
            if t is not None:
                out.append(_event("prompted_answer", s, {**ev, "prompt": t.to_dict()}))
    return out


_SEVERITY: dict[str, Severity] = {
    "answered_for_customer": "high",
    "wrong_speaker": "medium",
    "prompted_answer": "medium",
}


def _event(check: str, s: Said, details: dict[str, Any]) -> Event:
    message = event_message(
        check,
        what_zh=s.name.zh,
        what_en=s.name.en,
        expected=s.expected,
        detected=s.detected or "off_screen",
    )
    party: Party | None = "staff" if check == "answered_for_customer" else None
    return Event(check, s.start, s.end, _SEVERITY[check], message, party, details)
