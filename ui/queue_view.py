"""The queue: recordings needing review first, then escalated ones, re-records to confirm,
files that could not be audited, auto-approved ones (spot checks) and what was decided.
Sort by any column; filter by date, branch, teller, profile, score and status; the minutes
left to review at the top."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from dualrec_audit.db.store import Store
from dualrec_audit.report import fmt_time
from dualrec_audit.review import QUEUE_ORDER, QueueItem, order_queue, queue_item, workload
from dualrec_audit.watch import script_by_ear, watch_seconds

from .dialogs import show_error
from .review_view import local_time
from .workers import Database

log = logging.getLogger("dualrec_audit.ui")

STATUS_COLOURS = {
    "review": QColor(239, 108, 0),
    "escalated": QColor(123, 31, 162),
    "rerecord": QColor(198, 40, 40),
    "error": QColor(97, 97, 97),
    "approve": QColor(46, 125, 50),
    "done": QColor(117, 117, 117),
}
SortKey = str | float | int
_ROOT = QModelIndex()


@dataclass(frozen=True)
class QueueData:
    items: list[QueueItem]
    computed: dict[int, tuple[float, bool]]  # run id -> (watch_s, by_ear), for the cache


def load_queue(store: Store, known: dict[int, tuple[float, bool]]) -> QueueData:
    """The latest run of every recording, with the seconds to watch (results are loaded only
    for runs not seen before: stored runs never change)."""
    runs = store.runs()
    results = store.results(r.run_id for r in runs if r.run_id not in known)
    claims = {c.recording_id: c.reviewer for c in store.claims()}
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
        item = queue_item(run, None, claims.get(run.recording_id))
        items.append(replace(item, watch_s=watch_s, by_ear=by_ear))
    return QueueData(order_queue(items), computed)


class QueueModel(QAbstractTableModel):
    COLUMNS = (
        "status",
        "name",
        "finished",
        "branch",
        "teller",
        "profile",
        "score",
        "watch",
        "verdict",
        "claimed",
    )

    def __init__(self, lang: str, parent: QObject | None = None):
        super().__init__(parent)
        self.lang = lang
        self.items: list[QueueItem] = []
        self.headers = [
            self.tr("Status"),
            self.tr("Recording"),
            self.tr("Audited"),
            self.tr("Branch"),
            self.tr("Teller"),
            self.tr("Profile"),
            self.tr("Score"),
            self.tr("To watch"),
            self.tr("Reviewer's decision"),
            self.tr("Being reviewed by"),
        ]
        self.status_names = {
            "review": self.tr("Needs review"),
            "escalated": self.tr("Escalated"),
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
            return self._text(item, col)
        if role == Qt.ItemDataRole.UserRole:
            return self._key(item, col, index.row())
        if role == Qt.ItemDataRole.ForegroundRole and col == "status":
            return QBrush(STATUS_COLOURS[item.status])
        if role == Qt.ItemDataRole.ToolTipRole:
            if item.error:
                return item.error
            if col == "watch" and item.by_ear:
                return self.tr("The script must also be listened to (the tool could not check it)")
            return item.path
        if role == Qt.ItemDataRole.TextAlignmentRole and col in ("score", "watch"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, item: QueueItem, col: str) -> str:
        if col == "status":
            return self.status_names[item.status]
        if col == "name":
            return item.name
        if col == "finished":
            return local_time(item.finished_at)
        if col == "branch":
            return item.branch or ""
        if col == "teller":
            return item.teller or ""
        if col == "profile":
            return item.profile_id or ""
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
        if col == "finished":
            return item.finished_at
        if col == "score":
            return item.score
        if col == "watch":
            return item.watch_s
        return self._text(item, col)


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
        return not (self.text and self.text.lower() not in it.name.lower())


class QueueView(QWidget):
    open_requested = Signal(int)  # run id
    refreshed = Signal()

    def __init__(self, db: Database, lang: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("queueView")
        self.db = db
        self.lang = lang
        self.known: dict[int, tuple[float, bool]] = {}
        self.loading = False
        self.model = QueueModel(lang, self)
        self.proxy = QueueFilter(self)
        self.proxy.setSourceModel(self.model)

        root = QVBoxLayout(self)
        root.setContentsMargins(6, 6, 6, 6)
        self.workload = QLabel()
        self.workload.setObjectName("workload")
        font = self.workload.font()
        font.setPointSize(font.pointSize() + 2)
        font.setBold(True)
        self.workload.setFont(font)
        self.workload.setWordWrap(True)
        root.addWidget(self.workload)

        filters = QHBoxLayout()
        self.date = QComboBox()
        self.date.setObjectName("dateFilter")
        for label, days in (
            (self.tr("All dates"), None),
            (self.tr("Today"), 0),
            (self.tr("Last 7 days"), 6),
            (self.tr("Last 30 days"), 29),
        ):
            self.date.addItem(label, days)
        self.branch = self._combo("branchFilter")
        self.teller = self._combo("tellerFilter")
        self.profile = self._combo("profileFilter")
        self.status = QComboBox()
        self.status.setObjectName("statusFilter")
        self.status.addItem(self.tr("All statuses"), "")
        for s in QUEUE_ORDER:
            self.status.addItem(self.model.status_names[s], s)
        self.max_score = QSpinBox()
        self.max_score.setObjectName("scoreFilter")
        self.max_score.setRange(0, 100)
        self.max_score.setValue(100)
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText(self.tr("File name"))
        self.refresh_btn = QPushButton(self.tr("Refresh"))
        self.open_btn = QPushButton(self.tr("Review"))
        self.open_btn.setObjectName("openRecording")
        for label, w in (
            (self.tr("Date"), self.date),
            (self.tr("Branch"), self.branch),
            (self.tr("Teller"), self.teller),
            (self.tr("Profile"), self.profile),
            (self.tr("Status"), self.status),
            (self.tr("Score ≤"), self.max_score),
        ):
            filters.addWidget(QLabel(label))
            filters.addWidget(w)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.refresh_btn)
        filters.addWidget(self.open_btn)
        root.addLayout(filters)

        self.table = QTableView()
        self.table.setObjectName("queueTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        root.addWidget(self.table, 1)

        self.date.currentIndexChanged.connect(self._filter)
        for c in (self.branch, self.teller, self.profile, self.status):
            c.currentIndexChanged.connect(self._filter)
        self.max_score.valueChanged.connect(self._filter)
        self.search.textChanged.connect(self._filter)
        self.refresh_btn.clicked.connect(self.refresh)
        self.open_btn.clicked.connect(self._open_current)
        self.table.activated.connect(self._open)
        self.timer = QTimer(self)
        self.timer.setInterval(60_000)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    def _combo(self, name: str) -> QComboBox:
        c = QComboBox()
        c.setObjectName(name)
        c.setMinimumContentsLength(8)
        c.addItem(self.tr("All"), "")
        return c

    # -- data ------------------------------------------------------------------------------------

    def refresh(self) -> None:
        if self.loading:
            return
        self.loading = True
        known = dict(self.known)
        self.db.call(lambda store: load_queue(store, known), self._loaded, self._failed)

    def _failed(self, exc: object) -> None:
        self.loading = False
        show_error(self, self.tr("Cannot read the queue"), exc)

    def _loaded(self, data: QueueData) -> None:
        self.loading = False
        self.known.update(data.computed)
        selected = self.current_run()
        self.model.set_items(data.items)
        for combo, values in (
            (self.branch, {i.branch for i in data.items}),
            (self.teller, {i.teller for i in data.items}),
            (self.profile, {i.profile_id for i in data.items}),
        ):
            self._fill_combo(combo, sorted(v for v in values if v))
        w = workload(data.items)
        text = self.tr("To review: {n} recordings, about {m:.1f} minutes to watch").format(
            n=w.recordings, m=w.minutes
        )
        if w.by_ear:
            text += self.tr(
                "; in {k} of them the tool could not check the script: listen to it "
                "({t:.1f} minutes)"
            ).format(k=w.by_ear, t=w.by_ear_s / 60)
        self.workload.setText(text)
        if selected is not None:
            self.select_run(selected)
        self.refreshed.emit()

    def _fill_combo(self, combo: QComboBox, values: list[str]) -> None:
        current = combo.currentData()
        combo.blockSignals(True)
        while combo.count() > 1:
            combo.removeItem(1)
        for v in values:
            combo.addItem(v, v)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(False)

    def _filter(self) -> None:
        days = self.date.currentData()
        since = None
        if days is not None:
            since = (datetime.now() - timedelta(days=int(days))).strftime("%Y-%m-%d")
        self.proxy.set(
            since=since,
            branch=self.branch.currentData() or "",
            teller=self.teller.currentData() or "",
            profile=self.profile.currentData() or "",
            status=self.status.currentData() or "",
            max_score=float(self.max_score.value()),
            text=self.search.text().strip(),
        )

    # -- selection -------------------------------------------------------------------------------

    def visible_runs(self) -> list[int]:
        """Run ids in the order shown."""
        out = []
        for r in range(self.proxy.rowCount()):
            src = self.proxy.mapToSource(self.proxy.index(r, 0))
            out.append(self.model.items[src.row()].run_id)
        return out

    def current_run(self) -> int | None:
        idx = self.table.currentIndex()
        if not idx.isValid():
            return None
        return self.model.items[self.proxy.mapToSource(idx).row()].run_id

    def select_run(self, run_id: int) -> None:
        for r in range(self.proxy.rowCount()):
            src = self.proxy.mapToSource(self.proxy.index(r, 0))
            if self.model.items[src.row()].run_id == run_id:
                self.table.selectRow(r)
                return

    def _open(self, index: QModelIndex) -> None:
        src = self.proxy.mapToSource(index)
        self.open_requested.emit(self.model.items[src.row()].run_id)

    def _open_current(self) -> None:
        run = self.current_run()
        if run is None and self.proxy.rowCount():
            run = self.visible_runs()[0]
        if run is not None:
            self.open_requested.emit(run)
