"""The proposal: new values for a profile's tunable parameters from the reviewers' verdicts,
with the guarantee enforced.

Tunable parameters: every event rule's ``min_duration_s`` (an episode shorter than it is a
note that never holds a recording) and severity (lowered to ``low`` only when many verdicts
and none confirmed), and the whole-recording thresholds ``both_parties_present`` and
``clarity_share`` (a recording whose share is under the threshold fails). Each is a threshold
on one number of a finding: its duration, or the share the aggregate measured.

For each parameter, from the findings reviewers marked:

- **Too few verdicts** (fewer than ``min_verdicts``, or fewer than ``min_confirmed``
  confirmed): left as it is; the report says how many more are needed.
- **Bound**: the threshold stops short of the last confirmed finding by a margin (durations:
  ``max(margin_s, margin_rel × duration)``; shares: ``share_margin``).
- **Value**: within the bound, the value that removes the most false alarms, and no more
  than needed (just past the last false alarm removed).
- **Leave-one-recording-out**: the value proposed without each recording's verdicts must keep
  that recording's confirmed findings; if not, the parameter is left as it is ("not robust").

Then the whole proposed profile is **checked, not estimated**: every stored result is decided
again under it (:func:`~dualrec_audit.calibrate.data.redecide`). The guarantee: every finding
a reviewer confirmed that held its recording still does, and no recording a reviewer sent to
re-record would be approved. A change that breaks it is reverted (and says so), and the whole
proposal is checked leaving each recording out in turn as well.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dualrec_audit.calibrate.data import NOT_APPROVABLE, Sample, held, redecide
from dualrec_audit.core.result import Finding
from dualrec_audit.rules.decision import holds
from dualrec_audit.rules.profiles import Profile


@dataclass(frozen=True)
class Settings:
    min_verdicts: int = 6  # verdicts on a parameter's findings before it is moved
    min_confirmed: int = 2  # of which confirmed (the bound needs confirmed findings)
    margin_s: float = 0.5  # a duration threshold stops this far short of a confirmed one …
    margin_rel: float = 0.15  # … or this share of its duration, whichever is more
    share_margin: float = 0.02  # a share threshold stays this far from a confirmed share
    severity_min_verdicts: int = 20  # all false alarms, none confirmed: severity to low


@dataclass(frozen=True)
class Observation:
    """A marked finding as one parameter sees it: its number, verdict and recording."""

    value: float
    label: str
    recording: int  # the sample's index
    removable: bool  # a false alarm this parameter can remove (it holds now, not part of
    # a whole-recording failure that holds it anyway)


@dataclass(frozen=True)
class Change:
    """One parameter: old and new value, what the verdicts said, and why."""

    param: str
    old: Any
    new: Any
    status: str  # changed | unchanged | too_few | not_robust | reverted
    confirmed: int = 0
    false_alarms: int = 0
    removed: int = 0  # false alarms this value removes (on its own)
    margin: float | None = None
    bound: float | None = None
    more_verdicts: int = 0  # too_few: how many more verdicts, …
    more_confirmed: int = 0  # … of which confirmed, are needed
    note: str = ""

    @property
    def changed(self) -> bool:
        return self.status == "changed"

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class Parameter:
    """A tunable threshold: its path in the profile, which findings it judges, the number it
    reads from a finding, and which way it removes findings (``up``: raising it)."""

    param: str
    rule: str
    value_of: Callable[[Finding], float | None]
    up: bool
    old: float


def _duration(f: Finding) -> float | None:
    return f.end - f.start


def _share(key: str) -> Callable[[Finding], float | None]:
    def read(f: Finding) -> float | None:
        v = f.evidence.get(key)
        return None if v is None else float(v)

    return read


def parameters(profile: Profile) -> list[Parameter]:
    out = [
        Parameter(f"events.{t}.min_duration_s", f"event.{t}", _duration, True, r.min_duration_s)
        for t, r in profile.events.items()
    ]
    m = profile.mandatory
    if m.both_parties_present is not None:
        out.append(
            Parameter(
                "mandatory.both_parties_present",
                "mandatory.both_parties_present",
                _share("presence"),
                False,
                m.both_parties_present,
            )
        )
    if m.clarity_share is not None:
        out.append(
            Parameter(
                "mandatory.clarity_share",
                "mandatory.clarity",
                _share("clear_share"),
                False,
                m.clarity_share,
            )
        )
    return out


def observations(samples: Sequence[Sample], p: Parameter) -> list[Observation]:
    out = []
    for i, s in enumerate(samples):
        for mark in s.marks:
            f = s.finding(mark.key)
            if f is None or f.rule != p.rule:
                continue
            v = p.value_of(f)
            if v is None:
                continue
            removable = holds(f) and "part_of" not in f.evidence
            out.append(Observation(v, mark.label, i, removable))
    return out


def _margin(p: Parameter, confirmed_value: float, s: Settings) -> float:
    if p.up:
        return max(s.margin_s, s.margin_rel * confirmed_value)
    return s.share_margin


def _value(p: Parameter, obs: Sequence[Observation], s: Settings) -> Change:
    """The parameter's value from these observations alone (no cross-validation)."""
    conf = [o.value for o in obs if o.label == "confirmed"]
    fas = [o for o in obs if o.label == "false_alarm"]
    base = Change(p.param, p.old, p.old, "unchanged", len(conf), len(fas))
    if len(obs) < s.min_verdicts or len(conf) < s.min_confirmed:
        return _replace(
            base,
            status="too_few",
            more_verdicts=max(0, s.min_verdicts - len(obs)),
            more_confirmed=max(0, s.min_confirmed - len(conf)),
        )
    if p.up:
        last = min(conf)
        margin = _margin(p, last, s)
        bound = last - margin
        removed = [o.value for o in fas if o.removable and p.old <= o.value < bound]
        if not removed:
            return _replace(base, margin=margin, bound=round(bound, 3))
        new = min(bound, math.floor((max(removed) + 0.1) * 10 + 1e-9) / 10)
        if new <= max(removed):  # no tenth of a second fits: the bound itself
            new = math.floor(bound * 100) / 100
    else:
        last = max(conf)
        margin = _margin(p, last, s)
        bound = last + margin
        removed = [o.value for o in fas if o.removable and bound <= o.value < p.old]
        if not removed:
            return _replace(base, margin=margin, bound=round(bound, 3))
        new = math.floor(min(removed) * 100 + 1e-9) / 100
        if new < bound:
            new = math.ceil(bound * 100 - 1e-9) / 100
    new = round(new, 2)
    n = sum(1 for o in fas if o.removable and _removes(p, new, o.value))
    if n == 0 or new == p.old:
        return _replace(base, margin=margin, bound=round(bound, 3))
    return _replace(
        base, new=new, status="changed", removed=n, margin=round(margin, 3), bound=round(bound, 3)
    )


