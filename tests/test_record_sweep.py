"""The forbidden phrases swept for live in a guided recording (``record/live_sweep.py``): the
keyword spotter's shared streams fed as the sound arrives make the detections the audit's
sweep of the whole file makes, so after stop the audit only confirms them on the saved file
(stop to decision in seconds again) and the stored result is still ``check``'s.

Real speech and the real model. Two splits, as in ``tests/test_forbidden_sweep.py``
(``tests/forbidden_media.py``): **tune**, the ``speech_zh`` clips (looked at while building
this), and **held-out**, the keyword model's ``test_wavs`` clips; each test phrase said at the
start of a recording, inside continuous speech and after a pause, made a forbidden phrase.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dualrec_audit.checks.script import (
    ScriptParams,
    SweptLive,
    forbidden_groups,
    run_script_check,
)
from dualrec_audit.checks.speech import run_speech_check
from dualrec_audit.core.result import CheckResult
from dualrec_audit.models.registry import ModelStore
from dualrec_audit.speech.phrases import Phrase, PhraseSet
from dualrec_audit.speech.select import script_engine

from . import forbidden_media as fm
from .conftest import build_samples_module, media, models_root
from .pace import pace

PARAMS = ScriptParams()
SPLITS = ("tune", "held_out")


@pytest.fixture(scope="module")
def engine(isolated_models_env):
    eng, reason = script_engine(ModelStore(models_root(fm.KWS_MODEL)), fm.KWS_MODEL)
    assert eng is not None, reason
    return eng


def listed_phrases(split: str) -> PhraseSet:
    """The split's test phrases as the forbidden (and the required) phrases."""
    listed = tuple(Phrase(p) for p in fm.phrases_said(split))
    return PhraseSet(listed, listed, "test")


def live_sweep(engine, audio: np.ndarray, phrases: PhraseSet, until: int | None = None):
    """The live spotter fed ``audio[:until]`` in blocks of uneven size, as a microphone's
    callbacks or a file's decoded frames deliver it."""
    groups = forbidden_groups(engine, phrases.forbidden, PARAMS)
    spotter = engine.live_spotter(groups, threshold=PARAMS.kws_threshold, boost=PARAMS.kws_boost)
    rng = np.random.default_rng(len(audio))
    fed, stop = 0, len(audio) if until is None else until
    while fed < stop:
        n = min(stop - fed, int(rng.integers(256, 4096)))
        spotter.feed(audio[fed : fed + n])
        fed += n
    spotter.close()
    live = SweptLive(tuple(map(tuple, groups)), tuple(spotter.hits), spotter.fed_s)
    return groups, live


def hit_keys(hits) -> list[tuple[str, float, float]]:
    return sorted((h.key, round(h.start, 2), round(h.end, 2)) for h in hits)


def script_check(engine, audio: np.ndarray, phrases: PhraseSet, live: SweptLive | None):
    duration = len(audio) / fm.SR
    _, analysis = run_speech_check(audio, fm.SR, duration)
    assert analysis is not None
    return run_script_check(
        CheckResult("transcript", "ok", details={"model": engine.name}),
        (),
        phrases,
        duration,
        engine=engine,
        syllables=engine.syllables(audio, analysis.regions),
        audio=audio,
        regions=analysis.regions,
        params=PARAMS,
        swept_live=live,
    )


def forbidden_events(check: CheckResult) -> list[tuple[str, str, float, float]]:
    return sorted(
        (e.details["phrase"], e.severity, e.start, e.end)
        for e in check.events
        if e.check == "forbidden_phrase"
    )


def assert_close(a: list[tuple[str, str, float, float]], b: list[tuple[str, str, float, float]]):
    """The same phrases at the same severity, each within 1 s (both ways)."""
    for mine, other in ((a, b), (b, a)):
        for p, s, x, y in mine:
            assert any(
                p == p2 and s == s2 and abs(x - x2) <= 1.0 and abs(y - y2) <= 1.0
                for p2, s2, x2, y2 in other
            ), ((p, s, x, y), other)


