"""Issue the prescription (or statement) from a finalised examination, print it, and show the
significant-change alert it raised.

Keyboard-first: the grid is prefilled from the subjective refraction and focused on the right
eye's Rx; Tab / arrow keys move through it; Alt+N / Alt+C / Alt+D choose new, unchanged or no
prescription needed; Enter (or Ctrl+Enter from the notes) issues and prints.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.exam import PupillaryDistance, RefractionEye
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.services import clinical_documents, clinical_files, prescriptions
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.screens.exam.document_dialog import ClinicalDocumentDialog
from ils_desktop.ui.screens.exam.sections.base import caption, eye_label
from ils_desktop.ui.screens.exam.sections.fields import (
    GridNavigator,
    ParsedField,
    add_field,
    decimal_field,
    prism_field,
    sca_field,
    va_field,
)
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.widgets.forms import labelled, mark_invalid

D = Decimal
EYES = ("R", "L")
GRID_COLUMNS = ("Sph / Cyl × Axis", "Prism H", "Prism V", "Near add", "Int add", "VA")
POWER_PARTS = ("sca", "prism_h", "prism_v", "near_add", "intermediate_add")
STARTER_WORDING: dict[str, str] = {
    "Full-time wear": "Spectacles recommended for full-time wear.",
    "Distance only": "Spectacles for distance vision, including driving.",
    "Reading only": "Spectacles for reading and close work only.",
    "Computer use": "Intermediate prescription suitable for computer (VDU) use.",
    "Driving standard met": "Meets the DVLA visual acuity standard for driving with this prescription.",
}
"""Wording offered while the practice has no templates of its own."""


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class IssuePrescriptionDialog(ClinicalDocumentDialog):
    """Check the prescription prefilled from the finalised exam, issue it and print it."""

    issued = Signal(object)  # the prescription's id

    DOCUMENT = "prescription"
    PDF_FAILED = "The prescription is issued, but the PDF could not be made"

    def __init__(self, workspace: Workspace, exam_id: uuid.UUID, parent: QWidget | None = None) -> None:
        super().__init__(workspace, exam_id, title="Issue prescription", name_prefix="rx", preferred_width=860,
                         parent=parent)
        self.draft: prescriptions.PrescriptionDraft | None = None
        self.issued_id: uuid.UUID | None = None
        self.issued_prescription: prescriptions.IssuedPrescription | None = None
        self.setObjectName("IssuePrescriptionDialog")
        layout = self.body

        # --- what is issued -------------------------------------------------------------------
        self.kinds_row = QWidget()
        kinds = QHBoxLayout(self.kinds_row)
        kinds.setContentsMargins(0, 0, 0, 0)
        kinds.setSpacing(22)
        self.kind_group = QButtonGroup(self)
        self.kind_buttons: dict[str, QRadioButton] = {}
        for kind, text in (("new", "&New prescription"), ("unchanged", "Un&changed"),
                           ("no_rx_needed", "No prescription nee&ded")):
            button = QRadioButton(text)
            button.setObjectName(f"kind_{kind}")
            self.kind_group.addButton(button)
            self.kind_buttons[kind] = button
            kinds.addWidget(button)
            button.toggled.connect(self._kind_changed)
        kinds.addStretch(1)
        layout.addWidget(self.kinds_row)

        # --- the prescription grid ------------------------------------------------------------
        card = QFrame()
        card.setProperty("role", "card")
        card_layout = QVBoxLayout(card)
        card_layout.setContentsMargins(18, 14, 18, 16)
        card_layout.setSpacing(10)
        self.fields: dict[str, ParsedField[Any]] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(8)
        for column, text in enumerate(GRID_COLUMNS, start=1):
            grid.addWidget(caption(text), 0, column)
        rows: list[list[QWidget | None]] = []
        for r, eye in enumerate(EYES, start=1):
            name = "right" if eye == "R" else "left"
            cells: list[ParsedField[Any]] = [
                sca_field(f"rx_{eye}_sca", f"{name.capitalize()} sphere / cylinder × axis", prescription=True),
                prism_field(f"rx_{eye}_prism_h", f"{name.capitalize()} horizontal prism", horizontal=True),
                prism_field(f"rx_{eye}_prism_v", f"{name.capitalize()} vertical prism", horizontal=False),
                add_field(f"rx_{eye}_near_add", f"{name.capitalize()} near add"),
                add_field(f"rx_{eye}_intermediate_add", f"{name.capitalize()} intermediate add"),
                va_field(f"rx_{eye}_va", f"{name.capitalize()} visual acuity"),
            ]
            grid.addWidget(eye_label(eye), r, 0)
            for c, (part, cell) in enumerate(zip((*POWER_PARTS, "va"), cells, strict=True), start=1):
                self.fields[f"{eye}_{part}"] = cell
                grid.addWidget(cell, r, c)
            rows.append(list(cells))
        grid.setColumnStretch(1, 2)
        card_layout.addLayout(grid)
        self.navigator = GridNavigator(rows, self)
        for part in ("near_add", "intermediate_add"):
            for eye, other in (("R", "L"), ("L", "R")):
                self.fields[f"{eye}_{part}"].editingFinished.connect(
                    lambda p=part, e=eye, o=other: self._copy_add(p, e, o))

        pd_row = QHBoxLayout()
        pd_row.setSpacing(14)
        self.fields["binocular_va"] = va_field("rx_B_va", "Binocular visual acuity")
        pd_row.addWidget(labelled("Binocular VA", self.fields["binocular_va"]))
        for key, label, low, high in (("distance", "Distance PD", D(40), D(85)), ("near", "Near PD", D(38), D(82)),
                                      ("R", "Right PD", D(20), D(43)), ("L", "Left PD", D(20), D(43))):
            field = decimal_field(f"rx_pd_{key}", label, low, high, places=1, unit="mm", width=70)
            self.fields[f"pd_{key}"] = field
            pd_row.addWidget(labelled(f"{label} (mm)", field))
        pd_row.addStretch(1)
        card_layout.addLayout(pd_row)
        self.previous = QLabel()
        self.previous.setObjectName("rxPrevious")
        self.previous.setProperty("role", "hint")
        self.previous.setWordWrap(True)
        self.previous.hide()
        card_layout.addWidget(self.previous)
        layout.addWidget(card)

        # --- dates, referral, notes -----------------------------------------------------------
        details = QHBoxLayout()
        details.setSpacing(16)
        self.issue_date = QDateEdit()
        self.issue_date.setObjectName("rxIssueDate")
        self.issue_date.setCalendarPopup(True)
        self.issue_date.setDisplayFormat("dd/MM/yyyy")
        self.expiry_date = QDateEdit()
        self.expiry_date.setObjectName("rxExpiryDate")
        self.expiry_date.setCalendarPopup(True)
        self.expiry_date.setDisplayFormat("dd/MM/yyyy")
        self.expiry_hint = QLabel()
        self.expiry_hint.setProperty("role", "hint")
        self.expiry_hint.setWordWrap(True)
        self.referral = QCheckBox("&Referred")
        self.referral.setObjectName("rxReferralMade")
        self.referral.setToolTip("Printed on the prescription, as the regulations require")
        details.addWidget(labelled("Date of issue", self.issue_date))
        expiry_box = labelled("Re-test due", self.expiry_date)
        details.addWidget(expiry_box)
        details.addWidget(self.expiry_hint, 1)
        details.addWidget(labelled("Referral", self.referral))
        layout.addLayout(details)

        notes_header = QHBoxLayout()
        notes_caption = caption("N&otes printed on the prescription")
        notes_header.addWidget(notes_caption)
        notes_header.addStretch(1)
        self.templates = QComboBox()
        self.templates.setObjectName("rxTemplates")
        self.templates.setToolTip("Add standard wording to the notes")
        self.templates.setMinimumWidth(220)
        self.templates.addItem("Add wording…", None)
        self.templates.activated.connect(self._template_chosen)
        notes_header.addWidget(self.templates)
        layout.addLayout(notes_header)
        self.notes = QPlainTextEdit()
        self.notes.setObjectName("rxNotes")
        self.notes.setTabChangesFocus(True)
        self.notes.setPlaceholderText("Advice and usage, e.g. for driving, VDU use")
        self.notes.setFixedHeight(self.notes.fontMetrics().lineSpacing() * 3 + 18)
        notes_caption.setBuddy(self.notes)
        layout.addWidget(self.notes)

        # --- after issuing: the alert ---------------------------------------------------------
        self.alert_box = QFrame()
        self.alert_box.setObjectName("rxAlert")
        self.alert_box.setProperty("role", "card")
        alert_layout = QVBoxLayout(self.alert_box)
        alert_layout.setContentsMargins(16, 12, 16, 12)
        alert_layout.setSpacing(6)
        self.alert_title = QLabel("Significant change from the previous prescription")
        self.alert_title.setProperty("role", "warning")
        self.alert_text = QLabel()
        self.alert_text.setObjectName("rxAlertReasons")
        self.alert_text.setWordWrap(True)
        self.alert_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        alert_actions = QHBoxLayout()
        alert_hint = QLabel("Recorded for the dispensing optician. Discuss the change with the patient.")
        alert_hint.setProperty("role", "hint")
        alert_hint.setWordWrap(True)
        self.acknowledge_button = QPushButton("&Noted")
        self.acknowledge_button.setObjectName("rxAcknowledgeAlert")
        self.acknowledge_button.clicked.connect(self._acknowledge)
        alert_actions.addWidget(alert_hint, 1)
        alert_actions.addWidget(self.acknowledge_button)
        alert_layout.addWidget(self.alert_title)
        alert_layout.addWidget(self.alert_text)
        alert_layout.addLayout(alert_actions)
        self.alert_box.hide()
        layout.addWidget(self.alert_box)

        self.add_message()

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("rxCancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.save_button = QPushButton("Save PDF…")
        self.save_button.setObjectName("rxSavePdf")
        self.save_button.setAutoDefault(False)
        self.save_button.setToolTip("Issue (if not yet issued) and save the PDF to a file (Ctrl+S)")
        self.save_button.clicked.connect(self._save_pdf_clicked)
        self.issue_button = QPushButton("Issue and print")
        self.issue_button.setObjectName("rxIssueAndPrint")
        self.issue_button.setProperty("role", "primary")
        self.issue_button.setDefault(True)
        self.issue_button.setToolTip("Save the prescription and open it for printing (Enter or Ctrl+Enter)")
        self.issue_button.clicked.connect(self._issue_and_print)
        for button in (self.cancel_button, self.save_button, self.issue_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)

        for sequence in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(sequence), self).activated.connect(self.issue_button.click)
        QShortcut(QKeySequence("Ctrl+S"), self).activated.connect(self.save_button.click)
        self._set_editable(False)
        self._load()

    # ------------------------------------------------------------------ loading
    @property
    def loaded(self) -> bool:
        return self.draft is not None

    def _load(self) -> None:
        call, exam_id = self.workspace.call, self.exam_id

        def work() -> tuple[prescriptions.PrescriptionDraft, list[prescriptions.PrescriptionTemplateInfo]]:
            return call(prescriptions.prescription_draft_from_exam, exam_id), call(prescriptions.list_templates)

        run_op(work, on_done=lambda result: self._loaded(*result), on_error=self._load_failed, parent=self)

    def _loaded(self, draft: prescriptions.PrescriptionDraft,
                templates: list[prescriptions.PrescriptionTemplateInfo]) -> None:
        self.draft = draft
        self.subtitle.setText(
            f"{draft.patient_name}  ·  born {draft.date_of_birth:%d/%m/%Y} ({draft.age})  ·  sight test "
            f"{draft.exam_date:%d/%m/%Y} by {draft.clinician_name}")
        for eye in EYES:
            values = draft.eye(eye)
            for part in (*POWER_PARTS, "va"):
                self.fields[f"{eye}_{part}"].set_value(getattr(values, part))
        self.fields["binocular_va"].set_value(draft.binocular_va)
        for key in ("distance", "near", "R", "L"):
            self.fields[f"pd_{key}"].set_value(getattr(draft.pd, key))
        self.issue_date.setDate(_qdate(draft.issue_date))
        if draft.expiry_date:
            self.expiry_date.setDate(_qdate(draft.expiry_date))
        self.expiry_hint.setText(draft.expiry_reason)
        self.referral.setChecked(draft.referral_made)
        if draft.previous is not None:
            self.previous.setText(f"Previous prescription {draft.previous.issue_date:%d/%m/%Y}:  "
                                  f"{draft.previous.summary}")
            self.previous.show()
        if draft.replaces_issue_of is not None:
            self.notice.setText(f"A prescription was already issued from this examination on "
                                f"{draft.replaces_issue_of:%d/%m/%Y}. Issuing again replaces it; the earlier "
                                "one stays on record.")
            self.notice.show()
        wording = {t.name: t.notes for t in templates} or STARTER_WORDING
        for name, text in wording.items():
            self.templates.addItem(name, text)
        self._set_editable(True)
        if not self.workspace.can("prescriptions.issue"):
            self.issue_button.setEnabled(False)
            self.save_button.setEnabled(False)
            self._say("Your role does not allow issuing prescriptions: ask the optometrist who examined the patient.",
                      "info")
        self.kind_buttons[draft.kind].setChecked(True)
        self._kind_changed()
        first = self.fields["R_sca"] if draft.kind != "no_rx_needed" else self.fields["R_va"]
        first.setFocus()
        first.selectAll()
        self.refit()

    def _load_failed(self, error: BaseException) -> bool:
        if isinstance(error, UserFacingError):
            self.subtitle.setText("")
            self._say(str(error), "error")
            self.issue_button.setEnabled(False)
            self.save_button.setEnabled(False)
            return True
        return False

    # ------------------------------------------------------------------ editing
    def _set_editable(self, editable: bool) -> None:
        for button in self.kind_buttons.values():
            button.setEnabled(editable)
        for field in self.fields.values():
            field.setReadOnly(not editable)
        for widget in (self.issue_date, self.expiry_date, self.referral, self.templates):
            widget.setEnabled(editable)
        self.notes.setReadOnly(not editable)
        self.issue_button.setEnabled(editable)
        self.save_button.setEnabled(editable)
        if editable:
            self._kind_changed()

    def kind(self) -> str:
        for kind, button in self.kind_buttons.items():
            if button.isChecked():
                return kind
        return "new"

    def _kind_changed(self, *_args: object) -> None:
        statement = self.kind() == "no_rx_needed"
        for eye in EYES:
            for part in POWER_PARTS:
                self.fields[f"{eye}_{part}"].setEnabled(not statement and self.issued_id is None)

    def _copy_add(self, part: str, eye: str, other: str) -> None:
        """The same add for both eyes is the usual case: copy an add across when the other is blank."""
        source, target = self.fields[f"{eye}_{part}"], self.fields[f"{other}_{part}"]
        if source.value() is not None and not target.text().strip() and not target.isReadOnly():
            target.set_value(source.value())

    def _template_chosen(self, index: int) -> None:
        text = self.templates.itemData(index)
        self.templates.setCurrentIndex(0)
        if not text:
            return
        current = self.notes.toPlainText().rstrip()
        self.notes.setPlainText(f"{current}\n{text}" if current else text)
        self.notes.setFocus()

    def _collect(self) -> prescriptions.PrescriptionDraft | None:
        """The draft as shown, or None (with the fields marked) when a field cannot be read."""
        assert self.draft is not None
        problems = {}
        for key, field in self.fields.items():
            field.tidy()
            if field.isEnabled() and field.problem():
                problems[key] = field.problem()
        if problems:
            self._show_problems(problems)
            return None

        def eye(side: str) -> RefractionEye:
            return RefractionEye(*(self.fields[f"{side}_{part}"].value() for part in (*POWER_PARTS, "va")))

        return replace(
            self.draft, kind=self.kind(), right=eye("R"), left=eye("L"),
            binocular_va=self.fields["binocular_va"].value(),
            pd=PupillaryDistance(*(self.fields[f"pd_{key}"].value() for key in ("distance", "near", "R", "L"))),
            issue_date=_date(self.issue_date.date()), expiry_date=_date(self.expiry_date.date()),
            notes=self.notes.toPlainText().strip() or None, referral_made=self.referral.isChecked(),
        )

    def _show_problems(self, problems: dict[str, str]) -> None:
        lines = []
        first: QWidget | None = None
        for key, message in problems.items():
            field = self.fields.get(key) or {"expiry_date": self.expiry_date, "issue_date": self.issue_date,
                                             "notes": self.notes}.get(key)
            if field is None and key == "pd":
                field = self.fields["pd_distance"]
            if isinstance(field, QWidget):
                mark_invalid(field, True)
                first = first or field
            lines.append(message if message.endswith(".") else f"{message}.")
        self._say(" ".join(lines), "error")
        if first is not None:
            first.setFocus()

    def _clear_marks(self) -> None:
        for widget in (self.expiry_date, self.issue_date, self.notes):
            mark_invalid(widget, False)
        self.message.hide()

    # ------------------------------------------------------------------ issuing
    def _issue_and_print(self) -> None:
        if self.issued_id is not None:
            self._print()
            return
        self._issue(then=self._print)

    def _issue(self, then: Callable[[], None]) -> None:
        if self.draft is None:
            return
        self._clear_marks()
        draft = self._collect()
        if draft is None:
            return
        self.issue_button.setEnabled(False)
        self.save_button.setEnabled(False)
        self._say("Issuing…", "info")
        call, exam_id = self.workspace.call, self.exam_id

        def work() -> tuple[uuid.UUID, prescriptions.IssuedPrescription]:
            prescription_id = call(prescriptions.issue_prescription, exam_id, draft)
            return prescription_id, call(prescriptions.get_prescription, prescription_id)

        run_op(work, on_done=lambda result: self._issued(*result, then=then), on_error=self._issue_failed,
               parent=self)

    def _issued(self, prescription_id: uuid.UUID, issued: prescriptions.IssuedPrescription,
                then: Callable[[], None]) -> None:
        self.issued_id = prescription_id
        self.issued_prescription = issued
        changes.changed.emit("prescriptions")
        self.issued.emit(prescription_id)
        self.title.setText({"new": "New prescription issued", "unchanged": "Prescription issued: unchanged",
                            "no_rx_needed": "Statement issued: no prescription needed"}.get(issued.kind, "Issued"))
        self.kinds_row.hide()  # the title says what was issued
        self._set_editable(False)
        self.issue_button.setEnabled(True)
        self.save_button.setEnabled(True)
        self.issue_button.setText("Print again")
        self.cancel_button.setText("Close")
        self.issue_button.setDefault(False)
        self.cancel_button.setDefault(True)
        self.notice.hide()
        if issued.alert_reasons:
            previous = self.draft.previous if self.draft else None
            since = f" issued {previous.issue_date:%d/%m/%Y}" if previous else ""
            self.alert_title.setText(f"Significant change from the previous prescription{since}")
            self.alert_text.setText("\n".join(f"•  {reason}" for reason in issued.alert_reasons))
            self.alert_box.show()
            self.refit()
            self.acknowledge_button.setFocus()
        self._say(f"{issued.kind_label} issued {issued.issue_date:%d/%m/%Y} and saved to the patient's record.",
                  "success")
        then()

    def _issue_failed(self, error: BaseException) -> bool:
        self.issue_button.setEnabled(True)
        self.save_button.setEnabled(True)
        if isinstance(error, ValidationFailed):
            self._show_problems(error.problems)
            return True
        if isinstance(error, UserFacingError):
            self._say(str(error), "error")
            return True
        self.message.hide()
        return False

    def _acknowledge(self) -> None:
        issued = self.issued_prescription
        if issued is None or issued.alert_id is None:
            return
        call, alert_id = self.workspace.call, issued.alert_id
        self.acknowledge_button.setEnabled(False)

        def done(_result: object) -> None:
            self.acknowledge_button.setText("Noted ✓")
            self.cancel_button.setFocus()

        run_op(lambda: call(prescriptions.acknowledge_alert, alert_id), on_done=done, parent=self)

    # ------------------------------------------------------------------ the PDF
    def pdf_work(self) -> Callable[[], bytes]:
        call, prescription_id = self.workspace.call, self.issued_id
        assert prescription_id is not None
        return lambda: call(clinical_documents.prescription_pdf, prescription_id)

    def file_name(self) -> str:
        assert self.draft is not None
        kind = "Prescription" if self.kind() != "no_rx_needed" else "Sight test statement"
        issued = self.issued_prescription.issue_date if self.issued_prescription else self.draft.issue_date
        return clinical_files.document_file_name(kind, self.draft.patient_name, issued)

    def _print(self) -> None:
        self._open_in_viewer("Issued and saved to the patient's record. The prescription is open in the PDF "
                             "viewer to print.")

    def _save_pdf_clicked(self) -> None:
        if self.issued_id is None:
            self._issue(then=self._save_pdf_as)
        else:
            self._save_pdf_as()
