"""One patient's record: a header card with the key facts and alerts (allergies, medical flags),
their details at the side, and a timeline of everything that has happened — visits to the diary,
examinations, prescriptions, referrals, notes and sales, newest first.

A change made elsewhere while the record is out of sight (an examination finalised, a sale rung up)
marks it stale; it is read again as soon as it is shown.

Shown inside the Patients screen (``PatientsScreen.open_patient``); it is a page, not a navigation
entry of its own.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.exam import LONDON
from ils_desktop.domain.patient_details import CONSENT_CHANNELS, SEX_LABELS, STATUS_LABELS
from ils_desktop.errors import NotFound
from ils_desktop.services import patients
from ils_desktop.services.patients import PatientRecord, TimelineEntry
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import icon
from ils_desktop.ui.widgets.patient_header import PatientHeader, clear_layout, role_label

#: Timeline kinds as the practice says them, with the badge tone each gets.
KINDS = {"visit": ("Visit", "neutral"), "exam": ("Examination", "success"), "prescription": ("Prescription", ""),
         "referral": ("Referral", "warning"), "note": ("Note", "neutral"), "sale": ("Sale", ""),
         "order": ("Spectacles", "success"),
         "message": ("Message", "neutral")}
#: What changes elsewhere can alter a record.
RECORD_CHANGES = frozenset({"patients", "exams", "diary", "prescriptions", "referrals", "recalls", "till",
                            "orders"})


def _badge(text: str, tone: str, name: str | None = None) -> QLabel:
    badge = role_label(text, "badge", name)
    if tone:
        badge.setProperty("tone", tone)
    return badge


def _when(moment: datetime) -> str:
    return f"{moment.astimezone(LONDON):%d %b %Y}"


class TimelineRow(QFrame):
    """One event: date and time on the left, what happened, who, and its status."""

    def __init__(self, entry: TimelineEntry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry = entry
        self.setObjectName("timelineRow")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)  # the list handles clicks
        row = QVBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        layout = QHBoxLayout()
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(16)
        when = QVBoxLayout()
        when.setSpacing(0)
        day = role_label(_when(entry.when), "field-label")
        day.setFixedWidth(92)
        when.addWidget(day)
        local = entry.when.astimezone(LONDON)
        if (local.hour, local.minute) != (0, 0):
            when.addWidget(role_label(f"{local:%H:%M}", "hint"))
        when.addStretch(1)
        layout.addLayout(when)
        kind, tone = KINDS.get(entry.kind, (entry.kind.title(), "neutral"))
        badge = _badge(kind, tone)
        badge.setFixedWidth(100)
        badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(badge, 0, Qt.AlignmentFlag.AlignTop)
        what = QVBoxLayout()
        what.setSpacing(2)
        what.addWidget(role_label(entry.title, "card-value"))
        what.addWidget(role_label(entry.detail, "hint", wrap=True))
        layout.addLayout(what, 1)
        side = QVBoxLayout()
        side.setSpacing(4)
        if entry.status:
            status_tone = {"Did not attend": "danger", "Cancelled": "neutral", "Draft": "warning",
                           "Urgent": "danger", "Emergency": "danger", "Booked": "neutral",
                           "Arrived": "warning", "In test": "warning", "Refunded": "neutral",
                           "Voided": "neutral", "Part refunded": "warning", "Queued": "neutral",
                           "Failed": "danger", "Needs attention": "danger"}.get(entry.status, "success")
            side.addWidget(_badge(entry.status, status_tone), 0, Qt.AlignmentFlag.AlignRight)
        if entry.who:
            who = role_label(entry.who, "hint")
            who.setAlignment(Qt.AlignmentFlag.AlignRight)
            side.addWidget(who)
        side.addStretch(1)
        layout.addLayout(side)
        row.addLayout(layout)
        rule = QFrame()
        rule.setProperty("role", "rule")
        row.addWidget(rule)


class _WholeRowDelegate(QStyledItemDelegate):
    """Gives each row widget the item's whole rectangle (the theme's item padding would otherwise
    shrink it below the height its wrapped text needs)."""

    def updateEditorGeometry(self, editor: QWidget, option: QStyleOptionViewItem,
                             index: QModelIndex | QPersistentModelIndex) -> None:
        editor.setGeometry(option.rect)


class PatientRecordPage(QWidget):
    """The record of one patient. ``load(patient_id)`` shows it; signals ask the screen around it
    to go back to the search, edit the details or open an examination."""

    back_requested = Signal()
    edit_requested = Signal(object)  # the PatientRecord shown
    start_exam_requested = Signal(object)  # patient id
    open_exam_requested = Signal(object)  # exam id

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.record: PatientRecord | None = None
        self.patient_id: uuid.UUID | None = None
        self._loading = 0
        self._stale = False
        root = QVBoxLayout(self)
        root.setContentsMargins(32, 24, 32, 24)
        root.setSpacing(16)
        root.addWidget(self._build_header())
        self.alert = role_label("", "error", "allergyAlert", wrap=True)
        self.alert.hide()
        root.addWidget(self.alert)

        body = QHBoxLayout()
        body.setSpacing(16)
        timeline_column = QVBoxLayout()
        timeline_column.setSpacing(8)
        heading = QHBoxLayout()
        heading.addWidget(role_label("History", "section"))
        self.timeline_count = role_label("", "hint", "timelineCount")
        heading.addWidget(self.timeline_count)
        heading.addStretch(1)
        timeline_column.addLayout(heading)
        self.timeline = QListWidget()
        self.timeline.setObjectName("patientTimeline")
        self.timeline.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.timeline.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.timeline.itemActivated.connect(
            lambda item: self._timeline_activated(item.data(Qt.ItemDataRole.UserRole)))
        self.timeline.setItemDelegate(_WholeRowDelegate(self.timeline))
        self.timeline.viewport().installEventFilter(self)
        timeline_column.addWidget(self.timeline, 1)
        self.timeline_empty = role_label("Nothing recorded yet: visits, examinations, prescriptions and sales "
                                         "will appear here.", "hint", "timelineEmpty", wrap=True)
        # In the timeline's place when there is none: at the top, under the heading, taking the space.
        self.timeline_empty.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        timeline_column.addWidget(self.timeline_empty, 1)
        body.addLayout(timeline_column, 1)
        body.addWidget(self._build_side_panel())
        root.addLayout(body, 1)

        QShortcut(QKeySequence("Ctrl+E"), self).activated.connect(self._edit)
        QShortcut(QKeySequence("Ctrl+I"), self).activated.connect(self._images)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self).activated.connect(self.back_requested.emit)
        changes.changed.connect(self._on_change)

    # --- building ----------------------------------------------------------------------------
    def _build_header(self) -> QFrame:
        header = PatientHeader("patientHeader", facts_name="patientFacts", more_name="patientContact",
                               more_wraps=True)
        self.name, self.badges, self.facts, self.contact = header.name, header.badges, header.facts, header.more
        self.name.setText("Loading…")
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        self.back_button = QPushButton(icon("chevron-left"), "Search")
        self.back_button.setObjectName("backToSearchButton")
        self.back_button.setToolTip("Back to the patient search (Esc)")
        self.back_button.clicked.connect(self.back_requested.emit)
        self.edit_button = QPushButton(icon("edit"), "Edit details")
        self.edit_button.setObjectName("editPatientButton")
        self.edit_button.setToolTip("Edit the patient's details (Ctrl+E)")
        self.edit_button.clicked.connect(self._edit)
        if not self.workspace.can("patients.edit"):  # hide(): showing a parentless button opens a window
            self.edit_button.hide()
        self.exam_button = QPushButton(icon("exam", "#ffffff"), "Start examination")
        self.exam_button.setObjectName("startExamButton")
        self.exam_button.setProperty("role", "primary")
        self.exam_button.setToolTip("Start an eye examination for this patient")
        self.exam_button.clicked.connect(lambda: self.patient_id and self.start_exam_requested.emit(self.patient_id))
        if not self.workspace.can("exams.perform"):  # hide(): showing a parentless button opens a window
            self.exam_button.hide()
        self.images_button = QPushButton("Images")
        self.images_button.setObjectName("patientImagesButton")
        self.images_button.setToolTip("Photographs, OCT scans and field plots (Ctrl+I)")
        self.images_button.clicked.connect(self._images)
        for button in (self.back_button, self.edit_button, self.images_button, self.exam_button):
            buttons.addWidget(button)
        header.actions.addLayout(buttons)
        return header

    def _build_side_panel(self) -> QScrollArea:
        panel = QWidget()
        panel.setObjectName("patientSidePanel")
        self.side = QVBoxLayout(panel)
        self.side.setContentsMargins(0, 0, 4, 0)
        self.side.setSpacing(12)
        self.clinical_card, self.clinical_grid = self._card("Health")
        self.details_card, self.details_grid = self._card("Details")
        self.side.addWidget(self.clinical_card)
        self.side.addWidget(self.details_card)
        self.side.addStretch(1)
        scroll = QScrollArea()
        scroll.setObjectName("patientSideScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(panel)
        scroll.setFixedWidth(360)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        return scroll

    def _card(self, title: str) -> tuple[QFrame, QGridLayout]:
        card = QFrame()
        card.setProperty("role", "card")
        layout = QVBoxLayout(card)
        layout.setContentsMargins(16, 12, 16, 14)
        layout.setSpacing(8)
        layout.addWidget(role_label(title, "section"))
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(6)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        return card, grid

    # --- loading -----------------------------------------------------------------------------
    def load(self, patient_id: uuid.UUID) -> None:
        """Show ``patient_id``'s record (fetched off the GUI thread; a later load wins)."""
        if patient_id != self.patient_id:
            self.record = None
            self.name.setText("Loading…")
            self.facts.setText("")
            self.contact.setText("")
            self._fill_timeline(())
        self.patient_id = patient_id
        self._stale = False
        self._loading += 1
        ticket = self._loading

        def done(record: PatientRecord) -> None:
            if ticket == self._loading:
                self.show_record(record)

        def failed(error: BaseException) -> bool:
            if ticket != self._loading:
                return True
            if isinstance(error, NotFound):
                self.name.setText("Patient not found")
                self.facts.setText(str(error))
                return True
            return False

        run_op(lambda: self.workspace.call(patients.patient_record, patient_id), on_done=done, on_error=failed,
               parent=self)

    def refresh(self) -> None:
        if self.patient_id is not None:
            self.load(self.patient_id)

    def refresh_if_stale(self) -> None:
        if self._stale:
            self.refresh()

    def _on_change(self, what: str) -> None:
        if what not in RECORD_CHANGES or self.patient_id is None:
            return
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True  # read again when shown: what it says now may be out of date

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh_if_stale()

    # --- showing -----------------------------------------------------------------------------
    def show_record(self, record: PatientRecord) -> None:
        self.record = record
        summary, details = record.summary, record.details
        self.name.setText(f"{summary.title} {summary.name}" if summary.title else summary.name)
        clear_layout(self.badges)
        if record.status != "active":
            self.badges.addWidget(_badge(STATUS_LABELS[record.status], "danger", "statusBadge"))
        if summary.allergies:
            self.badges.addWidget(_badge("Allergies", "danger", "allergyBadge"))
        for flag in summary.medical_flags:
            self.badges.addWidget(_badge(flag, "warning"))
        sex = "Sex not recorded" if summary.sex == "unknown" else SEX_LABELS.get(summary.sex, summary.sex)
        facts = [f"Born {summary.date_of_birth:%d/%m/%Y} ({summary.age})", sex]
        facts.append(f"NHS {summary.nhs_number}" if summary.nhs_number else "No NHS number")
        facts.append(f"No. {record.customer_number}")
        self.facts.setText("   ·   ".join(facts))
        address = ", ".join(p for p in (details.address_line1, details.address_line2, details.town, details.postcode)
                            if p)
        phones = " / ".join(p for p in (details.mobile_phone, details.home_phone) if p)
        self.contact.setText("   ·   ".join(p for p in (address, phones, details.email) if p)
                             or "No address or phone number on record")
        if summary.allergies:
            self.alert.setText(f"Allergies: {summary.allergies}")
            self.alert.show()
        else:
            self.alert.hide()
        self._fill_cards(record)
        self._fill_timeline(record.timeline)

    def _rows(self, grid: QGridLayout, rows: list[tuple[str, str]]) -> None:
        clear_layout(grid)
        for i, (caption, value) in enumerate(rows):
            label = role_label(caption, "field-label")
            label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            text = role_label(value or "—", "card-value", wrap=True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(label, i, 0)
            grid.addWidget(text, i, 1)

    def _fill_cards(self, record: PatientRecord) -> None:
        details = record.details
        self._rows(self.clinical_grid, [
            ("Medical", details.medical_history), ("Medicines", details.medications),
            ("Allergies", details.allergies or "None known"), ("Family eyes", details.family_ocular_history),
            ("GP", details.gp_practice),
        ])
        lifestyle = [t for t, on in (("Drives", details.is_driver), ("Screen user", details.is_vdu_user)) if on]
        consent = [label for key, label in CONSENT_CHANNELS.items() if details.communication_consent.get(key)]
        recall = (f"{record.next_recall:%d/%m/%Y}" + (f" · {record.next_recall_reason}"
                                                      if record.next_recall_reason else "")
                  if record.next_recall else "None set")
        registered = f"{record.registered_on:%d/%m/%Y}" + (f" by {record.registered_by}"
                                                            if record.registered_by else "")
        self._rows(self.details_grid, [
            ("Next recall", recall), ("Occupation", details.occupation),
            ("Lifestyle", ", ".join(lifestyle) or "—"), ("Contact by", ", ".join(consent) or "No consent recorded"),
            ("Registered", registered),
        ])

    def _fill_timeline(self, entries: tuple[TimelineEntry, ...]) -> None:
        self.timeline.clear()
        for entry in entries:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, entry)
            self.timeline.addItem(item)
            self.timeline.setItemWidget(item, TimelineRow(entry))
        self._fit_rows()
        self.timeline_empty.setVisible(not entries)
        self.timeline.setVisible(bool(entries))
        count = len(entries)
        self.timeline_count.setText(f"{count} entr{'y' if count == 1 else 'ies'}" if count else "")

    def _fit_rows(self) -> None:
        """Each row as tall as its wrapped text needs at the list's current width."""
        width = self.timeline.viewport().width()
        for i in range(self.timeline.count()):
            item = self.timeline.item(i)
            row = self.timeline.itemWidget(item)
            if row is not None:
                row.ensurePolished()  # the theme's fonts decide how tall the text is
                item.setSizeHint(QSize(width, max(row.minimumSizeHint().height(), row.heightForWidth(width))))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.timeline.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_rows()  # rows re-wrap to the new width
        return False

    def timeline_entries(self) -> list[TimelineEntry]:
        """The entries shown, top to bottom."""
        return [self.timeline.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.timeline.count())]

    # --- actions -----------------------------------------------------------------------------
    def _images(self) -> None:
        from ils_desktop.ui.widgets.imaging import ImagingDialog

        if self.patient_id is None:
            return
        dialog = ImagingDialog(self.workspace, self.patient_id, self.name.text(), parent=self)
        dialog.resize(self.window().size() * 0.92)
        dialog.open()

    def _edit(self) -> None:
        if self.record is not None and self.workspace.can("patients.edit") and self.isVisible():
            self.edit_requested.emit(self.record)

    def _timeline_activated(self, entry: TimelineEntry) -> None:
        if entry.kind == "exam" and self.workspace.can("exams.perform"):
            self.open_exam_requested.emit(entry.reference_id)
