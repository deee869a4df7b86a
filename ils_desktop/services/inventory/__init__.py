"""Inventory and purchasing: the stock ledger and what the manager does with it — find and value
stock, low-stock alerts, suppliers and purchase orders with goods-in, stocktakes, contact lens stock
and demand forecasts. One module per area; the use cases are re-exported here."""

from ils_desktop.domain.inventory import MOVEMENT_LABELS, MovementKind
from ils_desktop.services.inventory import (
    alerts,
    contact_lenses,
    forecasts,
    orders,
    purchasing,
    stocktakes,
)
from ils_desktop.services.inventory.stock import (
    HistoryRow,
    Location,
    NotEnoughStock,
    StockDetail,
    StockRow,
    add_location,
    category_rules,
    locations,
    record_movement,
    search_stock,
    set_allow_negative_stock,
    set_category_rule,
    set_reorder_point,
    stock_detail,
    transfer_stock,
)
from ils_desktop.services.inventory.valuation import StockValuation, stock_valuation, stock_valuation_pdf

__all__ = [
    "MOVEMENT_LABELS",
    "HistoryRow",
    "Location",
    "MovementKind",
    "NotEnoughStock",
    "StockDetail",
    "StockRow",
    "StockValuation",
    "add_location",
    "alerts",
    "category_rules",
    "contact_lenses",
    "forecasts",
    "locations",
    "orders",
    "purchasing",
    "record_movement",
    "search_stock",
    "set_allow_negative_stock",
    "set_category_rule",
    "set_reorder_point",
    "stock_detail",
    "stock_valuation",
    "stock_valuation_pdf",
    "stocktakes",
    "transfer_stock",
]
