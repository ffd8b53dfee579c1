"""README.md cannot drift from the tool: every ``dualrec-audit`` command its code blocks show
runs as shown (in README order, in a temporary folder that looks like the checkout, on the
samples, with an empty user data dir), the README stays short, and every relative link in
README.md and docs/*.md reaches an existing file and heading."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import ROOT, models_root, sample, sample_names

README = ROOT / "README.md"
MAX_README_LINES = 300
FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```", re.M | re.S)
PROGRAMS = ("dualrec-audit", ".venv/bin/dualrec-audit")

# Commands shown but not run here, with the reason.
NOT_RUN = {
    "bash scripts/setup.sh": "set-up installs packages, models and samples into the checkout; "
    "tests/test_setup.py tests it, and this suite runs after it",
    "bash scripts/test.sh": "the test command itself (it runs this test)",
}
# Paths the README shows that stand for a place on the reader's machine.
PLACEHOLDERS = {
    # a folder or USB stick with models in the manifest layout: the installed models are one
    "/media/usb/models": lambda: str(models_root("kws-zh-3.3m")),
}
# The windows open and wait for a person; here they are rendered offscreen to a PNG instead
# (the same window, data and code path, then closed).
WINDOWS = ("review", "precheck")
TIMEOUT_S = 600  # one command on a loaded 2-core machine (the six samples take about a minute)


def _shell_commands(text: str) -> list[str]:
    """The commands of the README's shell code blocks (bash, sh or unnamed), one per ``&&``
    part, comments removed, in order."""
    commands = []
    for lang, body in FENCE.findall(text):
        if lang not in ("bash", "sh", "shell", ""):
            continue
        for raw in body.replace("\\\n", " ").splitlines():  # continued lines joined
            words = shlex.split(raw, comments=True)
            while words:
                end = words.index("&&") if "&&" in words else len(words)
                commands.append(shlex.join(words[:end]))
                words = words[end + 1 :]
    return commands


def readme_commands() -> list[str]:
    """Every ``dualrec-audit`` command the README shows, in order."""
    found = []
    for command in _shell_commands(README.read_text(encoding="utf-8")):
        if any(command.startswith(skip) for skip in NOT_RUN):
            continue
        if command.split()[0] not in PROGRAMS:  # neither run here nor excused
            raise AssertionError(f"README shows {command!r}: add it to NOT_RUN with the reason")
        found.append(command)
    return found


COMMANDS = readme_commands()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A folder that looks like the checkout (its top-level entries linked), so what the
    commands write (databases, reports, JSON) lands here; an empty user data dir; no model,
    database, profile or language chosen by the developer's environment."""
    for name in sample_names():
        sample(name)  # fail under CI, skip elsewhere, when the samples are not built
    work = tmp_path_factory.mktemp("readme")
    for entry in ROOT.iterdir():
        if not entry.name.startswith("."):
            (work / entry.name).symlink_to(entry)
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    env["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("xdg"))
    for var in ("MODELS", "DB", "PROFILE", "PROFILES", "LANG"):
        env.pop(f"DUALREC_AUDIT_{var}", None)
    return work, env


def _argv(command: str, work: Path) -> tuple[list[str], Path | None, Path | None]:
    """The subprocess for a README line: its arguments, where its stdout goes (``> FILE``) and
    the PNG a window is rendered to."""
    words = shlex.split(command)[1:]
    out = None
    if ">" in words:
        i = words.index(">")
        out = work / words[i + 1]
        words = words[:i] + words[i + 2 :]
    words = [PLACEHOLDERS[w]() if w in PLACEHOLDERS else w for w in words]
    shot = None
    if words[0] in WINDOWS and "--screenshot" not in words:
        shot = work / f"window-{COMMANDS.index(command)}.png"
        words += ["--screenshot", str(shot)]
    return [sys.executable, "-m", "dualrec_audit", *words], out, shot


def test_the_readme_shows_the_everyday_commands():
    shown = {c.split()[1] for c in COMMANDS}
    for command in ("check", "scan", "review", "export", "db", "profiles", "models", "eval"):
        assert command in shown, command
    assert any(c.endswith("check sample_videos/") for c in COMMANDS)  # the first command


Ran = tuple[subprocess.CompletedProcess[str], Path | None, Path | None]


@pytest.fixture(scope="module")
def run_through(workspace: tuple[Path, dict[str, str]]) -> Callable[[str], Ran]:
    """Runs the README's commands in order, once each, up to the one asked for (a scan needs
    the database created before it, eval the scan's results), even when a test is run alone."""
    work, env = workspace
    done: list[Ran] = []

    def run(command: str) -> Ran:
        while len(done) <= COMMANDS.index(command):
            argv, out, shot = _argv(COMMANDS[len(done)], work)
            proc = subprocess.run(
                argv,
                cwd=work,
                env=env,
                capture_output=True,
                encoding="utf-8",
                errors="replace",
                timeout=TIMEOUT_S,
            )
            if out is not None:
                out.write_text(proc.stdout, encoding="utf-8")
            done.append((proc, out, shot))
        return done[COMMANDS.index(command)]

    return run


@pytest.mark.parametrize("command", COMMANDS)
def test_every_readme_command_runs_as_shown(
    command: str, run_through: Callable[[str], Ran]
) -> None:
    proc, out, shot = run_through(command)
    said = f"README command failed: {command}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    assert proc.returncode == 0, said
    assert "Traceback" not in proc.stderr, said
    assert proc.stdout.strip() or shot is not None, said  # every command says something
    if out is not None and out.suffix == ".json":
        json.loads(out.read_text(encoding="utf-8"))  # what the README says it writes
    if shot is not None:
        assert shot.read_bytes().startswith(b"\x89PNG"), said


def test_every_command_in_the_docs_names_real_commands_and_options() -> None:
    """The docs' examples name places on other machines (a share, a PostgreSQL server), so they
    are parsed, not run: the command, its sub-command and every option must exist. Synopsis
    lines (``[NAME…]``, ``A | B``) are not commands and are left out."""
    from dualrec_audit.cli import build_parser

    wrong = []
    for md in sorted((ROOT / "docs").glob("*.md")):
        for command in _shell_commands(md.read_text(encoding="utf-8")):
            words = shlex.split(command)
            if not words[0].endswith("dualrec-audit") or any(c in w for w in words for c in "[|…"):
                continue
            if ">" in words:
                words = words[: words.index(">")]
            try:
                build_parser().parse_args(words[1:])
            except SystemExit:
                wrong.append(f"{md.name}: {command}")
    assert wrong == []


def test_the_readme_is_short():
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines: move details to docs/"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(md: Path) -> set[str]:
    text = FENCE.sub("", md.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    anchors = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", text, flags=re.M):
        slug = _slug(heading)
        anchors.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
        seen[slug] = seen.get(slug, 0) + 1
    return anchors


def _broken_links(md: Path) -> list[str]:
    """The relative links of a Markdown file whose file or heading does not exist."""
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", FENCE.sub("", md.read_text(encoding="utf-8"))):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        path, _, anchor = target.partition("#")
        dest = (md.parent / path).resolve() if path else md
        if not dest.exists():
            broken.append(f"{md.name}: {target} (no such file)")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(f"{md.name}: {target} (no such heading)")
    return broken


def test_every_relative_link_in_the_docs_reaches_its_file_and_heading() -> None:
    docs = [README, *sorted((ROOT / "docs").glob("*.md"))]
    assert [b for md in docs for b in _broken_links(md)] == []


def test_the_link_checker_reads_headings_as_github_does(tmp_path: Path) -> None:
    assert _slug("Reliability: what is guaranteed and what is not") == (
        "reliability-what-is-guaranteed-and-what-is-not"
    )
    assert _slug("Script verification (Mandarin recogniser)") == (
        "script-verification-mandarin-recogniser"
    )
    assert _slug("JSON contract (`schema_version` 1)") == "json-contract-schema_version-1"
    doc = tmp_path / "a.md"
    doc.write_text(
        "# A\n\n## Two words\n\n```bash\n# not a heading\n```\n\n"
        "[ok](#two-words) [ok](a.md#a) [web](https://example.org/x)\n"
        "[gone](b.md) [no heading](#not-a-heading) [no heading](a.md#three)\n",
        encoding="utf-8",
    )
    assert _anchors(doc) == {"a", "two-words"}
    assert _broken_links(doc) == [
        "a.md: b.md (no such file)",
        "a.md: #not-a-heading (no such heading)",
        "a.md: a.md#three (no such heading)",
    ]
