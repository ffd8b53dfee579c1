"""The UI language: Qt translation files (``ui/i18n/*.qm``) over English source strings.

Simplified Chinese is the default; English when ``--lang en``, ``$DUALREC_AUDIT_LANG``, the
saved setting or an English system locale says so (``dualrec_audit.review.texts.choose_language``).
Texts that come from the audit itself (findings, stage names) carry both languages and are
picked with the same choice."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QSettings, QTranslator

from dualrec_audit.review.texts import LANG_ENV, choose_language

log = logging.getLogger("dualrec_audit.ui")

I18N_DIR = Path(__file__).resolve().parent / "i18n"
TS_FILE = I18N_DIR / "dualrec_zh_CN.ts"
QM_FILE = I18N_DIR / "dualrec_zh_CN.qm"


def resolve_language(explicit: str | None, settings: QSettings) -> str:
    saved = settings.value("lang")
    return choose_language(
        explicit,
        os.environ.get(LANG_ENV),
        None if saved is None else str(saved),
        QLocale.system().name(),
    )


def install_translators(app: QCoreApplication, lang: str) -> list[QTranslator]:
    """Install the Chinese translations (ours and Qt's own dialogs) when ``lang`` is zh.
    Returns the installed translators (remove them to go back to English)."""
    if lang != "zh":
        return []
    installed = []
    ours = QTranslator(app)
    if ours.load(str(QM_FILE)):
        app.installTranslator(ours)
        installed.append(ours)
    else:
        log.warning("cannot load the Chinese translation %s; the UI stays in English", QM_FILE)
    qt = QTranslator(app)
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if qt.load("qtbase_zh_CN", qt_dir):
        app.installTranslator(qt)
        installed.append(qt)
    return installed


def remove_translators(app: QCoreApplication, translators: list[QTranslator]) -> None:
    for t in translators:
        app.removeTranslator(t)
