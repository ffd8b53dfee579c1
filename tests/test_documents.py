"""Documents shown on camera (issue 19): pages and an ID card held up in two-party composites
built at test time from the shared media (``sample_videos/build_documents.py``), read with
rapidocr's bundled models; profile document stages, layer-2 findings, ID numbers masked in
every output."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from dualrec_audit.checks.documents import DocumentsCheck, DocumentSpec, merge_boxes, title_score
from dualrec_audit.core.i18n import advice_for
from dualrec_audit.core.result import AuditResult, CheckResult
from dualrec_audit.review.precheck import precheck
from dualrec_audit.rules.decide import decide
from dualrec_audit.rules.documents import document_findings
from dualrec_audit.rules.profiles import builtin_profiles, parse_profile
from dualrec_audit.vision.ocr import find_id_number, mask_id_numbers
from tests.conftest import ROOT, media, sample, sample_names, unavailable

sys.path.insert(0, str(ROOT / "sample_videos"))
import build_documents as bd

# A test profile: the high-risk sale's 风险揭示书, plus the customer's ID card.
ID_CARD_STAGE = """
[[documents]]
id = "customer_id"
name = { zh = "客户出示身份证", en = "Customer shows the ID card" }
titles = ["居民身份证"]
kind = "id_card"
party = "customer"
min_seconds = 2
"""
TOLERANCE_S = 1.0
# Cost (counts, not timings): regions read (line detection) and lines recognised per paper
# shown. A paper stays up 5-6 s, about 11 samples, so reading it on every sample or every
# 1-2 s (about 7 runs of 5 lines per showing, the first version) exceeds these.
RUNS_PER_SHOWING = 3
LINES_PER_SHOWING = 2


@pytest.fixture(scope="session")
def profiles_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("profiles")
    text = (ROOT / "dualrec_audit/profiles/high_risk_product.toml").read_text(encoding="utf-8")
    text = text.replace('id = "high_risk_product"', 'id = "docs_test"') + ID_CARD_STAGE
    (folder / "docs_test.toml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def composites(tmp_path_factory) -> tuple[Path, dict]:
    """The composites of ``build_documents.COMPOSITES`` and their ground truth."""
    src = media("video/grid_bbaf2n.mpg").parent.parent
    for rel in ("video/grid_lbax4n.mpg", "images/facerec_obama.jpg"):
        media(rel)
    try:
        bd.find_cjk_font()
    except FileNotFoundError as exc:
        unavailable(str(exc))
    out = tmp_path_factory.mktemp("documents")
    return out, bd.build(src, out)


@pytest.fixture(scope="session")
def doc_pipeline(isolated_models_env, profiles_dir):
    from dualrec_audit.audit.pipeline import AuditOptions, AuditPipeline

    return AuditPipeline(
        AuditOptions(asr_model="none", profile="docs_test", profiles_dir=str(profiles_dir))
    )


@pytest.fixture(scope="session")
def audited(composites, doc_pipeline) -> dict[str, AuditResult]:
    """docs_risk / docs_blurred / docs_none under docs_test, docs_notice under bank_insurance."""
    folder, _ = composites
    out = {}
    for name in ("docs_risk.mp4", "docs_blurred.mp4", "docs_none.mp4", "docs_notice.mp4"):
        prof = "bank_insurance" if name == "docs_notice.mp4" else None
        out[name] = doc_pipeline.apply(folder / name, profile=prof)
    return out


# -- personal data, matching ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text, masked",
    [
        ("公民身份号码 110105199003078879", "公民身份号码 110*************79"),
        ("身份号码11010519900307806X。", "身份号码110*************6X。"),
        ("号码 1101 0519 9003 0780 6x", "号码 110*************6x"),
        ("旧证 110105900307123", "旧证 110**********23"),
        ("电话 13812345678，日期 2026年11月21日", "电话 13812345678，日期 2026年11月21日"),
    ],
)
def test_id_numbers_are_masked_keeping_three_and_two(text, masked):
    assert mask_id_numbers(text) == masked
    if masked != text:
        assert find_id_number(text) == masked.split()[-1].strip("。身份号码")


def test_title_matching_tolerates_one_misread_character_but_not_body_text():
    assert title_score("风险揭示书", "风险揭示书") == 100
    assert title_score("风险揭示书", "《风险揭示书》") == 100
    assert title_score("风险揭示书", "风险揭示节") >= 80
    assert title_score("风险揭示书", "请您仔细阅读本揭示书的全部内容。") < 80
    assert title_score("投保提示书", "风险揭示书") < 80


# -- profiles and layer 2 ------------------------------------------------------------------


def test_builtin_profiles_ask_for_their_documents_with_rules():
    p = builtin_profiles()
    assert [d.titles[0] for d in p["high_risk_product"].documents] == ["风险揭示书"]
    assert [d.titles[0] for d in p["bank_insurance"].documents] == ["投保提示书"]
    for pid in ("high_risk_product", "bank_insurance"):
        assert p[pid].mandatory.required_documents
        assert p[pid].deduction("document_missing") > p[pid].deduction("document_illegible") > 0
    assert p["fund_sale"].documents == ()


@pytest.mark.parametrize(
    "snippet, key",
    [
        (
            '[[documents]]\nid = "a"\nname = {zh = "甲", en = "A"}\ntitles = []',
            "documents.0.titles",
        ),
        (
            '[[documents]]\nid = "a"\nname = {zh = "甲", en = "A"}\ntitles = ["x"]\ncolour = 1',
            "documents.0.colour",
        ),
        (
            '[[documents]]\nid = "a"\nname = {zh = "甲", en = "A"}\ntitles = ["x"]\nkind = "fax"',
            "documents.0.kind",
        ),
    ],
)
def test_bad_document_stages_name_the_key(snippet, key):
    from dualrec_audit.core.errors import ConfigError

    head = textwrap.dedent(
        """
        id = "t"
        name = { zh = "测试", en = "Test" }
        basis = ["x"]
        [[stages]]
        id = "s"
        name = { zh = "环节", en = "Stage" }
        phrases = [{ text = "风险" }]
        """
    )
    with pytest.raises(ConfigError) as err:
        parse_profile(head + snippet, "t.toml")
    assert key in err.value.message


def _result_with(documents: list[dict] | None, status: str = "ok") -> AuditResult:
    checks = {"documents": CheckResult("documents", status, details={"documents": documents or []})}
    return AuditResult("x.mp4", "0", "0" * 64, 200.0, "review", 50.0, checks=checks)


def test_layer_two_document_findings():
    prof = builtin_profiles()["high_risk_product"]
    shown = {
        "id": "risk_disclosure",
        "status": "shown",
        "start": 4.0,
        "end": 10.0,
        "seconds": 6.0,
        "text": "风险揭示书",
    }
    docs, findings = document_findings(_result_with([shown]), prof)
    assert docs[0].status == "shown" and docs[0].text == "风险揭示书" and not findings

    missing = {"id": "risk_disclosure", "status": "not_shown"}
    docs, findings = document_findings(_result_with([missing]), prof)
    (f,) = findings
    assert (f.rule, f.mandatory, f.severity) == ("document.risk_disclosure", True, "high")
    assert f.deduction == prof.deduction("document_missing")
    assert "风险揭示书" in f.reason.zh

    brief = {
        "id": "risk_disclosure",
        "status": "illegible",
        "reason": "too_short",
        "start": 5.0,
        "end": 6.5,
        "seconds": 1.5,
        "text": "风险揭示书",
    }
    (f,) = document_findings(_result_with([brief]), prof)[1]
    assert (f.start, f.end, f.mandatory, f.severity) == (5.0, 6.5, False, "medium")
    assert "过短" in f.reason.zh

    docs, findings = document_findings(_result_with(None, "unavailable"), prof)
    assert docs[0].status == "not_verified" and not findings


def test_decide_counts_a_document_once_and_never_approves_without_ocr():
    prof = builtin_profiles()["high_risk_product"]
    from dualrec_audit.checks.documents import _events

    spec = DocumentSpec("risk_disclosure", ("风险揭示书",))
    status = {"id": "risk_disclosure", "status": "not_shown"}
    base = _result_with([status])
    r = replace(base, events=tuple(_events(status, spec, 200.0)))
    rules = [f.rule for f in decide(r, prof).findings]
    assert rules.count("document.risk_disclosure") == 1
    assert "event.document_missing" not in rules
    v = decide(_result_with(None, "unavailable"), prof)
    assert "not_evaluable.documents" in [f.rule for f in v.findings]
    assert v.decision != "approve"


def test_precheck_tells_the_teller_which_document_and_how_long():
    prof = builtin_profiles()["high_risk_product"]
    missing = {"id": "risk_disclosure", "status": "not_shown"}
    _, (f,) = document_findings(_result_with([missing]), prof)
    advice = advice_for(f.rule, f.evidence)
    assert advice is not None
    assert advice.zh == "请将风险揭示书对准镜头 3 秒"
    assert advice.en == "Hold the 风险揭示书 to the camera for 3 s"
    r = replace(_result_with([missing]), findings=(f,), profile={"id": "high_risk_product"})
    (item,) = precheck(r).items
    assert item.advice == advice


# -- real media ----------------------------------------------------------------------------


def test_ocr_loads_offline_and_never_downloads(tmp_path):
    """In a fresh process whose sockets refuse to connect, the engine loads from the wheel's
    own model files and reads a rendered title."""
    try:
        font = bd.find_cjk_font()
    except FileNotFoundError as exc:
        unavailable(str(exc))
    code = textwrap.dedent(
        f"""
        import socket, sys
        def refuse(*a, **k):
            raise OSError("network access attempted")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        sys.path.insert(0, {str(ROOT / "sample_videos")!r})
        import build_documents as bd
        from dualrec_audit.vision import ocr
        from pathlib import Path
        page = bd.render_page("风险揭示书", bd.RISK_BODY, Path({str(font)!r}))
        quads = ocr.detect(page)
        lines = ocr.recognise(page, quads)
        print("|".join(l.text for l in lines))
        print(ocr.versions())
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600
    )
    assert out.returncode == 0, out.stderr
    assert "风险揭示书" in out.stdout
    assert "PP-OCRv6_det_small sha256:" in out.stdout


