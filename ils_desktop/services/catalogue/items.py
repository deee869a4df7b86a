"""The catalogue's items: find them (a barcode scan, a search), add and edit them with their VAT
treatment, keep their price history, and adjust their stock.

VAT treatment defaults by category follow HMRC VAT Notice 701/57: frames and spectacle lenses are
sold as a spectacles supply (standard-rated goods with exempt dispensing, apportioned by the
practice's scheme), contact lenses likewise, sight tests and other professional services are
exempt, solutions, accessories and sunglasses are standard-rated goods.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import NotFound, ValidationFailed
from ils_desktop.models.catalogue import PRODUCT_CATEGORIES, SUPPLY_KINDS, VAT_RATES, Product, ProductVariant
from ils_desktop.repositories.catalogue import CatalogueRepository, ItemRow
from ils_desktop.services import clock
from ils_desktop.services.permissions import require
from ils_desktop.services.use_case import use_case

CATEGORY_LABELS: dict[str, str] = {
    "frame": "Frames", "sunglasses": "Sunglasses", "spectacle_lens": "Spectacle lenses",
    "lens_option": "Lens options", "contact_lens": "Contact lenses", "solution": "Solutions",
    "accessory": "Accessories", "service": "Services",
}
VAT_RATE_LABELS: dict[str, str] = {
    "standard": "Standard (20%)", "reduced": "Reduced (5%)", "zero": "Zero-rated", "exempt": "Exempt",
    "outside_scope": "Outside the scope",
}
SUPPLY_KIND_LABELS: dict[str, str] = {
    "goods": "Goods", "service": "Service", "spectacles_package": "Part of spectacles (apportioned)",
    "contact_lens_package": "Contact lenses (apportioned)",
}

#: category: (VAT rate, supply kind) a new item gets unless told otherwise (Notice 701/57).
DEFAULT_TREATMENT: dict[str, tuple[str, str]] = {
    "frame": ("standard", "spectacles_package"),
    "sunglasses": ("standard", "goods"),
    "spectacle_lens": ("standard", "spectacles_package"),
    "lens_option": ("standard", "spectacles_package"),
    "contact_lens": ("standard", "contact_lens_package"),
    "solution": ("standard", "goods"),
    "accessory": ("standard", "goods"),
    "service": ("exempt", "service"),
}

_BARCODE = re.compile(r"^[0-9A-Za-z-]{4,32}$")
_VIEW = ("till.sell", "inventory.manage")


def _require_view(context: TenantContext) -> None:
    """Who may look the catalogue up: the till (to sell) and whoever manages the stock."""
    if not any(context.can(p) for p in _VIEW):
        require(context, "till.sell")


@dataclass(frozen=True)
class CatalogueItem:
    """A variant as the till and the catalogue screen show it."""

    variant_id: uuid.UUID
    product_id: uuid.UUID
    name: str
    category: str
    brand: str
    product_name: str
    supplier: str
    colour: str
    eye_size: int | None
    bridge: int | None
    temple: int | None
    sku: str
    barcode: str
    cost_price: Decimal | None
    retail_price: Decimal | None
    vat_rate: str
    supply_kind: str
    track_stock: bool
    on_hand: int | None
    is_active: bool
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS.get(self.category, self.category)

    @property
    def size_label(self) -> str:
        """Frame size as written on the frame: eye size □ bridge, temple length."""
        if self.eye_size is None:
            return ""
        size = f"{self.eye_size}□{self.bridge}" if self.bridge else str(self.eye_size)
        return f"{size} {self.temple}" if self.temple else size

    @property
    def priced_at_till(self) -> bool:
        return self.retail_price is None


@dataclass(frozen=True)
class CataloguePage:
    items: list[CatalogueItem]
    total: int


@dataclass(frozen=True)
class ItemDetails:
    """What the catalogue screen (or an import row) says about an item and its product."""

    category: str
    product_name: str
    brand: str = ""
    supplier: str = ""
    vat_rate: str = ""
    supply_kind: str = ""
    colour: str = ""
    eye_size: int | None = None
    bridge: int | None = None
    temple: int | None = None
    sku: str = ""
    barcode: str = ""
    cost_price: Decimal | None = None
    retail_price: Decimal | None = None
    track_stock: bool = True
    is_active: bool = True
    attributes: dict[str, Any] = field(default_factory=dict)

    def with_defaults(self) -> ItemDetails:
        """Fill the VAT treatment from the category where it was left empty."""
        rate, supply = DEFAULT_TREATMENT.get(self.category, ("standard", "goods"))
        return replace(self, vat_rate=self.vat_rate or rate, supply_kind=self.supply_kind or supply)


@dataclass(frozen=True)
class PriceHistoryEntry:
    changed_at: datetime
    retail_price: Decimal | None
    cost_price: Decimal | None
    changed_by: str
    reason: str


def item_name(details: ItemDetails) -> str:
    """The description printed on receipts: brand, model, colour, size, and key attributes."""
    words = [w for w in (details.brand.strip(), details.product_name.strip()) if w]
    name = " ".join(words)
    extras = []
    if details.colour.strip():
        extras.append(details.colour.strip())
    if details.eye_size:
        size = f"{details.eye_size}□{details.bridge}" if details.bridge else str(details.eye_size)
        extras.append(f"{size} {details.temple}" if details.temple else size)
    for key in ("power", "base_curve", "pack", "volume"):
        value = details.attributes.get(key)
        if value:
            extras.append({"power": "{}", "base_curve": "BC {}", "pack": "{}", "volume": "{}"}[key].format(value))
    return name + (" · " + " · ".join(extras) if extras else "")


#: The text fields of an item, with their rule (``domain.text_input``) and their name in messages.
ITEM_TEXT: dict[str, tuple[text_input.TextRule, str]] = {
    "product_name": (text_input.LABEL, "Name"), "brand": (text_input.LABEL, "Brand"),
    "supplier": (text_input.LABEL, "Supplier"), "colour": (text_input.LABEL, "Colour"),
    "sku": (text_input.CODE, "SKU"), "barcode": (text_input.CODE, "Barcode"),
    "category": (text_input.CODE, "Category"), "vat_rate": (text_input.CODE, "VAT rate"),
    "supply_kind": (text_input.CODE, "Supply"),
}


def item_text_problems(details: ItemDetails) -> dict[str, str]:
    """Text of an item that cannot be stored or is too long, by field (attributes under ``attributes``)."""
    problems = text_input.text_problems({name: (getattr(details, name), rule)
                                         for name, (rule, _label) in ITEM_TEXT.items()})
    attributes = text_input.nested_text_problem(details.attributes, text_input.LABEL)
    if attributes:
        problems["attributes"] = attributes
    return problems


def item_problems(details: ItemDetails) -> dict[str, str]:
    """Plain messages for what is wrong with an item's details (empty if nothing). A field whose
    text cannot be stored gets only that message (``item_text_problems``)."""
    problems = item_text_problems(details)
    if problems:
        return problems
    if details.category not in PRODUCT_CATEGORIES:
        problems["category"] = "Choose a category."
    if not details.product_name.strip():
        problems["product_name"] = "Enter the product's name or model."
    if details.vat_rate and details.vat_rate not in VAT_RATES:
        problems["vat_rate"] = "Choose a VAT rate."
    if details.supply_kind and details.supply_kind not in SUPPLY_KINDS:
        problems["supply_kind"] = "Choose how it is supplied."
    if details.supply_kind in ("spectacles_package", "contact_lens_package") and details.vat_rate in (
            "exempt", "outside_scope"):
        problems["vat_rate"] = "An apportioned item's VAT rate is its goods part's rate (standard)."
    if details.barcode and not _BARCODE.match(details.barcode):
        problems["barcode"] = "A barcode is 4 to 32 letters or digits (EAN-13 is 13 digits)."
    for name, value in (("retail_price", details.retail_price), ("cost_price", details.cost_price)):
        if value is not None and value < 0:
            problems[name] = "A price cannot be negative."
    for name, value in (("eye_size", details.eye_size), ("bridge", details.bridge), ("temple", details.temple)):
        if value is not None and not 0 < value < 200:
            problems[name] = "Sizes are in millimetres (e.g. 52, 18, 140)."
    return problems


def _item(row: ItemRow) -> CatalogueItem:
    return CatalogueItem(
        variant_id=row.variant_id, product_id=row.product_id, name=row.name, category=row.category,
        brand=row.brand or "", product_name=row.product_name, supplier=row.supplier or "", colour=row.colour or "",
        eye_size=row.eye_size, bridge=row.bridge, temple=row.temple, sku=row.sku or "", barcode=row.barcode or "",
        cost_price=row.cost_price, retail_price=row.retail_price, vat_rate=row.vat_rate, supply_kind=row.supply_kind,
        track_stock=row.track_stock, on_hand=row.on_hand if row.track_stock else None, is_active=row.on_sale,
        attributes=dict(row.attributes or {}),
    )


# --- finding ------------------------------------------------------------------------------------


@use_case(permission=None, read_only=True)
def find_by_barcode(uow: TenantUnitOfWork, code: str) -> CatalogueItem | None:
    """The item with this barcode (or SKU): the scanner's path, one query."""
    _require_view(uow.context)
    code = text_input.clean_search_text(code).strip()
    if not code:
        return None
    row = uow.repository(CatalogueRepository).item_by_code(code)
    return None if row is None else _item(row)


