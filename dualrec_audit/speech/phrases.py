"""Phrase lists: the required script phrases and the forbidden promises.

File format (UTF-8 text): one phrase per line, alternatives separated by ``|``; a line
starting with ``!`` is a forbidden phrase; ``#`` starts a comment. The shared forbidden list
(``data/forbidden.txt``) is always added.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from dualrec_audit.core.errors import ConfigError


@dataclass(frozen=True)
class Phrase:
    alternatives: tuple[str, ...]

    @property
    def text(self) -> str:
        return self.alternatives[0]


@dataclass(frozen=True)
class PhraseSet:
    required: tuple[Phrase, ...]
    forbidden: tuple[Phrase, ...]
    source: str

    def hotwords(self) -> str:
        """The required phrases, as a hint for the recogniser."""
        return "，".join(p.text for p in self.required)


def _parse(text: str, source: str) -> tuple[list[Phrase], list[Phrase]]:
    required: list[Phrase] = []
    forbidden: list[Phrase] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        target = required
        if line.startswith("!"):
            target, line = forbidden, line[1:]
        alts = tuple(a.strip() for a in line.split("|") if a.strip())
        if not alts:
            raise ConfigError(f"{source}:{lineno}: empty phrase")
        target.append(Phrase(alts))
    return required, forbidden


def _data(name: str) -> str:
    return resources.files("dualrec_audit").joinpath("data", name).read_text(encoding="utf-8")


def load_phrases(path: Path | None = None) -> PhraseSet:
    """The phrases in ``path`` (or the built-in defaults) plus the shared forbidden list."""
    if path is None:
        text, source = _data("phrases_default.txt"), "built-in default phrases"
    else:
        try:
            text, source = path.read_text(encoding="utf-8"), str(path)
        except OSError as exc:
            raise ConfigError(f"Cannot read the phrase file {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"The phrase file {path} is not UTF-8 text") from None
    required, forbidden = _parse(text, source)
    shared, _ = _parse(_data("forbidden.txt"), "built-in forbidden list")
    return PhraseSet(tuple(required), tuple(shared + forbidden), source)
