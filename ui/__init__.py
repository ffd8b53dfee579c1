"""The Qt reviewer UI (PySide6). Only this package imports Qt; the core never does."""

import os

# Qt Multimedia lists every optional system library it looked for and did not find (PipeWire,
# VA-API), and lets FFmpeg describe each file it opens, on stderr before anything the command
# says; neither is an error for this tool (Qt's other messages go to the log: ui/app.py).
_QUIET = ("qt.multimedia.symbolsresolver=false", "qt.multimedia.ffmpeg*=false")
_rules = os.environ.get("QT_LOGGING_RULES", "")
os.environ["QT_LOGGING_RULES"] = ";".join(
    r for r in (_rules, *_QUIET) if r and (r == _rules or r.split("=")[0] not in _rules)
)
