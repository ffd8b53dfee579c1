"""Benchmark: x real time and peak memory of dualrec-audit, per stage and whole, for `check` and
`scan`, against a naive pipeline and the decode-every-frame floor, all in the same run.

    .venv/bin/python benchmarks/run.py [--quick] [--minutes 10] [--skip-naive] [--skip-scan]
                                       [--asr-model NAME|DIR] [--json OUT]
    .venv/bin/python benchmarks/run.py --encodings [NAME ...] [--encoding-minutes 3]

x real time = recording seconds / wall seconds. Every figure comes from a fresh process
(benchmarks/measure.py KIND, or the dualrec-audit command itself), so that its peak memory is
its own. *Cold* = the first pass in a fresh process with its imports and model loading (what a
single `check` pays); *warm* = the last pass in that process (the steady state of a batch).

- recordings: a 720p H.264 recording of --minutes (default 10) built once into
  benchmarks/.cache/ by remuxing the samples end to end (no re-encoding); --quick uses a
  2-minute one instead, built the same way.
- floor: decoding every frame with OpenCV (cv2.VideoCapture.read), nothing else.
- the script stage alone (benchmarks/measure.py script): the kws-zh pinyin recogniser on the
  speech regions and the keyword spotter verifying the phrases, under the bundled_samples
  profile (its sentences are said all through the recording) and under fund_sale (none of its
  phrases are said: every one is swept for over all the speech, the worst case);
- stages of `check`, each measured alone: decode (the pipeline's sampler at 2 frames/s),
  faces, video quality, audio decode, speech (voice activity, clarity), talk (who talks: the
  mouth tracker's own calls, reported as a share of faces+video+speech), transcript, and from the
  whole pipeline's progress hook: script, rules; then AuditPipeline.apply whole (per stage
  again, decoding overlapped with the frame checks as in production) and the `check` command.
- naive pipeline: every frame through every face model and the video check, the whole audio
  through the recogniser without voice activity detection; reported as a ratio.
- scan: `dualrec-audit scan --workers 1` and `--workers 2` on a folder of recordings; peak
  memory is the sum of the resident memory (VmRSS) of the scan process and its workers,
  sampled from /proc every 0.1 s (Linux only).

- --encodings (alone: nothing else is measured): the first --encoding-minutes of the long
  recording re-encoded like branch recorders (sample_videos/build_encodings.py: H.264 Baseline
  with a key frame every 1 s and 4 s, H.264 High with B-frames, HEVC; 720p25 and 1080p30),
  built once into benchmarks/.cache/encodings/. Per encoding, in the same run: the floor
  (OpenCV decodes every frame, as everywhere in this benchmark), the decoder alone (PyAV
  decodes every frame in full, a thread per core, no pixels), the sampled decode (exact
  and the file's own plan), faces (before: detection at full width on every sample; after:
  tracking and the fast path), video, and the non-ASR checks whole (AuditPipeline.apply,
  transcript and script off), as x real time and as a ratio to the floor. The floor and the
  checks are measured --encoding-rounds times, one right after the other, and the ratio is
  the median of the rounds' (the machine's speed drifts between minutes).

This is a measurement, not a test: nothing here asserts on a time.

This file is the command line: the argument parser and one function per mode. The modes' work
is in benchmarks/suite.py (the main run), lengths.py (--lengths), recorder_encodings.py
(--encodings) and ray_overhead.py (--ray-overhead); the main run's figures and table are in
report.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere: the checkout's packages first
    sys.path.insert(0, str(ROOT))

from benchmarks import lengths, ray_overhead  # noqa: E402
from benchmarks.common import CACHE, save_run  # noqa: E402
from benchmarks.recorder_encodings import (  # noqa: E402
    encoding_row,
    print_encodings,
    run_encodings,
)
from benchmarks.report import figures, print_report  # noqa: E402
from benchmarks.suite import (  # noqa: E402
    QUICK_MINUTES,
    QUICK_NAIVE_S,
    TEST_MODEL_ASR_S,
    run_suite,
)


def parser() -> argparse.ArgumentParser:
    """Every option of every mode, in the order --help lists them."""
    ap = argparse.ArgumentParser(
        description=" ".join((__doc__ or "").split("\n\n")[0].split()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Figures: a table on stdout; --json OUT for every figure with the commit, "
        "the machine and the library versions.",
    )
    add_suite_options(ap)
    ap.add_argument("--cache", type=Path, default=CACHE, help="where recordings are built")
    ap.add_argument(
        "--build-only", action="store_true", help="build the recordings, print them, stop"
    )
    ap.add_argument("--json", type=Path, help="also write every figure here")
    add_lengths_options(ap)
    add_encodings_options(ap)
    ap.add_argument(
        "--report", type=Path, metavar="JSON", help="print the table of a saved --json run"
    )
    ap.add_argument(
        "--ray-overhead",
        action="store_true",
        help="only scan --ray against scan --workers 2 (benchmarks/ray_overhead.py; needs Ray)",
    )
    return ap


def add_suite_options(ap: argparse.ArgumentParser) -> None:
    """The main run's options."""
    ap.add_argument(
        "--quick",
        action="store_true",
        help=f"a fast sanity run: the {QUICK_MINUTES:g}-minute recording only, the naive "
        f"pipeline on its first {QUICK_NAIVE_S:g} s, scan on it and the six samples",
    )
    ap.add_argument(
        "--minutes", type=float, default=10.0, help="length of the long recording (default 10)"
    )
    ap.add_argument("--skip-stages", action="store_true", help="no per-stage measurements")
    ap.add_argument("--skip-naive", action="store_true", help="no naive pipeline")
    ap.add_argument("--skip-scan", action="store_true", help="no scan --workers 1/2")
    ap.add_argument("--skip-asr", action="store_true", help="no speech-recogniser measurements")
    ap.add_argument("--skip-documents", action="store_true", help="no documents-check measurements")
    ap.add_argument(
        "--naive-seconds",
        type=float,
        help="run the naive pipeline on the first S seconds only (default: the whole "
        f"recording; --quick: {QUICK_NAIVE_S:g})",
    )
    ap.add_argument(
        "--asr-model",
        help="a trained speech model (name or folder) for the transcript in every "
        "measurement. Default: transcript off in check and scan, and the recogniser "
        "measured with the random-weight test model (not representative)",
    )
    ap.add_argument(
        "--asr-seconds",
        type=float,
        help=f"recogniser measurements on the first S seconds (default: all; the test model: "
        f"{TEST_MODEL_ASR_S:g})",
    )
    ap.add_argument("--passes", type=int, default=2, help="passes per stage process (default 2)")


