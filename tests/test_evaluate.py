"""evaluate() on constructed results (matching, IoU, false alarms, party, confusion, the exit
condition), labels-file validation, and the report on the real samples."""

from __future__ import annotations

import json
import re

import pytest

from dualrec_audit.batch.evaluate import check_coverage, evaluate, load_labels, parse_labels
from dualrec_audit.batch.report import eval_summary
from dualrec_audit.core.errors import ConfigError
from dualrec_audit.core.result import AuditError, AuditResult, CheckResult, Event, Text

from .conftest import SAMPLES

CJK = re.compile(r"[\u4e00-\u9fff]")


def ev(check: str, start: float, end: float, party=None) -> Event:
    return Event(check, start, end, "medium", Text(check, check), party)


def res(decision="review", events=(), duration=60.0, error=None, script="ok") -> AuditResult:
    return AuditResult(
        file="x.mp4",
        tool_version="t",
        sha256="0",
        duration_s=duration,
        decision=decision,
        score=70.0,
        checks={"script": CheckResult("script", script)},
        events=tuple(events),
        error=None if error is None else AuditError(error, error),
    )


def labels(recordings: dict):
    return parse_labels(json.dumps({"schema_version": 1, "recordings": recordings}), "test")


def flag(*defects) -> dict:
    return {
        "expected": "flag",
        "defects": [{"check": c, "party": p, "start": s, "end": e} for c, p, s, e in defects],
    }


APPROVE = {"expected": "approve", "defects": []}
APPROVE_WITH_DEFECT = {"expected": "approve", "defects": flag(("blur", None, 1, 2))["defects"]}


def check_row(report, name):
    return next(c for c in report.checks if c.check == name)


# -- matching and IoU ---------------------------------------------------------------------------


def test_found_defect_and_iou_of_the_union_of_overlapping_events():
    lab = labels({"a.mp4": flag(("face_cut", "customer", 10, 20))})
    events = [ev("face_cut", 8, 14, "customer"), ev("face_cut", 15, 22, "customer")]
    report = evaluate({"a.mp4": res("rerecord", events)}, lab)
    (d,) = report.recordings[0].defects
    # U = [8,14) + [15,22) (13 s), U ∩ D = 4 + 5 = 9 s, U ∪ D = [8,22) = 14 s.
    assert d.found and d.iou == pytest.approx(9 / 14)
    row = check_row(report, "face_cut")
    assert (row.defects, row.found, row.missed) == (1, 1, 0)
    assert row.mean_iou == pytest.approx(9 / 14)
    assert row.false_alarm_s == pytest.approx(2 + 2)  # [8,10) and [20,22)


def test_exact_event_has_iou_one_and_no_false_alarm():
    lab = labels({"a.mp4": flag(("dark", None, 9, 14))})
    report = evaluate({"a.mp4": res(events=[ev("dark", 9, 14)])}, lab)
    assert report.recordings[0].defects[0].iou == pytest.approx(1.0)
    assert check_row(report, "dark").false_alarm_s == 0.0


@pytest.mark.parametrize(
    ("event", "why"),
    [
        (ev("blur", 10, 20), "another check"),
        (ev("dark", 20, 25), "touches the end only"),
        (ev("dark", 0, 9.99), "ends before"),
        (ev("dark", 9, 14, "staff"), "another party — ignored only when the label gives one"),
    ],
)
def test_missed(event, why):
    lab = labels({"a.mp4": flag(("dark", "customer", 10, 20))})
    report = evaluate({"a.mp4": res(events=[event])}, lab)
    (d,) = report.recordings[0].defects
    assert not d.found and d.iou is None, why
    assert check_row(report, "dark").missed == 1
    assert report.missed_defects == (d,)
    assert check_row(report, "dark").mean_iou is None