def _removes(p: Parameter, value: float, x: float) -> bool:
    """Under threshold ``value``, a finding whose number is ``x`` no longer holds."""
    return x < value - 1e-6 if p.up else x >= value - 1e-9


def _replace(c: Change, **kw: Any) -> Change:
    from dataclasses import replace

    return replace(c, **kw)


def propose_parameter(p: Parameter, samples: Sequence[Sample], s: Settings) -> Change:
    """The parameter's value, cross-validated leaving each recording out."""
    obs = observations(samples, p)
    change = _value(p, obs, s)
    if not change.changed:
        return change
    for r in sorted({o.recording for o in obs}):
        fold = _value(p, [o for o in obs if o.recording != r], s)
        if not fold.changed:
            continue
        lost = [
            o.value
            for o in obs
            if o.recording == r and o.label == "confirmed" and _removes(p, fold.new, o.value)
        ]
        if lost:
            rid = samples[r].run_id
            return _replace(
                change,
                new=p.old,
                status="not_robust",
                removed=0,
                note=f"without run {rid}'s verdicts the value would be {fold.new}, losing its "
                f"confirmed finding ({lost[0]:.2f}): more verdicts are needed near the bound",
            )
    return change


def propose_severity(t: str, profile: Profile, samples: Sequence[Sample], s: Settings) -> Change:
    """An event type reviewers always called a false alarm, with many verdicts: ``low``."""
    rule = profile.events[t]
    obs = observations(samples, Parameter("", f"event.{t}", _duration, True, 0.0))
    conf = sum(1 for o in obs if o.label == "confirmed")
    base = Change(f"events.{t}.severity", rule.severity, rule.severity, "unchanged", conf)
    base = _replace(base, false_alarms=len(obs) - conf)
    if rule.mandatory or rule.severity == "low" or not obs:
        return base
    if conf:
        return base  # a confirmed one: the severity stays
    if len(obs) < s.severity_min_verdicts:
        more = s.severity_min_verdicts - len(obs)
        return _replace(base, status="too_few", more_verdicts=more)
    removed = sum(1 for o in obs if o.removable)
    return _replace(base, new="low", status="changed", removed=removed)


