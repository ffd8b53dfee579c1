"""Model registry: manifest, lookup order, missing/corrupt models, offline install."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dualrec_audit.cli import main
from dualrec_audit.core.errors import ModelError
from dualrec_audit.models.registry import (
    ModelStore,
    app_models_dir,
    dropin_models_dir,
    sha256_file,
    user_models_dir,
)


def test_manifest_pins_every_bundled_file(isolated_models_env):
    store = ModelStore()
    for name in ("yunet", "face_landmarker"):
        spec = store.spec(name)
        assert spec.bundled and spec.licence and spec.source
        located = store.locate(name)
        assert located.root == app_models_dir()
        for f in spec.files:
            assert sha256_file(located.root / f.path) == f.sha256


def test_unknown_model_lists_valid_names(isolated_models_env):
    with pytest.raises(ModelError) as exc:
        ModelStore().locate("whisper-huge")
    assert "Unknown model 'whisper-huge'" in str(exc.value)
    assert "whisper-base" in str(exc.value) and "yunet" in str(exc.value)


def test_missing_speech_model_says_where_and_how(isolated_models_env):
    with pytest.raises(ModelError) as exc:
        ModelStore().locate("whisper-base")
    msg = str(exc.value)
    assert exc.value.code == "model_missing"
    assert "'whisper-base' is not installed" in msg
    assert str(app_models_dir()) in msg and "dualrec-audit" in msg
    assert "models install --from" in msg and "models pull whisper-base" in msg


def test_explicit_dir_comes_first_and_corruption_is_caught(tmp_path, isolated_models_env):
    models = tmp_path / "models"
    shutil.copytree(app_models_dir() / "opencv", models / "opencv")
    store = ModelStore(models)
    assert store.dirs[0] == models
    assert store.locate("yunet").root == models
    onnx = models / "opencv" / "face_detection_yunet_2023mar.onnx"
    data = bytearray(onnx.read_bytes())
    data[1000] ^= 0xFF
    onnx.write_bytes(bytes(data))
    with pytest.raises(ModelError) as exc:
        ModelStore(models).locate("yunet")
    assert exc.value.code == "model_corrupt"
    assert "sha256" in str(exc.value) and "models install --from" in str(exc.value)


def test_env_var_is_searched(tmp_path, monkeypatch, isolated_models_env, random_whisper_models):
    monkeypatch.setenv("DUALREC_AUDIT_MODELS", str(random_whisper_models))
    store = ModelStore()
    assert random_whisper_models in store.dirs
    assert store.locate("whisper-test-random").path == random_whisper_models / "whisper-test-random"
    # A test model is never picked by "auto".
    assert store.installed_speech_model() is None


def test_install_from_folder_verifies_and_copies(
    tmp_path, isolated_models_env, random_whisper_models
):
    dest = tmp_path / "installed"
    store = ModelStore()
    src = random_whisper_models / "whisper-test-random"  # the model folder itself, name given
    assert store.install_from(src, ["whisper-test-random"], dest) == ["whisper-test-random"]
    assert ModelStore(dest).locate("whisper-test-random").root == dest
    assert (dest / "whisper-test-random" / "README.md").is_file()
    # A corrupt source is refused, nothing is half-installed.
    bad = tmp_path / "bad" / "whisper-test-random"
    shutil.copytree(src, bad)
    (bad / "config.json").write_text("{}")
    with pytest.raises(ModelError, match="Not installing 'whisper-test-random'"):
        store.install_from(bad.parent, None, tmp_path / "other")
    assert not (tmp_path / "other" / "whisper-test-random" / "config.json").exists()


def test_install_from_empty_folder_explains_layout(tmp_path, isolated_models_env):
    with pytest.raises(ModelError, match="No model found"):
        ModelStore().install_from(tmp_path, None, tmp_path / "dest")


def test_cli_models_list_and_verify(capsys, isolated_models_env, random_whisper_models):
    assert main(["models", "--models", str(random_whisper_models), "list"]) == 0
    out = capsys.readouterr().out
    assert "yunet" in out and "whisper-base" in out and "not installed" in out
    assert "(test only)" in out
    assert main(["models", "--models", str(random_whisper_models), "verify"]) == 0
    out = capsys.readouterr().out
    assert "yunet: ok" in out and "whisper-test-random: ok" in out
    assert main(["models", "verify", "whisper-base"]) == 1
    assert "whisper-base: not installed" in capsys.readouterr().out


def test_cli_pull_unknown_name_is_a_usage_error(capsys, isolated_models_env):
    assert main(["models", "pull", "whisper-huge"]) == 2
    assert "Valid names" in capsys.readouterr().err
    # A generated test model has no download source: nothing is fetched.
    assert main(["models", "pull", "whisper-test-random"]) == 2
    assert "cannot be pulled" in capsys.readouterr().err


def test_paths_are_real():
    assert (Path(app_models_dir()) / "manifest.toml").is_file()


def test_installed_app_looks_next_to_its_executable(
    tmp_path, monkeypatch, isolated_models_env, random_whisper_models
):
    """A PyInstaller one-folder build: the executable beside ``_internal/`` (``sys._MEIPASS``).
    A speech model dropped into ``models/`` next to the executable is found without a rebuild,
    after --models and $DUALREC_AUDIT_MODELS and before the bundled models."""
    store = ModelStore()  # the manifest is read from the source tree before freezing
    assert dropin_models_dir() is None  # running from Python: no drop-in folder
    assert len(store.dirs) == 2

    app = tmp_path / "dualrec-audit"
    internal = app / "_internal"
    shutil.copytree(app_models_dir(), internal / "models")
    monkeypatch.setattr("sys.frozen", True, raising=False)
    monkeypatch.setattr("sys._MEIPASS", str(internal), raising=False)
    monkeypatch.setattr("sys.executable", str(app / "dualrec-audit"))
    env_dir = tmp_path / "env-models"
    monkeypatch.setenv("DUALREC_AUDIT_MODELS", str(env_dir))

    dropin = app / "models"
    assert dropin_models_dir() == dropin
    assert app_models_dir() == internal / "models"
    explicit = tmp_path / "explicit"
    assert ModelStore(explicit).dirs == [
        explicit,
        env_dir,
        dropin,
        internal / "models",
        user_models_dir(),
    ]
    store = ModelStore()
    assert store.find_root("whisper-test-random") is None
    assert store.locate("yunet").root == internal / "models"
    shutil.copytree(random_whisper_models / "whisper-test-random", dropin / "whisper-test-random")
    assert store.locate("whisper-test-random").root == dropin
    assert store.installed_speech_model() is None  # a test model is never picked by "auto"
    # The same model in $DUALREC_AUDIT_MODELS wins over the drop-in copy.
    shutil.copytree(random_whisper_models / "whisper-test-random", env_dir / "whisper-test-random")
    assert store.locate("whisper-test-random").root == env_dir
