"""The first hour with the tool (issue 35), replayed: a scan that waits says so at once and never
waits on what cannot become a recording; the score line never contradicts the findings; every
summary names the profile that judged a file and why; errors read in the summary's language."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from dualrec_audit.cli import main
from dualrec_audit.media.probe import may_become_media

from .conftest import ROOT, SAMPLES
from .pace import paced
from .test_scan import _env, scan_cmd

CLEAN = SAMPLES / "clean.mp4"
LATIN = re.compile(r"[A-Za-z]{4,}")


@pytest.fixture(autouse=True)
def _isolated(isolated_models_env):
    """No user-installed model may change what the CLI does."""


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return rc, out


@pytest.fixture(scope="module")
def copied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clean sample copied without its sidecar, as a newcomer copies a file."""
    path = tmp_path_factory.mktemp("copied") / "copy.mp4"
    shutil.copyfile(CLEAN, path)
    return path


# -- the score line ---------------------------------------------------------------------------


def _score_line(out: str) -> str:
    return out.splitlines()[1]


def test_the_score_line_shows_only_scored_checks_and_never_fine_over_held_findings(capsys, copied):
    rc, out = run_cli(capsys, "check", str(copied))
    assert rc == 0
    line = _score_line(out)
    assert "说话人" not in line  # the talk check has no score: not "说话人 0"
    assert "话术 未通过（5 项）" in line, line  # four stages and the confirmation are missing
    assert "话术 100" not in line
    _, out = run_cli(capsys, "check", str(CLEAN))
    line = _score_line(out)
    assert "话术 100" in line and "说话人" not in line and "未通过" not in line
    _, out = run_cli(capsys, "check", str(copied), "--lang", "en")
    assert "Script failed (5)" in _score_line(out)


def test_the_json_keeps_score_null_for_an_unscored_check(capsys):
    _, out = run_cli(capsys, "check", str(CLEAN), "--json")
    doc = json.loads(out)
    assert doc["checks"]["talk"]["score"] is None
    assert doc["checks"]["script"]["score"] is not None


# -- which profile, and why -------------------------------------------------------------------


def test_the_summary_names_the_profile_and_why(capsys, copied):
    _, out = run_cli(capsys, "check", str(copied))
    assert "业务规则: 基金销售（普通投资者） (fund_sale)；依据：默认业务类型" in out
    assert "没有旁注文件 copy.json" in out
    _, out = run_cli(capsys, "check", str(CLEAN))
    assert "(bundled_samples)；依据：旁注文件 clean.json" in out
    _, out = run_cli(capsys, "check", str(copied), "--profile", "bank_wealth", "--lang", "en")
    assert "(bank_wealth); because: given with --profile" in out
    _, out = run_cli(capsys, "check", str(copied), "--json")
    assert json.loads(out)["profile"]["chosen_by"] == {"by": "default", "detail": ""}


def test_check_help_explains_sidecars(capsys):
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "sidecar" in out and "NAME.json" in out and '{"profile": "ID"}' in out


# -- errors in the summary's language, the file named once --------------------------------------


def test_an_error_reads_in_chinese_and_names_the_file_once(capsys, tmp_path):
    bad = tmp_path / "笔记.mp4"
    bad.write_text("not a video at all, just some notes\n", encoding="utf-8")
    rc, out = run_cli(capsys, "check", str(bad))
    assert rc == 1
    assert out.count("笔记.mp4") == 1, out
    assert "无法审核：这不是录像文件" in out
    assert not LATIN.search(out.replace("[not_media]", "")), out
    rc, out = run_cli(capsys, "check", str(bad), "--lang", "en")
    assert out.count("笔记.mp4") == 1 and "not a readable video" in out


# -- a scan that waits says so; what cannot become media is never waited on ---------------------


def test_what_may_still_become_a_recording(tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("meeting notes, not a video " * 10, encoding="utf-8")
    head = tmp_path / "head.mp4"
    head.write_bytes(CLEAN.read_bytes()[:4096])
    tiny = tmp_path / "tiny.mp4"
    tiny.write_bytes(b"\x00\x00")
    assert not may_become_media(text)
    assert may_become_media(head) and may_become_media(tiny)


def _fresh_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "share"
    folder.mkdir()
    (folder / "文本.mp4").write_text("a text file named .mp4 " * 20, encoding="utf-8")
    (folder / "截断.mp4").write_bytes(CLEAN.read_bytes()[:30000])
    return folder


def test_settle_zero_never_waits_in_a_one_shot_scan(tmp_path):
    folder = _fresh_folder(tmp_path)
    start = time.monotonic()
    proc = subprocess.run(
        scan_cmd(folder, f"sqlite:///{tmp_path / 's.db'}", "--workers", "1", "--settle", "0"),
        capture_output=True,
        text=True,
        env=_env(),
        cwd=ROOT,
        timeout=300,
    )
    took = time.monotonic() - start
    assert proc.returncode == 1, proc.stdout + proc.stderr  # errors were stored
    assert "[not_media]" in proc.stdout and "[truncated]" in proc.stdout
    assert "waiting:" not in proc.stderr
    assert took < paced(120), took  # a whole settle timeout (600 s) is not waited


def test_a_held_file_is_said_at_once_and_a_text_file_is_never_held(tmp_path):
    folder = _fresh_folder(tmp_path)
    db = f"sqlite:///{tmp_path / 's.db'}"
    # Held until 15 s after the file was written, at the machine's pace: at load 19 the scan
    # took more than 12 s to start and audit it, and held nothing (three loaded runs).
    timeout = str(round(paced(15)))
    cmd = scan_cmd(folder, db, "--workers", "1", "--settle", "0.3", "--settle-timeout", timeout)
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=ROOT
    )
    assert proc.stderr is not None and proc.stdout is not None
    notices: list[tuple[float, str]] = []
    err, out = proc.stderr, proc.stdout
    printed: list[str] = []

    def read_notices() -> None:  # beside the scan, so a hung scan fails the test, not the suite
        for line in err:
            if line.startswith("waiting:"):
                notices.append((time.monotonic() - start, line))

    readers = [
        threading.Thread(target=read_notices, daemon=True),
        threading.Thread(target=lambda: printed.append(out.read()), daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        proc.wait(timeout=paced(300))
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"the scan did not end in {paced(300):.0f} s")
    for reader in readers:
        reader.join(timeout=10)
    out_text = "".join(printed)
    ended = time.monotonic() - start
    assert proc.returncode == 1, out_text  # errors were stored
    [(when, notice)] = notices  # the truncated file only: the text file is not waited on
    assert "截断.mp4" in notice and "truncated" in notice
    assert "--settle-timeout" in notice and "--settle 0" in notice
    assert re.search(r"stored at \d\d:\d\d:\d\d", notice)
    assert when < ended - 3, (when, ended)  # said while waiting, not at the end
    assert "[not_media]" in out_text and "[truncated]" in out_text


def test_models_list_shows_whole_versions_in_aligned_columns(capsys):
    from dualrec_audit.models.registry import load_manifest

    rc, out = run_cli(capsys, "models", "list")
    assert rc == 0
    rows = out.splitlines()[1:]
    for spec in load_manifest().values():
        [row] = [r for r in rows if r.split()[0] == spec.name]
        assert f" {spec.version}  " in row, row  # whole, and apart from the next column
    starts = {r.index(r.split()[2]) for r in rows}  # the version column starts in one place
    assert len(starts) == 1, starts
