"""Phrase recall and false alarms of the spotter's sweep settings, with absent phrases
competing in full streams (issue 34; figures in docs/speed.md).

The recordings of ``tests/forbidden_media.py`` (one split, clean or at 0 dB hum), each test
phrase both required and forbidden, with ``fund_sale``'s phrases (required, confirmations,
its forbidden ones and the shared list: never said) added to the lists. Prints one line per
setting: required found, forbidden reported (of which doubtful), false alarms (the phrases
reported where they are not said) and the CPU seconds of the pass.

    PYTHONPATH=$PWD DUALREC_TEST_MEDIA=../shared/media DUALREC_AUDIT_MODELS=../shared/models \
        nice -n 10 .venv/bin/python benchmarks/sweep_recall.py tune|held_out clean|hum \
        'NAME:KEY=VALUE,...;NAME2:...'

e.g. ``'new:;main:sweep_per_stream=8,sweep_recheck_per_stream=0,nested_share=False'``
(main's search; the first one sweep of issue 34:
``one:one_sweep=True,forbidden_per_stream=64,recheck_per_stream=8``; values are Python
literals). This is a measurement, not a test.
"""

from __future__ import annotations

import ast
import resource
import sys
from typing import Any


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _params(spec: str) -> dict[str, Any]:
    pairs = [kv.split("=", 1) for kv in spec.split(",") if kv]
    return {k.strip(): ast.literal_eval(v.strip()) for k, v in pairs}


def _tally(engine: Any, case: Any, audio: Any, params: Any) -> tuple[Any, list[str]]:
    from dualrec_audit.rules.profiles import get_profile
    from dualrec_audit.speech.phrases import Phrase, PhraseSet
    from tests import forbidden_media as fm
    from tests.test_forbidden_sweep import Tally, script_of

    absent = get_profile("fund_sale").phrase_set()
    listed = tuple(Phrase(p) for p in fm.phrases_said(case.split))
    phrases = PhraseSet(listed + absent.required, listed + absent.forbidden, "stress")
    result = script_of(engine, audio, phrases, params)
    said = case.phrase[0]
    status = {r["phrase"]: r["status"] for r in result.details["required"]}
    events = [e for e in result.events if e.check == "forbidden_phrase"]
    here = [
        e
        for e in events
        if e.details["phrase"] == said and e.start <= case.end + 0.5 and e.end >= case.start - 0.5
    ]
    wrong = [e.details["phrase"] for e in events if e.details["phrase"] not in fm.said_in(case)]
    doubtful = bool(here) and all(e.severity == "medium" for e in here)
    found = status[said] == "found"
    return Tally(1, int(found), int(bool(here)), int(doubtful), len(wrong)), wrong


def main(split: str, noise: str, settings: str) -> None:
    from dualrec_audit.checks.script import ScriptParams
    from dualrec_audit.models.registry import ModelStore
    from dualrec_audit.speech.select import script_engine
    from tests import forbidden_media as fm
    from tests.conftest import models_root
    from tests.test_forbidden_sweep import Tally

    engine, reason = script_engine(ModelStore(models_root(fm.KWS_MODEL)), fm.KWS_MODEL)
    if engine is None:
        raise SystemExit(str(reason))
    cases = [
        (c, c.audio if noise == "clean" else fm.mix_noise(c.audio, 0.0, "hum"))
        for c in fm.cases(split)
    ]
    for setting in settings.split(";"):
        name, _, spec = setting.partition(":")
        params = ScriptParams(**_params(spec))
        total, wrong, c0 = Tally(), [], _cpu()
        for case, audio in cases:
            t, w = _tally(engine, case, audio, params)
            total.add(t)
            wrong += w
        print(
            f"{split} {noise} {name} ({spec or 'defaults'}): required {total.required}/"
            f"{total.cases}, forbidden {total.forbidden} ({total.doubtful} doubtful), "
            f"false alarms {total.false_alarms} {wrong}, {_cpu() - c0:.1f} CPU s",
            flush=True,
        )


if __name__ == "__main__":
    main(*sys.argv[1:4])