def apply(profile: Profile, changes: Sequence[Change], basis: str | None = None) -> Profile:
    """The profile with the changed parameters (and, given ``basis``, a new version naming
    the calibration)."""
    doc = profile.model_dump(mode="json")
    for c in changes:
        if not c.changed:
            continue
        *path, last = c.param.split(".")
        node = doc
        for part in path:
            node = node[part]
        node[last] = c.new
    if basis is not None:
        doc["version"] = next_version(profile.version)
        doc["basis"] = [*doc["basis"], basis]
    return Profile.model_validate(doc)


def next_version(version: str) -> str:
    """ "1" -> "2"; "1.3" -> "1.4"; anything else gets ".1"."""
    head, _, tail = version.rpartition(".")
    if tail.isdigit():
        return f"{head}.{int(tail) + 1}" if head else str(int(tail) + 1)
    return f"{version}.1"


@dataclass(frozen=True)
class Violation:
    run_id: int
    what: str  # confirmed_lost | would_approve
    detail: str


def guarantee(samples: Sequence[Sample], profile: Profile) -> list[Violation]:
    """Every stored result decided again under ``profile``: the confirmed findings that hold
    their recording now must still hold it; no recording a reviewer sent to re-record is
    approved (unless the profile calibrated approves it already: that is not the proposal's
    doing, and the report's effect table shows it)."""
    out = []
    for s in samples:
        if s.result.error is not None:
            continue
        after = redecide(s.result, profile)
        for m in s.marks:
            if m.label == "confirmed" and held(s.result.findings, m.key):
                if not held(after.findings, m.key):
                    out.append(Violation(s.run_id, "confirmed_lost", f"{m.key[0]} {m.key[1]}s"))
        was = s.result.decision
        if s.verdict in NOT_APPROVABLE and after.decision == "approve" != was:
            out.append(Violation(s.run_id, "would_approve", s.verdict or ""))
    return out


@dataclass(frozen=True)
class Proposal:
    profile: Profile  # the proposed profile (a new version when anything changed)
    changes: tuple[Change, ...]
    violations: tuple[Violation, ...]  # of the proposal finally made: always empty
    loo_folds: int = 0  # recordings left out in turn …
    loo_failed: tuple[int, ...] = ()  # … and the run ids whose fold broke the guarantee
    reverted: tuple[str, ...] = field(default_factory=tuple)

    @property
    def changed(self) -> bool:
        return any(c.changed for c in self.changes)


def _changes(profile: Profile, samples: Sequence[Sample], s: Settings) -> list[Change]:
    changes = [propose_parameter(p, samples, s) for p in parameters(profile)]
    changes += [propose_severity(t, profile, samples, s) for t in profile.events]
    return changes


def _revert(changes: list[Change], param: str, why: str) -> None:
    for i, c in enumerate(changes):
        if c.param == param:
            changes[i] = _replace(c, new=c.old, status="reverted", removed=0, note=why)


def _enforce(profile: Profile, samples: Sequence[Sample], changes: list[Change]) -> list[str]:
    """Revert changes until the re-decided results keep the guarantee; the reverted ones."""
    reverted: list[str] = []
    while guarantee(samples, apply(profile, changes)):
        live = [c for c in changes if c.changed]
        if not live:
            break
        best = None
        for c in live:
            trial = [x for x in changes if x.param != c.param]
            if not guarantee(samples, apply(profile, trial)):
                best = c
                break
        for c in [best] if best is not None else live:
            _revert(
                changes, c.param, "reverted: re-deciding the stored results broke the guarantee"
            )
            reverted.append(c.param)
    return reverted


def propose(
    profile: Profile, samples: Sequence[Sample], settings: Settings | None = None, *, basis: str
) -> Proposal:
    """Propose new values for ``profile`` from ``samples`` (see the module doc)."""
    s = settings or Settings()
    changes = _changes(profile, samples, s)
    reverted = _enforce(profile, samples, changes)
    failed: list[int] = []
    marked = [i for i, x in enumerate(samples) if x.marks or x.verdict]
    for i in marked:
        rest = [x for j, x in enumerate(samples) if j != i]
        fold = _changes(profile, rest, s)
        fold = [
            f for f in fold if f.changed and any(c.changed and c.param == f.param for c in changes)
        ]
        if guarantee([samples[i]], apply(profile, fold)):
            failed.append(samples[i].run_id)
            for f in fold:
                _revert(
                    changes,
                    f.param,
                    f"reverted: leaving run {samples[i].run_id} out broke the guarantee",
                )
                reverted.append(f.param)
    final = apply(profile, changes, basis if any(c.changed for c in changes) else None)
    return Proposal(
        final,
        tuple(changes),
        tuple(guarantee(samples, final)),
        len(marked),
        tuple(failed),
        tuple(reverted),
    )
