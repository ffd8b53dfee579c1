"""Appeals: a teller's or branch's appeal against a re-record, recorded with who appeals
and why (another reviewer decides it). Mixed into ``ReviewView``, whose widgets and data it
uses."""

from __future__ import annotations

from dualrec_audit.store.database import Store
from dualrec_audit.store.workflow import StoredAppeal
from dualrec_audit.workflow.policy import State

from ..login import ReasonDialog


class AppealPanel:
    """Recording an appeal against a re-record."""

    def ask_appeal(self) -> ReasonDialog | None:
        """Record a teller's or branch's appeal against the re-record (who, and why)."""
        if self.data is None or not self._appealable():
            return None
        rec, by = self.data.summary.recording_id, self.account

        def file(reason: str) -> None:
            assert self.pending is None or True
            appellant = dialog.extra.text().strip() if dialog.extra is not None else ""

            def save(store: Store) -> tuple[list[StoredAppeal], State]:
                store.file_appeal(rec, appellant, reason, by=by)
                return store.appeals(rec), store.state(rec)

            def saved(out: tuple[list[StoredAppeal], State]) -> None:
                if self.data is not None and self.data.summary.recording_id == rec:
                    self.data.appeals, self.data.state = out
                    self._show_history()
                    self._show_state()
                    self._set_enabled(True)
                self.claim_changed.emit()  # the queue shows the appeal

            self.db.call(save, saved, self._save_failed)

        dialog = self._ask(
            self.tr("Appeal against the re-record"),
            self.tr(
                "A teller or branch disputes this re-record. Another reviewer will decide the "
                "appeal; everything is kept in the log."
            ),
            self.tr("Record the appeal"),
            file,
            extra=self.tr("Who appeals (teller or branch)"),
        )
        return dialog

    def _appealable(self) -> bool:
        """A re-record can be appealed, entered by a reviewer or senior (an administrator
        only views decisions)."""
        if self.data is None or self.data.state is None or not self.account.reviews:
            return False
        st = self.data.state
        machine = st.standing == "open" and self.data.result.decision == "rerecord"
        return st.appeal is None and (st.standing == "rerecord" or machine)
