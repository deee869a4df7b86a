"""Starting an NHS sight test's claim (the patient's part of the GOS 1), at booking or arrival: find
the patient, see what the NHS pays for and on which ground, the last sight test and the MoU interval;
a test sooner than the interval asks for the early-retest reason, which the record keeps."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.gos.eligibility import CATEGORY_LABELS, ExemptionCategory
from ils_desktop.domain.gos.intervals import EARLY_RETEST_REASONS
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.services import clock
from ils_desktop.services.nhs import eligibility, sight_tests
from ils_desktop.services.nhs.eligibility import NhsStatus
from ils_desktop.services.patients import PatientListing
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.widgets.forms import FieldError, labelled
from ils_desktop.ui.widgets.patient_finder import PatientFinder


def _qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def _date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class StartSightTestDialog(QDialog):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.patient: PatientListing | None = None
        self.status: NhsStatus | None = None
        self.setWindowTitle("Start an NHS sight test claim (GOS 1)")
        self.setMinimumWidth(680)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(10)
        self.finder = PatientFinder(workspace, self)
        self.finder.setMinimumHeight(210)
        self.finder.chosen.connect(self._chosen)
        layout.addWidget(labelled("Patient", self.finder))
        self.patient_line = QLabel("Find the patient, then press Enter.")
        self.patient_line.setObjectName("startPatient")
        self.patient_line.setProperty("role", "section")
        layout.addWidget(self.patient_line)
        self.grounds = QLabel()
        self.grounds.setObjectName("startGrounds")
        self.grounds.setWordWrap(True)
        self.grounds.setProperty("role", "info")
        self.grounds.hide()
        layout.addWidget(self.grounds)
        self.ground_button = QPushButton("Record a ground…")
        self.ground_button.setObjectName("recordGround")
        self.ground_button.setToolTip("A benefit, certificate, condition or full-time education")
        self.ground_button.setEnabled(False)
        self.ground_button.clicked.connect(self._record_ground)
        layout.addWidget(self.ground_button)
        row = QHBoxLayout()
        self.test_date = QDateEdit(_qdate(clock.today()))
        self.test_date.setObjectName("testDate")
        self.test_date.setCalendarPopup(True)
        self.test_date.setDisplayFormat("dd/MM/yyyy")
        self.test_date.dateChanged.connect(lambda _d: self._check())
        row.addWidget(labelled("Date of the sight test", self.test_date), 1)
        self.last_test = QDateEdit()
        self.last_test.setObjectName("lastTest")
        self.last_test.setCalendarPopup(True)
        self.last_test.setDisplayFormat("dd/MM/yyyy")
        self.last_test.dateChanged.connect(lambda _d: self._check())
        self.not_known = QCheckBox("Not known")
        self.not_known.setObjectName("lastTestNotKnown")
        self.not_known.toggled.connect(lambda on: (self.last_test.setEnabled(not on), self._check()))
        last_box = QWidget()
        last_row = QHBoxLayout(last_box)
        last_row.setContentsMargins(0, 0, 0, 0)
        last_row.addWidget(self.last_test, 1)
        last_row.addWidget(self.not_known)
        self.last_error = FieldError()
        row.addWidget(labelled("Date of the last sight test", last_box, self.last_error), 1)
        layout.addLayout(row)
        self.early = QLabel()
        self.early.setObjectName("earlyRetest")
        self.early.setProperty("role", "warning")
        self.early.setWordWrap(True)
        self.early.hide()
        layout.addWidget(self.early)
        self.reason = QComboBox()
        self.reason.setObjectName("earlyRetestCode")
        self.reason.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.reason.setMinimumContentsLength(24)
        self.reason.addItem("Choose the reason…", None)
        for code, text in EARLY_RETEST_REASONS.items():
            self.reason.addItem(f"{code} — {text}", code)
        self.reason_note = QLineEdit()
        self.reason_note.setObjectName("earlyRetestNote")
        self.reason_note.setPlaceholderText("The reason in the record's words, e.g. the symptoms")
        self.reason_error = FieldError()
        self.reason_box = QWidget()
        reason_row = QHBoxLayout(self.reason_box)
        reason_row.setContentsMargins(0, 0, 0, 0)
        reason_row.addWidget(labelled("Early-retest reason", self.reason, self.reason_error), 1)
        reason_row.addWidget(labelled("Reason in the record", self.reason_note), 1)
        self.reason_box.hide()
        layout.addWidget(self.reason_box)
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("startClaim")
        self.save_button.setText("Start the claim")
        self.save_button.setProperty("role", "primary")
        self.save_button.setEnabled(False)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.finder.focus()

    def _chosen(self, patient: PatientListing) -> None:
        self.patient = patient
        self.patient_line.setText(f"{patient.first_name} {patient.last_name}, born {patient.date_of_birth:%d/%m/%Y}")
        patient_id, on, call = patient.id, _date(self.test_date.date()), self.workspace.call
        run_op(lambda: call(eligibility.nhs_status, patient_id, on), on_done=self._status, parent=self)

    def _record_ground(self) -> None:
        if self.patient is None:
            return
        from ils_desktop.ui.screens.nhs_claims.exemption_dialog import ExemptionDialog

        self.ground_dialog = ExemptionDialog(self.workspace, self.patient.id,
                                             f"{self.patient.first_name} {self.patient.last_name}", self)
        self.ground_dialog.accepted.connect(lambda: self._chosen(self.patient))  # type: ignore[arg-type]
        self.ground_dialog.open()

    def _status(self, status: NhsStatus) -> None:
        self.ground_button.setEnabled(True)
        self.status = status
        if status.sight_test_eligible:
            labels = "; ".join(CATEGORY_LABELS[ExemptionCategory(g)] for g in status.sight_test_grounds)
            voucher = "and a voucher" if status.voucher_eligible else "but no voucher"
            self.grounds.setText(f"Eligible for an NHS sight test {voucher}: {labels}. Interval: "
                                 f"{status.interval_months} months ({status.interval_reason}).")
            self.grounds.setProperty("role", "success")
        else:
            self.grounds.setText("No ground for an NHS sight test is recorded: record the patient's ground "
                                 "(benefit, certificate, condition) on their record first, or test privately.")
            self.grounds.setProperty("role", "warning")
        self.grounds.style().unpolish(self.grounds)
        self.grounds.style().polish(self.grounds)
        self.grounds.show()
        if status.last_sight_test:
            self.last_test.setDate(_qdate(status.last_sight_test))
            self.not_known.setChecked(False)
        else:
            self.not_known.setChecked(True)
        self.save_button.setEnabled(status.sight_test_eligible)
        self._check()

    def _check(self) -> None:
        """Say when the test is sooner than the interval and ask for the reason."""
        if self.status is None:
            return
        from ils_desktop.domain.exam.recall import add_months
        from ils_desktop.domain.gos.intervals import is_early_retest

        last = None if self.not_known.isChecked() else _date(self.last_test.date())
        on = _date(self.test_date.date())
        early = is_early_retest(last, on, self.status.interval_months)
        if early and last is not None:
            due = add_months(last, self.status.interval_months)
            self.early.setText(f"The last sight test was on {last:%d/%m/%Y}: an NHS sight test before {due:%d/%m/%Y} "
                               f"({self.status.interval_months} months) needs an early-retest reason.")
        self.early.setVisible(early)
        self.reason_box.setVisible(early)

    def _save(self) -> None:
        if self.patient is None:
            return
        self.error.hide()
        self.reason_error.show_message("")
        self.last_error.show_message("")
        start = sight_tests.SightTestStart(
            self.patient.id, _date(self.test_date.date()),
            last_sight_test=None if self.not_known.isChecked() else _date(self.last_test.date()),
            last_sight_test_not_known=self.not_known.isChecked(),
            early_retest_code=self.reason.currentData() if self.reason_box.isVisible() else None,
            early_retest_note=self.reason_note.text() if self.reason_box.isVisible() else "")
        call = self.workspace.call
        run_op(lambda: call(sight_tests.start_sight_test_claim, start), on_done=self._started, on_error=self._failed,
               parent=self)

    def _started(self, claim_id: object) -> None:
        self.claim_id = claim_id
        changes.changed.emit("nhs_claims")
        self.accept()

    def _failed(self, error: BaseException) -> bool:
        if isinstance(error, ValidationFailed):
            for field, message in error.problems.items():
                target = {"early_retest_code": self.reason_error, "last_sight_test": self.last_error}.get(field)
                if target is not None:
                    target.show_message(message)
                else:
                    self.error.setText(message)
                    self.error.show()
            return True
        if isinstance(error, UserFacingError):
            self.error.setText(str(error))
            self.error.show()
            return True
        return False
