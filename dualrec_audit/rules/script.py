"""The script under a profile: each stage found, uncertain or missing, who said it, the
customer's confirmation and forbidden promises.

:func:`judge_script` is the one entry: the stage checklist from the script check's phrases, then
(when the script could be checked) who said each heard stage (:mod:`.attribution`, its events
judged as episodes by their profile rules), then the findings of missing or uncertain stages, a
missing confirmation and each forbidden promise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from dualrec_audit.core.result import (
    AuditResult,
    Event,
    Finding,
    StageStatus,
    Text,
)
from dualrec_audit.rules import attribution
from dualrec_audit.rules.episodes import judge_episode
from dualrec_audit.rules.profiles import Profile, Stage


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


DOCUMENT_EVENTS = ("document_missing", "document_illegible")


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
        if ev.check == "forbidden_phrase" and ev.details.get("uncertain"):
            out.append(_doubtful_forbidden_finding(ev))
        elif ev.check == "forbidden_phrase":
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


def _doubtful_forbidden_finding(ev: Event) -> Finding:
    """A forbidden phrase heard with doubt: never approved, a reviewer listens (medium)."""
    return Finding(
        "forbidden_uncertain",
        ev.start,
        ev.end,
        "medium",
        ev.message,
        0.0,
        False,
        {"event": ev.to_dict()},
    )


def judge_script(
    result: AuditResult, profile: Profile, evaluable: bool
) -> tuple[list[StageStatus], list[Finding]]:
    """The stage checklist and the script's findings. When the script could not be evaluated
    (``evaluable`` false) the stages are reported ``not_verified`` and nothing is found here:
    the availability finding says why."""
    stages, confirmations = _stages(result, profile)
    if not evaluable:
        return stages, []
    stages, said = _attributed(result, profile, stages, confirmations)
    findings = [judge_episode(e, profile.events[e.check], profile, result) for e in said]
    findings += _script_findings(result, profile, stages, confirmations)
    return stages, findings
