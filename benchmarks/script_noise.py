"""Phrase recall in noise, with and without speech enhancement (figures for docs/script-noise.md).

The test recordings of ``tests/forbidden_media.py`` (phrases said at the start, mid-sentence and
after a pause), clean and with branch-office noise (babble, hum, room) at 10, 5 and 0 dB SNR;
each phrase is a required and a forbidden phrase of a test list. Prints one line per condition:
required phrases found, forbidden phrases reported, false alarms.

    PYTHONPATH=$PWD DUALREC_TEST_MEDIA=../shared/media \
        .venv/bin/python benchmarks/script_noise.py tune|held_out [KIND [SNRS [MODES [POSITIONS]]]]

``MODES`` (comma-separated), each a string of flags: ``0`` the pinyin recogniser and spotter
as the audit runs them; ``1`` the DeepFilterNet 3 enhancer in front (on the noisy spans);
``w`` Whisper base (``whisper-base-pypi``, language zh) on the speech regions that touch a
low-SNR second (under 12 dB, as the enhancer's gating), its characters one more trusted source
of the phrase matcher; ``o`` Whisper only (no pinyin recogniser, no spotter); ``h`` the phrases
given to Whisper as hotwords. E.g. ``0,1,w,w1,wo``. ``KIND@target`` (``branch@target``): the
SNR is the target clip's speech's, not the whole recording's. ``POSITIONS``: ``start,mid,pause``
and/or ``negated`` (不 spliced before a phrase: its "forbidden" column counts the negated
phrase reported, which is a false alarm, and "false alarms" the other phrases not said).

``DUALREC_NOISE_MODEL`` names the larger recogniser of the ``w`` modes (default
``whisper-base-pypi``, with the character transcript's options): any transcript model of
``models/manifest.toml`` once installed (``paraformer-zh``, ``sensevoice-small``,
``whisper-small`` …), e.g. ``DUALREC_NOISE_MODEL=paraformer-zh … held_out branch 0 w``.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any


def _listener(name: str) -> Any:
    """The larger recogniser of the ``w`` modes (``DUALREC_NOISE_MODEL``): a transcript model
    of the manifest, Whisper with the character transcript's options (``WhisperOptions()``)."""
    from dualrec_audit.models.registry import ModelStore
    from dualrec_audit.speech.select import transcript_model
    from dualrec_audit.speech.transcriber import WhisperOptions
    from tests.conftest import models_root

    chosen, _ = transcript_model(ModelStore(models_root(name)), name, WhisperOptions())
    assert chosen is not None
    return chosen


def _whisper_words(
    whisper: Any, heard: Any, analysis: Any, duration: float, hotwords: str | None
) -> list[Any]:
    """The larger recogniser's words on the speech regions that touch a second under 12 dB
    local SNR."""
    from dualrec_audit.speech.enhance import noisy_spans

    spans = noisy_spans(analysis.snr_db, 12.0, 0.5, duration)
    low = [(a, b) for a, b in analysis.regions if any(min(b, d) > max(a, c) for c, d in spans)]
    if not low:
        return []
    heard_words = whisper.transcribe(heard, low, language="zh", hotwords=hotwords)
    from dualrec_audit.speech.hanzi import to_simplified

    return [type(w)(w.start, w.end, to_simplified(w.text), w.probability) for w in heard_words]


