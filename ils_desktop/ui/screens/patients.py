"""Patients (F3): find a patient as fast as you can type — by name, date of birth, NHS number,
postcode, phone or customer number — open their record, register a new patient (Ctrl+N).

Typing is debounced (150 ms) and each search runs off the GUI thread; only the latest search's
answer is shown, so a slow answer to "sm" never overwrites the answer to "smith". Enter opens the
highlighted patient (or the first match when the answer is still on its way).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.patient_search import classify
from ils_desktop.services import patients
from ils_desktop.services.patients import PatientListing, PatientRecord, SearchResult
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.screens.patient_record import PatientRecordPage
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import PALETTE, icon, polish_table

SEARCH_DELAY_MS = 150
COLUMNS = ("Name", "Born", "NHS number", "Postcode", "Phone", "No.")
NAME, BORN, NHS, POSTCODE, PHONE, NUMBER = range(len(COLUMNS))


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


class PatientTableModel(RowsModel[PatientListing]):
    """The search results, in the order the search ranked them."""

    COLUMNS = COLUMNS

    def __init__(self) -> None:
        super().__init__()
        self.appointments: dict[int, str] = {}  # row → "09:30 · Arrived" when showing today's list
        self.today = date.today()

    def set_patients(self, found: list[PatientListing], appointments: list[str] | None = None) -> None:
        self.appointments = dict(enumerate(appointments)) if appointments else {}
        self.today = date.today()
        self.set_rows(found)

    def role_data(self, patient: PatientListing, index: Index, role: int) -> Any:
        column = index.column()
        if role == Qt.ItemDataRole.ForegroundRole:
            if patient.status != "active":
                return QColor(PALETTE.TEXT_MUTED)
            if column in (NHS, POSTCODE, PHONE, NUMBER):
                return QColor(PALETTE.TEXT_MUTED)
            return None
        if role == Qt.ItemDataRole.ToolTipRole and column == NAME and patient.has_allergies:
            return "Has allergies on record"
        return None

    def display(self, patient: PatientListing, index: Index) -> Any:
        column = index.column()
        if column == NAME:
            name = f"{patient.last_name.upper()}, {patient.first_name}"
            if patient.preferred_name and patient.preferred_name != patient.first_name:
                name += f" ({patient.preferred_name})"
            if patient.title:
                name += f" · {patient.title}"
            if patient.status != "active":
                name += f"  — {patients.STATUS_LABELS[patient.status].lower()}"
            if index.row() in self.appointments:
                name = f"{self.appointments[index.row()]}   {name}"
            return name
        if column == BORN:
            return f"{patient.date_of_birth:%d/%m/%Y} ({patient.age(self.today)})"
        if column == NHS:
            return patient.nhs_number_display or "—"
        if column == POSTCODE:
            return patient.postcode or "—"
        if column == PHONE:
            return phone_text(patient.phone)
        return str(patient.customer_number)


class _ArrowKeysToResults(QObject):
    """Up/Down in the search box move through the results without leaving the box."""

    def __init__(self, screen: PatientsScreen) -> None:
        super().__init__(screen)
        self.owner = screen

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_PageDown, Qt.Key.Key_PageUp)):
            self.owner.move_selection(event.key())
            return True
        return False


class PatientsScreen(QWidget):
    """Search page and record page. ``open_patient(patient_id)`` is the entry point other screens
    (diary, examination) use to show a patient's record."""

    open_screen = Signal(str)
    start_exam_for_patient = Signal(object, object)  # (patient id, None): the main window opens the exam
    open_exam_requested = Signal(object)  # exam id

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self._searching = 0  # ticket of the latest search sent
        self._pending = False
        self._open_first_when_found = False
        self.last_result: SearchResult | None = None
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        self.pages = QStackedWidget()
        root.addWidget(self.pages)
        self.search_page = self._build_search_page()
        self.record_page = PatientRecordPage(workspace)
        self.record_page.back_requested.connect(self.show_search)
        self.record_page.edit_requested.connect(self.edit_patient)
        self.record_page.start_exam_requested.connect(self._start_exam)
        self.record_page.open_exam_requested.connect(self.open_exam_requested)
        self.pages.addWidget(self.search_page)
        self.pages.addWidget(self.record_page)

        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(self.search_now)
        QShortcut(QKeySequence("Ctrl+N"), self).activated.connect(self.new_patient)
        QShortcut(QKeySequence("Ctrl+F"), self).activated.connect(self.show_search)
        changes.changed.connect(self._on_change)

    # --- building ----------------------------------------------------------------------------
    def _build_search_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(32, 28, 32, 24)
        layout.setSpacing(14)
        header = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(2)
        title = QLabel("Patients")
        title.setProperty("role", "title")
        subtitle = QLabel("Find a patient by name, date of birth, NHS number, postcode, phone or customer number.")
        subtitle.setProperty("role", "subtitle")
        titles.addWidget(title)
        titles.addWidget(subtitle)
        header.addLayout(titles, 1)
        self.new_button = QPushButton(icon("add", "#ffffff"), "New patient")
        self.new_button.setObjectName("newPatientButton")
        self.new_button.setProperty("role", "primary")
        self.new_button.setToolTip("Register a new patient (Ctrl+N)")
        self.new_button.clicked.connect(self.new_patient)
        if not self.workspace.can("patients.edit"):  # hide(): showing a parentless button opens a window
            self.new_button.hide()
        header.addWidget(self.new_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(header)

        search_row = QHBoxLayout()
        search_row.setSpacing(12)
        self.search = QLineEdit()
        self.search.setObjectName("patientSearch")
        self.search.setPlaceholderText("e.g.  smith 12/3/1960   ·   943 476 5919   ·   YO21 3PU   ·   07700 900123")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setMinimumHeight(40)
        self.search.textChanged.connect(self._typed)
        self.search.returnPressed.connect(self._enter_pressed)
        self.search.installEventFilter(_ArrowKeysToResults(self))
        search_row.addWidget(self.search, 1)
        self.include_archived = QCheckBox("Include archived")
        self.include_archived.setObjectName("includeArchived")
        self.include_archived.toggled.connect(lambda _on: self.search_now())
        search_row.addWidget(self.include_archived)
        layout.addLayout(search_row)

        self.status = QLabel("Start typing: results appear as you type. Enter opens the highlighted patient.")
        self.status.setObjectName("searchStatus")
        self.status.setProperty("role", "hint")
        layout.addWidget(self.status)

        self.model = PatientTableModel()
        self.table = QTableView()
        self.table.setObjectName("patientResults")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        polish_table(self.table)
        self._size_columns()
        self.table.doubleClicked.connect(lambda index: self._open_row(index.row()))
        self.table.activated.connect(lambda index: self._open_row(index.row()))
        layout.addWidget(self.table, 1)
        return page

    def _size_columns(self) -> None:
        """The name takes the spare width (a model reset forgets per-column modes, so after each)."""
        header_view = self.table.horizontalHeader()
        header_view.setStretchLastSection(False)
        header_view.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        for column, width in ((BORN, 150), (NHS, 130), (POSTCODE, 100), (PHONE, 140), (NUMBER, 80)):
            header_view.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            self.table.setColumnWidth(column, width)

    # --- searching ---------------------------------------------------------------------------
    def _typed(self, _text: str) -> None:
        self.search_timer.start()  # restarts: only a pause in typing sends a search

    def search_now(self) -> None:
        """Send the box's text to the search now (the debounce timer calls this)."""
        self.search_timer.stop()
        text = self.search.text()
        self._searching += 1
        ticket = self._searching
        if not text.strip():
            self._show_todays_patients(ticket)
            return
        self._pending = True
        database, context = self.workspace.database, self.workspace.context
        archived = self.include_archived.isChecked()

        def failed(error: BaseException) -> bool:
            if ticket != self._searching:
                return True  # an older search failed: the newer one speaks
            self._pending = False
            self._open_first_when_found = False
            return False

        run_op(lambda: patients.search_patients(database, context, text, include_archived=archived),
               on_done=lambda result: self._show_result(result, ticket), on_error=failed, parent=self)

    def _show_result(self, result: SearchResult, ticket: int) -> None:
        if ticket != self._searching:
            return  # a stale answer: the receptionist has typed more since
        self._pending = False
        self.last_result = result
        self.model.set_patients(list(result.patients))
        self._size_columns()
        if result.patients:
            self.table.selectRow(0)
        self.status.setText(self._status_text(result))
        if self._open_first_when_found:
            self._open_first_when_found = False
            if result.patients:
                self._open_row(0)

    def _show_todays_patients(self, ticket: int) -> None:
        """Before anything is typed, the list holds today's booked patients (most searches at the
        desk are for someone who has just walked in)."""
        self._pending = True
        database, context = self.workspace.database, self.workspace.context

        def show(booked: list[patients.BookedPatient]) -> None:
            if ticket != self._searching:
                return
            self._pending = False
            self.last_result = SearchResult("", classify(""))
            labels = [f"{b.starts_at:%H:%M} · {patients.VISIT_STATUS_LABELS.get(b.booking_status, '')}"
                      for b in booked]
            self.model.set_patients([b.patient for b in booked], labels)
            self._size_columns()
            self.status.setText(
                f"Today's appointments ({len(booked)}). Start typing to find anyone else — results appear as "
                "you type." if booked else "Start typing: results appear as you type. Enter opens the "
                "highlighted patient.")
            if self._open_first_when_found:
                self._open_first_when_found = False

        def failed(_error: BaseException) -> bool:
            if ticket == self._searching:
                self._pending = False
            return True  # today's list is a convenience: the search box still works

        if not self.workspace.can("diary.view"):
            show([])
            return
        run_op(lambda: patients.todays_patients(database, context), on_done=show, on_error=failed, parent=self)

    @staticmethod
    def _status_text(result: SearchResult) -> str:
        if result.hint:
            return result.hint
        if not result.text.strip():
            return "Start typing: results appear as you type. Enter opens the highlighted patient."
        count = len(result.patients)
        if not count:
            return ("No patient matches. Check the spelling or try the date of birth — or register a new "
                    "patient (Ctrl+N).")
        if result.more:
            return f"The best {count} matches — type more (or add the date of birth) to narrow them down."
        return f"{count} patient{'s' if count != 1 else ''} found. Enter opens the highlighted one."

    def move_selection(self, key: int) -> None:
        rows = self.model.rowCount()
        if not rows:
            return
        current = self.table.currentIndex().row() if self.table.currentIndex().isValid() else -1
        step = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1, Qt.Key.Key_PageDown: 10, Qt.Key.Key_PageUp: -10}[
            Qt.Key(key)]
        self.table.selectRow(max(0, min(rows - 1, current + step)))

    def _enter_pressed(self) -> None:
        if self.search_timer.isActive() or self._pending:
            # Enter before the answer came: open the first match when it does.
            self._open_first_when_found = True
            if self.search_timer.isActive():
                self.search_now()
            return
        index = self.table.currentIndex()
        if index.isValid():
            self._open_row(index.row())

    def _open_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.open_patient(self.model.rows[row].id)

    # --- pages -------------------------------------------------------------------------------
    def open_patient(self, patient_id: uuid.UUID) -> None:
        """Show a patient's record (called by the diary, the examination screen and the search)."""
        self.record_page.load(patient_id)
        self.pages.setCurrentWidget(self.record_page)
        self.record_page.back_button.setFocus()

    def show_search(self) -> None:
        self.pages.setCurrentWidget(self.search_page)
        self.search.setFocus()
        self.search.selectAll()

    def activated(self) -> None:
        if self.pages.currentWidget() is self.search_page:
            self.search.setFocus()
            self.search.selectAll()
            if not self.search.text().strip():
                self.search_now()  # today's appointments

    def _on_change(self, what: str) -> None:
        if what in ("patients", "diary") and self.pages.currentWidget() is self.search_page:
            self.search_now()

    # --- registering and editing -------------------------------------------------------------
    def new_patient(self) -> None:
        if not self.workspace.can("patients.edit") or not self.isVisible():
            return
        from ils_desktop.ui.widgets.patient_form import PatientFormDialog

        dialog = PatientFormDialog(self.workspace, parent=self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        if dialog.open_existing is not None:
            self.open_patient(dialog.open_existing)
        elif dialog.registered is not None:
            self.open_patient(dialog.registered.id)

    def edit_patient(self, record: PatientRecord) -> None:
        from ils_desktop.ui.widgets.patient_form import PatientFormDialog

        dialog = PatientFormDialog(self.workspace, record, parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.record_page.refresh()

    # --- to the examination screen (the main window brings it forward) -----------------------
    def _start_exam(self, patient_id: uuid.UUID) -> None:
        self.start_exam_for_patient.emit(patient_id, None)
