"""The teller's pre-check: pass, fail or unverified, and the list of what to fix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from dualrec_audit.core.i18n import advice_for, error_text
from dualrec_audit.core.result import AuditResult, Finding, Text
from dualrec_audit.review.player import covers_recording
from dualrec_audit.review.texts import for_reviewer
from dualrec_audit.rules.assign import ProfileChoice, ProfileMap, resolve_profile
from dualrec_audit.workflow.watch import script_by_ear


@dataclass(frozen=True)
class FixItem:
    """One thing the teller should fix: what, when (None: the whole recording) and how."""

    rule: str
    text: Text
    advice: Text | None
    start: float | None
    end: float | None
    severity: str
    mandatory: bool

    @property
    def thumbnail_at(self) -> float | None:
        """Where the thumbnail is taken: just after the start, inside the problem."""
        if self.start is None or self.end is None:
            return None
        return self.start + min(0.5, (self.end - self.start) / 2)


PrecheckState = Literal["pass", "fail", "unverified"]


@dataclass(frozen=True)
class Precheck:
    """``passed`` (the green pass) only when nothing is to fix *and* the script was verified;
    ``state`` "unverified" when nothing is to fix but the script (or a stage) could not be
    checked, which ``unchecked`` says in words."""

    passed: bool
    items: tuple[FixItem, ...]  # what to fix, in time order (whole-recording items last)
    notes: tuple[Text, ...]  # not the teller's doing (a check that could not run)
    error: Text | None = None  # why the recording cannot be checked, and what to do
    state: PrecheckState = "fail"
    unchecked: tuple[Text, ...] = ()


def precheck_profile(
    path: str | Path,
    *,
    explicit: str | None = None,
    mapping: ProfileMap | None = None,
    chosen: str | None = None,
    default: str | None = None,
) -> tuple[str | None, ProfileChoice]:
    """(profile id, why that one) for the teller's pre-check: the same places the scan
    and so the reviewers' queue take it from (``--profile``, the file's sidecar, the profile
    map's rules), then the business chosen in the window, then the default."""
    pid, source = resolve_profile(Path(path), explicit=explicit, mapping=mapping, default=None)
    if pid:
        return pid, source
    if chosen:
        return chosen, ProfileChoice("window")
    return default, ProfileChoice("default")


SCRIPT_UNCHECKED = Text(
    "未能核对话术：本机不能识别语音，是否讲全必讲话术要由复核员人工收听确认",
    "The script could not be checked: this computer cannot recognise speech, so a reviewer "
    "will listen for the required phrases",
)


def _unchecked(result: AuditResult) -> tuple[Text, ...]:
    """What the audit could not verify, in words a teller understands."""
    out: list[Text] = []
    if script_by_ear(result):
        out.append(SCRIPT_UNCHECKED)
    stages = [s for s in result.stages if s.status == "not_verified" and s.required]
    if stages:
        zh = "、".join(s.name.zh for s in stages)
        en = ", ".join(s.name.en for s in stages)
        out.append(Text(f"未能确认这些环节：{zh}", f"These stages could not be confirmed: {en}"))
    return tuple(out)


def _item(f: Finding, duration: float) -> FixItem:
    whole = covers_recording(f.start, f.end, duration)
    return FixItem(
        rule=f.rule,
        text=f.reason,
        advice=advice_for(f.rule, f.evidence),
        start=None if whole else f.start,
        end=None if whole else f.end,
        severity=f.severity,
        mandatory=f.mandatory,
    )


def precheck(result: AuditResult) -> Precheck:
    """Pass or fail for the teller, right after recording.

    Fail when the recording would be re-recorded or cannot be audited, or when anything the
    teller can fix was found (every finding except a check that could not be evaluated and a
    low-severity one). A check that could not run (no speech model) is a note, not a failure:
    the reviewer will listen for the script."""
    if result.error is not None:
        return Precheck(False, (), (), error=error_text(result.error.code), state="fail")
    notes = tuple(
        for_reviewer(f.reason) for f in result.findings if f.rule.startswith("not_evaluable.")
    )
    fixable = [f for f in result.findings if not f.rule.startswith("not_evaluable.")]
    if result.profile is None:  # layer 1 alone: the events are the findings
        fixable = [
            Finding(f"event.{e.check}", e.start, e.end, e.severity, e.message)
            for e in result.events
        ]
    items = sorted(
        (_item(f, result.duration_s) for f in fixable),
        key=lambda i: (i.start is None, i.start or 0.0, i.rule),
    )
    failed = result.decision in ("rerecord", "error") or any(i.severity != "low" for i in items)
    unchecked = _unchecked(result)
    state: PrecheckState = "fail" if failed else "unverified" if unchecked else "pass"
    return Precheck(state == "pass", tuple(items), notes, state=state, unchecked=unchecked)
