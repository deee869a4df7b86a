"""Low stock and purchase orders: the alerts the ledger raised, worked through into draft orders (or
dismissed); orders by status, sent, printed, and received by scanning each item at goods-in."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.purchasing import PO_LABELS, PoStatus
from ils_desktop.errors import UserFacingError
from ils_desktop.services.inventory import alerts, purchasing
from ils_desktop.services.pdf_files import save_pdf
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.screens.inventory.common import (
    CATEGORY_LABELS,
    local_time,
    money,
    selected_rows,
    status_label,
    tell,
)
from ils_desktop.ui.screens.inventory.common import table as make_table
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import PALETTE, icon


class AlertsModel(RowsModel[Any]):
    COLUMNS = ("Item", "Category", "Supplier", "On hand", "Reorder point", "On order", "Suggested", "Raised",
               "Status")
    RIGHT_ALIGNED = frozenset({3, 4, 5, 6})

    def display(self, row: Any, index: Index) -> Any:
        return (row.name, CATEGORY_LABELS.get(row.category, row.category), row.supplier or "", str(row.on_hand),
                str(row.reorder_level), str(row.on_order or ""), str(row.reorder_quantity), local_time(row.raised_at),
                "On order" if row.status == "ordered" else "Open")[index.column()]

    def role_data(self, row: Any, index: Index, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 3 and row.on_hand <= 0:
            return QColor(PALETTE.DANGER)
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 8 and row.status == "ordered":
            return QColor(PALETTE.TEXT_MUTED)
        return None


class AlertsTab(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.drafted: uuid.UUID | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 12, 0, 0)
        layout.setSpacing(12)
        intro = QLabel("Raised by the ledger when stock falls to an item's reorder point, cleared when it is back "
                       "above. Choose lines and a supplier to draft an order, or dismiss what you will not reorder.")
        intro.setWordWrap(True)
        intro.setProperty("role", "hint")
        layout.addWidget(intro)
        bar = QHBoxLayout()
        self.supplier = QComboBox()
        self.supplier.setObjectName("alertSupplier")
        self.supplier.setMinimumWidth(220)
        self.add_supplier_button = QPushButton(icon("add"), " Supplier…")
        self.draft_button = QPushButton("Draft order for selected")
        self.draft_button.setObjectName("draftOrderButton")
        self.draft_button.setProperty("role", "primary")
        self.dismiss_button = QPushButton("Dismiss selected")
        self.rules_button = QPushButton("Reorder rules…")
        self.rules_button.setObjectName("reorderRulesButton")
        self.rules_button.setToolTip("Reorder points and quantities by category")
        bar.addWidget(self.rules_button)
        bar.addSpacing(16)
        bar.addWidget(QLabel("Supplier"))
        bar.addWidget(self.supplier)
        bar.addWidget(self.add_supplier_button)
        bar.addStretch(1)
        bar.addWidget(self.dismiss_button)
        bar.addWidget(self.draft_button)
        layout.addLayout(bar)
        self.model = AlertsModel()
        self.table = make_table(self.model, "alertsTable", multi=True, widths={1: 130, 2: 150, 7: 150, 8: 90})
        layout.addWidget(self.table, 1)
        self.message = status_label(self)
        layout.addWidget(self.message)
        self.draft_button.clicked.connect(self.draft_order)
        self.dismiss_button.clicked.connect(self.dismiss)
        self.add_supplier_button.clicked.connect(self.add_supplier)
        self.rules_button.clicked.connect(self.edit_rules)
        changes.changed.connect(self._changed)  # a bound method: dropped with the widget

    def _changed(self, what: str) -> None:
        if what in ("inventory", "till"):
            self.refresh()

    def refresh(self) -> None:
        call = self.workspace.call

        def done(result: tuple[list[Any], list[Any]]) -> None:
            found, suppliers = result
            self.model.set_rows(found)
            current = self.supplier.currentData()
            self.supplier.clear()
            for supplier in suppliers:
                self.supplier.addItem(supplier.name, supplier.id)
            if current is not None and self.supplier.findData(current) >= 0:
                self.supplier.setCurrentIndex(self.supplier.findData(current))

        run_op(lambda: (call(alerts.low_stock_alerts), call(purchasing.suppliers)), on_done=done, parent=self)

    def _chosen(self) -> tuple[uuid.UUID, ...]:
        return tuple(row.id for row in selected_rows(self.table) if row.status == "open")  # type: ignore[attr-defined]

    def draft_order(self) -> None:
        chosen, supplier, call = self._chosen(), self.supplier.currentData(), self.workspace.call
        if not chosen:
            tell(self.message, "Choose open alerts to order (Ctrl-click for several).", "warning")
            return
        if supplier is None:
            tell(self.message, "Add a supplier first.", "warning")
            return

        def done(order_id: uuid.UUID) -> None:
            self.drafted = order_id
            tell(self.message, f"Draft order made for {len(chosen)} line(s): see Orders to check and send it.",
                 "success")
            changes.changed.emit("inventory")

        run_op(lambda: call(purchasing.draft_order_from_alerts, chosen, supplier), on_done=done, parent=self)

    def dismiss(self) -> None:
        chosen, call = self._chosen(), self.workspace.call
        if chosen:
            run_op(lambda: call(alerts.dismiss_alerts, chosen), on_done=lambda _n: changes.changed.emit("inventory"),
                   parent=self)

    def edit_rules(self) -> None:
        from ils_desktop.ui.screens.inventory.rules_dialog import ReorderRulesDialog

        self.dialog = ReorderRulesDialog(self.workspace, self)
        self.dialog.open()

    def add_supplier(self) -> None:
        from ils_desktop.ui.screens.inventory.dialogs import SupplierDialog

        self.dialog = SupplierDialog(self.workspace, self)
        self.dialog.open()


class OrdersModel(RowsModel[Any]):
    COLUMNS = ("PO", "Supplier", "Status", "Raised", "Lines", "Received", "Total (ex VAT)")
    RIGHT_ALIGNED = frozenset({0, 4, 5, 6})

    def display(self, row: Any, index: Index) -> Any:
        return (str(row.number), row.supplier, PO_LABELS[row.status], local_time(row.created_at), str(row.lines),
                f"{row.units_received} / {row.units_ordered}", money(row.total))[index.column()]


class LinesModel(RowsModel[Any]):
    COLUMNS = ("#", "Item", "Barcode", "Ordered", "Received", "Outstanding", "Unit cost", "From")
    RIGHT_ALIGNED = frozenset({0, 3, 4, 5, 6})

    def display(self, row: Any, index: Index) -> Any:
        outstanding = row.quantity_ordered - row.quantity_received
        return (str(row.line_number), row.name, row.barcode or row.sku or "", str(row.quantity_ordered),
                str(row.quantity_received), str(outstanding) if outstanding > 0 else ("over" if outstanding else "✓"),
                money(row.unit_cost), row.source)[index.column()]

    def role_data(self, row: Any, index: Index, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 5:
            outstanding = row.quantity_ordered - row.quantity_received
            return QColor(PALETTE.SUCCESS if outstanding == 0 else PALETTE.WARNING if outstanding < 0
                          else PALETTE.TEXT)
        return None


class OrdersTab(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.view: Any = None
        self.last_scan: str | None = None
        self.saved_pdf: Path | None = None
        self.select_next: uuid.UUID | None = None
        self.dialog: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 12, 0, 0)
        layout.setSpacing(12)
        bar = QHBoxLayout()
        self.status_filter = QComboBox()
        self.status_filter.addItem("Open orders", ("draft", "sent", "part_received", "received"))
        self.status_filter.addItem("All orders", tuple(s.value for s in PoStatus))
        for status in PoStatus:
            self.status_filter.addItem(PO_LABELS[status.value], (status.value,))
        self.new_button = QPushButton(icon("add"), " New order…")
        self.new_button.setObjectName("newOrderButton")
        self.new_button.setProperty("role", "primary")
        self.new_button.setToolTip("Raise a purchase order by hand (Ctrl+N)")
        bar.addWidget(self.status_filter)
        bar.addStretch(1)
        bar.addWidget(self.new_button)
        layout.addLayout(bar)
        split = QSplitter(Qt.Orientation.Vertical)
        self.model = OrdersModel()
        self.table = make_table(self.model, "ordersTable", stretch=1, widths={2: 120, 3: 150, 5: 90, 6: 120})
        split.addWidget(self.table)
        card = QFrame()
        card.setProperty("role", "card")
        card_layout = QVBoxLayout(card)
        card_layout.setContentsMargins(16, 12, 16, 12)
        top = QHBoxLayout()
        self.title = QLabel("Choose an order")
        self.title.setProperty("role", "section")
        top.addWidget(self.title, 1)
        self.send_button = QPushButton("Mark sent")
        self.send_button.setObjectName("sendOrderButton")
        self.close_button = QPushButton("Close")
        self.cancel_button = QPushButton("Cancel order")
        self.cancel_button.setProperty("role", "danger")
        self.pdf_button = QPushButton("PDF…")
        self.edit_button = QPushButton(icon("edit"), " Change lines…")
        self.edit_button.setObjectName("editOrderButton")
        self.edit_button.setToolTip("Change a draft order's items, quantities and costs (Ctrl+E)")
        for button in (self.edit_button, self.pdf_button, self.send_button, self.close_button, self.cancel_button):
            top.addWidget(button)
        card_layout.addLayout(top)
        self.supplier_line = QLabel("")
        self.supplier_line.setProperty("role", "hint")
        card_layout.addWidget(self.supplier_line)
        goods_in = QHBoxLayout()
        self.scan = QLineEdit()
        self.scan.setObjectName("goodsInScan")
        self.scan.setPlaceholderText("Goods in: scan each item as it comes out of the box")
        self.scan.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.accept_over_button = QPushButton("Accept the extra")
        self.accept_over_button.setObjectName("acceptOverButton")
        self.accept_over_button.setVisible(False)
        goods_in.addWidget(self.scan, 1)
        goods_in.addWidget(self.accept_over_button)
        card_layout.addLayout(goods_in)
        self.message = status_label(self)
        card_layout.addWidget(self.message)
        self.lines_model = LinesModel()
        self.lines = make_table(self.lines_model, "orderLines", stretch=1, widths={2: 150, 6: 90, 7: 80})
        card_layout.addWidget(self.lines, 1)
        split.addWidget(card)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        layout.addWidget(split, 1)

        self.status_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._load())
        self.scan.returnPressed.connect(self._scanned)
        self.accept_over_button.clicked.connect(lambda: self._receive(self.last_scan or "", accept_over=True))
        self.send_button.clicked.connect(lambda: self._status(PoStatus.SENT))
        self.close_button.clicked.connect(lambda: self._status(PoStatus.CLOSED))
        self.cancel_button.clicked.connect(lambda: self._status(PoStatus.CANCELLED))
        self.pdf_button.clicked.connect(self._choose_pdf)
        self.new_button.clicked.connect(self.new_order)
        self.edit_button.clicked.connect(self.edit_order)
        QShortcut(QKeySequence("Ctrl+N"), self).activated.connect(self.new_order)
        QShortcut(QKeySequence("Ctrl+E"), self).activated.connect(self.edit_order)
        self.lines.doubleClicked.connect(lambda _i: self.edit_order())
        changes.changed.connect(self._changed)  # a bound method: dropped with the widget
        self._buttons(None)

    def _changed(self, what: str) -> None:
        if what == "inventory":
            self.refresh()

    def refresh(self) -> None:
        statuses, call = self.status_filter.currentData(), self.workspace.call
        current = self.select_next or (self.view.header.id if self.view else None)

        def done(rows: list[Any]) -> None:
            self.model.set_rows(rows)
            ids = [r.id for r in rows]
            if current in ids:
                self.select_next = None
                self.table.selectRow(ids.index(current))
            elif rows:
                self.table.selectRow(0)
            else:
                self._show(None)

        run_op(lambda: call(purchasing.purchase_orders, statuses), on_done=done, parent=self)

    def select_order(self, order_id: uuid.UUID) -> None:
        ids = [r.id for r in self.model.rows]
        if order_id in ids:
            self.table.selectRow(ids.index(order_id))

    def _load(self) -> None:
        rows = selected_rows(self.table)
        if not rows:
            return
        order_id, call = rows[0].id, self.workspace.call  # type: ignore[attr-defined]
        run_op(lambda: call(purchasing.purchase_order, order_id), on_done=self._show, parent=self)

    def _show(self, view: Any) -> None:
        same = view is not None and self.view is not None and view.header.id == self.view.header.id
        self.view = view
        if not same:  # a refresh of the same order keeps what goods-in just said
            self.message.setVisible(False)
            self.accept_over_button.setVisible(False)
        if view is None:
            self.title.setText("No orders here")
            self.supplier_line.setText("")
            self.lines_model.set_rows([])
            self._buttons(None)
            return
        h = view.header
        self.title.setText(f"PO {h.number} · {h.supplier} · {PO_LABELS[h.status]} · {money(view.total)}")
        terms = " · ".join(x for x in (f"account {h.account_number}" if h.account_number else "", h.payment_terms or "",
                                      f"deliver to {h.location}", f"raised by {h.created_by}" if h.created_by else "")
                           if x)
        self.supplier_line.setText(terms)
        self.lines_model.set_rows(view.lines)
        self._buttons(h.status)

    def new_order(self) -> None:
        """The dialog to raise an order by hand (a draft, selected here once saved)."""
        from ils_desktop.ui.screens.inventory.order_dialog import OrderDialog

        self._open(OrderDialog(self.workspace, self))

    def edit_order(self) -> None:
        """The dialog to change the chosen draft order's lines."""
        if self.view is None or self.view.header.status != "draft":
            return
        from ils_desktop.ui.screens.inventory.order_dialog import OrderDialog

        self._open(OrderDialog(self.workspace, self, order=self.view))

    def _open(self, dialog: Any) -> None:
        self.dialog = dialog

        def saved() -> None:
            if dialog.saved_id is not None:
                self.select_next = dialog.saved_id
                if self.status_filter.currentData() and "draft" not in self.status_filter.currentData():
                    self.status_filter.setCurrentIndex(0)  # show the open orders the draft is among
                self.refresh()

        dialog.accepted.connect(saved)
        dialog.open()

    def _buttons(self, status: str | None) -> None:
        self.edit_button.setEnabled(status == "draft")
        self.send_button.setEnabled(status == "draft")
        self.close_button.setEnabled(status in ("sent", "part_received", "received"))
        self.cancel_button.setEnabled(status in ("draft", "sent"))
        self.pdf_button.setEnabled(status is not None)
        receiving = status in ("sent", "part_received", "received")
        self.scan.setEnabled(receiving)
        self.scan.setPlaceholderText("Goods in: scan each item as it comes out of the box" if receiving else
                                     "Goods in opens once the order is sent")

    def _status(self, status: PoStatus) -> None:
        if self.view is None:
            return
        order_id, call = self.view.header.id, self.workspace.call
        run_op(lambda: call(purchasing.change_order_status, order_id, status),
               on_done=lambda _label: changes.changed.emit("inventory"), parent=self)

    def _scanned(self) -> None:
        code = self.scan.text().strip()
        self.scan.clear()
        if code:
            self._receive(code, accept_over=False)

    def _receive(self, code: str, *, accept_over: bool) -> None:
        if self.view is None:
            return
        order_id, call = self.view.header.id, self.workspace.call
        self.last_scan = code
        self.accept_over_button.setVisible(False)

        def done(received: Any) -> None:
            extra = f" ({received.over} over, accepted)" if received.over else ""
            status = PO_LABELS[received.order_status]
            tell(self.message, f"{received.name}: {received.received} of {received.ordered} in{extra}. "
                               f"Order {status.lower()}.", "success")
            changes.changed.emit("inventory")
            self.scan.setFocus()

        def failed(error: BaseException) -> bool:
            if isinstance(error, purchasing.OverDelivery):
                tell(self.message, str(error), "warning")
                self.accept_over_button.setVisible(True)
                return True
            if isinstance(error, UserFacingError):
                tell(self.message, str(error), "error")
                return True
            return False

        run_op(lambda: call(purchasing.receive_scan, order_id, code, 1, accept_over=accept_over), on_done=done,
               on_error=failed, parent=self)

    def _choose_pdf(self) -> None:
        if self.view is None:
            return
        path, _filter = QFileDialog.getSaveFileName(self, "Save the purchase order", str(
            Path.home() / f"purchase-order-{self.view.header.number}.pdf"), "PDF files (*.pdf)")
        if path:
            self.save_pdf(Path(path))

    def save_pdf(self, path: Path) -> None:
        order_id, call = self.view.header.id, self.workspace.call

        def done(saved: Path) -> None:
            self.saved_pdf = saved
            tell(self.message, f"Saved {saved.name}", "success")

        run_op(lambda: save_pdf(call(purchasing.purchase_order_pdf, order_id), path), on_done=done, parent=self)
