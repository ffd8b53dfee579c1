"""Set-up: models and media are never committed; set-up gets them verified or says why not."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from dualrec_audit.models.registry import load_manifest

from . import conftest
from .conftest import ROOT, media, sample

BINARY = (".task", ".tflite", ".onnx", ".bin", ".wav", ".flac", ".mp3", ".mpg", ".mp4", ".mov")
BINARY += (".avi", ".mkv", ".jpg", ".jpeg", ".png", ".webm", ".npz", ".pt")


def test_git_holds_no_model_weights_audio_video_or_photos():
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert files, "not a git checkout"
    third_party = [
        f for f in files if f.lower().endswith(BINARY) and not f.startswith("docs/screenshots/")
    ]
    assert third_party == []


def test_every_media_file_is_pinned_and_credited():
    manifest = tomllib.loads((ROOT / "media" / "manifest.toml").read_text(encoding="utf-8"))
    credits = (ROOT / "media" / "CREDITS.md").read_text(encoding="utf-8")
    for f in manifest["file"]:
        assert f["url"].startswith("https://") and len(f["sha256"]) == 64 and f["size"] > 0
        assert f["licence"] and f["origin"] and f["truth"]
        assert f"| {f['path']} |" in credits, f["path"]
    used = {
        "speech_zh/funasr_asr_example.wav",
        "noise/speechbrain_noise1.wav",
        "video/grid_bbaf2n.mpg",
        "images/facerec_two_people.jpg",
    }
    assert used <= {f["path"] for f in manifest["file"]}


def test_media_and_samples_resolve(tmp_path):
    assert media("speech_zh/funasr_asr_example.wav").stat().st_size > 100_000
    assert sample("clean.mp4").stat().st_size > 100_000


def _outcome(func, *args):
    try:
        func(*args)
    except pytest.skip.Exception as exc:
        return "skip", str(exc)
    except pytest.fail.Exception as exc:
        return "fail", str(exc)
    return "ok", ""


def test_missing_media_skips_elsewhere_and_fails_under_ci(tmp_path, monkeypatch):
    monkeypatch.setenv(conftest.MEDIA_ENV, str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    kind, msg = _outcome(conftest.media, "speech_zh/nothing.wav")
    assert kind == "skip"
    assert "nothing.wav is missing" in msg and "bash scripts/setup.sh" in msg
    monkeypatch.setenv("CI", "true")
    kind, msg = _outcome(conftest.media, "speech_zh/nothing.wav")
    assert kind == "fail" and "--media DIR" in msg
    monkeypatch.setattr(conftest, "SAMPLES", tmp_path)
    kind, msg = _outcome(conftest.sample, "clean.mp4")
    assert kind == "fail" and "has not been built" in msg
    monkeypatch.setattr(conftest, "_models_roots", lambda: [tmp_path])
    kind, msg = _outcome(conftest.models_root, "whisper-test-random")
    assert kind == "fail" and "model 'whisper-test-random' not found" in msg


def _bare_copy(dest: Path) -> Path:
    """The committed files a fresh clone has, with no ../shared beside it."""
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    repo = dest / "clone"
    for rel in files:
        src = ROOT / rel
        if src.is_file():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, repo / rel)
    return repo


def _offline_env(tmp_path: Path) -> dict[str, str]:
    """Every download goes to a closed port on this machine: no network is reached, and the
    refusal is immediate, as on a branch PC without internet."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy",)}
    env.update(http_proxy="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9")
    env.update(HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9")
    env["PYTHON"] = sys.executable
    return env


def test_setup_without_shared_or_network_stops_at_once_naming_what_is_missing(tmp_path):
    repo = _bare_copy(tmp_path)
    t0 = time.monotonic()
    proc = subprocess.run(
        ["bash", "scripts/setup.sh"],
        cwd=repo,
        env=_offline_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - t0
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert elapsed < 60  # seconds, not the minutes a package install takes
    err = proc.stderr
    # Everything missing named at once, the cause in words, commands that work without .venv.
    bundled = [n for n, spec in load_manifest().items() if spec.bundled]
    assert f"models ({len(bundled)}): {', '.join(bundled)}" in err, err
    assert {"yunet", "face_landmarker", "kws-zh-3.3m", "dlib-face-id", "voice-ge2e"} <= set(bundled)
    assert re.search(r"media files \((\d+) of \1\)", err), err
    assert "why: the connection was refused" in err
    assert "bash scripts/setup.sh --models DIR --media DIR" in err
    assert "Errno" not in err and ".venv/bin" not in err and "Traceback" not in err
    assert not (repo / ".venv").exists()  # stopped before installing anything


def test_setup_names_a_models_or_media_folder_that_does_not_exist(tmp_path):
    repo = _bare_copy(tmp_path)
    for option in ("--models", "--media"):
        proc = subprocess.run(
            ["bash", "scripts/setup.sh", option, str(tmp_path / "typo")],
            cwd=repo,
            env=_offline_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 1
        assert f"setup: error: {option} {tmp_path / 'typo'}: no such folder" in proc.stderr
        assert "download" not in proc.stdout + proc.stderr  # not mistaken for a network problem


def test_setup_takes_models_and_media_from_named_folders(tmp_path):
    repo = _bare_copy(tmp_path)
    models = conftest.bundled_models_folder(tmp_path / "stick")
    media_dir = media("speech_zh/funasr_asr_example.wav").parent.parent
    args = [sys.executable, "scripts/setup_assets.py", "fetch"]
    proc = subprocess.run(
        [*args, "--models", str(models), "--media", str(media_dir)],
        cwd=repo,
        env=_offline_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "installed yunet, face_landmarker, kws-zh-3.3m, dlib-face-id, voice-ge2e" in proc.stdout
    assert (repo / "models" / "opencv" / "face_detection_yunet_2023mar.onnx").is_file()
    assert (repo / ".cache" / "media" / "video" / "grid_bbaf2n.mpg").is_file()
    # A tampered media folder is refused with the file named.
    bad = tmp_path / "bad-media"
    shutil.copytree(media_dir, bad)
    wav = bad / "noise" / "speechbrain_noise1.wav"
    wav.write_bytes(wav.read_bytes()[:-2] + b"\x00\x01")
    proc = subprocess.run(
        [*args, "--media", str(bad)], cwd=repo, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 1
    assert "speechbrain_noise1.wav" in proc.stderr and "sha256" in proc.stderr
