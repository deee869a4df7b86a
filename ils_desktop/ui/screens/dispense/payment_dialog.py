"""Taking an order's deposit or balance: the amount, how it is paid, on the till that is open. The sale
is the till's (``services.dispensing.payments`` records it through ``till.check_out``), under a key
made when the dialog opened, so a second press or a retry never takes the money twice."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

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

from ils_desktop.domain.dispensing import balance_due
from ils_desktop.domain.sale_plan import Tender
from ils_desktop.errors import ValidationFailed
from ils_desktop.services import till
from ils_desktop.services.dispensing import payments
from ils_desktop.services.dispensing.views import OrderDetail
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.widgets.forms import FieldError, labelled, say

TENDERS = (("card", "Card"), ("cash", "Cash"), ("nhs_voucher", "NHS voucher"))


class PaymentDialog(QDialog):
    def __init__(self, workspace: Workspace, order: OrderDetail, what: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.order = order
        self.what = what
        self.key = uuid.uuid4()
        self.session_id: uuid.UUID | None = None
        self.recorded_number: int | None = None
        paid = order.deposit if order.deposit_paid else Decimal("0.00")
        self.amount = order.deposit if what == "deposit" else balance_due(order.price, paid)
        self.setWindowTitle("Take deposit" if what == "deposit" else "Collection")
        self.setMinimumWidth(440)
        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        heading = QLabel(f"{'Deposit' if what == 'deposit' else 'Balance'} on order {order.number}: "
                         f"£{self.amount:.2f}")
        heading.setObjectName("paymentHeading")
        heading.setProperty("role", "section")
        layout.addWidget(heading)
        self.till_label = QLabel("Finding the open till…")
        self.till_label.setObjectName("paymentTill")
        self.till_label.setProperty("role", "hint")
        layout.addWidget(self.till_label)
        grid = QGridLayout()
        self.tender = QComboBox()
        self.tender.setObjectName("paymentTender")
        for kind, label in TENDERS:
            if kind != "nhs_voucher" or (what == "balance" and order.voucher_value):
                self.tender.addItem(label, kind)
        self.tendered = QLineEdit(f"{self.amount:.2f}")
        self.tendered.setObjectName("paymentAmount")
        self.reference = QLineEdit()
        self.reference.setObjectName("paymentReference")
        self.reference.setPlaceholderText("Card terminal reference, or the voucher's form number")
        self.error = FieldError()
        grid.addWidget(labelled("Paid by", self.tender), 0, 0)
        grid.addWidget(labelled("Amount (£)", self.tendered, self.error), 0, 1)
        grid.addWidget(labelled("Reference", self.reference), 1, 0, 1, 2)
        layout.addLayout(grid)
        self.message = QLabel("")
        self.message.setObjectName("paymentMessage")
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setObjectName("paymentOk")
        self.ok.setText("Take payment" if self.amount > 0 else "Record collection")
        self.ok.setEnabled(False)
        self.buttons.accepted.connect(self.pay)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        call = workspace.call
        run_op(lambda: call(till.recent_sessions, 10), on_done=self._tills, parent=self)

    def _tills(self, sessions: list[till.TillSessionView]) -> None:
        open_ = [s for s in sessions if s.status == "open"]
        if not open_:
            self.till_label.setText("No till is open: open one on the Till screen first.")
            return
        self.session_id = open_[0].id
        self.till_label.setText(f"On {open_[0].till_name} (session {open_[0].number})")
        self.ok.setEnabled(True)

    def pay(self) -> None:
        if self.session_id is None:
            return
        try:
            amount = Decimal(self.tendered.text().strip() or "0").quantize(Decimal("0.01"))
        except InvalidOperation:
            self.error.show_message("Type an amount in pounds.")
            return
        voucher = self.tender.currentData() == "nhs_voucher"
        tenders = (Tender(self.tender.currentData(), amount, self.reference.text().strip(),
                          voucher_code=self.order.voucher_band or "" if voucher else ""),) if self.amount > 0 else ()
        call, order_id, session, key = self.workspace.call, self.order.id, self.session_id, self.key
        case = payments.take_deposit if self.what == "deposit" else payments.collect
        self.ok.setEnabled(False)

        def done(recorded: till.TransactionRecorded | None) -> None:
            self.recorded_number = recorded.number if recorded else None
            self.accept()

        def failed(error: BaseException) -> bool:
            self.ok.setEnabled(True)
            if isinstance(error, ValidationFailed):
                say(self.message, " ".join(error.problems.values()), "error")
                return True
            return False

        run_op(lambda: call(case, order_id, session, tenders, key), on_done=done, on_error=failed, parent=self)
