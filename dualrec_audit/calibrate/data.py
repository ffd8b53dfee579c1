"""What calibration reads: stored results with the reviewers' verdicts on their findings and
on the recordings, and the re-decision of a stored result under another profile.

A verdict names a finding by its database row; the finding is found again in a re-decided
result by its key (rule, start, end, party): layer 1 is not re-run, so its events and their
times are what they were, and every layer-2 finding keeps its rule and time range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from dualrec_audit.core.result import AuditResult, Finding
from dualrec_audit.rules.decide import decide
from dualrec_audit.rules.decision import holds
from dualrec_audit.rules.profiles import Profile, profile_info

FindingKey = tuple[str, float, float, str | None]
LABELS = ("confirmed", "false_alarm")
# A reviewer's decision that says the recording must not be approved.
NOT_APPROVABLE = ("rerecord",)


def finding_key(rule: str, start: float, end: float, party: str | None) -> FindingKey:
    """How a finding is found again after a re-decision: its rule, time range and party.
    A layer-1 event row (``source = "event"``) is keyed as the episode finding it becomes
    (``event.<check>``)."""
    return (rule, round(float(start), 2), round(float(end), 2), party)


def key_of(f: Finding) -> FindingKey:
    party = f.evidence.get("party")
    if party is None and isinstance(f.evidence.get("event"), Mapping):
        party = f.evidence["event"].get("party")
    return finding_key(f.rule, f.start, f.end, party)


@dataclass(frozen=True)
class Mark:
    """A reviewer's latest verdict on one finding."""

    finding_id: int
    key: FindingKey
    label: str  # confirmed | false_alarm
    reviewer: str = ""


@dataclass(frozen=True)
class Sample:
    """One stored run: its result as decided then, the reviewers' latest decision on the
    recording (approve | rerecord | escalate | None) and their verdicts on its findings."""

    run_id: int
    recording_id: int
    result: AuditResult
    verdict: str | None = None
    marks: tuple[Mark, ...] = ()

    def finding(self, key: FindingKey) -> Finding | None:
        return find(self.result.findings, key)


def find(findings: Sequence[Finding], key: FindingKey) -> Finding | None:
    for f in findings:
        if key_of(f) == key:
            return f
    return None


def redecide(result: AuditResult, profile: Profile) -> AuditResult:
    """The stored result decided again under ``profile``, without re-auditing: layer 1 (the
    events, timelines and checks) as stored, layer 2 anew. A result that could not be
    audited stays as it is."""
    if result.error is not None:
        return result
    v = decide(result, profile)
    return replace(
        result,
        profile=profile_info(profile, (result.profile or {}).get("chosen_by")),
        decision=v.decision,
        score=v.score,
        findings=v.findings,
        stages=v.stages,
        documents=v.documents,
    )


def held(findings: Sequence[Finding], key: FindingKey) -> bool:
    """The finding is raised, at a severity that holds its recording."""
    f = find(findings, key)
    return f is not None and holds(f)


def rebase(samples: Sequence[Sample], profile: Profile) -> list[Sample]:
    """The samples with their results decided under ``profile`` (the one calibrated): a run
    judged under an earlier version is seen as the current version judges it."""
    return [replace(s, result=redecide(s.result, profile)) for s in samples]
