"""What the teller is told while recording, and when.

A :class:`Notice` is one thing said: a **hint** (a problem now: raised when it has lasted
``hold`` observations in a row, cleared when it has been gone ``release`` observations in a
row), a **stage** ticked (its phrase heard), an **alarm** (a forbidden promise, raised at once)
or a **document** (asked for, then ticked when read). :class:`HintBoard` is the state machine
of the hints; the session hands every notice to its listeners (the window, the JSONL file).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from dualrec_audit.core.result import Text

Kind = Literal["hint", "stage", "alarm", "document"]
Change = Literal["raised", "cleared"]
Key = tuple[str, str | None, str | None]  # (code, party, detail: a face's cut side)


@dataclass(frozen=True)
class Notice:
    """One thing the teller is told. ``t``: the stream's clock when it was said (seconds
    from the start of the recording, the checks' lag included); ``since``: when the problem
    began (its first observation); ``cleared_at``: when a hint was cleared (None while it
    stands, and for ticks and alarms)."""

    t: float
    kind: Kind
    code: str
    message: Text
    party: str | None = None
    stage: str | None = None
    since: float | None = None
    cleared_at: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "t": round(self.t, 3),
            "kind": self.kind,
            "code": self.code,
            "party": self.party,
            "stage": self.stage,
            "message": self.message.to_dict(),
            "cleared_at": None if self.cleared_at is None else round(self.cleared_at, 3),
            "since": None if self.since is None else round(self.since, 3),
            **({"details": self.details} if self.details else {}),
        }


Listener = Callable[[Notice, Change], None]


@dataclass
class _State:
    on: int = 0  # observations in a row with the problem
    off: int = 0  # ... without it
    first: float = 0.0  # the first of the current run of problem observations
    raised: Notice | None = None


class HintBoard:
    """Raises and clears the hints from the live checks' observations (thread-safe: the
    picture and the sound report from their own threads)."""

    def __init__(self, tell: Listener, texts: Callable[[Key], Text]) -> None:
        self._tell = tell
        self._texts = texts
        self._states: dict[Key, _State] = {}
        self._lock = threading.Lock()

    def observe(
        self, key: Key, active: bool, t: float, now: float, *, hold: int = 2, release: int = 2
    ) -> None:
        """One observation at stream time ``t`` (seen at ``now`` on the stream's clock)."""
        with self._lock:
            st = self._states.setdefault(key, _State())
            if active:
                if st.on == 0:
                    st.first = t
                st.on, st.off = st.on + 1, 0
                if st.raised is None and st.on >= hold:
                    code, party, detail = key
                    st.raised = Notice(
                        t=now,
                        kind="hint",
                        code=code,
                        message=self._texts(key),
                        party=party,
                        since=st.first,
                        details={"side": detail} if detail else {},
                    )
                    self._tell(st.raised, "raised")
                return
            st.on, st.off = 0, st.off + 1
            if st.raised is not None and st.off >= release:
                done = replace(st.raised, cleared_at=now)
                st.raised = None
                self._tell(done, "cleared")

    def standing(self) -> list[Notice]:
        with self._lock:
            return [s.raised for s in self._states.values() if s.raised is not None]

    def close(self, now: float) -> None:
        """The recording ended: every standing hint is cleared at ``now``."""
        with self._lock:
            for st in self._states.values():
                if st.raised is not None:
                    done = replace(st.raised, cleared_at=now)
                    st.raised = None
                    self._tell(done, "cleared")


class HintsFile:
    """The ``--hints FILE.jsonl`` listener: one JSON line per hint (written when it is
    cleared, so that it holds its ``cleared_at``), stage tick, alarm and document; the
    session's closing line with :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self._f = path.open("w", encoding="utf-8")
        self._lock = threading.Lock()

    def __call__(self, notice: Notice, change: Change) -> None:
        if notice.kind == "hint" and change == "raised":
            return
        self.line(notice.to_dict())

    def line(self, obj: dict[str, Any]) -> None:
        with self._lock:
            self._f.write(json.dumps(obj, ensure_ascii=False) + "\n")
            self._f.flush()

    def close(self, summary: dict[str, Any]) -> None:
        self.line({"kind": "summary", **summary})
        with self._lock:
            self._f.close()
