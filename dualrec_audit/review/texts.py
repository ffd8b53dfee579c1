"""Texts a reviewer or a teller reads, and the language they are shown in."""

from __future__ import annotations

import re
from typing import Literal

from dualrec_audit.core.result import Text

_COMMAND = re.compile(r"\s*[（(][^（）()]*dualrec-audit[^（）()]*[）)]")

ASK_ADMIN = Text("请联系管理员安装", "ask the administrator to install it")


def for_reviewer(text: Text) -> Text:
    """A stored message without the command line in it (a reviewer never runs one): the
    parenthesised ``dualrec-audit …`` hint becomes "ask the administrator"."""
    if "dualrec-audit" not in text.zh + text.en:
        return text
    zh = _COMMAND.sub("", text.zh).replace("dualrec-audit", "").strip()
    en = _COMMAND.sub("", text.en).replace("dualrec-audit", "").strip()
    return Text(f"{zh}（{ASK_ADMIN.zh}）", f"{en} ({ASK_ADMIN.en})")


def fmt_tenths(seconds: float) -> str:
    """00:12.3 (or 1:00:12.3): the review view's clock, to the tenth of a second."""
    t = max(0, round(seconds * 10))
    whole, tenth = divmod(t, 10)
    h, rem = divmod(whole, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}.{tenth}" if h else f"{m:02d}:{sec:02d}.{tenth}"


LANG_ENV = "DUALREC_AUDIT_LANG"


def choose_language(
    explicit: str | None, env: str | None, setting: str | None, locale_name: str | None
) -> Literal["zh", "en"]:
    """The UI language: ``--lang``, else $DUALREC_AUDIT_LANG, else the saved setting, else
    English for an English locale; Simplified Chinese otherwise (the default)."""
    for value in (explicit, env, setting):
        if value:
            v = value.strip().lower()
            if v.startswith("en"):
                return "en"
            if v.startswith("zh"):
                return "zh"
    if locale_name and locale_name.lower().startswith("en"):
        return "en"
    return "zh"
