"""What a verdict on a finding and a profile's activation need, without Qt or a database.

- **A verdict on a finding** (confirmed or false alarm): an active account that reviews
  (a reviewer or a senior; an administrator manages accounts and does not review), on a
  recording nobody else holds a claim on. The reviewer's window and ``review mark`` ask the
  store, which calls :func:`check_mark` in the transaction that writes the verdict.
- **Activating a profile version** (four eyes): a senior asks; a different senior confirms.
  The version is active from the confirmation on.
"""

from __future__ import annotations

from dualrec_audit.core.result import Text
from dualrec_audit.workflow.policy import Account, WorkflowError

MARK_LABELS = ("confirmed", "false_alarm")


def check_mark(account: Account, label: str, claimed_by: str | None) -> None:
    """Refuse (:class:`WorkflowError`) a verdict on a finding the window would not allow."""
    if label not in MARK_LABELS:
        raise WorkflowError(
            Text(f"未知结论 {label}", f"unknown verdict '{label}'; use confirmed or false_alarm"),
            code="usage",
        )
    if not account.active:
        raise WorkflowError(Text("账号已停用", f"the account '{account.username}' is disabled"))
    if not account.reviews:
        raise WorkflowError(
            Text(
                "只有复核员或高级复核员可以标记问题",
                "only a reviewer or a senior reviewer marks findings",
            )
        )
    if claimed_by is not None and claimed_by != account.username:
        raise WorkflowError(
            Text(
                f"该录像正由 {claimed_by} 复核",
                f"the recording is being reviewed by {claimed_by}",
            ),
            code="claimed",
        )


def check_activation(account: Account, first_by: str | None) -> str:
    """The step a senior's activation is: ``first`` (asks) or ``second`` (confirms another
    senior's request); refused for anyone else, or for the senior who asked."""
    if not account.active or not account.senior:
        raise WorkflowError(
            Text("只有高级复核员可以启用业务规则版本", "only a senior reviewer activates a profile")
        )
    if first_by is None:
        return "first"
    if first_by == account.username:
        raise WorkflowError(
            Text(
                "四眼原则：须由另一位高级复核员确认",
                "four eyes: a different senior reviewer must confirm the activation",
            )
        )
    return "second"
