"""Per-user settings (QSettings): language, reviewer name, overlay, unsaved decision drafts.

``$DUALREC_AUDIT_SETTINGS`` names an INI file to use instead of the platform's store (tests,
shared kiosks)."""

from __future__ import annotations

import getpass
import os

from PySide6.QtCore import QSettings

SETTINGS_ENV = "DUALREC_AUDIT_SETTINGS"


def open_settings() -> QSettings:
    path = os.environ.get(SETTINGS_ENV)
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings("dualrec-audit", "dualrec-audit")


def default_reviewer() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return ""


def text_value(settings: QSettings, key: str, default: str = "") -> str:
    value = settings.value(key, default)
    return "" if value is None else str(value)


def bool_value(settings: QSettings, key: str, default: bool) -> bool:
    value = settings.value(key, default)
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)
