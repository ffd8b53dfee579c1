"""``db`` and ``accounts``: the results database (create and key it, show where it is, verify its
event log) and the reviewer accounts in it (list, add).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dualrec_audit.cli import account_admin
from dualrec_audit.cli.common import add_db_arg, add_trust_args, out_line
from dualrec_audit.core.errors import DualrecError


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = sub.add_parser("db", help="the results database: create, info, verify the event log")
    db.set_defaults(handler=cmd_db)
    dsub = db.add_subparsers(dest="db_command", required=True)
    init = dsub.add_parser(
        "init",
        help="create the database and the key of its event log (or key an existing one)",
    )
    add_db_arg(init)
    add_trust_args(init)
    add_db_arg(dsub.add_parser("info", help="where the database is and how many rows it holds"))
    verify_db = dsub.add_parser(
        "verify", help="check the keyed event log against the tables and the anchor files"
    )
    add_db_arg(verify_db)
    add_trust_args(verify_db)
    verify_db.add_argument(
        "--anchor",
        type=Path,
        action="append",
        default=[],
        help="also compare with this anchor file or JSON export (repeatable)",
    )

    accounts = sub.add_parser(
        "accounts", help="reviewer accounts: list, add (an administrator's command)"
    )
    accounts.set_defaults(handler=cmd_accounts)
    asub = accounts.add_subparsers(dest="accounts_command", required=True)
    add_db_arg(asub.add_parser("list", help="every account with its role"))
    add = asub.add_parser(
        "add",
        help="create an account (the first one, on an empty database, is the first "
        "administrator; later ones need --admin)",
    )
    add.add_argument("username")
    add.add_argument("--name", help="full name shown on decisions (default: the user name)")
    add.add_argument("--role", choices=("reviewer", "senior", "admin"), default="reviewer")
    add.add_argument("--admin", help="your administrator account (asks for its password)")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the passwords from standard input, one a line (the administrator's first "
        "when --admin is given, then the new account's)",
    )
    add_db_arg(add)
    account_admin.add_subcommands(asub)


def cmd_db(args: argparse.Namespace) -> int:
    from dualrec_audit.store.database import Store

    if args.db_command == "init":
        return _db_init(args)
    key_file = getattr(args, "key_file", None)
    with Store(args.db, key_file=key_file) as store:
        if args.db_command == "info":
            out_line(f"database: {store.display_url()}")
            out_line(f"  key file:    {store.key_file}{'' if store.key else ' (not keyed)'}")
            out_line(f"  anchor file: {store.anchor_file}")
            for table, n in store.counts().items():
                out_line(f"  {table:18} {n}")
            return 0
        report = store.verify(args.anchor)
        for note in report.notes:
            out_line(f"note: {note}")
        if report.ok:
            how = "keyed (HMAC)" if report.keyed else "NOT keyed"
            out_line(
                f"event log intact: {report.entries} entries, {how}, every row matches, "
                f"{report.anchors} anchored heads agree"
            )
            return 0
        out_line(f"EVENT LOG VERIFICATION FAILED ({len(report.problems)} problems):")
        for p in report.problems:
            out_line(f"  {p}")
        return 1


def _password(prompt: str, from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise DualrecError("no password on standard input", code="usage")
        return line.rstrip("\r\n")
    import getpass

    return getpass.getpass(prompt)


def cmd_accounts(args: argparse.Namespace) -> int:
    from dualrec_audit.store.database import Store
    from dualrec_audit.workflow.policy import ROLE_NAMES

    if args.accounts_command in account_admin.COMMANDS:
        return account_admin.run(args, _password)
    with Store(args.db, actor="(accounts)") as store:
        if args.accounts_command == "list":
            for a in store.accounts():
                state = "" if a.active else "  (disabled)"
                until = store.locked(a.username)
                state += f"  (locked until {until})" if until else ""
                state += "  (must change password)" if a.must_change_password else ""
                out_line(f"{a.username:20} {a.role:9} {a.display_name}{state}")
            return 0
        admin = None
        if store.has_accounts():
            if not args.admin:
                raise DualrecError(
                    "accounts exist already: give --admin YOUR_ADMIN_ACCOUNT", code="usage"
                )
            admin = store.authenticate(
                args.admin, _password(f"password of {args.admin}: ", args.password_stdin)
            )
        elif args.role != "admin":
            raise DualrecError(
                "the database has no account yet: the first one must be --role admin",
                code="usage",
            )
        password = _password(f"password for {args.username}: ", args.password_stdin)
        if not args.password_stdin and password != _password("repeat it: ", False):
            raise DualrecError("the two passwords differ", code="usage")
        a = store.create_account(
            args.username, args.name or args.username, args.role, password, by=admin
        )
        out_line(f"created {a.username} ({ROLE_NAMES[a.role].en}: {a.display_name})")
        return 0


def _db_init(args: argparse.Namespace) -> int:
    """Create the database (tables and key); on an existing unkeyed database, key its log."""
    from dualrec_audit.store.database import Store

    with Store(args.db, create=True, key_file=args.key_file) as store:
        if store.key is None:
            store.key_log()
            assert store.key is not None
            out_line(
                f"{store.display_url()}: event log keyed from entry {store.key.keyed_from} "
                "(earlier entries stay plain SHA-256)"
            )
        else:
            out_line(f"{store.display_url()}: ready")
        out_line(f"  key file:    {store.key_file}  (keep it secret; every writer needs it)")
        out_line(f"  anchor file: {store.anchor_file}")
    return 0
