"""``dualrec-audit-selftest``: checks that an installed dualrec-audit is complete.

Built by ``build_installer.spec`` as a second executable next to ``dualrec-audit``, sharing its
``_internal/`` folder. It is a diagnostic for whoever installs or supports the application (and
for the installer test), not part of the user command line. It checks, in this process:

- core: the package, its data files (profiles, phrase lists) and the bundled models, verified;
- store: a results database (SQLite, in a temporary folder) created by the Alembic migrations;
- native: OpenCV with the bundled YuNet, MediaPipe's C library with the bundled face landmarker,
  CTranslate2 (the speech recogniser's engine), ONNX Runtime with faster-whisper's VAD model,
  PyAV with an H.264 decoder;
- qt: a QApplication on the current platform (``QT_QPA_PLATFORM``; offscreen for the test) and
  the platform plugins the application needs on this system;
- multimedia: Qt Multimedia's backend plugin and a video widget; with ``--video FILE`` it plays
  the file into a QVideoWidget until a decoded frame arrives; ``--screenshot PNG`` saves the
  window;
- ui: the reviewer package ``ui`` is importable.

Prints a JSON report on stdout; exit status 0 when every check passed, 1 otherwise.
Run it from a Python environment too: ``python installer/selftest.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

REQUIRED_PLATFORMS = {
    "linux": ["offscreen", "xcb"],
    "win32": ["offscreen", "windows"],
    "darwin": ["offscreen", "cocoa"],
}


def check_core() -> dict[str, Any]:
    import dualrec_audit
    from dualrec_audit.models.registry import ModelStore, app_models_dir, dropin_models_dir
    from dualrec_audit.rules.profiles import all_profiles
    from dualrec_audit.speech.phrases import load_phrases

    store = ModelStore()
    bundled = {}
    for name, spec in store.specs.items():
        if spec.bundled:
            located = store.locate(name)
            problems = store.problems(spec, located.root, full=True)
            if problems:
                raise RuntimeError(f"{name}: {'; '.join(problems)}")
            bundled[name] = str(located.path)
    return {
        "version": dualrec_audit.__version__,
        "module": str(Path(dualrec_audit.__file__).parent),
        "profiles": sorted(all_profiles(None)),
        "phrases": len(load_phrases().required),
        "forbidden_phrases": len(load_phrases().forbidden),
        "app_models_dir": str(app_models_dir()),
        "dropin_models_dir": str(dropin_models_dir()),
        "models_looked_in": [str(d) for d in store.dirs],
        "bundled_models": bundled,
        "speech_model": store.installed_speech_model(),
    }


def check_store() -> dict[str, Any]:
    import tempfile

    from dualrec_audit.store.database import Store

    with tempfile.TemporaryDirectory() as tmp:
        trust = {"key_file": Path(tmp) / "selftest.key", "anchor_file": Path(tmp) / "anchor"}
        with Store(Path(tmp) / "selftest.db", create=True, **trust) as store:
            return {"tables": sorted(store.counts()), "verify_ok": store.verify().ok}


def check_native() -> dict[str, Any]:
    import av
    import ctranslate2
    import cv2
    import onnxruntime
    from faster_whisper.utils import get_assets_path

    from dualrec_audit.checks.face_detect import load_landmarker, load_yunet
    from dualrec_audit.models.registry import ModelStore

    store = ModelStore()
    load_yunet(str(store.locate("yunet").path))
    load_landmarker(str(store.locate("face_landmarker").path))  # loads MediaPipe's C library
    vad = Path(get_assets_path()) / "silero_vad_v6.onnx"
    session = onnxruntime.InferenceSession(str(vad), providers=["CPUExecutionProvider"])
    return {
        "opencv": cv2.__version__,
        "mediapipe_landmarker": True,
        "ctranslate2": ctranslate2.__version__,
        "ctranslate2_cpu_compute_types": sorted(ctranslate2.get_supported_compute_types("cpu")),
        "onnxruntime": onnxruntime.__version__,
        "onnxruntime_vad_inputs": [i.name for i in session.get_inputs()],
        "av": av.__version__,
        "av_h264_decoder": av.codec.Codec("h264", "r").name,
    }


def check_qt(app: Any) -> dict[str, Any]:
    from PySide6.QtCore import QLibraryInfo, qVersion

    plugins = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))
    platforms = sorted(_plugin_names(plugins / "platforms"))
    need = REQUIRED_PLATFORMS.get(sys.platform, ["offscreen"])
    missing = [p for p in need if p not in platforms]
    if missing:
        raise RuntimeError(f"platform plugins missing from {plugins}: {missing}")
    return {
        "qt": qVersion(),
        "platform": app.platformName(),
        "plugins_dir": str(plugins),
        "platform_plugins": platforms,
    }


def check_multimedia(app: Any, video: Path | None, screenshot: Path | None, timeout_s: float):
    from PySide6.QtCore import QEventLoop, QLibraryInfo, QTimer, QUrl
    from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
    from PySide6.QtMultimediaWidgets import QVideoWidget
    from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

    plugins = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))
    backends = sorted(_plugin_names(plugins / "multimedia"))
    if not backends:
        raise RuntimeError(f"no Qt Multimedia backend plugin in {plugins / 'multimedia'}")
    window = QWidget()
    window.setWindowTitle("dualrec-audit self-test")
    layout = QVBoxLayout(window)
    layout.addWidget(QLabel("dualrec-audit 自检 / self-test"))
    video_widget = QVideoWidget()
    video_widget.setMinimumSize(320, 180)
    layout.addWidget(video_widget)
    window.resize(360, 240)
    window.show()
    player = QMediaPlayer()
    audio = QAudioOutput()
    audio.setMuted(True)
    player.setAudioOutput(audio)
    player.setVideoOutput(video_widget)
    out: dict[str, Any] = {"backends": backends}
    if video is not None:
        frames: list[tuple[int, int]] = []
        errors: list[str] = []
        loop = QEventLoop()

        def on_frame(frame: Any) -> None:
            if frame.isValid() and not frames:
                frames.append((frame.width(), frame.height()))
                loop.quit()

        def on_error(_err: Any, message: str) -> None:
            errors.append(message)
            loop.quit()

        video_widget.videoSink().videoFrameChanged.connect(on_frame)
        player.errorOccurred.connect(on_error)
        QTimer.singleShot(round(timeout_s * 1000), loop.quit)
        player.setSource(QUrl.fromLocalFile(str(video.resolve())))
        player.play()
        loop.exec()
        player.pause()
        if errors:
            raise RuntimeError(f"playing {video}: {errors[0]}")
        if not frames:
            raise RuntimeError(f"no video frame from {video} within {timeout_s} s")
        out.update(
            video=str(video),
            duration_ms=player.duration(),
            has_video=player.hasVideo(),
            first_frame=list(frames[0]),
        )
    app.processEvents()
    if screenshot is not None:
        if not window.grab().save(str(screenshot)):
            raise RuntimeError(f"could not save {screenshot}")
        out["screenshot"] = str(screenshot)
    player.stop()
    window.close()
    return out


def check_ui() -> dict[str, Any]:
    import ui

    return {"package": str(Path(ui.__file__).parent)}


def _plugin_names(folder: Path) -> list[str]:
    """Plugin names from their file names: libqxcb.so / qwindows.dll -> xcb / windows."""
    names = []
    for p in folder.glob("*"):
        if p.suffix in (".so", ".dll", ".dylib"):
            stem = p.stem.removeprefix("lib")
            names.append(stem[1:] if stem.startswith("q") else stem)
    return names


def run(args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {
        "frozen": bool(getattr(sys, "frozen", False)),
        "executable": sys.executable,
        "utf8_mode": bool(sys.flags.utf8_mode),
        "checks": {},
    }

    def attempt(name: str, fn: Callable[[], dict[str, Any]]) -> None:
        # Each step said on stderr as it starts and ends: a self-test that hangs shows where.
        started = time.monotonic()
        sys.stderr.write(f"selftest: {name} ...\n")
        sys.stderr.flush()
        try:
            report["checks"][name] = {"ok": True, **fn()}
        except Exception as exc:
            report["checks"][name] = {
                "ok": False,
                "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(),
            }
        sys.stderr.write(f"selftest: {name} done in {time.monotonic() - started:.1f} s\n")
        sys.stderr.flush()

    attempt("core", check_core)
    attempt("store", check_store)
    attempt("native", check_native)
    try:
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance() or QApplication(["dualrec-audit-selftest"])
    except Exception as exc:
        report["checks"]["qt"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    else:
        attempt("qt", lambda: check_qt(app))
        attempt(
            "multimedia",
            lambda: check_multimedia(app, args.video, args.screenshot, args.timeout),
        )
    attempt("ui", check_ui)
    report["ok"] = all(c["ok"] for c in report["checks"].values())
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="dualrec-audit-selftest",
        description="Check that this dualrec-audit installation is complete (JSON report).",
    )
    parser.add_argument("--video", type=Path, help="a video to play through Qt Multimedia")
    parser.add_argument("--screenshot", type=Path, help="save the test window as PNG")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds to wait for video")
    report = run(parser.parse_args(argv))
    sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
