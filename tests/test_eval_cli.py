"""`dualrec-audit eval`: the samples end to end in a real process, the exit codes (1 when a
defective recording is auto-approved or an expected error is not one, 2 for a bad labels file
or folder), and the report's text."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dualrec_audit.cli import main
from dualrec_audit.core.result import AuditResult, Event, Text

from .conftest import ROOT, SAMPLES

LABELS = SAMPLES / "labels.json"


@pytest.fixture(autouse=True)
def _isolated(isolated_models_env):
    """No user-installed model may change what the CLI does."""


def write_labels(folder: Path, recordings: dict) -> Path:
    path = folder / "labels.json"
    path.write_text(json.dumps({"schema_version": 1, "recordings": recordings}), encoding="utf-8")
    return path


def cli_command() -> list[str]:
    script = Path(sys.executable).parent / "dualrec-audit"
    return [str(script)] if script.exists() else [sys.executable, "-m", "dualrec_audit"]


def test_samples_in_a_real_process(tmp_path):
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "xdg"))
    env.pop("DUALREC_AUDIT_MODELS", None)
    proc = subprocess.run(
        [
            *cli_command(),
            "eval",
            "sample_videos",
            "--labels",
            str(LABELS.relative_to(ROOT)),
            "--json",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        encoding="utf-8",
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["passed"] is True
    assert doc["auto_approved_defective"] == []
    labelled = json.loads(LABELS.read_text(encoding="utf-8"))["recordings"]
    n_defects = sum(len(r["defects"]) for r in labelled.values())
    assert n_defects >= 5
    assert doc["defects"] == {
        "total": n_defects,
        "found": n_defects,
        "missed": [],
        "unwatched": [],
    }
    for rec in doc["recordings"]:
        assert all(d["found"] for d in rec["defects"]), rec
        if rec["defective"]:
            assert rec["decision"] in ("review", "rerecord"), rec
    assert len(doc["recordings"]) == len(labelled)


# -- a pipeline that returns made-up results, to drive the exit code ----------------------------


CHIN_CUT = Event("face_cut", 8, 14, "high", Text("", ""), "customer")


class FakePipeline:
    """Stands in for AuditPipeline: the chin cut is found, every recording gets ``decision``."""

    decision = "approve"

    def __init__(self, options, models_dir=None):
        self.options = options

    def apply(self, path, hook=None, profile=None, chosen_by=None) -> AuditResult:
        path = Path(path)
        return AuditResult(
            file=str(path),
            tool_version="t",
            sha256="0",
            duration_s=20.0,
            decision=self.decision,
            score=95.0,
            events=(CHIN_CUT,) if path.name == "chin.mp4" else (),
        )

    def error_result(self, path, code, message):
        raise AssertionError("not expected")


@pytest.fixture
def fake(monkeypatch, tmp_path) -> Path:
    import dualrec_audit.audit.pipeline

    monkeypatch.setattr(dualrec_audit.audit.pipeline, "AuditPipeline", FakePipeline)
    for name in ("chin.mp4", "ok.mp4"):
        (tmp_path / name).write_bytes(b"not read by the fake pipeline")
    write_labels(
        tmp_path,
        {
            "chin.mp4": {
                "expected": "flag",
                "defects": [{"check": "face_cut", "party": "customer", "start": 8, "end": 14}],
            },
            "ok.mp4": {"expected": "approve"},
        },
    )
    return tmp_path


def test_defective_recording_auto_approved_exits_1(fake, capsys):
    rc = main(["eval", str(fake), "--labels", str(fake / "labels.json"), "--lang", "en"])
    out = capsys.readouterr().out
    assert rc == 1
    lines = out.splitlines()
    assert lines[1] == "Defective recordings auto-approved: 1"
    assert lines[2] == "  !! chin.mp4"
    assert "Defects found: 1 of 1" in out  # found, yet approved: still a failure
    assert lines[-1] == "Result: FAIL"


def test_flagging_it_passes(fake, capsys, monkeypatch):
    monkeypatch.setattr(FakePipeline, "decision", "review")
    rc = main(["eval", str(fake), "--labels", str(fake / "labels.json"), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0 and doc["passed"]
    assert doc["confusion"]["approve"]["review"] == 1
    assert doc["defects"] == {"total": 1, "found": 1, "missed": [], "unwatched": []}


# -- expected errors, with real media -----------------------------------------------------------


def test_expected_error_that_is_audited_exits_1(tmp_path, capsys):
    shutil.copy(SAMPLES / "clean.mp4", tmp_path / "good.mp4")  # no sidecar: fund_sale
    (tmp_path / "broken.mp4").write_text("not a video", encoding="utf-8")
    labels = write_labels(
        tmp_path, {"good.mp4": {"expected": "error"}, "broken.mp4": {"expected": "error"}}
    )
    rc = main(["eval", str(tmp_path), "--labels", str(labels), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert doc["missed_errors"] == ["good.mp4"]
    # good.mp4 is audited (under fund_sale, whose script it does not say: re-record).
    assert doc["confusion"]["error"] == {"approve": 0, "review": 0, "rerecord": 1, "error": 1}


# -- usage and configuration errors: exit 2 before anything is audited --------------------------


def test_bad_labels_file_exits_2_with_the_key_path(tmp_path, capsys):
    labels = tmp_path / "labels.json"
    doc = json.loads(LABELS.read_text(encoding="utf-8"))
    doc["recordings"]["dark_segment.mp4"]["defects"][0]["check"] = "too_dark"
    labels.write_text(json.dumps(doc), encoding="utf-8")
    rc = main(["eval", str(SAMPLES), "--labels", str(labels)])
    out, err = capsys.readouterr()
    assert rc == 2 and out == ""
    assert "recordings[\"dark_segment.mp4\"].defects[0].check: unknown check 'too_dark'" in err


def test_folder_and_labels_must_match(tmp_path, capsys):
    (tmp_path / "extra.mp4").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("not a video", encoding="utf-8")
    labels = write_labels(tmp_path, {"gone.mp4": {"expected": "approve"}})
    rc = main(["eval", str(tmp_path), "--labels", str(labels)])
    out, err = capsys.readouterr()
    assert rc == 2 and out == ""
    assert "labelled but not in" in err and "gone.mp4" in err
    assert "but not labelled: extra.mp4" in err
    assert "notes.txt" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--preroll", "-1"], "--preroll"),
        (["--fps", "0"], "--fps"),
        (["--profile", "no_such_profile"], "no_such_profile"),
    ],
)
def test_bad_options_exit_2(capsys, args, message):
    rc = main(["eval", str(SAMPLES), "--labels", str(LABELS), *args])
    out, err = capsys.readouterr()
    assert rc == 2 and out == ""
    assert message in err


def test_dir_must_be_a_folder(capsys):
    rc = main(["eval", str(SAMPLES / "clean.mp4"), "--labels", str(LABELS)])
    assert rc == 2
    assert "not a folder" in capsys.readouterr().err


def test_eval_reads_results_a_scan_stored(tmp_path, sample_results, capsys, monkeypatch):
    """With --db, stored results are evaluated without auditing again (the pipeline is never
    built), and give the same report as fresh audits."""
    from dualrec_audit.audit import pipeline as pipeline_module

    from .test_export import fill

    db = f"sqlite:///{tmp_path / 'stored.db'}"
    fill(db, sample_results)

    def no_audit(*args, **kwargs):
        raise AssertionError("audited although the results are stored")

    monkeypatch.setattr(pipeline_module.AuditPipeline, "__init__", no_audit)
    rc = main(["eval", str(SAMPLES), "--labels", str(LABELS), "--db", db, "--json"])
    out, err = capsys.readouterr()
    assert rc == 0 and "6 of 6 results read from" in err
    stored = json.loads(out)
    from dualrec_audit.batch.evaluate import evaluate, load_labels

    fresh = evaluate(sample_results, load_labels(LABELS)).to_dict()
    assert stored == fresh