@use_case(permission=None, read_only=True)
def search_catalogue(uow: TenantUnitOfWork, text: str = "", *, category: str | None = None,
                     include_inactive: bool = False, limit: int = 200, offset: int = 0) -> CataloguePage:
    """Items whose name, SKU or barcode contain every word typed (accent- and case-blind), with how
    many match in all (one query)."""
    _require_view(uow.context)
    words = [w for w in text_input.clean_search_text(text).split() if w]
    rows, total = uow.repository(CatalogueRepository).search(
        words, category=category, include_inactive=include_inactive, limit=limit, offset=offset)
    return CataloguePage([_item(r) for r in rows], total)


@dataclass(frozen=True)
class CatalogueBrowse:
    """What the catalogue screen shows: a page of items, and how many of each category are on sale."""

    page: CataloguePage
    counts: dict[str, int]


@use_case(permission=None, read_only=True)
def browse_catalogue(uow: TenantUnitOfWork, text: str = "", *, category: str | None = None,
                     include_inactive: bool = False, limit: int = 500) -> CatalogueBrowse:
    """The catalogue screen's list for what is typed and chosen, with the counts by category (two
    queries in one unit of work)."""
    _require_view(uow.context)
    words = [w for w in text_input.clean_search_text(text).split() if w]
    catalogue = uow.repository(CatalogueRepository)
    rows, total = catalogue.search(words, category=category, include_inactive=include_inactive, limit=limit)
    return CatalogueBrowse(CataloguePage([_item(r) for r in rows], total), catalogue.category_counts())


