"""Layer 2, per episode: every layer-1 event is its own finding, judged by its profile rule; the
whole-recording mandatory checks (both parties present, clear speech, minimum duration) are
findings of their own that point at their episodes instead of spanning them.

- An episode lasting at least the rule's ``min_duration_s`` is a finding ``event.<type>`` of
  the rule's severity; a mandatory rule makes it a failed mandatory check.
- A shorter episode is a low-severity note (deduction 0): listed, never holding a recording.
- An aggregate that fails (``mandatory.both_parties_present``, ``mandatory.clarity``) covers
  the whole recording and lists its episodes (``evidence.episodes``); each of those episodes is
  raised to at least medium severity so that the reviewer is sent to every one of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from dualrec_audit.core.i18n import PARTY, fmt_span
from dualrec_audit.core.result import AuditResult, Event, Finding, Text
from dualrec_audit.rules.profiles import EventRule, Profile

_EPS = 1e-6


def _secs(d: float) -> str:
    return f"{d:.1f}".removesuffix(".0")


def _clarity_evidence(ev: Event, result: AuditResult) -> dict[str, Any]:
    """What fired a low-clarity episode: SNR and level (layer 1), recogniser confidence."""
    out = {k: ev.details[k] for k in ("cause", "snr_db", "level_dbfs") if k in ev.details}
    transcript = result.checks.get("transcript")
    if transcript is not None and transcript.status == "ok":
        tl = transcript.timeline
        vals = [v for v in tl[int(ev.start) : max(int(ev.start) + 1, int(ev.end))] if v is not None]
        if vals:
            out["asr_confidence"] = round(sum(vals) / len(vals), 2)
    return out


def _what_fired(ev: Event, fired: dict[str, Any]) -> tuple[str, str]:
    if ev.check != "low_clarity" or not fired:
        return "", ""
    zh, en = [], []
    if "snr_db" in fired:
        zh.append(f"信噪比 {fired['snr_db']:.0f} dB")
        en.append(f"SNR {fired['snr_db']:.0f} dB")
    if "level_dbfs" in fired:
        zh.append(f"音量 {fired['level_dbfs']:.0f} dBFS")
        en.append(f"level {fired['level_dbfs']:.0f} dBFS")
    if "asr_confidence" in fired:
        zh.append(f"识别置信度 {fired['asr_confidence']:.2f}")
        en.append(f"recogniser confidence {fired['asr_confidence']:.2f}")
    return (f"；{'，'.join(zh)}", f"; {', '.join(en)}") if zh else ("", "")


def judge_episode(ev: Event, rule: EventRule, profile: Profile, result: AuditResult) -> Finding:
    """The finding of one layer-1 event under its profile rule (the rule for its party, where
    the rule has one)."""
    rule = rule.for_party(ev.party)
    d = ev.duration
    full = d >= rule.min_duration_s - _EPS
    fired = _clarity_evidence(ev, result) if ev.check == "low_clarity" else {}
    why_zh, why_en = _what_fired(ev, fired)
    if not full:
        zh = f"，{_secs(d)} 秒（短于规则的 {_secs(rule.min_duration_s)} 秒，仅作提示）"
        en = f" for {_secs(d)} s (under the rule's {_secs(rule.min_duration_s)} s: a note only)"
    elif rule.mandatory:
        zh = f"，持续 {_secs(d)} 秒（必检：达到 {_secs(rule.min_duration_s)} 秒需重新录制）"
        en = (
            f" for {_secs(d)} s (mandatory: {_secs(rule.min_duration_s)} s or more means re-record)"
        )
    else:
        zh, en = f"，持续 {_secs(d)} 秒", f" for {_secs(d)} s"
    return Finding(
        rule=f"event.{ev.check}",
        start=ev.start,
        end=ev.end,
        severity=rule.severity if full else "low",
        reason=Text(ev.message.zh + zh + why_zh, ev.message.en + en + why_en),
        deduction=profile.deduction(ev.check) if full else 0.0,
        mandatory=rule.mandatory and full,
        evidence={
            "event": ev.to_dict(),
            "rule": rule.model_dump(),
            "below_minimum": not full,
            **({"fired": fired} if fired else {}),
        },
    )


def _episode_list(events: Sequence[Event]) -> tuple[str, list[list[float]]]:
    spans = [[round(e.start, 2), round(e.end, 2)] for e in events]
    return "、".join(fmt_span(s, e) for s, e in spans), spans


def _aggregate(
    rule: str, duration: float, zh: str, en: str, events: Sequence[Event], **evidence: Any
) -> Finding:
    listed, spans = _episode_list(events)
    if events:
        zh += f"；共 {len(events)} 段：{listed}"
        en += f"; {len(events)} episode{'s' if len(events) > 1 else ''}: {listed}"
    return Finding(
        rule, 0.0, duration, "high", Text(zh, en), 0.0, True, {**evidence, "episodes": spans}
    )


def presence_findings(result: AuditResult, profile: Profile) -> list[tuple[Finding, list[Event]]]:
    """Each party in frame at least ``mandatory.both_parties_present`` of the time."""
    threshold = profile.mandatory.both_parties_present
    faces = result.checks.get("faces")
    if threshold is None or faces is None or faces.status != "ok":
        return []
    presence = faces.details.get("presence", {})
    out = []
    for party in profile.parties:
        share = float(presence.get(party, 0.0))
        if share >= threshold:
            continue
        absent = [e for e in result.events if e.check == "party_absent" and e.party == party]
        finding = _aggregate(
            "mandatory.both_parties_present",
            result.duration_s,
            f"{PARTY[party].zh}在画面中的时间仅占 {share:.0%}（要求 ≥{threshold:.0%}）",
            f"{PARTY[party].en} in frame only {share:.0%} of the time (required ≥{threshold:.0%})",
            absent,
            party=party,
            presence=share,
            threshold=threshold,
        )
        out.append((finding, absent))
    return out


def clarity_findings(result: AuditResult, profile: Profile) -> list[tuple[Finding, list[Event]]]:
    """Speech clear at least ``mandatory.clarity_share`` of the speech time."""
    m = profile.mandatory
    speech = result.checks.get("speech")
    if m.clarity_share is None or speech is None or speech.status != "ok":
        return []
    ratios = speech.details.get("speech_ratio", [])
    speech_secs = [i for i, r in enumerate(ratios) if r > 0.15 and i < len(speech.timeline)]
    clear = [i for i in speech_secs if (speech.timeline[i] or 0.0) >= m.clarity_floor]
    if not speech_secs or len(clear) / len(speech_secs) >= m.clarity_share:
        return []
    share = len(clear) / len(speech_secs)
    unclear = [e for e in result.events if e.check == "low_clarity"]
    finding = _aggregate(
        "mandatory.clarity",
        result.duration_s,
        f"语音清晰的时间仅占 {share:.0%}（要求 ≥{m.clarity_share:.0%}）",
        f"Speech is clear only {share:.0%} of the time (required ≥{m.clarity_share:.0%})",
        unclear,
        clear_share=round(share, 3),
        threshold=m.clarity_share,
        speech_seconds=len(speech_secs),
    )
    return [(finding, unclear)]


def duration_findings(result: AuditResult, profile: Profile) -> list[Finding]:
    limit, duration = profile.mandatory.min_duration_s, result.duration_s
    if limit is None or duration >= limit:
        return []
    return [
        Finding(
            "mandatory.min_duration",
            0.0,
            duration,
            "high",
            Text(
                f"录像时长 {duration:.0f} 秒，短于要求的 {limit:g} 秒",
                f"Recording is {duration:.0f} s, shorter than the required {limit:g} s",
            ),
            0.0,
            True,
            {"duration_s": duration, "threshold_s": limit},
        )
    ]


def _part_of(f: Finding, rule: str) -> Finding:
    severity = "medium" if f.severity == "low" else f.severity
    return replace(f, severity=severity, evidence={**f.evidence, "part_of": rule})


def event_findings(
    result: AuditResult, profile: Profile, not_evaluated: Sequence[str] = ()
) -> list[Finding]:
    """The episode findings, the whole-recording mandatory checks pointing at them, and the
    minimum duration (see the module doc)."""
    episodes = {
        id(ev): judge_episode(ev, profile.events[ev.check], profile, result)
        for ev in result.events
        if ev.check in profile.events
    }
    aggregates = []
    if "faces" not in not_evaluated:
        aggregates += presence_findings(result, profile)
    if "speech" not in not_evaluated:
        aggregates += clarity_findings(result, profile)
    for agg, events in aggregates:
        for ev in events:
            episodes[id(ev)] = _part_of(episodes[id(ev)], agg.rule)
    return [*(a for a, _ in aggregates), *episodes.values(), *duration_findings(result, profile)]
