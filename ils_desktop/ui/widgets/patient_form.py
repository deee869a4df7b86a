"""Register a patient, or edit one: every detail the practice keeps, with errors shown on the field
as soon as the receptionist leaves it, and a likely-duplicate warning before a second record for the
same person is made ("Open existing" / "Register anyway")."""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.nhs_number import format_nhs_number, is_valid_nhs_number
from ils_desktop.domain.patient_details import (
    CONSENT_CHANNELS,
    SEX_LABELS,
    TITLES,
    PatientDetails,
    patient_problems,
)
from ils_desktop.domain.patient_search import parse_uk_date
from ils_desktop.domain.postcode import is_valid_postcode, normalise_postcode
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.services import clock, patients
from ils_desktop.services.patients import LikelyDuplicate, PatientListing, PatientRecord, RegisteredPatient
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import icon, set_style_property
from ils_desktop.ui.widgets.forms import FieldError, labelled, mark_invalid

_TEXT_FIELDS = ("first_name", "last_name", "preferred_name", "nhs_number", "email", "mobile_phone", "home_phone",
                "address_line1", "address_line2", "town", "county", "postcode", "gp_practice", "occupation")
_NOTE_FIELDS = ("medical_history", "medications", "allergies", "family_ocular_history")
_TOP = Qt.AlignmentFlag.AlignTop  # a field whose error shows must not shift its neighbours' captions


def _section(text: str) -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "section")
    return label


def _today() -> date:
    return clock.today()


