"""Calibration's part of the store: verdicts on findings under the window's rules, the
stored runs and verdicts calibration reads, profile versions activated by two seniors, and
stored runs re-judged under the active version without re-auditing.

Every activation step and every re-judgement is a row of an append-only table and an entry
of the keyed event log (``profile.submitted``, ``profile.activation``, ``run.rejudged``);
:func:`verify_calibration` checks both ways that the rows are what the log recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dualrec_audit.calibrate.data import Mark, Sample, finding_key, redecide
from dualrec_audit.core.errors import ConfigError
from dualrec_audit.core.result import AuditResult
from dualrec_audit.rules.profiles import Profile, parse_profile
from dualrec_audit.store.keys import digest, jsonable, now
from dualrec_audit.store.records import both_ways
from dualrec_audit.store.workflow import WorkflowStore, _account
from dualrec_audit.workflow.policy import Account
from dualrec_audit.workflow.verdicts import check_activation, check_mark

log = logging.getLogger(__name__)


def profile_digest(profile: Profile) -> str:
    return digest(profile.model_dump(mode="json"))


@dataclass(frozen=True)
class Activation:
    """One activation step: the version, who, which step, and whether it is now active."""

    version_id: int
    profile_id: str
    version: str
    digest: str
    step: str  # first | second
    senior: str
    active: bool


@dataclass(frozen=True)
class Rejudged:
    run_id: int
    profile_id: str
    version: str
    before: str
    after: str


class CalibrationStore(WorkflowStore):
    """Verdicts on findings, calibration data, profile versions and re-judgements."""

    # -- verdicts on findings (the window and `review mark`) -------------------------------

    def mark(self, finding_id: int, account: Account, label: str, note: str | None = None) -> int:
        """A reviewer's verdict on a finding (``confirmed`` or ``false_alarm``) if the
        window's rules allow it (:func:`~dualrec_audit.workflow.verdicts.check_mark`): an
        active reviewer or senior, on a recording no one else has claimed."""
        from dualrec_audit.store.schema import AuditRun, FindingRow

        with self._write() as s:
            finding = s.get(FindingRow, finding_id)
            if finding is None:
                raise ConfigError(f"no finding {finding_id} in the database")
            acc = _account(self._account_row(s, account.username))
            run = s.get(AuditRun, finding.run_id)
            claim = self._claim_row(s, run.recording_id)
            held = claim is not None and claim.expires_at > now()
            check_mark(acc, label, claim.reviewer if held else None)
            return self._insert_feedback(s, finding, acc.username, label, note)

    def finding_ids(self) -> dict[tuple[int, str, int], int]:
        """Every stored finding's database id (what ``review mark --finding`` takes), keyed
        (run id, source, ordinal) as :meth:`finding_verdicts` keys them."""
        from sqlalchemy import select

        from dualrec_audit.store.schema import FindingRow

        q = select(FindingRow.run_id, FindingRow.source, FindingRow.ordinal, FindingRow.id)
        with self._read() as s:
            return {(r, src, o): i for r, src, o, i in s.execute(q)}

    # -- what calibration reads ------------------------------------------------------------

    def calibration_samples(self, profile_id: str, since: str | None = None) -> list[Sample]:
        """The latest run of each recording judged under ``profile_id`` (finished at or
        after ``since``), with the latest verdict on each of its findings and the latest
        reviewer decision on the recording."""
        from sqlalchemy import func, select

        from dualrec_audit.store.schema import AuditRun, FindingFeedback, FindingRow
        from dualrec_audit.store.schema import ReviewDecision as Decision

        with self._read() as s:
            q = select(func.max(AuditRun.id)).where(
                AuditRun.profile_id == profile_id, AuditRun.status == "done"
            )
            if since:
                q = q.where(AuditRun.finished_at >= since)
            ids = sorted(s.execute(q.group_by(AuditRun.recording_id)).scalars())
            verdicts = {
                d.recording_id: d.verdict
                for d in s.execute(select(Decision).order_by(Decision.id)).scalars()
            }
            marks: dict[int, dict[int, Mark]] = {}
            fq = (
                select(FindingFeedback, FindingRow)
                .join(FindingRow, FindingRow.id == FindingFeedback.finding_id)
                .where(FindingFeedback.run_id.in_(ids))
                .order_by(FindingFeedback.id)
            )
            for fb, row in s.execute(fq):
                marks.setdefault(row.run_id, {})[row.id] = Mark(
                    row.id, _row_key(row), fb.label, fb.reviewer
                )
            out = []
            for run in s.execute(select(AuditRun).where(AuditRun.id.in_(ids))).scalars():
                out.append(
                    Sample(
                        run.id,
                        run.recording_id,
                        AuditResult.from_dict(run.result),
                        verdicts.get(run.recording_id),
                        tuple(marks.get(run.id, {}).values()),
                    )
                )
        return sorted(out, key=lambda x: x.run_id)

    # -- profile versions and their activation (four eyes) --------------------------------

    def activate_profile(self, text: str, source: str, account: Account) -> Activation:
        """A senior asks to activate the profile in ``text`` (step ``first``), or confirms
        another senior's request for the same version (step ``second``: active from now)."""
        from dualrec_audit.store.schema import ProfileActivation

        profile = parse_profile(text, source)
        with self._write() as s:
            acc = _account(self._account_row(s, account.username))
            version = self._version_row(s, profile, text, acc.username)
            step = check_activation(acc, self._pending_by(s, version))
            row = ProfileActivation(
                version_id=version.id,
                profile_id=profile.id,
                step=step,
                senior=acc.username,
                created_at=now(),
            )
            s.add(row)
            s.flush()
            self._log(s, "profile.activation", "profile_activation", row.id, activation_state(row))
            return Activation(
                version.id,
                profile.id,
                profile.version,
                version.digest,
                step,
                acc.username,
                step == "second",
            )

    def _version_row(self, s: Any, profile: Profile, text: str, by: str) -> Any:
        from sqlalchemy import select

        from dualrec_audit.store.schema import ProfileVersion

        dig = profile_digest(profile)
        q = select(ProfileVersion).where(
            ProfileVersion.profile_id == profile.id,
            ProfileVersion.version == profile.version,
        )
        rows = list(s.execute(q).scalars())
        same = [r for r in rows if r.digest == dig]
        if same:
            return same[0]
        if rows:
            raise ConfigError(
                f"profile {profile.id} version {profile.version} is stored with other "
                "contents: give the changed profile a new version"
            )
        row = ProfileVersion(
            profile_id=profile.id,
            version=profile.version,
            digest=dig,
            text=text,
            basis=list(profile.basis),
            created_at=now(),
            created_by=by,
        )
        s.add(row)
        s.flush()
        self._log(s, "profile.submitted", "profile_version", row.id, version_state(row))
        return row

    def _pending_by(self, s: Any, version: Any) -> str | None:
        """Who asked to activate ``version`` since the profile's last activation (None:
        nobody)."""
        from sqlalchemy import select

        from dualrec_audit.store.schema import ProfileActivation as A

        q = select(A).where(A.profile_id == version.profile_id).order_by(A.id)
        pending = None
        for a in s.execute(q).scalars():
            if a.step == "second":
                pending = None
            elif a.version_id == version.id:
                pending = a.senior
        return pending

    def active_profiles(self) -> dict[str, tuple[int, Profile]]:
        """Each profile id's active version (the last one two seniors activated)."""
        from sqlalchemy import select

        from dualrec_audit.store.schema import ProfileActivation as A
        from dualrec_audit.store.schema import ProfileVersion as V

        out: dict[str, tuple[int, Profile]] = {}
        with self._read() as s:
            q = select(A, V).join(V, V.id == A.version_id).where(A.step == "second")
            for _, v in s.execute(q.order_by(A.id)):
                out[v.profile_id] = (v.id, parse_profile(v.text, f"stored profile {v.id}"))
        return out

    # -- re-judgements ---------------------------------------------------------------------

    def rejudge(self, since: str | None = None) -> list[Rejudged]:
        """Decide the stored runs (the latest of each recording, finished at or after
        ``since``) again under their profile's active version, without re-auditing; each
        one not yet judged under that version is stored and logged."""
        from sqlalchemy import func, select

        from dualrec_audit.store.schema import AuditRun, Rejudgement

        active = self.active_profiles()
        out = []
        with self._write() as s:
            q = select(func.max(AuditRun.id)).where(AuditRun.status == "done")
            if since:
                q = q.where(AuditRun.finished_at >= since)
            ids = sorted(s.execute(q.group_by(AuditRun.recording_id)).scalars())
            for run in s.execute(select(AuditRun).where(AuditRun.id.in_(ids))).scalars():
                if run.profile_id not in active:
                    continue
                version_id, profile = active[run.profile_id]
                done = select(Rejudgement.id).where(
                    Rejudgement.run_id == run.id, Rejudgement.version_id == version_id
                )
                if s.execute(done).first() is not None:
                    continue
                before = self._judged(s, run)
                after = redecide(AuditResult.from_dict(run.result), profile)
                row = Rejudgement(
                    run_id=run.id,
                    version_id=version_id,
                    profile_id=profile.id,
                    profile_version=profile.version,
                    decision_before=before,
                    decision=after.decision,
                    score=round(after.score, 1),
                    findings=jsonable([f.to_dict() for f in after.findings]),
                    created_at=now(),
                    created_by=self.actor,
                )
                s.add(row)
                s.flush()
                self._log(s, "run.rejudged", "rejudgement", row.id, rejudgement_state(row))
                out.append(Rejudged(run.id, profile.id, profile.version, before, after.decision))
        return out

    def _judged(self, s: Any, run: Any) -> str:
        """The run's decision now: its latest re-judgement's, else the audit's."""
        from sqlalchemy import select

        from dualrec_audit.store.schema import Rejudgement

        q = select(Rejudgement.decision).where(Rejudgement.run_id == run.id)
        last = s.execute(q.order_by(Rejudgement.id.desc()).limit(1)).scalar_one_or_none()
        return str(last or run.decision)

    def judgement(self, run_id: int) -> tuple[str, str | None, str]:
        """(profile id, the version that judged the run last, its decision)."""
        from sqlalchemy import select

        from dualrec_audit.store.schema import AuditRun, Rejudgement

        with self._read() as s:
            run = s.get(AuditRun, run_id)
            if run is None:
                raise ConfigError(f"no audit run {run_id} in the database")
            q = select(Rejudgement).where(Rejudgement.run_id == run_id)
            last = s.execute(q.order_by(Rejudgement.id.desc()).limit(1)).scalar_one_or_none()
            if last is None:
                return run.profile_id, run.profile_version, run.decision
            return last.profile_id, last.profile_version, last.decision


