"""The one way to find a patient: a search box with the matches listed under it as you type.

It understands everything the practice's search does (``services.patients.find_patients``): a
name (accents, case and a typo forgiven), a date of birth, an NHS number, a postcode, a phone
number or a customer number — or a mix (``smith 12/3/1960``). Each match shows the name, date of
birth with age, customer number and postcode, so the right one of two namesakes is picked.

Keyboard first: type; Up/Down (Page Up/Down) move the highlight without leaving the box; Enter
picks the highlighted patient — or, when the answer is still on its way, the first match as soon
as it comes. Double-click picks too.

Use::

    finder = PatientFinder(workspace, parent)          # compact: name, born, no., postcode
    finder.chosen.connect(self.patient_chosen)         # a PatientListing
    layout.addWidget(finder)
    finder.focus()                                     # the cursor in the box, its text selected

``PatientFinder(workspace, parent, columns=FULL_COLUMNS)`` shows NHS number and phone too (the
Patients screen). ``set_text(text)`` searches for ``text`` now; ``current()`` is the highlighted
patient; ``searched`` tells whoever listens what each search found; ``cleared`` says the box was
emptied (the Patients screen then lists today's appointments with ``show_patients``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.exam import age_on
from ils_desktop.domain.patient_details import STATUS_LABELS
from ils_desktop.services import clock, patients
from ils_desktop.services.patients import PatientListing, SearchResult
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import PALETTE, icon, polish_table

SEARCH_DELAY_MS = 150
NAME, BORN, NUMBER, POSTCODE, NHS, PHONE = "Name", "Born", "No.", "Postcode", "NHS number", "Phone"
#: What a match shows in a dialog: enough to tell two namesakes apart.
COMPACT_COLUMNS = (NAME, BORN, NUMBER, POSTCODE)
#: The Patients screen's list.
FULL_COLUMNS = (NAME, BORN, NHS, POSTCODE, PHONE, NUMBER)
#: Widths of every column but the name, which takes the rest.
_WIDTHS = {BORN: 150, NUMBER: 80, POSTCODE: 100, NHS: 130, PHONE: 140}
_MUTED = (NHS, POSTCODE, PHONE, NUMBER)
_STARTING_HINT = "Start typing: matches appear as you type. Enter picks the highlighted patient."


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


def listing_name(patient: PatientListing) -> str:
    """``HUGHES, Margaret (Peggy) · Mrs``: surname first, as a register is read."""
    name = f"{patient.last_name.upper()}, {patient.first_name}"
    if patient.preferred_name and patient.preferred_name != patient.first_name:
        name += f" ({patient.preferred_name})"
    if patient.title:
        name += f" · {patient.title}"
    if patient.status != "active":
        name += f"  — {STATUS_LABELS[patient.status].lower()}"
    return name


class PatientTableModel(RowsModel[PatientListing]):
    """The matches, in the order the search ranked them, under the finder's columns."""

    def __init__(self, columns: tuple[str, ...] = COMPACT_COLUMNS) -> None:
        super().__init__()
        self.COLUMNS = columns  # type: ignore[misc]  # per finder, not per class
        self.notes: dict[int, str] = {}  # row → "09:30 · Arrived" when listing today's appointments
        self.today = clock.today()

    def set_patients(self, found: list[PatientListing], notes: list[str] | None = None) -> None:
        self.notes = dict(enumerate(notes)) if notes else {}
        self.today = clock.today()
        self.set_rows(found)

    def role_data(self, patient: PatientListing, index: Index, role: int) -> Any:
        column = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole:
            if patient.status != "active" or column in _MUTED:
                return QColor(PALETTE.TEXT_MUTED)
            return None
        if role == Qt.ItemDataRole.ToolTipRole and column == NAME and patient.has_allergies:
            return "Has allergies on record"
        return None

    def display(self, patient: PatientListing, index: Index) -> Any:
        column = self.COLUMNS[index.column()]
        if column == NAME:
            name = listing_name(patient)
            return f"{self.notes[index.row()]}   {name}" if index.row() in self.notes else name
        if column == BORN:
            return f"{patient.date_of_birth:%d/%m/%Y} ({patient.age(self.today)})"
        if column == NHS:
            return patient.nhs_number_display or "—"
        if column == POSTCODE:
            return patient.postcode or "—"
        if column == PHONE:
            return phone_text(patient.phone)
        return str(patient.customer_number)


class _Keys(QObject):
    """In the box, Up/Down and Page Up/Down move the highlight (the cursor stays in the box). In the
    box or the list, Enter picks — and goes no further, so a dialog around the finder does not also
    take it as its own Enter."""

    def __init__(self, finder: PatientFinder) -> None:
        super().__init__(finder)
        self.finder = finder

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.finder.choose_highlighted()
            return True
        if watched is self.finder.search and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_PageDown,
                                                             Qt.Key.Key_PageUp):
            self.finder.move_highlight(event.key())
            return True
        return False


