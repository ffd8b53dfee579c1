"""The command line: JSON contract, text summaries, usage errors, no Qt, no progress bar off a
TTY. Most cases call ``dualrec_audit.cli.main`` in-process; the Qt and progress-bar cases run a
real subprocess."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys

import pytest

from dualrec_audit import __version__
from dualrec_audit.audit.pipeline import AuditOptions
from dualrec_audit.cli import main
from dualrec_audit.cli.common import AuditBar
from dualrec_audit.core.result import CONTRACT_KEYS
from dualrec_audit.models.registry import ModelStore, load_manifest

from .conftest import ROOT, SAMPLES

CLEAN = SAMPLES / "clean.mp4"
CHIN_CUT = SAMPLES / "customer_chin_cut.mp4"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _isolated(isolated_models_env):
    """No user-installed model may change what the CLI does."""


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return rc, out, err


# -- JSON ---------------------------------------------------------------------------------------


def test_json_contract_of_clean_sample(capsys):
    rc, out, _ = run_cli(capsys, "check", str(CLEAN), "--json")
    assert rc == 0
    doc = json.loads(out)
    missing = [k for k in CONTRACT_KEYS if k not in doc]
    assert not missing
    assert doc["schema_version"] == 1
    assert doc["tool_version"] == __version__
    assert doc["file"] == str(CLEAN)
    assert doc["sha256"] == hashlib.sha256(CLEAN.read_bytes()).hexdigest()
    assert doc["duration_s"] == pytest.approx(20.0, abs=0.05)
    assert doc["error"] is None

    manifest = load_manifest()
    for name in ("yunet", "face_landmarker"):
        assert doc["models"][name] == manifest[name].version
        assert doc["models"][name]

    # Every parameter used is recorded: the CLI's defaults are the pipeline's defaults.
    # ... and how the frames were decoded, chosen for this file.
    plan = doc["options"].pop("decode_plan")
    assert plan["mode"] == "skip_nonref" and plan["reordered"] and plan["threads"] >= 1
    assert doc["options"].pop("frame_threads") >= 1  # OpenCV's threads for the frame checks
    assert doc["options"] == json.loads(json.dumps(AuditOptions().to_dict()))

    assert set(doc["timelines"]) >= {"faces", "speech", "video"}
    assert {k: len(v) for k, v in doc["timelines"].items()} == dict.fromkeys(doc["timelines"], 20)
    assert isinstance(doc["events"], list) and isinstance(doc["segments"], list)

    # The sidecar clean.json picks bundled_samples; the set-up's kws-zh model verifies its
    # script (and, with no transcript model installed, its syllables are the transcript).
    assert doc["profile"]["id"] == "bundled_samples"
    assert doc["models"]["kws-zh-3.3m"] == manifest["kws-zh-3.3m"].version
    assert doc["checks"]["transcript"]["status"] == "ok"
    assert doc["checks"]["transcript"]["details"]["model"] == "kws-zh-3.3m"
    assert doc["checks"]["script"]["status"] == "ok"
    assert doc["checks"]["script"]["details"]["verified_by"] == ["kws-zh-3.3m"]
    assert [s["status"] for s in doc["stages"]] == ["found"] * 4
    assert all(s["start"] is not None for s in doc["stages"])
    assert doc["decision"] == "approve"


def test_asr_model_none_disables_the_transcript(capsys):
    rc, out, _ = run_cli(capsys, "check", str(CLEAN), "--json", "--asr-model", "none")
    assert rc == 0
    doc = json.loads(out)
    transcript = doc["checks"]["transcript"]
    assert transcript["status"] == "unavailable"
    assert "disabled" in transcript["reason"]["en"]
    assert "关闭" in transcript["reason"]["zh"]
    assert doc["options"]["asr_model"] == "none"
    assert set(doc["models"]) == {
        "yunet",
        "face_landmarker",
        "kws-zh-3.3m",
        "dlib-face-id",
        "voice-ge2e",
        "deepfilternet3",
    }
    assert doc["transcript"] == []
    assert doc["checks"]["script"]["status"] == "ok"  # the script engine still verifies


def test_script_model_none_sends_to_review(capsys):
    rc, out, _ = run_cli(capsys, "check", str(CLEAN), "--json", "--script-model", "none")
    assert rc == 0
    doc = json.loads(out)
    assert doc["checks"]["script"]["status"] == "unavailable"
    assert "disabled" in doc["checks"]["script"]["reason"]["en"]
    assert doc["decision"] == "review"


# -- text summary -------------------------------------------------------------------------------


def test_text_summary_is_chinese_by_default(capsys):
    rc, out, _ = run_cli(capsys, "check", str(CHIN_CUT))
    assert rc == 0
    assert "结论" in out
    assert "00:08–00:14" in out
    line = next(x for x in out.splitlines() if "00:08–00:14" in x and "下巴" in x)
    assert "客户下巴超出画面" in line
    assert "out of frame" not in out and "decision" not in out


def test_text_summary_in_english(capsys):
    rc, out, _ = run_cli(capsys, "check", str(CHIN_CUT), "--lang", "en")
    assert rc == 0
    assert "decision:" in out
    line = next(x for x in out.splitlines() if "chin out of frame" in x)
    assert "00:08–00:14" in line
    assert not CJK.search(out), out


# -- usage and configuration errors: exit 2, a message, no result -------------------------------


def test_fps_zero_is_a_usage_error(capsys):
    rc, out, err = run_cli(capsys, "check", str(CLEAN), "--fps", "0")
    assert rc == 2
    assert out == ""
    assert "--fps" in err


def test_unknown_asr_model_lists_valid_names(capsys):
    rc, out, err = run_cli(capsys, "check", str(CLEAN), "--asr-model", "whisper-huge")
    assert rc == 2
    assert out == ""
    assert "whisper-huge" in err
    for name in ("whisper-tiny", "whisper-base", "whisper-small"):
        assert name in err


def test_asr_model_not_installed_says_how_to_install(capsys):
    if ModelStore().find_root("whisper-base") is not None:
        pytest.skip("whisper-base is installed in the project's models/ folder")
    rc, out, err = run_cli(capsys, "check", str(CLEAN), "--asr-model", "whisper-base")
    assert rc == 2
    assert out == ""
    assert "whisper-base" in err and "not installed" in err
    assert "dualrec-audit models install --from" in err


def test_missing_phrase_file_is_a_usage_error(capsys, tmp_path):
    phrases = tmp_path / "话术" / "missing.txt"
    rc, out, err = run_cli(capsys, "check", str(CLEAN), "--phrases", str(phrases))
    assert rc == 2
    assert out == ""
    assert str(phrases) in err


# -- a real process: no Qt, no progress bar when stderr is not a terminal -----------------------

QT_PROBE = """\
import sys
from dualrec_audit.cli import main
rc = main(sys.argv[1:])
qt = sorted(m for m in sys.modules if m.split(".")[0] in {"PySide6", "shiboken6", "ui"})
if qt:
    sys.stderr.write("Qt modules loaded: " + " ".join(qt) + "\\n")
    sys.exit(3)
