"""Stock: find an item by scanning or by brand, model, colour or size; see it by location, on order,
reserved, at cost and retail, with its movement history; record damage, returns, adjustments and
transfers; set its reorder point; and value the whole stock."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.services import inventory
from ils_desktop.services.inventory import MOVEMENT_LABELS, HistoryRow, StockDetail, StockRow
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.screens.inventory.common import CATEGORY_LABELS, money, table
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import PALETTE, icon


def size_text(row: StockRow) -> str:
    if row.eye_size:
        return f"{row.eye_size}□{row.bridge}" if row.bridge else str(row.eye_size)
    return ""


class StockModel(RowsModel[StockRow]):
    COLUMNS = ("Item", "Barcode", "Colour", "Size", "On hand", "On order", "Reserved", "Avg cost", "Retail")
    RIGHT_ALIGNED = frozenset({4, 5, 6, 7, 8})

    def display(self, row: StockRow, index: Index) -> Any:
        column = index.column()
        values = (row.name, row.barcode or row.sku or "", row.colour or "", size_text(row),
                  str(row.on_hand) if row.track_stock else "—", str(row.on_order or "") or "",
                  str(row.reserved or "") or "", money(row.average_cost or row.cost_price), money(row.retail_price))
        return values[column]

    def role_data(self, row: StockRow, index: Index, role: int) -> Any:
        low = row.track_stock and row.reorder_level > 0 and row.on_hand <= row.reorder_level
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 4 and (low or row.on_hand < 0):
            return QColor(PALETTE.DANGER)
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 4 and row.by_location:
            return "\n".join(f"{name}: {count}" for name, count in row.by_location.items())
        return None


class HistoryModel(RowsModel[HistoryRow]):
    COLUMNS = ("When", "What", "Qty", "Balance", "Location", "Source", "Who", "Why")
    RIGHT_ALIGNED = frozenset({2, 3})

    def display(self, row: HistoryRow, index: Index) -> Any:
        from ils_desktop.ui.screens.inventory.common import local_time

        source = (f"Receipt {row.receipt_number}" if row.receipt_number else f"PO {row.po_number}" if row.po_number
                  else f"Stocktake {row.stocktake_number}" if row.stocktake_number
                  else "Order" if row.order_id else "")
        values = (local_time(row.occurred_at), MOVEMENT_LABELS.get(row.reason, row.reason),
                  f"{row.quantity:+d}", "" if row.balance_after is None else str(row.balance_after), row.location,
                  source, row.who, row.note or "")
        return values[index.column()]

    def role_data(self, row: HistoryRow, index: Index, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 2:
            return QColor(PALETTE.SUCCESS if row.quantity > 0 else PALETTE.DANGER)
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 7:
            return row.note
        return None


class Figure(QFrame):
    """A labelled figure in the item's summary card."""

    def __init__(self, label: str) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        caption = QLabel(label)
        caption.setProperty("role", "hint")
        self.value = QLabel("—")
        self.value.setObjectName("stockFigure")
        self.value.setProperty("role", "section")
        self.value.setWordWrap(True)
        layout.addWidget(caption)
        layout.addWidget(self.value)


