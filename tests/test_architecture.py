"""Packaging promises: one cv2 provider, heavy libraries loaded lazily, no print in the core."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

from .conftest import ROOT


def test_exactly_one_distribution_provides_cv2():
    providers = set()
    for dist in metadata.distributions():
        files = dist.files or []
        if any(str(f).startswith("cv2/__init__.py") for f in files):
            providers.add(dist.metadata["Name"].lower())
    assert providers == {"opencv-contrib-python"}


def test_cli_startup_does_not_import_heavy_libraries():
    code = (
        "import sys\n"
        "from dualrec_audit.cli import main\n"
        "main(['models', 'list'])\n"
        "heavy = [m for m in ('cv2', 'mediapipe', 'faster_whisper', 'ctranslate2', 'av',"
        " 'PySide6', 'pypinyin', 'rapidocr', 'ray') if m in sys.modules]\n"
        "sys.exit(f'loaded: {heavy}' if heavy else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr


def test_other_commands_never_load_qt(tmp_path):
    """Only `review` and `precheck` load Qt (by module name); parsing their options, `check
    --help` and a scan do not."""
    code = (
        "import sys\n"
        "from dualrec_audit.cli import main\n"
        "for argv in (['check', '--help'], ['review', '--help'], ['precheck', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"assert main(['scan', {str(tmp_path)!r}, '--db', {str(tmp_path / 'x.db')!r},"
        " '--create', '--no-progress', '--workers', '1']) == 0\n"
        "qt = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'ui')]\n"
        "sys.exit(f'loaded: {qt}' if qt else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_mediapipe_imported_without_its_drawing_and_microphone_modules():
    """The face landmarker's task API loads; matplotlib and sounddevice (drawing, microphone)
    stay unloaded, say so if MediaPipe ever uses them, and import normally afterwards."""
    code = (
        "import sys\n"
        "from dualrec_audit.vision.native import import_mediapipe\n"
        "mp = import_mediapipe()\n"
        "from mediapipe.tasks.python import vision\n"
        "assert vision.FaceLandmarker is not None\n"
        "left = [m for m in ('matplotlib', 'matplotlib.pyplot', 'sounddevice')"
        " if m in sys.modules]\n"
        "assert not left, left\n"
        "from mediapipe.tasks.python.audio.core import audio_record\n"
        "try:\n"
        "    audio_record.sd.InputStream\n"
        "except ImportError as exc:\n"
        "    assert 'sounddevice was not loaded' in str(exc), exc\n"
        "else:\n"
        "    raise SystemExit('the placeholder answered')\n"
        "try:\n"
        "    import sounddevice\n"
        "    assert hasattr(sounddevice, 'InputStream')\n"
        "except OSError:\n"
        "    pass  # the real module, whose PortAudio library this machine lacks\n"
        "except ImportError:\n"
        "    pass  # not installed\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_no_print_in_the_core():
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "dualrec_audit").rglob("*.py")
        if "print(" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []
