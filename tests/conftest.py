"""Shared fixtures: real media and real models (never committed), sample videos, databases.

Third-party media and models are not in the repository. Tests reach them through
:func:`media` and :func:`models_root` only:

- media: ``$DUALREC_TEST_MEDIA``, else ``../shared/media`` beside the checkout, else the
  download cache filled by ``scripts/setup.sh`` (``<user cache dir>/dualrec-audit/media``);
- models: ``$DUALREC_AUDIT_MODELS`` (as given when pytest started), else ``../shared/models``,
  else this project's ``models/`` folder (where ``scripts/setup.sh`` installs them).

A test whose media or model cannot be had fails with the reason under CI (``CI=true``) and is
skipped with the reason elsewhere. The sample videos are built by ``scripts/setup.sh``.
"""

from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_videos"
SHARED = ROOT.parent / "shared"
MEDIA_ENV = "DUALREC_TEST_MEDIA"
MODELS_ENV = "DUALREC_AUDIT_MODELS"
SETUP_HINT = (
    "run `bash scripts/setup.sh` with ../shared beside the checkout, or give "
    "`bash scripts/setup.sh --media DIR` / set $DUALREC_TEST_MEDIA and $DUALREC_AUDIT_MODELS"
)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Event-log keys and anchor files of the test databases: one folder for the whole session
# (subprocesses inherit it), never the developer's own user data dir.
TRUST_ENV = "DUALREC_AUDIT_TRUST_DIR"
if not os.environ.get(TRUST_ENV):
    import atexit
    import shutil
    import tempfile

    os.environ[TRUST_ENV] = tempfile.mkdtemp(prefix="dualrec-trust-")
    # The session's keys go with it (a key left in /tmp would outlive its test databases).
    atexit.register(shutil.rmtree, os.environ[TRUST_ENV], ignore_errors=True)
# The reviewers' character transcripts (audit/hanzi.py) that the review window makes: cached in
# a folder of the session, never the developer's own cache.
CACHE_ENV = "DUALREC_AUDIT_CACHE"
if not os.environ.get(CACHE_ENV):
    import atexit
    import shutil
    import tempfile

    os.environ[CACHE_ENV] = tempfile.mkdtemp(prefix="dualrec-cache-")
    atexit.register(shutil.rmtree, os.environ[CACHE_ENV], ignore_errors=True)
# Read before any fixture changes the environment (isolated_models_env clears it).
_MODELS_FROM_ENV = os.environ.get(MODELS_ENV, "")


def media_cache_dir() -> Path:
    """Where ``scripts/setup.sh`` keeps downloaded (verified) media."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("dualrec-audit", appauthor=False)) / "media"


def _media_root() -> tuple[Path | None, list[str]]:
    tried = []
    env = os.environ.get(MEDIA_ENV)
    if env:
        return Path(env), [f"${MEDIA_ENV}={env}"]
    for cand in (SHARED / "media", media_cache_dir()):
        tried.append(str(cand))
        if cand.is_dir():
            return cand, tried
    return None, tried


def _models_roots() -> list[Path]:
    roots = [Path(p) for p in _MODELS_FROM_ENV.split(os.pathsep) if p]
    return [*roots, SHARED / "models", ROOT / "models"]


def unavailable(reason: str) -> None:
    """Fail under CI, skip elsewhere, with the reason and how to get what is missing."""
    msg = f"{reason}; {SETUP_HINT}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(msg, pytrace=False)
    pytest.skip(msg)


def media(rel: str) -> Path:
    """A real media file (e.g. ``"speech_zh/funasr_asr_example.wav"``), or fail/skip."""
    root, tried = _media_root()
    if root is None:
        unavailable(f"test media not found (looked in {', '.join(tried)})")
        raise AssertionError("unreachable")
    path = root / rel
    if not path.is_file():
        unavailable(f"test media file {path} is missing")
    return path


def models_root(name: str) -> Path:
    """The models folder (manifest layout) that holds the model ``name``, or fail/skip.

    For models outside the bundled set (``whisper-test-random``, the Mandarin keyword model),
    e.g. ``ModelStore(models_root("whisper-test-random"))``."""
    from dualrec_audit.models.registry import load_manifest

    spec = load_manifest()[name]
    roots = _models_roots()
    for root in roots:
        if all((root / f.path).is_file() for f in spec.files):
            return root
    unavailable(f"model '{name}' not found in {', '.join(map(str, roots))}")
    raise AssertionError("unreachable")


def bundled_models_folder(dest: Path) -> Path:
    """A folder laid out as the manifest says holding every bundled model (links to where
    ``models_root`` finds each: ../shared/models, or this checkout's models/ for the voice
    encoder, which set-up takes from its PyPI wheel): a USB stick with the models on it."""
    from dualrec_audit.models.registry import load_manifest

    for name, spec in load_manifest().items():
        if not spec.bundled:
            continue
        root = models_root(name)
        for f in spec.files:
            (dest / f.path).parent.mkdir(parents=True, exist_ok=True)
            (dest / f.path).symlink_to(root / f.path)
    return dest


def sample_names() -> list[str]:
    """The sample videos' names, from the committed ``sample_videos/labels.json``."""
    import json

    labels = json.loads((SAMPLES / "labels.json").read_text(encoding="utf-8"))
    return sorted(labels["recordings"])


