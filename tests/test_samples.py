"""End to end on the bundled samples: every labelled defect is found within +-1 s."""

from __future__ import annotations

import json

import pytest

from .conftest import SAMPLES, sample

LABELS = json.loads((SAMPLES / "labels.json").read_text(encoding="utf-8"))["recordings"]


def test_every_sample_is_labelled():
    assert sorted(LABELS) == sorted(p.name for p in SAMPLES.glob("*.mp4"))
    assert len(LABELS) >= 5
    for p in SAMPLES.glob("*.mp4"):
        assert p.stat().st_size <= 2 * 1024 * 1024


@pytest.mark.parametrize(
    ("name", "defect"),
    [(n, d) for n, rec in LABELS.items() for d in rec["defects"]],
    ids=lambda v: v if isinstance(v, str) else v["check"],
)
def test_labelled_defect_found_within_one_second(sample_results, name, defect):
    result = sample_results[name]
    matches = [
        e
        for e in result.events
        if e.check == defect["check"]
        and e.party == defect["party"]
        and abs(e.start - defect["start"]) <= 1.0
        and abs(e.end - defect["end"]) <= 1.0
    ]
    assert matches, [(e.check, e.party, e.start, e.end) for e in result.events]
    # The reviewer is sent there: a ranked segment overlaps the defect.
    assert any(s.start < defect["end"] and s.end > defect["start"] for s in result.segments)


@pytest.mark.parametrize("name", sorted(LABELS))
def test_no_unlabelled_events_and_no_defect_approved(sample_results, name):
    result = sample_results[name]
    labelled = {d["check"] for d in LABELS[name]["defects"]}
    if "low_clarity" in labelled:  # noise over the speech: a stage may not be heard through it
        labelled.add("phrase_missing")
    assert {e.check for e in result.events} <= labelled
    assert result.error is None and result.duration_s == pytest.approx(20.0, abs=0.1)
    if LABELS[name]["defects"]:
        assert result.decision in ("review", "rerecord")


def test_clean_sample_is_approved_with_every_stage_found(sample_results):
    """The set-up's kws-zh model verifies the script: the clean sample is auto-approved."""
    result = sample_results["clean.mp4"]
    assert result.events == ()
    assert result.profile is not None and result.profile["id"] == "bundled_samples"
    assert result.checks["script"].status == "ok"
    assert result.checks["script"].details["verified_by"] == ["kws-zh-3.3m"]
    assert result.decision == "approve", [f.rule for f in result.findings]
    starts = [s.start for s in result.stages]
    assert all(s.status == "found" for s in result.stages)
    assert all(s.start is not None and s.end is not None and s.start < s.end for s in result.stages)
    assert starts == sorted(starts)  # the turns in speaking order
    assert result.checks["faces"].score == 1.0
    assert len(result.timelines["faces"]) == 20


@pytest.mark.parametrize("name", [n for n in sorted(LABELS) if LABELS[n]["defects"]])
def test_defective_samples_are_not_approved(sample_results, name):
    assert sample_results[name].decision in ("review", "rerecord")


def test_clean_sample_without_the_script_model_goes_to_review(
    isolated_models_env, tmp_path, monkeypatch
):
    """The kws-zh model removed (only the face models installed): review, with the reason."""
    import shutil

    import dualrec_audit.models.registry as registry
    from dualrec_audit.audit.pipeline import AuditOptions, AuditPipeline

    app = registry.app_models_dir()
    only_faces = tmp_path / "models"
    shutil.copytree(app, only_faces, ignore=shutil.ignore_patterns("sherpa-onnx-*"))
    monkeypatch.setattr(registry, "app_models_dir", lambda: only_faces)
    pipeline = AuditPipeline(AuditOptions(profile="bundled_samples"))
    assert pipeline.engine is None
    result = pipeline.apply(sample("clean.mp4"))
    assert result.checks["script"].status == "unavailable"
    assert result.decision == "review"
    (finding,) = [f for f in result.findings if f.rule == "not_evaluable.script"]
    assert "kws-zh-3.3m is not installed" in finding.reason.en
    assert "models install" in finding.reason.en
    assert all(s.status == "not_verified" for s in result.stages)