@pytest.mark.parametrize("split", SPLITS)
def test_the_live_sweep_is_the_file_sweep(engine, split: str) -> None:
    """Fed in uneven blocks from the start, every shared stream detects exactly what it
    detects swept over the whole recording at once; the script check given those detections
    reports the forbidden phrases its own sweep of the file reports (each within 1 s), so the
    said phrases are reported as often."""
    phrases, n = listed_phrases(split), len(fm.cases(split))
    detections = reported = reported_own = exact = 0
    for case in fm.cases(split):
        groups, live = live_sweep(engine, case.audio, phrases)
        whole = engine.spot_groups(
            case.audio,
            [(g, 0.0, len(case.audio) / fm.SR) for g in groups],
            threshold=PARAMS.kws_threshold,
            boost=PARAMS.kws_boost,
        )
        assert hit_keys(live.hits) == hit_keys(whole), (case.clip, case.position)
        detections += len(whole)
        own = script_check(engine, case.audio, phrases, None)
        assert "forbidden_swept_live" not in own.details  # check's JSON is unchanged
        taken = script_check(engine, case.audio, phrases, live)
        assert taken.details["forbidden_swept_live"] is True
        mine, theirs = forbidden_events(taken), forbidden_events(own)
        assert_close(mine, theirs)
        exact += mine == theirs
        reported += any(e[0] == case.phrase[0] for e in mine)
        reported_own += any(e[0] == case.phrase[0] for e in theirs)
    print(
        f"FIGURE live sweep {split}: {detections} shared-stream detections, all the file"
        f" sweep's; said phrase reported {reported}/{n} (the file's sweep: {reported_own}/{n});"
        f" forbidden events identical in {exact}/{n}"
    )
    assert detections >= n  # the phrases said are heard: there is something to compare
    assert reported == reported_own


