"""The store's foundation: which database (``--db``, ``$DUALREC_AUDIT_DB`` or the default
SQLite file), the connection and its migrations, the database's id and key, the write and
read transactions and the event-log append that every other part of the store builds on.

One process writes (the scanner, or a reviewer saving a decision); any number read. On
SQLite the database runs in WAL mode, so readers never wait for the writer, and every write
transaction starts with ``BEGIN IMMEDIATE``; on PostgreSQL a write transaction locks the
event log, so the chain stays a single line even with several writers. The Alembic
migrations are found next to this module (``migrations/``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from dualrec_audit.core.errors import ConfigError, DualrecError
from dualrec_audit.store import trust
from dualrec_audit.store.keys import GENESIS, canonical, entry_text, now
from dualrec_audit.store.records import StoreError

log = logging.getLogger(__name__)

DB_ENV = "DUALREC_AUDIT_DB"
# Alembic keeps the running migration in module-level state: one migration at a time per
# process (a UI opens its store in a worker thread while another may open one elsewhere).
_MIGRATE_LOCK = threading.Lock()
# PostgreSQL: processes opening a fresh database at once take turns on this advisory lock.
_PG_MIGRATE_LOCK_ID = 0x64726563  # "drec"
# Engines of SQLite files made unwritable under this process, never closed (see close()).
_LEFT_OPEN: list[Any] = []


def default_db_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("dualrec-audit", appauthor=False)) / "dualrec-audit.db"


def is_default(db: str | Path | None = None) -> bool:
    """True when neither ``--db`` nor ``$DUALREC_AUDIT_DB`` names the database."""
    return not db and not os.environ.get(DB_ENV)


def resolve_url(db: str | Path | None = None) -> str:
    """``--db`` (a URL or a SQLite file path), else ``$DUALREC_AUDIT_DB``, else the default
    SQLite file in the user data dir."""
    value = str(db) if db else os.environ.get(DB_ENV) or ""
    if not value:
        value = str(default_db_path())
    if "://" in value:
        scheme = value.split("://", 1)[0]
        if scheme in ("postgres", "postgresql", "pgsql"):  # no driver named: SQLAlchemy fails
            raise ConfigError(
                f"a {scheme}:// URL names no database driver: write it as "
                "postgresql+psycopg://USER:PASSWORD@HOST/DATABASE"
            )
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


class StoreBase:
    """The connection every part of the store builds on: the engine, the migrations, the
    database's id and key, write and read transactions, and the event-log append."""

    def __init__(
        self,
        url: str | Path | None = None,
        *,
        actor: str | None = None,
        create: bool = False,
        key_file: Path | str | None = None,
        anchor_file: Path | str | None = None,
    ):
        from sqlalchemy import create_engine

        self.url = resolve_url(url)
        self.actor = actor or _user()
        kwargs: dict[str, Any] = {}
        self._file: Path | None = None  # the SQLite file
        if self.url.startswith("sqlite"):
            self._file = self._sqlite_file(create)
            kwargs["connect_args"] = {"timeout": 60}
        try:
            self.engine = create_engine(self.url, **kwargs)
        except Exception as exc:  # bad URL, driver not installed
            raise ConfigError(f"cannot open the database {self.display_url()}: {exc}") from None
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            _sqlite_events(self.engine)
        self._writer = self.engine.execution_options(dualrec_write=True)
        self._head: tuple[int, str] | None = None  # the log head this transaction wrote
        self._anchor_failed = False
        self.migrate(create=create)
        self.db_id, keyed_from = self._info()
        self.key_file = trust.key_path(self.db_id, key_file)
        self.anchor_file = trust.anchor_path(self.db_id, anchor_file)
        self.location = trust.db_location(self.url)
        self.key: trust.Key | None = None
        self.key_error: str | None = None
        if create and keyed_from is None:
            keyed_from = self._key_fresh_database()
        if keyed_from is not None or self.key_file.exists():  # the key file has the last word
            try:
                self.key = trust.load_key(self.key_file, self.db_id)
            except ConfigError as exc:
                self.key_error = exc.message
        if self.key is None and self.key_error is None:
            # A key made for this location names another database: this one's identity was
            # changed (keyed or not is not a row an insider can edit). Nothing more is written.
            self.key_error = self.identity_problem()

    def identity_problem(self) -> str | None:
        """Why this database's unkeyed state cannot be trusted: a key file in the trust dir
        was made for a database at this location under another id (None: no such key)."""
        if self.key is not None:
            return None
        others = [k for k in trust.keys_at(self.location) if k.db_id != self.db_id]
        if not others:
            return None
        k = others[-1]
        return (
            f"the key file {k.path} was made for the database at this location (id {k.db_id}, "
            f"keyed from entry {k.keyed_from}), but the database now calls itself {self.db_id} "
            "and has no key: its identity was changed (a downgrade to an unkeyed or re-keyed "
            "event log). If the database was replaced on purpose, move that key file out of "
            f"{k.path.parent}"
        )

    def _sqlite_file(self, create: bool) -> Path | None:
        path = self.url.split(":///", 1)[-1]
        if not path or path == ":memory:" or "mode=memory" in path:
            return None
        file = Path(path.split("?", 1)[0])
        _not_sqlite(file)
        if create:
            file.parent.mkdir(parents=True, exist_ok=True)
        elif not file.is_file():
            raise ConfigError(
                f"cannot open the database {file}: no such file. Check --db; to create it: "
                f"dualrec-audit db init --db {file} (or scan with --create)"
            )
        return file

    def display_url(self) -> str:
        from sqlalchemy.engine import make_url

        try:
            return make_url(self.url).render_as_string(hide_password=True)
        except Exception:
            return "(unparseable URL)"

    def migrate(self, create: bool = False) -> None:
        """Apply the Alembic migrations this version knows (idempotent). A database without
        our tables is created only with ``create``."""
        from alembic import command
        from alembic.config import Config
        from sqlalchemy import inspect, text

        cfg = Config()
        cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        try:
            with _MIGRATE_LOCK, self._writer.begin() as conn:
                if self.dialect == "postgresql":
                    conn.execute(text(f"SELECT pg_advisory_xact_lock({_PG_MIGRATE_LOCK_ID})"))
                if not create and not inspect(conn).has_table("alembic_version"):
                    raise ConfigError(
                        f"cannot open the database {self.display_url()}: it has no dualrec-audit "
                        "tables. Check --db; to create them: dualrec-audit db init --db URL"
                    )
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except DualrecError:
            raise
        except Exception as exc:
            mapped = _storage_error(exc, self.display_url(), self._file)
            if mapped is not None:
                raise mapped from None
            raise ConfigError(f"cannot open the database {self.display_url()}: {exc}") from exc

    def _info(self) -> tuple[str, int | None]:
        from dualrec_audit.store.schema import StoreInfo

        with self._read() as s:
            info = s.get(StoreInfo, 1)
            if info is None:
                raise ConfigError(f"{self.display_url()}: the store_info row is missing")
            return info.db_id, info.keyed_from

    def _key_fresh_database(self) -> int | None:
        """A database just created (its log empty): create its key. One process does it."""
        from sqlalchemy import func, select

        from dualrec_audit.store.schema import LogEntry, StoreInfo

        with self._write() as s:
            info = s.get(StoreInfo, 1)
            if info.keyed_from is not None:
                return int(info.keyed_from)
            if s.execute(select(func.count()).select_from(LogEntry)).scalar_one():
                return None  # an existing unkeyed database: keyed only by `db init`
            trust.create_key(self.key_file, self.db_id, 1, self.location)
            info.keyed_from = 1
            return 1

    def key_log(self) -> trust.Key:
        """Key this database's event log (``db init`` on a database written before keys
        existed): the entries written so far stay plain SHA-256, every later one is an HMAC."""
        from sqlalchemy import select

        from dualrec_audit.store.schema import LogEntry, StoreInfo

        if self.key is not None:
            return self.key
        with self._write() as s:
            info = s.get(StoreInfo, 1)
            if info.keyed_from is not None:
                raise ConfigError(self.key_error or "the database is already keyed")
            last = s.execute(select(LogEntry.seq).order_by(LogEntry.seq.desc()).limit(1))
            keyed_from = (last.scalar_one_or_none() or 0) + 1
            self.key = trust.create_key(self.key_file, self.db_id, keyed_from, self.location)
            if self.key.keyed_from != keyed_from:
                raise ConfigError(f"the key file {self.key_file} does not fit this database")
            info.keyed_from = keyed_from
            self._log(s, "log.keyed", "store", self.db_id, {"keyed_from": keyed_from})
        return self.key

    def require_key(self) -> None:
        """Fail now (not at the first write) when the database is keyed and the key is
        missing."""
        if self.key_error is not None:
            raise ConfigError(self.key_error)

    def close(self) -> None:
        if self._file is not None and _unwritable(self._file) is not None:
            # Closing the last connection checkpoints the WAL into the file, through the
            # memory-mapped WAL index: SIGBUS on a file made immutable. Left open (and kept
            # referenced, so no garbage collection closes it); the process leaves without
            # closing it (``left_open``).
            _LEFT_OPEN.append(self.engine)
            return
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sessions --------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Any]:
        from sqlalchemy.exc import DBAPIError
        from sqlalchemy.orm import Session

        self._head = None
        if self._file is not None:
            _still_writable(self._file, self.display_url())
        try:
            with Session(self._writer) as s, s.begin():
                if self.dialect == "postgresql":
                    from sqlalchemy import text

                    s.execute(text("LOCK TABLE event_log IN EXCLUSIVE MODE"))
                yield s
        except DBAPIError as exc:
            mapped = _storage_error(exc, self.display_url(), self._file)
            if mapped is None:
                raise
            raise mapped from None
        if self._head is not None:
            self._anchor(*self._head)

    def _anchor(self, seq: int, digest: str) -> None:
        try:
            trust.append_anchor(self.anchor_file, seq, digest)
        except OSError as exc:
            if not self._anchor_failed:  # once per process: the log itself is written
                log.error(
                    "cannot append to the anchor file %s (%s): deleting the newest log "
                    "entries would not be detected",
                    self.anchor_file,
                    exc.strerror,
                )
            self._anchor_failed = True

    @contextmanager
    def _read(self) -> Iterator[Any]:
        from sqlalchemy.orm import Session

        with Session(self.engine) as s, s.begin():
            yield s

    @contextmanager
    def _snapshot(self) -> Iterator[Any]:
        """A read transaction whose every statement sees the same committed state (SQLite's
        read transaction does; PostgreSQL needs REPEATABLE READ), so that a verification
        while a scan writes compares the log and the rows as of one moment."""
        from sqlalchemy.orm import Session

        bind = self.engine
        if self.dialect == "postgresql":
            bind = self.engine.execution_options(isolation_level="REPEATABLE READ")
        with Session(bind) as s, s.begin():
            yield s

    def _hash(self, seq: int, *fields: str) -> str:
        text = entry_text(seq, *fields)
        if self.key is not None and seq >= self.key.keyed_from:
            return self.key.mac(text)
        if self.key_error is not None:
            raise ConfigError(self.key_error)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _log(
        self, s: Any, action: str, entity: str, entity_id: object, payload: Mapping[str, Any]
    ) -> None:
        from sqlalchemy import select

        from dualrec_audit.store.schema import LogEntry

        last = s.execute(select(LogEntry.seq, LogEntry.hash).order_by(LogEntry.seq.desc()).limit(1))
        row = last.first()
        seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
        at, text = now(), canonical(payload)
        eid = str(entity_id)
        h = self._hash(seq, at, self.actor, action, entity, eid, text, prev)
        s.add(
            LogEntry(
                seq=seq,
                at=at,
                actor=self.actor,
                action=action,
                entity=entity,
                entity_id=eid,
                payload=text,
                prev_hash=prev,
                hash=h,
            )
        )
        s.flush()
        self._head = (seq, h)


