"""Refunds, exchanges and voids at the till: find the sale (receipt number or today's list), choose what
comes back, give the reason and how the money goes back. The NHS voucher part is reversed first; over
the limit a manager authorises. The refund is a new transaction linked to the sale — the sale itself
never changes. An exchange is handed to the till screen (``exchange_chosen``), where the new items are
scanned and the difference is paid either way."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.money import format_money
from ils_desktop.domain.settlement import TransactionKind, owed
from ils_desktop.domain.till_rules import TenderKind
from ils_desktop.errors import UserFacingError
from ils_desktop.services import till
from ils_desktop.services.till import (
    ExchangeCredit,
    ManagerApproval,
    ManagerAuthorisationNeeded,
    ReturnRequest,
    Tender,
    TransactionRecorded,
    TransactionView,
)
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.screens.till.manager_authorisation import ManagerAuthorisationDialog
from ils_desktop.ui.screens.till.transaction_finder import STATUS_LABELS, TransactionFinder
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import polish_table
from ils_desktop.ui.widgets.forms import labelled

REFUND_REASONS = ("Faulty", "Changed mind", "Non-tolerance to the prescription", "Wrong item sold",
                  "Rang up in error", "Frame broke under guarantee")
ZERO = Decimal("0.00")


def _cell(text: str, *, right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class RefundDialog(QDialog):
    """Emits ``recorded`` with the refund or void once it is recorded, or ``exchange_chosen`` with an
    ``ExchangeCredit`` when the customer takes other items instead of the money."""

    recorded = Signal(object)
    exchange_chosen = Signal(object)

    def __init__(self, workspace: Workspace, session_id: uuid.UUID, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.session_id = session_id
        self.sale: TransactionView | None = None
        self.key = uuid.uuid4()
        self.approval: ManagerApproval | None = None
        self._pending: str = ""
        self.setWindowTitle("Refund, exchange or void a sale")
        self.setModal(True)
        self.resize(900, 720)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        title = QLabel("Refund, exchange or void a sale")
        title.setProperty("role", "title")
        layout.addWidget(title)

        self.finder = TransactionFinder(workspace, list_label="This till session", session_id=session_id,
                                        limit=40, list_height=190)
        self.number, self.recent_model = self.finder.number, self.finder.model
        layout.addWidget(self.finder)

        self.sale_title = QLabel("Find the sale to refund.")
        self.sale_title.setObjectName("saleTitle")
        self.sale_title.setProperty("role", "section")
        layout.addWidget(self.sale_title)
        self.lines = QTableWidget(0, 5)
        self.lines.setObjectName("refundLines")
        self.lines.setHorizontalHeaderLabels(["Item", "Sold", "Already back", "Return now", "Refund"])
        polish_table(self.lines, row_height=44)  # room for the spin box of each line
        self.lines.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        lines_header = self.lines.horizontalHeader()
        lines_header.setStretchLastSection(False)
        lines_header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 60), (2, 124), (3, 110), (4, 100)):
            lines_header.resizeSection(column, width)
        layout.addWidget(self.lines, 1)

        options = QHBoxLayout()
        self.reason = QComboBox()
        self.reason.setObjectName("refundReason")
        self.reason.setEditable(True)
        self.reason.addItems(REFUND_REASONS)
        self.reason.setCurrentText("")
        options.addWidget(labelled("Reason", self.reason), 2)
        self.pay_cash = QRadioButton("Cash")
        self.pay_card = QRadioButton("Card")
        self.pay_credit = QRadioButton("Credit note")
        self.pay_cash.setObjectName("payBackCash")
        self.pay_card.setObjectName("payBackCard")
        self.pay_credit.setObjectName("payBackCreditNote")
        self.pay_cash.setChecked(True)
        group = QButtonGroup(self)
        pay_row = QHBoxLayout()
        for button in (self.pay_cash, self.pay_card, self.pay_credit):
            group.addButton(button)
            pay_row.addWidget(button)
        pay_box = QWidget()
        pay_box.setLayout(pay_row)
        pay_row.setContentsMargins(0, 0, 0, 0)
        options.addWidget(labelled("Pay back by", pay_box), 2)
        self.card_reference = QLineEdit()
        self.card_reference.setObjectName("refundCardReference")
        self.card_reference.setPlaceholderText("Terminal reference")
        options.addWidget(labelled("Card refund reference", self.card_reference), 1)
        layout.addLayout(options)

        self.summary = QLabel("")
        self.summary.setObjectName("refundSummary")
        self.summary.setProperty("role", "info")
        self.summary.setWordWrap(True)
        self.summary.hide()
        layout.addWidget(self.summary)
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)

        buttons = QHBoxLayout()
        self.void_button = QPushButton("Void whole sale")
        self.void_button.setObjectName("voidButton")
        self.void_button.setProperty("role", "danger")
        self.refund_button = QPushButton("Refund")
        self.refund_button.setObjectName("refundButton")
        self.refund_button.setProperty("role", "primary")
        self.exchange_button = QPushButton("Exchange for other items…")
        self.exchange_button.setObjectName("exchangeButton")
        self.exchange_button.setToolTip("Take these items back and scan what the customer takes instead; "
                                        "the difference is paid either way")
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        buttons.addWidget(self.void_button)
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.exchange_button)
        buttons.addWidget(self.refund_button)
        layout.addLayout(buttons)

        self.finder.found.connect(self.show_sale)
        self.finder.problem.connect(self._show_error)
        self.refund_button.clicked.connect(self._refund)
        self.void_button.clicked.connect(self._void)
        self.exchange_button.clicked.connect(self._exchange)
        for button in (self.pay_cash, self.pay_card, self.pay_credit):
            button.toggled.connect(self._update_summary)
        self.refund_button.setEnabled(False)
        self.void_button.setEnabled(False)
        self.exchange_button.setEnabled(False)
        self.number.setFocus()

    # --- the sale found ---------------------------------------------------------------------------
    def show_sale(self, sale: TransactionView) -> None:
        self.error.hide()
        if sale.kind != "sale":
            self._show_error(f"Receipt {sale.number} is a {sale.kind}, not a sale: find the original sale.")
            return
        self.sale = sale
        self.key = uuid.uuid4()  # a new refund of this sale
        self.approval = None
        who = sale.customer_name or "walk-in customer"
        status = STATUS_LABELS.get(sale.status, "")
        self.sale_title.setText(f"Sale {sale.number} · {sale.occurred_at.astimezone():%d %b %Y %H:%M} · {who} · "
                                f"{format_money(sale.total)}" + (f" · {status}" if status else ""))
        self.lines.setRowCount(0)
        for line in sale.lines:
            row = self.lines.rowCount()
            self.lines.insertRow(row)
            for column, value in enumerate((line.description, str(line.quantity), str(line.returned), "", "")):
                self.lines.setItem(row, column, _cell(value, right=column > 0))
            spin = QSpinBox()
            spin.setObjectName(f"returnQuantity{line.line_number}")
            spin.setRange(0, line.quantity - line.returned)
            spin.valueChanged.connect(self._update_summary)
            self.lines.setCellWidget(row, 3, spin)
        if len(sale.lines) == 1 and sale.lines[0].quantity - sale.lines[0].returned == 1:
            spin = self.lines.cellWidget(0, 3)
            assert isinstance(spin, QSpinBox)
            spin.setValue(1)
        self.void_button.setEnabled(sale.status == "completed" and sale.session_open)
        self._update_summary()
        self.reason.setFocus()

    # --- what goes back -------------------------------------------------------------------------
    def _returns(self) -> list[ReturnRequest]:
        if self.sale is None:
            return []
        found = []
        for row, line in enumerate(self.sale.lines):
            spin = self.lines.cellWidget(row, 3)
            if isinstance(spin, QSpinBox) and spin.value():
                found.append(ReturnRequest(line.line_number, spin.value()))
        return found

    def _amounts(self) -> tuple[Decimal, Decimal]:
        """(refund in total, of which reverses the NHS voucher)."""
        if self.sale is None:
            return ZERO, ZERO
        total = appliances = ZERO
        for row, line in enumerate(self.sale.lines):
            spin = self.lines.cellWidget(row, 3)
            amount = line.refund_for(spin.value()) if isinstance(spin, QSpinBox) and spin.value() else ZERO
            cell = self.lines.item(row, 4)
            if cell is not None:
                cell.setText(format_money(amount) if amount else "")
            total += amount
            if line.voucher_appliance:
                appliances += amount
        # The rule the refund is recorded with: the voucher part of money paid back is reversed first.
        voucher = owed(TransactionKind.REFUND, returned=total, returned_appliances=appliances,
                       voucher_paid=self.sale.voucher_paid, voucher_reversed=self.sale.voucher_reversed
                       ).voucher_reversal
        return total, voucher

    def _update_summary(self) -> None:
        total, voucher = self._amounts()
        self.refund_button.setEnabled(total > 0)
        self.exchange_button.setEnabled(total > 0)
        self.card_reference.setEnabled(self.pay_card.isChecked())
        if not total:
            self.summary.hide()
            return
        back = total - voucher
        how = "in cash" if self.pay_cash.isChecked() else "to the card" if self.pay_card.isChecked() else \
            "on a credit note"
        text = f"Refund {format_money(total)}: "
        if voucher:
            text += f"{format_money(voucher)} reverses the NHS voucher (the claim is withdrawn); "
        text += f"pay back {format_money(back)} {how}."
        self.summary.setText(text)
        self.summary.show()

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    # --- recording ------------------------------------------------------------------------------
    def _failed(self, retry: str) -> Any:
        def failed(error: BaseException) -> bool:
            self.refund_button.setEnabled(True)
            self.void_button.setEnabled(self.sale is not None and self.sale.status == "completed")
            if isinstance(error, ManagerAuthorisationNeeded):
                dialog = ManagerAuthorisationDialog(self.workspace, error.reasons, parent=self)
                dialog.accepted.connect(lambda: self._approved(dialog.approval, retry))
                self.manager_dialog = dialog
                dialog.open()
                dialog.activateWindow()  # typing goes to the dialog, not the window under it
                return True
            if isinstance(error, UserFacingError):
                self._show_error(str(error))
                return True
            return False

        return failed

    def _approved(self, approval: ManagerApproval | None, retry: str) -> None:
        self.approval = approval
        (self._refund if retry == "refund" else self._void)()

    def _refund(self) -> None:
        if self.sale is None:
            return
        reason = self.reason.currentText().strip()
        if not reason:
            self._show_error("Choose or type the reason for the refund.")
            self.reason.setFocus()
            return
        total, voucher = self._amounts()
        back = total - voucher
        tenders: tuple[Tender, ...] = ()
        if back > 0:
            if self.pay_card.isChecked():
                if not self.card_reference.text().strip():
                    self._show_error("Refund the card on the terminal first, then type its reference.")
                    self.card_reference.setFocus()
                    return
                tenders = (Tender(TenderKind.CARD, back, self.card_reference.text().strip()),)
            elif self.pay_credit.isChecked():
                tenders = (Tender(TenderKind.CREDIT_NOTE, back),)
            else:
                tenders = (Tender(TenderKind.CASH, back),)
        self.error.hide()
        self.refund_button.setEnabled(False)
        call = self.workspace.call
        sale_id, returns, key, approval = self.sale.id, self._returns(), self.key, self.approval
        run_op(lambda: call(till.refund, sale_id, returns, reason, tenders, key, self.session_id,
                                   approval=approval),
               on_done=self._done, on_error=self._failed("refund"), parent=self)

    def _void(self) -> None:
        if self.sale is None:
            return
        reason = self.reason.currentText().strip()
        if not reason:
            self._show_error("Choose or type the reason for voiding the sale.")
            self.reason.setFocus()
            return
        self.void_button.setEnabled(False)
        call = self.workspace.call
        sale_id, key, approval = self.sale.id, self.key, self.approval
        run_op(lambda: call(till.void_sale, sale_id, reason, key, self.session_id, approval=approval),
               on_done=self._done, on_error=self._failed("void"), parent=self)

    def _exchange(self) -> None:
        """Hand the returned items to the till: nothing is recorded until the new items are paid for."""
        if self.sale is None or not self._returns():
            return
        reason = self.reason.currentText().strip()
        if not reason:
            self._show_error("Choose or type the reason for the exchange.")
            self.reason.setFocus()
            return
        self.exchange_chosen.emit(ExchangeCredit.from_sale(self.sale, self._returns(), reason))
        self.accept()

    def _done(self, outcome: TransactionRecorded) -> None:
        self.outcome = outcome
        self.recorded.emit(outcome)
        self.accept()
