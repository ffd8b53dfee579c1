"""The calibration report, Chinese first: per parameter old → new with the verdicts behind it
and the margin; the effect on the stored recordings before and after; each check's precision
from the verdicts (a bar chart); the recordings whose decision would change, each linked to
its file. Written as ``calibration.json`` and ``calibration.html`` in the report folder."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dualrec_audit.calibrate.data import Sample
from dualrec_audit.calibrate.effect import compare, precision
from dualrec_audit.calibrate.propose import Proposal, Settings
from dualrec_audit.core.paths import display_path
from dualrec_audit.rules.profiles import Profile

DECISION_ZH = {"approve": "自动通过", "review": "人工复核", "rerecord": "重新录制", "error": "错误"}
STATUS_ZH = {
    "changed": "已调整",
    "unchanged": "不变",
    "too_few": "复核结论不足",
    "not_robust": "留一交叉验证未通过",
    "reverted": "已撤回（保证条件）",
}


def report_doc(
    profile: Profile,
    proposal: Proposal,
    samples: Sequence[Sample],
    settings: Settings,
    *,
    basis: str,
    since: str | None,
) -> dict[str, Any]:
    """The report as JSON-ready data."""
    before, after, changed = compare(samples, proposal.profile)
    marks = [m for s in samples for m in s.marks]
    return {
        "profile": {"id": profile.id, "version": profile.version},
        "proposed": {"id": proposal.profile.id, "version": proposal.profile.version},
        "basis": basis,
        "since": since,
        "settings": {k: getattr(settings, k) for k in settings.__dataclass_fields__},
        "data": {
            "runs": len(samples),
            "verdicts": len(marks),
            "confirmed": sum(1 for m in marks if m.label == "confirmed"),
            "false_alarms": sum(1 for m in marks if m.label == "false_alarm"),
            "recording_decisions": sum(1 for s in samples if s.verdict),
        },
        "guarantee": {
            "kept": not proposal.violations,
            "violations": [v.__dict__ for v in proposal.violations],
            "leave_one_out_folds": proposal.loo_folds,
            "leave_one_out_failed": list(proposal.loo_failed),
            "reverted": list(proposal.reverted),
        },
        "changes": [c.to_dict() for c in proposal.changes],
        "before": before.to_dict(),
        "after": after.to_dict(),
        "precision": [p.to_dict() for p in precision(samples)],
        "changed_recordings": [c.to_dict() for c in changed],
    }


def _shown(c: dict[str, Any]) -> bool:
    """A row of its own: a parameter with verdicts, or one that moved (else one line)."""
    return c["status"] in ("changed", "reverted", "not_robust") or bool(
        c["confirmed"] or c["false_alarms"]
    )


def write_report(doc: dict[str, Any], folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    j = folder / "calibration.json"
    j.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    h = folder / "calibration.html"
    h.write_text(report_html(doc), encoding="utf-8")
    return j, h


def _e(v: Any) -> str:
    return html.escape(str(v))


def _why(c: dict[str, Any]) -> str:
    if c["status"] == "too_few":
        return (
            f"还需 {c['more_verdicts']} 条复核结论（其中确认 {c['more_confirmed']} 条）/ needs "
            f"{c['more_verdicts']} more verdicts ({c['more_confirmed']} confirmed)"
        )
    if c["status"] == "changed" and c["bound"] is not None:
        side = "最短确认问题 − 余量" if c["param"].startswith("events.") else "最高确认占比 + 余量"
        return (
            f"界限 {c['bound']:g}（{side}）；留一录像交叉验证通过 / bound {c['bound']:g} "
            "(last confirmed finding and the margin); leave-one-recording-out kept"
        )
    return str(c["note"])


def _change_rows(doc: dict[str, Any]) -> str:
    rows = []
    for c in doc["changes"]:
        if not _shown(c):
            continue
        why = _why(c)
        margin = "" if c["margin"] is None else f"{c['margin']:g}"
        cls = "changed" if c["status"] == "changed" else ""
        rows.append(
            f"<tr class='{cls}'><td><code>{_e(c['param'])}</code></td><td>{_e(c['old'])}</td>"
            f"<td>{_e(c['new'])}</td><td>{_e(STATUS_ZH.get(c['status'], c['status']))}<br>"
            f"<small>{_e(c['status'])}</small></td><td>{c['false_alarms']}</td>"
            f"<td>{c['removed']}</td><td>{c['confirmed']}</td><td>{_e(margin)}</td>"
            f"<td>{_e(why)}</td></tr>"
        )
    return "\n".join(rows) or "<tr><td colspan='9'>—</td></tr>"


def _untouched(doc: dict[str, Any]) -> str:
    """The parameters no verdict speaks of, in one line."""
    rest = [c for c in doc["changes"] if not _shown(c) and not c["param"].endswith(".severity")]
    if not rest:
        return ""
    names = "、".join(f"<code>{_e(c['param'])}</code>" for c in rest)
    s = doc["settings"]
    return (
        f"<p>没有复核结论、保持不变的参数（每项至少需要 {s['min_verdicts']} 条复核结论，其中确认 "
        f"{s['min_confirmed']} 条）/ parameters without verdicts, left as they are (each needs "
        f"{s['min_verdicts']} verdicts, {s['min_confirmed']} confirmed): {names}</p>"
        f"<p><small>严重程度只在至少 {s['severity_min_verdicts']} 条复核结论且全部为误报时降为低"
        f" / a severity is lowered only with {s['severity_min_verdicts']} verdicts, all false "
        "alarms"
        "</small></p>"
    )


def _effect_rows(doc: dict[str, Any]) -> str:
    b, a = doc["before"], doc["after"]
    items = [
        ("自动通过的时长占比 / share of minutes auto-approved", "approved_share", "{:.1%}"),
        ("需观看的时长（分钟）/ minutes to watch", "watch_minutes", "{:.2f}"),
        ("重新录制 / re-records", "rerecord", "{}"),
        ("人工复核 / reviews", "review", "{}"),
        ("自动通过 / approved", "approve", "{}"),
        ("仍起作用的误报 / false alarms still holding", "false_alarms_holding", "{}"),
        ("仍起作用的确认问题 / confirmed findings holding", "confirmed_holding", "{}"),
    ]
    return "\n".join(
        f"<tr><td>{label}</td><td>{fmt.format(b[k])}</td><td>{fmt.format(a[k])}</td></tr>"
        for label, k, fmt in items
    )


def _chart(doc: dict[str, Any]) -> str:
    """Precision per rule as horizontal SVG bars (confirmed green, false alarms grey)."""
    rows = doc["precision"]
    if not rows:
        return "<p>没有复核结论 / no verdicts</p>"
    width, bar_h, left = 640, 22, 230
    h = len(rows) * (bar_h + 8) + 10
    parts = [f"<svg width='{width}' height='{h}' role='img' aria-label='precision'>"]
    for i, r in enumerate(rows):
        y = 5 + i * (bar_h + 8)
        n = r["confirmed"] + r["false_alarms"]
        w = (width - left - 70) * (r["confirmed"] / n if n else 0)
        full = width - left - 70
        p = "—" if r["precision"] is None else f"{r['precision']:.0%}"
        parts.append(
            f"<text x='0' y='{y + 16}' font-size='13'>{_e(r['rule'])}</text>"
            f"<rect x='{left}' y='{y}' width='{full}' height='{bar_h}' fill='#ddd'/>"
            f"<rect x='{left}' y='{y}' width='{w:.1f}' height='{bar_h}' fill='#2e7d32'/>"
            f"<text x='{left + full + 6}' y='{y + 16}' font-size='13'>{p} "
            f"({r['confirmed']}/{n})</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _changed_rows(doc: dict[str, Any]) -> str:
    rows = []
    for c in doc["changed_recordings"]:
        uri = Path(c["file"]).resolve().as_uri() if c["file"] else "#"
        rows.append(
            f"<tr><td>{c['run_id']}</td><td><a href='{_e(uri)}'>{_e(display_path(c['file']))}"
            f"</a></td><td>{_e(DECISION_ZH.get(c['before'], c['before']))}</td>"
            f"<td>{_e(DECISION_ZH.get(c['after'], c['after']))}</td>"
            f"<td>{_e(DECISION_ZH.get(c['verdict'], c['verdict'] or '—'))}</td></tr>"
        )
    return "\n".join(rows) or "<tr><td colspan='5'>没有 / none</td></tr>"


CSS = """body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:4px 8px;
font-size:13px;vertical-align:top}th{background:#f3f3f3}tr.changed{background:#e8f5e9}
.ok{color:#2e7d32;font-weight:bold}.bad{color:#c62828;font-weight:bold}small{color:#666}"""


def report_html(doc: dict[str, Any]) -> str:
    g, d = doc["guarantee"], doc["data"]
    kept = (
        "<span class='ok'>保证条件成立 / guarantee kept</span>"
        if g["kept"]
        else "<span class='bad'>保证条件不成立 / guarantee broken</span>"
    )
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>阈值校准报告 Calibration report — {_e(doc["profile"]["id"])}</title>
<style>{CSS}</style></head><body>
<h1>阈值校准报告 <small>Calibration report</small></h1>
<p>业务规则 / profile <b>{_e(doc["profile"]["id"])}</b> v{_e(doc["profile"]["version"])}
→ 建议 / proposed v{_e(doc["proposed"]["version"])}</p>
<p>依据 / basis: {_e(doc["basis"])}</p>
<p>数据 / data: {d["runs"]} 条录像 recordings, {d["verdicts"]} 条问题复核结论 finding verdicts
（确认 confirmed {d["confirmed"]}，误报 false alarms {d["false_alarms"]}），
{d["recording_decisions"]} 条录像结论 recording decisions</p>
<h2>保证条件 <small>Guarantee</small></h2>
<p>{kept}：每个复核员确认的问题在建议规则下仍然阻止自动通过；复核员要求重新录制的录像不会被自动通过。
<br><small>Every finding a reviewer confirmed still holds its recording; no recording a reviewer
sent to re-record would be approved.</small><br>
留一录像交叉验证 / leave-one-recording-out: {g["leave_one_out_folds"]} 折 folds，
未通过 failed: {_e(g["leave_one_out_failed"] or "—")}；撤回 reverted: {_e(g["reverted"] or "—")}</p>
<h2>参数 <small>Parameters</small></h2>
<table><tr><th>参数 parameter</th><th>原值 old</th><th>新值 new</th><th>状态 status</th>
<th>误报 false alarms</th><th>消除的误报 removed</th><th>确认 confirmed</th>
<th>安全余量 margin</th><th>说明 note</th></tr>
{_change_rows(doc)}</table>
{_untouched(doc)}
<h2>对已存录像的影响 <small>Effect on the stored recordings</small></h2>
<table><tr><th></th><th>现行 before</th><th>建议 after</th></tr>{_effect_rows(doc)}</table>
<h2>各检查项的精确率 <small>Each check's precision from the verdicts</small></h2>
{_chart(doc)}
<h2>结论会改变的录像 <small>Recordings whose decision would change</small></h2>
<table><tr><th>运行 run</th><th>文件 file</th><th>现行 before</th><th>建议 after</th>
<th>复核结论 reviewer</th></tr>{_changed_rows(doc)}</table>
</body></html>
"""


def calibration(
    profile: Profile,
    samples: Sequence[Sample],
    settings: Settings | None = None,
    *,
    basis: str,
    since: str | None = None,
) -> tuple[Proposal, dict[str, Any]]:
    """Propose new values for ``profile`` from the stored ``samples`` (re-decided under it
    first) and the report on the proposal."""
    from dualrec_audit.calibrate.data import rebase
    from dualrec_audit.calibrate.propose import propose

    s = settings or Settings()
    based = rebase(samples, profile)
    proposal = propose(profile, based, s, basis=basis)
    return proposal, report_doc(profile, proposal, based, s, basis=basis, since=since)
