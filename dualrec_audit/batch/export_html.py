"""The HTML export: a report page per recording and an index page with the daily summary and
the list of recordings, built from the items of ``batch.export``.

Every value that reaches HTML is escaped (``_e``); pictures of the findings are embedded as
JPEG thumbnails.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from dualrec_audit.batch.export import DaySummary, Item, daily_summaries, local_time
from dualrec_audit.batch.report import fmt_span, fmt_time
from dualrec_audit.core.i18n import CHECK_NAMES, DECISIONS, DOCUMENT_STATUS
from dualrec_audit.core.result import AuditResult, Text
from dualrec_audit.rules.decision import explain
from dualrec_audit.workflow.watch import script_by_ear, watch_seconds

_L = {
    "title": Text("双录审核报告", "Dual-recording audit report"),
    "summary": Text("每日汇总", "Daily summary"),
    "day": Text("日期", "Day"),
    "recordings": Text("录像数", "Recordings"),
    "minutes": Text("审核分钟", "Minutes audited"),
    "approved": Text("自动通过分钟", "Minutes auto-approved"),
    "watch": Text("需人工观看分钟", "Minutes to watch"),
    "by_ear": Text("需人工听话术（条）", "Script to check by ear"),
    "errors": Text("无法审核", "Could not audit"),
    "reasons": Text("主要原因（含全部重录原因）", "Top reasons (every re-record cause)"),
    "why": Text("理由", "Why"),
    "list": Text("录像", "Recordings"),
    "file": Text("文件", "File"),
    "decision": Text("结论", "Decision"),
    "score": Text("得分", "Score"),
    "findings": Text("问题", "Findings"),
    "time": Text("时间", "Time"),
    "severity": Text("严重程度", "Severity"),
    "reason": Text("原因", "Reason"),
    "picture": Text("画面", "Picture"),
    "stages": Text("话术环节", "Script stages"),
    "documents": Text("出示文件", "Documents shown"),
    "text_read": Text("识别文字", "Text read"),
    "transcript": Text("转写", "Transcript"),
    "review": Text("人工复核", "Reviews"),
    "none": Text("无", "None"),
    "no_picture": Text("（录像文件不可用）", "(video file not available)"),
    "no_transcript": Text("没有转写", "No transcript"),
    "meta": Text("录像信息", "Recording"),
    "by_ear_note": Text(
        "话术未经可信的语音识别核对：请人工收听必讲话术。",
        "The script was not checked by a trusted speech model: listen for the required phrases.",
    ),
}

_STAGE_STATUS = {
    "found": Text("已讲", "heard"),
    "uncertain": Text("待确认", "uncertain"),
    "missing": Text("缺失", "missing"),
    "not_verified": Text("未核对", "not verified"),
}

_SEVERITY = {
    "low": Text("低", "low"),
    "medium": Text("中", "medium"),
    "high": Text("高", "high"),
}

_CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;
vertical-align:top;text-align:left}th{background:#f3f3f3}.approve{color:#1a7f37}
.review{color:#9a6700}.rerecord,.error,.missing,.high{color:#cf222e}.found{color:#1a7f37}
.not_verified,.uncertain{color:#9a6700}img{width:200px}.note{background:#fff8c5;padding:6px}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _page(title: str, body: str, lang: str) -> str:
    code = "en" if lang == "en" else "zh-CN"
    return (
        f'<!DOCTYPE html>\n<html lang="{code}"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>\n{body}\n</body></html>\n"
    )


def _table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table; ``head`` is plain text (escaped here), ``rows`` hold already-escaped HTML."""
    out = ["<table><tr>", *(f"<th>{_e(h)}</th>" for h in head), "</tr>"]
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _decision(d: str, lang: str) -> str:
    return f'<span class="{_e(d)}">{_e(DECISIONS[d].get(lang) if d in DECISIONS else d)}</span>'


