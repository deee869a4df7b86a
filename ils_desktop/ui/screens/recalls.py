"""Recalls: who is due for their next examination this month and who is overdue, for the front desk
to contact and book in. Counts in the header; mark contacted / booked from the keyboard."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTabBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.exam import LONDON
from ils_desktop.errors import UserFacingError
from ils_desktop.services import clock, recalls
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import PALETTE, icon, polish_table

COLUMNS = ("Patient", "No.", "Born", "Phone", "Due", "Reason", "Status")
PATIENT, NUMBER, BORN, PHONE, DUE, REASON, STATUS = range(len(COLUMNS))
# The last examination is in the due date's tooltip: the due date follows from it, and the reason
# needs the width to be read whole on a 1366×768 screen.
VIEWS = ("due", "overdue")


def _day(value: date | None) -> str:
    return f"{value:%d/%m/%Y}" if value else "—"


def phone_text(number: str | None) -> str:
    """A UK number spaced as people read it: ``07700 900123``, ``01947 600123``, ``020 7946 0000``."""
    if not number:
        return "—"
    digits = "".join(c for c in number if c.isdigit())
    if len(digits) != 11 or not digits.startswith("0"):
        return number
    if digits.startswith("02"):
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    return f"{digits[:5]} {digits[5:]}"


class RecallTableModel(RowsModel[recalls.RecallEntry]):
    COLUMNS = COLUMNS

    def role_data(self, entry: recalls.RecallEntry, index: Index, role: int) -> Any:
        column = index.column()
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == DUE and entry.is_overdue:
                return QColor(PALETTE.DANGER)
            if column == STATUS and entry.status == "booked":
                return QColor(PALETTE.SUCCESS)
            if column in (NUMBER, BORN, REASON):
                return QColor(PALETTE.TEXT_MUTED)
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            examined = f"Set by the examination of {_day(entry.last_exam_date)}" if entry.last_exam_date else None
            return {BORN: f"Aged {entry.age}", PHONE: entry.email, DUE: examined, REASON: entry.reason}.get(column)
        if role == Qt.ItemDataRole.EditRole:  # what the columns sort by
            return (f"{entry.patient_name.split()[-1]} {entry.patient_name}", entry.customer_number,
                    entry.date_of_birth.toordinal(), entry.phone or "", entry.due_date.toordinal(), entry.reason,
                    entry.status)[column]
        return None

    def display(self, entry: recalls.RecallEntry, index: Index) -> Any:
        column = index.column()
        if column == PATIENT:
            return entry.patient_name
        if column == NUMBER:
            return str(entry.customer_number)
        if column == BORN:
            return f"{entry.date_of_birth:%d/%m/%Y}"
        if column == PHONE:
            return phone_text(entry.phone)
        if column == DUE:
            if entry.is_overdue:
                return f"{entry.due_date:%d/%m/%Y} · {_overdue_text(entry.days_overdue)}"
            return _day(entry.due_date)
        if column == REASON:
            return reason_text(entry.reason)
        if entry.status == "contacted" and entry.last_contacted_at:
            return f"Contacted {entry.last_contacted_at.astimezone(LONDON):%d %b}"
        return entry.status_label


def reason_text(reason: str) -> str:
    """The recall's reason as the list shows it: whole when there is one; when several rules gave the
    same interval, each by its name (``Diabetic patient · Aged 70 or over``), the whole in the tooltip."""
    parts = [part.strip() for part in reason.split(" · ") if part.strip()]
    if len(parts) < 2:
        return reason
    return " · ".join(part.split(":")[0].strip() for part in parts)


def _overdue_text(days: int) -> str:
    if days < 31:
        return f"{days} day{'s' if days != 1 else ''} overdue"
    months = days // 30
    return f"{months} month{'s' if months != 1 else ''} overdue"


class RecallsScreen(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.view = "due"
        self.summary_counts: recalls.RecallSummary | None = None
        can_edit = workspace.can("patients.edit")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 24)
        layout.setSpacing(14)

        header = QHBoxLayout()
        titles = QVBoxLayout()
        title = QLabel("Recalls")
        title.setProperty("role", "title")
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("recallSummary")
        self.summary.setProperty("role", "subtitle")
        titles.addWidget(title)
        titles.addWidget(self.summary)
        header.addLayout(titles, 1)
        self.search = QLineEdit()
        self.search.setObjectName("recallSearch")
        self.search.setPlaceholderText("Filter by name, phone or reason")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setFixedWidth(280)
        header.addWidget(self.search)
        self.refresh_button = QPushButton(icon("refresh"), "Refresh")
        self.refresh_button.setObjectName("refreshRecallsButton")
        self.refresh_button.setToolTip("Reload the list (F5)")
        self.refresh_button.clicked.connect(self.refresh)
        header.addWidget(self.refresh_button)
        layout.addLayout(header)

        self.tabs = QTabBar()
        self.tabs.setObjectName("recallTabs")
        self.tabs.setExpanding(False)
        self.tabs.setDrawBase(False)
        self.tabs.addTab("Due this month")
        self.tabs.addTab("Overdue")
        self.tabs.setTabToolTip(0, "Recalls falling due this month (Alt+D)")
        self.tabs.setTabToolTip(1, "Past their due date and not booked yet (Alt+O)")
        self.tabs.currentChanged.connect(self._tab_changed)
        tab_row = QHBoxLayout()
        tab_row.addWidget(self.tabs)
        tab_row.addStretch(1)
        self.shown = QLabel()
        self.shown.setObjectName("recallShown")
        self.shown.setProperty("role", "hint")
        tab_row.addWidget(self.shown)
        layout.addLayout(tab_row)

        self.model = RecallTableModel()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.ItemDataRole.EditRole)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.search.textChanged.connect(self._filter)
        self.table = QTableView()
        self.table.setObjectName("recallTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(DUE, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        polish_table(self.table)
        header_view = self.table.horizontalHeader()
        header_view.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header_view.setSectionResizeMode(REASON, QHeaderView.ResizeMode.Stretch)
        header_view.setStretchLastSection(False)  # the reason takes the spare width, not the status
        self.empty = QLabel()
        self.empty.setObjectName("recallEmpty")
        self.empty.setProperty("role", "hint")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        layout.addWidget(self.stack, 1)

        actions = QHBoxLayout()
        self.contacted_button = QPushButton(icon("check"), "Mark &contacted")
        self.contacted_button.setObjectName("markContactedButton")
        self.contacted_button.setToolTip("Record that the patient has been contacted (Alt+C)")
        self.booked_button = QPushButton(icon("diary"), "Mark &booked")
        self.booked_button.setObjectName("markBookedButton")
        self.booked_button.setToolTip("The patient has an appointment for this recall (Alt+B)")
        for button in (self.contacted_button, self.booked_button):
            button.setVisible(can_edit)
            button.setEnabled(False)
            actions.addWidget(button)
        actions.addStretch(1)
        self.message = QLabel()
        self.message.setObjectName("recallMessage")
        self.message.setProperty("role", "hint")
        actions.addWidget(self.message)
        layout.addLayout(actions)
        self.contacted_button.clicked.connect(lambda: self._mark("contacted"))
        self.booked_button.clicked.connect(lambda: self._mark("booked"))
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _index: self._mark("contacted"))

        QShortcut(QKeySequence("Alt+D"), self).activated.connect(lambda: self.tabs.setCurrentIndex(0))
        QShortcut(QKeySequence("Alt+O"), self).activated.connect(lambda: self.tabs.setCurrentIndex(1))
        QShortcut(QKeySequence("F5"), self).activated.connect(self.refresh)
        QShortcut(QKeySequence("Ctrl+F"), self).activated.connect(self.search.setFocus)
        changes.changed.connect(self._on_change)
        self.refresh()

    # ------------------------------------------------------------------ loading
    def activated(self) -> None:
        self.refresh()
        self.table.setFocus()

    def _on_change(self, what: str) -> None:
        if what in ("recalls", "exams", "patients"):
            self.refresh()

    def refresh(self) -> None:
        call, view, today = self.workspace.call, self.view, clock.today()

        def work() -> tuple[recalls.RecallSummary, list[recalls.RecallEntry]]:
            summary = call(recalls.recall_summary, month=today)
            if view == "overdue":
                return summary, call(recalls.list_recalls, overdue=True)
            return summary, call(recalls.list_recalls, due_in_month=today)

        run_op(work, on_done=lambda result: self._loaded(view, *result), parent=self)

    def _loaded(self, view: str, summary: recalls.RecallSummary, entries: list[recalls.RecallEntry]) -> None:
        if view != self.view:
            return  # the user switched tabs while this loaded; the newer load follows
        selected = self.selected()
        self.summary_counts = summary
        month = f"{summary.month:%B %Y}"
        self.summary.setText(f"{summary.due_in_month} due in {month}  ·  {summary.overdue} overdue")
        self.tabs.setTabText(0, f"Due this month  {summary.due_in_month}")
        self.tabs.setTabText(1, f"Overdue  {summary.overdue}")
        self.model.set_rows(entries)
        self._update_shown()
        if selected is not None:
            self._select(selected.id)
        if self.proxy.rowCount() and not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)
        self._selection_changed()

    def _update_shown(self) -> None:
        total = self.model.rowCount()
        visible = self.proxy.rowCount()
        self.shown.setText(f"{visible} of {total} shown" if visible != total else
                           f"{total} patient{'s' if total != 1 else ''}")
        if total == 0:
            self.empty.setText("Nobody is due this month." if self.view == "due"
                               else "No overdue recalls: everyone due has been booked in.")
        elif visible == 0:
            self.empty.setText("No recall matches the filter.")
        self.stack.setCurrentWidget(self.table if visible else self.empty)

    def _filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text)
        self._update_shown()

    def _tab_changed(self, index: int) -> None:
        self.view = VIEWS[index]
        self.model.set_rows([])
        self.refresh()

    # ------------------------------------------------------------------ actions
    def selected(self) -> recalls.RecallEntry | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.proxy.data(rows[0], Qt.ItemDataRole.UserRole)

    def _select(self, recall_id: object) -> None:
        for row in range(self.proxy.rowCount()):
            entry = self.proxy.data(self.proxy.index(row, 0), Qt.ItemDataRole.UserRole)
            if entry.id == recall_id:
                self.table.selectRow(row)
                return

    def _selection_changed(self, *_args: object) -> None:
        entry = self.selected()
        self.contacted_button.setEnabled(entry is not None and entry.status in ("due", "contacted"))
        self.booked_button.setEnabled(entry is not None and entry.status in ("due", "contacted"))

    def _mark(self, status: str) -> None:
        entry = self.selected()
        if entry is None or not self.workspace.can("patients.edit") or entry.status not in ("due", "contacted"):
            return
        call = self.workspace.call
        action = recalls.mark_contacted if status == "contacted" else recalls.mark_booked
        self.contacted_button.setEnabled(False)
        self.booked_button.setEnabled(False)

        def done(_result: object) -> None:
            what = "contacted" if status == "contacted" else "booked in"
            self.message.setText(f"{entry.patient_name} marked as {what}.")
            changes.changed.emit("recalls")

        def failed(error: BaseException) -> bool:
            self._selection_changed()
            if isinstance(error, UserFacingError):
                self.message.setText(str(error))
                self.refresh()
                return True
            return False

        run_op(lambda: call(action, entry.id), on_done=done, on_error=failed, parent=self)
