"""`dualrec-audit export`: CSV and JSON decisions and findings, HTML reports with thumbnails
and a daily summary, everything escaped; from a store holding the audited samples."""

from __future__ import annotations

import base64
import csv
import json
import re
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from dualrec_audit.batch.export import daily_summaries, load_items, since_utc
from dualrec_audit.batch.export_html import recording_html
from dualrec_audit.cli import main
from dualrec_audit.store.database import Store
from dualrec_audit.store.keys import run_key
from dualrec_audit.store.records import RecordingMeta
from dualrec_audit.workflow.watch import watch_seconds

EVIL = '<script>alert("x")</script>'


def fill(url: str, sample_results) -> dict[str, int]:
    """Store every audited sample; the chin-cut one with hostile metadata and a review."""
    ids = {}
    with Store(url, create=True) as store:
        for name, r in sample_results.items():
            st = Path(r.file).stat()
            meta = RecordingMeta(branch="上海分行", teller="T001")
            if name == "customer_chin_cut.mp4":
                meta = RecordingMeta(branch=EVIL, teller='=HYPERLINK("http://x")')
            ids[name], _ = store.record_run(
                r,
                key=run_key(r.sha256, "p", r.models, {}),
                sha256=r.sha256,
                size=st.st_size,
                mtime_ns=st.st_mtime_ns,
                profile_digest="p",
                started_at="2026-11-21T00:00:00+00:00",
                meta=meta,
            )
        store.add_decision(ids["customer_chin_cut.mp4"], "王审核", "rerecord", "face_cut", EVIL)
    return ids


@pytest.fixture
def filled(tmp_path, sample_results):
    url = f"sqlite:///{tmp_path / 'export.db'}"
    return url, fill(url, sample_results)


