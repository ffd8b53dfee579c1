"""Layer 2: the audit decision, a pure function of (layer-1 result, business profile).

``decide(result, profile)`` gives the 0-100 score, the decision (approve / review / rerecord),
the findings (each a rule that fired, with its time range, severity, reason and the layer-1
evidence), the stage checklist and the low-score segments. Invariant: a recording is never
auto-approved when a mandatory check could not be evaluated (no audio track, no speech model,
an untrusted speech model, unreadable frames): it goes to review with that reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dualrec_audit import attribution
from dualrec_audit.i18n import PARTY
from dualrec_audit.profiles import REVIEW_FINDINGS, Profile, Stage
from dualrec_audit.result import (
    AuditResult,
    Decision,
    Event,
    Finding,
    Segment,
    StageStatus,
    Text,
)


@dataclass(frozen=True)
class Verdict:
    score: float
    decision: Decision
    findings: tuple[Finding, ...]
    stages: tuple[StageStatus, ...]
    segments: tuple[Segment, ...]
    not_evaluated: tuple[str, ...]


def _span(events: list[Event], default_end: float) -> tuple[float, float]:
    if not events:
        return 0.0, default_end
    return min(e.start for e in events), max(e.end for e in events)


def _not_evaluable(result: AuditResult, profile: Profile) -> list[Finding]:
    """A finding for every mandatory check whose layer-1 input is missing or untrusted."""
    m = profile.mandatory
    needs = {
        "faces": m.both_parties_present is not None or m.max_face_cut_s is not None,
        "speech": m.clarity_share is not None,
        "script": m.required_stages or m.no_forbidden_phrases or profile.confirmations is not None,
    }
    out = []
    for check, needed in needs.items():
        c = result.checks.get(check)
        if not needed or (c is not None and c.status == "ok"):
            continue
        why = c.reason if c is not None and c.reason is not None else Text("未运行", "did not run")
        out.append(
            Finding(
                rule=f"not_evaluable.{check}",
                start=0.0,
                end=result.duration_s,
                severity="medium",
                reason=Text(
                    f"必检项无法评估（{_CHECK_ZH[check]}）：{why.zh}",
                    f"A mandatory check could not be evaluated ({check}): {why.en}",
                ),
                evidence={"check": check, "status": None if c is None else c.status},
            )
        )
    return out


_CHECK_ZH = {"faces": "人脸", "speech": "语音清晰度", "script": "话术"}


def _stage_status(stage: Stage, statuses: list[str]) -> str:
    """found / uncertain / missing from the stage's phrases (``match``: all of them, or any)."""
    if stage.match == "all":
        if all(st == "found" for st in statuses):
            return "found"
        return "missing" if "missing" in statuses else "uncertain"
    if "found" in statuses:
        return "found"
    return "uncertain" if "uncertain" in statuses else "missing"


def _stages(
    result: AuditResult, profile: Profile
) -> tuple[list[StageStatus], list[Mapping[str, Any]]]:
    script = result.checks.get("script")
    verified = script is not None and script.status == "ok"
    heard: dict[str, Mapping[str, Any]] = {}
    status_of: dict[str, str] = {}
    engines: dict[str, list[str]] = {}
    if script is not None:
        for r in script.details.get("required", []):
            st = r.get("status") or ("found" if r.get("found") else "missing")
            status_of[r["phrase"]] = st
            engines[r["phrase"]] = list(r.get("engines", []))
            if st != "missing" and r.get("match"):
                heard[r["phrase"]] = r["match"]
    out = []
    for stage in profile.stages:
        statuses = [status_of.get(p.text, "missing") for p in stage.phrases]
        phrases = [
            {
                "phrase": p.text,
                "status": st,
                "match": heard.get(p.text),
                "engines": engines.get(p.text, []),
            }
            for p, st in zip(stage.phrases, statuses, strict=True)
        ]
        status = _stage_status(stage, statuses) if verified else "not_verified"
        shown = "found" if status == "found" else "uncertain"
        hits = [heard[p.text] for p, st in zip(stage.phrases, statuses, strict=True)
                if st == shown and p.text in heard]  # fmt: skip
        out.append(
            StageStatus(
                id=stage.id,
                name=Text(stage.name.zh, stage.name.en),
                speaker=stage.speaker,
                required=stage.required,
                status=status,  # type: ignore[arg-type]
                start=min(float(h["start"]) for h in hits) if hits else None,
                end=max(float(h["end"]) for h in hits) if hits else None,
                phrases=tuple(phrases),
            )
        )
    confirmations = []
    if profile.confirmations:
        for p in profile.confirmations.phrases:
            if status_of.get(p.text) == "found":
                confirmations.append(heard[p.text])
    return out, confirmations