def test_every_shown_document_is_found_within_a_second_with_its_title(composites, audited):
    _, truth = composites
    checked = 0
    for name in ("docs_risk.mp4", "docs_notice.mp4"):
        r = audited[name]
        assert r.error is None
        docs = {d.titles[0]: d for d in r.documents}
        for paper in truth[name]["papers"]:
            d = docs[paper["title"]]
            assert d.status == "shown", (name, d)
            assert abs(d.start - paper["start"]) <= TOLERANCE_S, (name, d)
            assert abs(d.end - paper["end"]) <= TOLERANCE_S, (name, d)
            if paper["kind"] == "page":
                assert paper["title"] in (d.text or ""), d
            else:
                assert d.text and "*" in d.text and d.text.endswith(bd.FAKE_ID[-2:])
            checked += 1
        assert not [f for f in r.findings if f.rule.startswith("document.")]
        for key in ("rapidocr", "ocr_det", "ocr_rec"):
            assert key in r.models
    assert checked == 3


def test_an_unreadable_page_is_illegible_not_missing(audited):
    r = audited["docs_blurred.mp4"]
    risk = next(d for d in r.documents if d.id == "risk_disclosure")
    assert risk.status == "illegible" and risk.reason == "unreadable"
    assert 4.0 <= risk.start <= 6.0 and risk.end <= 11.0
    (f,) = [f for f in r.findings if f.rule == "document.risk_disclosure"]
    assert not f.mandatory
    illegible = [e for e in r.events if e.check == "document_illegible"]
    # The unread page could be either document the profile asks for: both are illegible there.
    assert sorted(e.details["document"] for e in illegible) == ["customer_id", "risk_disclosure"]
    assert not [e for e in r.events if e.check == "document_missing"]


