"""Layer 2's entry point: the verdict on one audited recording, a pure function of
(layer-1 result, business profile).

``decide(result, profile)`` gives the findings (each a rule that fired, with its time range,
severity, reason and the layer-1 evidence), the decision they imply (``decision.decision_of``:
approve only when every mandatory check passed and no medium or high finding remains), the
0-100 score that ranks the queue, the stage checklist and the low-score segments. One recording
walks the parts once, in order:

1. :mod:`.availability`: mandatory checks that could not be evaluated;
2. :mod:`.episodes`: every layer-1 event judged by its profile rule, and the whole-recording
   mandatory checks (both parties present, clear speech, minimum duration);
3. :mod:`.script`: the stages, who said them (:mod:`.attribution`), the confirmation and
   forbidden promises;
4. :mod:`.documents`: the documents the profile asks to be shown;
5. :mod:`.decision`: decision and score from the findings.

Invariant: a recording is never auto-approved when a check a rule needs could not be evaluated
(no audio track, no speech model, an untrusted speech model, unreadable frames): it goes to
review.
"""

from __future__ import annotations

from dataclasses import dataclass

from dualrec_audit.core.result import (
    SEVERITY_RANK,
    AuditResult,
    Decision,
    DocumentStatus,
    Finding,
    Segment,
    StageStatus,
)
from dualrec_audit.rules.availability import not_evaluable
from dualrec_audit.rules.decision import decision_of, score_of
from dualrec_audit.rules.documents import document_findings
from dualrec_audit.rules.episodes import event_findings
from dualrec_audit.rules.profiles import Profile
from dualrec_audit.rules.script import judge_script


@dataclass(frozen=True)
class Verdict:
    score: float
    decision: Decision
    findings: tuple[Finding, ...]
    stages: tuple[StageStatus, ...]
    segments: tuple[Segment, ...]
    not_evaluated: tuple[str, ...]
    documents: tuple[DocumentStatus, ...] = ()


def decide(result: AuditResult, profile: Profile) -> Verdict:
    """Score, decision, findings and stage checklist of one audited recording."""
    if result.error is not None:
        return Verdict(0.0, "error", (), (), (), ())
    findings = not_evaluable(result, profile)
    not_evaluated = tuple(f.evidence["check"] for f in findings)
    findings += event_findings(result, profile, not_evaluated)
    stages, script_findings = judge_script(result, profile, "script" not in not_evaluated)
    findings += script_findings
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
