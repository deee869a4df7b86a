"""The inventory screen's dialogs: record a movement, transfer between locations, set a reorder point,
the stock valuation (with its PDF), and a supplier's details."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.services import inventory
from ils_desktop.services.inventory import MOVEMENT_LABELS, MovementKind, StockRow, StockValuation, purchasing
from ils_desktop.services.pdf_files import save_pdf
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.screens.inventory.common import money, status_label, table, tell
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.widgets.forms import FieldError


class FormDialog(QDialog):
    """A small form: fields, a message line, and Save / Cancel."""

    def __init__(self, title: str, intro: str, parent: QWidget | None = None, *, save_text: str = "Save") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(24, 20, 24, 20)
        self.layout_.setSpacing(12)
        heading = QLabel(intro)
        heading.setWordWrap(True)
        heading.setProperty("role", "subtitle")
        self.layout_.addWidget(heading)
        self.form = QFormLayout()
        self.form.setHorizontalSpacing(16)
        self.form.setVerticalSpacing(10)
        self.layout_.addLayout(self.form)
        self.message = status_label(self)
        self.layout_.addWidget(self.message)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel_button = QPushButton("Cancel")
        self.save_button = QPushButton(save_text)
        self.save_button.setProperty("role", "primary")
        self.save_button.setDefault(True)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        self.layout_.addLayout(buttons)
        self.cancel_button.clicked.connect(self.reject)
        self.save_button.clicked.connect(self.save)

    def save(self) -> None:
        raise NotImplementedError

    def failed(self, error: BaseException) -> bool:
        if isinstance(error, ValidationFailed):
            tell(self.message, " ".join(error.problems.values()), "error")
            return True
        if isinstance(error, UserFacingError):
            tell(self.message, str(error), "error")
            return True
        return False

    def run(self, work: Any, then: Any = None) -> None:
        self.save_button.setEnabled(False)

        def done(result: Any) -> None:
            self.save_button.setEnabled(True)
            changes.changed.emit("inventory")
            if then is not None:
                then(result)
            self.accept()

        def failed(error: BaseException) -> bool:
            self.save_button.setEnabled(True)
            return self.failed(error)

        run_op(work, on_done=done, on_error=failed, parent=self)


def _decimal(text: str) -> Decimal | None:
    text = text.strip().replace("£", "").replace(",", "")
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return Decimal(-1)  # refused by the use case as a negative cost


class MovementDialog(FormDialog):
    def __init__(self, workspace: Workspace, row: StockRow, parent: QWidget | None = None) -> None:
        super().__init__("Record a stock movement", f"{row.name}: {row.on_hand} on hand. Every change of stock is "
                         "kept in the ledger with who and why.", parent, save_text="Record")
        self.workspace, self.row = workspace, row
        self.kind = QComboBox()
        for kind in (MovementKind.DAMAGE, MovementKind.SUPPLIER_RETURN, MovementKind.ADJUSTMENT,
                     MovementKind.RECEIPT):
            self.kind.addItem(MOVEMENT_LABELS[kind.value], kind)
        self.quantity = QSpinBox()
        self.quantity.setRange(-9999, 9999)
        self.quantity.setValue(-1)
        self.location = QComboBox()
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("e.g. dropped at fitting; returned faulty; delivery 4411")
        self.cost = QLineEdit()
        self.cost.setPlaceholderText("goods in only: cost per unit")
        self.form.addRow("What happened", self.kind)
        self.form.addRow("Units (+ in, − out)", self.quantity)
        self.form.addRow("Location", self.location)
        self.form.addRow("Why", self.reason)
        self.form.addRow("Unit cost", self.cost)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        call = workspace.call
        run_op(lambda: call(inventory.locations), on_done=self._locations, parent=self)

    def _locations(self, locations: list[inventory.Location]) -> None:
        for location in locations:
            self.location.addItem(location.name, location.id)

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        if kind in (MovementKind.DAMAGE, MovementKind.SUPPLIER_RETURN) and self.quantity.value() > 0:
            self.quantity.setValue(-self.quantity.value())
        if kind is MovementKind.RECEIPT and self.quantity.value() < 0:
            self.quantity.setValue(-self.quantity.value())
        self.cost.setEnabled(kind is MovementKind.RECEIPT)

    def save(self) -> None:
        call, variant = self.workspace.call, self.row.variant_id
        kind, quantity, reason = self.kind.currentData(), self.quantity.value(), self.reason.text()
        location, cost = self.location.currentData(), _decimal(self.cost.text())
        self.run(lambda: call(inventory.record_movement, variant, kind, quantity, reason, location, cost))


class TransferDialog(FormDialog):
    def __init__(self, workspace: Workspace, row: StockRow, parent: QWidget | None = None) -> None:
        places = ", ".join(f"{n} {c}" for n, c in (row.by_location or {}).items()) or "none in stock"
        super().__init__("Transfer stock", f"{row.name}: {places}.", parent, save_text="Transfer")
        self.workspace, self.row = workspace, row
        self.source, self.target = QComboBox(), QComboBox()
        self.quantity = QSpinBox()
        self.quantity.setRange(1, 9999)
        self.reason = QLineEdit()
        self.form.addRow("From", self.source)
        self.form.addRow("To", self.target)
        self.form.addRow("Units", self.quantity)
        self.form.addRow("Why", self.reason)
        call = workspace.call
        run_op(lambda: call(inventory.locations), on_done=self._locations, parent=self)

    def _locations(self, locations: list[inventory.Location]) -> None:
        for location in locations:
            self.source.addItem(location.name, location.id)
            self.target.addItem(location.name, location.id)
        if len(locations) > 1:
            self.target.setCurrentIndex(1)
        else:
            tell(self.message, "There is one location only: add a branch or store room first.", "warning")

    def save(self) -> None:
        call, variant = self.workspace.call, self.row.variant_id
        source, target, quantity = self.source.currentData(), self.target.currentData(), self.quantity.value()
        reason = self.reason.text()
        self.run(lambda: call(inventory.transfer_stock, variant, quantity, source, target, reason))


class ReorderDialog(FormDialog):
    def __init__(self, workspace: Workspace, row: StockRow, parent: QWidget | None = None) -> None:
        super().__init__("Reorder point", f"{row.name}: when stock falls to the reorder point an alert is raised; "
                         "the reorder quantity is what a draft order asks for. 0 uses the category's rule.", parent)
        self.workspace, self.row = workspace, row
        self.level, self.quantity = QSpinBox(), QSpinBox()
        self.level.setRange(0, 9999)
        self.quantity.setRange(0, 9999)
        self.level.setValue(row.reorder_level)
        self.quantity.setValue(row.reorder_quantity)
        self.form.addRow("Reorder point", self.level)
        self.form.addRow("Reorder quantity", self.quantity)

    def save(self) -> None:
        call, variant, level, quantity = self.workspace.call, self.row.variant_id, self.level.value(), \
            self.quantity.value()
        self.run(lambda: call(inventory.set_reorder_point, variant, level, quantity))


class CategoryTotalsModel(RowsModel[Any]):
    COLUMNS = ("Category", "Units", "Value at cost", "Retail value")
    RIGHT_ALIGNED = frozenset({1, 2, 3})

    def display(self, row: Any, index: Index) -> Any:
        return (row.category, str(row.units), money(row.value), money(row.retail_value))[index.column()]


class ValuationDialog(QDialog):
    """The stock valuation at weighted average cost, by category, and its PDF."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.valuation: StockValuation | None = None
        self.saved_pdf: Path | None = None
        self.setWindowTitle("Stock valuation")
        self.resize(640, 460)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        self.headline = QLabel("Valuing the stock…")
        self.headline.setProperty("role", "title")
        self.detail = QLabel("")
        self.detail.setProperty("role", "subtitle")
        self.detail.setWordWrap(True)
        layout.addWidget(self.headline)
        layout.addWidget(self.detail)
        self.model = CategoryTotalsModel()
        layout.addWidget(table(self.model, "valuationTable"), 1)
        note = QLabel("Weighted average cost: each delivery moves an item's average by its received cost; items "
                      "leave the shelf at the average (IAS 2 para. 27, FRS 102 s.13).")
        note.setWordWrap(True)
        note.setProperty("role", "hint")
        layout.addWidget(note)
        self.message = status_label(self)
        layout.addWidget(self.message)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.pdf_button = QPushButton("Save PDF…")
        self.pdf_button.setObjectName("valuationPdfButton")
        close = QPushButton("Close")
        close.setProperty("role", "primary")
        buttons.addWidget(self.pdf_button)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        close.clicked.connect(self.accept)
        self.pdf_button.clicked.connect(self._choose_pdf)
        call = workspace.call
        run_op(lambda: call(inventory.stock_valuation), on_done=self._show, parent=self)

    def _show(self, valuation: StockValuation) -> None:
        self.valuation = valuation
        self.headline.setText(f"Stock at cost: {money(valuation.value)}")
        self.detail.setText(f"{valuation.units} units on hand, retail value {money(valuation.retail_value)}."
                            + (f" {valuation.uncosted} item(s) have no cost and are valued at nil."
                               if valuation.uncosted else ""))
        self.model.set_rows(list(valuation.categories))

    def _choose_pdf(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(self, "Save the stock valuation", str(Path.home() /
                                                    "stock-valuation.pdf"), "PDF files (*.pdf)")
        if path:
            self.save_pdf(Path(path))

    def save_pdf(self, path: Path) -> None:
        call = self.workspace.call

        def done(saved: Path) -> None:
            self.saved_pdf = saved
            tell(self.message, f"Saved {saved.name}", "success")

        run_op(lambda: save_pdf(call(inventory.stock_valuation_pdf), path), on_done=done,
               on_error=lambda e: (tell(self.message, str(e), "error"), True)[1] if isinstance(e, UserFacingError)
               else False, parent=self)


class SupplierDialog(FormDialog):
    """Add a supplier, or change one (``supplier``: its name, account number, terms, lead time and
    contact details)."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None, *, supplier: Any = None) -> None:
        super().__init__("Change a supplier" if supplier else "Add a supplier",
                         f"{supplier.name}: what goes on its purchase orders." if supplier else
                         "A supplier on ILS, or an external one with your account number and terms.", parent)
        self.workspace = workspace
        self.supplier = supplier
        self.saved_id: Any = None
        self.name, self.account, self.terms = QLineEdit(), QLineEdit(), QLineEdit()
        self.email, self.phone, self.address = QLineEdit(), QLineEdit(), QLineEdit()
        self.name.setObjectName("supplierName")
        self.account.setObjectName("supplierAccount")
        self.terms.setObjectName("supplierTerms")
        self.terms.setPlaceholderText("e.g. 30 days end of month")
        self.lead = QSpinBox()
        self.lead.setObjectName("supplierLead")
        self.lead.setRange(0, 365)
        self.lead.setValue(7)
        self.lead.setSuffix(" days")
        self.errors: dict[str, FieldError] = {}
        for key, label, field in (("name", "Name", self.name), ("account_number", "Account number", self.account),
                                  ("payment_terms", "Terms", self.terms), ("lead_time_days", "Lead time", self.lead),
                                  ("email", "Email", self.email), ("phone", "Phone", self.phone),
                                  ("address", "Address", self.address)):
            error = self.errors[key] = FieldError()
            box = QWidget()
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(2)
            column.addWidget(field)
            column.addWidget(error)
            self.form.addRow(label, box)
            if isinstance(field, QLineEdit):  # what the manager retypes is no longer in error
                field.textEdited.connect(lambda _t, e=error: e.show_message(""))
        if supplier is not None:
            self.name.setText(supplier.name)
            self.account.setText(supplier.account_number or "")
            self.terms.setText(supplier.payment_terms or "")
            self.lead.setValue(supplier.lead_time_days)
            self.email.setText(supplier.email or "")
            self.phone.setText(supplier.phone or "")
            self.address.setText(supplier.address or "")
        self.name.setFocus()

    def failed(self, error: BaseException) -> bool:
        if isinstance(error, ValidationFailed):
            for key, message in error.problems.items():
                if key in self.errors:
                    self.errors[key].show_message(message)
            rest = [m for k, m in error.problems.items() if k not in self.errors]
            if rest:
                tell(self.message, " ".join(rest), "error")
            else:
                self.message.setVisible(False)
            return True
        return super().failed(error)

    def save(self) -> None:
        for error in self.errors.values():
            error.show_message("")
        details = purchasing.SupplierDetails(self.name.text(), self.account.text(), self.terms.text(),
                                             self.lead.value(), self.email.text(), self.phone.text(),
                                             self.address.text(),
                                             self.supplier.supplier_company_id if self.supplier else None)
        call, supplier_id = self.workspace.call, self.supplier.id if self.supplier else None
        self.run(lambda: call(purchasing.save_supplier, details, supplier_id),
                 then=lambda saved: setattr(self, "saved_id", saved))
