"""Patients (F3): find a patient as fast as you can type — by name, date of birth, NHS number,
postcode, phone or customer number — open their record, register a new patient (Ctrl+N).

The search is the shared ``PatientFinder``: typing is debounced, each search runs off the GUI
thread and only the latest answer is shown; Enter opens the highlighted patient (or the first match
when the answer is still on its way). Before anything is typed the list holds today's appointments.
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from ils_desktop.services import patients
from ils_desktop.services.patients import PatientRecord, SearchResult
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.screens.patient_record import PatientRecordPage
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import icon
from ils_desktop.ui.widgets.patient_finder import FULL_COLUMNS, PatientFinder

NOT_FOUND = "No patient matches. Check the spelling or try the date of birth — or register a new patient (Ctrl+N)."


class PatientsScreen(QWidget):
    """Search page and record page. ``open_patient(patient_id)`` is the entry point other screens
    (diary, examination) use to show a patient's record."""

    open_screen = Signal(str)
    start_exam_for_patient = Signal(object, object)  # (patient id, None): the main window opens the exam
    open_exam_requested = Signal(object)  # exam id

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self._today_ticket = 0
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
        subtitle.setWordWrap(True)
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

        self.finder = PatientFinder(
            self.workspace, columns=FULL_COLUMNS, archived_choice=True,
            placeholder="e.g.  smith 12/3/1960   ·   943 476 5919   ·   YO21 3PU   ·   07700 900123")
        self.finder.search.setMinimumHeight(40)
        self.finder.chosen.connect(lambda patient: self.open_patient(patient.id))
        self.finder.searched.connect(self._searched)
        self.finder.cleared.connect(self._show_todays_patients)
        layout.addWidget(self.finder, 1)
        # What tests and the main window reach for.
        self.search, self.model, self.status, self.table = (self.finder.search, self.finder.model,
                                                            self.finder.status, self.finder.table)
        return page

    @property
    def last_result(self) -> SearchResult | None:
        return self.finder.last_result

    def _searched(self, result: SearchResult) -> None:
        if not result.patients and not result.hint:
            self.finder.say(NOT_FOUND)

    def search_now(self) -> None:
        self.finder.search_now()

    def _show_todays_patients(self) -> None:
        """Before anything is typed, the list holds today's booked patients (most searches at the
        desk are for someone who has just walked in)."""
        if not self.workspace.can("diary.view"):
            return
        self._today_ticket += 1
        ticket = self._today_ticket

        def show(booked: list[patients.BookedPatient]) -> None:
            if ticket != self._today_ticket or self.finder.search.text().strip():
                return  # typing began meanwhile: the search speaks
            labels = [f"{b.starts_at:%H:%M} · {patients.VISIT_STATUS_LABELS.get(b.booking_status, '')}"
                      for b in booked]
            self.finder.show_patients([b.patient for b in booked], labels)
            if booked:
                self.finder.say(f"Today's appointments ({len(booked)}). Start typing to find anyone else — "
                                "matches appear as you type.")

        run_op(lambda: self.workspace.call(patients.todays_patients), on_done=show,
               on_error=lambda _error: True, parent=self)  # a convenience: the search box still works

    # --- pages -------------------------------------------------------------------------------
    def open_patient(self, patient_id: uuid.UUID) -> None:
        """Show a patient's record (called by the diary, the examination screen and the search)."""
        self.record_page.load(patient_id)
        self.pages.setCurrentWidget(self.record_page)
        self.record_page.back_button.setFocus()

    def show_search(self) -> None:
        self.pages.setCurrentWidget(self.search_page)
        self.finder.focus()

    def activated(self) -> None:
        if self.pages.currentWidget() is self.search_page:
            self.finder.focus()
            if not self.finder.search.text().strip():
                self.finder.search_now()  # today's appointments
        else:
            self.record_page.refresh_if_stale()

    def _on_change(self, what: str) -> None:
        if what in ("patients", "diary") and self.pages.currentWidget() is self.search_page:
            self.finder.search_now()

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
