"""The keyboard-shortcut overlay: every key of a view over the view itself (``?`` / F1)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget


class ShortcutOverlay(QFrame):
    """A dark panel over ``parent`` listing (key, what it does); hidden until toggled."""

    def __init__(self, parent: QWidget, rows: list[tuple[str, str]]):
        super().__init__(parent)
        self.setObjectName("shortcutOverlay")
        self.setStyleSheet(
            "#shortcutOverlay { background: rgba(20, 24, 28, 225); border-radius: 10px; }"
            "#shortcutOverlay QLabel { color: white; font-size: 15px; }"
        )
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 18, 24, 18)
        title = QLabel(self.tr("Keyboard shortcuts"))
        title.setStyleSheet("font-size: 18px; font-weight: bold;")
        outer.addWidget(title)
        grid = QGridLayout()
        grid.setHorizontalSpacing(24)
        self.rows = rows
        for i, (key, what) in enumerate(rows):
            k = QLabel(key)
            k.setStyleSheet("font-family: monospace; font-weight: bold; color: #ffd54f;")
            grid.addWidget(k, i, 0, Qt.AlignmentFlag.AlignRight)
            grid.addWidget(QLabel(what), i, 1)
        outer.addLayout(grid)
        hint = QLabel(self.tr("Press ? or Esc to close"))
        hint.setStyleSheet("color: #b0bec5; font-size: 12px;")
        outer.addWidget(hint)
        parent.installEventFilter(self)
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False

    def _place(self) -> None:
        parent = self.parentWidget()
        self.adjustSize()
        x = max(0, (parent.width() - self.width()) // 2)
        y = max(0, (parent.height() - self.height()) // 2)
        self.move(x, y)
        self.raise_()

    def toggle(self) -> None:
        if self.isVisible():
            self.hide()
        else:
            self.show()
            self._place()
