"""The Qt reviewer UI (PySide6). Only this package imports Qt; the core never does."""
