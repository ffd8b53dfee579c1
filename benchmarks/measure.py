"""One benchmark measurement, run by benchmarks/run.py in a fresh process of its own.

    python benchmarks/measure.py KIND FILE [--fps 2] [--passes 2] [--asr-model DIR]

prints one JSON line: ``setup_s`` (imports and model loading), ``passes`` (one dict per pass
over the file: seconds per part, wall and CPU seconds), ``rss_mb`` (this process's peak
resident memory, getrusage) and what the kind adds. A fresh process per measurement keeps the
peak memory of each one its own. Kinds:

- floor: OpenCV decodes every frame (cv2.VideoCapture.read), nothing else;
- floor_av: PyAV decodes every frame in full, set up as the sampler sets it up but with a
  thread per core (decoding alone), no pixel conversion: the encodings benchmark's stricter
  reference;
- decode: the pipeline's own sampler (media.sample_frames at --fps), pixels included;
- faces, video: the sampler feeds FacesCheck / VideoQualityCheck; only their update() and
  finish() calls are timed (the decoding in between is not);
- speech: load_audio (part "audio_decode") then the speech check (part "speech": voice
  activity, SNR, clipping);
- documents: the sampler feeds the documents check (high_risk_product's 风险揭示书 and an ID
  card); only its update() and finish() calls are timed, with the OCR runs (regions read) and
  the lines recognised counted;
- whole: AuditPipeline.apply (what `check` runs per file), per stage from its progress hook;
- naive: every frame (full frame rate, non-reference frames included) through the same face
  models (YuNet, and the landmarker on every face) and the video check, with the same
  decode-ahead thread as the pipeline; then the audio decode and speech check (--seconds:
  only the first S seconds of the recording);
- script: the script stage alone on the whole recording: the kws-zh pinyin recogniser on the
  speech regions (part "recogniser"), then phrase verification with the keyword spotter (part
  "spotter": windows, and the sweep for phrases not heard) for --profile's phrases;
- asr: the recogniser on the speech regions (clip_timestamps), as the transcript stage runs it;
- asr_naive: the recogniser on the whole audio, no voice activity detection, no clips.

Linux and macOS (resource.getrusage). This is a measurement, not a test.

This file is the command line and the table of kinds; the kinds themselves are in
benchmarks/measure_media.py (decoding and the checks) and benchmarks/measure_audit.py (the
whole audit, the script stage, the recognisers).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere: the checkout's package first
    sys.path.insert(0, str(ROOT))

# The kinds' modules first: their base sets T_START, from which each set-up is timed.
from benchmarks.measure_audit import m_asr, m_asr_naive, m_script, m_whole  # noqa: E402
from benchmarks.measure_base import peak_mb  # noqa: E402
from benchmarks.measure_media import (  # noqa: E402
    m_decode,
    m_documents,
    m_floor,
    m_floor_av,
    m_frame_check,
    m_naive,
    m_speech,
    m_talk,
)

KINDS = {
    "floor": m_floor,
    "floor_av": m_floor_av,
    "decode": m_decode,
    "faces": m_frame_check,
    "video": m_frame_check,
    "speech": m_speech,
    "talk": m_talk,
    "whole": m_whole,
    "documents": m_documents,
    "naive": m_naive,
    "script": m_script,
    "asr": m_asr,
    "asr_naive": m_asr_naive,
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kind", choices=sorted(KINDS))
    ap.add_argument("file", type=Path)
    ap.add_argument("--fps", type=float, default=2.0, help="frames sampled per second")
    ap.add_argument("--passes", type=int, default=2, help="passes over the file (2: cold, warm)")
    ap.add_argument("--seconds", type=float, help="naive: only the first S seconds")
    ap.add_argument(
        "--decode",
        choices=("auto", "exact"),
        default="auto",
        help="decode, faces, video, "
        "whole: the file's own plan (auto) or every frame in full (exact)",
    )
    ap.add_argument(
        "--fast-width", type=int, default=320, help="faces: FaceParams.fast_width (0: off)"
    )
    ap.add_argument(
        "--track-size", type=int, default=96, help="faces: FaceParams.track_size (0: off)"
    )
    ap.add_argument("--asr-model", help="speech model folder (asr kinds; whole: none if unset)")
    ap.add_argument("--asr-seconds", type=float, help="asr kinds: only the first S seconds")
    ap.add_argument("--script-model", default="auto", help="whole, script: the kws-zh model")
    ap.add_argument("--profile", default="bundled_samples", help="whole, script: the profile")
    ap.add_argument(
        "--asr-temperature", type=float, nargs="+", help="asr kinds: instead of the default"
    )
    ap.add_argument(
        "--talk-gate",
        choices=("on", "off"),
        default="on",
        help="talk: mouths cropped near the voice only (on) or on every sampled frame (off)",
    )
    args = ap.parse_args()
    out = KINDS[args.kind](args.file, args)
    out["rss_mb"] = peak_mb()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
