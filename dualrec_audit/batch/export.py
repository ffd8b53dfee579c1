"""Reports from the results store: decisions and findings as CSV and JSON, an HTML report per
recording and a daily summary.

Every value that reaches HTML is escaped; CSV cells that a spreadsheet would run as a formula
are quoted with a leading apostrophe; CSV files carry a UTF-8 byte-order mark so that Excel on
Chinese Windows opens them correctly. Days are local days (the machine's time zone).
"""

from __future__ import annotations

import base64
import csv
import html
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from dualrec_audit import __version__
from dualrec_audit.batch.report import fmt_span, fmt_time
from dualrec_audit.core.errors import DualrecError
from dualrec_audit.core.i18n import CHECK_NAMES, DECISIONS, DOCUMENT_STATUS
from dualrec_audit.core.result import AuditResult, Text
from dualrec_audit.rules.decision import explain
from dualrec_audit.store.database import Store
from dualrec_audit.store.records import RunSummary, StoredDecision, StoredFeedback
from dualrec_audit.workflow.watch import script_by_ear, watch_intervals, watch_seconds

log = logging.getLogger(__name__)

EXPORT_SCHEMA_VERSION = 1


def since_utc(since: str | None) -> str | None:
    """``--since`` (a local date YYYY-MM-DD or an ISO time) as the UTC ISO string runs are
    stored with."""
    if not since:
        return None
    try:
        if len(since) == 10:
            d = date.fromisoformat(since)
            local = datetime(d.year, d.month, d.day).astimezone()
        else:
            local = datetime.fromisoformat(since)
            if local.tzinfo is None:
                local = local.astimezone()
    except ValueError:
        raise DualrecError(
            f"--since {since!r}: use a date like 2026-11-21 (or an ISO time)", code="usage"
        ) from None
    return local.astimezone(UTC).isoformat(timespec="microseconds")


def local_time(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).astimezone()


@dataclass(frozen=True)
class Item:
    """A recording's latest run with its full result and the reviewers' decisions."""

    run: RunSummary
    result: AuditResult
    decisions: tuple[StoredDecision, ...] = ()
    # Reviewers' latest verdict per finding, keyed (source, ordinal): "rule" = the result's
    # findings, "event" = its events, numbered as in the result.
    verdicts: dict[tuple[str, int], StoredFeedback] = field(default_factory=dict)

    @property
    def day(self) -> str:
        return local_time(self.run.finished_at).date().isoformat()


def load_items(store: Store, since: str | None = None) -> list[Item]:
    by_recording: dict[int, list[StoredDecision]] = {}
    for d in store.decisions():
        by_recording.setdefault(d.recording_id, []).append(d)
    runs = store.runs(since_utc(since))
    results = store.results(r.run_id for r in runs)  # one query, not one per recording
    verdicts: dict[int, dict[tuple[str, int], StoredFeedback]] = {}
    for (run_id, source, ordinal), mark in store.finding_verdicts().items():
        verdicts.setdefault(run_id, {})[(source, ordinal)] = mark
    return [
        Item(
            r,
            results[r.run_id],
            tuple(by_recording.get(r.recording_id, ())),
            verdicts.get(r.run_id, {}),
        )
        for r in runs
    ]


# -- daily summary --------------------------------------------------------------------------


@dataclass
class DaySummary:
    day: str
    recordings: int = 0
    errors: int = 0
    seconds: float = 0.0
    approved_seconds: float = 0.0  # auto-approved
    flagged: int = 0
    watch_seconds: float = 0.0  # what reviewers must watch in flagged recordings
    script_by_ear: int = 0  # flagged recordings whose script must be checked by listening
    reasons: Counter[str] = field(default_factory=Counter)
    reason_text: dict[str, Text] = field(default_factory=dict)
    rerecord_causes: Counter[str] = field(default_factory=Counter)  # rules of failed mandatory

    def top_reasons(self, n: int = 5) -> list[tuple[str, int]]:
        """The ``n`` most frequent reasons, plus every cause of a re-record that day (never
        dropped, however rare), most frequent first."""
        top = self.reasons.most_common(n)
        shown = {k for k, _ in top}
        extra = [(k, self.reasons[k]) for k, _ in self.rerecord_causes.most_common()]
        return top + [(k, c) for k, c in extra if k not in shown]


