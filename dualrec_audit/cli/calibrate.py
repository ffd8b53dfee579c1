"""``review mark``, ``calibrate``, ``profiles activate`` and ``rejudge``: thresholds tuned from
the reviewers' verdicts (see docs/calibration.md).

- ``review mark --run ID --finding ID --confirmed|--false-alarm --as USER``: a verdict on a
  finding under the window's rules (the password from ``$DUALREC_PASSWORD`` or a prompt);
- ``calibrate --profile ID --out NEW.toml --report DIR``: the proposal, its guarantee and its
  report;
- ``profiles activate FILE --as USER``: a senior asks, a second senior confirms;
- ``rejudge --since DATE``: stored runs decided again under the active versions.
"""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dualrec_audit.cli.common import add_db_arg, out_line
from dualrec_audit.core.errors import DualrecError

PASSWORD_ENV = "DUALREC_PASSWORD"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cal = sub.add_parser(
        "calibrate",
        help="propose new thresholds for a profile from the reviewers' verdicts, with a report",
    )
    cal.set_defaults(handler=cmd_calibrate)
    add_db_arg(cal)
    cal.add_argument("--profile", required=True, help="the profile id calibrated")
    cal.add_argument("--since", help="only runs finished on or after this local date or ISO time")
    cal.add_argument("--out", type=Path, required=True, help="the proposed profile (TOML)")
    cal.add_argument("--report", type=Path, required=True, help="folder for the report")
    cal.add_argument("--profiles-dir", type=Path, help="a folder of your own profiles")
    cal.add_argument(
        "--min-verdicts", type=int, default=6, help="verdicts a parameter needs (default 6)"
    )
    cal.add_argument("--min-confirmed", type=int, default=2, help="of which confirmed (default 2)")
    rej = sub.add_parser(
        "rejudge", help="decide stored runs again under the active profile versions (no re-audit)"
    )
    rej.set_defaults(handler=cmd_rejudge)
    add_db_arg(rej)
    rej.add_argument("--since", help="only runs finished on or after this local date or ISO time")


def add_mark_parser(review: argparse.ArgumentParser) -> None:
    """``review mark``: beside the window (``review`` alone opens it)."""
    rsub = review.add_subparsers(dest="review_command")
    mark = rsub.add_parser("mark", help="a verdict on a finding, as in the window")
    mark.set_defaults(handler=cmd_mark)
    add_db_arg(mark)
    mark.add_argument("--run", type=int, required=True, help="the audit run's id")
    mark.add_argument("--finding", type=int, required=True, help="the finding's database id")
    label = mark.add_mutually_exclusive_group(required=True)
    label.add_argument("--confirmed", dest="label", action="store_const", const="confirmed")
    label.add_argument("--false-alarm", dest="label", action="store_const", const="false_alarm")
    mark.add_argument("--as", dest="user", required=True, help="your reviewer account")
    mark.add_argument("--note", help="why (kept with the verdict)")


def add_activate_parser(psub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    act = psub.add_parser(
        "activate", help="activate a profile version: a senior asks, a second senior confirms"
    )
    act.add_argument("file", type=Path)
    add_db_arg(act)
    act.add_argument("--as", dest="user", required=True, help="your senior reviewer account")


def sign_in(store: Any, user: str) -> Any:
    import getpass

    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        password = getpass.getpass(f"password of {user}: ")
    return store.authenticate(user, password)


def cmd_mark(args: argparse.Namespace) -> int:
    from dualrec_audit.store.database import Store

    with Store(args.db) as store:
        account = sign_in(store, args.user)
        finding = next((f for f in store.stored_findings(args.run) if f.id == args.finding), None)
        if finding is None:
            raise DualrecError(f"run {args.run} has no finding {args.finding}", code="usage")
        mark_id = store.mark(args.finding, account, args.label, args.note)
    out_line(
        f"finding {args.finding} of run {args.run}: {args.label} by {account.username} "
        f"(mark {mark_id})"
    )
    return 0


def cmd_activate(args: argparse.Namespace) -> int:
    from dualrec_audit.core.errors import read_config_text
    from dualrec_audit.store.database import Store

    text = read_config_text(args.file)
    with Store(args.db) as store:
        account = sign_in(store, args.user)
        a = store.activate_profile(text, str(args.file), account)
    if a.active:
        out_line(f"profile {a.profile_id} v{a.version} is active (confirmed by {a.senior})")
    else:
        out_line(
            f"profile {a.profile_id} v{a.version}: activation asked by {a.senior}; a second "
            "senior reviewer must confirm it (four eyes)"
        )
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from dualrec_audit.batch.export import since_utc
    from dualrec_audit.calibrate.propose import Settings
    from dualrec_audit.calibrate.report import calibration, write_report
    from dualrec_audit.calibrate.toml_out import profile_toml
    from dualrec_audit.rules.profiles import get_profile
    from dualrec_audit.store.database import Store

    with Store(args.db) as store:
        active = store.active_profiles().get(args.profile)
        profile = active[1] if active else get_profile(args.profile, args.profiles_dir)
        samples = store.calibration_samples(args.profile, since_utc(args.since))
    marks = sum(len(s.marks) for s in samples)
    day = datetime.now(UTC).date().isoformat()
    basis = (
        f"calibrate {day}: {profile.id} v{profile.version} from {len(samples)} stored runs "
        f"(since {args.since or 'the first'}), {marks} finding verdicts"
    )
    settings = Settings(min_verdicts=args.min_verdicts, min_confirmed=args.min_confirmed)
    proposal, doc = calibration(profile, samples, settings, basis=basis, since=args.since)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(profile_toml(proposal.profile, basis), encoding="utf-8")
    _, h = write_report(doc, args.report)
    for c in proposal.changes:
        if c.changed:
            out_line(f"{c.param}: {c.old} -> {c.new} ({c.removed} false alarms removed)")
    kept = "kept" if not proposal.violations else "BROKEN"
    out_line(
        f"guarantee {kept}; proposed {proposal.profile.id} v{proposal.profile.version}: "
        f"{args.out}; report: {h}"
    )
    return 0 if not proposal.violations else 1


def cmd_rejudge(args: argparse.Namespace) -> int:
    from dualrec_audit.batch.export import since_utc
    from dualrec_audit.store.database import Store

    with Store(args.db, actor="(rejudge)") as store:
        done = store.rejudge(since_utc(args.since))
    for r in done:
        out_line(f"run {r.run_id}: {r.before} -> {r.after} under {r.profile_id} v{r.version}")
    out_line(f"{len(done)} runs re-judged")
    return 0