@use_case(permission=None, read_only=True)
def get_item(uow: TenantUnitOfWork, variant_id: uuid.UUID) -> CatalogueItem:
    _require_view(uow.context)
    row = uow.repository(CatalogueRepository).item(variant_id)
    if row is None:
        raise NotFound("That item is no longer in the catalogue.")
    return _item(row)


@use_case(permission=None, read_only=True)
def category_counts(uow: TenantUnitOfWork) -> dict[str, int]:
    """How many items of each category are on sale."""
    _require_view(uow.context)
    return uow.repository(CatalogueRepository).category_counts()


@use_case(permission=None, read_only=True)
def price_history(uow: TenantUnitOfWork, variant_id: uuid.UUID) -> list[PriceHistoryEntry]:
    """An item's prices, newest first, with who changed them and why (one query)."""
    _require_view(uow.context)
    return [PriceHistoryEntry(change.changed_at, change.retail_price, change.cost_price, name, change.reason or "")
            for change, name in uow.repository(CatalogueRepository).price_history(variant_id)]


# --- adding and editing -------------------------------------------------------------------------


def _product_for(catalogue: CatalogueRepository, details: ItemDetails) -> Product:
    product = catalogue.find_product(details.category, details.brand.strip() or None, details.product_name.strip())
    if product is None:
        product = catalogue.add_product(Product(
            category=details.category, brand=details.brand.strip() or None, name=details.product_name.strip(),
            supplier=details.supplier.strip() or None, vat_rate=details.vat_rate, supply_kind=details.supply_kind))
        catalogue.session.flush()
    return product


