"""The teller's recording window (``ui/record_window.py``) offscreen at 1366x768, fed by the
simulated devices: the chin-cut sample played in real time."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import sample

pytestmark = pytest.mark.qt

pytest.importorskip("PySide6.QtCore")


@pytest.fixture(autouse=True)
def _isolated(isolated_models_env, tmp_path, monkeypatch):
    monkeypatch.setenv("DUALREC_AUDIT_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.delenv("DUALREC_AUDIT_LANG", raising=False)


def _window(qtbot, out: Path, name: str = "customer_chin_cut.mp4"):
    from dualrec_audit.audit.pipeline import AuditOptions
    from dualrec_audit.record.sources import FileSource
    from ui.record_window import RecordWindow

    options = AuditOptions(profile="bundled_samples")
    win = RecordWindow(options, None, FileSource(sample(name), realtime=True), out, "zh")
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    win.prepare()
    qtbot.waitUntil(lambda: win.record_button.isEnabled(), timeout=60_000)
    return win


def test_the_window_shows_the_hint_ticks_stages_and_the_decision(qtbot, tmp_path: Path) -> None:
    out = tmp_path / "rec.mp4"
    win = _window(qtbot, out)
    assert "广州市房地产中介协会" in win.prompter.text()  # the first stage's phrase, large
    win.start_recording()
    qtbot.waitUntil(lambda: any(k[0] == "face_cut" for k in win.hints), timeout=20_000)
    assert win.banner.text() == "客户下巴超出画面"
    assert "✓ 工作人员第一句" in win.stages.text()  # ticked before the chin left the picture
    shot = win.grab()
    assert (shot.width(), shot.height()) == (1366, 768)
    assert win.picture.pixmap() is not None and not win.picture.pixmap().isNull()
    qtbot.waitUntil(lambda: not win.hints, timeout=20_000)  # cleared when the chin is back
    win.stop_recording()
    qtbot.waitUntil(lambda: win.result is not None, timeout=120_000)
    assert win.result.decision == "rerecord"
    assert "需重录" in win.outcome.text() and "00:08" in win.outcome.text()
    assert out.is_file()


def test_closing_while_recording_asks_and_keeps_the_file(
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    out = tmp_path / "rec.mp4"
    win = _window(qtbot, out, "clean.mp4")
    win.start_recording()
    qtbot.wait(3000)
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    asked: list[str] = []

    def question(parent, title, text, *a):
        asked.append(text)
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "question", question)
    assert not win.close()  # "No": still recording
    assert win.stop_button.isEnabled()
    assert win.close()  # "Yes": stopped, the file closed and kept
    assert asked == ["正在录制。停止录制并保存文件？"] * 2
    assert out.is_file() and out.stat().st_size > 100_000