def _one(case: Any, snr: float | None, kind: str, mode: str, ctx: dict[str, Any]) -> Any:
    """The script check's result on one recording in one condition."""
    from dualrec_audit.checks.script import run_script_check
    from dualrec_audit.checks.speech import run_speech_check
    from dualrec_audit.core.result import CheckResult
    from dualrec_audit.speech.enhance import EnhanceParams, enhanced_view
    from tests import forbidden_media as fm

    # KIND@target: the SNR is the target clip's, not the whole recording's (loudest clip's).
    noise, at_target = kind.split("@")[0], kind.endswith("@target")
    span = (case.start, case.end) if at_target else None
    audio = case.audio if snr is None else fm.mix_noise(case.audio, snr, noise, span=span)
    duration = len(audio) / fm.SR
    _, analysis = run_speech_check(audio, fm.SR, duration)
    assert analysis is not None
    heard = audio
    if "1" in mode:
        heard, _ = enhanced_view(audio, analysis.snr_db, EnhanceParams(enabled=True))
    words: list[Any] = []
    if "w" in mode:
        hot = ctx["phrases"].hotwords() if "h" in mode else None
        words = _whisper_words(ctx["whisper"], heard, analysis, duration, hot)
        print(f"    {case.position:7s} {case.clip[:14]:14s} "
              + "".join(w.text for w in words), flush=True)  # fmt: skip
    engine = None if "o" in mode else ctx["engine"]
    syllables = engine.syllables(heard, analysis.regions) if engine is not None else ()
    transcript = CheckResult("transcript", "ok", details={"model": ctx["listener"]})
    return run_script_check(transcript, words, ctx["phrases"], duration, engine=engine,
                            syllables=syllables, audio=heard if engine else None,
                            regions=analysis.regions)  # fmt: skip


def main(
    split: str,
    kind: str = "branch",
    snrs: str = "clean,10,5,0",
    modes: str = "0,1",
    positions: str = "start,mid,pause",
) -> None:
    """``snrs``: which conditions (comma-separated; ``clean`` or dB); ``modes`` and
    ``positions``: see the module's text."""
    from dualrec_audit.models.registry import ModelStore
    from dualrec_audit.speech.hanzi import HANZI_MODEL
    from dualrec_audit.speech.phrases import Phrase, PhraseSet
    from dualrec_audit.speech.select import script_engine
    from tests import forbidden_media as fm
    from tests.conftest import models_root

    engine, _ = script_engine(ModelStore(models_root(fm.KWS_MODEL)), fm.KWS_MODEL)
    assert engine is not None
    listed = tuple(Phrase(p) for p in fm.phrases_said(split))
    listener = os.environ.get("DUALREC_NOISE_MODEL", HANZI_MODEL)
    ctx: dict[str, Any] = {"engine": engine, "phrases": PhraseSet(listed, listed, "test")}
    ctx["listener"] = listener
    if "w" in modes:
        ctx["whisper"] = _listener(listener)
    pool = fm.cases(split) + fm.negated_cases(split)
    cases = [c for c in pool if c.position in positions.split(",")]
    for snr in [None if x == "clean" else float(x) for x in snrs.split(",")]:
        for mode in modes.split(","):
            if snr is None and "1" in mode:
                continue  # no noisy second: the same audio
            found = reported = alarms = 0
            began = time.monotonic()
            for case in cases:
                result = _one(case, snr, kind, mode, ctx)
                said = case.phrase[0]
                required = result.details.get("required", [])
                status = {r["phrase"]: r["status"] for r in required}
                events = [e for e in result.events if e.check == "forbidden_phrase"]
                found += status.get(said) == "found"
                reported += any(
                    e.details["phrase"] == said and e.start <= case.end + 0.5
                    and e.end >= case.start - 0.5 for e in events
                )  # fmt: skip
                # A negated recording says 不 + its phrase (the "forbidden" column: reported
                # there, a false alarm of its own) and its clip's other phrases.
                truth = fm.said_in(case) - ({said} if case.position == "negated" else set())
                alarms += sum(e.details["phrase"] not in truth for e in events)
            label = "clean" if snr is None else f"{kind} {snr:g} dB"
            label += " +DFN3" * ("1" in mode) + f" +{listener}" * ("w" in mode)
            label += " only" * ("o" in mode) + " (hotwords)" * ("h" in mode)
            print(f"{split:8s} {label:34s} required {found}/{len(cases)}  forbidden "
                  f"{reported}/{len(cases)}  false alarms {alarms}  "
                  f"({time.monotonic() - began:.0f} s)", flush=True)  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(*sys.argv[1:])
    else:
        print(__doc__)