def _not_sqlite(file: Path) -> None:
    """A ConfigError when ``file`` exists but is no SQLite database (``/proc/version``, a
    video, a device): SQLite itself reports such a file as a disk I/O error."""
    try:
        with file.open("rb") as f:
            head = f.read(16)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return
    except OSError as exc:
        raise ConfigError(f"cannot open the database {file}: {exc.strerror}") from None
    if head and head != b"SQLite format 3\x00":
        raise ConfigError(
            f"cannot open the database {file}: it is not an SQLite database file. Check --db"
        )


def left_open() -> bool:
    """Whether a store was left open because its files became unwritable: the process
    must then end without closing it (``os._exit``), as closing would checkpoint into them."""
    return bool(_LEFT_OPEN)


def _unwritable(file: Path) -> Path | None:
    """The first of the SQLite file and its WAL files that exists and cannot be written."""
    for f in (file, file.with_name(file.name + "-wal"), file.with_name(file.name + "-shm")):
        if os.access(f, os.F_OK) and not os.access(f, os.W_OK):
            return f
    return None


def _still_writable(file: Path, where: str) -> None:
    """A StoreError when the SQLite file or its WAL files were made read-only or immutable
    (``chattr +i``) under a running process. SQLite maps its WAL index (``-shm``) into
    memory: writing after such a change ends the process with SIGBUS, no error and no
    message. Asked before each write transaction (three ``access`` calls)."""
    bad = _unwritable(file)
    if bad is not None:
        raise StoreError(
            f"the database {where} cannot be written any more: {bad.name} was made read-only "
            "or immutable (chmod, chattr +i). What was stored before is intact; make it "
            "writable again and run the same command again",
            code="read_only",
        )


