"""Which business profile a recording is audited under.

In order: ``--profile ID`` for the whole run; a sidecar JSON next to the file
(``NAME.json`` or ``NAME.mp4.json`` holding ``{"profile": "ID", ...}``, and optionally the
business metadata ``branch``, ``teller``, ``customer_ref`` and ``product``); a manifest given with
``--profile-map`` — a CSV with ``file,profile`` columns (file name or path) or a TOML file with
``default = "ID"`` and ``[patterns]`` of filename globs (``"*基金*" = "fund_sale"``); otherwise the
configured default.
"""

from __future__ import annotations

import csv
import fnmatch
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from dualrec_audit.core.errors import ConfigError


@dataclass(frozen=True)
class ProfileMap:
    by_file: dict[str, str] = field(default_factory=dict)  # file name or resolved path -> id
    patterns: tuple[tuple[str, str], ...] = ()  # (glob on the file name, id), first match wins
    default: str | None = None

    @classmethod
    def load(cls, path: Path) -> ProfileMap:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from None
        if path.suffix.lower() == ".csv":
            rows = list(csv.DictReader(text.splitlines()))
            if rows and not {"file", "profile"} <= set(rows[0]):
                raise ConfigError(f"{path}: a profile map CSV needs the columns file,profile")
            by_file: dict[str, str] = {}
            for i, row in enumerate(rows, 2):
                name, pid = (row.get("file") or "").strip(), (row.get("profile") or "").strip()
                if not name or not pid:
                    raise ConfigError(f"{path}:{i}: empty file or profile")
                by_file[name] = pid
            return cls(by_file=by_file)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        unknown = set(data) - {"default", "patterns"}
        if unknown:
            raise ConfigError(
                f"{path}: unknown keys {sorted(unknown)} (expected default, patterns)"
            )
        patterns = data.get("patterns", {})
        if not isinstance(patterns, dict) or not all(isinstance(v, str) for v in patterns.values()):
            raise ConfigError(f"{path}: [patterns] maps filename globs to profile ids")
        return cls(patterns=tuple(patterns.items()), default=data.get("default"))


def read_sidecar(video: Path) -> tuple[Path, dict[str, object]] | None:
    """The JSON sidecar next to a recording (``NAME.json`` or ``NAME.mp4.json``), if any."""
    for side in (video.with_suffix(".json"), video.with_name(video.name + ".json")):
        try:
            there = side.is_file()
        except OSError:  # a name too long for the system: no such sidecar can exist
            there = False
        if there:
            try:
                data = json.loads(side.read_text(encoding="utf-8-sig"))
            except (OSError, ValueError) as exc:
                raise ConfigError(f"{side}: not a readable JSON sidecar: {exc}") from None
            if not isinstance(data, dict):
                raise ConfigError(f"{side}: a sidecar holds a JSON object")
            return side, data
    return None


def sidecar_profile(video: Path) -> str | None:
    found = _sidecar_choice(video)
    return None if found is None else found[0]


def _sidecar_choice(video: Path) -> tuple[str, str] | None:
    """(profile id, sidecar file name) when the sidecar names a profile."""
    found = read_sidecar(video)
    if found is None:
        return None
    side, data = found
    pid = data.get("profile")
    if pid is not None and not isinstance(pid, str):
        raise ConfigError(f'{side}: "profile" must be a profile id string')
    return (pid, side.name) if pid else None


# Business metadata a sidecar may carry; "customer" is accepted for "customer_ref".
META_KEYS = ("branch", "teller", "customer_ref", "product")


def sidecar_meta(video: Path) -> dict[str, str]:
    """Branch, teller, customer reference and product from the sidecar (missing keys left out)."""
    found = read_sidecar(video)
    if found is None:
        return {}
    side, data = found
    out: dict[str, str] = {}
    for key in META_KEYS:
        value = data.get(key, data.get("customer") if key == "customer_ref" else None)
        if value is None:
            continue
        if not isinstance(value, str | int):
            raise ConfigError(f'{side}: "{key}" must be a string')
        out[key] = str(value).strip()[:200]
    return out


ChoiceKind = Literal[
    "option", "sidecar", "profile_map", "pattern", "map_default", "window", "default"
]


@dataclass(frozen=True)
class ProfileChoice:
    """Why a recording is judged under its profile: ``by`` which rule, ``detail`` the sidecar's
    file name or the pattern that matched (empty otherwise)."""

    by: ChoiceKind
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"by": self.by, "detail": self.detail}


def resolve_profile(
    video: Path, *, explicit: str | None, mapping: ProfileMap | None, default: str | None
) -> tuple[str | None, ProfileChoice]:
    """(profile id, why that one) for one recording."""
    if explicit:
        return explicit, ProfileChoice("option")
    side = _sidecar_choice(video)
    if side is not None:
        return side[0], ProfileChoice("sidecar", side[1])
    if mapping is not None:
        for key in (str(video), str(video.resolve()), video.name):
            if key in mapping.by_file:
                return mapping.by_file[key], ProfileChoice("profile_map")
        for pattern, pid in mapping.patterns:
            if fnmatch.fnmatch(video.name, pattern):
                return pid, ProfileChoice("pattern", pattern)
        if mapping.default:
            return mapping.default, ProfileChoice("map_default")
    return default, ProfileChoice("default")


def with_choice(
    info: Mapping[str, Any] | None, choice: ProfileChoice | None
) -> Mapping[str, Any] | None:
    """A result's profile block with why it was chosen (kept out when nobody said)."""
    if info is None or choice is None:
        return info
    return {**info, "chosen_by": choice.to_dict()}