def _row_key(row: Any) -> tuple[str, float, float, str | None]:
    """A stored finding row's key (see :func:`~dualrec_audit.calibrate.data.finding_key`)."""
    if row.source == "event":
        return finding_key(f"event.{row.check}", row.start, row.end, row.party)
    ev = (row.details or {}).get("evidence") or {}
    party = ev.get("party")
    if party is None and isinstance(ev.get("event"), Mapping):
        party = ev["event"].get("party")
    return finding_key(row.check, row.start, row.end, party)


def version_state(v: Any) -> dict[str, Any]:
    return {
        "profile_id": v.profile_id,
        "version": v.version,
        "digest": v.digest,
        "text_sha256": digest(v.text),
        "basis": list(v.basis),
        "created_at": v.created_at,
        "created_by": v.created_by,
    }


def activation_state(a: Any) -> dict[str, Any]:
    return {
        "version_id": a.version_id,
        "profile_id": a.profile_id,
        "step": a.step,
        "senior": a.senior,
        "created_at": a.created_at,
    }


def rejudgement_state(r: Any) -> dict[str, Any]:
    return {
        "run_id": r.run_id,
        "version_id": r.version_id,
        "profile_id": r.profile_id,
        "profile_version": r.profile_version,
        "decision_before": r.decision_before,
        "decision": r.decision,
        "score": r.score,
        "findings_sha256": digest(r.findings),
        "created_at": r.created_at,
        "created_by": r.created_by,
    }


def verify_calibration(s: Any, logged: Mapping[tuple[str, str], Any]) -> list[str]:
    """Profile versions, activations and re-judgements against the event log, both ways:
    every row is what the log recorded last, every logged row is still there."""
    from sqlalchemy import select

    from dualrec_audit.store.schema import ProfileActivation, ProfileVersion, Rejudgement

    problems: list[str] = []
    tables: Iterable[tuple[str, str, Any, Any]] = (
        ("profile_version", "profile version", ProfileVersion, version_state),
        ("profile_activation", "profile activation", ProfileActivation, activation_state),
        ("rejudgement", "re-judgement", Rejudgement, rejudgement_state),
    )
    for entity, name, table, state_of in tables:
        expected = {eid: st for (ent, eid), st in logged.items() if ent == entity}
        rows = s.execute(select(table)).scalars()
        problems += both_ways(name, rows, expected, state_of, "id")
    return problems
