"""Raise a purchase order by hand, or change a draft one: choose the supplier, add what to order by
scanning each item's barcode or searching the catalogue, set each line's quantity and unit cost,
take lines off, and save it as a draft (sending it is the Orders tab's). Keyboard first: the find
field has the focus, Enter adds a scanned item (a second scan of it raises its quantity), Delete
takes the chosen line off, Ctrl+S saves."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGridLayout,
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
from ils_desktop.services.inventory import purchasing
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.screens.inventory.common import money, selected_rows, status_label, table, tell
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import icon
from ils_desktop.ui.widgets.forms import FieldError, labelled, mark_invalid

PENNY = Decimal("0.01")


@dataclass
class DraftLine:
    """A line as the manager is editing it (saved only with the order)."""

    variant_id: uuid.UUID
    name: str
    code: str
    quantity: int
    unit_cost: Decimal


def parse_cost(text: str) -> Decimal | None:
    """A cost as typed (``48.5``, ``£48.50``, ``1,200``) in pounds to the penny; ``None`` when it is
    not an amount of money (or is negative)."""
    cleaned = text.strip().replace("£", "").replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value != value.quantize(PENNY) or value > Decimal("1000000"):
        return None
    return value.quantize(PENNY)


class DraftLinesModel(RowsModel[DraftLine]):
    COLUMNS = ("Item", "Barcode / SKU", "Quantity", "Unit cost", "Line total")
    RIGHT_ALIGNED = frozenset({2, 3, 4})

    def display(self, row: DraftLine, index: Index) -> Any:
        return (row.name, row.code, str(row.quantity), money(row.unit_cost),
                money(row.unit_cost * row.quantity))[index.column()]

    def changed(self, row: int) -> None:
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))


class MatchesModel(RowsModel[Any]):
    COLUMNS = ("Item", "Barcode / SKU", "On hand", "Cost")
    RIGHT_ALIGNED = frozenset({2, 3})

    def display(self, row: Any, index: Index) -> Any:
        return (row.name, row.barcode or row.sku or "", str(row.on_hand),
                money(row.average_cost or row.cost_price))[index.column()]


class OrderDialog(QDialog):
    """A new draft order (``order`` None) or the lines of an existing draft (``order`` its view)."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None, *,
                 order: purchasing.PurchaseOrderView | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.order = order
        self.saved_id: uuid.UUID | None = None
        self.setWindowTitle(f"Purchase order {order.header.number}" if order else "New purchase order")
        self.setMinimumWidth(760)
        self.resize(900, 640)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        heading = QLabel(f"Change draft order PO {order.header.number}" if order else "New purchase order")
        heading.setProperty("role", "title")
        intro = QLabel("Scan each item's barcode, or type a brand or model and press Enter. Scanning an item again "
                       "adds one more. The order is saved as a draft: check it, then send it from Orders.")
        intro.setProperty("role", "subtitle")
        intro.setWordWrap(True)
        layout.addWidget(heading)
        layout.addWidget(intro)

        top = QGridLayout()
        top.setHorizontalSpacing(16)
        self.supplier = QComboBox()
        self.supplier.setObjectName("orderSupplier")
        self.supplier.setMinimumWidth(240)
        self.supplier_error = FieldError()
        self.find = QLineEdit()
        self.find.setObjectName("orderFind")
        self.find.setPlaceholderText("Scan a barcode, or search brand / model / colour")
        self.find.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.find_error = FieldError()
        top.addWidget(labelled("Supplier", self.supplier, self.supplier_error), 0, 0)
        top.addWidget(labelled("Add an item", self.find, self.find_error), 0, 1)
        top.setColumnStretch(1, 1)
        layout.addLayout(top)

        self.matches_label = QLabel("Several items match: choose one (Enter or double-click adds it).")
        self.matches_label.setProperty("role", "hint")
        self.matches_model = MatchesModel()
        self.matches = table(self.matches_model, "orderMatches", widths={1: 150, 2: 80, 3: 90})
        self.matches.setMaximumHeight(150)
        layout.addWidget(self.matches_label)
        layout.addWidget(self.matches)
        self._show_matches(False)

        self.lines_model = DraftLinesModel()
        self.lines = table(self.lines_model, "orderDraftLines", widths={1: 150, 2: 80, 3: 100, 4: 110})
        layout.addWidget(self.lines, 1)
        self.total = QLabel("")

        editor = QHBoxLayout()
        editor.setSpacing(12)
        self.quantity = QSpinBox()
        self.quantity.setObjectName("orderLineQuantity")
        self.quantity.setRange(1, 9999)
        self.quantity.setMinimumWidth(90)
        self.cost = QLineEdit()
        self.cost.setObjectName("orderLineCost")
        self.cost.setPlaceholderText("0.00")
        self.cost.setMaximumWidth(140)
        self.cost_error = FieldError()
        self.remove_button = QPushButton(icon("close"), " Remove line")
        self.remove_button.setObjectName("removeOrderLine")
        self.remove_button.setToolTip("Take the chosen line off the order (Delete)")
        self.total.setObjectName("orderTotal")
        self.total.setProperty("role", "section")
        self.total.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        editor.addWidget(labelled("Quantity", self.quantity), 0, Qt.AlignmentFlag.AlignTop)
        editor.addWidget(labelled("Unit cost (£, ex VAT)", self.cost, self.cost_error), 0, Qt.AlignmentFlag.AlignTop)
        # A blank caption keeps the button and the total level with the fields beside them.
        editor.addWidget(labelled("\u00a0", self.remove_button), 0, Qt.AlignmentFlag.AlignTop)
        editor.addStretch(1)
        layout.addWidget(self.total)
        layout.addLayout(editor)

        self.message = status_label(self)
        layout.addWidget(self.message)
        buttons = QHBoxLayout()
        hint = QLabel("Enter adds · Delete removes the chosen line · Ctrl+S saves")
        hint.setProperty("role", "hint")
        buttons.addWidget(hint)
        buttons.addStretch(1)
        self.cancel_button = QPushButton("Cancel")
        self.save_button = QPushButton("Save draft")
        self.save_button.setObjectName("saveDraftOrder")
        self.save_button.setProperty("role", "primary")
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)
        for button in (self.remove_button, self.cancel_button, self.save_button):
            button.setAutoDefault(False)  # Enter belongs to the scanner, not to a button

        self.find.returnPressed.connect(self._find)
        self.find.textEdited.connect(lambda _t: self._clear_error(self.find, self.find_error))
        self.supplier.currentIndexChanged.connect(lambda _i: self._clear_error(self.supplier, self.supplier_error))
        self.matches.doubleClicked.connect(lambda _i: self._add_match())
        enter = QShortcut(QKeySequence(Qt.Key.Key_Return), self.matches, context=Qt.ShortcutContext.WidgetShortcut)
        enter.activated.connect(self._add_match)
        self.lines.selectionModel().selectionChanged.connect(lambda *_: self._line_chosen())
        self.quantity.valueChanged.connect(self._quantity_changed)
        self.cost.editingFinished.connect(self._cost_changed)
        self.remove_button.clicked.connect(self.remove_line)
        delete = QShortcut(QKeySequence(Qt.Key.Key_Delete), self.lines, context=Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.remove_line)
        QShortcut(QKeySequence("Ctrl+S"), self).activated.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        self.save_button.clicked.connect(self.save)

        if order is not None:
            self.lines_model.set_rows([DraftLine(x.variant_id, x.name, x.barcode or x.sku or "", x.quantity_ordered,
                                                 Decimal(x.unit_cost).quantize(PENNY)) for x in order.lines])
            self.supplier.addItem(order.header.supplier, order.header.supplier_id)
            self.supplier.setEnabled(False)  # a draft keeps its supplier; cancel it and raise another to change
        else:
            call = workspace.call
            run_op(lambda: call(purchasing.suppliers), on_done=self._suppliers, parent=self)
        self._line_chosen()
        self._totals()
        self.find.setFocus()

    # --- supplier ---------------------------------------------------------------------------------
    def _suppliers(self, suppliers: list[Any]) -> None:
        self.supplier.clear()
        self.supplier.addItem("Choose a supplier…", None)
        for supplier in suppliers:
            self.supplier.addItem(supplier.name, supplier.id)
        if not suppliers:
            self.supplier_error.show_message("No suppliers yet: add one on the Suppliers tab first.")

    # --- finding items ----------------------------------------------------------------------------
    def _show_matches(self, shown: bool) -> None:
        self.matches_label.setVisible(shown)
        self.matches.setVisible(shown)

    def _find(self) -> None:
        query = self.find.text().strip()
        if not query:
            return
        call = self.workspace.call

        def done(rows: list[Any]) -> None:
            exact = [r for r in rows if query.lower() in ((r.barcode or "").lower(), (r.sku or "").lower())]
            if len(exact) == 1 or len(rows) == 1:
                self.add_item(exact[0] if exact else rows[0])
                self.find.clear()
                self._show_matches(False)
                return
            if not rows:
                self._show_matches(False)
                self.find_error.show_message(f"Nothing in the catalogue matches “{query}”.")
                mark_invalid(self.find, True)
                self.find.selectAll()
                return
            self.matches_model.set_rows(rows)
            self._show_matches(True)
            self.matches.selectRow(0)
            self.matches.setFocus()

        run_op(lambda: call(inventory.search_stock, query, limit=50), on_done=done, parent=self)

    def _add_match(self) -> None:
        chosen = selected_rows(self.matches)
        if chosen:
            self.add_item(chosen[0])
            self.find.clear()
            self._show_matches(False)
            self.find.setFocus()

    def add_item(self, row: Any) -> None:
        """Put a catalogue item on the order (one more of it if it is there already)."""
        for number, line in enumerate(self.lines_model.rows):
            if line.variant_id == row.variant_id:
                line.quantity += 1
                self.lines_model.changed(number)
                self.lines.selectRow(number)
                self._line_chosen()
                break
        else:
            cost = Decimal(row.average_cost or row.cost_price or 0).quantize(PENNY)
            self.lines_model.set_rows([*self.lines_model.rows, DraftLine(
                row.variant_id, row.name, row.barcode or row.sku or "", 1, cost)])
            self.lines.selectRow(len(self.lines_model.rows) - 1)
        self.message.setVisible(False)
        self._totals()

    # --- editing lines ----------------------------------------------------------------------------
    def _current(self) -> tuple[int, DraftLine] | None:
        rows = self.lines.selectionModel().selectedRows()
        if not rows:
            return None
        return rows[0].row(), self.lines_model.rows[rows[0].row()]

    def _line_chosen(self) -> None:
        current = self._current()
        for widget in (self.quantity, self.cost, self.remove_button):
            widget.setEnabled(current is not None)
        self._clear_error(self.cost, self.cost_error)
        if current is None:
            self.cost.clear()
            return
        _number, line = current
        self.quantity.blockSignals(True)
        self.quantity.setValue(line.quantity)
        self.quantity.blockSignals(False)
        self.cost.setText(f"{line.unit_cost:.2f}")

    def _quantity_changed(self, value: int) -> None:
        current = self._current()
        if current is not None:
            number, line = current
            line.quantity = value
            self.lines_model.changed(number)
            self._totals()

    def _cost_changed(self) -> bool:
        current = self._current()
        if current is None:
            return True
        cost = parse_cost(self.cost.text())
        if cost is None:
            self.cost_error.show_message("A cost in pounds and pence, e.g. 48.50.")
            mark_invalid(self.cost, True)
            return False
        self._clear_error(self.cost, self.cost_error)
        number, line = current
        line.unit_cost = cost
        self.cost.setText(f"{cost:.2f}")
        self.lines_model.changed(number)
        self._totals()
        return True

    def remove_line(self) -> None:
        current = self._current()
        if current is None:
            return
        number, _line = current
        rows = [r for i, r in enumerate(self.lines_model.rows) if i != number]
        self.lines_model.set_rows(rows)
        if rows:
            self.lines.selectRow(min(number, len(rows) - 1))
        self._line_chosen()
        self._totals()

    def _totals(self) -> None:
        lines = self.lines_model.rows
        total = sum((line.unit_cost * line.quantity for line in lines), Decimal("0.00"))
        units = sum(line.quantity for line in lines)
        self.total.setText(f"{len(lines)} line(s), {units} unit(s) · {money(total)} ex VAT" if lines else
                           "Nothing on the order yet")

    def _clear_error(self, field: QWidget, error: FieldError) -> None:
        error.show_message("")
        mark_invalid(field, False)

    # --- saving -----------------------------------------------------------------------------------
    def save(self) -> None:
        if self.cost.hasFocus() and not self._cost_changed():
            return
        supplier = self.supplier.currentData()
        if supplier is None:
            self.supplier_error.show_message("Choose the supplier to order from.")
            mark_invalid(self.supplier, True)
            self.supplier.setFocus()
            return
        if not self.lines_model.rows:
            tell(self.message, "Scan or find at least one item to order.", "warning")
            self.find.setFocus()
            return
        lines = tuple((x.variant_id, x.quantity, x.unit_cost) for x in self.lines_model.rows)
        call, order = self.workspace.call, self.order
        self.save_button.setEnabled(False)

        def work() -> uuid.UUID:
            if order is None:
                return call(purchasing.create_purchase_order, supplier, lines)
            call(purchasing.revise_draft_order, order.header.id, lines)
            return order.header.id

        def done(order_id: uuid.UUID) -> None:
            self.saved_id = order_id
            changes.changed.emit("inventory")
            self.accept()

        def failed(error: BaseException) -> bool:
            self.save_button.setEnabled(True)
            if isinstance(error, ValidationFailed):
                if "supplier" in error.problems:
                    self.supplier_error.show_message(error.problems["supplier"])
                    mark_invalid(self.supplier, True)
                rest = [m for k, m in error.problems.items() if k != "supplier"]
                if rest:
                    tell(self.message, " ".join(rest), "error")
                return True
            if isinstance(error, UserFacingError):
                tell(self.message, str(error), "error")
                return True
            return False

        run_op(work, on_done=done, on_error=failed, parent=self)
