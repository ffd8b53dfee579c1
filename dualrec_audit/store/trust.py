"""What makes the event log tamper-evident from outside the database: a secret key and an
anchor file.

- **Key file** (``<trust dir>/<db id>.key``, readable only by its owner): the HMAC key the
  event log's chain is computed with, and the first entry it applies to. Whoever can write the
  database but cannot read this file cannot rewrite the log so that it verifies again.
- **Anchor file** (``<trust dir>/<db id>.anchor``, append-only): ``seq hash`` of the log's
  head after each write. Deleting the last entries of the log (with their rows) leaves the
  chain whole; the anchor file still names an entry that is gone.

The trust dir is ``$DUALREC_AUDIT_TRUST_DIR``, else ``trust/`` in the user data dir.

A key file also records where its database lives (:func:`db_location`: the SQLite file, or
the PostgreSQL server and database name). Whoever can write the database but not the trust
dir could give the database a new id and call it "never keyed"; the key file made for that
location still names the database it belongs to, so ``db verify`` refuses the database's new
identity without being told which key to use.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from dualrec_audit.core.errors import ConfigError

log = logging.getLogger(__name__)

TRUST_ENV = "DUALREC_AUDIT_TRUST_DIR"


def trust_dir() -> Path:
    value = os.environ.get(TRUST_ENV)
    if value:
        return Path(value)
    import platformdirs

    return Path(platformdirs.user_data_dir("dualrec-audit", appauthor=False)) / "trust"


def key_path(db_id: str, given: Path | str | None = None) -> Path:
    return Path(given) if given else trust_dir() / f"{db_id}.key"


def anchor_path(db_id: str, given: Path | str | None = None) -> Path:
    return Path(given) if given else trust_dir() / f"{db_id}.anchor"


@dataclass(frozen=True)
class Key:
    db_id: str
    secret: bytes
    keyed_from: int  # the first log entry hashed with this key
    path: Path
    location: str | None = None  # where its database lived when the key was made
    created_at: str | None = None

    def mac(self, text: str) -> str:
        return hmac.new(self.secret, text.encode("utf-8"), hashlib.sha256).hexdigest()


def load_key(path: Path, db_id: str) -> Key:
    """The key in ``path`` for database ``db_id``, or a ConfigError saying what is wrong."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        key = Key(
            str(doc["db_id"]),
            bytes.fromhex(doc["key"]),
            int(doc["keyed_from"]),
            path,
            doc.get("location"),
            doc.get("created_at"),
        )
    except FileNotFoundError:
        raise ConfigError(
            f"the key file {path} is missing: this database's event log is keyed and needs it. "
            f"Copy it from the machine that ran `dualrec-audit db init` (or set {TRUST_ENV})"
        ) from None
    except OSError as exc:
        raise ConfigError(f"the key file {path} cannot be read: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"the key file {path} is damaged (not a dualrec-audit key)") from None
    if key.db_id != db_id:
        raise ConfigError(f"the key file {path} belongs to another database ({key.db_id})")
    return key


def create_key(path: Path, db_id: str, keyed_from: int, location: str | None = None) -> Key:
    """Write a new random key, readable only by its owner, with the database's location. An
    existing key file is kept (and returned) so that two processes creating the same database
    agree on one key."""
    from datetime import UTC, datetime

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    doc = {
        "db_id": db_id,
        "key": secrets.token_hex(32),
        "keyed_from": keyed_from,
        "location": location,
        "created_at": datetime.now(UTC).isoformat(timespec="microseconds"),
    }
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_key(path, db_id)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(json.dumps(doc) + "\n")
        f.flush()
        os.fsync(f.fileno())
    if sys.platform != "win32":
        os.chmod(path, 0o600)
    log.info("created the event-log key %s", path)
    return load_key(path, db_id)


def append_anchor(path: Path, seq: int, digest: str) -> None:
    """Append the log head ``seq digest`` to the anchor file (created on first use)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{seq} {digest}\n".encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)


def read_anchors(path: Path) -> list[tuple[int, str]]:
    """The heads an anchor file recorded; an export's JSON (``chain_head``) counts as one."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        head = json.loads(text).get("chain_head") or {}
        return [(int(head["seq"]), str(head["hash"]))] if head.get("seq") else []
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit() and len(parts[1]) == 64:  # whole lines
            out.append((int(parts[0]), parts[1]))
    return out


def db_location(url: str) -> str:
    """Where a database lives, without user or password: the SQLite file's absolute path, or
    ``dialect://host:port/database`` (a socket folder given as ``?host=`` counts as the host)."""
    from sqlalchemy.engine import make_url

    try:
        u = make_url(url)
    except Exception:
        return url
    backend = u.get_backend_name()
    if backend == "sqlite":
        return f"sqlite:{os.path.abspath(u.database or '')}"
    host = u.host or u.query.get("host") or ""
    port = u.port or u.query.get("port") or ""
    return f"{backend}://{host}:{port}/{u.database or ''}"


def keys_at(location: str, directory: Path | None = None) -> list[Key]:
    """Every readable key file in the trust dir made for a database at ``location``, oldest
    first (key files from before locations were recorded name none and are left out)."""
    folder = directory or trust_dir()
    out = []
    try:
        files = sorted(folder.glob("*.key"))
    except OSError:
        return []
    for f in files:
        try:
            doc = json.loads(f.read_text(encoding="utf-8"))
            if doc.get("location") != location:
                continue
            out.append(load_key(f, str(doc["db_id"])))
        except (OSError, ValueError, KeyError, TypeError, ConfigError):
            continue
    return sorted(out, key=lambda k: k.created_at or "")
