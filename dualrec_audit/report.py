"""Plain-text summary of an audit result, in Simplified Chinese or English."""

from __future__ import annotations

from pathlib import Path

from dualrec_audit.i18n import CHECK_NAMES, DECISIONS
from dualrec_audit.result import AuditResult


def fmt_time(seconds: float) -> str:
    """01:12 (or 1:02:03 from an hour on)."""
    s = max(0, int(seconds + 0.5))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m:02d}:{sec:02d}"


def fmt_span(start: float, end: float) -> str:
    return f"{fmt_time(start)}–{fmt_time(end)}"


def summary(result: AuditResult, lang: str = "zh") -> str:
    zh = lang != "en"
    name = Path(result.file).name
    lines: list[str] = []
    if result.error is not None:
        label = "无法审核" if zh else "Could not audit"
        lines.append(f"{name}  {label}: {result.error.message} [{result.error.code}]")
        return "\n".join(lines)
    decision = DECISIONS[result.decision].get(lang)
    if zh:
        lines.append(
            f"{name}  时长 {fmt_time(result.duration_s)}  结论：{decision}  得分 {result.score:.0f}"
        )
    else:
        lines.append(
            f"{name}  duration {fmt_time(result.duration_s)}  decision: {decision}  "
            f"score {result.score:.0f}"
        )
    parts = []
    for key, check in result.checks.items():
        label = CHECK_NAMES[key].get(lang)
        score = check.score
        if check.status == "unavailable":
            reason = check.reason.get(lang) if check.reason else ""
            parts.append(
                f"{label} {'不可用' if zh else 'n/a'}（{reason}）"
                if zh
                else f"{label} n/a ({reason})"
            )
        elif check.status == "unverified":
            parts.append(f"{label} {'未验证' if zh else 'unverified'}")
        else:
            parts.append(f"{label} {0 if score is None else score * 100:.0f}")
    lines.append("  " + "  ".join(parts))
    if result.profile is not None:
        pname = result.profile["name"]["en" if not zh else "zh"]
        lines.append(f"  {'业务规则' if zh else 'Profile'}: {pname} ({result.profile['id']})")
    if result.stages:
        marks = {"found": "✓", "missing": "✗", "not_verified": "?"}
        stages = "  ".join(f"{marks[st.status]}{st.name.get(lang)}" for st in result.stages)
        lines.append(f"  {'话术环节' if zh else 'Stages'}: {stages}")
    if result.findings:
        lines.append("  " + ("问题：" if zh else "Findings:"))
        for f in result.findings:
            tag = ("【必检】" if zh else "[mandatory] ") if f.mandatory else ""
            lines.append(f"    {fmt_span(f.start, f.end)}  {tag}{f.reason.get(lang)}")
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