def _attributed(
    result: AuditResult,
    profile: Profile,
    stages: list[StageStatus],
    confirmations: list[Mapping[str, Any]],
) -> tuple[list[StageStatus], list[Finding]]:
    """Each heard stage gets ``speaker_detected``; who-said-it findings (see attribution)."""
    if not profile.attribution.enabled:
        return stages, []
    spans = [
        ("stage", st.id, st.name, st.speaker, st.start, st.end)
        for st in stages
        if st.status == "found" and st.start is not None and st.end is not None
    ]
    conf_name = Text("客户确认", "Customer confirmation")
    spans += [
        ("confirmation", str(c.get("phrase", "")), conf_name, "customer", float(c["start"]),
         float(c["end"]))
        for c in confirmations
        if not any(abs(float(c["start"]) - s[4]) < 0.5 for s in spans)  # said as a stage too
    ]  # fmt: skip
    said = attribution.heard(result, profile, spans)
    detected = {s.id: s.detected for s in said if s.kind == "stage"}
    stages = [replace(st, speaker_detected=detected.get(st.id)) for st in stages]
    return stages, attribution.findings(result, profile, said)


def _uncertain_stage_finding(stage: Stage, status: StageStatus) -> Finding:
    """A stage heard but not with confidence: a reviewer must listen (never approved)."""
    return Finding(
        rule=f"stage_uncertain.{stage.id}",
        start=status.start or 0.0,
        end=status.end or 0.0,
        severity="medium",
        reason=Text(
            f"未能确认环节：{stage.name.zh}（请人工听辨）",
            f"Stage not heard with confidence: {stage.name.en} (listen to confirm)",
        ),
        deduction=0.0,
        mandatory=False,
        evidence={"stage": stage.id, "phrases": [dict(p) for p in status.phrases]},
    )


def _stage_finding(stage: Stage, profile: Profile, duration: float) -> Finding:
    req = stage.required
    return Finding(
        rule=f"stage.{stage.id}",
        start=0.0,
        end=duration,
        severity="high" if req else "low",
        reason=Text(
            f"{'缺少必讲环节' if req else '未听到可选环节'}：{stage.name.zh}",
            f"{'Required stage missing' if req else 'Optional stage not heard'}: {stage.name.en}",
        ),
        deduction=profile.deduction("phrase_missing" if req else "optional_stage_missing"),
        mandatory=req and profile.mandatory.required_stages,
        evidence={"stage": stage.id, "phrases": [p.text for p in stage.phrases]},
    )