def _thumb(path: Path, t: float, lang: str) -> str:
    from dualrec_audit.media.frames import thumbnail_jpeg

    jpeg = thumbnail_jpeg(path, t) if path.is_file() else None
    if jpeg is None:
        return _e(_L["no_picture"].get(lang))
    data = base64.b64encode(jpeg).decode("ascii")
    return f'<img alt="{_e(fmt_time(t))}" src="data:image/jpeg;base64,{data}">'


def _documents_table(res: AuditResult, lang: str) -> str:
    """The profile's documents: status, time and the text read (ID numbers already masked)."""

    def g(key: str) -> str:
        return _L[key].get(lang)

    return _table(
        [g("documents"), g("time"), "", g("text_read")],
        (
            (
                _e(d.name.get(lang)),
                _e("" if d.start is None else fmt_span(d.start, d.end or d.start)),
                f'<span class="{_e(d.status)}">{_e(DOCUMENT_STATUS[d.status].get(lang))}</span>',
                _e(d.text or ""),
            )
            for d in res.documents
        ),
    )


def _findings_section(res: AuditResult, path: Path, lang: str) -> list[str]:
    """The findings' heading and table (time, severity, reason, a picture from ``path``)."""

    def g(key: str) -> str:
        return _L[key].get(lang)

    rows = []
    for f in sorted(res.findings, key=lambda f: (f.start, f.rule)):
        rows.append(
            (
                _e(fmt_span(f.start, f.end)),
                f'<span class="{_e(f.severity)}">{_e(_SEVERITY[f.severity].get(lang))}</span>',
                _e(("【必检】" if lang != "en" else "[mandatory] ") * f.mandatory)
                + _e(f.reason.get(lang)),
                _thumb(path, f.start, lang),
            )
        )
    return [
        f"<h2>{_e(g('findings'))} ({len(rows)})</h2>",
        _table([g("time"), g("severity"), g("reason"), g("picture")], rows)
        if rows
        else f"<p>{_e(g('none'))}</p>",
    ]


def _stages_table(res: AuditResult, lang: str) -> str:
    """The profile's script stages: name, time and whether each was heard."""

    def g(key: str) -> str:
        return _L[key].get(lang)

    return _table(
        [g("stages"), g("time"), ""],
        (
            (
                _e(st.name.get(lang)),
                _e("" if st.start is None else fmt_span(st.start, st.end or st.start)),
                f'<span class="{_e(st.status)}">{_e(_STAGE_STATUS[st.status].get(lang))}</span>',
            )
            for st in res.stages
        ),
    )


def recording_html(it: Item, lang: str = "zh") -> str:
    g = lambda key: _L[key].get(lang)  # noqa: E731 - a short label getter
    r, res = it.run, it.result
    meta_rows = [
        (g("file"), r.name),
        ("sha256", r.sha256),
        ("branch / 网点", r.meta.branch),
        ("teller / 柜员", r.meta.teller),
        ("customer / 客户", r.meta.customer_ref),
        ("product / 产品", r.meta.product),
        ("profile / 业务", r.profile_id),
        ("duration / 时长", fmt_time(r.duration_s)),
        (g("score"), f"{r.score:.0f}"),  # ranks the queue only
    ]
    body = [f"<h1>{_e(g('title'))}: {_e(r.name)}</h1>"]
    body.append(f"<p>{_e(g('decision'))}: {_decision(r.decision, lang)}</p>")
    if res.error is None and res.profile is not None:
        why = explain(res.decision, res.findings, res.duration_s).get(lang)
        body.append(f'<p class="why">{_e(g("why"))}: {_e(why)}</p>')
    if res.error is not None:
        body.append(f'<p class="error">{_e(res.error.message)} [{_e(res.error.code)}]</p>')
    body.append(f"<h2>{_e(g('meta'))}</h2>")
    body.append(_table(["", ""], ((_e(k), _e(v)) for k, v in meta_rows)))
    if script_by_ear(res):
        body.append(f'<p class="note">{_e(g("by_ear_note"))}</p>')
    body += _findings_section(res, Path(r.path), lang)
    if res.stages:
        body.append(f"<h2>{_e(g('stages'))}</h2>")
        body.append(_stages_table(res, lang))
    if res.documents:
        body.append(f"<h2>{_e(g('documents'))}</h2>")
        body.append(_documents_table(res, lang))
    body.append(f"<h2>{_e(g('transcript'))}</h2>")
    if res.transcript:
        text = "".join(
            f'<span title="{_e(fmt_time(w.start))}">{_e(w.text)}</span>' for w in res.transcript
        )
        body.append(f"<p>{text}</p>")
    else:
        reason = res.checks.get("transcript")
        why = reason.reason.get(lang) if reason is not None and reason.reason else ""
        body.append(f"<p>{_e(g('no_transcript'))}{': ' if why else ''}{_e(why)}</p>")
    if it.decisions:
        body.append(f"<h2>{_e(g('review'))}</h2>")
        body.append(
            _table(
                ["reviewer", "verdict", "reason", "time"],
                (
                    (
                        _e(d.reviewer),
                        _e(d.verdict),
                        _e(" ".join(x for x in (d.reason_code, d.reason_text) if x)),
                        _e(local_time(d.created_at).isoformat(timespec="seconds")),
                    )
                    for d in it.decisions
                ),
            )
        )
    return _page(f"{g('title')}: {r.name}", "\n".join(body), lang)


