"""Phrase recall in noise, with and without speech enhancement (figures for docs/script-noise.md).

The test recordings of ``tests/forbidden_media.py`` (phrases said at the start, mid-sentence and
after a pause), clean and with branch-office noise (babble, hum, room) at 10, 5 and 0 dB SNR;
each phrase is a required and a forbidden phrase of a test list. Prints one line per condition:
required phrases found, forbidden phrases reported, false alarms.

    PYTHONPATH=$PWD DUALREC_TEST_MEDIA=../shared/media \
        .venv/bin/python benchmarks/script_noise.py tune|held_out [KIND [SNRS [MODES [POSITIONS]]]]
"""

from __future__ import annotations

import sys
import time


def main(
    split: str,
    kind: str = "branch",
    snrs: str = "clean,10,5,0",
    modes: str = "0,1",
    positions: str = "start,mid,pause",
) -> None:
    """``snrs``: which conditions (comma-separated; ``clean`` or dB); ``modes``: without (0)
    and/or with (1) the enhancer; ``positions``: which of the recordings."""
    from dualrec_audit.checks.script import run_script_check
    from dualrec_audit.checks.speech import run_speech_check
    from dualrec_audit.core.result import CheckResult
    from dualrec_audit.models.registry import ModelStore
    from dualrec_audit.speech.enhance import enhanced_view
    from dualrec_audit.speech.phrases import Phrase, PhraseSet
    from dualrec_audit.speech.select import script_engine
    from tests import forbidden_media as fm
    from tests.conftest import models_root

    engine, _ = script_engine(ModelStore(models_root(fm.KWS_MODEL)), fm.KWS_MODEL)
    assert engine is not None
    listed = tuple(Phrase(p) for p in fm.phrases_said(split))
    phrases = PhraseSet(listed, listed, "test")
    cases = [c for c in fm.cases(split) if c.position in positions.split(",")]
    levels = [None if x == "clean" else float(x) for x in snrs.split(",")]
    wanted = [m == "1" for m in modes.split(",")]
    for snr in levels:
        for enhance in [m for m in wanted if snr is not None or not m]:
            found = reported = alarms = 0
            began = time.monotonic()
            for case in cases:
                audio = case.audio if snr is None else fm.mix_noise(case.audio, snr, kind)
                duration = len(audio) / fm.SR
                _, analysis = run_speech_check(audio, fm.SR, duration)
                assert analysis is not None
                heard = audio
                if enhance:
                    heard, _ = enhanced_view(audio, analysis.snr_db)
                syllables = engine.syllables(heard, analysis.regions)
                transcript = CheckResult("transcript", "ok", details={"model": engine.name})
                result = run_script_check(transcript, (), phrases, duration, engine=engine,
                                          syllables=syllables, audio=heard,
                                          regions=analysis.regions)  # fmt: skip
                said = case.phrase[0]
                status = {r["phrase"]: r["status"] for r in result.details["required"]}
                events = [e for e in result.events if e.check == "forbidden_phrase"]
                found += status[said] == "found"
                reported += any(
                    e.details["phrase"] == said and e.start <= case.end + 0.5
                    and e.end >= case.start - 0.5 for e in events
                )  # fmt: skip
                alarms += sum(e.details["phrase"] not in fm.said_in(case) for e in events)
            label = "clean" if snr is None else f"{kind} {snr:g} dB" + (" +DFN3" if enhance else "")
            print(f"{split:8s} {label:22s} required {found}/{len(cases)}  forbidden "
                  f"{reported}/{len(cases)}  false alarms {alarms}  "
                  f"({time.monotonic() - began:.0f} s)", flush=True)  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(*sys.argv[1:])
    else:
        print(__doc__)
