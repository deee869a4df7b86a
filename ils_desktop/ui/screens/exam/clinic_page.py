"""The exam screen's first page: today's clinic, a patient finder and the unfinished examinations.

The clinician picks a booking (Enter or double-click), a patient found by name, or a draft; the page
says which with ``open_exam`` (an exam on record) or ``start_exam`` (patient, booking).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.exam import LONDON, age_on
from ils_desktop.domain.exam.clinic import next_in_clinic
from ils_desktop.services import clock, exams
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.screens.exam.banners import hhmm
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import icon, polish_table
from ils_desktop.ui.widgets.patient_finder import BORN, NAME, PatientFinder
from ils_desktop.ui.widgets.patient_header import role_label

CLINIC_COLUMNS = ("Time", "Patient", "Age", "Appointment", "Room", "Status")
STATUS_NAMES = {"booked": "Booked", "arrived": "Arrived", "in_test": "In test", "completed": "Seen"}


def _card(title: str) -> tuple[QFrame, QVBoxLayout]:
    card = QFrame()
    card.setProperty("role", "card")
    layout = QVBoxLayout(card)
    layout.setContentsMargins(18, 14, 18, 16)
    layout.setSpacing(10)
    heading = role_label(title, "section")
    layout.addWidget(heading)
    return card, layout


class ClinicPage(QWidget):
    open_exam = Signal(object)  # exam id
    start_exam = Signal(object, object)  # patient id, booking id (or None)
    loaded = Signal(bool)  # True when the page opened the patient in the test room itself

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.appointments: list[exams.ClinicAppointment] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 24)
        layout.setSpacing(16)
        layout.addWidget(role_label("Eye examination", "title"))
        layout.addWidget(role_label("Choose a patient to start, or continue an unfinished examination.",
                                    "subtitle"))
        columns = QHBoxLayout()
        columns.setSpacing(16)

        clinic, clinic_layout = _card("Today's clinic")
        self.clinic_heading = clinic_layout.itemAt(0).widget()
        self.clinic_list = QTableWidget(0, len(CLINIC_COLUMNS))
        self.clinic_list.setObjectName("clinicList")
        self.clinic_list.setHorizontalHeaderLabels(CLINIC_COLUMNS)
        self.clinic_list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.clinic_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.clinic_list.setTabKeyNavigation(False)
        polish_table(self.clinic_list)
        header = self.clinic_list.horizontalHeader()
        for column in range(len(CLINIC_COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.clinic_list.activated.connect(lambda index: self._chosen(index.row()))
        self.clinic_list.doubleClicked.connect(lambda index: self._chosen(index.row()))
        self.clinic_list.currentCellChanged.connect(lambda row, *_rest: self._selection(row))
        clinic_layout.addWidget(self.clinic_list, 1)
        self.clinic_empty = role_label("No patients booked with you today. Find a patient on the right to start an "
                                       "examination.", "hint", wrap=True)
        self.clinic_empty.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.clinic_empty.hide()
        clinic_layout.addWidget(self.clinic_empty, 1)
        self.start_button = QPushButton(icon("exam", "#ffffff"), "Start examination")
        self.start_button.setObjectName("startExamButton")
        self.start_button.setProperty("role", "primary")
        self.start_button.setEnabled(False)
        self.start_button.clicked.connect(lambda: self._chosen(self.clinic_list.currentRow()))
        clinic_layout.addWidget(self.start_button, 0, Qt.AlignmentFlag.AlignLeft)
        columns.addWidget(clinic, 2)  # the clinic list needs the width: names are read whole

        side = QVBoxLayout()
        side.setSpacing(16)
        find, find_layout = _card("Find a patient")
        self.finder = PatientFinder(workspace, columns=(NAME, BORN), placeholder="Name, date of birth or NHS number")
        self.finder.setObjectName("examPatientFinder")
        self.finder.chosen.connect(lambda patient: self.start_exam.emit(patient.id, None))
        find_layout.addWidget(self.finder, 1)
        side.addWidget(find, 3)
        drafts, drafts_layout = _card("Unfinished examinations")
        self.drafts_list = QListWidget()
        self.drafts_list.setObjectName("draftsList")
        self.drafts_list.itemActivated.connect(self._draft_chosen)
        drafts_layout.addWidget(self.drafts_list, 1)
        side.addWidget(drafts, 2)
        columns.addLayout(side, 1)
        layout.addLayout(columns, 1)

    # --- loading -----------------------------------------------------------------------------
    def refresh(self, *, resume: bool) -> None:
        """Load today's clinic and this clinician's drafts. With ``resume``, the patient already in
        the test room is opened at once (``open_exam``) instead of showing the list."""
        call, can_see_diary = self.workspace.call, self.workspace.can("diary.view")

        def work() -> tuple[list[exams.ClinicAppointment], list[exams.DraftSummary]]:
            return (call(exams.todays_clinic) if can_see_diary else []), call(exams.my_drafts)

        run_op(work, on_done=lambda result: self._loaded(*result, resume=resume), parent=self)

    def _loaded(self, clinic: list[exams.ClinicAppointment], drafts: list[exams.DraftSummary], *,
                resume: bool) -> None:
        self.appointments = clinic
        now = clock.now()
        upcoming = next_in_clinic(clinic, now)
        if resume and upcoming is not None and upcoming.status == "in_test" and upcoming.exam_id is not None:
            self.open_exam.emit(upcoming.exam_id)
            self.loaded.emit(True)
            return
        self.clinic_heading.setText(f"Today's clinic · {now:%A %d %B}")
        self.clinic_list.setRowCount(len(clinic))
        for row, appointment in enumerate(clinic):
            state = STATUS_NAMES.get(appointment.status, appointment.status.replace("_", " ").capitalize())
            if appointment.exam_status == "draft":
                state += " · draft"
            cells = (hhmm(appointment.starts_at), appointment.patient_name,
                     str(age_on(appointment.date_of_birth, now.date())), appointment.appointment_type_name,
                     appointment.room_name or "", state)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, appointment)
                if appointment.status == "completed":
                    item.setForeground(self.palette().placeholderText())
                self.clinic_list.setItem(row, column, item)
        for widget in (self.clinic_list, self.start_button):
            widget.setVisible(bool(clinic))
        self.clinic_empty.setVisible(not clinic)
        if upcoming is not None:
            self.clinic_list.setCurrentCell(clinic.index(upcoming), 0)
        self.drafts_list.clear()
        for draft in drafts:
            saved = f"saved {draft.saved_at.astimezone(LONDON):%d/%m %H:%M}" if draft.saved_at else "not saved yet"
            item = QListWidgetItem(f"{draft.patient_name}  ·  {saved}")
            item.setToolTip(f"Started {draft.exam_date.astimezone(LONDON):%d/%m/%Y %H:%M}")
            item.setData(Qt.ItemDataRole.UserRole, draft.exam_id)
            self.drafts_list.addItem(item)
        if not drafts:
            self.drafts_list.addItem(QListWidgetItem("None — every examination is finalised."))
            self.drafts_list.item(0).setFlags(Qt.ItemFlag.NoItemFlags)
        self.loaded.emit(False)

    def focus_first(self) -> None:
        if self.appointments:
            self.clinic_list.setFocus()
        else:
            self.finder.focus()

    # --- choosing ----------------------------------------------------------------------------
    def _appointment_at(self, row: int) -> exams.ClinicAppointment | None:
        item = self.clinic_list.item(row, 0) if row >= 0 else None
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _selection(self, row: int) -> None:
        appointment = self._appointment_at(row)
        self.start_button.setEnabled(appointment is not None)
        if appointment is not None:
            verb = "Open examination" if appointment.exam_id else "Start examination"
            self.start_button.setText(f"{verb} — {appointment.patient_name}")

    def _chosen(self, row: int) -> None:
        appointment = self._appointment_at(row)
        if appointment is None:
            return
        if appointment.exam_id is not None:
            self.open_exam.emit(appointment.exam_id)
        else:
            self.start_exam.emit(appointment.patient_id, appointment.booking_id)

    def _draft_chosen(self, item: QListWidgetItem) -> None:
        exam_id = item.data(Qt.ItemDataRole.UserRole)
        if exam_id is not None:
            self.open_exam.emit(exam_id)
