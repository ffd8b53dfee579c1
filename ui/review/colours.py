"""The colours the review view's panels share: the machine's decision in the title, and
green / red / grey for what was found, missing or not checked."""

from PySide6.QtGui import QColor

DECISION_COLOURS = {
    "approve": "#2e7d32",
    "review": "#ef6c00",
    "rerecord": "#c62828",
    "error": "#616161",
}
GREEN, RED, GREY = QColor(46, 125, 50), QColor(198, 40, 40), QColor(117, 117, 117)
