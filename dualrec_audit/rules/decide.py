"""Layer 2: the audit decision, a pure function of (layer-1 result, business profile).

``decide(result, profile)`` gives the findings (each a rule that fired, with its time range,
severity, reason and the layer-1 evidence), the decision they imply (``decision.decision_of``:
approve only when every mandatory check passed and no medium or high finding remains), the
0-100 score that ranks the queue, the stage checklist and the low-score segments. The parts:
checks that could not be evaluated (here), episodes and whole-recording mandatory checks
(``episodes``), the script's stages, confirmation and forbidden promises (here). Invariant: a
recording is never auto-approved when a check a rule needs could not be evaluated (no audio
track, no speech model, an untrusted speech model, unreadable frames): it goes to review.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dualrec_audit.core.result import (
    EVENT_SOURCES,
    SEVERITY_RANK,
    AuditResult,
    Decision,
    DocumentStatus,
    Event,
    Finding,
    Segment,
    StageStatus,
    Text,
)
from dualrec_audit.rules import attribution
from dualrec_audit.rules.decision import decision_of, score_of
from dualrec_audit.rules.episodes import event_findings, judge_episode
from dualrec_audit.rules.profiles import DocumentStage, Profile, Stage


@dataclass(frozen=True)
class Verdict:
    score: float
    decision: Decision
    findings: tuple[Finding, ...]
    stages: tuple[StageStatus, ...]
    segments: tuple[Segment, ...]
    not_evaluated: tuple[str, ...]
    documents: tuple[DocumentStatus, ...] = ()


def _not_evaluable(result: AuditResult, profile: Profile) -> list[Finding]:
    """A finding for every mandatory check whose layer-1 input is missing or untrusted."""
    m = profile.mandatory
    ruled = {  # checks some of whose events would hold a recording (medium or high, mandatory)
        EVENT_SOURCES[e] for e, r in profile.events.items() if r.mandatory or r.severity != "low"
    }
    needs = {
        "faces": m.both_parties_present is not None or "faces" in ruled,
        "speech": m.clarity_share is not None or "speech" in ruled,
        "video": "video" in ruled,
        "script": m.required_stages or m.no_forbidden_phrases or profile.confirmations is not None,
        "documents": bool(profile.documents),
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


_CHECK_ZH = {
    "faces": "人脸",
    "speech": "语音清晰度",
    "video": "画面质量",
    "script": "话术",
    "documents": "出示文件",
}


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
    confirmations: Sequence[Mapping[str, Any]],
) -> tuple[list[StageStatus], list[Event]]:
    """Each heard stage gets ``speaker_detected``; the who-said-it events (see attribution)."""
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
    return stages, attribution.events(result, profile, said)


def _uncertain_stage_finding(stage: Stage, status: StageStatus) -> Finding:
    """A stage heard but not with confidence: a reviewer must listen (a required one is never
    approved)."""
    return Finding(
        rule=f"stage_uncertain.{stage.id}",
        start=status.start or 0.0,
        end=status.end or 0.0,
        severity="medium" if stage.required else "low",
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


# -- documents shown on camera (issue 19) -----------------------------------------------------

DOCUMENT_EVENTS = ("document_missing", "document_illegible")


def _document_status(doc: DocumentStage, seen: Mapping[str, Any] | None) -> DocumentStatus:
    common = {
        "id": doc.id,
        "name": Text(doc.name.zh, doc.name.en),
        "party": doc.party,
        "required": doc.required,
        "min_seconds": doc.min_seconds,
        "titles": doc.titles,
    }
    if seen is None:
        return DocumentStatus(status="not_verified", **common)  # type: ignore[arg-type]
    return DocumentStatus(
        status=seen["status"],
        start=seen.get("start"),
        end=seen.get("end"),
        seconds=float(seen.get("seconds") or 0.0),
        text=seen.get("text"),
        reason=seen.get("reason"),
        **common,  # type: ignore[arg-type]
    )


def _document_finding(
    doc: DocumentStage, st: DocumentStatus, profile: Profile, duration: float
) -> Finding:
    title = doc.titles[0]
    evidence = {
        "document": doc.id,
        "title": title,
        "min_seconds": doc.min_seconds,
        "status": st.status,
        "text": st.text,
    }
    if st.status == "not_shown":
        need = f"（需清晰展示 {doc.min_seconds:g} 秒）"
        return Finding(
            f"document.{doc.id}",
            0.0,
            duration,
            "high" if doc.required else "low",
            Text(
                f"{'未出示必需文件' if doc.required else '未出示文件'}：{title}{need}",
                f"{'Required document' if doc.required else 'Document'} not shown: {title} "
                f"(legible for {doc.min_seconds:g} s)",
            ),
            profile.deduction("document_missing") if doc.required else 0.0,
            doc.required and profile.mandatory.required_documents,
            evidence,
        )
    brief = st.reason == "too_short"
    return Finding(
        f"document.{doc.id}",
        float(st.start or 0.0),
        float(st.end or duration),
        "medium",
        Text(
            f"{'文件展示时间过短' if brief else '文件无法辨认'}：{title}"
            f"（清晰可读 {st.seconds:g} 秒，要求 {doc.min_seconds:g} 秒）",
            f"{'Document shown too briefly' if brief else 'Document not legible'}: {title} "
            f"(legible {st.seconds:g} s of the {doc.min_seconds:g} s required)",
        ),
        profile.deduction("document_illegible"),
        False,
        evidence,
    )


def document_findings(
    result: AuditResult, profile: Profile
) -> tuple[list[DocumentStatus], list[Finding]]:
    """The profile's documents (shown / illegible / not shown, from the documents check) and
    a finding for each one not shown legibly. Nothing when the check did not run: that is
    reported by ``_not_evaluable`` (status ``not_verified``)."""
    check = result.checks.get("documents")
    ok = check is not None and check.status == "ok"
    seen = {d["id"]: d for d in check.details.get("documents", [])} if ok and check else {}
    out, findings = [], []
    for doc in profile.documents:
        st = _document_status(doc, seen.get(doc.id) if ok else None)
        out.append(st)
        if st.status in ("not_shown", "illegible"):
            findings.append(_document_finding(doc, st, profile, result.duration_s))
    return out, findings


def _script_findings(
    result: AuditResult,
    profile: Profile,
    stages: Sequence[StageStatus],
    confirmations: Sequence[Mapping[str, Any]],
) -> list[Finding]:
    """Required stages not heard, the customer's confirmation, forbidden promises."""
    out = []
    for stage, status in zip(profile.stages, stages, strict=True):
        if status.status == "missing":
            out.append(_stage_finding(stage, profile, result.duration_s))
        elif status.status == "uncertain":
            out.append(_uncertain_stage_finding(stage, status))
    if profile.confirmations and len(confirmations) < profile.confirmations.min_count:
        out.append(
            Finding(
                "confirmation_missing",
                0.0,
                result.duration_s,
                "high",
                Text("未听到客户的明确确认", "The customer's explicit confirmation was not heard"),
                profile.deduction("confirmation_missing"),
                False,
                {"found": len(confirmations), "required": profile.confirmations.min_count},
            )
        )
    for ev in result.events:
        if ev.check == "forbidden_phrase":
            out.append(
                Finding(
                    "mandatory.no_forbidden_phrases",
                    ev.start,
                    ev.end,
                    "high",
                    ev.message,
                    profile.deduction("forbidden_phrase"),
                    profile.mandatory.no_forbidden_phrases,
                    {"event": ev.to_dict()},
                )
            )
    return out


def decide(result: AuditResult, profile: Profile) -> Verdict:
    """Score, decision, findings and stage checklist of one audited recording."""
    if result.error is not None:
        return Verdict(0.0, "error", (), (), (), ())
    findings = _not_evaluable(result, profile)
    not_evaluated = tuple(f.evidence["check"] for f in findings)
    findings += event_findings(result, profile, not_evaluated)
    stages, confirmations = _stages(result, profile)
    if "script" not in not_evaluated:
        stages, said = _attributed(result, profile, stages, confirmations)
        findings += [judge_episode(e, profile.events[e.check], profile, result) for e in said]
        findings += _script_findings(result, profile, stages, confirmations)
    documents, doc_findings = document_findings(result, profile)
    findings += doc_findings
    findings.sort(key=lambda f: (f.start, -SEVERITY_RANK[f.severity], f.rule, f.end))
    return Verdict(
        score_of(findings),
        decision_of(findings),
        tuple(findings),
        tuple(stages),
        result.segments,
        not_evaluated,
        tuple(documents),
    )
