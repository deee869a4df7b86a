"""Catalogue: browse and search what the practice sells, add and edit items, adjust stock, and import
a supplier's price list from CSV with a preview."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
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
from ils_desktop.services.catalogue import (
    CATEGORY_LABELS,
    SUPPLY_KIND_LABELS,
    VAT_RATE_LABELS,
    CatalogueBrowse,
    CatalogueItem,
)
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import PALETTE, icon, polish_table

PAGE_SIZE = 500
_VAT_SHORT = {"standard": "20%", "reduced": "5%", "zero": "0%", "exempt": "Exempt", "outside_scope": "Outside"}
_SUPPLY_SHORT = {"goods": "", "service": "", "spectacles_package": " · apportioned",
                 "contact_lens_package": " · apportioned"}
#: The widest text each fixed column shows, so none of it is cut off; the item's name takes the rest
#: (on two lines when it must).
_WIDEST = {1: [*CATEGORY_LABELS.values()], 2: ["5012345678900", "Barcode / SKU"], 3: ["RB2140-901-50"],
           4: ["at till", "£1,999.99"], 5: ["£1,999.99"],
           6: ["20% · apportioned", "Exempt", "Outside"], 7: ["Stock"]}
#: Below this width the SKU shares the barcode's column (the item's name needs the room).
WIDE_TABLE = 1200


def vat_text(item: CatalogueItem) -> str:
    """``20%``, ``Exempt``… and, for a spectacles or contact-lens package, that it is apportioned."""
    return _VAT_SHORT.get(item.vat_rate, item.vat_rate) + _SUPPLY_SHORT.get(item.supply_kind, "")


class CatalogueModel(RowsModel[CatalogueItem]):
    COLUMNS = ("Item", "Category", "Barcode", "SKU", "Retail", "Cost", "VAT", "Stock")
    RIGHT_ALIGNED = frozenset({4, 5, 7})

    def __init__(self) -> None:
        super().__init__()
        #: The SKU column is hidden: the barcode column shows the SKU of an item with no barcode.
        self.codes_together = False

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (section == 2 and self.codes_together and orientation == Qt.Orientation.Horizontal
                and role == Qt.ItemDataRole.DisplayRole):
            return "Barcode / SKU"
        return super().headerData(section, orientation, role)

    def role_data(self, item: CatalogueItem, index: Index, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and not item.is_active:
            return QColor(PALETTE.TEXT_MUTED)
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 0:
            return item.name
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 2 and item.sku:
            return f"Barcode {item.barcode or '—'} · SKU {item.sku}"
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 6:
            return f"{VAT_RATE_LABELS.get(item.vat_rate, item.vat_rate)} · " \
                   f"{SUPPLY_KIND_LABELS.get(item.supply_kind, item.supply_kind)}"
        return None

    def display(self, item: CatalogueItem, index: Index) -> Any:
        column = index.column()
        if column == 0:
            return item.name + ("" if item.is_active else "  (discontinued)")
        if column == 1:
            return item.category_label
        if column == 2:
            return item.barcode or (item.sku if self.codes_together else "")
        if column == 3:
            return item.sku
        if column == 4:
            return "at till" if item.retail_price is None else format_money(item.retail_price)
        if column == 5:
            return "" if item.cost_price is None else format_money(item.cost_price)
        if column == 6:
            return vat_text(item)
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
        self.summary.setWordWrap(True)  # every category, on two lines in a narrow window
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
        self.table.setWordWrap(True)  # a long name takes a second line rather than being cut
        rows = self.table.verticalHeader()
        rows.setMinimumSectionSize(rows.defaultSectionSize())
        rows.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header_view = self.table.horizontalHeader()
        header_view.setStretchLastSection(False)
        header_view.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        metrics = self.table.fontMetrics()
        for column, texts in _WIDEST.items():
            header_view.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            widest = max(metrics.horizontalAdvance(text) for text in [CatalogueModel.COLUMNS[column], *texts])
            header_view.resizeSection(column, widest + 28)  # the cell's padding on both sides
        layout.addWidget(self.table, 1)
        self.table.viewport().installEventFilter(self)
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

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        return super().eventFilter(watched, event)

    def _fit_columns(self) -> None:
        together = self.table.viewport().width() < WIDE_TABLE
        if together != self.model.codes_together or self.table.isColumnHidden(3) != together:
            self.model.codes_together = together
            self.table.setColumnHidden(3, together)
            self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 2, 2)
            self.model.dataChanged.emit(self.model.index(0, 2), self.model.index(self.model.rowCount() - 1, 2))

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

        def done(result: CatalogueBrowse) -> None:
            if ticket != self._ticket:
                return
            page, counts = result.page, result.counts
            self.model.set_rows(page.items)
            total = sum(counts.values())
            parts = [f"{counts.get(code, 0)} {label.lower()}" for code, label in CATEGORY_LABELS.items()
                     if counts.get(code)]
            self.summary.setText(f"{total} items on sale: " + ", ".join(parts) + ".")
            if page.total > len(page.items):
                self.footer.setText(f"Showing the first {len(page.items)} of {page.total} — type to narrow the list.")
            else:
                self.footer.setText(f"{page.total} item{'s' if page.total != 1 else ''}. Enter or double-click "
                                    "edits an item.")
            if page.items and not self.table.selectionModel().hasSelection():
                self.table.selectRow(0)

        run_op(lambda: call(catalogue.browse_catalogue, text, category=category, include_inactive=inactive,
                            limit=PAGE_SIZE), on_done=done, parent=self)

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
