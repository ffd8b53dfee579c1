"""Errors the tool reports to its users: each carries a stable code and a clear message."""

from __future__ import annotations

from pathlib import Path


class DualrecError(Exception):
    """Base class of every error the tool reports on purpose (never a bare traceback)."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self)


class MediaError(DualrecError):
    """The recording cannot be audited: empty, not a video, corrupt, truncated, unreadable."""

    code = "media_error"


class ModelError(DualrecError):
    """A model is unknown, missing or corrupt. The message says how to install it."""

    code = "model_error"


class ConfigError(DualrecError):
    """Bad options or a bad phrase/profile file."""

    code = "config_error"


def read_config_text(path: Path, encoding: str = "utf-8") -> str:
    """A configuration file's text (a profile, a labels file), or a ConfigError saying why not."""
    try:
        return path.read_text(encoding=encoding)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