def test_no_document_is_reported_on_a_composite_without_one(audited):
    r = audited["docs_none.mp4"]
    assert {d.id: d.status for d in r.documents} == {
        "risk_disclosure": "not_shown",
        "customer_id": "not_shown",
    }
    assert r.checks["documents"].details["ocr_runs"] == 0
    rules = {f.rule: f for f in r.findings}
    assert rules["document.risk_disclosure"].mandatory
    assert r.decision == "rerecord"


@pytest.mark.parametrize("name", ["docs_risk.mp4", "docs_notice.mp4", "docs_blurred.mp4"])
def test_ocr_runs_are_bounded_by_the_papers_shown(composites, audited, name):
    """A paper held up is read a few times per showing, not on every sample: a title read
    holds while the region's picture stays the same; a page that cannot be read is retried
    after 1 s, 2 s, 4 s; only the tallest line is recognised first."""
    _, truth = composites
    showings = len(truth[name]["papers"])
    d = audited[name].checks["documents"].details
    assert d["page_regions"] >= 8 * showings  # the paper was seen on many samples ...
    assert 1 <= d["ocr_runs"] <= RUNS_PER_SHOWING * showings  # ... and read on few of them
    if name == "docs_blurred.mp4":  # the whole page is read (issue 33), its blurred title
        assert d["ocr_lines"] <= LINES_PER_SHOWING * d["ocr_runs"]  # tried on each retry
    else:
        assert d["ocr_lines"] <= LINES_PER_SHOWING * showings


def test_blocks_of_one_paper_are_merged_and_papers_side_by_side_are_not():
    """A page's body and its signature line below it are one region, a card's blocks too; a
    page and a card held up side by side (their margins overlapping) stay two regions."""
    body, signature, card = (477, 200, 548, 288), (511, 491, 229, 72), (921, 419, 358, 301)
    assert merge_boxes([body, signature], gap=25) == [(477, 200, 548, 363)]
    assert merge_boxes([body, signature], gap=0) == [body, signature]
    assert merge_boxes([card, body, signature], gap=25) == [card, (477, 200, 548, 363)]
    assert merge_boxes([(940, 450, 240, 186), card], gap=0) == [card]


