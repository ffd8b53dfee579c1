"""``accounts disable|enable|reset-password|passwd|role|unlock``: an administrator's account
changes and a user's own password, from the command line (the window has the same in its
accounts dialog). Registered under ``accounts`` by :mod:`dualrec_audit.cli.db`; every change
goes through the store, which checks the administrator and logs it with its reason.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from dualrec_audit.cli.common import add_db_arg, out_line
from dualrec_audit.core.errors import DualrecError

COMMANDS = ("disable", "enable", "reset-password", "passwd", "role", "unlock")


def _admin_args(p: argparse.ArgumentParser, user: bool = True) -> None:
    if user:
        p.add_argument("username", help="the account changed")
    p.add_argument("--admin", required=True, help="your administrator account (asks its password)")
    p.add_argument("--reason", required=True, help="why (kept in the event log)")
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the passwords from standard input, one a line (the administrator's first)",
    )
    add_db_arg(p)


def add_subcommands(asub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    _admin_args(asub.add_parser("disable", help="disable an account (it can no longer sign in)"))
    _admin_args(asub.add_parser("enable", help="enable a disabled account"))
    _admin_args(
        asub.add_parser(
            "reset-password",
            help="set a temporary password; the user must change it at the next sign-in",
        )
    )
    role = asub.add_parser("role", help="change an account's role (logged with the reason)")
    role.add_argument("username", help="the account changed")
    role.add_argument("role", choices=("reviewer", "senior", "admin"))
    _admin_args(role, user=False)
    _admin_args(asub.add_parser("unlock", help="end a lockout after too many wrong passwords"))
    own = asub.add_parser("passwd", help="change your own password (asks the old one)")
    own.add_argument("username")
    own.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the old and the new password from standard input, one a line",
    )
    add_db_arg(own)


Reader = Callable[[str, bool], str]


def run(args: argparse.Namespace, password: Reader) -> int:
    """Run one of :data:`COMMANDS`; ``password(prompt, from_stdin)`` reads a password."""
    from dualrec_audit.store.database import Store

    read = password  # a prompt, or a line of standard input
    stdin = bool(args.password_stdin)
    with Store(args.db, actor="(accounts)") as store:
        if args.accounts_command == "passwd":
            old = read(f"current password of {args.username}: ", stdin)
            new = _new_password(read, args.username, stdin)
            store.change_password(args.username, old, new)
            out_line(f"password of {args.username} changed")
            return 0
        admin = store.authenticate(args.admin, read(f"password of {args.admin}: ", stdin))
        cmd, user, why = args.accounts_command, args.username, args.reason
        if cmd in ("disable", "enable"):
            store.set_active(user, cmd == "enable", by=admin, reason=why)
            out_line(f"{user}: {cmd}d")
        elif cmd == "reset-password":
            store.reset_password(user, _new_password(read, user, stdin), by=admin, reason=why)
            out_line(f"{user}: temporary password set; it must be changed at the next sign-in")
        elif cmd == "role":
            a = store.set_role(user, args.role, by=admin, reason=why)
            out_line(f"{user}: role {a.role}")
        elif cmd == "unlock":
            store.unlock(user, by=admin, reason=why)
            out_line(f"{user}: unlocked")
        else:  # pragma: no cover - argparse allows only COMMANDS
            raise DualrecError(f"unknown accounts command {cmd}", code="usage")
    return 0


def _new_password(read: Reader, user: str, stdin: bool) -> str:
    new = read(f"new password for {user}: ", stdin)
    if not stdin and new != read("repeat it: ", False):
        raise DualrecError("the two passwords differ", code="usage")
    return new
