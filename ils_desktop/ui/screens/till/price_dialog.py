"""The price of an item priced at the till (e.g. lenses made to the prescription)."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from ils_desktop.domain.money import parse_money


class PriceDialog(QDialog):
    """The price of an item priced at the till (e.g. lenses made to the prescription)."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.price: Decimal | None = None
        self.setWindowTitle("Price")
        self.setModal(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        label = QLabel(f"{name} is priced at the till. Type its price (VAT included).")
        label.setWordWrap(True)
        layout.addWidget(label)
        self.value = QLineEdit()
        self.value.setObjectName("tillPrice")
        self.value.setPlaceholderText("0.00")
        layout.addWidget(self.value)
        self.error = QLabel()
        self.error.setProperty("role", "field-error")
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        for button in buttons.buttons():
            button.setAutoDefault(False)  # Enter is handled by the fields, so it never acts twice
        layout.addWidget(buttons)
        self.value.returnPressed.connect(self._accept)
        self.value.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return  # the fields act on Enter themselves; the default button must not act as well
        super().keyPressEvent(event)

    def _accept(self) -> None:
        try:
            price = parse_money(self.value.text())
        except ValueError as error:
            self.error.setText(str(error))
            return
        self.price = price
        self.accept()
