"""The character transcript in the scan (after the decisions, for the recordings sent to
review) and in the review window (its own tab, computed in a worker thread or read from the
cache), on real sample recordings with the real model (issue 36, item 4)."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from dualrec_audit.audit.hanzi import HanziCache
from dualrec_audit.batch.scan import Scanner, ScanSummary
from dualrec_audit.core.errors import MediaError, ModelError
from dualrec_audit.speech.hanzi import HANZI_MODEL
from dualrec_audit.store.database import Store

from .conftest import ROOT, models_root, sample
from .test_ui import _accounts, _open, _window, zh  # noqa: F401  (zh: a fixture)

FLAGGED = ("customer_chin_cut.mp4", "noisy_speech.mp4")
APPROVED = ("clean.mp4",)


def _scan(folder: Path, db: str, cache: Path, *extra: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUALREC_AUDIT")}
    env.update(
        PYTHONPATH=str(ROOT),
        DUALREC_AUDIT_CACHE=str(cache),
        DUALREC_AUDIT_TRUST_DIR=os.environ["DUALREC_AUDIT_TRUST_DIR"],
        DUALREC_AUDIT_MODELS=str(models_root(HANZI_MODEL)),
    )
    cmd = [sys.executable, "-m", "dualrec_audit", "scan", str(folder), "--db", db, "--create"]
    cmd += ["--no-progress", "--workers", "1", "--settle", "0", *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    return proc.stdout


@pytest.fixture(scope="module")
def scanned(tmp_path_factory, isolated_models_env) -> tuple[str, dict[str, dict], Path]:
    """Three samples scanned with ``--characters`` (database url, results by name, cache) and
    the same folder scanned without it: the results must be the same."""
    tmp = tmp_path_factory.mktemp("hanzi_scan")
    folder = tmp / "in"
    folder.mkdir()
    for name in FLAGGED + APPROVED:
        os.symlink(sample(name), folder / name)
        side = sample(name).with_suffix(".json")
        (folder / side.name).write_bytes(side.read_bytes())
    results = []
    for extra, db in (((), "plain.db"), (("--characters",), "chars.db")):
        url = f"sqlite:///{tmp / db}"
        out = _scan(folder, url, tmp / "cache", *extra)
        with Store(url) as store:
            results.append({r.name: store.result(r.run_id).to_dict() for r in store.runs()})
        if extra:
            assert f"character transcripts for review: {len(FLAGGED)}" in out, out
    assert results[0] == results[1]  # the decisions are unchanged by the character transcript
    return f"sqlite:///{tmp / 'chars.db'}", results[1], tmp / "cache"


def test_the_scan_transcribes_only_what_goes_to_review(scanned):
    _, results, cache = scanned
    assert {n for n, r in results.items() if r["decision"] != "approve"} == set(FLAGGED)
    files = sorted((cache / "hanzi").glob("*.json"))
    assert len(files) == len(FLAGGED)
    want = {results[n]["sha256"] for n in FLAGGED}
    assert {f.name.split(".")[0] for f in files} == want
    # The model never appears among the audit's models.
    assert all(HANZI_MODEL not in r["models"] for r in results.values())


def test_a_missing_model_is_said_once_and_the_scan_goes_on():
    calls: list[Path] = []

    def missing(path: Path, sha256: str) -> None:
        calls.append(path)
        raise ModelError(f"Model '{HANZI_MODEL}' is not installed.", code="model_missing")

    def unreadable(path: Path, sha256: str) -> None:
        raise MediaError("cannot read it")

    summary = ScanSummary()
    fake = types.SimpleNamespace(
        for_characters=[(Path("a.mp4"), "1"), (Path("b.mp4"), "2")], characters_fn=missing
    )
    Scanner._characters(fake, summary)  # type: ignore[arg-type]
    assert calls == [Path("a.mp4")] and fake.for_characters == []
    assert (
        len(summary.characters_failed) == 1 and "not installed" in summary.characters_failed[0][1]
    )
    fake.for_characters, fake.characters_fn = (
        [(Path("c.mp4"), "3"), (Path("d.mp4"), "4")],
        unreadable,
    )
    Scanner._characters(fake, summary)  # type: ignore[arg-type]
    assert fake.for_characters == [(Path("d.mp4"), "4")]  # the others are still tried


@pytest.mark.qt
def test_the_review_window_shows_the_characters_with_times_and_speakers(
    qtbot,
    scanned,
    tmp_path,
    monkeypatch,
    zh,  # noqa: F811
):
    url, _, cache = scanned
    with Store(url) as store:
        _accounts(store)
        runs = {r.name: r.run_id for r in store.runs()}
    monkeypatch.setenv("DUALREC_AUDIT_CACHE", str(cache))
    win = _window(qtbot, url, size=(1366, 768))
    review = win.review
    _open(qtbot, win, runs["customer_chin_cut.mp4"])
    qtbot.waitUntil(lambda: review.hanzi_result is not None, timeout=60_000)
    assert review.hanzi_result.cached  # made by the scan
    rows = [review.hanzi.item(i).text() for i in range(review.hanzi.count())]
    text = "".join(rows)
    assert "交易" in text and "跑步" in text, rows
    assert all(r.startswith("[00:") for r in rows)
    assert any("工作人员:" in r or "客户:" in r for r in rows), rows
    # A click on a line plays from its start.
    item = review.hanzi.item(len(rows) - 1)
    review._hanzi_clicked(item)
    start = float(item.data(Qt.ItemDataRole.UserRole))
    qtbot.waitUntil(lambda: abs(review.player.position() - start * 1000) <= 100, timeout=5_000)
    # Not in the cache: computed in the worker thread, the window answering meanwhile.
    monkeypatch.setenv("DUALREC_AUDIT_CACHE", str(tmp_path / "empty"))
    _open(qtbot, win, runs["clean.mp4"])
    assert review.hanzi_result is None and not review.hanzi_worker.idle()
    qtbot.waitUntil(lambda: review.hanzi_result is not None, timeout=120_000)
    assert not review.hanzi_result.cached and review.hanzi.count() > 0
    assert HanziCache(tmp_path / "empty" / "hanzi").folder.is_dir()
    # The tab, in Chinese by default.
    tabs = review.side_tabs
    assert tabs.tabText(tabs.indexOf(review.hanzi.parentWidget())) == "汉字转写"