def daily_summaries(items: Iterable[Item]) -> list[DaySummary]:
    days: dict[str, DaySummary] = {}
    for it in items:
        s = days.setdefault(it.day, DaySummary(it.day))
        s.recordings += 1
        r = it.result
        if r.error is not None:
            s.errors += 1
            s.reasons[f"error.{r.error.code}"] += 1
            s.reason_text.setdefault(f"error.{r.error.code}", Text(r.error.code, r.error.code))
            continue
        s.seconds += r.duration_s
        if r.decision == "approve":
            s.approved_seconds += r.duration_s
            continue
        s.flagged += 1
        s.watch_seconds += watch_seconds(r)
        s.script_by_ear += script_by_ear(r)
        for rule in {f.rule for f in r.findings}:
            s.reasons[rule] += 1
        if r.decision == "rerecord":
            s.rerecord_causes.update({f.rule for f in r.findings if f.mandatory})
        for f in r.findings:
            s.reason_text.setdefault(f.rule, f.reason)
    return [days[d] for d in sorted(days, reverse=True)]


# -- CSV ------------------------------------------------------------------------------------

DECISION_COLUMNS = (
    "run_id",
    "audited_at",
    "file",
    "path",
    "sha256",
    "branch",
    "teller",
    "customer_ref",
    "product",
    "profile",
    "duration_s",
    "decision",
    "score",
    "error_code",
    "error_message",
    "review_s",
    "script_by_ear",
    "review_verdict",
    "reviewer",
    "review_reason_code",
    "review_reason",
)
FINDING_COLUMNS = (
    "run_id",
    "file",
    "sha256",
    "source",
    "check",
    "party",
    "start",
    "end",
    "span",
    "severity",
    "mandatory",
    "deduction",
    "message",
    "finding_verdict",
    "verdict_note",
    "verdict_by",
    "verdict_at",
)


def _verdict(it: Item, source: str, ordinal: int) -> dict[str, Any]:
    """A reviewer's verdict on a finding: real (confirmed) or false_alarm, note, who, when."""
    mark = it.verdicts.get((source, ordinal))
    if mark is None:
        return {
            "finding_verdict": None,
            "verdict_note": None,
            "verdict_by": None,
            "verdict_at": None,
        }
    return {
        "finding_verdict": "real" if mark.label == "confirmed" else mark.label,
        "verdict_note": mark.note,
        "verdict_by": mark.reviewer,
        "verdict_at": local_time(mark.created_at).isoformat(timespec="seconds"),
    }


