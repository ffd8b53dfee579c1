"""Business profiles (layer 2): the obligations of one kind of sale, as a TOML data file.

A profile lists the ordered script stages with their required phrases (alternatives and
synonyms) and who should say them, the customer confirmations expected, forbidden phrases
(added to the shared list), mandatory checks with thresholds, deductions per finding type and
the decision thresholds. Files are validated on load; a mistake is reported with the file,
the key path and what was expected, never a traceback.

Built-in profiles live in ``dualrec_audit/profiles/``; users add their own in a profile folder
(``--profiles-dir`` or ``$DUALREC_AUDIT_PROFILES``), where a file with the same id wins.
"""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dualrec_audit.errors import ConfigError, read_config_text
from dualrec_audit.phrases import Phrase, PhraseSet, load_phrases
from dualrec_audit.result import EVENT_SOURCES

ENV_VAR = "DUALREC_AUDIT_PROFILES"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Names(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class PhraseSpec(_Strict):
    """A phrase to hear: its text and the other ways of saying it."""

    text: str = Field(min_length=1)
    synonyms: tuple[str, ...] = ()

    @property
    def alternatives(self) -> tuple[str, ...]:
        return (self.text, *self.synonyms)


class Stage(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: Names
    speaker: Literal["staff", "customer", "any"] = "staff"
    required: bool = True
    match: Literal["all", "any"] = "all"  # all phrases, or any one of them
    phrases: tuple[PhraseSpec, ...] = Field(min_length=1)


class Confirmations(_Strict):
    """The customer's explicit answers (是的 / 我已知晓 / 我确认 …)."""

    phrases: tuple[PhraseSpec, ...] = Field(min_length=1)
    min_count: int = Field(default=1, ge=1)


class Mandatory(_Strict):
    """Checks a recording must pass; a failure means re-record. Omit a key to turn it off."""

    both_parties_present: float | None = Field(default=0.95, ge=0, le=1)
    max_face_cut_s: float | None = Field(default=2.0, ge=0)
    clarity_share: float | None = Field(default=0.9, ge=0, le=1)
    clarity_floor: float = Field(default=0.6, ge=0, le=1)
    min_duration_s: float | None = Field(default=None, ge=0)
    no_forbidden_phrases: bool = True
    required_stages: bool = True


class Attribution(_Strict):
    """Who said it: stages and confirmations checked against the party that said them."""

    enabled: bool = True
    nod_evidence: bool = False  # a customer's nod counts for a confirmation heard off screen
    prompt_window_s: float = Field(default=5.0, ge=0)  # a word-for-word repeat within this


class Thresholds(_Strict):
    approve: float = Field(default=80, ge=0, le=100)
    review: float = Field(default=60, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.review > self.approve:
            raise ValueError("review must not be above approve")
        return self


DEFAULT_DEDUCTIONS: dict[str, float] = {
    "party_absent": 25,
    "extra_person": 10,
    "face_cut": 10,
    "face_small": 3,
    "face_turned": 5,
    "silence": 3,
    "low_clarity": 10,
    "clipping": 3,
    "dark": 10,
    "overexposed": 8,
    "blur": 5,
    "frozen": 10,
    "phrase_missing": 20,  # per missing required stage
    "forbidden_phrase": 40,
    "confirmation_missing": 25,  # below the approve threshold on its own
    "optional_stage_missing": 3,
    "wrong_speaker": 20,  # a stage said by the other party
    "answered_for_customer": 40,  # 代答: the staff voices the customer's confirmation
    "prompted_answer": 10,  # the customer repeats the staff's sentence word for word (review)
}
# Findings that always send a recording to a reviewer, whatever the score.
REVIEW_FINDINGS = frozenset({"wrong_speaker", "answered_for_customer", "prompted_answer"})


class Profile(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: str = "1"
    name: Names
    description: str = ""
    basis: tuple[str, ...] = Field(min_length=1)  # the rules this profile follows
    parties: tuple[Literal["staff", "customer"], ...] = ("staff", "customer")
    stages: tuple[Stage, ...] = Field(min_length=1)
    confirmations: Confirmations | None = None
    forbidden: tuple[PhraseSpec, ...] = ()
    mandatory: Mandatory = Mandatory()
    deductions: dict[str, float] = Field(default_factory=dict)
    thresholds: Thresholds = Thresholds()
    attribution: Attribution = Attribution()

    @field_validator("deductions")
    @classmethod
    def _known_findings(cls, v: dict[str, float]) -> dict[str, float]:
        known = set(DEFAULT_DEDUCTIONS)
        for key, points in v.items():
            if key not in known:
                raise ValueError(
                    f"unknown finding type '{key}' (known: {', '.join(sorted(known))})"
                )
            if points < 0:
                raise ValueError(f"deduction for '{key}' must be >= 0")
        return v

    @model_validator(mode="after")
    def _unique_stage_ids(self) -> Profile:
        seen: set[str] = set()
        for s in self.stages:
            if s.id in seen:
                raise ValueError(f"duplicate stage id '{s.id}'")
            seen.add(s.id)
        return self

    def deduction(self, finding: str) -> float:
        return self.deductions.get(finding, DEFAULT_DEDUCTIONS[finding])

    def phrase_set(self) -> PhraseSet:
        """The phrases for the script check: every stage phrase and confirmation, and the
        shared forbidden list plus this profile's."""
        required = [Phrase(p.alternatives) for s in self.stages for p in s.phrases]
        if self.confirmations:
            required += [Phrase(p.alternatives) for p in self.confirmations.phrases]
        shared = load_phrases(None).forbidden
        forbidden = (*shared, *(Phrase(p.alternatives) for p in self.forbidden))
        return PhraseSet(tuple(required), forbidden, f"profile {self.id} v{self.version}")


assert set(DEFAULT_DEDUCTIONS) >= set(EVENT_SOURCES)


def _format_error(source: str, exc: ValidationError) -> str:
    lines = [f"{source}: invalid profile:"]
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see `dualrec-audit profiles show fund_sale`)"
        elif err["type"] == "missing":
            msg = "required key is missing"
        lines.append(f"  {path}: {msg}")
    return "\n".join(lines)


def parse_profile(text: str, source: str) -> Profile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_error(source, exc)) from None


def load_profile_file(path: Path) -> Profile:
    text = read_config_text(path)
    return parse_profile(text, str(path))


def builtin_profiles() -> dict[str, Profile]:
    out: dict[str, Profile] = {}
    folder = resources.files("dualrec_audit").joinpath("profiles")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            p = parse_profile(entry.read_text(encoding="utf-8"), f"built-in {entry.name}")
            out[p.id] = p
    return out


def profile_dirs(extra: Path | None = None) -> list[Path]:
    dirs = [extra] if extra else []
    env = os.environ.get(ENV_VAR)
    if env:
        dirs.extend(Path(p) for p in env.split(os.pathsep) if p)
    return dirs


def all_profiles(extra_dir: Path | None = None) -> dict[str, Profile]:
    """Built-in profiles, overridden and extended by the user's profile folders."""
    profiles = builtin_profiles()
    for d in reversed(profile_dirs(extra_dir)):
        if not d.is_dir():
            raise ConfigError(f"profile folder {d} does not exist")
        for f in sorted(d.glob("*.toml")):
            p = load_profile_file(f)
            profiles[p.id] = p
    return profiles


def get_profile(profile_id: str, extra_dir: Path | None = None) -> Profile:
    profiles = all_profiles(extra_dir)
    if profile_id not in profiles:
        raise ConfigError(
            f"unknown profile '{profile_id}'. Valid ids: {', '.join(sorted(profiles))}"
        )
    return profiles[profile_id]
