"""Record a GOC registration check: what the GOC register showed for a practitioner, and until when
the practice treats the check as valid. Without a current check a practitioner cannot finalise exams."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.goc import CHECK_STATUSES, REGISTRANT_TYPES, registrant_type_for_number
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.services import clock, goc
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.widgets.forms import FieldError, labelled, mark_invalid


def _qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def _pydate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class GocCheckDialog(QDialog):
    """For practice managers: record a look-up of ``user_id`` on the GOC register."""

    def __init__(self, workspace: Workspace, user_id: uuid.UUID, practitioner_name: str,
                 goc_number: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace, self.user_id = workspace, user_id
        self.recorded: goc.RecordedCheck | None = None
        self.setWindowTitle("Record GOC registration check")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        title = QLabel(practitioner_name)
        title.setProperty("role", "title")
        layout.addWidget(title)
        explain = QLabel("Look the practitioner up on the GOC register (optical.org), then record what it shows. "
                         "Exams can be finalised only while a check says “registered” and is in date.")
        explain.setProperty("role", "subtitle")
        explain.setWordWrap(True)
        layout.addWidget(explain)

        self.goc_number = QLineEdit(goc_number)
        self.goc_number.setObjectName("gocNumber")
        self.goc_number.setPlaceholderText("e.g. 01-12345 or D-12345")
        self.registrant_type = QComboBox()
        self.registrant_type.setObjectName("registrantType")
        for value, text in REGISTRANT_TYPES.items():
            self.registrant_type.addItem(text, value)
        guessed = registrant_type_for_number(goc_number) or "optometrist"
        self.registrant_type.setCurrentIndex(self.registrant_type.findData(guessed))
        self.status = QComboBox()
        self.status.setObjectName("registerStatus")
        for value, text in CHECK_STATUSES.items():
            self.status.addItem(text, value)
        today = clock.today()
        self.checked_on = QDateEdit(_qdate(today))
        self.checked_on.setObjectName("checkedOn")
        self.checked_on.setCalendarPopup(True)
        self.checked_on.setDisplayFormat("dd/MM/yyyy")
        self.valid_until = QDateEdit(_qdate(today + timedelta(days=365)))
        self.valid_until.setObjectName("validUntil")
        self.valid_until.setCalendarPopup(True)
        self.valid_until.setDisplayFormat("dd/MM/yyyy")
        self.notes = QLineEdit()
        self.notes.setObjectName("checkNotes")
        self.notes.setPlaceholderText("e.g. Independent prescriber")

        self.errors = {name: FieldError() for name in
                       ("goc_number", "registrant_type", "status", "checked_on", "valid_until", "notes")}
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(10)
        grid.addWidget(labelled("GOC number", self.goc_number, self.errors["goc_number"]), 0, 0)
        grid.addWidget(labelled("Registrant", self.registrant_type, self.errors["registrant_type"]), 0, 1)
        grid.addWidget(labelled("The register shows", self.status, self.errors["status"]), 1, 0)
        grid.addWidget(labelled("Checked on", self.checked_on, self.errors["checked_on"]), 1, 1)
        grid.addWidget(labelled("Valid until", self.valid_until, self.errors["valid_until"],
                                "When to check again (registration renews every year)."), 2, 0)
        grid.addWidget(labelled("Notes", self.notes, self.errors["notes"]), 2, 1)
        layout.addLayout(grid)
        self.message = QLabel()
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("saveGocCheck")
        self.save_button.setText("Record check")
        self.save_button.setProperty("role", "primary")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.goc_number.setFocus()

    def save(self) -> None:
        for name, error in self.errors.items():
            error.show_message("")
            field = getattr(self, name, None)
            if isinstance(field, QWidget):
                mark_invalid(field, False)
        self.message.hide()
        self.save_button.setEnabled(False)
        call, user_id = self.workspace.call, self.user_id
        number, kind, status = self.goc_number.text(), self.registrant_type.currentData(), self.status.currentData()
        checked_on, valid_until = _pydate(self.checked_on.date()), _pydate(self.valid_until.date())
        notes = self.notes.text()
        run_op(lambda: call(goc.record_goc_check, user_id, goc_number=number, registrant_type=kind, status=status,
                            checked_on=checked_on, valid_until=valid_until, notes=notes),
               on_done=self._saved, on_error=self._failed, parent=self)

    def _saved(self, recorded: goc.RecordedCheck) -> None:
        self.recorded = recorded
        changes.changed.emit("staff")
        self.accept()

    def _failed(self, error: BaseException) -> bool:
        self.save_button.setEnabled(True)
        if isinstance(error, ValidationFailed):
            for name, message in error.problems.items():
                if name in self.errors:
                    self.errors[name].show_message(message)
                    field = getattr(self, name, None)
                    if isinstance(field, QWidget):
                        mark_invalid(field, True)
            return True
        if isinstance(error, UserFacingError):
            self.message.setText(str(error))
            self.message.show()
            return True
        return False
