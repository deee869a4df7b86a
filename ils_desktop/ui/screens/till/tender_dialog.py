"""Taking one payment at the till: card (with the terminal's reference), cash (change shown as it is
typed), NHS voucher (letter, form number, value from the practice's table) or gift card / credit note."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.money import format_money, parse_money
from ils_desktop.domain.till_rules import TenderKind
from ils_desktop.errors import UserFacingError
from ils_desktop.services import till
from ils_desktop.services.till import Tender, VoucherValue
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import set_style_property
from ils_desktop.ui.widgets.forms import FieldError, labelled, mark_invalid

_TITLES = {
    TenderKind.CARD: "Card payment",
    TenderKind.CASH: "Cash",
    TenderKind.NHS_VOUCHER: "NHS optical voucher",
    TenderKind.GIFT_CARD: "Gift card or credit note",
}
_HINTS = {
    TenderKind.CARD: "Take the payment on the card terminal, then type its authorisation or receipt reference.",
    TenderKind.CASH: "Type what the customer hands over; the change is worked out for you.",
    TenderKind.NHS_VOUCHER: "The voucher is a payment, not a discount: VAT is still due on the full price. "
                            "Add supplements (prism, tint, small glasses) to the value if the form shows them; "
                            "the voucher pays at most what is still due.",
    TenderKind.GIFT_CARD: "Scan or type the code on the gift card or credit note.",
}


class TenderDialog(QDialog):
    """One tender of ``kind`` towards ``remaining``; ``tender`` holds it once accepted.

    ``paying_back``: an exchange owes the customer ``remaining`` and this is the card refund of it
    (amount and the terminal's reference, as for a payment)."""

    def __init__(self, workspace: Workspace, kind: TenderKind, remaining: Decimal,
                 voucher_values: Sequence[VoucherValue] = (), parent: QWidget | None = None, *,
                 paying_back: bool = False) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.kind = kind
        self.remaining = remaining
        self.tender: Tender | None = None
        self._gift_balance: Decimal | None = None
        self.paying_back = paying_back
        heading = "Card refund" if paying_back else _TITLES[kind]
        self.setWindowTitle(heading)
        self.setModal(True)
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        # Tall enough for the wrapped hint at the dialog's width (a wrapped label's height depends on it).
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        title = QLabel(heading)
        title.setProperty("role", "title")
        layout.addWidget(title)
        due = QLabel(f"To pay back: {format_money(remaining)}" if paying_back else f"To pay: {format_money(remaining)}")
        due.setObjectName("tenderDue")
        due.setProperty("role", "section")
        layout.addWidget(due)
        hint = QLabel("Refund the card on the terminal, then type its reference." if paying_back else _HINTS[kind])
        hint.setProperty("role", "hint")
        hint.setWordWrap(True)
        layout.addWidget(hint)

        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(10)
        self.amount = QLineEdit(f"{remaining:.2f}")
        self.amount.setObjectName("tenderAmount")
        self.amount.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.amount_error = FieldError()
        self.reference = QLineEdit()
        self.reference.setObjectName("tenderReference")
        self.reference_error = FieldError()
        self.voucher_code = QComboBox()
        self.voucher_code.setObjectName("voucherCode")
        self.change = QLabel()
        self.change.setObjectName("changeDue")
        self.change.setProperty("role", "total")
        amount_label = "Amount handed over" if kind is TenderKind.CASH else "Amount"
        if kind is TenderKind.CARD:
            self.reference.setPlaceholderText("e.g. AUTH 004512")
            amount_caption = "Amount refunded on the terminal" if paying_back else "Amount taken on the terminal"
            grid.addWidget(labelled(amount_caption, self.amount, self.amount_error), 0, 0)
            grid.addWidget(labelled("Terminal reference", self.reference, self.reference_error), 0, 1)
        elif kind is TenderKind.CASH:
            grid.addWidget(labelled(amount_label, self.amount, self.amount_error), 0, 0)
            grid.addWidget(labelled("Change to give", self.change), 0, 1)
        elif kind is TenderKind.NHS_VOUCHER:
            self.setMinimumWidth(640)  # the voucher letters are described in full
            self.voucher_code.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            for value in voucher_values:
                self.voucher_code.addItem(f"{value.code} — {format_money(value.value)}  {value.description}",
                                          (value.code, value.value))
            self.voucher_code.currentIndexChanged.connect(self._voucher_chosen)
            self.reference.setPlaceholderText("Number printed on the GOS 3 form")
            grid.addWidget(labelled("Voucher letter", self.voucher_code), 0, 0, 1, 2)
            grid.addWidget(labelled("Voucher value", self.amount, self.amount_error), 1, 0)
            grid.addWidget(labelled("GOS 3 form number", self.reference, self.reference_error), 1, 1)
            self._voucher_chosen()
        else:
            self.reference.setPlaceholderText("e.g. CN000123 or GC12345678")
            self.balance = QLabel("")
            self.balance.setObjectName("giftBalance")
            self.balance.setProperty("role", "hint")
            grid.addWidget(labelled("Code", self.reference, self.reference_error), 0, 0)
            grid.addWidget(labelled("Amount to take", self.amount, self.amount_error), 0, 1)
            grid.addWidget(self.balance, 1, 0, 1, 2)
            self.reference.editingFinished.connect(self._look_up_gift_card)
        layout.addLayout(grid)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.take_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.take_button.setObjectName("takePaymentButton")
        self.take_button.setText("Pay back" if paying_back else "Take payment")
        self.take_button.setProperty("role", "primary")
        buttons.accepted.connect(self._take)
        buttons.rejected.connect(self.reject)
        for button in buttons.buttons():
            button.setAutoDefault(False)  # Enter is handled by the fields, so it never acts twice
        layout.addWidget(buttons)

        self.amount.textChanged.connect(self._show_change)
        self.amount.returnPressed.connect(self._take if kind is TenderKind.CASH else self._next_field)
        self.reference.returnPressed.connect(self._take)
        self._show_change()
        first = self.reference if kind in (TenderKind.CARD, TenderKind.GIFT_CARD) else self.amount
        if kind is TenderKind.NHS_VOUCHER:
            first = self.voucher_code
        first.setFocus()
        self.amount.selectAll()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return  # the fields act on Enter themselves; the default button must not act as well
        super().keyPressEvent(event)

    def _next_field(self) -> None:
        if self.kind is TenderKind.CARD and not self.reference.text().strip():
            self.reference.setFocus()
        else:
            self._take()

    def _voucher_chosen(self) -> None:
        data = self.voucher_code.currentData()
        if data:
            self.amount.setText(f"{data[1]:.2f}")

    def _amount(self) -> Decimal | None:
        try:
            return parse_money(self.amount.text())
        except ValueError:
            return None

    def _show_change(self) -> None:
        if self.kind is not TenderKind.CASH:
            return
        amount = self._amount()
        change = max(Decimal("0.00"), amount - self.remaining) if amount is not None else Decimal("0.00")
        self.change.setText(format_money(change))

    def _look_up_gift_card(self) -> None:
        code = self.reference.text().strip()
        if not code:
            return
        call = self.workspace.call

        def done(card: till.GiftCardView) -> None:
            self._gift_balance = card.balance if card.usable else Decimal("0.00")
            text = f"{card.code}: {format_money(card.balance)} left" + (f" — {card.problem}" if card.problem else "")
            self.balance.setText(text)
            set_style_property(self.balance, "role", "success" if card.usable else "error")
            if card.usable:
                self.amount.setText(f"{min(card.balance, self.remaining):.2f}")

        def failed(error: BaseException) -> bool:
            if isinstance(error, UserFacingError):
                self.balance.setText(str(error))
                set_style_property(self.balance, "role", "error")
                return True
            return False

        run_op(lambda: call(till.gift_card_balance, code), on_done=done, on_error=failed, parent=self)

    def _take(self) -> None:
        if self.tender is not None:
            return
        self.amount_error.show_message("")
        self.reference_error.show_message("")
        mark_invalid(self.amount, False)
        mark_invalid(self.reference, False)
        amount = self._amount()
        problem = ""
        if amount is None or amount <= 0:
            problem = "Enter an amount above zero, e.g. 20.00."
        elif self.kind is TenderKind.CASH and amount < Decimal("0.01"):
            problem = "Enter the cash handed over."
        elif self.kind is TenderKind.CARD and amount > self.remaining:
            problem = (f"Pay back at most the {format_money(self.remaining)} owed." if self.paying_back
                       else f"A card can pay at most the {format_money(self.remaining)} still due.")
        elif self.kind is TenderKind.GIFT_CARD and amount > self.remaining:
            problem = f"Take at most the {format_money(self.remaining)} still due."
        if problem:
            self.amount_error.show_message(problem)
            mark_invalid(self.amount, True)
            self.amount.setFocus()
            return
        assert amount is not None
        reference = self.reference.text().strip()
        if self.kind in (TenderKind.CARD, TenderKind.GIFT_CARD) and not reference:
            what = "the terminal's reference" if self.kind is TenderKind.CARD else "the card's code"
            self.reference_error.show_message(f"Enter {what}.")
            mark_invalid(self.reference, True)
            self.reference.setFocus()
            return
        code = ""
        kind = self.kind
        if self.kind is TenderKind.NHS_VOUCHER:
            data = self.voucher_code.currentData()
            code = data[0] if data else ""
        if self.kind is TenderKind.GIFT_CARD and reference.upper().startswith("CN"):
            kind = TenderKind.CREDIT_NOTE
        self.tender = Tender(kind, amount, reference, code)
        self.accept()
