"""Business profiles (layer 2): the obligations of one kind of sale, as a TOML data file.

A profile lists the ordered script stages with their required phrases (alternatives and
synonyms) and who should say them, the customer confirmations expected, forbidden phrases
(added to the shared list), the mandatory whole-recording checks with their thresholds, a rule
for every layer-1 event type (severity, mandatory or not, minimum duration) and deductions per
finding type (the score only ranks the review queue; it never decides). Files are validated on
load; a mistake is reported with the file, the key path and what was expected, never a
traceback.

Built-in profiles live in ``dualrec_audit/profiles/``; users add their own in a profile folder
(``--profiles-dir`` or ``$DUALREC_AUDIT_PROFILES``), where a file with the same id wins.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dualrec_audit.core.errors import ConfigError, read_config_text
from dualrec_audit.core.result import EVENT_SOURCES
from dualrec_audit.speech.phrases import Phrase, PhraseSet, load_phrases

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


class DocumentStage(_Strict):
    """A paper to hold up to the camera: its titles (any one legible counts), for how long,
    by whom, and whether the sale requires it. ``kind = "id_card"`` also counts an ID number
    read on the card (masked in every output)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: Names
    titles: tuple[str, ...] = Field(min_length=1)
    kind: Literal["page", "id_card"] = "page"
    party: Literal["staff", "customer", "any"] = "staff"
    min_seconds: float = Field(default=3.0, gt=0, le=60)
    required: bool = True

    @field_validator("titles")
    @classmethod
    def _non_empty(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if any(not t.strip() for t in v):
            raise ValueError("a title must not be empty")
        return v


class Confirmations(_Strict):
    """The customer's explicit answers (是的 / 我已知晓 / 我确认 …)."""

    phrases: tuple[PhraseSpec, ...] = Field(min_length=1)
    min_count: int = Field(default=1, ge=1)


class Mandatory(_Strict):
    """Whole-recording checks a recording must pass; a failure means re-record. Omit a key to
    turn it off. Per-episode mandatory checks (a face cut, a frozen picture) are event rules."""

    both_parties_present: float | None = Field(default=0.95, ge=0, le=1)
    clarity_share: float | None = Field(default=0.9, ge=0, le=1)
    clarity_floor: float = Field(default=0.6, ge=0, le=1)
    min_duration_s: float | None = Field(default=None, ge=0)
    no_forbidden_phrases: bool = True
    required_stages: bool = True
    required_documents: bool = True  # a required document not shown at all: re-record


class Attribution(_Strict):
    """Who said it: stages and confirmations checked against the party that said them (the
    findings ``wrong_speaker``, ``answered_for_customer``, ``prompted_answer`` follow their
    ``[events]`` rules)."""

    enabled: bool = True
    nod_evidence: bool = False  # a customer's nod counts for a confirmation heard off screen
    prompt_window_s: float = Field(default=5.0, ge=0)  # a word-for-word repeat within this


# The layer-1 event types each profile must give a rule for (the script's own events,
# phrase_missing and forbidden_phrase, are judged by the stages and the forbidden list).
# The script's and the documents' events are judged by their stages (required phrases, documents
# to show), not by per-event rules.
EVENT_TYPES: tuple[str, ...] = tuple(
    e for e, src in EVENT_SOURCES.items() if src not in ("script", "documents")
)


class PartyRule(_Strict):
    """An event rule's severity for one party's events (``staff = { ... }``)."""

    severity: Literal["low", "medium", "high"]
    mandatory: bool

    @model_validator(mode="after")
    def _mandatory_is_high(self) -> PartyRule:
        if self.mandatory and self.severity != "high":
            raise ValueError("a mandatory rule has severity 'high'")
        return self


class EventRule(_Strict):
    """How one layer-1 event type counts: an episode lasting at least ``min_duration_s`` is a
    finding of ``severity``; when ``mandatory``, it is a failed mandatory check (re-record).
    A shorter episode is listed as a low-severity note that never holds a recording.
    ``staff`` / ``customer`` give another severity for that party's events (a customer
    replaced part-way is a re-record, a staff hand-over a review)."""

    severity: Literal["low", "medium", "high"]
    mandatory: bool
    min_duration_s: float = Field(ge=0)
    staff: PartyRule | None = None
    customer: PartyRule | None = None

    @model_validator(mode="after")
    def _mandatory_is_high(self) -> EventRule:
        if self.mandatory and self.severity != "high":
            raise ValueError("a mandatory rule has severity 'high'")
        return self

    def for_party(self, party: str | None) -> EventRule:
        """The rule for an event of ``party`` (this one unless the party has its own)."""
        own = self.staff if party == "staff" else self.customer if party == "customer" else None
        if own is None:
            return self
        return EventRule(
            severity=own.severity, mandatory=own.mandatory, min_duration_s=self.min_duration_s
        )


class Identity(_Strict):
    """Face identity (``person_changed``, ``id_face_mismatch``): two faces are one person up to
    ``threshold`` (dlib descriptor distance), a change takes ``consecutive`` samples over it in
    a row, and a card's portrait matches the customer up to ``card_threshold``. Defaults
    measured on the test media (docs/identity.md)."""

    enabled: bool = True
    threshold: float = Field(default=0.6, gt=0, le=2)
    consecutive: int = Field(default=2, ge=1, le=10)
    card_threshold: float = Field(default=0.6, gt=0, le=2)


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
    "damaged": 25,  # part of the sale is not on record: never auto-approved
    "audio_track": 0,  # a note for the reviewer, not a defect
    "phrase_missing": 20,  # per missing required stage
    "forbidden_phrase": 40,
    "confirmation_missing": 25,  # below the approve threshold on its own
    "optional_stage_missing": 3,
    "document_missing": 20,  # per required document not shown
    "document_illegible": 10,  # shown, but its title not legible (or too briefly)
    "wrong_speaker": 20,  # a stage said by the other party
    "answered_for_customer": 40,  # 代答: the staff voices the customer's confirmation
    "prompted_answer": 10,  # the customer repeats the staff's sentence word for word
    "person_changed": 40,  # another person part-way (the customer's: re-record)
    "id_face_mismatch": 40,  # the ID card's photo is not the customer
}


