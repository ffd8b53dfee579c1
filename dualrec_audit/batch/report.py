"""Plain-text summary of an audit result, in Simplified Chinese or English."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from dualrec_audit.core.i18n import (
    CHECK_NAMES,
    DECISIONS,
    DOCUMENT_STATUS,
    MEDIA_ERRORS,
    PARTY,
    error_text,
    fmt_span,
    fmt_time,
    profile_choice_text,
)
from dualrec_audit.core.paths import without_name
from dualrec_audit.core.result import AuditResult, Text
from dualrec_audit.rules.decision import explain, holds

if TYPE_CHECKING:
    from dualrec_audit.batch.evaluate import EvalReport

__all__ = ["eval_summary", "fmt_span", "fmt_time", "holding_checks", "summary"]


_SEVERITY = {"low": Text("低", "low"), "medium": Text("中", "medium"), "high": Text("高", "high")}


# Layer-2 rules that are not ``event.<type>`` and the layer-1 check whose result they judge.
_RULE_CHECK = {
    "mandatory.both_parties_present": "faces",
    "mandatory.clarity": "speech",
    "mandatory.no_forbidden_phrases": "script",
    "confirmation_missing": "script",
    "stage": "script",
    "stage_uncertain": "script",
    "document": "documents",
}


def holding_checks(result: AuditResult) -> dict[str, int]:
    """Per layer-1 check, how many of its findings keep the recording from being approved."""
    owner = {e.check: key for key, c in result.checks.items() for e in c.events}
    counts: dict[str, int] = {}
    for f in result.findings:
        if not holds(f):
            continue
        head, _, tail = f.rule.partition(".")
        if head == "event":
            key = owner.get(tail)
        elif head == "not_evaluable":
            key = tail
        else:
            key = _RULE_CHECK.get(f.rule) or _RULE_CHECK.get(head)
        if key is not None and key in result.checks:
            counts[key] = counts.get(key, 0) + 1
    return counts


def _check_scores(result: AuditResult, lang: str) -> list[str]:
    """Each check's part of the score line: its score, or why it has none."""
    zh = lang != "en"
    parts = []
    held = holding_checks(result)
    for key, check in result.checks.items():
        label = CHECK_NAMES[key].get(lang)
        score = check.score
        if key in held:  # its findings hold the recording: never a score that reads as fine
            n = held[key]
            parts.append(f"{label} 未通过（{n} 项）" if zh else f"{label} failed ({n})")
        elif check.status == "unavailable":
            reason = check.reason.get(lang) if check.reason else ""
            parts.append(
                f"{label} {'不可用' if zh else 'n/a'}（{reason}）"
                if zh
                else f"{label} n/a ({reason})"
            )
        elif check.status == "unverified":
            parts.append(f"{label} {'未验证' if zh else 'unverified'}")
        elif score is not None:  # a check without a timeline (who talks) has no score
            parts.append(f"{label} {score * 100:.0f}")
    return parts


