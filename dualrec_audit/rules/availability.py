"""Mandatory checks that could not be evaluated: a finding each, so that such a recording is
never auto-approved.

A check is needed when the profile's mandatory checks or event rules depend on it (no audio
track, no speech model, an untrusted speech model, unreadable frames all make one unavailable).
"""

from __future__ import annotations

from dualrec_audit.core.result import (
    EVENT_SOURCES,
    AuditResult,
    Finding,
    Text,
)
from dualrec_audit.rules.profiles import Profile


def not_evaluable(result: AuditResult, profile: Profile) -> list[Finding]:
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
        # Only where it was asked to run (results from before it existed have no identity).
        "identity": profile.identity.enabled
        and "identity" in ruled
        and "identity" in result.checks,
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
    "identity": "人员身份",
}