def test_json_export_and_daily_summary(db_url, sample_results, capsys):
    fill(db_url, sample_results)
    assert main(["export", "--db", db_url, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema_version"] == 1
    recs = {r["file"]: r for r in doc["recordings"]}
    assert set(recs) == set(sample_results)
    chin = recs["customer_chin_cut.mp4"]
    assert chin["decision"] == sample_results["customer_chin_cut.mp4"].decision
    assert [d["verdict"] for d in chin["review_decisions"]] == ["rerecord"]
    assert any(f["rule"].endswith("face_cut") for f in chin["findings"])
    assert chin["watch"] and chin["watch"][0][0] == pytest.approx(6.0, abs=0.2)  # 8 s - 2 s
    [day] = doc["days"]
    assert day["recordings"] == 6
    assert day["minutes_audited"] == pytest.approx(2.0, abs=0.01)
    # The bundled script model verifies every script: the clean sample (20 s) is approved and
    # no script is left to be checked by ear.
    assert day["minutes_auto_approved"] == pytest.approx(20 / 60, abs=0.01)
    assert day["script_by_ear"] == 0
    expected = sum(watch_seconds(r) for r in sample_results.values()) / 60
    assert day["minutes_to_watch"] == pytest.approx(expected, abs=0.01)
    assert 0 < day["minutes_to_watch"] < day["minutes_audited"]
    top = dict((k, n) for k, n in day["top_reasons"])
    assert top.get("not_evaluable.script") is None
    assert top.get("event.face_cut") == 1 and top.get("event.frozen") == 1  # re-record causes


def test_csv_export_has_one_row_per_recording_and_defuses_formulas(
    filled, tmp_path, sample_results
):
    url, _ids = filled
    out = tmp_path / "csv"
    assert main(["export", "--db", url, "--format", "csv", "--out", str(out)]) == 0
    raw = (out / "decisions.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    rows = list(csv.DictReader((out / "decisions.csv").open(encoding="utf-8-sig")))
    assert len(rows) == 6
    chin = next(r for r in rows if r["file"] == "customer_chin_cut.mp4")
    assert chin["teller"] == '\'=HYPERLINK("http://x")'  # not a live formula
    assert chin["review_verdict"] == "rerecord" and chin["reviewer"] == "王审核"
    findings = list(csv.DictReader((out / "findings.csv").open(encoding="utf-8-sig")))
    r = sample_results["customer_chin_cut.mp4"]
    mine = [f for f in findings if f["file"] == "customer_chin_cut.mp4"]
    assert len(mine) == len(r.findings) + len(r.events)
    cut = next(f for f in mine if f["source"] == "event" and f["check"] == "face_cut")
    assert (cut["party"], cut["span"]) == ("customer", "00:08–00:14")
    assert cut["message"] == "客户下巴超出画面"


def test_html_reports_escape_everything_and_show_a_thumbnail_per_finding(filled, tmp_path):
    url, ids = filled
    out = tmp_path / "html"
    assert main(["export", "--db", url, "--format", "html", "--out", str(out)]) == 0
    index = (out / "index.html").read_text(encoding="utf-8")
    page = (out / f"recording-{ids['customer_chin_cut.mp4']}.html").read_text(encoding="utf-8")
    for html in (index, page):
        assert "<script" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert 'href="recording-' in index and "每日汇总" in index
    # A thumbnail of the real picture at each finding with a time range.
    imgs = re.findall(r'<img alt="([0-9:]+)" src="data:image/jpeg;base64,([^"]+)"', page)
    data = next(b for alt, b in imgs if alt == "00:08")  # the chin cut starts at 8 s
    img = cv2.imdecode(np.frombuffer(base64.b64decode(data), np.uint8), cv2.IMREAD_COLOR)
    assert img is not None and img.shape[1] == 240 and img.std() > 5
    assert "话术环节" in page and "客户下巴超出画面" in page
    assert "没有转写" not in page  # the script model's syllables are the transcript
    assert "王审核" in page


def test_html_report_in_english_without_the_video_file(filled, sample_results):
    url, _ids = filled
    with Store(url) as store:
        [item] = [it for it in load_items(store) if it.run.name == "dark_segment.mp4"]
    moved = replace(item, run=replace(item.run, path="/nonexistent/dark_segment.mp4"))
    page = recording_html(moved, "en")
    assert '<html lang="en">' in page and "Findings" in page
    assert "(video file not available)" in page and "data:image" not in page


def test_since_filters_by_local_day(filled, capsys):
    url, _ = filled
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert main(["export", "--db", url, "--format", "json", "--since", tomorrow]) == 0
    assert json.loads(capsys.readouterr().out)["recordings"] == []
    today = date.today().isoformat()
    assert main(["export", "--db", url, "--format", "json", "--since", today]) == 0
    assert len(json.loads(capsys.readouterr().out)["recordings"]) == 6
    assert main(["export", "--db", url, "--since", "21/11/2026"]) == 2
    assert "use a date like" in capsys.readouterr().err
    assert since_utc(None) is None


def test_daily_summary_counts_errors_apart(filled, sample_results):
    from dualrec_audit.core.result import AuditError

    url, _ = filled
    with Store(url) as store:
        items = load_items(store)
    broken = replace(items[0], result=replace(items[0].result, error=AuditError("corrupt", "x")))
    [day] = daily_summaries([broken, *items[1:]])
    assert day.recordings == 6 and day.errors == 1
    assert day.seconds == pytest.approx(100.0, abs=0.5)


def test_top_reasons_never_drop_a_cause_of_a_re_record():
    """Six frequent review reasons and one rare re-record cause: the cause is still listed."""
    from types import SimpleNamespace

    from dualrec_audit.core.result import AuditResult, Finding, Text

    def item(decision: str, findings: list[Finding]) -> SimpleNamespace:
        r = AuditResult("r.mp4", "t", "0", 60.0, decision, 50.0, findings=tuple(findings))
        return SimpleNamespace(day="2026-11-21", result=r)

    t = Text("x", "x")
    frequent = [Finding(f"event.kind{k}", 1, 2, "medium", t) for k in range(6)]
    frozen = Finding("event.frozen", 5, 15, "high", t, mandatory=True)
    items = [item("review", frequent) for _ in range(5)] + [item("rerecord", [frozen])]
    [day] = daily_summaries(items)
    top = [k for k, _ in day.top_reasons()]
    assert len(top) == 6 and set(top[:5]) < {f.rule for f in frequent}  # five most frequent
    assert top[5:] == ["event.frozen"]  # plus the rare cause of the re-record


def test_export_out_an_existing_folder_or_file_is_handled_without_a_traceback(
    filled, tmp_path, capsys
):
    url, _ = filled
    folder = tmp_path / "exports"
    folder.mkdir()
    # JSON into an existing folder: the file goes in it (with the chain head for `db verify`).
    assert main(["export", "--db", url, "--format", "json", "--out", str(folder)]) == 0
    doc = json.loads((folder / "dualrec-export.json").read_text(encoding="utf-8"))
    assert len(doc["recordings"]) == 6 and doc["chain_head"]["seq"] > 0
    assert main(["db", "verify", "--db", url, "--anchor", str(folder / "dualrec-export.json")]) == 0
    capsys.readouterr()
    # HTML or CSV onto an existing file: a usage error naming it, the file left alone.
    existing = tmp_path / "report.html"
    existing.write_text("keep me", encoding="utf-8")
    for fmt in ("html", "csv"):
        assert main(["export", "--db", url, "--format", fmt, "--out", str(existing)]) == 2
        assert "is a file" in capsys.readouterr().err
    assert existing.read_text(encoding="utf-8") == "keep me"
    # A folder that cannot be written: a clear error, not a traceback.
    locked = tmp_path / "locked" / "sub"
    (tmp_path / "locked").write_text("a file where a folder should be", encoding="utf-8")
    assert main(["export", "--db", url, "--format", "csv", "--out", str(locked)]) == 2
    assert "cannot write" in capsys.readouterr().err
