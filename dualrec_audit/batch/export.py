"""Exports from the results store: the recordings' latest runs (items), daily summaries, and
decisions and findings as CSV and JSON rows. The HTML report is in ``batch.export_html``.

CSV cells that a spreadsheet would run as a formula are quoted with a leading apostrophe; CSV
files carry a UTF-8 byte-order mark so that Excel on Chinese Windows opens them correctly. Days
are local days (the machine's time zone).
"""

from __future__ import annotations

import csv
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from dualrec_audit import __version__
from dualrec_audit.batch.report import fmt_span
from dualrec_audit.core.errors import DualrecError
from dualrec_audit.core.result import AuditResult, Text
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
    # Each finding's database id (what `review mark --finding` takes), keyed the same way.
    finding_ids: dict[tuple[str, int], int] = field(default_factory=dict)

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
    ids: dict[int, dict[tuple[str, int], int]] = {}
    for (run_id, source, ordinal), fid in store.finding_ids().items():
        ids.setdefault(run_id, {})[(source, ordinal)] = fid
    return [
        Item(
            r,
            results[r.run_id],
            tuple(by_recording.get(r.recording_id, ())),
            verdicts.get(r.run_id, {}),
            ids.get(r.run_id, {}),
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
                    {
                        "finding_id": it.finding_ids.get(("rule", i)),
                        **f.to_dict(),
                        **_verdict(it, "rule", i),
                    }
                    for i, f in enumerate(it.result.findings)
                ],
                "events": [
                    {
                        "finding_id": it.finding_ids.get(("event", i)),
                        **e.to_dict(),
                        **_verdict(it, "event", i),
                    }
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
