"""The queue's data and its Qt models: what load_queue reads from the store for every
recording (the latest run, where it stands in the workflow, the seconds to watch), and the
table model, filter and page proxies the queue view shows it through."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

from dualrec_audit.batch.report import fmt_time
from dualrec_audit.core.result import Text
from dualrec_audit.review.precheck import error_text
from dualrec_audit.review.queue import (
    QUEUE_ORDER,
    QueueItem,
    order_queue,
    page_of,
    queue_item,
)
from dualrec_audit.store.database import Store
from dualrec_audit.workflow.policy import Account
from dualrec_audit.workflow.watch import script_by_ear, watch_seconds

from .review.data import local_time

log = logging.getLogger("dualrec_audit.ui")

STATUS_COLOURS = {
    "appealed": QColor(0, 105, 92),
    "second": QColor(123, 31, 162),
    "review": QColor(239, 108, 0),
    "escalated": QColor(123, 31, 162),
    "rerecord": QColor(198, 40, 40),
    "error": QColor(97, 97, 97),
    "approve": QColor(46, 125, 50),
    "done": QColor(117, 117, 117),
}
SortKey = str | float | int
_ROOT = QModelIndex()


PAGE_SIZE = 500


@dataclass(frozen=True)
class QueueData:
    items: list[QueueItem]
    computed: dict[int, tuple[float, bool]]  # run id -> (watch_s, by_ear), for the cache
    reviewers: list[Account] = field(default_factory=list)  # who recordings can go to


def business_names() -> dict[str, Text]:
    """Profile id -> the business's name (基金销售, not fund_sale)."""
    from dualrec_audit.rules.profiles import all_profiles

    try:
        return {p.id: Text(p.name.zh, p.name.en) for p in all_profiles().values()}
    except Exception as exc:  # a broken profile folder must not empty the queue
        log.warning("profile names not loaded: %s", exc)
        return {}


def _recorded(ns: int | None) -> str | None:
    if not ns:
        return None
    return datetime.fromtimestamp(ns / 1e9).strftime("%Y-%m-%d %H:%M")


def load_queue(store: Store, known: dict[int, tuple[float, bool]]) -> QueueData:
    """The latest run of every recording, with the seconds to watch (results are loaded only
    for runs not seen before: stored runs never change), where each stands in the workflow,
    who it is assigned to and when it was recorded."""
    runs = store.runs()
    results = store.results(r.run_id for r in runs if r.run_id not in known)
    claims = {c.recording_id: c.reviewer for c in store.claims()}
    standings = store.standings()
    assigned = store.assignments()
    recorded = store.recorded_times()
    replaced = store.changed_files()
    names = business_names()
    computed: dict[int, tuple[float, bool]] = {}
    items = []
    for run in runs:
        result = results.get(run.run_id)
        if result is not None:
            ok = result.error is None
            computed[run.run_id] = (
                watch_seconds(result) if ok else 0.0,
                ok and script_by_ear(result),
            )
        watch_s, by_ear = computed.get(run.run_id) or known.get(run.run_id, (0.0, False))
        st = standings.get(run.recording_id)
        item = queue_item(
            run, None, claims.get(run.recording_id), st.standing if st is not None else None
        )
        a = assigned.get(run.recording_id)
        items.append(
            replace(
                item,
                watch_s=watch_s,
                by_ear=by_ear,
                assignee=a.assignee if a is not None else None,
                recorded_at=_recorded(recorded.get(run.recording_id)),
                business=names.get(run.profile_id or ""),
                replaced=run.recording_id in replaced,
            )
        )
    reviewers = [a for a in store.accounts() if a.reviews and a.active]
    return QueueData(order_queue(items), computed, reviewers)