def add_lengths_options(ap: argparse.ArgumentParser) -> None:
    """The by-length benchmark's options (--lengths)."""
    ap.add_argument(
        "--lengths",
        action="store_true",
        help="only the by-length benchmark (benchmarks/lengths.py): 20 s, 36 s and "
        "--lengths-minutes recordings, floor, whole audit per stage, peak memory",
    )
    ap.add_argument(
        "--lengths-minutes",
        default="10,60",
        help="long recordings for --lengths, in minutes (default 10,60)",
    )
    ap.add_argument(
        "--lengths-no-clips",
        action="store_true",
        help="with --lengths: not the 20 s and 36 s clips",
    )
    ap.add_argument(
        "--lengths-cli",
        action="store_true",
        help="with --lengths: the check command on the long recordings too",
    )


def add_encodings_options(ap: argparse.ArgumentParser) -> None:
    """The recorder-style encodings' options (--encodings)."""
    ap.add_argument(
        "--encodings",
        nargs="*",
        metavar="NAME",
        help="measure only the recorder-style encodings (all, or these names of "
        "sample_videos/build_encodings.py)",
    )
    ap.add_argument(
        "--encoding-minutes",
        type=float,
        default=3.0,
        help="length of each encoding's recording (default 3)",
    )
    ap.add_argument(
        "--encoding-rounds",
        type=int,
        default=3,
        help="rounds of the floor then the checks per encoding; the ratio is their median "
        "(default 3)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.ray_overhead:
        return ray_overhead.main(["--json", str(args.json)] if args.json else [])
    if args.report:
        return show_report(args.report)
    if args.lengths:
        return run_lengths(args)
    if args.encodings is not None:
        return run_encodings(args)
    return run_suite(args)


def show_report(path: Path) -> int:
    """--report: the table of a run saved with --json (the main run's, or --encodings')."""
    saved = json.loads(path.read_text(encoding="utf-8"))
    meta = saved["meta"]
    if "rows" in saved:  # an --encodings run
        print_encodings([encoding_row(n, r) for n, r in saved["raw"].items()], meta)
        return 0
    naive = saved["raw"].get("naive", {}).get("passes", [{}])[0].get("seconds")
    print_report(figures(saved["raw"], meta["recording"]["duration_s"], meta, naive), meta)
    return 0


def run_lengths(args: argparse.Namespace) -> int:
    """--lengths: the by-length benchmark alone; --json for every figure."""
    out = lengths.run(args)
    if args.json:
        save_run(args.json, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
