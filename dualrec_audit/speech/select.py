"""Which recognisers an audit uses, from the options and what is installed.

- The **script engine** (``--script-model``, default ``auto``): a ``kws-zh`` model, the pinyin
  recogniser and keyword spotter that verify the required phrases. ``auto`` takes the first
  ``kws-zh`` model of the manifest that is installed (the bundled ``kws-zh-3.3m``).
- The **transcript model** (``--asr-model``, default ``auto``): what reviewers read. ``auto``
  takes the best installed model in :data:`TRANSCRIPT_AUTO_ORDER`; with none installed the
  transcript shows the script engine's pinyin syllables.

A model named but not installed, or corrupt, is a :class:`ModelError` (nothing falls back
silently); ``none`` turns either off.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dualrec_audit.core.errors import ModelError
from dualrec_audit.core.i18n import NO_SCRIPT_MODEL, NO_SPEECH_MODEL
from dualrec_audit.core.result import Text, Word
from dualrec_audit.models.registry import LocatedModel, ModelStore, sha256_file
from dualrec_audit.speech.sherpa import PinyinEngine
from dualrec_audit.speech.sherpa_asr import TRANSCRIPT_KINDS, SherpaTranscriber
from dualrec_audit.speech.transcriber import FasterWhisperTranscriber, Transcriber, WhisperOptions

if TYPE_CHECKING:
    from dualrec_audit.media.sound import Audio

# Best first: the Mandarin models run by sherpa-onnx, then Whisper (weakest for Mandarin).
TRANSCRIPT_AUTO_ORDER = (
    "paraformer-zh",
    "sensevoice-small",
    "zipformer-zh-streaming",
    "whisper-small",
    "whisper-base",
    "whisper-tiny",
)
SCRIPT_KIND = "kws-zh"
WHISPER_KIND = "speech"
SPEECH_DISABLED = Text("已按选项关闭语音识别", "Speech recognition disabled by option")
SCRIPT_DISABLED = Text("已按选项关闭话术核验", "Script verification disabled by option")


def best_installed(store: ModelStore, order: tuple[str, ...]) -> str | None:
    """The first model of ``order`` (known to the manifest) that is installed."""
    for name in order:
        if name in store.specs and store.find_root(name) is not None:
            return name
    return None


def script_engine(
    store: ModelStore, choice: str, threads: int = 1
) -> tuple[PinyinEngine | None, Text | None]:
    """The pinyin engine for ``--script-model`` (a name, ``auto`` or ``none``)."""
    if choice == "none":
        return None, SCRIPT_DISABLED
    if choice == "auto":
        kws = tuple(n for n, s in store.specs.items() if s.kind == SCRIPT_KIND)
        found = best_installed(store, kws)
        if found is None:
            return None, NO_SCRIPT_MODEL
        choice = found
    located = store.locate(choice)
    if located.spec.kind != SCRIPT_KIND:
        raise ModelError(
            f"Model '{choice}' is a {located.spec.kind} model, not a {SCRIPT_KIND} model "
            "(the script check needs a pinyin keyword-spotting model)."
        )
    engine = PinyinEngine(
        located.path,
        located.spec.name,
        located.version,
        threads=threads,
        trusted=not located.spec.test_only,
    )
    if not all(f.sha256 for f in located.spec.files):
        # Unpinned files: only loading them proves them whole, before any file is audited.
        # Pinned ones matched their published sha256 in locate(): the models are loaded when
        # first used, in the audit's sound thread, off the start-up path.
        engine.load()
    return engine, None


def transcript_model(
    store: ModelStore, choice: str, whisper: WhisperOptions, threads: int = 1
) -> tuple[Transcriber | None, Text | None]:
    """The transcript model for ``--asr-model`` (a name, a folder, ``auto`` or ``none``)."""
    if choice == "none":
        return None, SPEECH_DISABLED
    if choice == "auto":
        found = best_installed(store, TRANSCRIPT_AUTO_ORDER)
        if found is None:
            return None, NO_SPEECH_MODEL
        choice = found
    folder = Path(choice)
    if choice not in store.specs and (folder / "model.bin").is_file():
        digest = sha256_file(folder / "model.bin")[:12]
        return (
            FasterWhisperTranscriber(
                folder, f"local:{folder.name}", f"sha256:{digest}", options=whisper
            ),
            None,
        )
    return _from_manifest(store.locate(choice), whisper, threads), None


def _from_manifest(located: LocatedModel, whisper: WhisperOptions, threads: int) -> Transcriber:
    spec = located.spec
    trusted = not spec.test_only
    if spec.kind == WHISPER_KIND:
        return FasterWhisperTranscriber(
            located.path, spec.name, located.version, trusted=trusted, options=whisper
        )
    if spec.kind in TRANSCRIPT_KINDS:
        return SherpaTranscriber(
            located.path, spec.name, located.version, spec.kind, threads=threads, trusted=trusted
        )
    raise ModelError(
        f"Model '{spec.name}' is a {spec.kind} model, not a transcript model "
        f"(kinds: {WHISPER_KIND}, {', '.join(TRANSCRIPT_KINDS)})."
    )


class SyllableTranscript:
    """The script engine's syllables shown as the transcript (no transcript model installed).

    The syllables are decoded once by the pipeline and handed over; ``transcribe`` returns
    them."""

    def __init__(self, engine: PinyinEngine, syllables: list[Word]) -> None:
        self.name = engine.name
        self.version = engine.version
        self.trusted = engine.trusted
        self.units = "pinyin"
        self._syllables = syllables

    def transcribe(self, audio: Audio, regions: Any, **_: Any) -> list[Word]:
        return list(self._syllables)
