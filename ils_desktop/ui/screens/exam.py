"""The eye examination screen: where the optometrist spends the day.

Two pages: today's clinic (choose or continue a patient) and the examination itself — a patient
header, the record's ten numbered sections in one scrolling column, a section list with the
protocol checklist beside it, and banners for device readings, recovered changes and conflicts.

Keyboard first: Tab / Enter move through every field in record order, arrows move around the R/L
grids, Alt+1…Alt+0 jump to a section (Ctrl+PgDn / Ctrl+PgUp to the next / previous), Ctrl+S saves,
Ctrl+Enter finalises (after a confirmation answered with Enter). Drafts autosave two seconds after
the last change and when the screen is left, off the GUI thread; every change is also written to a
local recovery copy first, so nothing typed is lost if the workstation dies between saves.
"""

from __future__ import annotations

import importlib
import logging
import uuid
from dataclasses import replace
from datetime import datetime
from importlib.util import find_spec
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.exam import (
    LONDON,
    MEASUREMENT_NAMES,
    SECTION_TITLES,
    DeviceSource,
    ExamContent,
    age_on,
    apply_device_reading,
    block_for_measurement,
    describe_device_reading,
    finalising_problems,
    outstanding_items,
)
from ils_desktop.errors import DatabaseUnavailable, UserFacingError, ValidationFailed
from ils_desktop.services import exams
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import icon, polish_table, set_style_property
from ils_desktop.ui.widgets.exam_sections import (
    AnteriorSection,
    BinocularSection,
    CurrentSpectaclesSection,
    ExamSection,
    ObjectiveSection,
    OutcomeSection,
    PosteriorSection,
    PressuresFieldsSection,
    ReasonHistorySection,
    SubjectiveSection,
    VisionSection,
)
from ils_desktop.ui.widgets.exam_sections.fields import ChoiceField, ExamLineEdit, TickField
from ils_desktop.ui.widgets.patient_header import PatientHeader, clear_layout, role_label

log = logging.getLogger(__name__)

AUTOSAVE_MS = 2_000
RECOVERY_WRITE_MS = 150
RETRY_DELAYS_MS = (3_000, 10_000, 30_000)
CLINIC_COLUMNS = ("Time", "Patient", "Age", "Appointment", "Room", "Status")

# Which section holds each part of the record named in finalising problems.
PROBLEM_SECTIONS = {
    "reason_for_visit": "reason", "history": "reason", "vision": "vision", "current_spectacles": "current_spectacles",
    "objective_refraction": "objective", "keratometry": "objective", "subjective_refraction": "subjective",
    "binocular_vision": "binocular", "anterior_segment": "anterior", "posterior_segment": "posterior",
    "iop": "iop", "visual_fields": "iop", "management": "outcome", "recall": "outcome",
}


def _hhmm(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment.astimezone(LONDON):%H:%M}"