class PatientFinder(QWidget):
    """A search box and its matches (see the module docstring for how to use it)."""

    chosen = Signal(object)  # PatientListing: Enter or double-click
    searched = Signal(object)  # SearchResult: every answer shown
    cleared = Signal()  # the box was emptied

    def __init__(self, workspace: Workspace, parent: QWidget | None = None, *,
                 columns: tuple[str, ...] = COMPACT_COLUMNS, archived_choice: bool = False,
                 placeholder: str = "Name, date of birth, NHS number, postcode, phone or customer number",
                 visible_rows: int | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.last_result: SearchResult | None = None
        self._ticket = 0
        self._pending = False
        self._choose_when_found = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)

        row = QHBoxLayout()
        row.setSpacing(12)
        self.search = QLineEdit()
        self.search.setObjectName("patientSearch")
        self.search.setPlaceholderText(placeholder)
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setMinimumHeight(36)
        row.addWidget(self.search, 1)
        self.include_archived = QCheckBox("Include archived")
        self.include_archived.setObjectName("includeArchived")
        self.include_archived.toggled.connect(lambda _on: self.search_now())
        row.addWidget(self.include_archived)
        if not archived_choice:
            self.include_archived.hide()  # (show() on a widget not yet parented would open it as a window)
        layout.addLayout(row)

        self.status = QLabel(_STARTING_HINT)
        self.status.setObjectName("searchStatus")
        self.status.setProperty("role", "hint")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)

        self.model = PatientTableModel(columns)
        self.table = QTableView()
        self.table.setObjectName("patientResults")
        self.table.setModel(self.model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        polish_table(self.table, row_height=32)
        self._size_columns()
        self.table.doubleClicked.connect(lambda index: self._choose_row(index.row()))
        keys = _Keys(self)
        self.search.installEventFilter(keys)
        self.table.installEventFilter(keys)
        if visible_rows is not None:
            header = self.table.horizontalHeader().sizeHint().height()
            self.table.setFixedHeight(header + visible_rows * 32 + 4)
        layout.addWidget(self.table, 1)

        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(SEARCH_DELAY_MS)
        self.timer.timeout.connect(self.search_now)
        self.search.textChanged.connect(lambda _t: self.timer.start())  # only a pause in typing searches

    # --- what the holder calls -------------------------------------------------------------------
    def focus(self) -> None:
        """The cursor in the box, its text selected (typing replaces it)."""
        self.search.setFocus()
        self.search.selectAll()

    def set_text(self, text: str) -> None:
        """Search for ``text`` now (as if typed)."""
        self.search.setText(text)
        self.search_now()

    def clear(self) -> None:
        self.search.clear()
        self.model.set_patients([])

    def current(self) -> PatientListing | None:
        index = self.table.currentIndex()
        return self.model.rows[index.row()] if index.isValid() and index.row() < len(self.model.rows) else None

    def say(self, text: str) -> None:
        """Put ``text`` in the hint line under the box."""
        self.status.setText(text)

    def show_patients(self, found: list[PatientListing], notes: list[str] | None = None) -> None:
        """List ``found`` without a search (e.g. today's appointments, with ``notes`` before each name)."""
        self._show(found, notes)
        if self._choose_when_found:
            self._choose_when_found = False

    # --- searching -------------------------------------------------------------------------------
    def search_now(self) -> None:
        """Send the box's text to the search now (the pause in typing calls this)."""
        self.timer.stop()
        text = self.search.text()
        self._ticket += 1
        ticket = self._ticket
        if not text.strip():
            self._pending = False
            self.last_result = None
            self.model.set_patients([])
            self.say(_STARTING_HINT)
            self.cleared.emit()
            return
        self._pending = True
        archived = self.include_archived.isChecked()

        def failed(_error: BaseException) -> bool:
            if ticket != self._ticket:
                return True  # an older search failed: the newer one speaks
            self._pending = False
            self._choose_when_found = False
            return False

        run_op(lambda: self.workspace.call(patients.find_patients, text, include_archived=archived),
               on_done=lambda result: self._answered(result, ticket), on_error=failed, parent=self)

    def _answered(self, result: SearchResult, ticket: int) -> None:
        if ticket != self._ticket:
            return  # a stale answer: more has been typed since
        self._pending = False
        self.last_result = result
        self._show(list(result.patients))
        self.say(self._status_text(result))
        self.searched.emit(result)
        if self._choose_when_found:
            self._choose_when_found = False
            if result.patients:
                self._choose_row(0)

    def _show(self, found: list[PatientListing], notes: list[str] | None = None) -> None:
        self.model.set_patients(found, notes)
        self._size_columns()
        if found:
            self.table.selectRow(0)

    @staticmethod
    def _status_text(result: SearchResult) -> str:
        if result.hint:
            return result.hint
        count = len(result.patients)
        if not count:
            return "No patient matches. Check the spelling or try the date of birth."
        if result.more:
            return f"The best {count} matches — type more (or add the date of birth) to narrow them down."
        return f"{count} patient{'s' if count != 1 else ''} found. Enter picks the highlighted one."

    def _size_columns(self) -> None:
        """The name takes the spare width (a model reset forgets per-column modes, so after each)."""
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        for column, title in enumerate(self.model.COLUMNS):
            if title == NAME:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
            else:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
                self.table.setColumnWidth(column, _WIDTHS[title])

    # --- choosing --------------------------------------------------------------------------------
    def move_highlight(self, key: int) -> None:
        rows = self.model.rowCount()
        if not rows:
            return
        current = self.table.currentIndex().row() if self.table.currentIndex().isValid() else -1
        step = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1, Qt.Key.Key_PageDown: 10, Qt.Key.Key_PageUp: -10}[Qt.Key(key)]
        self.table.selectRow(max(0, min(rows - 1, current + step)))

    def choose_highlighted(self) -> None:
        """Enter: the highlighted patient — or, before the answer came, the first match when it does."""
        if self.timer.isActive() or self._pending:
            self._choose_when_found = True
            if self.timer.isActive():
                self.search_now()
            return
        index = self.table.currentIndex()
        if index.isValid():
            self._choose_row(index.row())

    def _choose_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.chosen.emit(self.model.rows[row])


def born_text(born: date, today: date | None = None) -> str:
    """``born 14 Mar 1961 (65)``."""
    return f"born {born:%d %b %Y} ({age_on(born, today or clock.today())})"