class PatientFormDialog(QDialog):
    """``registered`` holds the new patient after a registration; ``open_existing`` the patient the
    receptionist chose to open instead (a likely duplicate). Editing saves in place."""

    def __init__(self, workspace: Workspace, record: PatientRecord | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.record = record
        self.registered: RegisteredPatient | None = None
        self.open_existing: uuid.UUID | None = None
        self._duplicates: list[PatientListing] = []
        self.setWindowTitle("Edit patient" if record else "Register a patient")
        self.setObjectName("patientForm")
        self.setModal(True)
        self.resize(940, 720)
        root = QVBoxLayout(self)
        root.setContentsMargins(24, 20, 24, 18)
        root.setSpacing(12)

        heading = QLabel(f"Edit {record.summary.name}" if record else "Register a new patient")
        heading.setProperty("role", "title")
        hint = QLabel(f"Customer no. {record.customer_number}" if record else
                      "Name and date of birth are required; everything else can be added later.")
        hint.setProperty("role", "subtitle")
        root.addWidget(heading)
        root.addWidget(hint)

        self.errors: dict[str, FieldError] = {name: FieldError() for name in (
            *_TEXT_FIELDS, *_NOTE_FIELDS, "title", "date_of_birth", "sex")}
        body = QWidget()
        body.setObjectName("patientFormBody")
        columns = QHBoxLayout(body)
        columns.setContentsMargins(0, 0, 8, 0)
        columns.setSpacing(28)
        columns.addLayout(self._build_identity_and_contact(), 1)
        columns.addLayout(self._build_health_and_consent(), 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        root.addWidget(scroll, 1)

        root.addWidget(self._build_duplicate_warning())
        self.general_error = QLabel()
        self.general_error.setObjectName("patientFormError")
        self.general_error.setProperty("role", "error")
        self.general_error.setWordWrap(True)
        self.general_error.hide()
        root.addWidget(self.general_error)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("savePatientButton")
        self.save_button.setProperty("role", "primary")
        self.save_button.setText("Save changes" if record else "Register patient")
        self.save_button.setToolTip("Save (Ctrl+S)")
        self.save_button.setDefault(True)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        root.addWidget(buttons)
        QShortcut(QKeySequence("Ctrl+S"), self).activated.connect(self.save)

        if record is not None:
            self._fill(record.details)
        self._connect_inline_checks()
        self.first_name.setFocus()

    # --- building ----------------------------------------------------------------------------
    def _line(self, name: str, placeholder: str = "") -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        if placeholder:
            edit.setPlaceholderText(placeholder)
        setattr(self, name, edit)
        return edit

    def _notes(self, name: str, placeholder: str) -> QPlainTextEdit:
        edit = QPlainTextEdit()
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        edit.setTabChangesFocus(True)  # Tab moves on, as in every other field
        edit.setFixedHeight(64)
        setattr(self, name, edit)
        return edit

    def _field(self, caption: str, name: str, hint: str = "") -> QWidget:
        return labelled(caption, getattr(self, name), self.errors[name], hint)

    def _build_identity_and_contact(self) -> QVBoxLayout:
        layout = QVBoxLayout()
        layout.setSpacing(10)
        layout.addWidget(_section("Patient"))
        self.title = QComboBox()
        self.title.setObjectName("title")
        self.title.setEditable(True)
        self.title.addItems(["", *TITLES])
        self.sex = QComboBox()
        self.sex.setObjectName("sex")
        for value, label in SEX_LABELS.items():
            self.sex.addItem(label, value)
        self.sex.setCurrentIndex(self.sex.findData("unknown"))
        self._line("first_name")
        self._line("last_name")
        self._line("preferred_name", "e.g. Liz")
        self.date_of_birth = QLineEdit()
        self.date_of_birth.setObjectName("date_of_birth")
        self.date_of_birth.setPlaceholderText("dd/mm/yyyy")
        self._line("nhs_number", "e.g. 943 476 5919")
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(8)
        grid.addWidget(self._field("Title", "title"), 0, 0, 1, 1, _TOP)
        grid.addWidget(self._field("First name", "first_name"), 0, 1, 1, 1, _TOP)
        grid.addWidget(self._field("Last name", "last_name"), 0, 2, 1, 1, _TOP)
        grid.addWidget(self._field("Known as", "preferred_name"), 1, 0, 1, 1, _TOP)
        grid.addWidget(self._field("Date of birth", "date_of_birth"), 1, 1, 1, 1, _TOP)
        grid.addWidget(self._field("Sex", "sex"), 1, 2, 1, 1, _TOP)
        grid.addWidget(self._field("NHS number", "nhs_number"), 2, 0, 1, 3, _TOP)
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(2, 3)
        layout.addLayout(grid)

        layout.addWidget(_section("Contact"))
        self._line("mobile_phone", "07700 900123")
        self._line("home_phone", "01947 600123")
        self._line("email", "name@example.com")
        self._line("address_line1")
        self._line("address_line2")
        self._line("town")
        self._line("county")
        self._line("postcode", "YO21 3PU")
        contact = QGridLayout()
        contact.setHorizontalSpacing(14)
        contact.setVerticalSpacing(8)
        contact.addWidget(self._field("Mobile", "mobile_phone"), 0, 0, 1, 3, _TOP)
        contact.addWidget(self._field("Home phone", "home_phone"), 0, 3, 1, 3, _TOP)
        contact.addWidget(self._field("Email", "email"), 1, 0, 1, 6, _TOP)
        contact.addWidget(self._field("Address", "address_line1"), 2, 0, 1, 6, _TOP)
        contact.addWidget(self._field("Address line 2", "address_line2"), 3, 0, 1, 6, _TOP)
        contact.addWidget(self._field("Town", "town"), 4, 0, 1, 2, _TOP)
        contact.addWidget(self._field("County", "county"), 4, 2, 1, 2, _TOP)
        contact.addWidget(self._field("Postcode", "postcode"), 4, 4, 1, 2, _TOP)
        for column in range(6):
            contact.setColumnStretch(column, 1)
        layout.addLayout(contact)

        layout.addWidget(_section("May we contact them by"))
        consent = QGridLayout()
        consent.setHorizontalSpacing(14)
        self.consent: dict[str, QCheckBox] = {}
        for i, (key, label) in enumerate(CONSENT_CHANNELS.items()):
            box = QCheckBox(label)
            box.setObjectName(f"consent_{key}")
            box.setChecked(self.record is None and key in ("phone", "post", "recall_reminders"))
            self.consent[key] = box
            consent.addWidget(box, i // 3, i % 3)
        layout.addLayout(consent)
        layout.addStretch(1)
        return layout

    def _build_health_and_consent(self) -> QVBoxLayout:
        layout = QVBoxLayout()
        layout.setSpacing(10)
        layout.addWidget(_section("Health and lifestyle"))
        self._line("gp_practice", "Surgery name")
        self._line("occupation")
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(8)
        grid.addWidget(self._field("GP practice", "gp_practice"), 0, 0, 1, 1, _TOP)
        grid.addWidget(self._field("Occupation", "occupation"), 0, 1, 1, 1, _TOP)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        flags = QHBoxLayout()
        self.is_driver = QCheckBox("Drives")
        self.is_driver.setObjectName("is_driver")
        self.is_vdu_user = QCheckBox("Uses a screen (VDU) at work")
        self.is_vdu_user.setObjectName("is_vdu_user")
        flags.addWidget(self.is_driver)
        flags.addWidget(self.is_vdu_user)
        flags.addStretch(1)
        layout.addLayout(flags)
        self._notes("medical_history", "General health, e.g. type 2 diabetes, hypertension")
        self._notes("medications", "Current medicines and eye drops")
        self._notes("allergies", "e.g. penicillin — shown as an alert on the record")
        self._notes("family_ocular_history", "e.g. mother: glaucoma")
        layout.addWidget(self._field("Medical history", "medical_history"))
        layout.addWidget(self._field("Medications", "medications"))
        layout.addWidget(self._field("Allergies", "allergies"))
        layout.addWidget(self._field("Family eye history", "family_ocular_history"))

        layout.addStretch(1)
        return layout

    def _build_duplicate_warning(self) -> QFrame:
        self.duplicate_panel = QFrame()
        self.duplicate_panel.setObjectName("duplicateWarning")
        self.duplicate_panel.setProperty("role", "card")
        layout = QHBoxLayout(self.duplicate_panel)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(12)
        warning = QLabel()
        warning.setPixmap(icon("warning", "#B45309").pixmap(22, 22))
        warning.setAlignment(Qt.AlignmentFlag.AlignTop)
        layout.addWidget(warning)
        texts = QVBoxLayout()
        texts.setSpacing(4)
        title = QLabel("This patient may already be registered")
        title.setProperty("role", "section")
        self.duplicate_list = QLabel()
        self.duplicate_list.setObjectName("duplicateList")
        self.duplicate_list.setWordWrap(True)
        self.duplicate_list.setTextFormat(Qt.TextFormat.PlainText)
        texts.addWidget(title)
        texts.addWidget(self.duplicate_list)
        layout.addLayout(texts, 1)
        self.open_existing_button = QPushButton("Open existing")
        self.open_existing_button.setObjectName("openExistingButton")
        self.open_existing_button.setProperty("role", "primary")
        self.open_existing_button.clicked.connect(self._open_existing)
        self.register_anyway_button = QPushButton("Register anyway")
        self.register_anyway_button.setObjectName("registerAnywayButton")
        self.register_anyway_button.clicked.connect(lambda: self.save(allow_duplicate=True))
        layout.addWidget(self.open_existing_button, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.register_anyway_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.duplicate_panel.hide()
        return self.duplicate_panel

    # --- values ------------------------------------------------------------------------------
    def _fill(self, details: PatientDetails) -> None:
        for name in _TEXT_FIELDS:
            getattr(self, name).setText(getattr(details, name) or "")
        if details.nhs_number and is_valid_nhs_number(details.nhs_number):
            self.nhs_number.setText(format_nhs_number(details.nhs_number))
        for name in _NOTE_FIELDS:
            getattr(self, name).setPlainText(getattr(details, name) or "")
        self.title.setCurrentText(details.title or "")
        self.sex.setCurrentIndex(max(0, self.sex.findData(details.sex)))
        self.date_of_birth.setText(f"{details.date_of_birth:%d/%m/%Y}" if details.date_of_birth else "")
        self.is_driver.setChecked(details.is_driver)
        self.is_vdu_user.setChecked(details.is_vdu_user)
        for key, box in self.consent.items():
            box.setChecked(bool(details.communication_consent.get(key)))

    def details(self) -> PatientDetails:
        """What the form holds now, as typed (the service normalises and validates)."""
        values: dict[str, object] = {name: getattr(self, name).text() for name in _TEXT_FIELDS}
        values |= {name: getattr(self, name).toPlainText() for name in _NOTE_FIELDS}
        consent = dict(self.record.details.communication_consent) if self.record else {}
        consent |= {key: box.isChecked() for key, box in self.consent.items()}
        values |= {
            "title": self.title.currentText().strip(), "sex": self.sex.currentData(),
            "date_of_birth": parse_uk_date(self.date_of_birth.text().strip(), _today(), allow_future=True),
            "is_driver": self.is_driver.isChecked(), "is_vdu_user": self.is_vdu_user.isChecked(),
            "communication_consent": consent,
        }
        known = {f.name for f in fields(PatientDetails)}
        return PatientDetails(**{k: v for k, v in values.items() if k in known})  # type: ignore[arg-type]

    # --- inline checks -----------------------------------------------------------------------
    def _connect_inline_checks(self) -> None:
        for name in ("first_name", "last_name", "nhs_number", "postcode", "email", "mobile_phone", "home_phone",
                     "date_of_birth"):
            edit: QLineEdit = getattr(self, name)
            edit.editingFinished.connect(lambda name=name: self._check_field(name))
            edit.textEdited.connect(lambda _text, name=name: self._clear_field(name))

    def _check_field(self, name: str) -> None:
        """Leaving a field: tidy what can be tidied and say at once what is wrong with it."""
        if name == "nhs_number" and is_valid_nhs_number(self.nhs_number.text()):
            self.nhs_number.setText(format_nhs_number(self.nhs_number.text()))
        if name == "postcode" and is_valid_postcode(self.postcode.text()):
            self.postcode.setText(normalise_postcode(self.postcode.text()))
        if name == "date_of_birth":
            born = parse_uk_date(self.date_of_birth.text().strip(), _today(), allow_future=True)
            if born is not None:
                self.date_of_birth.setText(f"{born:%d/%m/%Y}")
        typed = getattr(self, name).text().strip()
        problem = patient_problems(self.details(), _today()).get(name) if typed else None
        if name == "date_of_birth" and typed and self.details().date_of_birth is None:
            problem = f"'{typed}' is not a date: type it as day/month/year, e.g. 12/03/1960."
        self._show_problem(name, problem or "")

    def _clear_field(self, name: str) -> None:
        if self.errors[name].isVisible():
            self._show_problem(name, "")

    def _show_problem(self, name: str, message: str) -> None:
        self.errors[name].show_message(message)
        field = getattr(self, name, None)
        if isinstance(field, QWidget):
            mark_invalid(field, bool(message))

    # --- saving ------------------------------------------------------------------------------
    def save(self, allow_duplicate: bool = False) -> None:
        if not self.save_button.isEnabled():
            return
        for name in self.errors:
            self._show_problem(name, "")
        self.general_error.hide()
        details = self.details()
        if self.date_of_birth.text().strip() and details.date_of_birth is None:
            self._show_problem("date_of_birth", f"'{self.date_of_birth.text().strip()}' is not a date: type it as "
                                                "day/month/year, e.g. 12/03/1960.")
            self.date_of_birth.setFocus()
            return
        self._set_busy(True)
        call = self.workspace.call
        if self.record is None:
            run_op(lambda: call(patients.register_patient, details, allow_duplicate=allow_duplicate),
                   on_done=self._registered, on_error=self._failed, parent=self)
        else:
            patient_id, opened_at = self.record.id, self.record.updated_at
            run_op(lambda: call(patients.update_patient, patient_id, details, expected_updated_at=opened_at),
                   on_done=self._updated, on_error=self._failed, parent=self)

    def _set_busy(self, busy: bool) -> None:
        for button in (self.save_button, self.register_anyway_button, self.open_existing_button):
            button.setEnabled(not busy)

    def _registered(self, registered: RegisteredPatient) -> None:
        self.registered = registered
        changes.changed.emit("patients")
        self.accept()

    def _updated(self, _result: object) -> None:
        changes.changed.emit("patients")
        self.accept()

    def _failed(self, error: BaseException) -> bool:
        self._set_busy(False)
        if isinstance(error, LikelyDuplicate):
            self._show_duplicates(error.duplicates)
            return True
        if isinstance(error, ValidationFailed):
            first: QWidget | None = None
            for name, message in error.problems.items():
                if name in self.errors:
                    self._show_problem(name, message)
                    first = first or getattr(self, name, None)
                else:
                    self.general_error.setText(message)
                    self.general_error.show()
            if first is not None:
                first.setFocus()
            return True
        if isinstance(error, UserFacingError):
            self.general_error.setText(str(error))
            self.general_error.show()
            return True
        return False

    def _show_duplicates(self, duplicates: list[PatientListing]) -> None:
        self._duplicates = duplicates
        lines = []
        for patient in duplicates:
            parts = [patient.name, f"born {patient.date_of_birth:%d/%m/%Y}", f"no. {patient.customer_number}"]
            if patient.nhs_number_display:
                parts.append(f"NHS {patient.nhs_number_display}")
            if patient.postcode:
                parts.append(patient.postcode)
            lines.append(" · ".join(parts))
        self.duplicate_list.setText("\n".join(lines) + "\nOpen the existing record, or register anyway if this "
                                    "is a different person.")
        self.duplicate_panel.show()
        set_style_property(self.duplicate_panel, "tone", "warning")
        self.open_existing_button.setFocus()

    def _open_existing(self) -> None:
        if self._duplicates:
            self.open_existing = self._duplicates[0].id
            self.accept()