class QueueModel(QAbstractTableModel):
    COLUMNS = (
        "status",
        "name",
        "business",
        "customer",
        "product",
        "recorded",
        "branch",
        "teller",
        "score",
        "watch",
        "verdict",
        "assignee",
        "claimed",
    )

    def __init__(self, lang: str, parent: QObject | None = None):
        super().__init__(parent)
        self.lang = lang
        self.items: list[QueueItem] = []
        self.headers = [
            self.tr("Status"),
            self.tr("Recording"),
            self.tr("Business"),
            self.tr("Customer"),
            self.tr("Product"),
            self.tr("Recorded"),
            self.tr("Branch"),
            self.tr("Teller"),
            self.tr("Score"),
            self.tr("To watch"),
            self.tr("Reviewer's decision"),
            self.tr("Assigned to"),
            self.tr("Being reviewed by"),
        ]
        self.status_names = {
            "appealed": self.tr("Appealed"),
            "review": self.tr("Needs review"),
            "escalated": self.tr("Escalated"),
            "second": self.tr("Awaiting a second senior"),
            "rerecord": self.tr("Re-record"),
            "error": self.tr("Could not audit"),
            "approve": self.tr("Auto-approved"),
            "done": self.tr("Reviewed"),
        }
        self.verdict_names = {
            "approve": self.tr("Approve"),
            "rerecord": self.tr("Reject (re-record)"),
            "escalate": self.tr("Escalate"),
        }

    def set_items(self, items: list[QueueItem]) -> None:
        self.beginResetModel()
        self.items = items
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if not index.isValid():
            return None
        item = self.items[index.row()]
        col = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell_text(item, col)
        if role == Qt.ItemDataRole.UserRole:
            return self._key(item, col, index.row())
        if role == Qt.ItemDataRole.ForegroundRole and col == "status":
            return QBrush(STATUS_COLOURS[item.status])
        if role == Qt.ItemDataRole.ToolTipRole:
            if item.replaced:
                return self.tr(
                    "The file was replaced after its audit: no decision until it is audited again"
                )
            if item.error:  # the cause in the reviewer's language, not the log's English
                return error_text(item.error_code or "").get(self.lang)
            if col == "watch" and item.by_ear:
                return self.tr("The script must also be listened to (the tool could not check it)")
            return item.path
        if role == Qt.ItemDataRole.TextAlignmentRole and col in ("score", "watch"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def cell_text(self, item: QueueItem, col: str) -> str:
        """What column ``col`` shows for ``item``."""
        if col == "status":
            if item.replaced:
                return self.tr("File replaced: to re-audit")
            return self.status_names[item.status]
        if col == "name":
            return item.name
        if col == "business":
            return item.business.get(self.lang) if item.business else (item.profile_id or "")
        if col == "customer":
            return item.customer or ""
        if col == "product":
            return item.product or ""
        if col == "recorded":
            return item.recorded_at or ""
        if col == "assignee":
            return item.assignee or ""
        if col == "branch":
            return item.branch or ""
        if col == "teller":
            return item.teller or ""
        if col == "score":
            return "" if item.status == "error" else f"{item.score:.0f}"
        if col == "watch":
            if item.status == "error":
                return ""
            ear = " + " + self.tr("script by ear") if item.by_ear else ""
            return fmt_time(item.watch_s) + ear
        if col == "verdict":
            if item.verdict is None:
                return ""
            return f"{self.verdict_names.get(item.verdict, item.verdict)} ({item.reviewer})"
        if col == "claimed":
            return item.claimed_by or ""
        return ""

    def _key(self, item: QueueItem, col: str, row: int) -> SortKey:
        if col == "status":
            return QUEUE_ORDER.index(item.status) * 100_000 + row  # queue order within a status
        if col == "score":
            return item.score
        if col == "watch":
            return item.watch_s
        return self.cell_text(item, col)


class QueueFilter(QSortFilterProxyModel):
    """Filters on the queue items themselves (not on the displayed texts)."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.setSortRole(Qt.ItemDataRole.UserRole)
        self.since: str | None = None  # ISO date
        self.branch = ""
        self.teller = ""
        self.profile = ""
        self.status = ""
        self.max_score = 100.0
        self.text = ""
        self.mine = ""  # only recordings assigned to this account

    def set(self, **values: object) -> None:
        for k, v in values.items():
            setattr(self, k, v)
        self.invalidate()

    def filterAcceptsRow(self, row: int, parent: QModelIndex | QPersistentModelIndex) -> bool:
        model = self.sourceModel()
        assert isinstance(model, QueueModel)
        it = model.items[row]
        if self.since and local_time(it.finished_at)[:10] < self.since:
            return False
        if self.branch and it.branch != self.branch:
            return False
        if self.teller and it.teller != self.teller:
            return False
        if self.profile and it.profile_id != self.profile:
            return False
        if self.status and it.status != self.status:
            return False
        if it.status != "error" and it.score > self.max_score + 1e-9:
            return False
        if self.mine and it.assignee != self.mine:
            return False
        return not (self.text and self.text.lower() not in it.name.lower())


class PageProxy(QSortFilterProxyModel):
    """One page of the sorted, filtered queue (thousands of rows stay quick to show)."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.page = 0
        self.size = PAGE_SIZE

    def pages(self) -> int:
        return page_of(self._count(), self.page, self.size)[2]

    def _count(self) -> int:
        src = self.sourceModel()
        return src.rowCount() if src is not None else 0

    def set_page(self, page: int) -> None:
        self.page = max(0, min(page, self.pages() - 1))
        self.invalidate()

    def filterAcceptsRow(self, row: int, parent: QModelIndex | QPersistentModelIndex) -> bool:
        first, n, _ = page_of(self._count(), self.page, self.size)
        return first <= row < first + n