def _cell(value: Any) -> Any:
    """Defuse spreadsheet formulas: text starting with = + - @ (or tab/CR) gets an apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def decision_row(it: Item) -> dict[str, Any]:
    r, res = it.run, it.result
    last = it.decisions[-1] if it.decisions else None
    return {
        "run_id": r.run_id,
        "audited_at": local_time(r.finished_at).isoformat(timespec="seconds"),
        "file": r.name,
        "path": r.path,
        "sha256": r.sha256,
        "branch": r.meta.branch,
        "teller": r.meta.teller,
        "customer_ref": r.meta.customer_ref,
        "product": r.meta.product,
        "profile": r.profile_id,
        "duration_s": round(r.duration_s, 1),
        "decision": r.decision,
        "score": round(r.score, 1),
        "error_code": r.error_code,
        "error_message": r.error_message,
        "review_s": round(watch_seconds(res), 1) if res.error is None else None,
        "script_by_ear": script_by_ear(res),
        "review_verdict": last.verdict if last else None,
        "reviewer": last.reviewer if last else None,
        "review_reason_code": last.reason_code if last else None,
        "review_reason": last.reason_text if last else None,
    }


def finding_rows(it: Item, lang: str) -> list[dict[str, Any]]:
    r, res = it.run, it.result
    base = {"run_id": r.run_id, "file": r.name, "sha256": r.sha256}
    rows = []
    for i, f in enumerate(res.findings):
        rows.append(
            {
                **base,
                "source": "rule",
                "check": f.rule,
                "party": (f.evidence or {}).get("party"),
                "start": round(f.start, 2),
                "end": round(f.end, 2),
                "span": fmt_span(f.start, f.end),
                "severity": f.severity,
                "mandatory": f.mandatory,
                "deduction": round(f.deduction, 1),
                "message": f.reason.get(lang),
                **_verdict(it, "rule", i),
            }
        )
    for i, e in enumerate(res.events):
        rows.append(
            {
                **base,
                "source": "event",
                "check": e.check,
                "party": e.party,
                "start": round(e.start, 2),
                "end": round(e.end, 2),
                "span": fmt_span(e.start, e.end),
                "severity": e.severity,
                "mandatory": None,
                "deduction": None,
                "message": e.message.get(lang),
                **_verdict(it, "event", i),
            }
        )
    return rows


def _write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(columns))
        w.writeheader()
        for row in rows:
            w.writerow({k: _cell(v) for k, v in row.items()})


def write_csv(items: Sequence[Item], out_dir: Path, lang: str = "zh") -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    decisions, findings = out_dir / "decisions.csv", out_dir / "findings.csv"
    _write_csv(decisions, DECISION_COLUMNS, (decision_row(it) for it in items))
    _write_csv(findings, FINDING_COLUMNS, (row for it in items for row in finding_rows(it, lang)))
    return [decisions, findings]


# -- JSON -----------------------------------------------------------------------------------


def export_json(
    items: Sequence[Item], since: str | None = None, head: tuple[int, str] | None = None
) -> dict[str, Any]:
    """The export document. ``head``: the event log's newest entry when exported
    (``chain_head``), which ``db verify --anchor EXPORT.json`` later compares."""
    return {
        "schema_version": EXPORT_SCHEMA_VERSION,
        "tool_version": __version__,
        "exported_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "since": since,
        "chain_head": None if head is None else {"seq": head[0], "hash": head[1]},
        "recordings": [
            {
                **decision_row(it),
                "findings": [
                    {**f.to_dict(), **_verdict(it, "rule", i)}
                    for i, f in enumerate(it.result.findings)
                ],
                "events": [
                    {**e.to_dict(), **_verdict(it, "event", i)}
                    for i, e in enumerate(it.result.events)
                ],
                "watch": [[round(a, 2), round(b, 2)] for a, b in watch_intervals(it.result)],
                "review_decisions": [
                    {
                        "reviewer": d.reviewer,
                        "verdict": d.verdict,
                        "reason_code": d.reason_code,
                        "reason_text": d.reason_text,
                        "at": d.created_at,
                        "role": d.role,
                        "change_reason": d.change_reason,
                        "unwatched_reason": d.unwatched_reason,
                        "four_eyes": d.four_eyes,
                        "appeal_id": d.appeal_id,
                    }
                    for d in it.decisions
                ],
            }
            for it in items
        ],
        "days": [
            {
                "day": s.day,
                "recordings": s.recordings,
                "errors": s.errors,
                "minutes_audited": round(s.seconds / 60, 2),
                "minutes_auto_approved": round(s.approved_seconds / 60, 2),
                "minutes_to_watch": round(s.watch_seconds / 60, 2),
                "script_by_ear": s.script_by_ear,
                "top_reasons": s.top_reasons(),
            }
            for s in daily_summaries(items)
        ],
    }


# -- HTML -----------------------------------------------------------------------------------

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
    path = Path(r.path)
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
    body.append(f"<h2>{_e(g('findings'))} ({len(rows)})</h2>")
    body.append(
        _table([g("time"), g("severity"), g("reason"), g("picture")], rows)
        if rows
        else f"<p>{_e(g('none'))}</p>"
    )
    if res.stages:
        body.append(f"<h2>{_e(g('stages'))}</h2>")
        body.append(
            _table(
                [g("stages"), g("time"), ""],
                (
                    (
                        _e(st.name.get(lang)),
                        _e("" if st.start is None else fmt_span(st.start, st.end or st.start)),
                        f'<span class="{_e(st.status)}">'
                        f"{_e(_STAGE_STATUS[st.status].get(lang))}</span>",
                    )
                    for st in res.stages
                ),
            )
        )
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