@pytest.mark.parametrize("name", sample_names())
def test_no_page_is_seen_in_the_samples(name):
    """The six samples have no paper: the cheap detector sends nothing to OCR."""
    from dualrec_audit.media.frames import sample_frames
    from dualrec_audit.media.probe import probe

    path = sample(name)
    check = DocumentsCheck((DocumentSpec("risk_disclosure", ("风险揭示书",)),))
    info = probe(path)
    for t, frame in sample_frames(path, info, 2.0):
        check.update(t, frame)
    res = check.finish(info.duration_s)
    assert res.details["ocr_runs"] == 0 and res.details["page_regions"] == 0
    assert res.details["documents"][0]["status"] == "not_shown"
    assert [e.check for e in res.events] == ["document_missing"]


def test_profiles_without_documents_run_no_documents_check(sample_results):
    for r in sample_results.values():
        assert "documents" not in r.checks and not r.documents
        assert "rapidocr" not in r.models


@pytest.mark.slow
def test_id_number_is_masked_in_every_output(
    composites, doc_pipeline, profiles_dir, tmp_path, caplog, capfd
):
    """JSON, text summaries, the results database's HTML/CSV/JSON exports and the logs hold
    only the masked number; the masked number proves the card was read."""
    from dualrec_audit.batch.report import summary
    from dualrec_audit.cli import main
    from dualrec_audit.store.database import Store
    from dualrec_audit.store.keys import run_key

    folder, _ = composites
    caplog.set_level(logging.DEBUG)
    result = doc_pipeline.apply(folder / "docs_risk.mp4")
    outputs = {"json": json.dumps(result.to_dict(), ensure_ascii=False)}
    outputs["summary_zh"] = summary(result, "zh")
    outputs["summary_en"] = summary(result, "en")
    url = f"sqlite:///{tmp_path / 'docs.db'}"
    st = (folder / "docs_risk.mp4").stat()
    with Store(url, create=True) as store:
        store.record_run(
            result,
            key=run_key(result.sha256, "p", result.models, {}),
            sha256=result.sha256,
            size=st.st_size,
            mtime_ns=st.st_mtime_ns,
            profile_digest="p",
            started_at="2026-11-21T00:00:00+00:00",
        )
    for fmt in ("html", "csv"):
        assert main(["export", "--db", url, "--format", fmt, "--out", str(tmp_path / fmt)]) == 0
    assert main(["export", "--db", url, "--format", "json"]) == 0
    captured = capfd.readouterr()
    outputs["export_json"] = captured.out
    outputs["stderr"] = captured.err
    outputs["log"] = caplog.text
    for fmt in ("html", "csv"):
        for f in (tmp_path / fmt).rglob("*"):
            if f.is_file():
                outputs[str(f)] = f.read_text(encoding="utf-8-sig", errors="replace")
    masked = mask_id_numbers(bd.FAKE_ID)
    assert masked in outputs["json"] and masked in outputs["summary_zh"]
    assert any(masked in v for k, v in outputs.items() if k.endswith(".html"))
    for where, text in outputs.items():
        assert bd.FAKE_ID not in text and bd.FAKE_ID.lower() not in text, where
        assert bd.FAKE_ID_FIRST17 not in text, where


@pytest.mark.qt
def test_the_reviewer_timeline_has_a_documents_band(qtbot):
    from dualrec_audit.core.result import DocumentStatus, Text
    from ui.timeline import Band, Timeline, documents_band

    shown = DocumentStatus(
        "risk_disclosure",
        Text("出示风险揭示书", "Risk disclosure shown"),
        "staff",
        True,
        "shown",
        3.0,
        start=4.0,
        end=10.0,
        seconds=6.0,
        text="风险揭示书",
    )
    missing = replace(
        shown, id="id", name=Text("身份证", "ID card"), status="not_shown", start=None, end=None
    )
    r = replace(_result_with([]), documents=(shown, missing))
    band = documents_band(r, "出示文件", "zh")
    assert [(s.start, s.end, s.status, s.text) for s in band.spans] == [
        (4.0, 10.0, "shown", "出示风险揭示书")
    ]
    assert band.available and "身份证" in band.note
    off = documents_band(_result_with(None, "unavailable"), "出示文件", "zh")
    assert not off.available
    tl = Timeline()
    qtbot.addWidget(tl)
    tl.resize(800, 120)
    tl.set_data(20.0, [Band("画面质量", [1.0] * 20), band], [], [])
    assert not tl.grab().isNull()
