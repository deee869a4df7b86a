"""Recording a patient's NHS ground (``nhs_patient_exemptions``): the category, its dates, whether
the evidence was seen, and the details a claim needs — the school or college and its town, the
person whose benefit it is, the HC3 contribution."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
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

from ils_desktop.domain.gos.eligibility import (
    AGE_CATEGORIES,
    BENEFIT_CATEGORIES,
    CATEGORY_LABELS,
    Exemption,
    ExemptionCategory,
)
from ils_desktop.errors import ValidationFailed
from ils_desktop.services import clock
from ils_desktop.services.nhs import eligibility
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.widgets.forms import FieldError, labelled

RECORDED = [c for c in ExemptionCategory if c not in AGE_CATEGORIES or c is ExemptionCategory.FULL_TIME_EDUCATION]


class ExemptionDialog(QDialog):
    def __init__(self, workspace: Workspace, patient_id: uuid.UUID, patient_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace, self.patient_id = workspace, patient_id
        self.setWindowTitle(f"NHS ground for {patient_name}")
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(10)
        hint = QLabel("Under 16 and 60 or over come from the date of birth: nothing to record.")
        hint.setProperty("role", "hint")
        layout.addWidget(hint)
        self.category = QComboBox()
        self.category.setObjectName("exemptionCategory")
        for category in RECORDED:
            self.category.addItem(CATEGORY_LABELS[category], category.value)
        self.category.currentIndexChanged.connect(lambda _i: self._fields())
        layout.addWidget(labelled("Ground", self.category))
        grid = QGridLayout()
        self.valid_from = QDateEdit(QDate(clock.today().year, clock.today().month, clock.today().day))
        self.valid_from.setDisplayFormat("dd/MM/yyyy")
        self.valid_from.setCalendarPopup(True)
        self.valid_to = QDateEdit(QDate(clock.today().year + 1, clock.today().month, 1))
        self.valid_to.setDisplayFormat("dd/MM/yyyy")
        self.valid_to.setCalendarPopup(True)
        self.no_end = QCheckBox("No end date")
        self.no_end.setChecked(True)
        self.no_end.toggled.connect(lambda on: self.valid_to.setEnabled(not on))
        self.valid_to.setEnabled(False)
        grid.addWidget(labelled("From", self.valid_from), 0, 0)
        grid.addWidget(labelled("Until", self.valid_to), 0, 1)
        grid.addWidget(self.no_end, 0, 2)
        self.establishment_name, self.establishment_town = QLineEdit(), QLineEdit()
        self.establishment_name.setObjectName("establishmentName")
        self.establishment_town.setObjectName("establishmentTown")
        self.beneficiary_name = QLineEdit()
        self.beneficiary_name.setPlaceholderText("Only when it is another person's benefit")
        self.beneficiary_born = QDateEdit(QDate(1970, 1, 1))
        self.beneficiary_born.setDisplayFormat("dd/MM/yyyy")
        self.contribution = QLineEdit()
        self.contribution.setObjectName("hc3Contribution")
        self.contribution.setPlaceholderText("0.00")
        self.errors = {name: FieldError() for name in ("establishment_name", "establishment_town",
                                                        "beneficiary_date_of_birth", "hc3_contribution")}
        self.rows = {
            "establishment": [labelled("School or college", self.establishment_name, self.errors["establishment_name"]),
                              labelled("Its town", self.establishment_town, self.errors["establishment_town"])],
            "beneficiary": [labelled("Whose benefit", self.beneficiary_name),
                            labelled("Their date of birth", self.beneficiary_born,
                                     self.errors["beneficiary_date_of_birth"])],
            "hc3": [labelled("Contribution on the HC3 (£)", self.contribution, self.errors["hc3_contribution"])],
        }
        for row, key in enumerate(self.rows, start=1):
            for column, widget in enumerate(self.rows[key]):
                grid.addWidget(widget, row, column)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        for name in ("establishment_name", "establishment_town"):
            getattr(self, name).textEdited.connect(lambda _t, n=name: self.errors[n].show_message(""))
        self.evidence = QCheckBox("Evidence seen (certificate, award letter, student card, hospital letter)")
        self.evidence.setObjectName("evidenceSeen")
        self.evidence_note = QLineEdit()
        self.evidence_note.setPlaceholderText("What was seen")
        layout.addWidget(self.evidence)
        layout.addWidget(self.evidence_note)
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("saveExemption")
        self.save_button.setProperty("role", "primary")
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._fields()

    def _fields(self) -> None:
        category = ExemptionCategory(self.category.currentData())
        shown = {"establishment": category is ExemptionCategory.FULL_TIME_EDUCATION,
                 "beneficiary": category in BENEFIT_CATEGORIES or category in (ExemptionCategory.HC2,
                                                                               ExemptionCategory.HC3),
                 "hc3": category is ExemptionCategory.HC3}
        for key, widgets in self.rows.items():
            for widget in widgets:
                widget.setVisible(shown[key])

    @staticmethod
    def _day(value: QDate) -> date:
        return date(value.year(), value.month(), value.day())

    def _save(self) -> None:
        for error in self.errors.values():
            error.show_message("")
        self.error.hide()
        category = ExemptionCategory(self.category.currentData())
        try:
            contribution = Decimal(self.contribution.text().strip() or "0") if category is ExemptionCategory.HC3 \
                else None
        except InvalidOperation:
            self.errors["hc3_contribution"].show_message("Enter the contribution in pounds, e.g. 28.50.")
            return
        beneficiary = self.beneficiary_name.text().strip() if self.beneficiary_name.isVisible() else ""
        exemption = Exemption(
            category, valid_from=self._day(self.valid_from.date()),
            valid_to=None if self.no_end.isChecked() else self._day(self.valid_to.date()),
            evidence_seen=self.evidence.isChecked(), beneficiary_name=beneficiary or None,
            beneficiary_date_of_birth=self._day(self.beneficiary_born.date()) if beneficiary else None,
            establishment_name=self.establishment_name.text().strip() or None,
            establishment_town=self.establishment_town.text().strip() or None, hc3_contribution=contribution)
        patient_id, note, call = self.patient_id, self.evidence_note.text(), self.workspace.call
        run_op(lambda: call(eligibility.record_exemption, patient_id, exemption, note),
               on_done=lambda _r: (changes.changed.emit("nhs_claims"), self.accept()), on_error=self._failed,
               parent=self)

    def _failed(self, error: BaseException) -> bool:
        if isinstance(error, ValidationFailed):
            for field, message in error.problems.items():
                if field in self.errors:
                    self.errors[field].show_message(message)
                else:
                    self.error.setText(message)
                    self.error.show()
            return True
        return False
