"""Choose the patient a sale is for: type a name, customer number, NHS number or postcode; Enter picks."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.services import till
from ils_desktop.services.till import Customer
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import icon


class PatientPickerDialog(QDialog):
    """``customer`` is the chosen patient, or None with ``walk_in`` True for a walk-in sale; a walk-in
    who wants a full VAT invoice gives ``invoice_name`` and ``invoice_address`` (VAT Notice 700 §16.3:
    a full invoice shows the customer's name and address)."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None, *, invoice_name: str = "",
                 invoice_address: str = "") -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.customer: Customer | None = None
        self.walk_in = False
        self.invoice_name = invoice_name
        self.invoice_address = invoice_address
        self.setWindowTitle("Customer")
        self.setModal(True)
        self.resize(560, 460)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        title = QLabel("Who is this sale for?")
        title.setProperty("role", "section")
        layout.addWidget(title)
        self.search = QLineEdit()
        self.search.setObjectName("patientSearch")
        self.search.setPlaceholderText("Name, customer number, NHS number or postcode")
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        layout.addWidget(self.search)
        self.results = QListWidget()
        self.results.setObjectName("patientResults")
        layout.addWidget(self.results, 1)
        self.status = QLabel("Start typing to find the patient.")
        self.status.setProperty("role", "hint")
        layout.addWidget(self.status)
        walk_in = QLabel("Not a patient? For a full VAT invoice, the customer's name and address:")
        walk_in.setProperty("role", "hint")
        walk_in.setWordWrap(True)
        layout.addWidget(walk_in)
        self.walk_in_name = QLineEdit(invoice_name)
        self.walk_in_name.setObjectName("walkInName")
        self.walk_in_name.setPlaceholderText("Name, or business name")
        self.walk_in_address = QLineEdit(invoice_address)
        self.walk_in_address.setObjectName("walkInAddress")
        self.walk_in_address.setPlaceholderText("Address, e.g. 4 Flowergate, Whitby, YO21 3BA")
        layout.addWidget(self.walk_in_name)
        layout.addWidget(self.walk_in_address)
        self.walk_in_error = QLabel()
        self.walk_in_error.setProperty("role", "error")
        self.walk_in_error.hide()
        layout.addWidget(self.walk_in_error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.choose_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.choose_button.setText("Choose patient")
        self.choose_button.setProperty("role", "primary")
        self.walk_in_button = QPushButton("Walk-in customer")
        self.walk_in_button.setObjectName("walkInButton")
        buttons.addButton(self.walk_in_button, QDialogButtonBox.ButtonRole.ResetRole)
        buttons.accepted.connect(self._choose)
        buttons.rejected.connect(self.reject)
        self.walk_in_button.clicked.connect(self._walk_in)
        for button in buttons.buttons():
            button.setAutoDefault(False)  # Enter is handled by the fields, so it never acts twice
        layout.addWidget(buttons)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self._find)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.search.returnPressed.connect(self._choose)
        self.walk_in_name.returnPressed.connect(self._walk_in)
        self.walk_in_address.returnPressed.connect(self._walk_in)
        self.results.itemActivated.connect(lambda _i: self._choose())
        self._searching = 0
        self._pending = False
        self._choose_when_found = False
        self.search.setFocus()

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.search.hasFocus():
            self.results.setFocus()
            self.results.keyPressEvent(event)
            return
        super().keyPressEvent(event)

    def _find(self) -> None:
        text = self.search.text().strip()
        if len(text) < 2:
            return
        self._searching += 1
        ticket = self._searching
        call = self.workspace.call

        self._pending = True

        def done(found: list[Customer]) -> None:
            if ticket != self._searching:
                return  # an older search answered late
            self._pending = False
            self.results.clear()
            for customer in found:
                item = QListWidgetItem(f"{customer.name}    #{customer.customer_number} · born "
                                       f"{customer.date_of_birth:%d %b %Y}" +
                                       (f" · {customer.postcode}" if customer.postcode else ""))
                item.setData(Qt.ItemDataRole.UserRole, customer)
                self.results.addItem(item)
            if found:
                self.results.setCurrentRow(0)
            self.status.setText(f"{len(found)} found — Enter chooses the highlighted patient." if found
                                else "No patient matches. Check the spelling, or sell to a walk-in customer.")
            if self._choose_when_found and found:
                self._choose_when_found = False
                self._choose()

        run_op(lambda: call(till.find_customers, text), on_done=done, parent=self)

    def _choose(self) -> None:
        if self._timer.isActive() or self._pending:
            # Enter pressed before the search answered: choose the first match when it does.
            self._choose_when_found = True
            if self._timer.isActive():
                self._timer.stop()
                self._find()
            return
        item = self.results.currentItem()
        if item is None:
            return
        self.customer = item.data(Qt.ItemDataRole.UserRole)
        self.accept()

    def _walk_in(self) -> None:
        name, address = self.walk_in_name.text().strip(), self.walk_in_address.text().strip()
        if bool(name) != bool(address):
            self.walk_in_error.setText("A full VAT invoice needs both the name and the address (or leave both "
                                       "empty for a receipt).")
            self.walk_in_error.show()
            (self.walk_in_address if name else self.walk_in_name).setFocus()
            return
        self.walk_in = True
        self.customer = None
        self.invoice_name, self.invoice_address = name, address
        self.accept()
