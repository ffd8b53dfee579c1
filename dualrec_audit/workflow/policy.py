"""The reviewer workflow a bank signs off, without Qt or a database: roles, what a decision
needs (the places watched, a reason to change a decision, a senior for escalations, a second
senior to overturn a failed mandatory check), appeals, and where a recording stands.

The store (``Store.decide``) calls :func:`check_decision` inside the transaction that writes
the decision, so the rules hold whichever window or script asks; the UI calls it first to
say what is missing before anything is sent.

Messages are :class:`~dualrec_audit.core.result.Text` (Chinese and English): the reviewer reads
them as they are.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from dualrec_audit.core.errors import DualrecError
from dualrec_audit.core.result import AuditResult, Text
from dualrec_audit.workflow.evidence import (
    listen_share_for,
    needs_listening,
    substantive,
    unaudited,
)
from dualrec_audit.workflow.watch import merge_intervals

Role = Literal["reviewer", "senior", "admin"]
ROLES: tuple[Role, ...] = ("reviewer", "senior", "admin")
ROLE_NAMES = {
    "reviewer": Text("复核员", "Reviewer"),
    "senior": Text("高级复核员", "Senior reviewer"),
    "admin": Text("管理员", "Administrator"),
}
VERDICTS = ("approve", "rerecord", "escalate")
WATCHED_SHARE = 0.9  # an interval counts as played when this share of it was played
MIN_PASSWORD = 8


class WorkflowError(DualrecError):
    """A decision, appeal or account change the rules refuse; ``text`` says why in both
    languages (the message is the English one)."""

    code = "not_allowed"

    def __init__(self, text: Text, *, code: str | None = None):
        super().__init__(text.en, code=code)
        self.text = text


# -- accounts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    display_name: str
    role: Role
    active: bool = True
    must_change_password: bool = False  # set by an administrator's reset

    @property
    def reviews(self) -> bool:
        """Reviewers and senior reviewers decide; administrators manage accounts."""
        return self.role in ("reviewer", "senior")

    @property
    def senior(self) -> bool:
        return self.role == "senior"

    def label(self, lang: str) -> str:
        return f"{self.display_name} ({ROLE_NAMES[self.role].get(lang)})"


def check_role(role: str) -> Role:
    if role not in ROLES:
        raise WorkflowError(
            Text(f"未知角色 {role}", f"unknown role '{role}'; use one of {', '.join(ROLES)}"),
            code="usage",
        )
    return role


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise WorkflowError(
            Text(
                f"密码至少 {MIN_PASSWORD} 个字符",
                f"the password must have at least {MIN_PASSWORD} characters",
            ),
            code="usage",
        )


def check_username(username: str) -> str:
    name = username.strip()
    if not name or len(name) > 80 or any(c.isspace() for c in name):
        raise WorkflowError(
            Text("用户名不能为空，不能含空格", "a user name is one word, 1 to 80 characters"),
            code="usage",
        )
    return name


# -- watching ---------------------------------------------------------------------------------


class WatchTracker:
    """What the player actually played: positions reported while playing are joined into
    played ranges (a jump — a seek — is not played; fast playback is).

    A step forward is playback when it is at most ``MAX_STEP_S``, or at most what the player
    can have played at its rate since the last report (with a quarter's slack): on a busy
    machine the player reports its position less often, and a reviewer who watched a place
    at 2x is not told it was skipped. A seek moves further than that in the time it takes."""

    MAX_STEP_S = 1.5
    SLACK = 1.25

    def __init__(self) -> None:
        self.played: list[tuple[float, float]] = []
        self._last: tuple[float, float] | None = None  # (position, wall clock) while playing

    def note(
        self, seconds: float, playing: bool, *, now: float | None = None, rate: float = 1.0
    ) -> None:
        now = time.monotonic() if now is None else now
        last, self._last = self._last, (seconds, now) if playing else None
        if last is None or not playing:
            return
        step, could = seconds - last[0], self.SLACK * max(rate, 0.0) * (now - last[1])
        if 0 < step <= max(self.MAX_STEP_S, could):
            self.played = merge_intervals([*self.played, (last[0], seconds)])

    def reset(self) -> None:
        self.played, self._last = [], None

    def shares(self, intervals: Sequence[tuple[float, float]]) -> list[float]:
        return watched_shares(intervals, self.played)


def watched_shares(
    intervals: Sequence[tuple[float, float]], played: Sequence[tuple[float, float]]
) -> list[float]:
    """For each interval, the share of it that was played (0..1)."""
    out = []
    for s, e in intervals:
        seen = sum(max(0.0, min(e, pe) - max(s, ps)) for ps, pe in played)
        out.append(1.0 if e <= s else min(1.0, seen / (e - s)))
    return out


def watched_record(
    intervals: Sequence[tuple[float, float]], played: Sequence[tuple[float, float]]
) -> list[list[float]]:
    """What is stored with a decision: [start, end, share played] per place to watch."""
    return [
        [round(s, 1), round(e, 1), round(share, 3)]
        for (s, e), share in zip(intervals, watched_shares(intervals, played), strict=True)
    ]


def unwatched(watched: Sequence[Sequence[float]]) -> list[tuple[float, float]]:
    """The places to watch not (or not enough) played."""
    return [(float(w[0]), float(w[1])) for w in watched if float(w[2]) < WATCHED_SHARE]


# -- where a recording stands -----------------------------------------------------------------

Standing = Literal["open", "approved", "rerecord", "escalated", "second", "appealed"]


@dataclass(frozen=True)
class DecisionFacts:
    """A stored decision as the rules see it."""

    id: int
    account: str
    verdict: str
    four_eyes: str | None = None  # "first": a senior's approval awaiting a second senior
    appeal_id: int | None = None


@dataclass(frozen=True)
class AppealFacts:
    id: int
    decision_id: int | None  # the re-record decision disputed (None: the machine's)
    decided: bool


@dataclass(frozen=True)
class State:
    standing: Standing
    last: DecisionFacts | None  # the decision in force (or awaiting its second senior)
    appeal: AppealFacts | None  # the open appeal

    @property
    def final(self) -> bool:
        """A decision is in force (approved or re-record), so a new one is a change."""
        return self.standing in ("approved", "rerecord", "appealed")


def state_of(decisions: Sequence[DecisionFacts], appeals: Sequence[AppealFacts] = ()) -> State:
    """Where a recording stands after its decisions (oldest first) and appeals."""
    last = decisions[-1] if decisions else None
    appeal = next((a for a in reversed(appeals) if not a.decided), None)
    if last is None:
        return State("appealed" if appeal else "open", None, appeal)
    if appeal is not None:
        return State("appealed", last, appeal)
    if last.verdict == "escalate":
        return State("escalated", last, None)
    if last.verdict == "approve":
        return State("second" if last.four_eyes == "first" else "approved", last, None)
    return State("rerecord", last, None)


def mandatory_failed(result: AuditResult) -> bool:
    """A mandatory check of the business profile failed (the machine says re-record)."""
    return any(f.mandatory for f in result.findings)


def flagged(result: AuditResult, places: Sequence[tuple[float, float]]) -> bool:
    return result.decision != "approve" or bool(places)


# -- deciding ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """A decision asked for, with what the rules need to know."""

    account: Account
    verdict: str
    reason_code: str | None = None
    reason_text: str | None = None
    change_reason: str | None = None  # why a decision in force is changed
    unwatched_reason: str | None = None  # why it is approved without watching everything
    watched: tuple[tuple[float, float, float], ...] = ()  # per place: start, end, share
    playable: bool = True
    listened: float | None = None  # share of the speech played (None: not measured)
    file_sha256: str | None = None  # the file played, hashed before the decision


@dataclass(frozen=True)
class Outcome:
    """What the store writes besides the request: the four-eyes step and the appeal settled."""

    four_eyes: str | None  # "first" | "second" | None
    appeal_id: int | None
    changes: bool  # changes a decision in force


def _no(zh: str, en: str, code: str = "not_allowed") -> WorkflowError:
    return WorkflowError(Text(zh, en), code=code)


def check_decision(
    req: Request, state: State, result: AuditResult, *, decided_disputed_by: str | None = None
) -> Outcome:
    """Raise :class:`WorkflowError` when the rules refuse ``req``; else what to record.

    ``decided_disputed_by``: the account that made the re-record decision an open appeal
    disputes (they may not decide the appeal)."""
    a = req.account
    if req.verdict not in VERDICTS:
        raise _no(f"未知的决定 {req.verdict}", f"unknown verdict '{req.verdict}'", "usage")
    if not a.active:
        raise _no("此账号已停用", "this account is disabled")
    if not a.reviews:
        raise _no("管理员不能做复核决定", "administrators do not make review decisions")
    if a.must_change_password:
        raise _no("请先修改密码（管理员已重置）", "change your password first (it was reset)")
    # A recording the tool could not audit may be sent back even when it does not play.
    if not req.playable and (req.verdict == "approve" or not unaudited(result)):
        raise _no(
            "录像文件无法播放，不能做决定：请找到录像文件后再复核",
            "the recording cannot be played, so no decision can be made: find its file first",
        )
    _check_file(req, result)
    if req.verdict == "approve" and unaudited(result):
        raise _no(
            "本工具未能审核这段录像，不能通过：请退回重录，或上报高级复核员",
            "the tool could not audit this recording, so it cannot be approved: re-record or "
            "escalate it",
            "unaudited",
        )
    _check_reasons(req)
    if state.standing == "escalated" and not a.senior:
        raise _no("已上报的录像须由高级复核员处理", "an escalated recording is settled by a senior")
    four_eyes = _four_eyes(req, state, result)
    appeal_id = _appeal(req, state, decided_disputed_by)
    changes = state.final and state.last is not None and state.last.verdict != req.verdict
    if changes and not substantive(req.change_reason):
        raise _no("更改已有决定须说明理由", "changing a decision in force needs a reason", "reason")
    if req.verdict == "approve":
        _check_watched(req, result)
    return Outcome(four_eyes, appeal_id, changes)


def _check_file(req: Request, result: AuditResult) -> None:
    """The file played must be the file audited (same sha256)."""
    if req.file_sha256 is not None and result.sha256 and req.file_sha256 != result.sha256:
        raise _no(
            "录像文件已被更换（与审核时的文件不一致），不能做决定：已标记为待重新审核",
            "the recording's file was replaced after its audit (it differs from the file "
            "audited), so no decision can be made: it is marked for a new audit",
            "file_changed",
        )


def _check_reasons(req: Request) -> None:
    if req.verdict != "approve" and not (req.reason_code or "").strip():
        raise _no("请选择原因", f"a '{req.verdict}' decision needs a reason code", "reason")
    if req.verdict == "rerecord" and not (req.reason_text or "").strip():
        raise _no(
            "退回重录须写明原因：说明需要重录什么",
            "a re-record decision needs a reason text",
            "reason",
        )
    for text in (req.reason_text, req.unwatched_reason, req.change_reason):
        if (text or "").strip() and not substantive(text):
            raise _no(
                f"理由太短：“{(text or '').strip()[:20]}”说明不了什么，"
                "请写清楚（至少两个汉字或四个字母）",
                f"the reason '{(text or '').strip()[:20]}' says nothing: write what you saw "
                "(at least two Chinese characters or four letters)",
                "reason",
            )


def _four_eyes(req: Request, state: State, result: AuditResult) -> str | None:
    """Approving a recording whose mandatory check failed takes two different seniors."""
    if req.verdict != "approve" or not mandatory_failed(result):
        return None
    if not req.account.senior:
        raise _no(
            "强制项未通过的录像，须由两名高级复核员批准才能通过：请上报",
            "approving a failed mandatory check takes two senior reviewers: escalate it",
        )
    if state.standing == "second" and state.last is not None:
        if state.last.account == req.account.username:
            raise _no(
                "须由另一名高级复核员确认（四眼原则）",
                "a second, different senior reviewer must confirm (four eyes)",
            )
        return "second"
    return "first"


def _appeal(req: Request, state: State, disputed_by: str | None) -> int | None:
    if state.appeal is None:
        return None
    if req.verdict == "escalate":
        raise _no("申诉须直接裁定：维持重录或通过", "decide the appeal: uphold or approve")
    if disputed_by is not None and disputed_by == req.account.username:
        raise _no("申诉须由另一名复核员裁定", "an appeal is decided by a different reviewer")
    return state.appeal.id


def _check_watched(req: Request, result: AuditResult) -> None:
    missing = unwatched(req.watched)
    if missing and not (req.unwatched_reason or "").strip():
        raise _no(
            f"还有 {len(missing)} 处需观看的片段未播放：请先播放，或写明不观看就通过的理由",
            f"{len(missing)} places to watch were not played: play them, or give a reason to "
            "approve without watching",
            "unwatched",
        )
    if unlistened(req, result) and not (req.unwatched_reason or "").strip():
        need = listen_share_for(result)
        got = req.listened or 0.0
        raise _no(
            f"话术须人工收听：讲话部分只播放了 {got:.0%}，至少要听 {need:.0%}；"
            "请听完，或写明不收听就通过的理由",
            f"the script is checked by ear: {got:.0%} of the speech was played, at least "
            f"{need:.0%} is needed; listen to it, or give a reason to approve without listening",
            "unlistened",
        )


def unlistened(req: Request, result: AuditResult) -> bool:
    """The script is checked by ear and not enough of the speech was played."""
    return needs_listening(result) and (req.listened or 0.0) + 1e-9 < listen_share_for(result)


def check_appeal(
    state: State,
    machine_decision: str,
    reason: str,
    appellant: str,
    account: Account | None = None,
) -> None:
    """An appeal disputes a re-record (the reviewer's, or the machine's when no reviewer has
    decided) and says who appeals and why; it is entered by a reviewer or senior (an
    administrator only views decisions)."""
    if account is not None and not account.active:
        raise _no("此账号已停用", "this account is disabled")
    if account is not None and not account.reviews:
        raise _no("管理员只能查看复核决定，不能登记申诉", "administrators do not file appeals")
    if state.appeal is not None:
        raise _no("已有未处理的申诉", "an appeal is already open")
    machine = state.standing == "open" and machine_decision == "rerecord"
    if state.standing != "rerecord" and not machine:
        raise _no("只能对退回重录的决定申诉", "only a re-record decision can be appealed")
    if not appellant.strip():
        raise _no("请填写申诉人（柜员或网点）", "say who appeals (teller or branch)", "reason")
    if not substantive(reason):
        raise _no("请写明申诉理由", "an appeal needs a reason", "reason")
