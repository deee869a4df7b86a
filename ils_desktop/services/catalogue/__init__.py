"""The catalogue: its items (``items``: find, add, edit, price history, stock) and a supplier's price
list imported from CSV (``csv_import``). The use cases and their shapes are re-exported here."""

from ils_desktop.services.catalogue.csv_import import (
    CSV_COLUMNS,
    ImportPreview,
    ImportResult,
    ImportRow,
    import_csv,
    parse_catalogue_csv,
    preview_csv_import,
)
from ils_desktop.services.catalogue.items import (
    CATEGORY_LABELS,
    DEFAULT_TREATMENT,
    SUPPLY_KIND_LABELS,
    VAT_RATE_LABELS,
    CatalogueBrowse,
    CatalogueItem,
    CataloguePage,
    ItemDetails,
    PriceHistoryEntry,
    add_item,
    add_items,
    adjust_stock,
    browse_catalogue,
    category_counts,
    find_by_barcode,
    get_item,
    item_name,
    item_problems,
    item_text_problems,
    price_history,
    search_catalogue,
    update_item,
)

__all__ = [
    "CATEGORY_LABELS", "CSV_COLUMNS", "DEFAULT_TREATMENT", "SUPPLY_KIND_LABELS", "VAT_RATE_LABELS", "CatalogueBrowse",
    "CatalogueItem", "CataloguePage", "ImportPreview", "ImportResult", "ImportRow", "ItemDetails", "PriceHistoryEntry",
    "add_item", "add_items", "adjust_stock", "browse_catalogue", "category_counts", "find_by_barcode", "get_item",
    "import_csv", "item_name", "item_problems", "item_text_problems", "parse_catalogue_csv", "preview_csv_import",
    "price_history", "search_catalogue", "update_item",
]