def test_a_live_sweep_that_did_not_hear_it_all_is_not_taken(engine) -> None:
    """Cut short (its thread failed half way), made with other streams (another profile), or
    beside enhanced spans (the recognisers hear other sound there): the file is swept, and
    the result is the file sweep's."""
    case = fm.cases("held_out")[1]  # a phrase inside continuous speech
    phrases = listed_phrases("held_out")
    own = forbidden_events(script_check(engine, case.audio, phrases, None))
    assert own, "the said phrase is reported"
    _, whole = live_sweep(engine, case.audio, phrases)
    _, half = live_sweep(engine, case.audio, phrases, until=len(case.audio) // 2)
    for live in (
        half,
        replace(whole, groups=whole.groups[1:]),
        replace(whole, stale=((1.0, 2.0),)),
    ):
        swept = script_check(engine, case.audio, phrases, live)
        assert swept.details["forbidden_swept_live"] is False
        assert forbidden_events(swept) == own


# -- a guided recording that says forbidden phrases --------------------------------------------

HELD_OUT_TURNS = ("3.wav", "4.wav", "5.wav", "6.wav")  # the keyword model's clips
# A spotter-only place is told once the sound 1 s after it is there (the audit's confirming
# window), the sweep has caught up with it and the recogniser has heard 0.5 s past it.
TOLD_BY_S = 4.0


def soundtrack(bs: Any, split: str, src: Path) -> np.ndarray:
    """20 s of dialogue: the samples' (tune: the speech_zh clips) or the held-out clips, each
    trimmed and levelled as the samples' turns are, 0.6 s apart."""
    if split == "tune":
        return bs.build_speech(src)[0]
    track, t = np.zeros(bs.N_SAMPLES, np.float32), int(bs.FIRST_TURN_S * fm.SR)
    for name in HELD_OUT_TURNS:
        x = bs.trim_silence(fm.clip(name))
        x = bs.fade(x * np.float32(10 ** ((bs.TARGET_DBFS - bs.rms_dbfs(x)) / 20)), 0.01, 0.01)
        x = x[: max(0, bs.N_SAMPLES - int(0.2 * fm.SR) - t)]
        track[t : t + len(x)] += x
        t += len(x) + int(0.6 * fm.SR)
    return track


def profiles_with_forbidden(folder: Path, split: str) -> Path:
    """``bundled_samples`` (the samples' sentences as its stages) with the split's test
    phrases as the profile's own forbidden phrases."""
    from importlib import resources

    builtin = resources.files("dualrec_audit").joinpath("profiles", "bundled_samples.toml")
    text = builtin.read_text(encoding="utf-8")
    listed = ", ".join(_spec(p) for p in fm.phrases_said(split))
    text = text.replace('id = "bundled_samples"', f'id = "sweep_test"\nforbidden = [{listed}]')
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sweep_test.toml").write_text(text, encoding="utf-8")
    return folder


def _spec(phrase: tuple[str, ...]) -> str:
    """A phrase as the profile's TOML writes it (JSON strings are TOML strings)."""
    spec = f"text = {json.dumps(phrase[0], ensure_ascii=False)}"
    if phrase[1:]:
        spec += f", synonyms = {json.dumps(list(phrase[1:]), ensure_ascii=False)}"
    return "{ " + spec + " }"


@pytest.mark.parametrize("split", SPLITS)
def test_a_recording_saying_forbidden_phrases_is_judged_as_check_judges_it(
    isolated_models_env, split: str, tmp_path: Path
) -> None:
    """Played in real time through ``record --headless``: the audit after stop takes the live
    sweep, and its decision and events are those of ``check`` of the saved file (each event
    within 1 s), the said phrases reported as often."""
    from dualrec_audit.audit.pipeline import AuditOptions, AuditPipeline
    from dualrec_audit.cli import main

    bs = build_samples_module()
    src = media("video/grid_bbaf2n.mpg").parent.parent
    for name in bs.TURNS:
        media(f"speech_zh/{name[1]}")
    clip = tmp_path / f"{split}.mp4"
    bs.encode(clip, bs.Compositor(src), bs.soft_limit(soundtrack(bs, split, src)), None)
    folder = profiles_with_forbidden(tmp_path / "profiles", split)
    out, hints, res = tmp_path / "rec.mp4", tmp_path / "hints.jsonl", tmp_path / "result.json"
    argv = ["record", "--headless", "--realtime", "--profiles-dir", str(folder)]
    argv += ["--profile", "sweep_test", "--source", str(clip), "--out", str(out)]
    before = pace()
    assert main([*argv, "--hints", str(hints), "--result", str(res)]) == 0
    told_by = TOLD_BY_S * max(before, pace())  # the recogniser's lag grows with the load
    summary = json.loads(hints.read_text(encoding="utf-8").splitlines()[-1])
    live = json.loads(res.read_text(encoding="utf-8"))
    assert live["checks"]["script"]["details"]["forbidden_swept_live"] is True
    options = AuditOptions(profile="sweep_test", profiles_dir=str(folder))
    checked = AuditPipeline(options).apply(out, profile="sweep_test")
    assert checked.decision == live["decision"] == summary["decision"]
    mine = [(e["check"], e["party"], e["start"], e["end"]) for e in live["events"]]
    again = [(e.check, e.party, e.start, e.end) for e in checked.events]
    for events, other in ((mine, again), (again, mine)):
        for c, p, a, b in events:
            assert any(
                c == c2 and p == p2 and abs(a - a2) <= 1.0 and abs(b - b2) <= 1.0
                for c2, p2, a2, b2 in other
            ), ((c, p, a, b), other)
    reported = [e for e in live["events"] if e["check"] == "forbidden_phrase"]
    said = {e["details"]["phrase"] for e in reported}
    assert said == {e.details["phrase"] for e in checked.events if e.check == "forbidden_phrase"}
    assert len(said) >= 2
    lines = [json.loads(x) for x in hints.read_text(encoding="utf-8").splitlines()[:-1]]
    alarms = [n for n in lines if n["kind"] == "alarm" and n["code"] == "forbidden_phrase"]
    # The teller is told of each forbidden phrase the audit reports (one ending in the last
    # TOLD_BY_S, at the machine's pace, may be told only after stop), and of nothing else. How
    # soon is a figure (it depends on the machine's load: docs/recording-sweep.md), not asserted.
    told = {}
    for e in reported:
        mine = [n for n in alarms if abs(n["since"] - e["start"]) <= 1.0]
        if mine:
            told[e["details"]["phrase"]] = round(mine[0]["t"] - e["end"], 2)
        else:
            assert e["end"] > summary["frames_in"] / 25 - told_by, (e, told_by, alarms)
    assert len(alarms) == len(told), alarms
    by = sorted(n["details"]["by"] for n in alarms)
    print(
        f"FIGURE recording {split}: {len(said)} forbidden phrases reported as check reports"
        f" them; told live {len(told)} (s after the phrase: {told}; by {by}); stop to decision"
        f" {summary['audit_s']} s, sweep lag max {summary['sweep_lag_max_s']} s, caught up in"
        f" {summary['sweep_close_s']} s after stop"
    )


def test_a_sweep_that_fails_leaves_the_file_to_be_swept(engine, caplog) -> None:
    """The live spotter raising mid-recording: logged, the rest of the sound drained, and
    ``close`` gives nothing to take (the audit sweeps the saved file, as ``check`` does)."""
    from dualrec_audit.record.live_sweep import LiveSweep

    case = fm.cases("tune")[0]
    sweep = LiveSweep(engine, listed_phrases("tune").forbidden, PARAMS)
    sweep.start()
    sweep.put(case.audio[: fm.SR], 0.0)
    sweep.spotter.feed = lambda samples: 1 / 0  # type: ignore[method-assign]
    for i in range(1, 4):
        sweep.put(case.audio[i * fm.SR : (i + 1) * fm.SR], 0.0)
    assert sweep.close() is None and sweep.failed
    assert "the file is swept after stop" in caplog.text
    healthy = LiveSweep(engine, listed_phrases("tune").forbidden, PARAMS)
    healthy.put(case.audio, 0.0)  # never started: close sweeps what is queued
    swept = healthy.close()
    assert swept is not None and swept.until_s == len(case.audio) / fm.SR and swept.hits
