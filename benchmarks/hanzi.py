"""Cost of the reviewers' character transcript (figures for docs/hanzi-transcript.md).

Builds a recording of real Mandarin speech (every clip of ``../shared/media/speech_zh`` and the
keyword model's ``test_wavs``, 0.5 s apart, repeated to about MINUTES minutes) as a WAV in a
temporary folder, then times ``recording_hanzi`` on it (decode, voice activity, whisper-base-pypi
with the default options) and its cache hit. Prints wall and CPU seconds per minute of speech
and the load average before and after.

    PYTHONPATH=$PWD DUALREC_TEST_MEDIA=../shared/media \
        .venv/bin/python benchmarks/hanzi.py [MINUTES]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import wave
from pathlib import Path


def _recording(folder: Path, minutes: float) -> Path:
    import numpy as np

    from tests import forbidden_media as fm

    names = [*fm.SPEECH_ZH, "firered_IT0011W0001.wav", *(f"{i}.wav" for i in range(7))]
    gap = np.zeros(fm.SR // 2, np.float32)
    parts: list[np.ndarray] = []
    while sum(len(p) for p in parts) < minutes * 60 * fm.SR:
        for n in names:
            parts += [fm.clip(n), gap]
    audio = np.concatenate(parts)
    path = folder / "speech.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(fm.SR)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def main(minutes: str = "3") -> None:
    from dualrec_audit.audit.hanzi import HanziCache, recording_hanzi
    from dualrec_audit.models.registry import ModelStore
    from dualrec_audit.speech.hanzi import HANZI_MODEL
    from tests.conftest import models_root

    store = ModelStore(models_root(HANZI_MODEL))
    with tempfile.TemporaryDirectory(prefix="dualrec-hanzi-bench-") as tmp:
        path = _recording(Path(tmp), float(minutes))
        cache = HanziCache(Path(tmp) / "cache")
        load0 = os.getloadavg()
        cpu0, t0 = time.process_time(), time.monotonic()
        t = recording_hanzi(path, cache=cache, store=store)
        wall, cpu = time.monotonic() - t0, time.process_time() - cpu0
        load1 = os.getloadavg()
        t1 = time.monotonic()
        hit = recording_hanzi(path, cache=cache, store=store)
        hit_s = time.monotonic() - t1
    per_min = 60 / max(t.speech_s, 1e-9)
    print(f"recording {float(minutes):g} min, speech {t.speech_s:.1f} s, {len(t.words)} words, "
          f"{len(t.text)} characters, truncated {list(t.truncated)}")  # fmt: skip
    print(f"wall {wall:.1f} s ({wall * per_min:.1f} s per minute of speech), "
          f"CPU {cpu:.1f} s ({cpu * per_min:.1f} s per minute of speech)")  # fmt: skip
    print(f"cache hit {hit_s * 1000:.0f} ms (cached={hit.cached})")
    print(f"load average before {load0[0]:.1f}, after {load1[0]:.1f}; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main(*sys.argv[1:])
