"""Layer 2's decision, in the sentence a compliance officer states:

    Approve only when every mandatory check passed and no finding of medium or high severity
    remains; a failed mandatory check means re-record; anything else of medium or high
    severity means review. The score ranks the review queue and never overrides this.

A check that could not be evaluated is a medium finding (``not_evaluable.*``), so nothing
unverified is ever approved. ``explain`` gives the one line of why that goes with a decision.
"""

from __future__ import annotations

from collections.abc import Sequence

from dualrec_audit.core.i18n import fmt_span
from dualrec_audit.core.result import SEVERITY_RANK, Decision, Finding, Text

RULE = Text(
    "只有在所有必检项均通过、且没有中或高严重程度的问题时才自动通过；必检项未通过需重新录制；"
    "其余中、高严重程度的问题需人工复核。得分只用于复核队列排序，不改变结论。",
    "Approve only when every mandatory check passed and no finding of medium or high severity "
    "remains; a failed mandatory check means re-record; any other medium or high finding means "
    "review. The score only ranks the review queue and never changes the decision.",
)


def holds(f: Finding) -> bool:
    """A finding that keeps a recording from being approved (medium or high, or mandatory)."""
    return f.mandatory or SEVERITY_RANK[f.severity] >= SEVERITY_RANK["medium"]


def decision_of(findings: Sequence[Finding]) -> Decision:
    """The decision from the findings alone (see the module doc)."""
    if any(f.mandatory for f in findings):
        return "rerecord"
    if any(holds(f) for f in findings):
        return "review"
    return "approve"


def score_of(findings: Sequence[Finding]) -> float:
    """100 less the findings' deductions, at least 0: ranks the queue, decides nothing."""
    return max(0.0, 100.0 - sum(f.deduction for f in findings))


def _where(f: Finding, duration: float) -> tuple[str, str]:
    if f.start <= 1e-3 and f.end >= duration - 1e-3:
        return "", ""
    span = fmt_span(f.start, f.end)
    return f"（{span}）", f" ({span})"


def explain(decision: str, findings: Sequence[Finding], duration: float) -> Text:
    """One line of why for ``decision``: the rule that decided it and its first finding."""
    mandatory = [f for f in findings if f.mandatory]
    holding = [f for f in findings if holds(f)]
    lows = len(findings) - len(holding)
    if decision == "rerecord" and mandatory:
        f, more = mandatory[0], len(mandatory) - 1
        at_zh, at_en = _where(f, duration)
        return Text(
            f"必检项未通过：{f.reason.zh}{at_zh}" + (f"；另有 {more} 项必检问题" if more else ""),
            f"A mandatory check failed: {f.reason.en}{at_en}" + (f"; {more} more" if more else ""),
        )
    if decision == "review" and holding:
        f, n = holding[0], len(holding)
        at_zh, at_en = _where(f, duration)
        return Text(
            f"没有必检项未通过，但有 {n} 项中或高严重程度的问题需人工判断，"
            f"首项：{f.reason.zh}{at_zh}",
            f"No mandatory check failed, but {n} finding{'s' if n > 1 else ''} of medium or high "
            f"severity need{'' if n > 1 else 's'} a reviewer; first: {f.reason.en}{at_en}",
        )
    if decision == "approve":
        return Text(
            "所有必检项均通过，且没有中或高严重程度的问题"
            + (f"（另有 {lows} 条低严重程度提示）" if lows else ""),
            "Every mandatory check passed and no medium or high finding remains"
            + (f" ({lows} low-severity note{'s' if lows > 1 else ''})" if lows else ""),
        )
    # A result decided without a profile (layer 1 only) or an error: no rule to cite.
    return Text("未按业务规则判定", "Not decided by a business profile")
