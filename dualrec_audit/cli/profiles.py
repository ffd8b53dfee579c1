"""``profiles``: list, show and validate business profiles; activate a version (four eyes)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from dualrec_audit.cli.calibrate import add_activate_parser, cmd_activate
from dualrec_audit.cli.common import out_line
from dualrec_audit.core.errors import DualrecError


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    profiles = sub.add_parser("profiles", help="list, show and validate business profiles")
    profiles.set_defaults(handler=cmd_profiles)
    profiles.add_argument("--profiles-dir", type=Path, help="a folder of your own profiles")
    psub = profiles.add_subparsers(dest="profiles_command", required=True)
    psub.add_parser("list", help="every profile: built-in and your own")
    show = psub.add_parser("show", help="print a profile")
    show.add_argument("id")
    validate = psub.add_parser("validate", help="check a profile file (exit 2 if invalid)")
    validate.add_argument("file", type=Path)
    add_activate_parser(psub)


def cmd_profiles(args: argparse.Namespace) -> int:
    from dualrec_audit.rules.profiles import all_profiles, load_profile_file

    sub = args.profiles_command
    if sub == "activate":
        return cmd_activate(args)
    if sub == "validate":
        p = load_profile_file(args.file)  # ConfigError -> exit 2 with the key path
        out_line(f"{args.file}: valid profile '{p.id}' v{p.version} ({len(p.stages)} stages)")
        return 0
    profiles = all_profiles(args.profiles_dir)
    if sub == "list":
        for p in profiles.values():
            out_line(f"{p.id:20} v{p.version:4} {p.name.zh} / {p.name.en}")
        return 0
    if args.id not in profiles:
        raise DualrecError(
            f"unknown profile '{args.id}'. Valid ids: {', '.join(sorted(profiles))}", code="usage"
        )
    out_line(json.dumps(profiles[args.id].model_dump(mode="json"), ensure_ascii=False, indent=2))
    return 0