class StockTab(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self._ticket = 0
        self.detail: StockDetail | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 12, 0, 0)
        layout.setSpacing(12)
        filters = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setObjectName("stockSearch")
        self.search.setPlaceholderText("Scan a barcode, or search by brand, model, colour or size")
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.category = QComboBox()
        self.category.addItem("All categories", None)
        for code, label in CATEGORY_LABELS.items():
            if code != "service":
                self.category.addItem(label, code)
        self.low_only = QPushButton("Low stock only")
        self.low_only.setCheckable(True)
        self.valuation_button = QPushButton("Stock valuation…")
        self.valuation_button.setObjectName("valuationButton")
        filters.addWidget(self.search, 1)
        filters.addWidget(self.category)
        filters.addWidget(self.low_only)
        filters.addWidget(self.valuation_button)
        layout.addLayout(filters)

        split = QSplitter(Qt.Orientation.Vertical)
        self.model = StockModel()
        self.table = table(self.model, "stockTable", widths={1: 150, 2: 100, 3: 70, 7: 90, 8: 90})
        split.addWidget(self.table)

        card = QFrame()
        card.setProperty("role", "card")
        card_layout = QVBoxLayout(card)
        card_layout.setContentsMargins(16, 12, 16, 12)
        top = QHBoxLayout()
        self.item_title = QLabel("Choose an item to see its stock and history")
        self.item_title.setProperty("role", "section")
        self.item_title.setWordWrap(True)
        top.addWidget(self.item_title, 1)
        self.movement_button = QPushButton("Record movement…")
        self.movement_button.setObjectName("recordMovementButton")
        self.transfer_button = QPushButton("Transfer…")
        self.reorder_button = QPushButton("Reorder point…")
        for button in (self.movement_button, self.transfer_button, self.reorder_button):
            button.setEnabled(False)
            top.addWidget(button)
        card_layout.addLayout(top)
        figures = QGridLayout()
        figures.setHorizontalSpacing(28)
        self.figures = {key: Figure(label) for key, label in (
            ("on_hand", "On hand"), ("locations", "By location"), ("on_order", "On order"),
            ("reserved", "Reserved for orders"), ("cost", "Average cost"), ("retail", "Retail"),
            ("reorder", "Reorder point / qty"))}
        for column, figure in enumerate(self.figures.values()):
            figures.addWidget(figure, 0, column)
        figures.setColumnStretch(len(self.figures), 1)
        card_layout.addLayout(figures)
        self.history_model = HistoryModel()
        self.history = table(self.history_model, "historyTable", stretch=7,
                             widths={0: 150, 1: 170, 4: 110, 5: 120, 6: 140})
        card_layout.addWidget(self.history, 1)
        split.addWidget(card)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout.addWidget(split, 1)
        self.footer = QLabel("")
        self.footer.setProperty("role", "hint")
        layout.addWidget(self.footer)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.search.returnPressed.connect(self._scanned)
        self.category.currentIndexChanged.connect(lambda _i: self.refresh())
        self.low_only.toggled.connect(lambda _c: self.refresh())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._load_detail())
        self.valuation_button.clicked.connect(self.show_valuation)
        self.movement_button.clicked.connect(self.record_movement)
        self.transfer_button.clicked.connect(self.transfer)
        self.reorder_button.clicked.connect(self.set_reorder)
        changes.changed.connect(self._changed)  # a bound method: dropped with the widget

    def _scanned(self) -> None:
        self._timer.stop()
        self.refresh(select_first=True)

    def _changed(self, what: str) -> None:
        if what in ("inventory", "till", "catalogue"):
            self.refresh()

    def refresh(self, select_first: bool = False) -> None:
        self._ticket += 1
        ticket = self._ticket
        query, category, low = self.search.text(), self.category.currentData(), self.low_only.isChecked()
        call = self.workspace.call
        current = self.detail.row.variant_id if self.detail else None

        def done(rows: list[StockRow]) -> None:
            if ticket != self._ticket:
                return
            self.model.set_rows(rows)
            total = rows[0].total if rows else 0
            shown = f"The first {len(rows)} of {total}" if total > len(rows) else f"{total}"
            self.footer.setText(f"{shown} item{'s' if total != 1 else ''}: type or scan to narrow the list. Hover "
                                "a stock figure for its locations.")
            ids = [r.variant_id for r in rows]
            if current in ids and not select_first:
                self.table.selectRow(ids.index(current))
            elif rows:
                self.table.selectRow(0)

        run_op(lambda: call(inventory.search_stock, query, category, low_only=low, limit=300), on_done=done,
               parent=self)

    def selected(self) -> StockRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.rows[rows[0].row()] if rows else None

    def _load_detail(self) -> None:
        row = self.selected()
        if row is None:
            return
        call = self.workspace.call

        def done(detail: StockDetail) -> None:
            current = self.selected()
            if current is None or current.variant_id != detail.row.variant_id:
                return
            self.show_detail(detail)

        run_op(lambda: call(inventory.stock_detail, row.variant_id), on_done=done, parent=self)

    def show_detail(self, detail: StockDetail) -> None:
        self.detail = detail
        row = detail.row
        self.item_title.setText(f"{row.name}  ·  {row.barcode or row.sku or 'no barcode'}")
        places = ", ".join(f"{name} {count}" for name, count in (row.by_location or {}).items()) or "—"
        values = {"on_hand": str(row.on_hand), "locations": places, "on_order": str(row.on_order),
                  "reserved": str(row.reserved), "cost": money(row.average_cost or row.cost_price),
                  "retail": money(row.retail_price),
                  "reorder": f"{row.reorder_level} / {row.reorder_quantity}" if row.reorder_level else "category rule"}
        for key, value in values.items():
            self.figures[key].value.setText(value)
        self.history_model.set_rows(detail.history)
        for button in (self.movement_button, self.transfer_button, self.reorder_button):
            button.setEnabled(row.track_stock)

    def record_movement(self) -> None:
        from ils_desktop.ui.screens.inventory.dialogs import MovementDialog

        if self.detail is not None:
            self.dialog = MovementDialog(self.workspace, self.detail.row, self)
            self.dialog.open()

    def transfer(self) -> None:
        from ils_desktop.ui.screens.inventory.dialogs import TransferDialog

        if self.detail is not None:
            self.dialog = TransferDialog(self.workspace, self.detail.row, self)
            self.dialog.open()

    def set_reorder(self) -> None:
        from ils_desktop.ui.screens.inventory.dialogs import ReorderDialog

        if self.detail is not None:
            self.dialog = ReorderDialog(self.workspace, self.detail.row, self)
            self.dialog.open()

    def show_valuation(self) -> None:
        from ils_desktop.ui.screens.inventory.dialogs import ValuationDialog

        self.dialog = ValuationDialog(self.workspace, self)
        self.dialog.open()
