"""Issuing a GOS 3 voucher with (or after) a prescription: the patient, the prescription, the lens
type and the supplements the practitioner certifies; the band, supplements and HC3 deduction come
from the rules (``domain.gos.vouchers``), and the voucher can be printed for a patient who takes it
to another supplier."""

from __future__ import annotations

import uuid
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.gos.vouchers import Supplement
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.services import prescriptions
from ils_desktop.services.nhs import documents, vouchers
from ils_desktop.services.patients import PatientListing
from ils_desktop.services.pdf_files import save_pdf
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.widgets.forms import labelled
from ils_desktop.ui.widgets.patient_finder import PatientFinder

CERTIFIED = (
    (Supplement.TINT, "Tint (clinically needed)"),
    (Supplement.PHOTOCHROMIC, "Photochromic (clinically needed)"),
    (Supplement.SMALL_GLASSES, "Small glasses"),
    (Supplement.SPECIAL_FRAME, "Special frame"),
    (Supplement.COMPLEX_APPLIANCE, "Complex appliance"),
)
REASONS = (("with_prescription", "With the prescription"), ("fair_wear_and_tear", "Fair wear and tear"),
           ("became_eligible", "The patient became eligible"))


class IssueVoucherDialog(QDialog):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.voucher_id: uuid.UUID | None = None
        self.setWindowTitle("Issue an NHS optical voucher (GOS 3)")
        self.setMinimumWidth(640)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(10)
        self.finder = PatientFinder(workspace, self)
        self.finder.setMinimumHeight(190)
        self.finder.chosen.connect(self._chosen)
        layout.addWidget(labelled("Patient", self.finder))
        self.prescription = QComboBox()
        self.prescription.setObjectName("voucherPrescription")
        layout.addWidget(labelled("Prescription", self.prescription))
        grid = QGridLayout()
        self.bifocal = QCheckBox("Bifocal or varifocal")
        self.bifocal.setObjectName("voucherBifocal")
        self.near = QCheckBox("Reading glasses (near Rx)")
        self.near.setObjectName("voucherNear")
        grid.addWidget(self.bifocal, 0, 0)
        grid.addWidget(self.near, 0, 1)
        self.supplements: dict[Supplement, QCheckBox] = {}
        for n, (supplement, label) in enumerate(CERTIFIED):
            box = QCheckBox(label)
            self.supplements[supplement] = box
            grid.addWidget(box, 1 + n // 2, n % 2)
        layout.addLayout(grid)
        hint = QLabel("A prism supplement is added from the prescription itself.")
        hint.setProperty("role", "hint")
        layout.addWidget(hint)
        self.reason = QComboBox()
        self.reason.setObjectName("voucherReason")
        for code, label in REASONS:
            self.reason.addItem(label, code)
        layout.addWidget(labelled("Issued", self.reason))
        self.result = QLabel()
        self.result.setObjectName("voucherResult")
        self.result.setWordWrap(True)
        self.result.hide()
        layout.addWidget(self.result)
        self.print_button = QPushButton("Save the voucher PDF…")
        self.print_button.setObjectName("voucherPdf")
        self.print_button.hide()
        self.print_button.clicked.connect(self._save_pdf)
        layout.addWidget(self.print_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close)
        self.issue_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.issue_button.setObjectName("issueVoucher")
        self.issue_button.setText("Issue the voucher")
        self.issue_button.setProperty("role", "primary")
        self.issue_button.setEnabled(False)
        buttons.accepted.connect(self._issue)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.finder.focus()

    def _chosen(self, patient: PatientListing) -> None:
        patient_id, call = patient.id, self.workspace.call
        run_op(lambda: call(prescriptions.list_for_patient, patient_id), on_done=self._prescriptions, parent=self)

    def _prescriptions(self, found: list[prescriptions.PrescriptionSummary]) -> None:
        self.prescription.clear()
        for rx in found:
            if rx.kind != "no_rx_needed" and not rx.superseded:
                self.prescription.addItem(f"{rx.issue_date:%d/%m/%Y} — R {rx.right_text}  L {rx.left_text}", rx.id)
        self.issue_button.setEnabled(self.prescription.count() > 0)
        if not self.prescription.count():
            self._say("No current spectacle prescription for this patient.", "warning")

    def _say(self, text: str, role: str) -> None:
        self.result.setText(text)
        self.result.setProperty("role", role)
        self.result.style().unpolish(self.result)
        self.result.style().polish(self.result)
        self.result.show()

    def _issue(self) -> None:
        request = vouchers.VoucherRequest(
            self.prescription.currentData(), bifocal=self.bifocal.isChecked(), near=self.near.isChecked(),
            supplements=tuple(s for s, box in self.supplements.items() if box.isChecked()),
            reason=self.reason.currentData())
        call = self.workspace.call

        def work() -> vouchers.VoucherView:
            return call(vouchers.load_voucher, call(vouchers.issue_voucher, request))

        self.issue_button.setEnabled(False)
        run_op(work, on_done=self._issued, on_error=self._failed, parent=self)

    def _issued(self, view: vouchers.VoucherView) -> None:
        self.voucher_id = view.id
        extras = ", ".join(f"{code.replace('_', ' ')} £{value}" for code, value in view.supplements)
        self._say(f"Voucher {view.number}: band {view.band}, face £{view.face_value}"
                  + (f", {extras}" if extras else "")
                  + (f", less HC3 £{view.hc3_contribution}" if view.hc3_contribution else "")
                  + f" — worth £{view.value}.", "success")
        self.print_button.show()
        changes.changed.emit("nhs_claims")

    def _failed(self, error: BaseException) -> bool:
        self.issue_button.setEnabled(True)
        if isinstance(error, ValidationFailed):
            self._say(" ".join(error.problems.values()), "warning")
            return True
        if isinstance(error, UserFacingError):
            self._say(str(error), "warning")
            return True
        return False

    def _save_pdf(self) -> None:
        if self.voucher_id is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save the voucher", str(Path.home() / "voucher.pdf"),
                                              "PDF (*.pdf)")
        if path:
            voucher_id, call = self.voucher_id, self.workspace.call
            run_op(lambda: save_pdf(call(documents.voucher_pdf, voucher_id), Path(path)), parent=self)