def test_party_mismatch_misses_but_a_label_without_party_takes_any():
    events = [ev("party_absent", 6, 13, "staff")]
    with_party = labels({"a.mp4": flag(("party_absent", "customer", 6, 13))})
    without = labels({"a.mp4": flag(("party_absent", None, 6, 13))})
    assert not evaluate({"a.mp4": res(events=events)}, with_party).recordings[0].defects[0].found
    assert evaluate({"a.mp4": res(events=events)}, without).recordings[0].defects[0].found
    # Inside the defect's time: not a false alarm, whatever the party (documented definition).
    r = evaluate({"a.mp4": res(events=events)}, with_party)
    assert check_row(r, "party_absent").false_alarm_s == 0.0


def test_instantaneous_event_inside_a_defect_finds_it():
    lab = labels({"a.mp4": flag(("forbidden_phrase", None, 30, 32))})
    report = evaluate({"a.mp4": res(events=[ev("forbidden_phrase", 31, 31)])}, lab)
    assert report.recordings[0].defects[0].found
    assert report.recordings[0].defects[0].iou == 0.0


def test_false_alarms_sum_over_recordings_per_check():
    lab = labels({"a.mp4": flag(("blur", None, 10, 20)), "b.mp4": APPROVE})
    results = {
        "a.mp4": res(events=[ev("blur", 5, 12), ev("blur", 18, 21), ev("frozen", 0, 3)]),
        "b.mp4": res(events=[ev("blur", 40, 44.5), ev("blur", 42, 46)]),  # overlapping: 6 s
    }
    report = evaluate(results, lab)
    assert check_row(report, "blur").false_alarm_s == pytest.approx(5 + 1 + 6)
    assert check_row(report, "frozen").false_alarm_s == pytest.approx(3)
    assert check_row(report, "frozen").defects == 0


# -- decisions, the exit condition, watching ----------------------------------------------------


def test_confusion_matrix_and_a_passing_run():
    lab = labels(
        {
            "a.mp4": flag(("dark", None, 1, 2)),
            "b.mp4": flag(),
            "c.mp4": APPROVE,
            "d.mp4": APPROVE,
            "e.mp4": {"expected": "error"},
        }
    )
    results = {
        "a.mp4": res("rerecord", [ev("dark", 1, 2)]),
        "b.mp4": res("review"),
        "c.mp4": res("approve"),
        "d.mp4": res("review"),
        "e.mp4": res("error", error="media_error"),
    }
    report = evaluate(results, lab)
    assert report.confusion == {
        "approve": {"approve": 1, "review": 1, "rerecord": 0, "error": 0},
        "flag": {"approve": 0, "review": 1, "rerecord": 1, "error": 0},
        "error": {"approve": 0, "review": 0, "rerecord": 0, "error": 1},
    }
    assert report.passed and report.exit_code == 0
    assert report.auto_approved_defective == () and report.missed_errors == ()
    json.dumps(report.to_dict())  # serialisable


@pytest.mark.parametrize(
    ("label", "result", "auto_approved", "missed_error"),
    [
        (flag(("face_cut", "customer", 8, 14)), res("approve"), True, False),
        (flag(), res("approve"), True, False),  # expected flag, nothing located
        # labelled defects make a recording defective whatever its 'expected'
        (APPROVE_WITH_DEFECT, res("approve"), True, False),
        ({"expected": "error"}, res("review"), False, True),
        ({"expected": "error"}, res("approve"), False, True),
    ],
)
def test_exit_code_is_1(label, result, auto_approved, missed_error):
    report = evaluate(
        {"a.mp4": result, "b.mp4": res("approve")}, labels({"a.mp4": label, "b.mp4": APPROVE})
    )
    assert report.exit_code == 1 and not report.passed
    assert report.auto_approved_defective == (("a.mp4",) if auto_approved else ())
    assert report.missed_errors == (("a.mp4",) if missed_error else ())


def test_flagged_as_error_or_rerecord_is_not_auto_approved():
    lab = labels({"a.mp4": flag(("dark", None, 1, 2)), "b.mp4": flag()})
    report = evaluate({"a.mp4": res("error", error="media_error"), "b.mp4": res("rerecord")}, lab)
    assert report.exit_code == 0
    assert report.missed_defects[0].file == "a.mp4"  # but its defect is missed