class Banner(QFrame):
    """A message across the top of the record with its actions (non-modal: work carries on)."""

    def __init__(self, name: str, role: str = "info", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.message = role_label(role=role, wrap=True)
        self.message.setObjectName(f"{name}Message")
        layout.addWidget(self.message, 1)
        self.buttons = QHBoxLayout()
        self.buttons.setSpacing(6)
        layout.addLayout(self.buttons)
        self.hide()

    def button(self, text: str, name: str, slot: Any, *, primary: bool = False) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        if primary:
            button.setProperty("role", "primary")
        button.clicked.connect(slot)
        self.buttons.addWidget(button)
        return button

    def clear_buttons(self) -> None:
        clear_layout(self.buttons)

    def say(self, text: str, role: str | None = None) -> None:
        self.message.setText(text)
        if role:
            set_style_property(self.message, "role", role)
        self.show()


class DeviceOffer(Banner):
    """"New autorefraction from ARK-1 (10:15)" with the values, to accept into the record or discard."""

    def __init__(self, kind: str, values: dict[str, Any], source: DeviceSource, parent: QWidget | None = None) -> None:
        super().__init__("deviceBanner", "info", parent)
        self.kind, self.values, self.source = kind, values, source
        block = block_for_measurement(kind)
        what = MEASUREMENT_NAMES.get(block, kind)
        self.say(f"New {what} from {source.device} ({_hhmm(source.received_at)}):   "
                 f"{describe_device_reading(kind, values)}")
        self.accept_button = self.button("Accept", "acceptReading", lambda: None, primary=True)
        self.discard_button = self.button("Discard", "discardReading", lambda: None)


class ExamScreen(QWidget):
    """The examination screen. ``open_exam``, ``start_for_patient`` and ``offer_device_reading``
    are its public entry points (the diary, the patient record and the device hub call them)."""

    open_screen = Signal(str)
    reading_settled = Signal(object, bool)  # (DeviceSource, accepted) — the device hub marks the reading
    exam_loaded = Signal(object)  # the ExamRecord now shown

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.record: exams.ExamRecord | None = None
        self.version = 0
        self.recovery = exams.DraftRecovery()
        self._saved_content: ExamContent | None = None
        self._device_sources: dict[str, DeviceSource] = {}
        self._change_count = 0
        self._saving = False
        self._save_again = False
        self._finalise_after_save = False
        self._retry = 0
        self._stale = False
        self._offers: list[DeviceOffer] = []
        self._clinic: list[exams.ClinicAppointment] = []
        self._opening = False

        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        self.pages = QStackedWidget()
        root.addWidget(self.pages)
        self.clinic_page = self._build_clinic_page()
        self.exam_page = self._build_exam_page()
        self.pages.addWidget(self.clinic_page)
        self.pages.addWidget(self.exam_page)

        self.autosave_timer = QTimer(self)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.timeout.connect(self.save_now)
        self.recovery_timer = QTimer(self)
        self.recovery_timer.setSingleShot(True)
        self.recovery_timer.timeout.connect(self.write_recovery)
        self.retry_timer = QTimer(self)
        self.retry_timer.setSingleShot(True)
        self.retry_timer.timeout.connect(self.save_now)
        self._shortcuts()
        QApplication.instance().focusChanged.connect(self._focus_changed)
        changes.changed.connect(self._on_change)

    # ============================================================================ building: clinic page
    def _build_clinic_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(32, 28, 32, 24)
        layout.setSpacing(16)
        title = role_label("Eye examination", "title")
        self.clinic_subtitle = role_label("Choose a patient to start, or continue an unfinished examination.",
                                          "subtitle")
        layout.addWidget(title)
        layout.addWidget(self.clinic_subtitle)
        columns = QHBoxLayout()
        columns.setSpacing(16)

        clinic = QFrame()
        clinic.setProperty("role", "card")
        clinic_layout = QVBoxLayout(clinic)
        clinic_layout.setContentsMargins(18, 14, 18, 16)
        clinic_layout.setSpacing(10)
        self.clinic_heading = role_label("Today's clinic", "section")
        clinic_layout.addWidget(self.clinic_heading)
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
        self.clinic_list.activated.connect(lambda index: self._clinic_item_chosen(index.row()))
        self.clinic_list.doubleClicked.connect(lambda index: self._clinic_item_chosen(index.row()))
        self.clinic_list.currentCellChanged.connect(lambda row, *_rest: self._clinic_selection(row))
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
        self.start_button.clicked.connect(lambda: self._clinic_item_chosen(self.clinic_list.currentRow()))
        clinic_layout.addWidget(self.start_button, 0, Qt.AlignmentFlag.AlignLeft)
        columns.addWidget(clinic, 3)

        side = QVBoxLayout()
        side.setSpacing(16)
        find = QFrame()
        find.setProperty("role", "card")
        find_layout = QVBoxLayout(find)
        find_layout.setContentsMargins(18, 14, 18, 16)
        find_layout.setSpacing(10)
        find_layout.addWidget(role_label("Find a patient", "section"))
        self.patient_search = QLineEdit()
        self.patient_search.setObjectName("examPatientSearch")
        self.patient_search.setPlaceholderText("Name (at least 2 letters)")
        self.patient_search.setClearButtonEnabled(True)
        self.patient_search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        find_layout.addWidget(self.patient_search)
        self.patient_results = QListWidget()
        self.patient_results.setObjectName("examPatientResults")
        self.patient_results.itemActivated.connect(self._patient_chosen)
        find_layout.addWidget(self.patient_results, 1)
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(250)
        self.search_timer.timeout.connect(self._search_patients)
        self.patient_search.textEdited.connect(lambda _t: self.search_timer.start())
        self.patient_search.returnPressed.connect(self._search_enter)
        side.addWidget(find, 3)
        drafts = QFrame()
        drafts.setProperty("role", "card")
        drafts_layout = QVBoxLayout(drafts)
        drafts_layout.setContentsMargins(18, 14, 18, 16)
        drafts_layout.setSpacing(10)
        drafts_layout.addWidget(role_label("Unfinished examinations", "section"))
        self.drafts_list = QListWidget()
        self.drafts_list.setObjectName("draftsList")
        self.drafts_list.itemActivated.connect(lambda item: self.open_exam(item.data(Qt.ItemDataRole.UserRole)))
        drafts_layout.addWidget(self.drafts_list, 1)
        side.addWidget(drafts, 2)
        columns.addLayout(side, 2)
        layout.addLayout(columns, 1)
        return page

    # ============================================================================ building: exam page
    def _build_exam_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(24, 18, 24, 14)
        layout.setSpacing(12)
        layout.addWidget(self._build_header())
        body = QHBoxLayout()
        body.setSpacing(14)
        body.addWidget(self._build_side_panel())
        right = QVBoxLayout()
        right.setSpacing(8)
        self.banners = QVBoxLayout()
        self.banners.setSpacing(6)
        self.notice = Banner("notice", "info")
        self.notice_close = self.notice.button("Dismiss", "dismissNotice", self.notice.hide)
        self.recovery_banner = Banner("recoveryBanner", "warning")
        self.stale_banner = Banner("staleBanner", "error")
        self.confirm_banner = Banner("confirmFinalise", "warning")
        self.confirm_button = self.confirm_banner.button("Finalise", "confirmFinaliseButton", self._confirm_finalise,
                                                         primary=True)
        self.confirm_button.setAutoDefault(True)
        self.confirm_banner.button("Keep editing", "cancelFinaliseButton", self._cancel_finalise)
        for banner in (self.notice, self.recovery_banner, self.stale_banner, self.confirm_banner):
            self.banners.addWidget(banner)
        right.addLayout(self.banners)

        self.sections: list[ExamSection] = [
            ReasonHistorySection(), VisionSection(), CurrentSpectaclesSection(), ObjectiveSection(),
            SubjectiveSection(), BinocularSection(), AnteriorSection(), PosteriorSection(), PressuresFieldsSection(),
            OutcomeSection(),
        ]
        self.section_by_key = {s.key: s for s in self.sections}
        self.subjective = self.section_by_key["subjective"]
        assert isinstance(self.subjective, SubjectiveSection)
        self.subjective.copy_requested.connect(self._start_subjective_from)
        self.outcome = self.section_by_key["outcome"]
        assert isinstance(self.outcome, OutcomeSection)
        scroll_body = QWidget()
        scroll_body.setObjectName("examSections")
        column = QVBoxLayout(scroll_body)
        column.setContentsMargins(0, 0, 8, 8)
        column.setSpacing(12)
        for section in self.sections:
            column.addWidget(section)
            section.edited.connect(self._edited)
        column.addWidget(self._build_addenda())
        column.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("examScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(scroll_body)
        right.addWidget(self.scroll, 1)
        body.addLayout(right, 1)
        layout.addLayout(body, 1)

        self.fields: list[Any] = [f for s in self.sections for f in s.fields]
        self._field_section = {id(f): s for s in self.sections for f in s.fields}
        self._enter_filter = _EnterMovesOn(self)
        for field in self.fields:
            field.installEventFilter(self._enter_filter)
        for first, second in zip(self.fields, self.fields[1:], strict=False):
            QWidget.setTabOrder(first, second)
        return page

    def _build_header(self) -> QWidget:
        header = PatientHeader("examHeader", facts_name="patientDetails", more_name="visitDetails")
        self.patient_name, self.flags = header.name, header.badges
        self.patient_details, self.visit_details = header.facts, header.more
        actions = header.actions
        status_row = QHBoxLayout()
        status_row.addStretch(1)
        self.status = role_label("", "badge", "examStatus")
        status_row.addWidget(self.status)
        actions.addLayout(status_row)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        self.clinic_button = QPushButton(icon("diary"), "Clinic")
        self.clinic_button.setObjectName("backToClinicButton")
        self.clinic_button.setToolTip("Back to today's clinic (Ctrl+Shift+C)")
        self.clinic_button.clicked.connect(self.show_clinic)
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("saveExamButton")
        self.save_button.setToolTip("Save the draft now (Ctrl+S); drafts also save themselves")
        self.save_button.clicked.connect(self.save_now)
        self.finalise_button = QPushButton(icon("check", "#ffffff"), "Finalise…")
        self.finalise_button.setObjectName("finaliseExamButton")
        self.finalise_button.setProperty("role", "primary")
        self.finalise_button.setToolTip("Finalise the examination (Ctrl+Enter)")
        self.finalise_button.clicked.connect(self.request_finalise)
        self.prescription_button = QPushButton("Issue prescription…")
        self.prescription_button.setObjectName("issuePrescriptionButton")
        self.prescription_button.setToolTip("Issue the prescription or statement (Ctrl+P)")
        self.prescription_button.clicked.connect(lambda: self._open_dialog(
            "ils_desktop.ui.widgets.issue_prescription", "IssuePrescriptionDialog", "Issuing prescriptions"))
        self.referral_button = QPushButton("Referral letter…")
        self.referral_button.setObjectName("referralLetterButton")
        self.referral_button.setToolTip("Write a referral letter (Ctrl+Shift+R)")
        self.referral_button.clicked.connect(lambda: self._open_dialog(
            "ils_desktop.ui.widgets.referral_dialog", "ReferralDialog", "Referral letters"))
        for button in (self.clinic_button, self.save_button, self.prescription_button, self.referral_button,
                       self.finalise_button):
            buttons.addWidget(button)
        actions.addLayout(buttons)
        return header

    def _build_side_panel(self) -> QWidget:
        panel = QWidget()
        panel.setFixedWidth(236)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        self.section_list = QListWidget()
        self.section_list.setObjectName("sectionList")
        self.section_list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # jump with Alt+N; the list is a map
        for number, key in enumerate(("reason", "vision", "current_spectacles", "objective", "subjective",
                                      "binocular", "anterior", "posterior", "iop", "outcome"), start=1):
            title = {"reason": "Reason & history", "vision": "Vision & VA", "current_spectacles": "Current specs",
                     "objective": "Objective & K", "subjective": "Subjective Rx", "binocular": "Binocular vision",
                     "anterior": "Anterior segment", "posterior": "Posterior segment", "iop": "IOP & fields",
                     "outcome": "Diagnosis & recall"}[key]
            item = QListWidgetItem(f"{number % 10}   {title}")
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setToolTip(f"Alt+{number % 10}")
            self.section_list.addItem(item)
        self.section_list.itemClicked.connect(lambda item: self.jump_to(item.data(Qt.ItemDataRole.UserRole)))
        self.section_list.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout.addWidget(self.section_list)

        checklist = QFrame()
        checklist.setProperty("role", "card")
        checklist.setObjectName("protocolChecklist")
        check_layout = QVBoxLayout(checklist)
        check_layout.setContentsMargins(14, 12, 14, 12)
        check_layout.setSpacing(6)
        self.checklist_title = role_label("Checklist", "section")
        check_layout.addWidget(self.checklist_title)
        self.checklist_body = QVBoxLayout()
        self.checklist_body.setSpacing(4)
        check_layout.addLayout(self.checklist_body)
        check_layout.addStretch(1)
        self.protocol_boxes: dict[tuple[str, str], QCheckBox] = {}
        holder = QScrollArea()
        holder.setWidgetResizable(True)
        holder.setWidget(checklist)
        holder.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout.addWidget(holder, 1)
        return panel

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        QTimer.singleShot(0, self._fit_section_list)

    def _fit_section_list(self) -> None:
        """Size the section map to show every section: item heights come from the style sheet and
        are only known once the list has been laid out."""
        row = self.section_list.sizeHintForRow(0)
        if row > 0:
            self.section_list.setFixedHeight(row * self.section_list.count() + 2 * self.section_list.frameWidth() + 8)

    def _build_addenda(self) -> QWidget:
        card = QFrame()
        card.setProperty("role", "card")
        card.setObjectName("addendaCard")
        layout = QVBoxLayout(card)
        layout.setContentsMargins(18, 14, 18, 16)
        layout.setSpacing(10)
        layout.addWidget(role_label("Addenda", "section"))
        layout.addWidget(role_label("A finalised record is never changed: corrections and later notes are added "
                                    "here with their author and time.", "hint", wrap=True))
        self.addenda_list = QVBoxLayout()
        self.addenda_list.setSpacing(8)
        layout.addLayout(self.addenda_list)
        self.addendum_text = QPlainTextEdit()
        self.addendum_text.setObjectName("addendumText")
        self.addendum_text.setTabChangesFocus(True)
        self.addendum_text.setPlaceholderText("Write an addendum…")
        self.addendum_text.setFixedHeight(self.addendum_text.fontMetrics().lineSpacing() * 3 + 18)
        layout.addWidget(self.addendum_text)
        self.addendum_button = QPushButton(icon("add"), "Add addendum")
        self.addendum_button.setObjectName("addAddendumButton")
        self.addendum_button.clicked.connect(self.add_addendum)
        layout.addWidget(self.addendum_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.addenda_card = card
        card.hide()
        return card

    def _shortcuts(self) -> None:
        def bind(sequence: str | QKeySequence, slot: Any) -> None:
            shortcut = QShortcut(QKeySequence(sequence), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

        keys = ("reason", "vision", "current_spectacles", "objective", "subjective", "binocular", "anterior",
                "posterior", "iop", "outcome")
        for number, key in enumerate(keys, start=1):
            bind(f"Alt+{number % 10}", lambda k=key: self.jump_to(k))
        bind("Ctrl+PgDown", lambda: self.jump_relative(1))
        bind("Ctrl+PgUp", lambda: self.jump_relative(-1))
        bind("Ctrl+S", self.save_now)
        bind("Ctrl+Return", self._ctrl_enter)
        bind("Ctrl+Enter", self._ctrl_enter)
        bind("Ctrl+P", self.prescription_button.click)
        bind("Ctrl+Shift+R", self.referral_button.click)
        bind("Ctrl+Shift+C", self.show_clinic)
        bind("Ctrl+Shift+H", self._fill_healthy)
        bind("Escape", self._escape)

    # ============================================================================ clinic page
    def activated(self) -> None:
        """Navigated to: show the open exam, resume the one in progress, or today's clinic."""
        if self.record is not None:
            return
        self.refresh_clinic(resume=True)

    def show_clinic(self) -> None:
        if self.record is not None and not self.record.is_finalised:
            self.save_now()
        self._close_exam()
        self.pages.setCurrentWidget(self.clinic_page)
        self.refresh_clinic(resume=False)

    def refresh_clinic(self, *, resume: bool) -> None:
        database, context = self.workspace.database, self.workspace.context

        def work() -> tuple[list[exams.ClinicAppointment], list[exams.DraftSummary]]:
            clinic = exams.todays_clinic(database, context) if context.can("diary.view") else []
            return clinic, exams.my_drafts(database, context)

        run_op(work, on_done=lambda result: self._clinic_loaded(*result, resume=resume), parent=self)

    def _clinic_loaded(self, clinic: list[exams.ClinicAppointment], drafts: list[exams.DraftSummary], *,
                       resume: bool) -> None:
        self._clinic = clinic
        upcoming = exams.next_in_clinic(clinic)
        if resume and self.record is None and upcoming is not None and upcoming.status == "in_test" \
                and upcoming.exam_id is not None:
            self.open_exam(upcoming.exam_id)
            return
        self.clinic_heading.setText(f"Today's clinic · {datetime.now(LONDON):%A %d %B}")
        self.clinic_list.setRowCount(len(clinic))
        today = datetime.now(LONDON).date()
        for row, appointment in enumerate(clinic):
            state = {"booked": "Booked", "arrived": "Arrived", "in_test": "In test", "completed": "Seen"}.get(
                appointment.status, appointment.status.replace("_", " ").capitalize())
            if appointment.exam_status == "draft":
                state += " · draft"
            cells = (_hhmm(appointment.starts_at), appointment.patient_name,
                     str(age_on(appointment.date_of_birth, today)), appointment.appointment_type_name,
                     appointment.room_name or "", state)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, appointment)
                if appointment.status == "completed":
                    item.setForeground(self.palette().placeholderText())
                self.clinic_list.setItem(row, column, item)
        self.clinic_empty.setVisible(not clinic)
        self.clinic_list.setVisible(bool(clinic))
        self.start_button.setVisible(bool(clinic))
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
        if self.record is None and not self._opening:  # an exam opened meanwhile keeps the screen
            self.pages.setCurrentWidget(self.clinic_page)
            (self.clinic_list if clinic else self.patient_search).setFocus()

    def _appointment_at(self, row: int) -> exams.ClinicAppointment | None:
        item = self.clinic_list.item(row, 0) if row >= 0 else None
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _clinic_selection(self, row: int) -> None:
        appointment = self._appointment_at(row)
        self.start_button.setEnabled(appointment is not None)
        if appointment is not None:
            verb = "Open examination" if appointment.exam_id else "Start examination"
            self.start_button.setText(f"{verb} — {appointment.patient_name}")

    def _clinic_item_chosen(self, row: int) -> None:
        appointment = self._appointment_at(row)
        if appointment is None:
            return
        if appointment.exam_id is not None:
            self.open_exam(appointment.exam_id)
        else:
            self.start_for_patient(appointment.patient_id, appointment.booking_id)

    def _search_enter(self) -> None:
        if self.patient_results.count() and self.patient_results.item(0).flags() & Qt.ItemFlag.ItemIsEnabled:
            self.patient_results.setCurrentRow(0)
            self.patient_results.setFocus()
        else:
            self._search_patients()

    def _search_patients(self) -> None:
        query = self.patient_search.text()
        database, context = self.workspace.database, self.workspace.context
        run_op(lambda: exams.find_patients(database, context, query),
               on_done=lambda found: self._patients_found(query, found), parent=self)

    def _patients_found(self, query: str, found: list[exams.PatientChoice]) -> None:
        if query != self.patient_search.text():
            return  # a newer search is on its way
        self.patient_results.clear()
        for patient in found:
            item = QListWidgetItem(patient.label)
            item.setData(Qt.ItemDataRole.UserRole, patient.id)
            self.patient_results.addItem(item)
        if not found and len(query.strip()) >= 2:
            item = QListWidgetItem("No patient with that name.")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.patient_results.addItem(item)

    def _patient_chosen(self, item: QListWidgetItem) -> None:
        patient_id = item.data(Qt.ItemDataRole.UserRole)
        if patient_id is not None:
            self.start_for_patient(patient_id)

    def _on_change(self, what: str) -> None:
        if what in ("diary", "patients", "exams") and self.pages.currentWidget() is self.clinic_page \
                and self.isVisible() and self.record is None and not self._opening:
            self.refresh_clinic(resume=False)

    # ============================================================================ opening
    def start_for_patient(self, patient_id: uuid.UUID, booking_id: uuid.UUID | None = None) -> None:
        """Start (or resume, for a booking that has one) an examination and open it."""
        database, context = self.workspace.database, self.workspace.context
        self._opening = True

        def failed(_error: BaseException) -> bool:
            self._opening = False
            return False

        run_op(lambda: exams.start_exam(database, context, patient_id, booking_id),
               on_done=self._started, on_error=failed, parent=self)

    def _started(self, exam_id: uuid.UUID) -> None:
        self.open_exam(exam_id)
        changes.changed.emit("diary")  # the booking is now "in test"

    def open_exam(self, exam_id: uuid.UUID) -> None:
        """Show an examination (a draft to work on, or a finalised record to read and add to)."""
        if self.record is not None and self.record.id != exam_id and not self.record.is_finalised:
            self.save_now()
        database, context = self.workspace.database, self.workspace.context
        self._opening = True

        def failed(_error: BaseException) -> bool:
            self._opening = False
            return False

        run_op(lambda: exams.load_exam(database, context, exam_id), on_done=self._show_record, on_error=failed,
               parent=self)

    def _close_exam(self) -> None:
        self.autosave_timer.stop()
        self.retry_timer.stop()
        if self.recovery_timer.isActive():
            self.recovery_timer.stop()
            self.write_recovery()
        self.record = None
        for offer in self._offers:
            offer.deleteLater()
        self._offers.clear()

    def _show_record(self, record: exams.ExamRecord) -> None:
        self._opening = False
        switching = self.record is None or self.record.id != record.id
        if switching:
            self._close_exam()
            self._last_saved = None
        self.record = record
        self.version = record.version
        self._saved_content = record.content
        self._device_sources = dict(record.content.device_sources)
        self._stale = False
        self._retry = 0
        for banner in (self.recovery_banner, self.stale_banner, self.confirm_banner):
            banner.hide()
        self._fill(record.content)
        self._show_header(record)
        self._show_checklist(record)
        self._show_addenda(record)
        read_only = record.is_finalised
        for section in self.sections:
            section.set_read_only(read_only)
        for name in ("copy_objective", "copy_spectacles"):
            button = self.subjective.findChild(QPushButton, name)
            if button is not None:
                button.setVisible(not read_only)
        self.addenda_card.setVisible(read_only)
        self.save_button.setVisible(not read_only)
        self.finalise_button.setVisible(not read_only)
        self.prescription_button.setEnabled(read_only)
        self.referral_button.setEnabled(read_only)
        if record.previous is not None:
            previous = record.previous
            self.subjective.show_previous(
                f"Last Rx {previous.exam_date.astimezone(LONDON):%d/%m/%Y} ({previous.clinician_name}):   "
                f"{previous.summary}")
        else:
            self.subjective.show_previous("No previous examination on record.")
        self._show_status()
        self.pages.setCurrentWidget(self.exam_page)
        QTimer.singleShot(0, self._fit_section_list)
        if switching:
            self.scroll.verticalScrollBar().setValue(0)
            if read_only:
                self.addendum_text.setFocus()
            else:
                self._focus(self.sections[0].first_field())
        if not read_only:
            recovered = self.recovery.differs_from(record)
            if recovered is not None:
                self._offer_recovery(recovered)
        self.exam_loaded.emit(record)

    def _fill(self, content: ExamContent) -> None:
        for section in self.sections:
            section.fill(content)
            for block in ("current_spectacles", "objective_refraction", "keratometry", "iop"):
                section.set_source(block, content.device_sources.get(block))
        self._update_progress(content)
        self._show_suggestion()

    def _show_header(self, record: exams.ExamRecord) -> None:
        patient = record.patient
        self.patient_name.setText(" ".join(p for p in (patient.title, patient.name) if p))
        details = [f"{patient.age} years", f"born {patient.date_of_birth:%d/%m/%Y}"]
        if patient.nhs_number_display:
            details.append(f"NHS {patient.nhs_number_display}")
        details.append(f"No. {patient.customer_number}")
        self.patient_details.setText("  ·  ".join(details))
        when = record.exam_date.astimezone(LONDON)
        self.visit_details.setText(f"{record.appointment_type_name}  ·  {record.clinician_name}  ·  "
                                   f"{when:%a %d %b %Y, %H:%M}")
        clear_layout(self.flags)
        if patient.allergies:
            self._flag(f"Allergies: {patient.allergies}", "danger")
        for flag in patient.medical_flags:
            self._flag(flag, "warning")

    def _flag(self, text: str, tone: str) -> None:
        badge = role_label(text if len(text) <= 40 else text[:38] + "…", "badge")
        badge.setProperty("tone", tone)
        badge.setToolTip(text)
        self.flags.addWidget(badge)

    # ============================================================================ status
    def _show_status(self, text: str | None = None, tone: str | None = None) -> None:
        record = self.record
        if record is None:
            return
        if text is None:
            if record.is_finalised:
                by = f" by {record.finalised_by_name}" if record.finalised_by_name else ""
                text, tone = f"Finalised {record.finalised_at.astimezone(LONDON):%d/%m/%Y %H:%M}{by}" \
                    if record.finalised_at else "Finalised", "success"
            elif self._dirty():
                text, tone = "Draft · changes not saved yet", "neutral"
            elif record.draft_saved_at or self._last_saved:
                text, tone = f"Draft · saved {_hhmm(self._last_saved or record.draft_saved_at)}", "success"
            else:
                text, tone = "Draft", "neutral"
        self.status.setText(text)
        set_style_property(self.status, "tone", tone or "neutral")

    _last_saved: datetime | None = None

    def _dirty(self) -> bool:
        return self.record is not None and not self.record.is_finalised and (
            self.collect() != self._saved_content or bool(self._unparsed()))

    # ============================================================================ editing
    def collect(self) -> ExamContent:
        """The record as it is on screen (invalid fields count as blank: see ``_unparsed``)."""
        content = self.record.content if self.record is not None else ExamContent()
        for section in self.sections:
            content = section.store(content)
        return replace(content, device_sources=dict(self._device_sources), protocol_checks=self._protocol_checks())

    def _unparsed(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for section in self.sections:
            found.update(section.unparsed())
        return found

    def _edited(self, block: str) -> None:
        if self.record is None or self.record.is_finalised:
            return
        source = self._device_sources.get(block)
        if source is not None and not source.edited:
            # The clinician changed a device value: keep the source, and say the values were edited.
            self._device_sources[block] = replace(source, edited=True)
            for section in self.sections:
                section.set_source(block, self._device_sources[block])
        self._changed()

    def _changed(self) -> None:
        self._change_count += 1
        self.recovery_timer.start(RECOVERY_WRITE_MS)
        if not self._stale:
            self.autosave_timer.start(AUTOSAVE_MS)
        if not self._saving:
            self._show_status("Draft · changes not saved yet", "neutral")
        self._update_progress(self.collect())
        self._show_suggestion()

    def write_recovery(self) -> None:
        """Write the local crash-recovery copy of what is on screen (before any autosave)."""
        if self.record is None or self.record.is_finalised:
            return
        try:
            self.recovery.write(self.record.id, self.collect(), self.version, self._unparsed())
        except OSError as error:
            log.warning("could not write the exam recovery copy: %s", error)

    def _update_progress(self, content: ExamContent) -> None:
        for row in range(self.section_list.count()):
            item = self.section_list.item(row)
            section = self.section_by_key[item.data(Qt.ItemDataRole.UserRole)]
            done = section.is_recorded(content)
            item.setIcon(icon("check", "#15803D") if done else icon("chevron-right", "#A7B2BD"))

    def _show_suggestion(self) -> None:
        record = self.record
        if record is None:
            return
        months = self.outcome.recall.value()
        due = ""
        if months:
            from ils_desktop.domain.exam import add_months

            due = f"Due {add_months(record.exam_date.astimezone(LONDON).date(), months):%d/%m/%Y}."
        if record.recall_due and record.is_finalised:
            due = f"Recall due {record.recall_due:%d/%m/%Y}."
        self.outcome.show_suggestion(record.recall_suggestion, due)

    def _start_subjective_from(self, which: str) -> None:
        content = self.collect()
        if which == "objective":
            scas = {"R": content.objective_refraction.R, "L": content.objective_refraction.L}
        else:
            scas = {"R": content.current_spectacles.R.sca, "L": content.current_spectacles.L.sca}
        if not self.subjective.start_from(scas):
            what = "objective refraction" if which == "objective" else "current spectacles"
            self._say(f"Nothing to copy: record the {what} first (only blank fields are filled).", "info")
        self._focus(self.subjective.sca["R"])

    # ============================================================================ checklist
    def _show_checklist(self, record: exams.ExamRecord) -> None:
        clear_layout(self.checklist_body)
        self.protocol_boxes.clear()
        checks = record.content.protocol_checks
        if not record.protocols:
            self.checklist_body.addWidget(role_label("No protocol applies to this appointment.", "hint", wrap=True))
        for protocol in record.protocols:
            heading = role_label(protocol.title, "field-label", wrap=True)
            self.checklist_body.addWidget(heading)
            for item_text in protocol.items:
                row = _ChecklistItem(item_text)
                box = row.box
                box.setChecked(bool(checks.get(protocol.title, {}).get(item_text, False)))
                box.setEnabled(not record.is_finalised)
                box.toggled.connect(lambda _on: (self._changed(), self._update_checklist_title()))
                self.protocol_boxes[(protocol.title, item_text)] = box
                self.checklist_body.addWidget(row)
        self._update_checklist_title()

    def _protocol_checks(self) -> dict[str, dict[str, bool]]:
        checks: dict[str, dict[str, bool]] = {}
        if self.record is not None:
            checks = {title: dict(items) for title, items in self.record.content.protocol_checks.items()}
        for (title, item), box in self.protocol_boxes.items():
            # Unticked items that were never ticked stay out: an untouched checklist is no change.
            if box.isChecked() or item in checks.get(title, {}):
                checks.setdefault(title, {})[item] = box.isChecked()
        return checks

    def _update_checklist_title(self) -> None:
        total = len(self.protocol_boxes)
        done = sum(1 for box in self.protocol_boxes.values() if box.isChecked())
        self.checklist_title.setText(f"Checklist  {done}/{total}" if total else "Checklist")

    # ============================================================================ navigation
    def _focus(self, widget: QWidget | None) -> None:
        if widget is None:
            return
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
        if isinstance(widget, QLineEdit):
            widget.selectAll()
        self.scroll.ensureWidgetVisible(widget, 40, 60)

    def jump_to(self, key: str) -> None:
        """Show a section and put the cursor in its first field (Alt+1…Alt+0)."""
        if self.pages.currentWidget() is not self.exam_page:
            return
        section = self.section_by_key[key]
        self.scroll.verticalScrollBar().setValue(max(0, section.y() - 4))
        if self.record is not None and self.record.is_finalised:
            return
        self._focus(section.first_field())
        self.scroll.verticalScrollBar().setValue(max(0, section.y() - 4))

    def jump_relative(self, step: int) -> None:
        current = self._current_section()
        index = self.sections.index(current) if current is not None else -1
        target = self.sections[max(0, min(len(self.sections) - 1, index + step))]
        self.jump_to(target.key)

    def _current_section(self) -> ExamSection | None:
        widget = QApplication.focusWidget()
        while widget is not None:
            if isinstance(widget, ExamSection):
                return widget
            widget = widget.parentWidget()
        return None

    def move_to_next_field(self, field: QWidget, step: int = 1) -> None:
        """Enter: the next field of the record (the same order as Tab)."""
        try:
            index = self.fields.index(field)
        except ValueError:
            return
        position = index + step
        while 0 <= position < len(self.fields):
            candidate = self.fields[position]
            if candidate.isEnabled() and candidate.isVisible():
                self._focus(candidate)
                return
            position += step

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new is None or self.pages.currentWidget() is not self.exam_page:
            return
        section = self._field_section.get(id(new))
        if section is None:
            return
        for row in range(self.section_list.count()):
            if self.section_list.item(row).data(Qt.ItemDataRole.UserRole) == section.key:
                self.section_list.blockSignals(True)
                self.section_list.setCurrentRow(row)
                self.section_list.blockSignals(False)
                break

    def _fill_healthy(self) -> None:
        """Ctrl+Shift+H: the usual healthy findings into the blank fields of the current section."""
        section = self._current_section()
        if self.record is None or self.record.is_finalised:
            return
        if section is None or not section.fill_healthy():
            self._say("Ctrl+Shift+H fills healthy findings into the blank fields of the anterior or posterior "
                      "segment: put the cursor in one of those sections first.", "info")

    def _escape(self) -> None:
        if self.confirm_banner.isVisible():
            self._cancel_finalise()

    def _ctrl_enter(self) -> None:
        if self.record is None:
            return
        if self.record.is_finalised:
            if self.addendum_text.toPlainText().strip():
                self.add_addendum()
            return
        if self.confirm_banner.isVisible():
            self._confirm_finalise()
        else:
            self.request_finalise()

    # ============================================================================ saving
    def save_now(self) -> None:
        """Save the draft now (autosave, Ctrl+S, leaving the screen); off the GUI thread."""
        record = self.record
        if record is None or record.is_finalised or self._stale:
            return
        self.autosave_timer.stop()
        if self._saving:
            self._save_again = True
            return
        content = self.collect()
        if content == self._saved_content:
            self._after_save_settled()
            return
        self._saving, self._save_again = True, False
        counted = self._change_count
        self._show_status("Saving…", "warning")
        database, context, exam_id, version = self.workspace.database, self.workspace.context, record.id, self.version
        run_op(lambda: exams.save_draft(database, context, exam_id, content, version),
               on_done=lambda saved: self._saved(exam_id, content, counted, saved),
               on_error=lambda error: self._save_failed(exam_id, error), parent=self)

    def _saved(self, exam_id: uuid.UUID, content: ExamContent, counted: int, saved: exams.SavedDraft) -> None:
        self._saving = False
        if self.record is None or self.record.id != exam_id:
            return
        self.version = saved.version
        self._saved_content = content
        self._last_saved = saved.saved_at
        self._retry = 0
        if counted == self._change_count and not self._unparsed():
            self.recovery.discard(exam_id)  # the database has exactly what the copy held
        self._after_save_settled()

    def _after_save_settled(self) -> None:
        if self._save_again:  # changes arrived while saving: save them too
            self._save_again = False
            self.save_now()
            return
        self._show_status()
        if self._finalise_after_save:
            self._finalise_after_save = False
            self._finalise()

    def _save_failed(self, exam_id: uuid.UUID, error: BaseException) -> bool:
        self._saving = False
        if self.record is None or self.record.id != exam_id:
            return True
        if isinstance(error, exams.StaleExam):
            self._stale = True
            self._finalise_after_save = False
            self._show_status("Not saved — changed elsewhere", "danger")
            self.stale_banner.clear_buttons()
            self.stale_banner.button("Reload saved version", "reloadExamButton", self._reload_theirs)
            self.stale_banner.button("Keep my changes", "keepMineButton", self._keep_mine, primary=True)
            self.stale_banner.say(str(error))
            return True
        if isinstance(error, exams.ExamFinalised):
            self._say(str(error), "warning")
            self.open_exam(exam_id)
            return True
        if isinstance(error, ValidationFailed):
            self._show_status("Not saved — check the marked values", "danger")
            self._show_problems(error.problems)
            return True
        if isinstance(error, DatabaseUnavailable):
            # The connection dropped (or the server restarted): keep everything on screen and try again.
            log.warning("autosave failed, will retry: %s", error)
            delay = RETRY_DELAYS_MS[min(self._retry, len(RETRY_DELAYS_MS) - 1)]
            self._retry += 1
            self._show_status("Not saved — retrying", "danger")
            self.retry_timer.start(delay)
            return True
        self._show_status("Not saved", "danger")  # everything stays on screen and in the recovery copy
        return False

    def _reload_theirs(self) -> None:
        if self.record is None:
            return
        self.recovery.discard(self.record.id)
        exam_id = self.record.id
        self.record = None
        self.open_exam(exam_id)

    def _keep_mine(self) -> None:
        record = self.record
        if record is None:
            return
        database, context, exam_id = self.workspace.database, self.workspace.context, record.id

        def adopt(version: int) -> None:
            self.version = version
            self._stale = False
            self.stale_banner.hide()
            self.save_now()

        run_op(lambda: exams.current_version(database, context, exam_id), on_done=adopt, parent=self)

    def hideEvent(self, event: Any) -> None:
        # Leaving the screen (another screen, lock, sign-out) saves what is there.
        if self.record is not None and not self.record.is_finalised:
            if self.recovery_timer.isActive():
                self.recovery_timer.stop()
                self.write_recovery()
            self.save_now()
        super().hideEvent(event)

    # ============================================================================ recovery
    def _offer_recovery(self, recovered: exams.RecoveredDraft) -> None:
        banner = self.recovery_banner
        banner.clear_buttons()
        banner.button("Restore them", "restoreRecoveredButton", lambda: self._restore(recovered), primary=True)
        banner.button("Discard", "discardRecoveredButton", lambda: self._discard_recovered(recovered))
        banner.say(f"Changes typed on this computer at {_hhmm(recovered.written_at)} were not saved to the "
                   "database (the workstation may have closed). Restore them?")

    def _restore(self, recovered: exams.RecoveredDraft) -> None:
        self.recovery_banner.hide()
        self._device_sources = dict(recovered.content.device_sources)
        self._fill(recovered.content)
        for section in self.sections:
            section.restore_unparsed(recovered.unparsed)
        for (title, item), box in self.protocol_boxes.items():
            box.blockSignals(True)
            box.setChecked(bool(recovered.content.protocol_checks.get(title, {}).get(item, False)))
            box.blockSignals(False)
        self._update_checklist_title()
        self._changed()

    def _discard_recovered(self, recovered: exams.RecoveredDraft) -> None:
        self.recovery_banner.hide()
        self.recovery.discard(recovered.exam_id)

    # ============================================================================ finalising
    def request_finalise(self) -> None:
        """Ctrl+Enter: check the record here, then ask for confirmation (answered with Enter)."""
        record = self.record
        if record is None or record.is_finalised:
            return
        for section in self.sections:
            for field in section.fields:
                if hasattr(field, "tidy"):
                    field.tidy()
        unreadable = {s.key: "; ".join(s.field_problems()) for s in self.sections if s.field_problems()}
        if unreadable:
            self._show_problems(unreadable, heading="Some values cannot be used yet:")
            return
        content = self.collect()
        problems = finalising_problems(content, record.appointment_type)
        if problems:
            self._show_problems(problems, heading="Before finalising:")
            return
        outstanding = outstanding_items(record.protocols, content.protocol_checks)
        extra = ""
        if outstanding:
            extra = f"  {len(outstanding)} checklist item{'s' if len(outstanding) > 1 else ''} not ticked: " \
                    + "; ".join(outstanding[:3]) + ("…" if len(outstanding) > 3 else "") + "."
        self.confirm_banner.say("Finalise this examination? It becomes read-only; later corrections are added as "
                                f"addenda. Press Enter to finalise, Esc to keep editing.{extra}")
        self.confirm_button.setFocus()

    def _cancel_finalise(self) -> None:
        self.confirm_banner.hide()
        self._focus(self.outcome.first_field())

    def _confirm_finalise(self) -> None:
        self.confirm_banner.hide()
        if self._saving:
            self._finalise_after_save = True
            return
        self._finalise()

    def _finalise(self) -> None:
        record = self.record
        if record is None or record.is_finalised:
            return
        self.autosave_timer.stop()
        self.retry_timer.stop()
        content = self.collect()
        database, context, exam_id, version = self.workspace.database, self.workspace.context, record.id, self.version
        self.finalise_button.setEnabled(False)
        self._show_status("Finalising…", "warning")
        run_op(lambda: exams.finalise_exam(database, context, exam_id, content, version),
               on_done=lambda done: self._finalised(exam_id, done),
               on_error=lambda error: self._finalise_failed(error), parent=self)

    def _finalised(self, exam_id: uuid.UUID, done: exams.FinalisedExam) -> None:
        self.finalise_button.setEnabled(True)
        self.recovery.discard(exam_id)
        self._say(f"Finalised. Recall due {done.recall_due:%d/%m/%Y} ({done.recall_reason}). Issue the "
                  "prescription or statement next (Ctrl+P).", "success")
        for what in ("exams", "diary", "recalls"):
            changes.changed.emit(what)
        if self.record is not None:
            self.record = replace(self.record, status="finalised")
            for section in self.sections:
                section.set_read_only(True)
            self._show_status()
        self.open_exam(exam_id)

    def _finalise_failed(self, error: BaseException) -> bool:
        self.finalise_button.setEnabled(True)
        self._show_status()
        if isinstance(error, exams.RegistrationNotCurrent):
            self.notice.clear_buttons()
            if self.workspace.can("users.manage"):
                self.notice.button("Record GOC check…", "recordGocCheckButton", self._record_goc_check, primary=True)
            self.notice.button("Dismiss", "dismissNotice", self.notice.hide)
            self.notice.say(str(error), "error")
            return True
        if isinstance(error, ValidationFailed):
            self._show_problems(error.problems, heading="Before finalising:")
            return True
        if isinstance(error, exams.StaleExam | exams.ExamFinalised):
            return self._save_failed(self.record.id if self.record else uuid.uuid4(), error)
        if isinstance(error, UserFacingError):
            self._say(f"Not finalised: {error}", "error")
            return True
        return False

    def _record_goc_check(self) -> None:
        from ils_desktop.ui.widgets.goc_check_dialog import GocCheckDialog

        user = self.workspace.signed_in
        dialog = GocCheckDialog(self.workspace, user.context.user_id, user.user_name, parent=self)
        if dialog.exec():
            self._say("GOC check recorded. Press Ctrl+Enter to finalise.", "success")

    def _show_problems(self, problems: dict[str, str], heading: str = "") -> None:
        lines = []
        first_section: ExamSection | None = None

        def record_order(key: str) -> int:
            section = self.section_by_key.get(PROBLEM_SECTIONS.get(key, key))
            return section.number if section is not None else 99

        for key in sorted(problems, key=record_order):
            section = self.section_by_key.get(PROBLEM_SECTIONS.get(key, key))
            title = SECTION_TITLES.get(key, section.title if section else key)
            number = f"{section.number}  " if section is not None else ""
            lines.append(f"• {number}{title}: {problems[key]}")
            if section is not None and first_section is None:
                first_section = section
        self._say("\n".join(([heading] if heading else []) + lines), "error")
        if first_section is not None:
            self.jump_to(first_section.key)

    def _say(self, text: str, role: str = "info") -> None:
        self.notice.clear_buttons()
        self.notice.button("Dismiss", "dismissNotice", self.notice.hide)
        self.notice.say(text, role)

    # ============================================================================ addenda
    def _show_addenda(self, record: exams.ExamRecord) -> None:
        clear_layout(self.addenda_list)
        for addendum in record.addenda:
            self.addenda_list.addWidget(self._addendum_widget(addendum))
        if not record.addenda:
            self.addenda_list.addWidget(role_label("No addenda.", "hint"))

    def _addendum_widget(self, addendum: exams.Addendum) -> QWidget:
        box = QWidget()
        box.setObjectName("addendum")
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        written = f"{addendum.created_at.astimezone(LONDON):%d/%m/%Y %H:%M}"
        layout.addWidget(role_label(f"{addendum.author_name}  ·  {written}", "field-label"))
        layout.addWidget(role_label(addendum.body, "card-value", wrap=True))
        return box

    def add_addendum(self) -> None:
        record = self.record
        text = self.addendum_text.toPlainText()
        if record is None or not text.strip():
            self.addendum_text.setFocus()
            return
        self.addendum_button.setEnabled(False)
        database, context = self.workspace.database, self.workspace.context
        run_op(lambda: exams.add_addendum(database, context, record.id, text),
               on_done=self._addendum_added, on_error=self._addendum_failed, parent=self)

    def _addendum_added(self, addendum: exams.Addendum) -> None:
        self.addendum_button.setEnabled(True)
        self.addendum_text.clear()
        if self.record is not None:
            self.record = replace(self.record, addenda=(*self.record.addenda, addendum))
            self._show_addenda(self.record)
        changes.changed.emit("exams")

    def _addendum_failed(self, error: BaseException) -> bool:
        self.addendum_button.setEnabled(True)
        if isinstance(error, UserFacingError):
            self._say(str(error), "error")
            return True
        return False

    # ============================================================================ prescription & referral
    def _open_dialog(self, module_name: str, class_name: str, what: str) -> None:
        record = self.record
        if record is None or not record.is_finalised:
            self._say("Finalise the examination first: the prescription and referral are issued from the "
                      "finalised record.", "info")
            return
        if find_spec(module_name) is None:
            self._say(f"{what} are not available on this workstation yet. The examination is saved; you can "
                      "come back to it from the patient's record.", "info")
            return
        dialog_class = getattr(importlib.import_module(module_name), class_name)
        dialog_class(self.workspace, record.id, self).exec()

    # ============================================================================ devices
    def offer_device_reading(self, kind: str, values: dict[str, Any], source: DeviceSource) -> bool:
        """Offer a device reading for the open draft in a non-modal banner (Accept / Discard).

        ``kind`` is the measurement kind (``autorefraction``, ``lensometry``, ``keratometry``,
        ``tonometry``); ``values`` one measurement of the device JSON contract (or its ``eyes``).
        Returns False when no draft is open or the kind fills no block (the reading stays in the
        device inbox).
        """
        if self.record is None or self.record.is_finalised:
            return False
        try:
            block_for_measurement(kind)
        except ValueError:
            log.info("a %s reading cannot fill an exam block", kind)
            return False
        offer = DeviceOffer(kind, dict(values), source)
        offer.accept_button.clicked.connect(lambda: self._accept_reading(offer))
        offer.discard_button.clicked.connect(lambda: self._discard_reading(offer))
        self._offers.append(offer)
        self.banners.insertWidget(0, offer)
        offer.show()
        return True

    def _accept_reading(self, offer: DeviceOffer) -> None:
        content = apply_device_reading(self.collect(), offer.kind, offer.values, offer.source)
        self._device_sources = dict(content.device_sources)
        block = block_for_measurement(offer.kind)
        for section in self.sections:
            if block in section.sources:
                # Refill the section from the reading, keeping half-typed text of its other fields.
                typed = {key: text for key, text in section.unparsed().items()
                         if section.block_of(key) != block}
                section.fill(content)
                section.restore_unparsed(typed)
            section.set_source(block, self._device_sources.get(block))
        self._drop_offer(offer)
        self.reading_settled.emit(offer.source, True)
        self._changed()

    def _discard_reading(self, offer: DeviceOffer) -> None:
        self._drop_offer(offer)
        self.reading_settled.emit(offer.source, False)

    def _drop_offer(self, offer: DeviceOffer) -> None:
        if offer in self._offers:
            self._offers.remove(offer)
        offer.hide()
        offer.deleteLater()


class _ChecklistItem(QWidget):
    """A protocol item: a tick box with its text wrapped beside it (clicking the text ticks too)."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.box = QCheckBox()
        self.box.setObjectName("protocolItem")
        self.box.setAccessibleName(text)
        self.box.setToolTip(text)
        self.text = role_label(text, wrap=True)
        layout.addWidget(self.box, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.text, 1)

    def mouseReleaseEvent(self, event: Any) -> None:
        if self.box.isEnabled():
            self.box.toggle()
        super().mouseReleaseEvent(event)


class _EnterMovesOn(QObject):
    """Enter (without Ctrl) in a one-line field, choice or tick moves to the next field of the record."""

    def __init__(self, screen: ExamScreen) -> None:
        super().__init__(screen)
        self.screen = screen

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress:
            return False
        assert isinstance(event, QKeyEvent)
        if event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return False
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        if isinstance(watched, QComboBox) and watched.view().isVisible():
            return False
        if isinstance(watched, ExamLineEdit | ChoiceField | TickField):
            if isinstance(watched, ExamLineEdit) and hasattr(watched, "tidy"):
                watched.tidy()
            self.screen.move_to_next_field(watched)
            return True
        return False