def summary(result: AuditResult, lang: str = "zh") -> str:
    zh = lang != "en"
    name = Path(result.file).name
    lines: list[str] = []
    if result.error is not None:
        err = result.error
        if zh:  # what happened and what to do, in Chinese (the technical detail is in --json)
            known = err.code in MEDIA_ERRORS or err.code in ("unknown_profile", "profile_error")
            why = error_text(err.code).zh if known else without_name(err.message, name)
            lines.append(f"{name}  无法审核：{why} [{err.code}]")
        else:
            lines.append(f"{name}  Could not audit: {without_name(err.message, name)} [{err.code}]")
        return "\n".join(lines)
    decision = DECISIONS[result.decision].get(lang)
    if zh:
        lines.append(
            f"{name}  时长 {fmt_time(result.duration_s)}  结论：{decision}  "
            f"得分 {result.score:.0f}（仅用于排序）"
        )
    else:
        lines.append(
            f"{name}  duration {fmt_time(result.duration_s)}  decision: {decision}  "
            f"score {result.score:.0f} (ranks the queue only)"
        )
    lines.append("  " + "  ".join(_check_scores(result, lang)))
    if result.profile is not None:
        why = explain(result.decision, result.findings, result.duration_s).get(lang)
        lines.append(f"  {'理由' if zh else 'Why'}: {why}")
        pname = result.profile["name"]["en" if not zh else "zh"]
        why_this = profile_choice_text(result.profile.get("chosen_by"), name)
        because = (
            "" if why_this is None else ("；依据：" if zh else "; because: ") + why_this.get(lang)
        )
        lines.append(
            f"  {'业务规则' if zh else 'Profile'}: {pname} ({result.profile['id']}){because}"
        )
    if result.stages:
        marks = {"found": "✓", "uncertain": "~", "missing": "✗", "not_verified": "?"}
        stages = "  ".join(f"{marks[st.status]}{st.name.get(lang)}" for st in result.stages)
        lines.append(f"  {'话术环节' if zh else 'Stages'}: {stages}")
        script = result.checks.get("script")
        by = ", ".join(script.details.get("verified_by", [])) if script is not None else ""
        if by:
            lines.append(f"  {'话术核验模型' if zh else 'Script verified by'}: {by}")
    if result.documents:
        lines.append("  " + ("出示文件：" if zh else "Documents shown:"))
        for d in result.documents:
            when = "" if d.start is None else f"{fmt_span(d.start, d.end or d.start)}  "
            read = f"  「{d.text}」" if d.text else ""
            lines.append(
                f"    {when}{d.name.get(lang)}: {DOCUMENT_STATUS[d.status].get(lang)}{read}"
            )
    if result.findings:
        lines.append("  " + ("问题：" if zh else "Findings:"))
        for f in result.findings:
            tag = ("【必检】" if zh else "[mandatory] ") if f.mandatory else ""
            sev = _SEVERITY[f.severity].get(lang)
            lines.append(f"    {fmt_span(f.start, f.end)}  [{sev}] {tag}{f.reason.get(lang)}")
    elif result.events:
        lines.append("  " + ("问题：" if zh else "Problems:"))
        for e in result.events:
            lines.append(f"    {fmt_span(e.start, e.end)}  {e.message.get(lang)}")
    else:
        lines.append("  " + ("未发现问题" if zh else "No problems found"))
    if result.segments:
        head = "重点复核片段：" if zh else "Watch first: "
        segs = ", ".join(
            f"{fmt_span(s.start, s.end)} ({'/'.join(CHECK_NAMES[c].get(lang) for c in s.checks)})"
            for s in result.segments[:5]
        )
        lines.append(f"  {head}{segs}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Evaluation against labels (``dualrec-audit eval``)

_EXPECTED = {
    "approve": Text("应通过", "approve"),
    "flag": Text("应标记", "flag"),
    "error": Text("应报错", "error"),
}


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(rows: list[list[str]]) -> list[str]:
    """Left-aligned first column, right-aligned others, CJK-aware widths."""
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for row in rows:
        cells = [row[0] + " " * (widths[0] - _width(row[0]))]
        cells += [" " * (w - _width(c)) + c for c, w in zip(row[1:], widths[1:], strict=True)]
        out.append("  " + "  ".join(cells).rstrip())
    return out


def _per_check(report: EvalReport, t: Callable[[str, str], str]) -> list[str]:
    """Detection per check (those with defects or false alarms) as a table; ``t`` picks the
    language."""
    active = [c for c in report.checks if c.defects or c.false_alarm_s > 0]
    if not active:
        return []
    lines = [t("各检查项：", "Per check:")]
    head = [("检查项", "check"), ("缺陷", "defects"), ("发现", "found"), ("漏检", "missed")]
    head += [("平均 IoU", "mean IoU"), ("误报秒数", "false alarm s")]
    rows = [[t(*h) for h in head]]
    for c in active:
        iou = "–" if c.mean_iou is None else f"{c.mean_iou:.2f}"
        counts = [str(c.defects), str(c.found), str(c.missed)]
        rows.append([c.check, *counts, iou, f"{c.false_alarm_s:.1f}"])
    return lines + _table(rows)


def _watching_load(report: EvalReport, t: Callable[[str, str], str], sep: str) -> list[str]:
    """The reviewer's load: the flagged recordings, what of them must be watched and the
    scripts to check by ear."""
    n, share, pre = len(report.flagged), report.watch_share, f"{report.preroll:g}"
    flagged_s, watch_s = fmt_time(report.flagged_s), fmt_time(report.watch_s)
    lines = []
    if share is None:
        lines.append(t("被标记的录像：0 个", "Flagged recordings: 0"))
    else:
        lines.append(
            t(
                f"被标记的录像：{n} 个，共 {flagged_s}；需观看 {watch_s}"
                f"（{share:.0%}，每处提前 {pre} 秒）",
                f"Flagged recordings: {n}, {flagged_s} in all; to watch {watch_s} "
                f"({share:.0%}, {pre} s pre-roll each)",
            )
        )
    lines.append(
        t(
            "需人工听话术的录像（工具无法核对话术）",
            "Recordings whose script must be checked by ear",
        )
        + f"{sep}{report.script_by_ear} / {n}"
    )
    return lines


def eval_summary(report: EvalReport, lang: str = "zh") -> str:
    """The evaluation report: auto-approved defective recordings first, then detection per
    check, the decision confusion matrix and the reviewer's watching load."""
    zh = lang != "en"

    def t(zh_text: str, en_text: str) -> str:
        return zh_text if zh else en_text

    sep = t("：", ": ")
    lines = [
        t(
            f"评估：{len(report.recordings)} 个录像",
            f"Evaluation of {len(report.recordings)} recordings",
        )
    ]
    bad = report.auto_approved_defective
    lines.append(
        t("有缺陷却被自动通过的录像", "Defective recordings auto-approved") + f"{sep}{len(bad)}"
    )
    lines += [f"  !! {name}" for name in bad]
    errs = ", ".join(report.missed_errors) or t("无", "none")
    lines.append(t("应报错却未报错的录像", "Expected errors not reported as errors") + sep + errs)

    total = sum(c.defects for c in report.checks)
    found = sum(c.found for c in report.checks)
    lines.append(t(f"发现缺陷：{found} / {total}", f"Defects found: {found} of {total}"))
    for d in report.missed_defects:
        party = f" ({PARTY[d.party].get(lang)})" if d.party else ""
        lines.append(
            f"  {t('漏检', 'missed')}{sep}{d.file} {fmt_span(d.start, d.end)} {d.check}{party}"
        )

    lost = report.unwatched_defects
    lines.append(
        t("被标记录像中不在观看区间内的缺陷", "Defects of flagged recordings outside what to watch")
        + f"{sep}{len(lost)}"
    )
    for d in lost:
        lines.append(f"  !! {d.file} {fmt_span(d.start, d.end)} {d.check}")

    lines += _per_check(report, t)

    lines.append(t("决策（行：标注，列：结论）：", "Decisions (rows: expected, columns: actual):"))
    actual = list(next(iter(report.confusion.values()), {}))
    rows = [["", *(DECISIONS[a].get(lang) for a in actual)]]
    for expected, row in report.confusion.items():
        rows.append([_EXPECTED[expected].get(lang), *(str(row[a]) for a in actual)])
    lines += _table(rows)

    lines += _watching_load(report, t, sep)
    lines.append(
        t("评估结论：", "Result: ")
        + t("通过" if report.passed else "未通过", "PASS" if report.passed else "FAIL")
    )
    return "\n".join(lines)
