"""Choose the patient a sale is for (the till's F5): the shared patient finder — name, date of birth,
NHS number, postcode, phone or customer number; Enter picks — or a walk-in customer."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.services.patients import PatientListing
from ils_desktop.services.till import Customer
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.widgets.patient_finder import PatientFinder


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
        self.resize(640, 520)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        title = QLabel("Who is this sale for?")
        title.setProperty("role", "section")
        layout.addWidget(title)
        self.finder = PatientFinder(workspace)
        self.finder.chosen.connect(self._chosen)
        layout.addWidget(self.finder, 1)
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
        buttons.accepted.connect(self.finder.choose_highlighted)
        buttons.rejected.connect(self.reject)
        self.walk_in_button.clicked.connect(self._walk_in)
        for button in buttons.buttons():
            button.setAutoDefault(False)  # Enter is handled by the fields, so it never acts twice
        layout.addWidget(buttons)
        self.walk_in_name.returnPressed.connect(self._walk_in)
        self.walk_in_address.returnPressed.connect(self._walk_in)
        self.finder.focus()

    def _chosen(self, patient: PatientListing) -> None:
        self.customer = Customer(patient.id, patient.name, patient.customer_number, patient.date_of_birth,
                                 patient.postcode or "")
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