def _reason_label(s: DaySummary, key: str, lang: str) -> str:
    if key in s.reason_text:
        return s.reason_text[key].get(lang)
    check = key.split(".", 1)[-1]
    return CHECK_NAMES[check].get(lang) if check in CHECK_NAMES else key


def index_html(items: Sequence[Item], lang: str = "zh", since: str | None = None) -> str:
    g = lambda key: _L[key].get(lang)  # noqa: E731 - a short label getter
    body = [f"<h1>{_e(g('title'))}</h1>"]
    if since:
        body.append(f"<p>since {_e(since)}</p>")
    body.append(f"<h2>{_e(g('summary'))}</h2>")
    days = daily_summaries(items)
    body.append(
        _table(
            [
                g("day"),
                g("recordings"),
                g("minutes"),
                g("approved"),
                g("watch"),
                g("by_ear"),
                g("errors"),
                g("reasons"),
            ],
            (
                (
                    _e(s.day),
                    _e(s.recordings),
                    _e(f"{s.seconds / 60:.1f}"),
                    _e(f"{s.approved_seconds / 60:.1f}"),
                    _e(f"{s.watch_seconds / 60:.1f}"),
                    _e(s.script_by_ear),
                    _e(s.errors),
                    "<br>".join(
                        f"{_e(_reason_label(s, k, lang))} × {n}" for k, n in s.top_reasons()
                    ),
                )
                for s in days
            ),
        )
    )
    body.append(f"<h2>{_e(g('list'))}</h2>")
    body.append(
        _table(
            [g("file"), "branch / 网点", "teller / 柜员", g("decision"), g("score"), g("watch")],
            (
                (
                    f'<a href="{_e(report_name(it))}">{_e(it.run.name)}</a>',
                    _e(it.run.meta.branch),
                    _e(it.run.meta.teller),
                    _decision(it.run.decision, lang),
                    _e(f"{it.run.score:.0f}"),
                    _e(fmt_time(watch_seconds(it.result)) if it.result.error is None else ""),
                )
                for it in items
            ),
        )
    )
    return _page(g("title"), "\n".join(body), lang)


def report_name(it: Item) -> str:
    return f"recording-{it.run.run_id}.html"


def write_html(
    items: Sequence[Item], out_dir: Path, lang: str = "zh", since: str | None = None
) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for it in items:
        p = out_dir / report_name(it)
        p.write_text(recording_html(it, lang), encoding="utf-8")
        written.append(p)
    index = out_dir / "index.html"
    index.write_text(index_html(items, lang, since), encoding="utf-8")
    return [index, *written]