def sample(name: str) -> Path:
    """A sample video built by ``scripts/setup.sh`` (``sample_videos/NAME``), or fail/skip."""
    path = SAMPLES / name
    if not path.is_file():
        unavailable(f"sample video {path} has not been built")
    return path


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768


@pytest.fixture(scope="session")
def isolated_models_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Point the user data dir somewhere empty so a developer's installed models don't leak
    into tests (the lookup order includes the user data dir)."""
    home = tmp_path_factory.mktemp("xdg")
    os.environ["XDG_DATA_HOME"] = str(home)
    os.environ.pop("DUALREC_AUDIT_MODELS", None)
    return home


@pytest.fixture(scope="session")
def pipeline(isolated_models_env: Path):
    """The default pipeline: the bundled models (faces, the kws-zh script engine), no
    transcript model installed."""
    from dualrec_audit.audit.pipeline import AuditPipeline

    return AuditPipeline()


@pytest.fixture(scope="session")
def sample_results(pipeline) -> dict:
    """Each bundled sample audited once per test session, under its sidecar's profile
    (``bundled_samples``: stages that are sentences spoken in the samples)."""
    from dualrec_audit.rules.assign import resolve_profile

    out = {}
    for name in sample_names():
        pid, _ = resolve_profile(sample(name), explicit=None, mapping=None, default="fund_sale")
        out[name] = pipeline.apply(sample(name), profile=pid)
    return out


def build_samples_module():
    """``sample_videos/build_samples.py`` (the compositor the samples are built with)."""
    import importlib.util
    import sys

    if "build_samples" in sys.modules:
        return sys.modules["build_samples"]
    spec = importlib.util.spec_from_file_location("build_samples", SAMPLES / "build_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_samples"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def long_recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The ten-minute recording (five 7 s customer absences, a 10 s freeze), built once per
    session from the shared media into a session temp folder, and its label."""
    src = media("video/grid_bbaf2n.mpg").parent.parent
    media("speech_zh/funasr_asr_example.wav")  # the soundtrack's clips are there too
    return build_samples_module().build_long_recording(src, tmp_path_factory.mktemp("long"))


# -- databases: every store test runs on SQLite and on PostgreSQL ----------------------------

PG_ENV = "DUALREC_TEST_PG_URL"  # set by scripts/test.sh when a PostgreSQL server is available


def init_db(url: str) -> str:
    """Create the store's tables and key in an empty database (what `db init` does)."""
    from dualrec_audit.store.database import Store

    Store(url, create=True).close()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path):
    """A URL of each kind naming no database yet (SQLite) or an empty one (PostgreSQL: a new
    database per test, without tables)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"no PostgreSQL server: set {PG_ENV} (scripts/test.sh starts one)")
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def db_url(empty_db_url: str) -> str:
    """A fresh database of each kind, created (tables and key) as `db init` does."""
    return init_db(empty_db_url)


@pytest.fixture(scope="session")
def random_whisper_models() -> Path:
    """The models folder holding ``whisper-test-random`` (random weights: runs, means nothing)."""
    return models_root("whisper-test-random")
