"""The script stage's CPU seconds on continuous speech, phrases said against phrases missing,
with the defaults and with main's search, back to back in one process (issue 34; figures in
docs/speed.md).

A cheaper proxy for ``benchmarks/continuous.py``'s said and missing rows: the speech check,
the pinyin recogniser and the script check (nothing of the picture) on the sound of the
continuous-speech recording's unit (79 s) repeated ``--units`` times, under ``bench_said``
and ``fund_sale``. Each line: the process CPU time of that check (not wall: the machine is
shared), the spotter's streams over all the speech, the required phrases found.

    PYTHONPATH=$PWD DUALREC_TEST_MEDIA=../shared/media DUALREC_AUDIT_MODELS=../shared/models \
        nice -n 10 .venv/bin/python benchmarks/script_cpu.py [--units 2] [--repeat 1]

This is a measurement, not a test: nothing here asserts on a time.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.common import CACHE
from benchmarks.continuous import build_continuous, said_profile


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    from dualrec_audit.checks.script import ScriptParams
    from dualrec_audit.media.sound import SAMPLE_RATE, load_audio
    from dualrec_audit.models.registry import ModelStore
    from dualrec_audit.rules.profiles import get_profile, load_profile_file
    from dualrec_audit.speech.select import script_engine
    from tests import forbidden_media as fm
    from tests.conftest import models_root
    from tests.test_forbidden_sweep import script_of
    from tests.test_sweep_cost import Counting

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    build_continuous(10.0)  # (cached) and the unit it repeats
    unit = load_audio(CACHE / "continuous_unit.mp4")
    if unit is None:
        raise SystemExit("the continuous-speech unit has no sound")
    audio = np.concatenate([unit] * args.units).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench_said.toml"
        path.write_text(said_profile(), encoding="utf-8")
        said = load_profile_file(path).phrase_set()
    missing = get_profile("fund_sale").phrase_set()
    engine, reason = script_engine(ModelStore(models_root(fm.KWS_MODEL)), fm.KWS_MODEL)
    if engine is None:
        raise SystemExit(str(reason))
    main_search = ScriptParams(sweep_per_stream=8, sweep_recheck_per_stream=0, nested_share=False)
    script_of(engine, audio[: 5 * SAMPLE_RATE], said)  # the models loaded once, not timed
    print(f"{len(audio) / SAMPLE_RATE:.1f} s of speech, load {os.getloadavg()}", flush=True)
    for _ in range(args.repeat):
        for name, params in (("defaults", ScriptParams()), ("main", main_search)):
            for which, phrases in (("said", said), ("missing", missing)):
                counting = Counting(engine, (0.0, len(audio) / SAMPLE_RATE))
                c0 = _cpu()
                result = script_of(counting, audio, phrases, params)
                req = result.details["required"]
                print(
                    f"{name:9s} {which:8s} {_cpu() - c0:6.1f} CPU s, {len(counting.passes)} "
                    f"streams over all the speech, found {sum(1 for q in req if q['found'])}/"
                    f"{len(req)}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