def test_auto_approved_defective_recordings_come_first_in_the_text():
    lab = labels({"bad.mp4": flag(("blur", None, 1, 2)), "ok.mp4": APPROVE})
    report = evaluate({"bad.mp4": res("approve"), "ok.mp4": res("approve")}, lab)
    for lang in ("zh", "en"):
        lines = eval_summary(report, lang).splitlines()
        assert "bad.mp4" in lines[2], lines  # right after the count, before everything else
        assert ("未通过" if lang == "zh" else "FAIL") in lines[-1]
    en = eval_summary(report, "en")
    assert not CJK.search(en), en
    assert "missed: bad.mp4 00:01–00:02 blur" in en


def test_watch_share_counts_flagged_recordings_only_and_script_by_ear_separately():
    lab = labels({"a.mp4": flag(("dark", None, 10, 20)), "b.mp4": APPROVE, "c.mp4": APPROVE})
    results = {
        "a.mp4": res("review", [ev("dark", 10, 20)], duration=100.0, script="unavailable"),
        "b.mp4": res("review", duration=100.0),
        "c.mp4": res("approve", [ev("blur", 0, 50)], duration=100.0),  # not flagged
    }
    report = evaluate(results, lab, preroll=2.0)
    assert report.flagged_s == 200.0
    assert report.watch_s == pytest.approx(12.0)
    assert report.watch_share == pytest.approx(12.0 / 200.0)
    assert report.script_by_ear == 1
    doc = report.to_dict()
    assert doc["watch"]["script_by_ear"] == 1 and doc["recordings"][2]["watch_s"] is None


def test_a_defect_outside_what_to_watch_is_reported():
    """Under a profile only findings that hold the recording are watched: a defect whose only
    finding is a low note (and a defect of an approved recording) is not watched."""
    from dataclasses import replace

    from dualrec_audit.core.result import Finding

    lab = labels({"a.mp4": flag(("dark", None, 10, 14), ("blur", None, 30, 31)), "b.mp4": APPROVE})
    a = replace(
        res("review", [ev("dark", 10, 14), ev("blur", 30, 31)]),
        profile={"id": "p"},
        findings=(
            Finding("event.dark", 10, 14, "medium", Text("d", "d")),
            Finding("event.blur", 30, 31, "low", Text("b", "b")),
        ),
    )
    report = evaluate({"a.mp4": a, "b.mp4": res("approve")}, lab)
    assert [(d.check, d.watched) for d in report.recordings[0].defects] == [
        ("dark", True),
        ("blur", False),
    ]
    assert [d.check for d in report.unwatched_defects] == ["blur"]
    assert report.to_dict()["defects"]["unwatched"][0]["check"] == "blur"
    text = eval_summary(report, "en")
    assert "Defects of flagged recordings outside what to watch: 1" in text
    assert "!! a.mp4 00:30–00:31 blur" in text


def test_results_must_match_the_labels():
    lab = labels({"a.mp4": APPROVE, "b.mp4": APPROVE})
    with pytest.raises(ConfigError) as exc:
        evaluate({"a.mp4": res(), "c.mp4": res()}, lab)
    assert "not in the results: b.mp4" in exc.value.message
    assert "not labelled: c.mp4" in exc.value.message


# -- the labels file ----------------------------------------------------------------------------


