"""A recording's transcript in Chinese characters for reviewers, cached, off the decision's path.

:func:`recording_hanzi` decodes the recording's sound (the track the audit chooses), finds its
speech regions with the speech check's voice activity, and runs the character transcriber
(``speech/hanzi.py``) on them. Nothing here touches an audit or a decision: the scan computes
it after a recording's decision when asked (``scan --characters``, recordings sent to review), and
the review window when a reviewer opens a recording (in a worker thread).

The result is cached in a JSON file per recording and model (:class:`HanziCache`): the key is
the recording's content sha256, the model's name and a digest of its version and the options
that change the text, so a second look costs nothing, and a new model or version computes
afresh. A cached transcript is served even where the model is no longer installed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dualrec_audit.checks.speech import SpeechParams, analyse
from dualrec_audit.core.result import Word
from dualrec_audit.media.sound import SAMPLE_RATE, choose_audio_track, decode_audio_tracks
from dualrec_audit.models.download import sha256_of
from dualrec_audit.models.registry import ModelStore
from dualrec_audit.speech.hanzi import HANZI_MODEL, LANGUAGE, hanzi_transcriber
from dualrec_audit.speech.transcriber import WhisperOptions

log = logging.getLogger(__name__)

FORMAT = 1  # of the cache files: a change of their content or meaning bumps it
CACHE_ENV = "DUALREC_AUDIT_CACHE"


@dataclass(frozen=True)
class HanziTranscript:
    """The character transcript of one recording (``cached``: read from the cache)."""

    sha256: str
    model: str
    model_version: str
    words: tuple[Word, ...]
    truncated: tuple[dict[str, Any], ...] = ()  # spans the recogniser gave up on
    speech_s: float = 0.0  # seconds of speech transcribed
    elapsed_s: float = 0.0  # wall seconds it took (decode, voice activity, recogniser)
    language: str = LANGUAGE
    cached: bool = field(default=False, compare=False)

    @property
    def text(self) -> str:
        return "".join(w.text for w in self.words)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "sha256": self.sha256,
            "model": self.model,
            "model_version": self.model_version,
            "language": self.language,
            "speech_s": round(self.speech_s, 2),
            "elapsed_s": round(self.elapsed_s, 2),
            "truncated": list(self.truncated),
            "words": [w.to_dict() for w in self.words],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], *, cached: bool = False) -> HanziTranscript:
        return cls(
            sha256=str(d["sha256"]),
            model=str(d["model"]),
            model_version=str(d["model_version"]),
            words=tuple(
                Word(float(w["start"]), float(w["end"]), str(w["text"]), float(w["probability"]))
                for w in d["words"]
            ),
            truncated=tuple(d.get("truncated", ())),
            speech_s=float(d.get("speech_s", 0.0)),
            elapsed_s=float(d.get("elapsed_s", 0.0)),
            language=str(d.get("language", LANGUAGE)),
            cached=cached,
        )


def default_cache_dir() -> Path:
    """``$DUALREC_AUDIT_CACHE/hanzi``, else the user's cache folder."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env) / "hanzi"
    import platformdirs

    return Path(platformdirs.user_cache_dir("dualrec-audit", appauthor=False)) / "hanzi"


class HanziCache:
    """Character transcripts as JSON files, one per recording (content sha256) and model."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or default_cache_dir()

    def path(self, sha256: str, model: str, key: str) -> Path:
        return self.folder / f"{sha256}.{model}.{key}.json"

    def get(self, sha256: str, model: str, key: str) -> HanziTranscript | None:
        try:
            data = json.loads(self.path(sha256, model, key).read_text(encoding="utf-8"))
            if data.get("format") != FORMAT or data.get("sha256") != sha256:
                return None
            return HanziTranscript.from_dict(data, cached=True)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:  # damaged: computed again
            log.warning("ignoring a damaged character-transcript cache file: %s", exc)
            return None

    def put(self, t: HanziTranscript, key: str) -> None:
        """Written under a temporary name, then renamed: a reader never sees half a file."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".hanzi-", suffix=".json", dir=self.folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(t.to_dict(), f, ensure_ascii=False)
            os.replace(tmp, self.path(t.sha256, t.model, key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def cache_key(model_version: str, options: WhisperOptions) -> str:
    """What changes the text beside the recording: the model's version and the decoding."""
    what = f"{FORMAT}|{model_version}|{options.beam_size}|{options.temperature}"
    what += f"|{options.tokens_per_second}|{options.compute_type}"
    return hashlib.sha256(what.encode("utf-8")).hexdigest()[:12]


def recording_hanzi(
    path: Path,
    sha256: str = "",
    *,
    cache: HanziCache | None = None,
    store: ModelStore | None = None,
    model: str = HANZI_MODEL,
    options: WhisperOptions | None = None,
    speech: SpeechParams | None = None,
    cancel: threading.Event | None = None,
) -> HanziTranscript:
    """The recording's character transcript, from the cache or computed (then cached).

    ``sha256``: the recording's content sha256 as stored (computed from the file when empty).
    A missing or corrupt model is a :class:`~dualrec_audit.core.errors.ModelError` with the
    command that installs it; a file that cannot be read, a ``MediaError``. ``cancel`` set
    while it runs (the reviewer left the recording): it stops after the window under way, and
    what it has is returned, not cached."""
    store = store or ModelStore()
    options = options or WhisperOptions()
    spec = store.spec(model)
    key = cache_key(spec.version, options)
    sha256 = sha256 or sha256_of(Path(path))
    if cache is not None:
        hit = cache.get(sha256, model, key)
        if hit is not None:
            log.debug("character transcript of %s from the cache", path)
            return hit
    transcriber = hanzi_transcriber(store, model, options)
    t0 = time.monotonic()
    tracks = decode_audio_tracks(Path(path), SAMPLE_RATE)
    try:
        chosen = choose_audio_track(tracks)
        audio = tracks[chosen] if tracks else None
        words: list[Word] = []
        truncated: list[dict[str, Any]] = []
        regions: list[tuple[float, float]] = []
        if audio is not None and len(audio):
            duration = len(audio) / SAMPLE_RATE
            regions = analyse(audio, SAMPLE_RATE, duration, speech or SpeechParams()).regions
            heard = transcriber.transcribe(audio, regions, cancel)
            words, truncated = list(heard), list(heard.truncated)
    finally:
        for t in tracks:
            t.close()
    out = HanziTranscript(
        sha256=sha256,
        model=transcriber.name,
        model_version=transcriber.version,
        words=tuple(words),
        truncated=tuple(truncated),
        speech_s=sum(b - a for a, b in regions),
        elapsed_s=time.monotonic() - t0,
    )
    log.info(
        "character transcript of %s: %d words, %.1f s of speech in %.1f s",
        path,
        len(words),
        out.speech_s,
        out.elapsed_s,
    )
    out = HanziTranscript.from_dict(out.to_dict())  # rounded as cached: the same either way
    if cache is not None and not (cancel is not None and cancel.is_set()):
        cache.put(out, key)
    return out
