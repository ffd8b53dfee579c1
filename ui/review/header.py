"""The strip above the player: the title (recording, the machine's decision, score,
business and people) and the banners for someone else's claim, the workflow's state and a
script to be checked by ear. Mixed into ``ReviewView``, whose widgets and data it uses."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout

from dualrec_audit.core.i18n import DECISIONS, profile_choice_text
from dualrec_audit.review.texts import for_reviewer
from dualrec_audit.workflow.watch import script_by_ear

from .colours import DECISION_COLOURS
from .data import local_time


class ReviewHeader:
    """The title and the banners above the player."""

    def _build_header(self, root: QVBoxLayout) -> None:
        """The title and, under it, the banners (shown only when they have something to
        say)."""
        self.title = QLabel(self.tr("Open a recording from the queue"))
        self.title.setObjectName("reviewTitle")
        font = self.title.font()
        font.setPointSize(font.pointSize() + 3)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        root.addWidget(self.title)
        self.claim_banner = self._banner("claimBanner", "#ffebee", "#b71c1c", "#e57373")
        self.state_banner = self._banner("stateBanner", "#ede7f6", "#4a148c", "#9575cd")
        self.ear_banner = self._banner("earBanner", "#fff3e0", "#8a4b00", "#ffb74d")
        for b in (self.claim_banner, self.state_banner, self.ear_banner):
            root.addWidget(b)

    def _banner(self, name: str, bg: str, fg: str, border: str) -> QLabel:
        b = QLabel()
        b.setObjectName(name)
        b.setWordWrap(True)
        b.setStyleSheet(f"background:{bg}; color:{fg}; padding:4px; border:1px solid {border};")
        b.hide()
        return b

    def _show_title(self) -> None:
        assert self.data is not None
        r, s, lang = self.data.result, self.data.summary, self.lang
        colour = DECISION_COLOURS.get(r.decision, "#616161")
        profile = (r.profile or {}).get("name", {}).get(lang) or (s.profile_id or "")
        if ((r.profile or {}).get("chosen_by") or {}).get("by") == "default":
            profile += "（默认）" if lang == "zh" else " (default)"  # no sidecar chose it
        meta = " · ".join(
            x
            for x in (profile, s.meta.customer_ref, s.meta.product, s.meta.branch, s.meta.teller)
            if x
        )
        why = profile_choice_text((r.profile or {}).get("chosen_by"), s.name)
        if why is not None:  # which profile judged it and why (a copy without its sidecar)
            self.title.setToolTip(f"{profile}: {why.get(lang)}")
        score = self.tr("Score")
        verdict = f"<span style='color:{colour}'>{DECISIONS[r.decision].get(lang)}</span>"
        if self.data.decisions:  # a reviewer decided: that is what the recording is now
            d = self.data.decisions[-1]
            mine = DECISION_COLOURS.get(d.verdict, "#616161")
            verdict = (
                f"<span style='color:{mine}'>"
                + self.tr("Reviewer: {verdict} ({who})").format(
                    verdict=self._verdict_name(d.verdict), who=d.reviewer
                )
                + "</span> <small>"
                + self.tr("machine: {decision}").format(decision=DECISIONS[r.decision].get(lang))
                + "</small>"
            )
        self.title.setText(
            f"{s.name} &nbsp; {verdict} &nbsp; {score} {r.score:.0f} &nbsp; <small>{meta}</small>"
        )

    def _show_claim(self) -> None:
        assert self.data is not None
        other = self.data.claimed_by
        if other is not None:
            self.claim_banner.setText(
                self.tr("{who} is reviewing this recording (until {until}): read only.").format(
                    who=other.reviewer, until=local_time(other.expires_at)
                )
            )
            self.claim_banner.show()
        elif not self.account.reviews:
            self.claim_banner.setText(
                self.tr("Administrators manage accounts; review decisions are read only.")
            )
            self.claim_banner.show()
        else:
            self.claim_banner.hide()

    def _show_ear(self) -> None:
        assert self.data is not None
        r = self.data.result
        if not script_by_ear(r):
            self.ear_banner.hide()
            return
        script = r.checks.get("script")
        why = for_reviewer(script.reason).get(self.lang) if script and script.reason else ""
        self.ear_banner.setText(
            self.tr(
                "The tool could not check the script ({why}). Listen to the whole recording "
                "for the required stages; the timeline only marks what it could check."
            ).format(why=why)
        )
        self.ear_banner.show()

    def _show_state(self) -> None:
        """The workflow's state in words: an open appeal, an approval awaiting a second
        senior, an escalation."""
        assert self.data is not None
        st = self.data.state
        text = ""
        if st is not None and st.appeal is not None:
            a = next((x for x in self.data.appeals if x.id == st.appeal.id), None)
            if a is not None:
                text = self.tr(
                    "Appeal by {who} ({when}): {why}. Decide it: re-record (R) upholds the "
                    "re-record, approve (A) grants the appeal."
                ).format(who=a.appellant, when=local_time(a.created_at), why=a.reason)
        elif st is not None and st.standing == "second" and st.last is not None:
            text = self.tr(
                "Approved by {who}, but a mandatory check failed: a second senior reviewer "
                "must confirm the approval (four eyes)."
            ).format(who=st.last.account)
        elif st is not None and st.standing == "escalated" and st.last is not None:
            text = self.tr("Escalated by {who}: a senior reviewer settles it.").format(
                who=st.last.account
            )
        self.state_banner.setText(text)
        self.state_banner.setVisible(bool(text))
