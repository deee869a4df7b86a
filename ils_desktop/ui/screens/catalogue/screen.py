"""Catalogue: browse and search what the practice sells, add and edit items, adjust stock, and import
a supplier's price list from CSV with a preview."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.money import format_money
from ils_desktop.services import catalogue
from ils_desktop.services.catalogue import CATEGORY_LABELS, CatalogueItem, CataloguePage
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import PALETTE, icon, polish_table

PAGE_SIZE = 500
_VAT_SHORT = {"standard": "20%", "reduced": "5%", "zero": "0%", "exempt": "Exempt", "outside_scope": "Outside"}
_SUPPLY_SHORT = {"goods": "", "service": "", "spectacles_package": " · apportioned",
                 "contact_lens_package": " · apportioned"}


class CatalogueModel(RowsModel[CatalogueItem]):
    COLUMNS = ("Item", "Category", "Barcode", "SKU", "Retail", "Cost", "VAT", "Stock")
    RIGHT_ALIGNED = frozenset({4, 5, 7})

    def role_data(self, item: CatalogueItem, index: Index, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and not item.is_active:
            return QColor(PALETTE.TEXT_MUTED)
        return None

    def display(self, item: CatalogueItem, index: Index) -> Any:
        column = index.column()
        if column == 0:
            return item.name + ("" if item.is_active else "  (discontinued)")
        if column == 1:
            return item.category_label
        if column == 2:
            return item.barcode
        if column == 3:
            return item.sku
        if column == 4:
            return "at till" if item.retail_price is None else format_money(item.retail_price)
        if column == 5:
            return "" if item.cost_price is None else format_money(item.cost_price)
        if column == 6:
            return _VAT_SHORT.get(item.vat_rate, item.vat_rate) + _SUPPLY_SHORT.get(item.supply_kind, "")
        if column == 7:
            return "—" if item.on_hand is None else str(item.on_hand)
        return None


class CatalogueScreen(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self._ticket = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 24)
        layout.setSpacing(14)

        header = QHBoxLayout()
        titles = QVBoxLayout()
        title = QLabel("Catalogue")
        title.setProperty("role", "title")
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("catalogueSummary")
        self.summary.setProperty("role", "subtitle")
        titles.addWidget(title)
        titles.addWidget(self.summary)
        header.addLayout(titles, 1)
        can_manage = workspace.can("inventory.manage")
        self.import_button = QPushButton("Import CSV…")
        self.import_button.setObjectName("importCsvButton")
        self.add_button = QPushButton(icon("add", "#FFFFFF"), "  Add item")
        self.add_button.setObjectName("addItemButton")
        self.add_button.setProperty("role", "primary")
        self.add_button.setToolTip("Add an item (Ctrl+N)")
        for button in (self.import_button, self.add_button):
            button.setEnabled(can_manage)
            header.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addLayout(header)

        filters = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setObjectName("catalogueSearch")
        self.search.setPlaceholderText("Search by name, model, colour, SKU or barcode (scan to find)")
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.category = QComboBox()
        self.category.setObjectName("categoryFilter")
        self.category.addItem("All categories", None)
        for code, label in CATEGORY_LABELS.items():
            self.category.addItem(label, code)
        self.show_discontinued = QCheckBox("Show discontinued")
        filters.addWidget(self.search, 1)
        filters.addWidget(self.category)
        filters.addWidget(self.show_discontinued)
        layout.addLayout(filters)

        self.table = QTableView()
        self.table.setObjectName("catalogueTable")
        self.model = CatalogueModel()
        self.table.setModel(self.model)
        polish_table(self.table)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header_view = self.table.horizontalHeader()
        header_view.setStretchLastSection(False)
        header_view.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 130), (2, 150), (3, 110), (4, 90), (5, 84), (6, 140), (7, 64)):
            header_view.resizeSection(column, width)
        layout.addWidget(self.table, 1)
        self.footer = QLabel("")
        self.footer.setProperty("role", "hint")
        layout.addWidget(self.footer)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(220)
        self._timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.search.returnPressed.connect(self._search_entered)
        self.category.currentIndexChanged.connect(lambda _i: self.refresh())
        self.show_discontinued.toggled.connect(lambda _c: self.refresh())
        self.table.doubleClicked.connect(lambda _i: self.edit_selected())
        self.table.activated.connect(lambda _i: self.edit_selected())
        self.add_button.clicked.connect(self.add_item)
        self.import_button.clicked.connect(self.import_csv)
        QShortcut(QKeySequence("Ctrl+N"), self, activated=self.add_item,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence("Ctrl+F"), self, activated=self.search.setFocus,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        changes.changed.connect(self._changed)
        self.refresh()

    def activated(self) -> None:
        self.refresh()
        self.search.setFocus()

    def _changed(self, what: str) -> None:
        if what in ("catalogue", "till"):
            self.refresh()

    def _search_entered(self) -> None:
        self._timer.stop()
        self.refresh()
        self.table.setFocus()

    def refresh(self) -> None:
        self._ticket += 1
        ticket = self._ticket
        text, category = self.search.text(), self.category.currentData()
        inactive = self.show_discontinued.isChecked()
        call = self.workspace.call

        def done(result: tuple[CataloguePage, dict[str, int]]) -> None:
            if ticket != self._ticket:
                return
            page, counts = result
            self.model.set_rows(page.items)
            total = sum(counts.values())
            parts = [f"{counts.get(code, 0)} {label.lower()}" for code, label in CATEGORY_LABELS.items()
                     if counts.get(code)]
            self.summary.setText(f"{total} items on sale · " + ", ".join(parts[:4]) + (" …" if len(parts) > 4 else ""))
            if page.total > len(page.items):
                self.footer.setText(f"Showing the first {len(page.items)} of {page.total} — type to narrow the list.")
            else:
                self.footer.setText(f"{page.total} item{'s' if page.total != 1 else ''}. Enter or double-click "
                                    "edits an item.")
            if page.items and not self.table.selectionModel().hasSelection():
                self.table.selectRow(0)

        def work() -> tuple[CataloguePage, dict[str, int]]:
            page = call(catalogue.search_catalogue, text, category=category, include_inactive=inactive,
                                              limit=PAGE_SIZE)
            return page, call(catalogue.category_counts)

        run_op(work, on_done=done, parent=self)

    def selected(self) -> CatalogueItem | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.rows[rows[0].row()] if rows else None

    def add_item(self) -> None:
        if not self.workspace.can("inventory.manage"):
            return
        from ils_desktop.ui.screens.catalogue.item_dialog import CatalogueItemDialog

        self.dialog = CatalogueItemDialog(self.workspace, None, self)
        self.dialog.open()
        self.dialog.activateWindow()  # typing goes to the dialog, not the window under it

    def edit_selected(self) -> None:
        item = self.selected()
        if item is None or not self.workspace.can("inventory.manage"):
            return
        from ils_desktop.ui.screens.catalogue.item_dialog import CatalogueItemDialog

        self.dialog = CatalogueItemDialog(self.workspace, item, self)
        self.dialog.open()
        self.dialog.activateWindow()  # typing goes to the dialog, not the window under it

    def import_csv(self) -> None:
        from ils_desktop.ui.screens.catalogue.csv_import_dialog import CsvImportDialog

        self.import_dialog = CsvImportDialog(self.workspace, self)
        self.import_dialog.open()
        self.import_dialog.activateWindow()  # typing goes to the dialog, not the window under it
