"""The queue: recordings needing review first, then escalated ones, re-records to confirm,
files that could not be audited, auto-approved ones (spot checks) and what was decided.
Sort by any column; filter by date, branch, teller, profile, score and status; the minutes
left to review at the top."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
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
    QCheckBox,
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

from dualrec_audit.batch.report import fmt_time
from dualrec_audit.core.result import Text
from dualrec_audit.review.queue import (
    QUEUE_ORDER,
    QueueItem,
    next_in_queue,
    order_queue,
    page_of,
    queue_item,
    workload,
)
from dualrec_audit.store.database import Store
from dualrec_audit.workflow.policy import Account
from dualrec_audit.workflow.watch import script_by_ear, watch_seconds

from .dialogs import show_error
from .review_view import local_time
from .workers import Database

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


class QueueView(QWidget):
    open_requested = Signal(int)  # run id
    refreshed = Signal()

    def __init__(
        self, db: Database, lang: str, account: Account | None = None, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.setObjectName("queueView")
        self.db = db
        self.lang = lang
        self.account = account or Account(0, "", "", "reviewer")
        self.known: dict[int, tuple[float, bool]] = {}
        self.loading = False
        self.failing = False  # the last refresh failed (one dialog until it works again)
        self.model = QueueModel(lang, self)
        self.proxy = QueueFilter(self)
        self.proxy.setSourceModel(self.model)
        self.paged = PageProxy(self)
        self.paged.setSourceModel(self.proxy)

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
        root.addLayout(self._filters())
        root.addLayout(self._actions())

        self.table = QTableView()
        self.table.setObjectName("queueTable")
        self.table.setModel(self.paged)
        self.table.setSortingEnabled(False)
        header = self.table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.sortIndicatorChanged.connect(self._sort)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setDefaultSectionSize(90)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        root.addWidget(self.table, 1)

        self.table.activated.connect(self._open)
        self.timer = QTimer(self)
        self.timer.setInterval(60_000)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    def _filters(self) -> QHBoxLayout:
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
        for label, w in (
            (self.tr("Date"), self.date),
            (self.tr("Branch"), self.branch),
            (self.tr("Teller"), self.teller),
            (self.tr("Business"), self.profile),
            (self.tr("Status"), self.status),
            (self.tr("Score ≤"), self.max_score),
        ):
            filters.addWidget(QLabel(label))
            filters.addWidget(w)
        filters.addWidget(self.search, 1)
        self.date.currentIndexChanged.connect(self._filter)
        for c in (self.branch, self.teller, self.profile, self.status):
            c.currentIndexChanged.connect(self._filter)
        self.max_score.valueChanged.connect(self._filter)
        self.search.textChanged.connect(self._filter)
        return filters

    def _actions(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.mine = QCheckBox(self.tr("Assigned to me"))
        self.mine.setObjectName("mineFilter")
        self.mine.toggled.connect(self._filter)
        self.assignee = QComboBox()
        self.assignee.setObjectName("assignee")
        self.assignee.setMinimumContentsLength(8)
        self.assign_btn = QPushButton(self.tr("Assign selected"))
        self.assign_btn.setObjectName("assign")
        self.assign_btn.clicked.connect(self.assign_selected)
        self.prev_page = QPushButton("◀")
        self.prev_page.setObjectName("previousPage")
        self.next_page = QPushButton("▶")
        self.next_page.setObjectName("nextPage")
        self.page_label = QLabel()
        self.page_label.setObjectName("pageLabel")
        self.prev_page.clicked.connect(lambda: self.set_page(self.paged.page - 1))
        self.next_page.clicked.connect(lambda: self.set_page(self.paged.page + 1))
        self.refresh_btn = QPushButton(self.tr("Refresh"))
        self.open_btn = QPushButton(self.tr("Review"))
        self.open_btn.setObjectName("openRecording")
        self.refresh_btn.clicked.connect(self.refresh)
        self.open_btn.clicked.connect(self._open_current)
        row.addWidget(self.mine)
        row.addWidget(QLabel(self.tr("Assign to")))
        row.addWidget(self.assignee)
        row.addWidget(self.assign_btn)
        row.addStretch(1)
        for w in (self.prev_page, self.page_label, self.next_page, self.refresh_btn, self.open_btn):
            row.addWidget(w)
        return row

    def _combo(self, name: str) -> QComboBox:
        c = QComboBox()
        c.setObjectName(name)
        c.setMinimumContentsLength(6)
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
        if not self.failing:  # one dialog while the database stays away
            show_error(self, self.tr("Cannot read the queue"), exc, self.lang)
        self.failing = True

    def _loaded(self, data: QueueData) -> None:
        self.loading = False
        self.failing = False
        self.known.update(data.computed)
        selected = self.current_run()
        self.model.set_items(data.items)
        self._fill_combo(self.branch, sorted({i.branch for i in data.items if i.branch}))
        self._fill_combo(self.teller, sorted({i.teller for i in data.items if i.teller}))
        profiles = {i.profile_id: i for i in data.items if i.profile_id}
        self._fill_combo(
            self.profile,
            sorted(profiles),
            [self.model._text(profiles[p], "business") for p in sorted(profiles)],
        )
        self._fill_assignees(data.reviewers)
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
        self.set_page(self.paged.page)
        if selected is not None:
            self.select_run(selected)
        self.refreshed.emit()

    def _fill_combo(
        self, combo: QComboBox, values: list[str], labels: list[str] | None = None
    ) -> None:
        current = combo.currentData()
        combo.blockSignals(True)
        while combo.count() > 1:
            combo.removeItem(1)
        for v, label in zip(values, labels or values, strict=True):
            combo.addItem(label, v)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(False)

    def _fill_assignees(self, reviewers: list[Account]) -> None:
        current = self.assignee.currentData()
        self.assignee.clear()
        self.assignee.addItem(self.tr("(nobody)"), "")
        me_only = self.account.role == "reviewer"
        for a in reviewers:
            if not me_only or a.username == self.account.username:
                self.assignee.addItem(a.label(self.lang), a.username)
        self.assignee.setCurrentIndex(max(0, self.assignee.findData(current)))

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
            mine=self.account.username if self.mine.isChecked() else "",
        )
        self.set_page(0)

    def sortByColumn(self, column: int, order: Qt.SortOrder) -> None:
        header = self.table.horizontalHeader()
        header.blockSignals(True)
        header.setSortIndicator(column, order)
        header.blockSignals(False)
        self._sort(column, order)

    def _sort(self, column: int, order: Qt.SortOrder) -> None:
        self.proxy.sort(column, order)
        self.set_page(0)

    def set_page(self, page: int) -> None:
        self.paged.set_page(page)
        pages = self.paged.pages()
        first, n, _ = page_of(self.proxy.rowCount(), self.paged.page, self.paged.size)
        self.page_label.setText(
            self.tr("{a}–{b} of {n} (page {p}/{q})").format(
                a=first + 1 if n else 0,
                b=first + n,
                n=self.proxy.rowCount(),
                p=self.paged.page + 1,
                q=pages,
            )
        )
        self.prev_page.setEnabled(self.paged.page > 0)
        self.next_page.setEnabled(self.paged.page < pages - 1)

    # -- assignment ------------------------------------------------------------------------------

    def selected_recordings(self) -> list[int]:
        rows = {i.row() for i in self.table.selectionModel().selectedRows()}
        return [self._item_at(r).recording_id for r in sorted(rows)]

    def assign_selected(self) -> None:
        recs = self.selected_recordings()
        if not recs:
            return
        who = str(self.assignee.currentData() or "") or None
        me = self.account
        self.db.call(
            lambda store: store.assign(recs, who, by=me),
            lambda _n: self.refresh(),
            lambda exc: show_error(self, self.tr("Not assigned"), exc, self.lang),
        )

    # -- selection -------------------------------------------------------------------------------

    def _item_at(self, row: int) -> QueueItem:
        idx = self.proxy.mapToSource(self.paged.mapToSource(self.paged.index(row, 0)))
        return self.model.items[idx.row()]

    def visible_runs(self) -> list[int]:
        """Run ids in the order shown (this page)."""
        return [self._item_at(r).run_id for r in range(self.paged.rowCount())]

    def current_run(self) -> int | None:
        idx = self.table.currentIndex()
        if not idx.isValid():
            return None
        return self._item_at(idx.row()).run_id

    def select_run(self, run_id: int) -> None:
        for r in range(self.paged.rowCount()):
            if self._item_at(r).run_id == run_id:
                self.table.selectRow(r)
                return

    def next_after(self, run_id: int | None) -> int | None:
        """The recording to open after ``run_id`` was decided (queue order, this account)."""
        items = [
            self.model.items[self.proxy.mapToSource(self.proxy.index(r, 0)).row()]
            for r in range(self.proxy.rowCount())
        ]
        nxt = next_in_queue(items, run_id, self.account.username, self.account.senior)
        return None if nxt is None else nxt.run_id

    def _open(self, index: QModelIndex) -> None:
        self.open_requested.emit(self._item_at(index.row()).run_id)

    def _open_current(self) -> None:
        run = self.current_run()
        if run is None and self.paged.rowCount():
            run = self.visible_runs()[0]
        if run is not None:
            self.open_requested.emit(run)
