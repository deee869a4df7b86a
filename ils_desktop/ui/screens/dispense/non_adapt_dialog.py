"""Recording a non-adapt on a collected (or ready) pair: what the patient finds wrong, what was changed,
what it cost and at whose cost, and whether the pair is remade (a new draft order linked to it)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.errors import ValidationFailed
from ils_desktop.services.dispensing import aftercare
from ils_desktop.services.dispensing.views import OrderDetail
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.widgets.forms import FieldError, labelled

BORNE_BY = (("practice", "The practice"), ("lab", "The lab"), ("patient", "The patient"), ("none", "No cost"))


class NonAdaptDialog(QDialog):
    def __init__(self, workspace: Workspace, order: OrderDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.order = order
        self.setWindowTitle(f"Non-adapt on order {order.number}")
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        self.complaint = QLineEdit()
        self.complaint.setObjectName("nonAdaptComplaint")
        self.complaint.setPlaceholderText("e.g. swimmy at the edges, reading area too narrow")
        self.change = QLineEdit()
        self.change.setObjectName("nonAdaptChange")
        self.change.setPlaceholderText("e.g. pantoscopic tilt increased, heights re-measured")
        self.cost = QLineEdit("0.00")
        self.cost.setObjectName("nonAdaptCost")
        self.borne_by = QComboBox()
        self.borne_by.setObjectName("nonAdaptBorneBy")
        for value, label in BORNE_BY:
            self.borne_by.addItem(label, value)
        self.remake = QCheckBox("Remake the pair (a new draft order, linked to this one)")
        self.remake.setObjectName("nonAdaptRemake")
        self.errors = {name: FieldError() for name in ("complaint", "change_made", "cost")}
        grid = QGridLayout()
        grid.addWidget(labelled("What the patient finds wrong", self.complaint, self.errors["complaint"]), 0, 0, 1, 2)
        grid.addWidget(labelled("What was changed", self.change, self.errors["change_made"]), 1, 0, 1, 2)
        grid.addWidget(labelled("Cost (£)", self.cost, self.errors["cost"]), 2, 0)
        grid.addWidget(labelled("At whose cost", self.borne_by), 2, 1)
        layout.addLayout(grid)
        layout.addWidget(self.remake)
        self.message = QLabel("")
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setObjectName("nonAdaptOk")
        self.ok.setText("Record")
        buttons.accepted.connect(self.record)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def record(self) -> None:
        for error in self.errors.values():
            error.show_message("")
        try:
            cost = Decimal(self.cost.text().strip() or "0")
        except InvalidOperation:
            self.errors["cost"].show_message("Type an amount in pounds, e.g. 35.00.")
            return
        call, order_id = self.workspace.call, self.order.id
        complaint, change = self.complaint.text(), self.change.text()
        borne_by, remade = self.borne_by.currentData(), self.remake.isChecked()
        self.ok.setEnabled(False)

        def failed(error: BaseException) -> bool:
            self.ok.setEnabled(True)
            if isinstance(error, ValidationFailed):
                for name, text in error.problems.items():
                    (self.errors.get(name) or self.errors["complaint"]).show_message(text)
                return True
            return False

        def done(_id: Any) -> None:
            changes.changed.emit("orders")
            self.accept()

        run_op(lambda: call(aftercare.record_non_adapt, order_id, complaint, change, cost=cost, cost_borne_by=borne_by,
                            remade=remade), on_done=done, on_error=failed, parent=self)
