"""What a decision rests on besides the places to watch: the banner of a recording the tool
could not audit (its cause in the reviewer's language), the speech listened to when the script
is checked by ear, and the file's identity — its size and sha256 checked against the audited
file (hashed in a worker thread, cached by size and mtime) before the player opens it and again
before any decision. Mixed into ``ReviewView``, whose widgets and data it uses."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from PySide6.QtWidgets import QVBoxLayout

from dualrec_audit.review.identity import DigestCache, FileIdentity, mismatch
from dualrec_audit.review.precheck import error_text
from dualrec_audit.workflow.evidence import (
    listen_share_for,
    listened_share,
    needs_listening,
    speech_spans,
    unaudited,
)

from ..workers import Worker

log = logging.getLogger("dualrec_audit.ui")

# One cache per process: a file is hashed once while its size and mtime stay the same.
DIGESTS = DigestCache()


class EvidencePanel:
    """The could-not-audit banner, the listen-through figure and the file check."""

    def _build_evidence(self, root: QVBoxLayout) -> None:
        self.audit_banner = self._banner("auditBanner", "#ffebee", "#b71c1c", "#e57373")
        self.file_banner = self._banner("fileBanner", "#ffebee", "#b71c1c", "#e57373")
        for b in (self.audit_banner, self.file_banner):
            font = b.font()
            font.setBold(True)
            b.setFont(font)
        root.addWidget(self.audit_banner)
        root.addWidget(self.file_banner)
        self.hasher = Worker("hasher", 1, self)
        self.identity: FileIdentity | None = None  # the file checked and found the audited one
        self.file_replaced = False

    # -- could not audit -----------------------------------------------------------------------

    def unaudited(self) -> bool:
        return self.data is not None and unaudited(self.data.result)

    def _show_unaudited(self) -> None:
        assert self.data is not None
        r = self.data.result
        if not unaudited(r):
            self.audit_banner.hide()
            return
        cause = error_text(r.error.code if r.error is not None else "").get(self.lang)
        self.audit_banner.setText(
            self.tr(
                "The tool could not audit this recording: {cause}. It cannot be approved: "
                "re-record it (R) or escalate it (E)."
            ).format(cause=cause.rstrip("。.")),
        )
        self.audit_banner.show()

    # -- listening through -------------------------------------------------------------------

    def listened(self) -> float | None:
        """The share of the speech played so far (None: the script needs no listening)."""
        if self.data is None or not needs_listening(self.data.result):
            return None
        return listened_share(speech_spans(self.data.result), self.tracker.played)

    def listen_text(self) -> str:
        got = self.listened()
        if got is None or self.data is None:
            return ""
        need = listen_share_for(self.data.result)
        return self.tr("Speech listened to: {got:.0%} of at least {need:.0%}").format(
            got=got, need=need
        )

    # -- the file's identity -----------------------------------------------------------------

    def _check_file(self, then: Callable[[], None]) -> None:
        """Hash the file (in the worker) and compare it with the audited one; ``then`` runs
        only when it is the same file."""
        assert self.data is not None and self.data.video is not None
        data, path = self.data, self.data.video
        self.identity = None
        self.file_replaced = False
        self.file_banner.hide()

        def done(found: FileIdentity) -> None:
            if self.data is not data:  # another recording was opened meanwhile
                return
            self._identity_checked(found, then)

        def failed(exc: object) -> None:
            if self.data is data:
                self._player_failed(str(exc))

        self.hasher.submit(lambda: DIGESTS.identity(path), done, failed)

    def _identity_checked(self, found: FileIdentity, then: Callable[[], None]) -> None:
        assert self.data is not None
        why = mismatch(found, self.data.audited_sha256, self.data.audited_size)
        if why is None:
            self.identity = found
            then()
            return
        self.file_replaced = True
        self.unplayable.add(self.data.summary.run_id)
        self.player.unload()
        self.playable = False
        self.file_banner.setText(why.get(self.lang))
        self.file_banner.show()
        self._set_enabled(True)
        rec, who = self.data.summary.recording_id, self.account.username
        self.db.call(
            lambda store: store.note_changed_file(rec, found.path, found.sha256, found.size, who),
            lambda _none: self.claim_changed.emit(),
        )

    def _with_same_file(self, then: Callable[[], None]) -> None:
        """Run ``then`` (a decision) once the file is known to be still the audited one: at
        once when its size and mtime are what was checked, else after hashing it again."""
        if self.data is None:
            return
        if self.data.video is None or self.identity is None:
            then()  # nothing played (a recording that could not be audited): the rules decide
            return
        try:
            st = os.stat(self.identity.path)
        except OSError as exc:
            self._player_failed(str(exc))
            return
        if (st.st_size, st.st_mtime_ns) == (self.identity.size, self.identity.mtime_ns):
            then()
            return
        self._check_file(then)
