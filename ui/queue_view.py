"""The queue: recordings needing review first, then escalated ones, re-records to confirm,
files that could not be audited, auto-approved ones (spot checks) and what was decided.
Sort by any column; filter by date, branch, teller, profile, score and status; the minutes
left to review at the top. The rows and how they are read: ``ui.queue_model``."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
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

from dualrec_audit.review.queue import QUEUE_ORDER, QueueItem, next_in_queue, page_of, workload
from dualrec_audit.workflow.policy import Account

from .dialogs import show_error
from .queue_model import PageProxy, QueueData, QueueFilter, QueueModel, load_queue
from .workers import Database


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
            [self.model.cell_text(profiles[p], "business") for p in sorted(profiles)],
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
        self._fit_columns()
        if selected is not None:
            self.select_run(selected)
        self.refreshed.emit()

    MAX_COLUMN = 150  # px: a long branch name is elided rather than pushing columns off screen

    def _fit_columns(self) -> None:
        """Each column as wide as its header and cells (capped); the file name takes what is
        left, so that at 1366x768 no column is cut off."""
        header = self.table.horizontalHeader()
        for c in range(self.paged.columnCount()):
            if c == 1:
                continue
            self.table.resizeColumnToContents(c)
            header.resizeSection(c, min(header.sectionSize(c), self.MAX_COLUMN))

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

    def next_after(self, run_id: int | None, skip: Collection[int] = ()) -> int | None:
        """The recording to open after ``run_id`` was decided (queue order, this account),
        leaving out those in ``skip`` (their file could not be played)."""
        items = [
            self.model.items[self.proxy.mapToSource(self.proxy.index(r, 0)).row()]
            for r in range(self.proxy.rowCount())
        ]
        user, senior = self.account.username, self.account.senior
        nxt = next_in_queue(items, run_id, user, senior, skip)
        return None if nxt is None else nxt.run_id

    def _open(self, index: QModelIndex) -> None:
        self.open_requested.emit(self._item_at(index.row()).run_id)

    def _open_current(self) -> None:
        run = self.current_run()
        if run is None and self.paged.rowCount():
            run = self.visible_runs()[0]
        if run is not None:
            self.open_requested.emit(run)
