"""Shared fixtures: real media in tests/data, the real bundled models, sample videos."""

from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
MEDIA = DATA / "media"
TEST_MODELS = DATA / "models"  # holds whisper-test-random (random weights)
SAMPLES = ROOT / "sample_videos"

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


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
    """The default pipeline: bundled face models, no speech model installed."""
    from dualrec_audit.pipeline import AuditPipeline

    return AuditPipeline()


@pytest.fixture(scope="session")
def sample_results(pipeline) -> dict:
    """Each bundled sample audited once per test session."""
    return {p.name: pipeline.apply(p) for p in sorted(SAMPLES.glob("*.mp4"))}


# -- databases: every store test runs on SQLite and on PostgreSQL ----------------------------

PG_ENV = "DUALREC_TEST_PG_URL"  # set by scripts/test.sh when a PostgreSQL server is available


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path):
    """A fresh, empty database URL of each kind (a new PostgreSQL database per test)."""
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
