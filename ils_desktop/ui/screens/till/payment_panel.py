"""The till's right side: the customer, the figures of the sale (or of an exchange's difference), the
payments taken, what is still to pay (or pay back), the tender buttons — and, once recorded, the
change due, the receipt and the next sale. It shows what the settlement rule says
(``domain.settlement``); it works nothing out itself."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.money import format_money
from ils_desktop.domain.settlement import TenderSettlement
from ils_desktop.domain.till_rules import PricedBasket, TenderKind
from ils_desktop.services.till import ExchangeCredit, Tender, TransactionRecorded
from ils_desktop.ui.theme import polish_table

ZERO = Decimal("0.00")
#: Tender button captions: (taking payment, paying back the difference of an exchange).
TENDER_CAPTIONS: dict[TenderKind, tuple[str, str]] = {
    TenderKind.CARD: ("Card\nF1", "Card refund\nF1"),
    TenderKind.CASH: ("Cash\nF2", "Cash back\nF2"),
    TenderKind.NHS_VOUCHER: ("NHS voucher\nF3", "NHS voucher\nF3"),
    TenderKind.GIFT_CARD: ("Gift card\nF4", "Credit note\nF4"),
}
SALE_PAGE, DONE_PAGE = 0, 1


def _rule() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setProperty("role", "rule")
    return line


def _big(label: QLabel, scale: float) -> QLabel:
    font = QFont(label.font())
    font.setPointSizeF(QApplication.font().pointSizeF() * scale)
    font.setWeight(QFont.Weight.Bold)
    label.setFont(font)
    return label


class PaymentPanel(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("paymentPanel")
        self.setProperty("role", "card")
        self.setMinimumWidth(372)
        self.setMaximumWidth(470)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(20, 18, 20, 18)
        outer.setSpacing(10)
        customer_row = QHBoxLayout()
        customer_box = QVBoxLayout()
        customer_box.setSpacing(2)
        caption = QLabel("CUSTOMER")
        caption.setProperty("role", "field-label")
        self.customer_label = QLabel("Walk-in customer")
        self.customer_label.setObjectName("customerName")
        self.customer_label.setProperty("role", "card-value")
        self.customer_label.setWordWrap(True)
        self.customer_detail = QLabel("F5 to link the sale to a patient")
        self.customer_detail.setProperty("role", "hint")
        self.customer_detail.setWordWrap(True)
        customer_box.addWidget(caption)
        customer_box.addWidget(self.customer_label)
        customer_box.addWidget(self.customer_detail)
        customer_row.addLayout(customer_box, 1)
        self.customer_button = QPushButton("Patient…  F5")
        self.customer_button.setObjectName("customerButton")
        self.customer_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        customer_row.addWidget(self.customer_button, 0, Qt.AlignmentFlag.AlignTop)
        outer.addLayout(customer_row)
        outer.addWidget(_rule())
        self.pages = QStackedWidget()
        self.pages.addWidget(self._build_sale_page())
        self.pages.addWidget(self._build_done_page())
        outer.addWidget(self.pages, 1)

    def _build_sale_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        figures = QGridLayout()
        figures.setVerticalSpacing(4)
        self.subtotal_value = QLabel()
        self.discount_value = QLabel()
        self.vat_value = QLabel()
        self.vat_value.setObjectName("vatIncluded")
        self.returned_value = QLabel()
        self.returned_value.setObjectName("returnedValue")
        self.returned_caption = QLabel("Returned")
        self.returned_caption.setWordWrap(True)
        for row, (caption, value) in enumerate(((QLabel("Subtotal"), self.subtotal_value),
                                                (QLabel("Discounts"), self.discount_value),
                                                (QLabel("VAT included"), self.vat_value),
                                                (self.returned_caption, self.returned_value))):
            caption.setProperty("role", "hint")
            value.setProperty("role", "hint")
            value.setAlignment(Qt.AlignmentFlag.AlignRight)
            figures.addWidget(caption, row, 0)
            figures.addWidget(value, row, 1)
        self.returned_caption.hide()
        self.returned_value.hide()
        layout.addLayout(figures)
        total_row = QHBoxLayout()
        self.total_caption = QLabel("TOTAL")
        self.total_caption.setProperty("role", "section")
        self.total_value = QLabel(format_money(ZERO))
        self.total_value.setObjectName("totalValue")
        self.total_value.setProperty("role", "total")
        self.total_value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        total_row.addWidget(self.total_caption)
        total_row.addWidget(self.total_value, 1)
        layout.addLayout(total_row)
        layout.addWidget(_rule())

        self.payments = QTableWidget(0, 2)
        self.payments.setObjectName("payments")
        polish_table(self.payments, row_height=30)
        self.payments.horizontalHeader().hide()
        self.payments.horizontalHeader().setStretchLastSection(False)
        self.payments.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.payments.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.payments.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.payments.setToolTip("Select a payment and press Delete to take it off")
        self.payments.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.payments_hint = QLabel("No payment taken yet.")
        self.payments_hint.setProperty("role", "hint")
        layout.addWidget(self.payments_hint)
        layout.addWidget(self.payments)

        due_row = QHBoxLayout()
        self.due_caption = QLabel("TO PAY")
        self.due_caption.setProperty("role", "section")
        self.due_value = _big(QLabel(format_money(ZERO)), 3.6)
        self.due_value.setObjectName("dueValue")
        self.due_value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        due_row.addWidget(self.due_caption, 0, Qt.AlignmentFlag.AlignVCenter)
        due_row.addWidget(self.due_value, 1)
        layout.addLayout(due_row)
        self.voucher_note = QLabel()
        self.voucher_note.setObjectName("voucherNote")
        self.voucher_note.setProperty("role", "hint")
        self.voucher_note.setWordWrap(True)
        self.voucher_note.hide()
        layout.addWidget(self.voucher_note)
        layout.addStretch(1)

        grid = QGridLayout()
        grid.setSpacing(8)
        self.tender_buttons: dict[TenderKind, QPushButton] = {}
        for index, (kind, (text, _back)) in enumerate(TENDER_CAPTIONS.items()):
            button = QPushButton(text)
            button.setObjectName(f"tender_{kind.value}")
            button.setMinimumHeight(64)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            if kind in (TenderKind.CARD, TenderKind.CASH):
                button.setProperty("role", "primary")
            self.tender_buttons[kind] = button
            grid.addWidget(button, index // 2, index % 2)
        layout.addLayout(grid)
        self.complete_button = QPushButton("Complete sale  Ctrl+Enter")
        self.complete_button.setObjectName("completeButton")
        self.complete_button.setProperty("role", "primary")
        self.complete_button.hide()
        layout.addWidget(self.complete_button)
        self.clear_button = QPushButton("Clear basket")
        self.clear_button.setObjectName("clearBasketButton")
        self.clear_button.setProperty("role", "link")
        self.clear_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        layout.addWidget(self.clear_button, 0, Qt.AlignmentFlag.AlignRight)
        return page

    def _build_done_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(10)
        self.done_title = QLabel("Sale recorded")
        self.done_title.setObjectName("doneTitle")
        self.done_title.setProperty("role", "success")
        self.done_title.setWordWrap(True)
        layout.addWidget(self.done_title)
        self.change_caption = QLabel("CHANGE DUE")
        self.change_caption.setProperty("role", "section")
        layout.addWidget(self.change_caption)
        self.change_value = _big(QLabel(format_money(ZERO)), 4.2)
        self.change_value.setObjectName("changeValue")
        self.change_value.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.change_value)
        self.done_detail = QLabel("")
        self.done_detail.setObjectName("doneDetail")
        self.done_detail.setProperty("role", "hint")
        self.done_detail.setWordWrap(True)
        layout.addWidget(self.done_detail)
        self.print_status = QLabel("")
        self.print_status.setObjectName("printStatus")
        self.print_status.setWordWrap(True)
        self.print_status.setProperty("role", "hint")
        self.print_status.setOpenExternalLinks(False)
        self.print_status.linkActivated.connect(lambda link: QDesktopServices.openUrl(QUrl(link)))
        layout.addWidget(self.print_status)
        layout.addStretch(1)
        self.reprint_button = QPushButton("Print receipt again")
        self.reprint_button.setObjectName("reprintButton")
        self.receipt_pdf_button = QPushButton("Receipt PDF")
        self.receipt_pdf_button.setObjectName("receiptPdfButton")
        self.invoice_pdf_button = QPushButton("Full VAT invoice PDF")
        self.invoice_pdf_button.setObjectName("invoicePdfButton")
        row = QHBoxLayout()
        row.addWidget(self.receipt_pdf_button)
        row.addWidget(self.invoice_pdf_button)
        layout.addWidget(self.reprint_button)
        layout.addLayout(row)
        self.new_sale_button = QPushButton("New sale  Enter")
        self.new_sale_button.setObjectName("newSaleButton")
        self.new_sale_button.setProperty("role", "primary")
        self.new_sale_button.setMinimumHeight(56)
        layout.addWidget(self.new_sale_button)
        return page

    # --- showing -----------------------------------------------------------------------------
    def show_sale(self, *, selling: bool, has_lines: bool, priced: PricedBasket | None,
                  exchange: ExchangeCredit | None, settlement: TenderSettlement | None, tenders: list[Tender]) -> None:
        """The figures of the basket as the settlement rule settles it."""
        total = settlement.owed.due if settlement else (priced.total if priced else ZERO)
        self.subtotal_value.setText(format_money(priced.subtotal if priced else ZERO))
        discounts = priced.discount_total if priced else ZERO
        self.discount_value.setText(f"-{format_money(discounts)}" if discounts else format_money(ZERO))
        self.vat_value.setText(format_money(priced.vat if priced else ZERO))
        self.total_value.setText(format_money(total))
        self.total_caption.setText("DIFFERENCE" if exchange else "TOTAL")
        self.returned_caption.setVisible(exchange is not None)
        self.returned_value.setVisible(exchange is not None)
        if exchange is not None:
            self.returned_caption.setText(f"Returned from sale {exchange.original_number}")
            self.returned_value.setText(f"-{format_money(exchange.credit)}")
        self.payments.setRowCount(0)
        if settlement is not None:
            for applied, tender in zip(settlement.tenders, tenders, strict=True):
                label = tender.kind.label
                if tender.kind is TenderKind.NHS_VOUCHER and tender.voucher_code:
                    label += f" {tender.voucher_code}"
                if tender.reference:
                    label += f" · {tender.reference}"
                if applied.change:
                    label += f" (handed {format_money(tender.amount)})"
                row = self.payments.rowCount()
                self.payments.insertRow(row)
                self.payments.setItem(row, 0, QTableWidgetItem(label))
                amount = QTableWidgetItem(format_money(applied.applied))
                amount.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.payments.setItem(row, 1, amount)
        self.payments.setFixedHeight(min(4, max(1, len(tenders))) * 30 + 4)
        self.payments.setVisible(bool(tenders))
        self.payments_hint.setVisible(not tenders)
        balance = settlement.balance if settlement else total
        paying_back = settlement is not None and settlement.owed.paying_back and has_lines
        self.due_value.setText(format_money(abs(balance)))
        if exchange is not None and not has_lines:
            self.due_caption.setText("CREDIT")  # nothing is paid back until the new items are scanned
            self.due_value.setText(format_money(exchange.credit))
        elif balance < 0:
            self.due_caption.setText("PAY BACK")
        elif balance > 0 or not tenders:
            self.due_caption.setText("TO PAY")
        else:
            self.due_caption.setText("PAID BACK" if paying_back else "PAID")
        reversal = settlement.owed.voucher_reversal if settlement and has_lines else ZERO
        self.voucher_note.setVisible(reversal > 0)
        self.voucher_note.setText(f"{format_money(reversal)} of the difference reverses the NHS voucher "
                                  "(the claim is withdrawn); the rest is paid back to the customer.")
        for kind, button in self.tender_buttons.items():
            button.setText(TENDER_CAPTIONS[kind][1 if paying_back else 0])
            owed = (balance < 0 and kind is not TenderKind.NHS_VOUCHER) if paying_back else balance > 0
            button.setEnabled(selling and has_lines and owed)
        settled = settlement is not None and settlement.settled
        self.complete_button.setVisible(selling and has_lines and settled)
        if exchange is not None:
            self.complete_button.setText("Complete exchange  Ctrl+Enter")
        else:
            self.complete_button.setText("Record the sale again  Ctrl+Enter" if settled and total else
                                         "Complete sale  Ctrl+Enter")

    def show_done(self, outcome: TransactionRecorded, *, exchange: ExchangeCredit | None, tenders: list[Tender],
                  voucher_reversal: Decimal) -> None:
        """The transaction recorded: what to hand back, and how it was paid."""
        kind = {"sale": "Sale", "refund": "Refund", "void": "Void", "exchange": "Exchange"}[outcome.kind]
        self.done_title.setText(f"{kind} {outcome.number} recorded · invoice {outcome.invoice_number}"
                                + (" (already recorded)" if outcome.already_recorded else ""))
        if outcome.kind == "exchange" and outcome.total < 0:
            self.change_caption.setText("PAY BACK")
            self.change_value.setText(format_money(sum((t.amount for t in tenders), ZERO)))
        elif outcome.total < 0:
            self.change_caption.setText("PAY BACK")
            cash_back = outcome.total if outcome.cash_taken else ZERO
            self.change_value.setText(format_money(-cash_back) if cash_back else format_money(-outcome.total))
        else:
            self.change_caption.setText("CHANGE DUE")
            self.change_value.setText(format_money(outcome.change_given))
        detail = f"Total {format_money(outcome.total)}"
        if outcome.kind == "exchange" and exchange is not None:
            detail = (f"Returned {format_money(exchange.credit)} from sale {exchange.original_number} · "
                      f"difference {format_money(outcome.total)}")
            if voucher_reversal:
                detail += f" · NHS voucher reversed {format_money(voucher_reversal)}"
        if outcome.kind in ("sale", "exchange") and tenders:
            paid = ", ".join(f"{t.kind.label} {format_money(t.amount)}" for t in tenders)
            detail += f" · {'paid back' if outcome.total < 0 else 'paid'} by {paid}"
        if outcome.credit_note_code:
            detail += f" · credit note {outcome.credit_note_code} issued — give it to the customer"
        self.done_detail.setText(detail)
        self.print_status.setText("")
        self.pages.setCurrentIndex(DONE_PAGE)
