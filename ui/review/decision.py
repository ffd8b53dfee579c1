"""The decision under the player: reason code and text, Approve / Re-record / Escalate and
the questions a change or an unwatched approval needs; the draft reason kept per recording.
The workflow's rules are checked here and again by the store when the worker saves.
Mixed into ``ReviewView``, whose widgets and data it uses."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from dualrec_audit.batch.report import fmt_span
from dualrec_audit.core.i18n import REASON_CODES
from dualrec_audit.store.database import Store
from dualrec_audit.store.records import ClaimedError, StoredDecision
from dualrec_audit.workflow.evidence import listen_share_for
from dualrec_audit.workflow.policy import (
    Request,
    State,
    WorkflowError,
    check_decision,
    unlistened,
    unwatched,
)

from ..dialogs import show_error
from ..login import ReasonDialog
from ..settings import text_value
from .data import local_time

# What the rules are asked with for the reasons a dialog asks next.
ASKED = "asked in a dialog"


class DecisionPanel:
    """The decision buttons, the reason, its draft, and saving the decision."""

    def _build_decision(self) -> QWidget:
        dbox = QGroupBox(self.tr("Decision"))
        dl = QHBoxLayout(dbox)
        dl.setContentsMargins(4, 4, 4, 4)
        self.reason_code = QComboBox()
        self.reason_code.setObjectName("reasonCode")
        self.reason_code.addItem(self.tr("(no reason code)"), "")
        for code, text in REASON_CODES.items():
            self.reason_code.addItem(text.get(self.lang), code)
        dl.addWidget(self.reason_code)
        self.reason_text = QLineEdit()
        self.reason_text.setObjectName("reasonText")
        self.reason_text.setPlaceholderText(self.tr("Reason text (required to reject)"))
        self.reason_text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.reason_text.setMinimumWidth(140)
        dl.addWidget(self.reason_text, 1)
        self.approve_btn = QPushButton(self.tr("Approve (A)"))
        self.approve_btn.setObjectName("approve")
        self.approve_btn.setStyleSheet("QPushButton:enabled { color: #1b5e20; font-weight: bold; }")
        self.reject_btn = QPushButton(self.tr("Re-record (R)"))
        self.reject_btn.setObjectName("reject")
        self.reject_btn.setStyleSheet("QPushButton:enabled { color: #b71c1c; font-weight: bold; }")
        self.escalate_btn = QPushButton(self.tr("Escalate (E)"))
        self.escalate_btn.setObjectName("escalate")
        self.appeal_btn = QPushButton(self.tr("Appeal…"))
        self.appeal_btn.setObjectName("appeal")
        self.appeal_btn.setToolTip(
            self.tr("Record a teller's or branch's appeal against a re-record")
        )
        self.next_rec_btn = QPushButton(self.tr("Next recording (J)"))
        self.next_rec_btn.setObjectName("nextRecording")
        for b in (
            self.approve_btn,
            self.reject_btn,
            self.escalate_btn,
            self.appeal_btn,
            self.next_rec_btn,
        ):
            dl.addWidget(b)
        return dbox

    def _request(self, verdict: str, **reasons: str | None) -> Request:
        return Request(
            account=self.account,
            verdict=verdict,
            reason_code=str(self.reason_code.currentData() or "") or None,
            reason_text=self.reason_text.text().strip() or None,
            watched=self.watched(),
            playable=self.playable and not self.file_replaced,
            listened=self.listened(),
            file_sha256=None if self.identity is None else self.identity.sha256,
            **reasons,  # type: ignore[arg-type]
        )

    def _status(self, text: str, colour: str) -> None:
        """The line under the buttons: plain text in a colour (the status bar repeats it)."""
        self.decision_status.setStyleSheet(f"color:{colour};")
        self.decision_status.setText(text)

    def _refuse(self, text: str, focus: QWidget | None = None) -> None:
        self._status(text, "#b71c1c")
        if focus is not None:
            focus.setFocus()

    def decide(self, verdict: str) -> None:
        """Check the request against the workflow's rules here (say what is missing next to
        the buttons); ask for the reasons a change or an unwatched approval needs; then save
        in the worker, where the store checks the same rules again."""
        if self.data is None or self.read_only or self.pending is not None:
            return
        st = self.data.state or State("open", None, None)
        probe = self._request(verdict, change_reason=ASKED, unwatched_reason=ASKED)
        try:
            outcome = check_decision(probe, st, self.data.result)
        except WorkflowError as exc:
            focus = self.reason_code if exc.code == "reason" and not probe.reason_code else None
            self._refuse(exc.text.get(self.lang), focus or self.reason_text)
            return
        approving = verdict == "approve"
        missing = unwatched(probe.watched) if approving else []
        deaf = approving and unlistened(probe, self.data.result)
        self._ask_unwatched(verdict, missing, deaf, outcome.changes, st)

    def _ask_unwatched(
        self,
        verdict: str,
        missing: list[tuple[float, float]],
        deaf: bool,
        changes: bool,
        st: State,
    ) -> None:
        if not missing and not deaf:
            self._ask_change(verdict, None, changes, st)
            return
        parts = []
        if deaf:
            assert self.data is not None
            parts.append(
                self.tr(
                    "The script is checked by ear, but only {got:.0%} of the speech was played "
                    "(at least {need:.0%} is needed)."
                ).format(got=self.listened() or 0.0, need=listen_share_for(self.data.result))
            )
        if missing:
            places = ", ".join(fmt_span(s, e) for s, e in missing[:6])
            parts.append(
                self.tr("{n} of the places to watch were not played ({places}).").format(
                    n=len(missing), places=places
                )
            )
        parts.append(
            self.tr(
                "Cancel and play them, or give the reason to approve without it (it is logged "
                "with the decision)."
            )
        )
        self._ask(
            self.tr("Approve without listening?") if deaf else self.tr("Approve without watching?"),
            " ".join(parts),
            self.tr("Approve without listening") if deaf else self.tr("Approve without watching"),
            lambda why: self._ask_change(verdict, why, changes, st),
        )

    def _ask_change(
        self, verdict: str, unwatched_reason: str | None, changes: bool, st: State
    ) -> None:
        if not changes or st.last is None:
            self._submit(verdict, unwatched_reason=unwatched_reason)
            return
        self._ask(
            self.tr("Change the decision?"),
            self.tr(
                "This recording's decision is {old} (by {who}). Change it to {new}? The "
                "change and its reason are kept in the history and the log."
            ).format(
                old=self._verdict_name(st.last.verdict),
                who=st.last.account,
                new=self._verdict_name(verdict),
            ),
            self.tr("Change the decision"),
            lambda why: self._submit(verdict, unwatched_reason=unwatched_reason, change_reason=why),
        )

    def _ask(
        self, title: str, text: str, ok: str, then: Callable[[str], None], extra: str | None = None
    ) -> ReasonDialog:
        dialog = ReasonDialog(title, text, ok, then, self, extra_label=extra)
        self.pending = dialog
        dialog.finished.connect(lambda _r: setattr(self, "pending", None))
        dialog.open()
        return dialog

    def _submit(self, verdict: str, **reasons: str | None) -> None:
        """Save, once the file is known to be still the one audited."""
        self._with_same_file(lambda: self._save(verdict, **reasons))

    def _save(self, verdict: str, **reasons: str | None) -> None:
        if self.data is None:
            return
        req = self._request(verdict, **reasons)
        self.settings.setValue("reviewer", self.account.username)
        run_id, rec = self.data.summary.run_id, self.data.summary.recording_id

        def save(store: Store) -> tuple[StoredDecision, list[StoredDecision], State]:
            d = store.decide(run_id, req)
            return d, store.decisions(rec), store.state(rec)

        for b in (self.approve_btn, self.reject_btn, self.escalate_btn):
            b.setEnabled(False)
        self.db.call(save, lambda out: self._saved(run_id, *out), self._save_failed)

    def _saved(
        self, run_id: int, decision: StoredDecision, history: list[StoredDecision], st: State
    ) -> None:
        self.renew_timer.stop()
        if self.data is not None and self.data.summary.run_id == run_id:
            self.data.decisions = history
            self.data.state = st
            self.data.claim = None  # the decision released it
            self._clear_draft()
            self._show_history()
            self._show_state()
            self._status(
                self.tr("Saved: {verdict} by {who} at {when}").format(
                    verdict=self._verdict_name(decision.verdict),
                    who=decision.reviewer,
                    when=local_time(decision.created_at),
                ),
                "#1b5e20",
            )
            self._show_title()
            self._set_enabled(True)
        self.decision_saved.emit(run_id)
        self.claim_changed.emit()

    def _save_failed(self, exc: object) -> None:
        if isinstance(exc, ClaimedError):
            self.read_only = True
        self._set_enabled(self.data is not None)
        if isinstance(exc, WorkflowError):
            self._refuse(exc.text.get(self.lang))
            return
        show_error(self, self.tr("The decision was not saved"), exc, self.lang)

    def _next_recording(self) -> None:
        self.next_requested.emit(self.data.summary.run_id if self.data is not None else -1)

    def _draft_key(self) -> str | None:
        """A draft belongs to the account that typed it, for one recording."""
        if self.data is None:
            return None
        return f"drafts/{self.account.username}/{self.data.summary.recording_id}"

    def _save_draft(self, *_args: object) -> None:
        key = self._draft_key()
        if key is None or self._selecting:
            return
        self.settings.setValue(f"{key}/code", self.reason_code.currentData() or "")
        self.settings.setValue(f"{key}/text", self.reason_text.text())

    def _restore_draft(self) -> None:
        key = self._draft_key()
        self._selecting = True
        code = text_value(self.settings, f"{key}/code")
        self.reason_code.setCurrentIndex(max(0, self.reason_code.findData(code)))
        self.reason_text.setText(text_value(self.settings, f"{key}/text"))
        self._selecting = False

    def _clear_draft(self) -> None:
        key = self._draft_key()
        if key is not None:
            self.settings.remove(key)
        self._selecting = True
        self.reason_code.setCurrentIndex(0)
        self.reason_text.clear()
        self._selecting = False