def _add(uow: TenantUnitOfWork, details: ItemDetails, *, opening_stock: int = 0, reason: str = "opening") -> uuid.UUID:
    """Add an item in ``uow``: its product found by category, brand and name (or made), its first
    price in the history, and its opening stock as a movement."""
    details = details.with_defaults()
    catalogue = uow.repository(CatalogueRepository)
    product = _product_for(catalogue, details)
    variant = catalogue.add_variant(ProductVariant(
        product_id=product.id, name=item_name(details), sku=details.sku.strip() or None,
        barcode=details.barcode.strip() or None, colour=details.colour.strip() or None, eye_size=details.eye_size,
        bridge=details.bridge, temple=details.temple, attributes=details.attributes, cost_price=details.cost_price,
        retail_price=details.retail_price, track_stock=details.track_stock, is_active=details.is_active))
    uow.flush()
    now, user = clock.now(), uow.context.user_id
    catalogue.record_price(variant.id, retail_price=details.retail_price, cost_price=details.cost_price,
                           changed_by=user, reason="first price", at=now)
    if details.track_stock:
        catalogue.ensure_stock_row(variant.id)
    if details.track_stock and opening_stock:
        catalogue.add_movement(variant.id, opening_stock, reason, user_id=user, at=now, unit_cost=details.cost_price)
    return variant.id


@contextlib.contextmanager
def _unique_refusals() -> Iterator[None]:
    """A barcode or SKU another item took meanwhile, said on its field."""
    try:
        yield
    except IntegrityError as error:
        text = str(error.orig)
        if "uq_product_variants_company_id_barcode" in text:
            raise ValidationFailed({"barcode": "Another item already has this barcode."}) from error
        if "uq_product_variants_company_id_sku" in text:
            raise ValidationFailed({"sku": "Another item already has this SKU."}) from error
        raise


def _details_problems(details: ItemDetails, opening_stock: int) -> dict[str, str]:
    problems = item_problems(details)
    if opening_stock < 0:
        problems["opening_stock"] = "Opening stock cannot be negative."
    return problems


def _taken_problems(catalogue: CatalogueRepository, details: ItemDetails) -> dict[str, str]:
    """A barcode or SKU another item already has."""
    problems = {}
    if details.barcode and catalogue.barcodes_in_use([details.barcode.strip()]):
        problems["barcode"] = "Another item already has this barcode."
    if details.sku and catalogue.skus_in_use([details.sku.strip()]):
        problems["sku"] = "Another item already has this SKU."
    return problems


@use_case(permission="inventory.manage")
def add_item(uow: TenantUnitOfWork, details: ItemDetails, *, opening_stock: int = 0) -> uuid.UUID:
    """Add an item to the catalogue (its product is found by category, brand and name, or created)."""
    problems = _details_problems(details, opening_stock)
    if problems:
        raise ValidationFailed(problems)
    catalogue = uow.repository(CatalogueRepository)
    catalogue.lock_stock_writers()
    problems = _taken_problems(catalogue, details)
    if problems:
        raise ValidationFailed(problems)
    with _unique_refusals():
        variant_id = _add(uow, details, opening_stock=opening_stock)
        uow.commit()
    return variant_id


@use_case(permission="inventory.manage")
def add_items(uow: TenantUnitOfWork, items: Sequence[tuple[ItemDetails, int]]) -> list[uuid.UUID]:
    """Add several items ``(details, opening stock)`` at once, all or none (a new practice's range)."""
    for details, opening_stock in items:
        problems = _details_problems(details, opening_stock)
        if problems:
            raise ValidationFailed(problems)
    catalogue = uow.repository(CatalogueRepository)
    catalogue.lock_stock_writers()
    added = []
    with _unique_refusals():
        for details, opening_stock in items:
            problems = _taken_problems(catalogue, details)
            if problems:
                raise ValidationFailed(problems)
            added.append(_add(uow, details, opening_stock=opening_stock))
        uow.commit()
    return added