def _sqlite_events(engine: Any) -> None:
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.execute("PRAGMA recursive_triggers=ON")  # REPLACE fires the DELETE guards too
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        write = conn.get_execution_options().get("dualrec_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _storage_error(exc: BaseException, where: str, file: Path | None = None) -> StoreError | None:
    """A clear error for what the database cannot store (None: not such a problem).
    ``file``: the SQLite file, whose disk is looked at when SQLite reports an I/O error (a
    full disk often shows up as one, when the WAL index cannot grow)."""
    orig = getattr(exc, "orig", exc)
    text = str(orig).lower()
    sqlstate = str(getattr(orig, "sqlstate", "") or getattr(orig, "pgcode", "") or "")
    full = "database or disk is full" in text or "no space left" in text or sqlstate == "53100"
    if not full and "disk i/o error" in text and file is not None:
        import shutil

        try:
            full = shutil.disk_usage(file.parent).free < 1 << 20
        except OSError:
            pass
    if full:
        return StoreError(
            f"the disk holding the database {where} is full: nothing more can be stored. "
            "What was stored before is intact; free some space and run the same command again",
            code="disk_full",
        )
    if "readonly database" in text or "read-only" in text:
        return StoreError(f"the database {where} is read-only for this user", code="read_only")
    if "disk i/o error" in text or "unable to open database file" in text:
        return StoreError(
            f"the database {where} cannot be written (disk I/O error: disk full, or the share "
            "holding it went away). What was stored before is intact",
            code="io_error",
        )
    return None


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:
        return "unknown"