def decide(result: AuditResult, profile: Profile) -> Verdict:
    """Score, decision, findings and stage checklist of one audited recording."""
    if result.error is not None:
        return Verdict(0.0, "error", (), (), (), ())
    m = profile.mandatory
    duration = result.duration_s
    findings = _not_evaluable(result, profile)
    not_evaluated = tuple(f.evidence["check"] for f in findings)
    by_check: dict[str, list[Event]] = {}
    for event in result.events:
        by_check.setdefault(event.check, []).append(event)

    consumed: set[int] = set()  # layer-1 events already reported by a mandatory finding

    def fail(
        rule: str,
        start: float,
        end: float,
        zh: str,
        en: str,
        events: Sequence[Event] = (),
        **evidence: Any,
    ) -> None:
        consumed.update(id(ev) for ev in events)
        points = sum(profile.deduction(ev.check) for ev in events)
        evidence["events"] = [ev.to_dict() for ev in events]
        findings.append(Finding(rule, start, end, "high", Text(zh, en), points, True, evidence))

    if "faces" not in not_evaluated:
        faces = result.checks["faces"]
        presence = faces.details.get("presence", {})
        if m.both_parties_present is not None:
            for party in profile.parties:
                share = float(presence.get(party, 0.0))
                if share < m.both_parties_present:
                    absent = [e for e in by_check.get("party_absent", []) if e.party == party]
                    t0, t1 = _span(absent, duration)
                    fail(
                        "mandatory.both_parties_present",
                        t0,
                        t1,
                        f"{PARTY[party].zh}在画面中的时间仅占 {share:.0%}"
                        f"（要求 ≥{m.both_parties_present:.0%}）",
                        f"{PARTY[party].en} in frame only {share:.0%} of the time "
                        f"(required ≥{m.both_parties_present:.0%})",
                        party=party,
                        presence=share,
                        threshold=m.both_parties_present,
                        events=absent,
                    )
        if m.max_face_cut_s is not None:
            for ev in by_check.get("face_cut", []):
                if ev.duration > m.max_face_cut_s:
                    fail(
                        "mandatory.max_face_cut",
                        ev.start,
                        ev.end,
                        f"{ev.message.zh}，持续 {ev.duration:.0f} 秒"
                        f"（允许 ≤{m.max_face_cut_s:g} 秒）",
                        f"{ev.message.en} for {ev.duration:.0f} s "
                        f"(allowed ≤{m.max_face_cut_s:g} s)",
                        events=[ev],
                        threshold_s=m.max_face_cut_s,
                    )
    if "speech" not in not_evaluated and m.clarity_share is not None:
        speech = result.checks["speech"]
        ratios = speech.details.get("speech_ratio", [])
        speech_secs = [i for i, r in enumerate(ratios) if r > 0.15 and i < len(speech.timeline)]
        clear = [i for i in speech_secs if (speech.timeline[i] or 0.0) >= m.clarity_floor]
        if speech_secs:
            share = len(clear) / len(speech_secs)
            if share < m.clarity_share:
                unclear = by_check.get("low_clarity", [])
                t0, t1 = _span(unclear, duration)
                fail(
                    "mandatory.clarity",
                    t0,
                    t1,
                    f"语音清晰的时间仅占 {share:.0%}（要求 ≥{m.clarity_share:.0%}）",
                    f"Speech is clear only {share:.0%} of the time "
                    f"(required ≥{m.clarity_share:.0%})",
                    clear_share=round(share, 3),
                    threshold=m.clarity_share,
                    events=unclear,
                    speech_seconds=len(speech_secs),
                )
    if m.min_duration_s is not None and duration < m.min_duration_s:
        fail(
            "mandatory.min_duration",
            0.0,
            duration,
            f"录像时长 {duration:.0f} 秒，短于要求的 {m.min_duration_s:g} 秒",
            f"Recording is {duration:.0f} s, shorter than the required {m.min_duration_s:g} s",
            duration_s=duration,
            threshold_s=m.min_duration_s,
        )

    stages, confirmations = _stages(result, profile)
    if "script" not in not_evaluated:
        stages, said_by = _attributed(result, profile, stages, confirmations)
        findings.extend(said_by)
        for stage, status in zip(profile.stages, stages, strict=True):
            if status.status == "missing":
                findings.append(_stage_finding(stage, profile, duration))
            elif status.status == "uncertain":
                findings.append(_uncertain_stage_finding(stage, status))
        if profile.confirmations and len(confirmations) < profile.confirmations.min_count:
            findings.append(
                Finding(
                    "confirmation_missing",
                    0.0,
                    duration,
                    "high",
                    Text(
                        "未听到客户的明确确认", "The customer's explicit confirmation was not heard"
                    ),
                    profile.deduction("confirmation_missing"),
                    False,
                    {"found": len(confirmations), "required": profile.confirmations.min_count},
                )
            )
        for ev in by_check.get("forbidden_phrase", []):
            findings.append(
                Finding(
                    "mandatory.no_forbidden_phrases",
                    ev.start,
                    ev.end,
                    "high",
                    ev.message,
                    profile.deduction("forbidden_phrase"),
                    m.no_forbidden_phrases,
                    {"event": ev.to_dict()},
                )
            )

    # Every other layer-1 event deducts its profile weight.
    for ev in result.events:
        if ev.check in ("phrase_missing", "forbidden_phrase") or id(ev) in consumed:
            continue
        findings.append(
            Finding(
                f"event.{ev.check}",
                ev.start,
                ev.end,
                ev.severity,
                ev.message,
                profile.deduction(ev.check),
                False,
                {"event": ev.to_dict()},
            )
        )

    score = max(0.0, 100.0 - sum(f.deduction for f in findings))
    decision: Decision
    if any(f.mandatory for f in findings):
        decision = "rerecord"
    elif score >= profile.thresholds.approve:
        decision = "approve"
    elif score >= profile.thresholds.review:
        decision = "review"
    else:
        decision = "rerecord"
    uncertain = any(st.status == "uncertain" and st.required for st in stages)
    uncertain = uncertain or any(f.rule in REVIEW_FINDINGS for f in findings)
    if decision == "approve" and (not_evaluated or uncertain):
        decision = "review"  # the invariant: nothing unverified or uncertain is auto-approved
    findings.sort(key=lambda f: (f.start, -_RANK[f.severity], f.rule))
    return Verdict(score, decision, tuple(findings), tuple(stages), result.segments, not_evaluated)


_RANK = {"low": 1, "medium": 2, "high": 3}
