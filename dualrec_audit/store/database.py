"""The results store: recordings, audit runs, findings, scores, review decisions and the
hash-chained event log, on SQLite (default, in the user data dir) or PostgreSQL (by URL).

:class:`Store` is composed of one part per job, each built on
:class:`~dualrec_audit.store.base.StoreBase` (the connection, the migrations, the key, the
transactions and the event-log append):

- :mod:`~dualrec_audit.store.results`: recordings, paths, audit runs, findings and scores;
- :mod:`~dualrec_audit.store.reviews`: review decisions, marks on findings and claims;
- :mod:`~dualrec_audit.store.workflow`: accounts, decisions under the workflow's rules,
  appeals and assignments;
- :mod:`~dualrec_audit.store.profiles_store`: verdicts on findings under the window's rules,
  calibration data, profile versions activated by two seniors, re-judgements;
- :mod:`~dualrec_audit.store.accounts`: sign-in with lockout and account administration;
- :mod:`~dualrec_audit.store.verify`: the event log's chain, anchors and rows checked.

Every write is one transaction: an audit run with its findings, scores and log entry is
stored whole or not at all, so a process killed at any moment leaves no half-written rows.
What the store hands out (its records and errors) is in :mod:`~dualrec_audit.store.records`;
content keys and log hashing in :mod:`~dualrec_audit.store.keys`.
"""

from __future__ import annotations

from dualrec_audit.store.accounts import AccountsStore
from dualrec_audit.store.profiles_store import CalibrationStore
from dualrec_audit.store.results import ResultsStore
from dualrec_audit.store.reviews import ReviewsStore
from dualrec_audit.store.verify import VerifyStore
from dualrec_audit.store.workflow import WorkflowStore


class Store(
    VerifyStore, CalibrationStore, AccountsStore, WorkflowStore, ReviewsStore, ResultsStore
):
    """The results database. ``Store(url)`` opens an existing one and brings its tables up to
    date; ``Store(url, create=True)`` also creates it (and its key) when it does not exist."""
