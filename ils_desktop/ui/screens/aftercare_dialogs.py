"""The after-care screen's dialogs: glasses brought back (a return, refunded through the till that is
open, a manager authorising a refund over the practice's limit), and a lensmeter fail's fault (lab or
practice) and what it cost the practice."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.services import till
from ils_desktop.services.dispensing import aftercare, orders
from ils_desktop.services.dispensing.views import OrderDetail
from ils_desktop.services.till import ManagerApproval, ManagerAuthorisationNeeded, Tender
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.screens.till.manager_authorisation import ManagerAuthorisationDialog
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.widgets.forms import FieldError, labelled, say

REFUND_BY = (("card", "To the card"), ("cash", "In cash"))
FAULTS = (("lab", "The lab"), ("practice", "The practice"), ("unknown", "Not decided yet"))


def _buttons(dialog: QDialog, name: str, text: str) -> tuple[QDialogButtonBox, Any]:
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
    ok.setObjectName(name)
    ok.setText(text)
    ok.setProperty("role", "primary")
    buttons.rejected.connect(dialog.reject)
    return buttons, ok


def _error_label(name: str) -> QLabel:
    label = QLabel("")
    label.setObjectName(name)
    label.setWordWrap(True)
    label.hide()
    return label


class ReturnDialog(QDialog):
    """A collected pair brought back: which order, why, and how the money goes back. The refund is the
    till's (``aftercare.record_return`` through ``till.refund``), under a key made when the dialog
    opened, so a second press or a retry never refunds twice."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.key = uuid.uuid4()
        self.session_id: uuid.UUID | None = None
        self.detail: OrderDetail | None = None
        self.approval: ManagerApproval | None = None
        self.manager_dialog: ManagerAuthorisationDialog | None = None
        self.recorded: till.TransactionRecorded | None = None
        self.setWindowTitle("Return glasses")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        heading = QLabel("Glasses brought back")
        heading.setProperty("role", "section")
        layout.addWidget(heading)
        self.till_label = QLabel("Finding the open till…")
        self.till_label.setObjectName("returnTill")
        self.till_label.setProperty("role", "hint")
        layout.addWidget(self.till_label)

        self.order = QComboBox()
        self.order.setObjectName("returnOrder")
        self.order.addItem("Loading collected orders…", None)
        self.order.currentIndexChanged.connect(self._order_chosen)
        self.amount = QLabel("")
        self.amount.setObjectName("returnAmount")
        self.amount.setProperty("role", "hint")
        self.amount.setWordWrap(True)
        self.reason = QLineEdit()
        self.reason.setObjectName("returnReason")
        self.reason.setPlaceholderText("e.g. changed their mind within 14 days; frame uncomfortable")
        self.refund_by = QComboBox()
        self.refund_by.setObjectName("returnRefundBy")
        for value, label in REFUND_BY:
            self.refund_by.addItem(label, value)
        self.reference = QLineEdit()
        self.reference.setObjectName("returnReference")
        self.reference.setPlaceholderText("The card terminal's refund reference")
        self.refund_by.currentIndexChanged.connect(
            lambda _i: self.reference.setEnabled(self.refund_by.currentData() == "card"))
        self.errors = {name: FieldError() for name in ("order", "reason", "tenders")}
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.addWidget(labelled("Order collected", self.order, self.errors["order"]), 0, 0, 1, 2)
        grid.addWidget(self.amount, 1, 0, 1, 2)
        grid.addWidget(labelled("Reason for the return", self.reason, self.errors["reason"]), 2, 0, 1, 2)
        grid.addWidget(labelled("Refund", self.refund_by), 3, 0)
        grid.addWidget(labelled("Card reference", self.reference, self.errors["tenders"]), 3, 1)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        self.message = _error_label("returnMessage")
        layout.addWidget(self.message)
        buttons, self.ok = _buttons(self, "returnOk", "Record return and refund")
        self.ok.setEnabled(False)
        buttons.accepted.connect(self.record)
        layout.addWidget(buttons)
        for field, name in ((self.reason, "reason"), (self.reference, "tenders")):
            field.textEdited.connect(lambda _text, error=self.errors[name]: error.show_message(""))
        self.reason.returnPressed.connect(self.reference.setFocus)
        self.reference.returnPressed.connect(self.record)
        call = workspace.call
        run_op(lambda: call(till.recent_sessions, 10), on_done=self._tills, parent=self)
        run_op(lambda: call(aftercare.returnable_orders), on_done=self._orders, parent=self)

    def _tills(self, sessions: list[till.TillSessionView]) -> None:
        open_ = [s for s in sessions if s.status == "open"]
        if not open_:
            say(self.till_label, "No till is open: open one on the Till screen first, then record the return.",
                "warning")
            return
        self.session_id = open_[0].id
        self.till_label.setText(f"Refunded on {open_[0].till_name} (session {open_[0].number})")
        self._ready()

    def _orders(self, lines: list[Any]) -> None:
        self.order.blockSignals(True)
        self.order.clear()
        if not lines:
            self.order.addItem("No collected orders to return", None)
        else:
            self.order.addItem("Choose the order…", None)
            for line in lines:
                what = line.lens_description or line.lens_kind
                self.order.addItem(f"{line.number}  ·  {line.patient_name}  ·  {what}", str(line.id))
        self.order.blockSignals(False)
        self.order.setFocus()

    def choose_order(self, order_id: uuid.UUID) -> None:
        index = self.order.findData(str(order_id))
        if index >= 0:
            self.order.setCurrentIndex(index)

    def _order_chosen(self, _index: int) -> None:
        self.detail = None
        self.amount.setText("")
        self._ready()
        value = self.order.currentData()
        if not value:
            return
        call, order_id = self.workspace.call, uuid.UUID(value)
        run_op(lambda: call(orders.order_detail, order_id), on_done=self._detail, parent=self)

    def _detail(self, detail: OrderDetail) -> None:
        if self.order.currentData() != str(detail.id):
            return  # another order was chosen meanwhile
        self.detail = detail
        deposit = (f" The £{detail.deposit:.2f} deposit was a separate payment and is not refunded here."
                   if detail.deposit_paid and detail.deposit else "")
        self.amount.setText(f"Refund £{detail.balance:.2f}, the balance paid when the glasses were collected."
                            + deposit)
        self._ready()

    def _ready(self) -> None:
        self.ok.setEnabled(self.session_id is not None and self.detail is not None)

    def record(self) -> None:
        if not self.ok.isEnabled() or self.detail is None or self.session_id is None:
            return
        for error in self.errors.values():
            error.show_message("")
        self.message.hide()
        kind, reference = self.refund_by.currentData(), self.reference.text().strip()
        if not self.reason.text().strip():
            self.errors["reason"].show_message("Give the reason for the return.")
            self.reason.setFocus()
            return
        if kind == "card" and not reference:
            self.errors["tenders"].show_message("Refund the card on the terminal first, then type its reference.")
            self.reference.setFocus()
            return
        amount = self.detail.balance
        tenders = (Tender(kind, amount, reference if kind == "card" else ""),) if amount > 0 else ()
        call, order_id, session, key = self.workspace.call, self.detail.id, self.session_id, self.key
        reason, approval = self.reason.text(), self.approval
        self.ok.setEnabled(False)

        def done(recorded: till.TransactionRecorded) -> None:
            self.recorded = recorded
            changes.changed.emit("orders")
            self.accept()

        run_op(lambda: call(aftercare.record_return, order_id, reason, session, tenders, key, approval),
               on_done=done, on_error=self._failed, parent=self)

    def _failed(self, error: BaseException) -> bool:
        self._ready()
        if isinstance(error, ManagerAuthorisationNeeded):
            dialog = ManagerAuthorisationDialog(self.workspace, error.reasons, permission=error.permission,
                                                parent=self)
            dialog.accepted.connect(lambda: self._approved(dialog.approval))
            self.manager_dialog = dialog
            dialog.open()
            dialog.activateWindow()
            return True
        if isinstance(error, ValidationFailed):
            for name, text in error.problems.items():
                target = self.errors.get(name)
                if target is None:
                    say(self.message, text, "error")
                else:
                    target.show_message(text)
            return True
        if isinstance(error, UserFacingError):
            say(self.message, str(error), "error")
            return True
        return False

    def _approved(self, approval: ManagerApproval | None) -> None:
        self.approval = approval
        self.record()


