"""The teller's pre-check: pass, fail or unverified, and the list of what to fix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from dualrec_audit.core.i18n import advice_for
from dualrec_audit.core.result import AuditResult, Finding, Text
from dualrec_audit.review.player import covers_recording
from dualrec_audit.review.texts import for_reviewer
from dualrec_audit.rules.assign import ProfileMap, resolve_profile
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


# What a teller reads when the recording cannot be checked: what happened and what to do.
MEDIA_ERRORS = {
    "truncated": Text(
        "录像文件不完整（录制中断或未完整拷贝）：请确认录制已正常结束，重新拷贝文件；仍不行请重新录制",
        "The file is incomplete (recording cut off or not fully copied): make sure the "
        "recording was stopped properly and copy the file again; if that fails, record again",
    ),
    "not_media": Text(
        "这不是录像文件：请选择录制设备导出的视频文件（如 .mp4）",
        "This is not a video: choose the video file the recorder exported (such as .mp4)",
    ),
    "corrupt": Text(
        "录像文件已损坏，无法读取画面：请重新拷贝文件；仍不行请重新录制",
        "The file is damaged and no picture can be read: copy it again; if that fails, "
        "record again",
    ),
    "empty_file": Text(
        "文件是空的（0 字节）：请重新拷贝录像文件",
        "The file is empty (0 bytes): copy the recording again",
    ),
    "zero_length": Text(
        "录像时长为零：请检查录制设备后重新录制",
        "The recording has no length: check the recorder and record again",
    ),
    "no_video": Text(
        "文件里没有画面，只有声音：请使用双录设备录制带画面的视频",
        "The file has no picture: record a video with the dual-recording device",
    ),
    "not_found": Text(
        "找不到这个文件：它可能已被移动或删除，请重新选择",
        "The file cannot be found: it may have been moved or deleted; choose it again",
    ),
    "not_a_file": Text("这不是一个文件：请选择录像文件", "This is not a file: choose the video"),
    "unreadable": Text(
        "无法打开这个文件（可能没有权限或文件正在使用）：请关闭其他程序后重试，或联系管理员",
        "The file cannot be opened (no permission, or in use): close other programs and try "
        "again, or ask the administrator",
    ),
}

OTHER_ERROR = Text(
    "无法检查这段录像：请重新选择文件再试一次；仍不行请联系管理员",
    "The recording cannot be checked: choose the file again; if that fails, ask the administrator",
)


def precheck_profile(
    path: str | Path,
    *,
    explicit: str | None = None,
    mapping: ProfileMap | None = None,
    chosen: str | None = None,
    default: str | None = None,
) -> tuple[str | None, str]:
    """(profile id, where it came from) for the teller's pre-check: the same places the scan
    and so the reviewers' queue take it from (``--profile``, the file's sidecar, the profile
    map's rules), then the business chosen in the window, then the default."""
    pid, source = resolve_profile(Path(path), explicit=explicit, mapping=mapping, default=None)
    if pid:
        return pid, source
    if chosen:
        return chosen, "window"
    return default, "default"


def error_text(code: str) -> Text:
    """A failed audit's error, for a teller or reviewer: in their language, saying what to do."""
    return MEDIA_ERRORS.get(code, OTHER_ERROR)


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
