"""The history tab: every decision and appeal on the recording (when, who, what, why),
and the last decision under the buttons. Mixed into ``ReviewView``, whose widgets and data
it uses."""

from __future__ import annotations

from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem

from dualrec_audit.core.i18n import REASON_CODES
from dualrec_audit.store.records import StoredDecision
from dualrec_audit.workflow.policy import ROLE_NAMES, unwatched

from .data import local_time


class HistoryPanel:
    """The history tab: decisions and appeals, oldest first."""

    def _build_history(self) -> QTreeWidget:
        """The history tab: every decision and appeal on the recording."""
        self.history = QTreeWidget()
        self.history.setObjectName("history")
        self.history.setRootIsDecorated(False)
        self.history.setWordWrap(True)
        self.history.setHeaderLabels(
            [self.tr("When"), self.tr("Who"), self.tr("What"), self.tr("Why")]
        )
        self.history.header().setStretchLastSection(True)
        return self.history

    def _show_history(self) -> None:
        """Every decision and appeal on the recording: when, who, what, why."""
        assert self.data is not None
        self.history.clear()
        rows: list[tuple[str, list[str]]] = []
        for d in self.data.decisions:
            rows.append((d.created_at, self._decision_row(d)))
        for a in self.data.appeals:
            what = self.tr("Appeal against the re-record")
            who = self.tr("{appellant} (entered by {account})").format(
                appellant=a.appellant, account=a.filed_by
            )
            rows.append((a.created_at, [local_time(a.created_at), who, what, a.reason]))
        for _at, cols in sorted(rows, key=lambda x: x[0]):
            item = QTreeWidgetItem(cols)
            for c in range(4):
                item.setToolTip(c, cols[c])
            self.history.addTopLevelItem(item)
        for c in range(3):
            self.history.resizeColumnToContents(c)
        self.decision_status.setStyleSheet("")
        if self.data.decisions:
            d = self.data.decisions[-1]
            self.decision_status.setText(
                self.tr("Last decision: {verdict} by {who} at {when}").format(
                    verdict=self._verdict_name(d.verdict),
                    who=d.reviewer,
                    when=local_time(d.created_at),
                )
            )
        else:
            self.decision_status.setText("")

    def _decision_row(self, d: StoredDecision) -> list[str]:
        role = ROLE_NAMES[d.role].get(self.lang) if d.role in ROLE_NAMES else ""  # type: ignore[index]
        who = f"{d.reviewer} ({role})" if role else d.reviewer
        what = self._verdict_name(d.verdict)
        if d.four_eyes == "first":
            what += " " + self.tr("(awaiting a second senior)")
        elif d.four_eyes == "second":
            what += " " + self.tr("(second senior: confirmed)")
        if d.appeal_id is not None:
            what += " " + self.tr("(decides the appeal)")
        why = []
        if d.reason_code:
            code = REASON_CODES.get(d.reason_code)
            why.append(code.get(self.lang) if code else d.reason_code)
        if d.reason_text:
            why.append(d.reason_text)
        if d.change_reason:
            why.append(self.tr("changed because: {why}").format(why=d.change_reason))
        if d.unwatched_reason:
            why.append(self.tr("approved without watching: {why}").format(why=d.unwatched_reason))
        if d.watched:
            seen = sum(1 for w in d.watched if not unwatched([w]))
            why.append(self.tr("watched {n} of {m} places").format(n=seen, m=len(d.watched)))
        return [local_time(d.created_at), who, what, "; ".join(why)]

    def _verdict_name(self, verdict: str) -> str:
        return {
            "approve": self.tr("Approve"),
            "rerecord": self.tr("Reject (re-record)"),
            "escalate": self.tr("Escalate"),
        }.get(verdict, verdict)