@use_case(permission="inventory.manage")
def update_item(uow: TenantUnitOfWork, variant_id: uuid.UUID, details: ItemDetails, *, price_reason: str = "") -> None:
    """Change an item (and its product's name, brand, supplier and VAT treatment, shared by its
    other variants). A price change is kept in the price history with its reason."""
    problems = item_problems(details)
    price_reason_problem = text_input.text_problem(price_reason, text_input.NOTE)
    if price_reason_problem:
        problems["price_reason"] = price_reason_problem
    if problems:
        raise ValidationFailed(problems)
    details = details.with_defaults()
    catalogue = uow.repository(CatalogueRepository)
    catalogue.lock_stock_writers()
    row = catalogue.row(variant_id)
    if row is None:
        raise NotFound("That item is no longer in the catalogue.")
    variant, product = row.variant, row.product
    for barcode, found in catalogue.barcodes_in_use([details.barcode.strip()]).items():
        if found != variant_id:
            raise ValidationFailed({"barcode": f"Another item already has the barcode {barcode}."})
    for sku, found in catalogue.skus_in_use([details.sku.strip()]).items():
        if found != variant_id:
            raise ValidationFailed({"sku": f"Another item already has the SKU {sku}."})
    product.category = details.category
    product.brand = details.brand.strip() or None
    product.name = details.product_name.strip()
    product.supplier = details.supplier.strip() or None
    product.vat_rate = details.vat_rate
    product.supply_kind = details.supply_kind
    price_changed = (variant.retail_price, variant.cost_price) != (details.retail_price, details.cost_price)
    variant.name = item_name(details)
    variant.sku = details.sku.strip() or None
    variant.barcode = details.barcode.strip() or None
    variant.colour = details.colour.strip() or None
    variant.eye_size, variant.bridge, variant.temple = details.eye_size, details.bridge, details.temple
    variant.attributes = details.attributes
    variant.cost_price, variant.retail_price = details.cost_price, details.retail_price
    variant.is_active = details.is_active
    if details.track_stock and not variant.track_stock:
        catalogue.ensure_stock_row(variant.id)
    variant.track_stock = details.track_stock
    if price_changed:
        catalogue.record_price(variant.id, retail_price=details.retail_price, cost_price=details.cost_price,
                               changed_by=uow.context.user_id, reason=price_reason.strip() or "price change",
                               at=clock.now())
    with _unique_refusals():
        uow.commit()


@use_case(permission="inventory.manage")
def adjust_stock(uow: TenantUnitOfWork, variant_id: uuid.UUID, change: int, reason: str, *,
                 movement: str = "adjustment") -> int:
    """Add (goods received) or remove (damaged, lost, stock-take) units; returns the new level."""
    problems = {}
    if change == 0:
        problems["change"] = "Enter how many units to add or remove."
    if not reason.strip():
        problems["reason"] = "Say why the stock changes (e.g. 'stock-take', 'damaged', 'delivery 4411')."
    elif reason_problem := text_input.text_problem(reason, text_input.NOTE):
        problems["reason"] = reason_problem
    if movement not in ("adjustment", "receipt"):
        problems["movement"] = "Choose a stock adjustment or goods received."
    if problems:
        raise ValidationFailed(problems)
    catalogue = uow.repository(CatalogueRepository)
    catalogue.lock_stock_writers()
    row = catalogue.item(variant_id)
    if row is None:
        raise NotFound("That item is no longer in the catalogue.")
    if not row.track_stock:
        raise ValidationFailed({"change": f"Stock is not counted for {row.name}."})
    if change < 0 and (row.on_hand or 0) < -change:
        raise ValidationFailed({"change": f"Only {row.on_hand or 0} in stock; you cannot remove more than that."})
    try:
        level = catalogue.add_movement(variant_id, change, movement, note=reason.strip(),
                                       user_id=uow.context.user_id, at=clock.now())
    except IntegrityError as error:  # the ledger refused: another till took the stock meanwhile
        if "on_hand_not_negative" not in str(error.orig):
            raise
        raise ValidationFailed({"change": "There is not that much in stock any more (a till just sold some)."}
                               ) from None
    uow.commit()
    return level
