"""The exam screen's second page, as the clinician sees it: the patient card with the record's
actions, the section map and checklist on the left, messages across the top, and the ten numbered
sections in one scrolling column (then the addenda of a finalised record).

This module lays the page out and moves the keyboard around it; ``screen.ExamScreen`` fills it and
saves what is typed. It fits a 1366×768 screen: every control of the record is reachable without
scrolling sideways, and the header keeps only the actions that apply (a draft is saved or
finalised; a finalised record issues its prescription and letters).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.exam import LONDON
from ils_desktop.services import exams
from ils_desktop.ui.screens.exam.addenda import AddendaCard
from ils_desktop.ui.screens.exam.banners import Banner, ReadingsTray
from ils_desktop.ui.screens.exam.sections import (
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
from ils_desktop.ui.screens.exam.sections.fields import ChoiceField, ExamLineEdit, TickField
from ils_desktop.ui.screens.exam.side_panel import SidePanel
from ils_desktop.ui.theme import icon
from ils_desktop.ui.widgets.patient_header import PatientHeader, clear_layout, role_label

MAX_FLAGS = 4
"""Medical flags shown in the header at most; the rest are counted in a "+N" badge (its tooltip lists them)."""


def _button(text: str, name: str, tooltip: str, *, primary: bool = False, icon_name: str | None = None
            ) -> QPushButton:
    button = QPushButton(text)
    if icon_name:
        button.setIcon(icon(icon_name, "#ffffff" if primary else None))
    button.setObjectName(name)
    button.setToolTip(tooltip)
    if primary:
        button.setProperty("role", "primary")
    return button


class RecordPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 14, 20, 12)
        layout.setSpacing(10)
        layout.addWidget(self._build_header())
        body = QHBoxLayout()
        body.setSpacing(12)
        self.side = SidePanel()
        self.side.section_chosen.connect(self.jump_to)
        body.addWidget(self.side)
        right = QVBoxLayout()
        right.setSpacing(8)
        self.banners = QVBoxLayout()
        self.banners.setSpacing(6)
        self.notice = Banner("notice", "info")
        self.recovery_banner = Banner("recoveryBanner", "warning")
        self.stale_banner = Banner("staleBanner", "error")
        self.confirm_banner = Banner("confirmFinalise", "warning")
        for banner in (self.notice, self.recovery_banner, self.stale_banner, self.confirm_banner):
            self.banners.addWidget(banner)
        right.addLayout(self.banners)

        self.sections: list[ExamSection] = [
            ReasonHistorySection(), VisionSection(), CurrentSpectaclesSection(), ObjectiveSection(),
            SubjectiveSection(), BinocularSection(), AnteriorSection(), PosteriorSection(), PressuresFieldsSection(),
            OutcomeSection(),
        ]
        self.section_by_key = {s.key: s for s in self.sections}
        subjective, outcome = self.section_by_key["subjective"], self.section_by_key["outcome"]
        assert isinstance(subjective, SubjectiveSection) and isinstance(outcome, OutcomeSection)
        self.subjective, self.outcome = subjective, outcome
        scroll_body = QWidget()
        scroll_body.setObjectName("examSections")
        column = QVBoxLayout(scroll_body)
        column.setContentsMargins(0, 0, 8, 8)
        column.setSpacing(12)
        for section in self.sections:
            column.addWidget(section)
        self.addenda = AddendaCard()
        column.addWidget(self.addenda)
        column.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("examScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(scroll_body)
        right.addWidget(self.scroll, 1)
        self.readings = ReadingsTray(self.scroll.viewport())
        body.addLayout(right, 1)
        layout.addLayout(body, 1)

        self.fields: list[Any] = [f for s in self.sections for f in s.fields]
        self._field_section = {id(f): s for s in self.sections for f in s.fields}
        self._enter_filter = _EnterMovesOn(self)
        for field in self.fields:
            field.installEventFilter(self._enter_filter)
        for first, second in zip(self.fields, self.fields[1:], strict=False):
            QWidget.setTabOrder(first, second)

    def _build_header(self) -> QWidget:
        header = PatientHeader("examHeader", facts_name="patientDetails", more_name="visitDetails")
        self.patient_name, self.flags = header.name, header.badges
        self.patient_details, self.visit_details = header.facts, header.more
        self.patient_details.setWordWrap(True)  # a long NHS line wraps rather than widening the screen
        self.visit_details.setWordWrap(True)
        status_row = QHBoxLayout()
        status_row.addStretch(1)
        self.status = role_label("", "badge", "examStatus")
        status_row.addWidget(self.status)
        header.actions.addLayout(status_row)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        self.clinic_button = QPushButton(icon("diary"), "Clinic")
        self.clinic_button.setObjectName("backToClinicButton")
        self.clinic_button.setToolTip("Back to today's clinic (Ctrl+Shift+C)")
        self.save_button = _button("Save", "saveExamButton", "Save the draft now (Ctrl+S); drafts also save themselves")
        self.finalise_button = _button("Finalise…", "finaliseExamButton", "Finalise the examination (Ctrl+Enter)",
                                       primary=True, icon_name="check")
        self.prescription_button = _button("Issue prescription…", "issuePrescriptionButton",
                                           "Issue the prescription or statement (Ctrl+P)", primary=True)
        self.referral_button = _button("Referral letter…", "referralLetterButton",
                                       "Write a referral letter (Ctrl+Shift+R)")
        self.images_button = _button("Images", "examImagesButton",
                                     "Photographs, OCT scans and field plots of this patient (Ctrl+I)")
        for button in (self.clinic_button, self.images_button, self.save_button, self.referral_button,
                       self.prescription_button, self.finalise_button):
            buttons.addWidget(button)
        header.actions.addLayout(buttons)
        return header

    # --- what it shows ------------------------------------------------------------------------
    def show_header(self, record: exams.ExamRecord) -> None:
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
        flags = [(f"Allergies: {patient.allergies}", "danger")] if patient.allergies else []
        flags += [(flag, "warning") for flag in patient.medical_flags]
        for text, tone in flags[:MAX_FLAGS]:
            self._flag(text, tone)
        if len(flags) > MAX_FLAGS:
            self._flag(f"+{len(flags) - MAX_FLAGS}", "warning", "\n".join(t for t, _ in flags[MAX_FLAGS:]))

    def _flag(self, text: str, tone: str, tooltip: str | None = None) -> None:
        badge = role_label(text if len(text) <= 32 else text[:30] + "…", "badge")
        badge.setProperty("tone", tone)
        badge.setToolTip(tooltip or text)
        self.flags.addWidget(badge)

    def set_finalised(self, finalised: bool) -> None:
        """A draft offers Save and Finalise; a finalised record its prescription, letters and addenda."""
        for section in self.sections:
            section.set_read_only(finalised)
        for name in ("copy_objective", "copy_spectacles"):
            button = self.subjective.findChild(QPushButton, name)
            if button is not None:
                button.setVisible(not finalised)
        self.addenda.setVisible(finalised)
        for button in (self.save_button, self.finalise_button):
            button.setVisible(not finalised)
        for button in (self.prescription_button, self.referral_button):
            button.setVisible(finalised)
            button.setEnabled(finalised)

    # --- the keyboard ---------------------------------------------------------------------------
    def focus(self, widget: QWidget | None) -> None:
        if widget is None:
            return
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
        if isinstance(widget, QLineEdit):
            widget.selectAll()
        self.scroll.ensureWidgetVisible(widget, 40, 60)

    def jump_to(self, key: str, *, into_field: bool = True) -> None:
        """Show a section (its top at the top), the cursor in its first field (Alt+1…Alt+0)."""
        section = self.section_by_key[key]
        self.scroll.verticalScrollBar().setValue(max(0, section.y() - 4))
        if into_field:
            self.focus(section.first_field())
            self.scroll.verticalScrollBar().setValue(max(0, section.y() - 4))

    def current_section(self) -> ExamSection | None:
        widget = QApplication.focusWidget()
        while widget is not None:
            if isinstance(widget, ExamSection):
                return widget
            widget = widget.parentWidget()
        return None

    def section_of(self, widget: QWidget) -> ExamSection | None:
        return self._field_section.get(id(widget))

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
                self.focus(candidate)
                return
            position += step


class _EnterMovesOn(QObject):
    """Enter (without Ctrl) in a one-line field, choice or tick moves to the next field of the record."""

    def __init__(self, page: RecordPage) -> None:
        super().__init__(page)
        self.page = page

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
            assert isinstance(watched, QWidget)
            self.page.move_to_next_field(watched)
            return True
        return False