class QualityFaultDialog(QDialog):
    """Whose fault a lensmeter fail was and what it cost the practice (it counts in the month's cost)."""

    def __init__(self, workspace: Workspace, line: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.line = line
        self.setWindowTitle(f"Quality issue on order {line.order_number}")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        heading = QLabel(f"Order {line.order_number}  ·  {line.patient_name}")
        heading.setProperty("role", "section")
        layout.addWidget(heading)
        what = QLabel(line.what)
        what.setObjectName("faultProblems")
        what.setProperty("role", "hint")
        what.setWordWrap(True)
        layout.addWidget(what)
        self.fault = QComboBox()
        self.fault.setObjectName("faultWhose")
        for value, label in FAULTS:
            self.fault.addItem(label, value)
        current = self.fault.findData(line.borne_by)
        self.fault.setCurrentIndex(current if current >= 0 else 0)
        self.cost = QLineEdit(f"{line.cost:.2f}")
        self.cost.setObjectName("faultCost")
        self.errors = {name: FieldError() for name in ("fault", "cost")}
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.addWidget(labelled("Whose fault", self.fault, self.errors["fault"]), 0, 0)
        grid.addWidget(labelled("Cost to the practice (£)", self.cost, self.errors["cost"]), 0, 1)
        layout.addLayout(grid)
        self.message = _error_label("faultMessage")
        layout.addWidget(self.message)
        buttons, self.ok = _buttons(self, "faultOk", "Save")
        buttons.accepted.connect(self.save)
        layout.addWidget(buttons)
        self.cost.textEdited.connect(lambda _text: self.errors["cost"].show_message(""))
        self.cost.returnPressed.connect(self.save)

    def save(self) -> None:
        if not self.ok.isEnabled():
            return
        for error in self.errors.values():
            error.show_message("")
        try:
            cost = Decimal(self.cost.text().strip() or "0")
        except InvalidOperation:
            self.errors["cost"].show_message("Type an amount in pounds, e.g. 35.00.")
            self.cost.setFocus()
            return
        call, issue_id, fault = self.workspace.call, self.line.id, self.fault.currentData()
        self.ok.setEnabled(False)

        def done(_none: None) -> None:
            changes.changed.emit("orders")
            self.accept()

        def failed(error: BaseException) -> bool:
            self.ok.setEnabled(True)
            if isinstance(error, ValidationFailed):
                for name, text in error.problems.items():
                    (self.errors.get(name) or self.errors["cost"]).show_message(text)
                return True
            if isinstance(error, UserFacingError):
                say(self.message, str(error), "error")
                return True
            return False

        run_op(lambda: call(aftercare.set_quality_fault, issue_id, fault, cost), on_done=done, on_error=failed,
               parent=self)