def doc(**recording) -> str:
    rec = {"expected": "flag", "defects": [{"check": "dark", "start": 1, "end": 2}], **recording}
    return json.dumps({"schema_version": 1, "recordings": {"a.mp4": rec}})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not a valid labels file"),
        ("[]", "a labels file is a JSON object"),
        ('{"recordings": {}}', "schema_version: expected 1, found missing"),
        (doc().replace('"schema_version": 1', '"schema_version": 2'), "expected 1, found 2"),
        (doc().replace('"schema_version": 1', '"schema_version": true'), "found true"),
        (doc(expected="pass"), 'recordings["a.mp4"].expected: Input should be'),
        (doc(defects=[{"check": "darkness", "start": 1, "end": 2}]), "unknown check 'darkness'"),
        (doc(defects=[{"check": "dark", "start": 5, "end": 5}]), "start (5) must be before end"),
        (doc(defects=[{"check": "dark", "start": -1, "end": 5}]), "defects[0].start"),
        (doc(defects=[{"check": "dark", "start": "1", "end": 5}]), "start: Input should be a"),
        (doc(defects=[{"check": "dark", "start": 1, "end": 5, "party": "teller"}]), "party"),
        (doc(defects=[{"check": "dark", "start": 1, "end": 5, "side": 1}]), "side: unknown key"),
        (doc(expected="error"), "cannot have defects"),
        (
            '{"schema_version": 1, "recordings": {}}',
            "recordings: Dictionary should have at least 1 item",
        ),
        ('{"schema_version": 1, "recordings": {"a": {}, "a": {}}}', "duplicate key 'a'"),
    ],
)
def test_bad_labels_file(text, message):
    with pytest.raises(ConfigError) as exc:
        parse_labels(text, "labels.json")
    assert exc.value.message.startswith("labels.json: ")
    assert message in exc.value.message


def test_every_mistake_is_listed_with_its_key_path():
    text = json.dumps(
        {
            "schema_version": 1,
            "recordings": {
                "a.mp4": {"expected": "flag", "defects": [{"check": "x", "start": 2, "end": 1}]},
                "b.mp4": {"expected": "maybe"},
            },
        }
    )
    with pytest.raises(ConfigError) as exc:
        parse_labels(text, "labels.json")
    lines = exc.value.message.splitlines()
    assert any(line.strip().startswith('recordings["a.mp4"].defects[0].check:') for line in lines)
    assert any(line.strip().startswith('recordings["b.mp4"].expected:') for line in lines)


def test_unreadable_labels_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot be read"):
        load_labels(tmp_path / "missing.json")


def test_sample_labels_cover_the_samples():
    lab = load_labels(SAMPLES / "labels.json")
    check_coverage(lab, [p.name for p in SAMPLES.glob("*.mp4")])
    with pytest.raises(ConfigError, match=r"labelled but not in the folder: clean\.mp4"):
        check_coverage(lab, [p.name for p in SAMPLES.glob("*.mp4") if p.name != "clean.mp4"])


# -- the samples, audited once per session ------------------------------------------------------


def test_samples_no_defect_auto_approved_and_every_defect_found(sample_results):
    lab = load_labels(SAMPLES / "labels.json")
    report = evaluate(sample_results, lab)
    assert report.passed
    assert report.auto_approved_defective == ()
    assert report.missed_defects == ()
    found = [d for r in report.recordings for d in r.defects]
    assert len(found) == sum(len(r.defects) for r in lab.recordings.values()) >= 5
    assert all(d.iou is not None and d.iou >= 0.8 for d in found), found
    # A stage not heard through the noise of noisy_speech.mp4 is a phrase_missing event there,
    # unlabelled (its defect is low_clarity): the only one.
    assert all(c.false_alarm_s <= 1.0 for c in report.checks if c.check != "phrase_missing")
    missing = {
        n for n, r in sample_results.items() if any(e.check == "phrase_missing" for e in r.events)
    }
    assert missing <= {"noisy_speech.mp4"}
    # The script engine verifies the samples' script: the clean one is approved, and no
    # script is left to be checked by ear.
    assert report.confusion["approve"]["approve"] == 1
    assert report.script_by_ear == 0 and len(report.flagged) == 5
    assert report.unwatched_defects == ()
    # 20 s samples made of their defects (33 s of 120): the share cannot be small here; the
    # ten-minute recording (test_long_recording) is where the 15 % goal is checked.
    assert 0 < report.watch_share < 0.5
