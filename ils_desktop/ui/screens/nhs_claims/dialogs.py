"""The claims screen's dialogs: signing a claim (the pad, or an attestation), recording PCSE's
answer, and a payment schedule's reconciliation."""

from __future__ import annotations

import uuid

from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.gos.claims import Signer
from ils_desktop.domain.gos.payments import LineOutcome
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.services import clock
from ils_desktop.services.nhs import claims
from ils_desktop.services.nhs.payments import PaymentImport
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.screens.nhs_claims.models import PaymentLinesModel, UnpaidModel
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import polish_table
from ils_desktop.ui.widgets.forms import FieldError, labelled
from ils_desktop.ui.widgets.signature_pad import SignaturePad

SIGNERS = ((Signer.PATIENT, "Patient"), (Signer.PARENT_GUARDIAN_CARER, "Parent, guardian or carer"),
           (Signer.PERFORMER, "Performer"), (Signer.CONTRACTOR, "Contractor"))


class SignClaimDialog(QDialog):
    """One dated signature on a claim: drawn on the pad, or attested (signed on paper or elsewhere)."""

    def __init__(self, workspace: Workspace, claim: claims.ClaimView, signer: Signer = Signer.PATIENT,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.claim = claim
        self.setWindowTitle(f"Sign claim {claim.number}")
        self.setMinimumWidth(600)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(12)
        patient = claim.parts.get("patient", {})
        heading = QLabel(f"{claim.form[:3]} {claim.form[3:]} claim {claim.number} — "
                         f"{patient.get('forenames', '')} {patient.get('surname', '')}")
        heading.setProperty("role", "section")
        layout.addWidget(heading)
        self.signer = QComboBox()
        self.signer.setObjectName("signerChoice")
        for value, label in SIGNERS:
            if claim.form not in ("GOS1", "GOS6") and value is Signer.PERFORMER:
                continue
            self.signer.addItem(label, value.value)
        self.signer.setCurrentIndex(max(0, self.signer.findData(signer.value)))
        self.printed_name = QLineEdit()
        self.printed_name.setObjectName("printedName")
        self.printed_name.setPlaceholderText("Required of a parent, guardian or carer")
        row = QHBoxLayout()
        row.addWidget(labelled("Who is signing", self.signer), 1)
        self.printed_error = FieldError()
        row.addWidget(labelled("Printed name", self.printed_name, self.printed_error), 1)
        layout.addLayout(row)
        self.declaration = QLabel(claims.PATIENT_DECLARATION)
        self.declaration.setWordWrap(True)
        self.declaration.setProperty("role", "info")
        layout.addWidget(self.declaration)
        methods = QHBoxLayout()
        self.by_pad = QRadioButton("Sign on the pad")
        self.by_pad.setObjectName("byPad")
        self.by_attestation = QRadioButton("Record an attestation instead")
        self.by_attestation.setObjectName("byAttestation")
        group = QButtonGroup(self)
        group.addButton(self.by_pad)
        group.addButton(self.by_attestation)
        self.by_pad.setChecked(True)
        methods.addWidget(self.by_pad)
        methods.addWidget(self.by_attestation)
        methods.addStretch(1)
        layout.addLayout(methods)
        self.stack = QStackedWidget()
        pad_box = QWidget()
        pad_layout = QVBoxLayout(pad_box)
        pad_layout.setContentsMargins(0, 0, 0, 0)
        self.pad = SignaturePad()
        pad_layout.addWidget(self.pad)
        clear = QPushButton("Clear")
        clear.setObjectName("clearPad")
        clear.clicked.connect(self.pad.clear)
        pad_row = QHBoxLayout()
        hint = QLabel("Use a pen, a finger or the mouse.")
        hint.setProperty("role", "hint")
        pad_row.addWidget(hint, 1)
        pad_row.addWidget(clear)
        pad_layout.addLayout(pad_row)
        self.stack.addWidget(pad_box)
        self.attestation = QLineEdit()
        self.attestation.setObjectName("attestation")
        self.attestation.setPlaceholderText("e.g. Signed on the paper form, kept in the patient's file")
        attest_box = QWidget()
        attest_layout = QVBoxLayout(attest_box)
        attest_layout.setContentsMargins(0, 0, 0, 0)
        attest_layout.addWidget(labelled("Attestation", self.attestation,
                                         hint="Who saw the signature, and where the signed copy is kept."))
        attest_layout.addStretch(1)
        self.stack.addWidget(attest_box)
        layout.addWidget(self.stack)
        self.by_pad.toggled.connect(lambda on: self.stack.setCurrentIndex(0 if on else 1))
        self.dated = QLabel(f"Dated {clock.today():%d %B %Y}")
        self.dated.setProperty("role", "hint")
        layout.addWidget(self.dated)
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("saveSignature")
        self.save_button.setText("Save signature")
        self.save_button.setProperty("role", "primary")
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _save(self) -> None:
        self.error.hide()
        self.printed_error.show_message("")
        signature = claims.SignatureInput(
            Signer(self.signer.currentData()), clock.today(), image=self.pad.png() if self.by_pad.isChecked() else None,
            attestation=self.attestation.text() if self.by_attestation.isChecked() else "",
            printed_name=self.printed_name.text())
        self.save_button.setEnabled(False)
        claim_id, call = self.claim.id, self.workspace.call
        run_op(lambda: call(claims.sign_claim, claim_id, signature), on_done=self._saved, on_error=self._failed,
               parent=self)

    def _saved(self, _result: object) -> None:
        changes.changed.emit("nhs_claims")
        self.accept()

    def _failed(self, error: BaseException) -> bool:
        self.save_button.setEnabled(True)
        if isinstance(error, ValidationFailed):
            if "printed_name" in error.problems:
                self.printed_error.show_message(error.problems["printed_name"])
            others = [m for k, m in error.problems.items() if k != "printed_name"]
            if others:
                self.error.setText(" ".join(others))
                self.error.show()
            return True
        if isinstance(error, UserFacingError):
            self.error.setText(str(error))
            self.error.show()
            return True
        return False


class OutcomeDialog(QDialog):
    """PCSE's answer to a submitted claim: accepted with its reference, or rejected with the reason."""

    def __init__(self, workspace: Workspace, claim_id: uuid.UUID, number: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace, self.claim_id = workspace, claim_id
        self.setWindowTitle(f"PCSE's answer to claim {number}")
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        self.accepted_choice = QRadioButton("Accepted")
        self.accepted_choice.setObjectName("outcomeAccepted")
        self.rejected_choice = QRadioButton("Rejected")
        self.rejected_choice.setObjectName("outcomeRejected")
        self.accepted_choice.setChecked(True)
        row = QHBoxLayout()
        row.addWidget(self.accepted_choice)
        row.addWidget(self.rejected_choice)
        row.addStretch(1)
        layout.addLayout(row)
        self.reference = QLineEdit()
        self.reference.setObjectName("outcomeReference")
        self.reason = QLineEdit()
        self.reason.setObjectName("outcomeReason")
        self.reason_error = FieldError()
        layout.addWidget(labelled("PCSE claim reference", self.reference))
        layout.addWidget(labelled("Reason given (when rejected)", self.reason, self.reason_error))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setProperty("role", "primary")
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _save(self) -> None:
        accepted, reference, reason = self.accepted_choice.isChecked(), self.reference.text(), self.reason.text()
        claim_id, call = self.claim_id, self.workspace.call
        run_op(lambda: call(claims.record_claim_outcome, claim_id, accepted, reference=reference, reason=reason),
               on_done=lambda _r: (changes.changed.emit("nhs_claims"), self.accept()), on_error=self._failed,
               parent=self)

    def _failed(self, error: BaseException) -> bool:
        if isinstance(error, ValidationFailed):
            self.reason_error.show_message(" ".join(error.problems.values()))
            return True
        return False


class PaymentResultDialog(QDialog):
    """What a payment schedule paid, line by line, and the submitted claims it did not pay."""

    def __init__(self, result: PaymentImport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Payment schedule of {result.payment_date:%d %B %Y}")
        self.resize(960, 620)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(10)
        counts = (f"£{result.total:,.2f} in {len(result.lines)} lines: "
                  f"{result.count(LineOutcome.PAID)} paid as claimed, "
                  f"{result.count(LineOutcome.SHORT_PAID)} short-paid, "
                  f"{result.count(LineOutcome.UNEXPECTED)} unexpected"
                  + (f", {result.count(LineOutcome.OVER_PAID)} paid more" if result.count(LineOutcome.OVER_PAID)
                     else "") + f". {len(result.unpaid)} submitted claims still unpaid.")
        self.summary = QLabel(counts)
        self.summary.setObjectName("paymentSummary")
        self.summary.setProperty("role", "section")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.lines = PaymentLinesModel()
        self.lines.set_rows(result.lines)
        layout.addWidget(_table(self.lines, "paymentLines"), 3)
        unpaid = QLabel("Submitted, not in this schedule")
        unpaid.setProperty("role", "section")
        layout.addWidget(unpaid)
        self.unpaid = UnpaidModel()
        self.unpaid.set_rows(result.unpaid)
        layout.addWidget(_table(self.unpaid, "unpaidClaims"), 2)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.accept)
        layout.addWidget(buttons)


def _table(model: object, name: str) -> QTableView:
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)  # type: ignore[arg-type]
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    polish_table(table)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return table

