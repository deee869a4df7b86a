"""Inventory: the practice manager's room for stock — what is in stock and what it is worth, what is
running low and what to order, purchase orders and goods-in, stocktakes, contact lens stock and
demand forecasts. Staff who do not manage stock see the stocktake only (to count the shelves)."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from ils_desktop.ui.ops import changes
from ils_desktop.ui.screens.inventory.forecast_tab import ForecastTab
from ils_desktop.ui.screens.inventory.lenses_tab import LensesTab
from ils_desktop.ui.screens.inventory.purchasing_tab import AlertsTab, OrdersTab
from ils_desktop.ui.screens.inventory.stock_tab import StockTab
from ils_desktop.ui.screens.inventory.stocktake_tab import StocktakeTab
from ils_desktop.ui.screens.inventory.suppliers_tab import SuppliersTab
from ils_desktop.ui.session import Workspace


class InventoryScreen(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 24)
        layout.setSpacing(10)
        header = QHBoxLayout()
        titles = QVBoxLayout()
        title = QLabel("Inventory")
        title.setProperty("role", "title")
        self.subtitle = QLabel("Stock, orders and counts: every change of stock is kept in the ledger.")
        self.subtitle.setProperty("role", "subtitle")
        titles.addWidget(title)
        titles.addWidget(self.subtitle)
        header.addLayout(titles, 1)
        layout.addLayout(header)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("inventoryTabs")
        self.tabs.setDocumentMode(True)
        manages = workspace.can("inventory.manage")
        self.stock = StockTab(workspace) if manages else None
        self.alerts = AlertsTab(workspace) if manages else None
        self.orders = OrdersTab(workspace) if manages else None
        self.suppliers = SuppliersTab(workspace) if manages else None
        self.stocktake = StocktakeTab(workspace)
        self.lenses = LensesTab(workspace) if manages else None
        self.forecasts = ForecastTab(workspace) if manages else None
        for tab, label in ((self.stock, "Stock"), (self.alerts, "Low stock"), (self.orders, "Orders"),
                           (self.suppliers, "Suppliers"),
                           (self.stocktake, "Stocktake"), (self.lenses, "Contact lenses"),
                           (self.forecasts, "Forecasts")):
            if tab is not None:
                self.tabs.addTab(tab, label)
        layout.addWidget(self.tabs, 1)
        self.tabs.currentChanged.connect(self._tab_shown)
        changes.changed.connect(self._changed)

    def activated(self) -> None:
        self._tab_shown(self.tabs.currentIndex())

    def _changed(self, what: str) -> None:
        if what == "inventory" and self.alerts is not None:
            self.alerts.refresh()

    def show_tab(self, tab: QWidget) -> None:
        self.tabs.setCurrentWidget(tab)
        self._tab_shown(self.tabs.currentIndex())

    def _tab_shown(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if widget is None:
            return
        # Each time it is shown: other workstations may have changed it.
        widget.refresh()  # type: ignore[attr-defined]
        if widget is self.stock:
            self.stock.search.setFocus()
