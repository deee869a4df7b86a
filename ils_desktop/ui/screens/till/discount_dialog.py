"""A discount on a basket line or on the whole basket: an amount or a percentage, always with a reason."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ils_desktop.domain.money import PENNY, format_money, parse_money
from ils_desktop.domain.text_input import NOTE, text_problem
from ils_desktop.ui.widgets.forms import FieldError, labelled, mark_invalid

COMMON_REASONS = ("Staff discount", "Loyal customer", "Price match", "Multi-buy", "Damaged or ex-display",
                  "Second pair", "Goodwill")


def discount_from_text(text: str, price: Decimal) -> Decimal:
    """Read "10%" as a percentage of ``price`` (half-up to the penny), anything else as an amount."""
    shown = text.strip()
    if shown.endswith("%"):
        percent = Decimal(shown[:-1].strip())
        return (price * percent / 100).quantize(PENNY, rounding=ROUND_HALF_UP)
    return parse_money(shown)


class DiscountDialog(QDialog):
    """``amount`` and ``reason`` once accepted; an amount of zero removes the discount."""

    def __init__(self, what: str, price: Decimal, current: Decimal = Decimal("0.00"), reason: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.price = price
        self.amount = current
        self.reason = reason
        self.setWindowTitle("Discount")
        self.setModal(True)
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        title = QLabel(f"Discount on {what}")
        title.setProperty("role", "section")
        title.setWordWrap(True)
        layout.addWidget(title)
        price_label = QLabel(f"Price {format_money(price)}. Type an amount (5.00) or a percentage (10%).")
        price_label.setProperty("role", "hint")
        layout.addWidget(price_label)
        row = QHBoxLayout()
        self.value = QLineEdit(f"{current:.2f}" if current else "")
        self.value.setObjectName("discountValue")
        self.value.setPlaceholderText("e.g. 10% or 15.00")
        self.value_error = FieldError()
        self.reason_box = QComboBox()
        self.reason_box.setObjectName("discountReason")
        self.reason_box.setEditable(True)
        self.reason_box.addItems(COMMON_REASONS)
        self.reason_box.setCurrentText(reason)
        self.reason_error = FieldError()
        row.addWidget(labelled("Discount", self.value, self.value_error), 1)
        row.addWidget(labelled("Reason", self.reason_box, self.reason_error), 2)
        layout.addLayout(row)
        self.result_label = QLabel()
        self.result_label.setProperty("role", "info")
        layout.addWidget(self.result_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.apply_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.apply_button.setObjectName("applyDiscountButton")
        self.apply_button.setText("Apply discount")
        self.apply_button.setProperty("role", "primary")
        buttons.accepted.connect(self._apply)
        buttons.rejected.connect(self.reject)
        for button in buttons.buttons():
            button.setAutoDefault(False)  # Enter is handled by the fields, so it never acts twice
        layout.addWidget(buttons)
        self.value.textChanged.connect(self._preview)
        self.value.returnPressed.connect(lambda: self.reason_box.setFocus())
        line = self.reason_box.lineEdit()
        if line is not None:
            line.returnPressed.connect(self._apply)
        self._preview()
        self.value.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return  # the fields act on Enter themselves; the default button must not act as well
        super().keyPressEvent(event)

    def _parsed(self) -> Decimal | None:
        try:
            return discount_from_text(self.value.text() or "0", self.price)
        except (ValueError, ArithmeticError):
            return None

    def _preview(self) -> None:
        amount = self._parsed()
        if amount is None:
            self.result_label.setText("Type an amount like 5.00 or a percentage like 10%.")
        else:
            self.result_label.setText(f"{format_money(amount)} off — the customer pays "
                                      f"{format_money(self.price - amount)}")

    def _apply(self) -> None:
        amount = self._parsed()
        reason = self.reason_box.currentText().strip()
        self.value_error.show_message("")
        self.reason_error.show_message("")
        mark_invalid(self.value, False)
        if amount is None or amount < 0:
            self.value_error.show_message("Type an amount like 5.00 or a percentage like 10%.")
            mark_invalid(self.value, True)
            return
        if amount > self.price:
            self.value_error.show_message(f"The discount cannot be more than {format_money(self.price)}.")
            mark_invalid(self.value, True)
            return
        if amount > 0 and not reason:
            self.reason_error.show_message("Give a reason for the discount.")
            self.reason_box.setFocus()
            return
        # Said here, on the field: the sale would refuse it only at checkout, on the till's banner.
        problem = text_problem(reason, NOTE) if amount > 0 else None
        if problem:
            self.reason_error.show_message(problem)
            self.reason_box.setFocus()
            return
        self.amount = amount
        self.reason = reason if amount > 0 else ""
        self.accept()