sys.exit(rc)
"""


@pytest.fixture(scope="module")
def subprocess_check(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess:
    """`check clean.mp4 --json` in a fresh interpreter, stderr a pipe, no --no-progress."""
    home = tmp_path_factory.mktemp("xdg")
    return fresh_process(home, "-c", QT_PROBE, "check", str(CLEAN), "--json")


def fresh_process(home, *argv: str) -> subprocess.CompletedProcess:
    """``python ARGV`` in a fresh interpreter, with no user-installed model (``home`` is its
    user data dir)."""
    env = dict(os.environ, XDG_DATA_HOME=str(home))
    env.pop("DUALREC_AUDIT_MODELS", None)
    return subprocess.run(
        [sys.executable, *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        encoding="utf-8",
        timeout=120,
    )


def test_cli_never_loads_qt(subprocess_check):
    r = subprocess_check
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    assert json.loads(r.stdout)["decision"] == "approve"  # the whole audit ran


def test_bar_marker_is_what_tqdm_draws(capsys):
    """The bar drawn on a terminal contains '%|', the marker the next test looks for."""
    bar = AuditBar("clean.mp4", enabled=True)
    bar("frames", 1, 2)
    bar.close()
    assert "%|" in capsys.readouterr().err


def test_bar_reaches_100_names_each_stage_and_log_lines_leave_no_stale_bar(capsys):
    """The hook's stages in the pipeline's order (frames in steps, a warning logged in the
    middle, as the audio thread does): the bar names each stage, never goes back, shows 100 %
    at the end, and the log line stands on its own line, not after a half-drawn bar."""
    import logging
    import re

    from dualrec_audit.cli.common import BarSafeHandler

    logger = logging.getLogger("dualrec_audit.test_bar")
    handler = BarSafeHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.propagate = False
    try:
        bar = AuditBar("clean.mp4", enabled=True)
        bar("probe", 0, 1)
        bar("probe", 1, 1)
        for t in range(0, 21, 5):
            bar("frames", t, 20)
            if t == 10:
                logger.warning("audio reading stopped early")
        bar("audio", 0, 1)
        bar("audio", 1, 1)
        bar("transcript", 0, 1)
        bar("transcript", 1, 1)
        bar("script", 1, 1)
        bar("rules", 1, 1)
        bar.close()
    finally:
        logger.removeHandler(handler)
    err = capsys.readouterr().err
    drawn = [d for line in err.split("\n") for d in line.split("\r") if d.strip()]
    (logged,) = [d for d in drawn if "audio reading stopped early" in d]
    assert logged.startswith("WARNING dualrec_audit.test_bar:"), drawn
    bars = [d for d in drawn if d.startswith("clean.mp4:")]
    percents = [int(re.search(r"(\d+)%\|", d).group(1)) for d in bars]
    assert percents == sorted(percents) and percents[-1] == 100, bars
    assert bars[-1].rstrip().endswith("done")
    for label in ("probe", "faces, video", "speech", "transcript", "script", "rules"):
        assert any(d.rstrip().endswith(label) for d in bars), (label, bars)


def test_bar_weights_make_a_whole():
    assert sum(AuditBar.WEIGHTS.values()) == pytest.approx(1.0)
    from dualrec_audit.audit.pipeline import STAGES

    assert set(AuditBar.WEIGHTS) == set(STAGES)


def test_no_progress_bar_when_stderr_is_not_a_tty(subprocess_check):
    r = subprocess_check
    assert r.returncode == 0, r.stderr[-3000:]
    assert "%|" not in r.stderr


def test_stderr_holds_no_native_log_lines(tmp_path):
    """MediaPipe/TensorFlow Lite write set-up lines to fd 2 on model creation and on the first
    inference; `check` keeps them off the terminal (the chin-cut sample runs the landmarker)."""
    r = fresh_process(tmp_path, "-m", "dualrec_audit", "check", str(CHIN_CUT), "--json")
    assert r.returncode == 0
    landmarker_ran = json.loads(r.stdout)["checks"]["faces"]["details"]
    assert landmarker_ran, "the faces check ran"
    assert r.stderr == ""


def test_check_leaves_at_once_with_its_output_whole_and_its_status(tmp_path):
    """`check` ends its process without tearing the interpreter down: the JSON of every file
    is written in full first, and the exit status is kept (1: a file could not be audited)."""
    bad = tmp_path / "坏文件.mp4"
    bad.write_bytes(b"not a video")
    r = fresh_process(tmp_path, "-m", "dualrec_audit", "check", str(CLEAN), str(bad), "--json")
    assert r.returncode == 1, r.stderr[-3000:]
    docs = json.loads(r.stdout)
    assert [d["decision"] for d in docs] == ["approve", "error"]
    assert docs[1]["error"]["code"]