class ReviewRules(_Strict):
    """What a reviewer must have done before approving (``[review]``). Not part of the audit:
    left out of the profile's digest, so changing it re-audits nothing."""

    # Share of the speech a reviewer must have played when the script is checked by ear.
    listen_share: float = Field(default=0.9, ge=0, le=1)


class Profile(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: str = "1"
    name: Names
    description: str = ""
    basis: tuple[str, ...] = Field(min_length=1)  # the rules this profile follows
    parties: tuple[Literal["staff", "customer"], ...] = ("staff", "customer")
    stages: tuple[Stage, ...] = Field(min_length=1)
    confirmations: Confirmations | None = None
    documents: tuple[DocumentStage, ...] = ()  # papers to hold up to the camera
    attribution: Attribution = Attribution()
    identity: Identity = Identity()
    forbidden: tuple[PhraseSpec, ...] = ()
    mandatory: Mandatory = Mandatory()
    events: dict[str, EventRule] = Field(default_factory=dict, validate_default=True)
    deductions: dict[str, float] = Field(default_factory=dict)
    review: ReviewRules = Field(default_factory=ReviewRules, exclude=True)

    @field_validator("events")
    @classmethod
    def _a_rule_per_event_type(cls, v: dict[str, EventRule]) -> dict[str, EventRule]:
        unknown = sorted(set(v) - set(EVENT_TYPES))
        if unknown:
            raise ValueError(
                f"unknown event type {', '.join(repr(u) for u in unknown)} "
                f"(known: {', '.join(EVENT_TYPES)})"
            )
        missing = [e for e in EVENT_TYPES if e not in v]
        if missing:
            raise ValueError(
                f"no rule for event type {', '.join(repr(m) for m in missing)}: every layer-1 "
                "event type needs { severity, mandatory, min_duration_s }"
            )
        return v

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
        docs: set[str] = set()
        for d in self.documents:
            if d.id in docs:
                raise ValueError(f"duplicate document id '{d.id}'")
            docs.add(d.id)
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


# Keys of earlier profile versions, and what replaced them.
_RETIRED = {
    "thresholds": "no longer used: the score only ranks the queue; the decision follows the "
    "mandatory checks and the findings' severity (see the [events] rules)",
    "mandatory.max_face_cut_s": 'moved: set [events] face_cut = { severity = "high", '
    "mandatory = true, min_duration_s = ... }",
}


def _format_error(source: str, exc: ValidationError) -> str:
    lines = [f"{source}: invalid profile:"]
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden" and path in _RETIRED:
            msg = _RETIRED[path]
        elif err["type"] == "extra_forbidden":
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


def profile_info(profile: Profile, chosen_by: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The result's ``profile`` block: id, version, names and basis (and why it was chosen)."""
    info: dict[str, Any] = {
        "id": profile.id,
        "version": profile.version,
        "name": profile.name.model_dump(),
        "basis": list(profile.basis),
    }
    if chosen_by:
        info["chosen_by"] = dict(chosen_by)
    return info
