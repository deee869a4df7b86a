"""The catalogue: find items (barcode scan, search), add and edit them, adjust stock, and import a
supplier's price list from CSV with a preview and a per-row error report.

VAT treatment defaults by category follow HMRC VAT Notice 701/57: frames and spectacle lenses are
sold as a spectacles supply (standard-rated goods with exempt dispensing, apportioned by the
practice's scheme), contact lenses likewise, sight tests and other professional services are
exempt, solutions, accessories and sunglasses are standard-rated goods.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError

from ils_desktop.db.database import Database
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.money import parse_money
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import NotFound, UserFacingError, ValidationFailed
from ils_desktop.models.catalogue import PRODUCT_CATEGORIES, SUPPLY_KINDS, VAT_RATES, Product, ProductVariant
from ils_desktop.repositories.catalogue import CatalogueRepository, VariantRow
from ils_desktop.services.permissions import require

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


def _item(row: VariantRow) -> CatalogueItem:
    v, p = row.variant, row.product
    return CatalogueItem(
        variant_id=v.id, product_id=p.id, name=v.name, category=p.category, brand=p.brand or "",
        product_name=p.name, supplier=p.supplier or "", colour=v.colour or "", eye_size=v.eye_size, bridge=v.bridge,
        temple=v.temple, sku=v.sku or "", barcode=v.barcode or "", cost_price=v.cost_price,
        retail_price=v.retail_price, vat_rate=p.vat_rate, supply_kind=p.supply_kind, track_stock=v.track_stock,
        on_hand=row.on_hand if v.track_stock else None, is_active=v.is_active and p.is_active,
        attributes=dict(v.attributes or {}),
    )


# --- finding ------------------------------------------------------------------------------------


def find_by_barcode(database: Database, context: TenantContext, code: str) -> CatalogueItem | None:
    """The item with this barcode (or SKU): the scanner's path, one indexed look-up."""
    _require_view(context)
    code = text_input.clean_search_text(code).strip()
    if not code:
        return None

    def work(uow: TenantUnitOfWork) -> CatalogueItem | None:
        row = uow.repository(CatalogueRepository).by_barcode(code)
        return None if row is None else _item(row)

    return database.run(context, work, retry_safe=True)


def search_catalogue(database: Database, context: TenantContext, text: str = "", *, category: str | None = None,
                     include_inactive: bool = False, limit: int = 200, offset: int = 0) -> CataloguePage:
    """Items whose name, SKU or barcode contain every word typed (accent- and case-blind)."""
    _require_view(context)
    words = [w for w in text_input.clean_search_text(text).split() if w]

    def work(uow: TenantUnitOfWork) -> CataloguePage:
        rows, total = uow.repository(CatalogueRepository).search(
            words, category=category, include_inactive=include_inactive, limit=limit, offset=offset)
        return CataloguePage([_item(r) for r in rows], total)

    return database.run(context, work, retry_safe=True)


def get_item(database: Database, context: TenantContext, variant_id: uuid.UUID) -> CatalogueItem:
    _require_view(context)

    def work(uow: TenantUnitOfWork) -> CatalogueItem:
        row = uow.repository(CatalogueRepository).row(variant_id)
        if row is None:
            raise NotFound("That item is no longer in the catalogue.")
        return _item(row)

    return database.run(context, work, retry_safe=True)


def category_counts(database: Database, context: TenantContext) -> dict[str, int]:
    _require_view(context)
    return database.run(context, lambda uow: uow.repository(CatalogueRepository).category_counts(), retry_safe=True)


def price_history(database: Database, context: TenantContext, variant_id: uuid.UUID) -> list[PriceHistoryEntry]:
    _require_view(context)

    def work(uow: TenantUnitOfWork) -> list[PriceHistoryEntry]:
        entries = []
        for change in uow.repository(CatalogueRepository).price_history(variant_id):
            user = uow.users.get(change.changed_by) if change.changed_by else None
            entries.append(PriceHistoryEntry(change.changed_at, change.retail_price, change.cost_price,
                                             user.full_name if user else "", change.reason or ""))
        return entries

    return database.run(context, work, retry_safe=True)


# --- adding and editing -------------------------------------------------------------------------


def _product_for(catalogue: CatalogueRepository, details: ItemDetails) -> Product:
    product = catalogue.find_product(details.category, details.brand.strip() or None, details.product_name.strip())
    if product is None:
        product = catalogue.add_product(Product(
            category=details.category, brand=details.brand.strip() or None, name=details.product_name.strip(),
            supplier=details.supplier.strip() or None, vat_rate=details.vat_rate, supply_kind=details.supply_kind))
        catalogue.session.flush()
    return product


def add_item_in(uow: TenantUnitOfWork, context: TenantContext, details: ItemDetails, *, opening_stock: int = 0,
                reason: str = "opening", at: datetime | None = None) -> uuid.UUID:
    """Add an item inside the caller's unit of work (the import and demo seeding use this)."""
    details = details.with_defaults()
    catalogue = uow.repository(CatalogueRepository)
    product = _product_for(catalogue, details)
    variant = catalogue.add_variant(ProductVariant(
        product_id=product.id, name=item_name(details), sku=details.sku.strip() or None,
        barcode=details.barcode.strip() or None, colour=details.colour.strip() or None, eye_size=details.eye_size,
        bridge=details.bridge, temple=details.temple, attributes=details.attributes, cost_price=details.cost_price,
        retail_price=details.retail_price, track_stock=details.track_stock, is_active=details.is_active))
    uow.flush()
    catalogue.record_price(variant.id, retail_price=details.retail_price, cost_price=details.cost_price,
                           changed_by=context.user_id, reason="first price", at=at)
    if details.track_stock and opening_stock:
        catalogue.put_back_stock(variant.id, opening_stock)
        catalogue.add_movement(variant.id, opening_stock, reason, user_id=context.user_id, at=at)
    elif details.track_stock:
        catalogue.put_back_stock(variant.id, 0)
    return variant.id


def _unique_problem(error: IntegrityError) -> ValidationFailed | None:
    text = str(error.orig)
    if "uq_product_variants_company_id_barcode" in text:
        return ValidationFailed({"barcode": "Another item already has this barcode."})
    if "uq_product_variants_company_id_sku" in text:
        return ValidationFailed({"sku": "Another item already has this SKU."})
    return None


def add_item(database: Database, context: TenantContext, details: ItemDetails, *, opening_stock: int = 0) -> uuid.UUID:
    """Add an item to the catalogue (its product is found by category, brand and name, or created)."""
    require(context, "inventory.manage")
    problems = item_problems(details)
    if opening_stock < 0:
        problems["opening_stock"] = "Opening stock cannot be negative."
    if problems:
        raise ValidationFailed(problems)

    def work(uow: TenantUnitOfWork) -> uuid.UUID:
        catalogue = uow.repository(CatalogueRepository)
        catalogue.lock_stock_writers()
        if details.barcode and catalogue.barcodes_in_use([details.barcode.strip()]):
            raise ValidationFailed({"barcode": "Another item already has this barcode."})
        if details.sku and catalogue.skus_in_use([details.sku.strip()]):
            raise ValidationFailed({"sku": "Another item already has this SKU."})
        variant_id = add_item_in(uow, context, details, opening_stock=opening_stock)
        uow.commit()
        return variant_id

    try:
        return database.run(context, work)
    except IntegrityError as error:
        problem = _unique_problem(error)
        if problem:
            raise problem from error
        raise


def update_item(database: Database, context: TenantContext, variant_id: uuid.UUID, details: ItemDetails, *,
                price_reason: str = "") -> None:
    """Change an item (and its product's name, brand, supplier and VAT treatment, shared by its
    other variants). A price change is kept in the price history with its reason."""
    require(context, "inventory.manage")
    problems = item_problems(details)
    price_reason_problem = text_input.text_problem(price_reason, text_input.NOTE)
    if price_reason_problem:
        problems["price_reason"] = price_reason_problem
    if problems:
        raise ValidationFailed(problems)
    details = details.with_defaults()

    def work(uow: TenantUnitOfWork) -> None:
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
            catalogue.put_back_stock(variant.id, 0)
        variant.track_stock = details.track_stock
        if price_changed:
            catalogue.record_price(variant.id, retail_price=details.retail_price, cost_price=details.cost_price,
                                   changed_by=context.user_id, reason=price_reason.strip() or "price change")
        uow.commit()

    try:
        database.run(context, work)
    except IntegrityError as error:
        problem = _unique_problem(error)
        if problem:
            raise problem from error
        raise


def adjust_stock(database: Database, context: TenantContext, variant_id: uuid.UUID, change: int, reason: str,
                 *, movement: str = "adjustment") -> int:
    """Add (goods received) or remove (damaged, lost, stock-take) units; returns the new level."""
    require(context, "inventory.manage")
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

    def work(uow: TenantUnitOfWork) -> int:
        catalogue = uow.repository(CatalogueRepository)
        catalogue.lock_stock_writers()
        row = catalogue.row(variant_id)
        if row is None:
            raise NotFound("That item is no longer in the catalogue.")
        if not row.variant.track_stock:
            raise ValidationFailed({"change": f"Stock is not counted for {row.variant.name}."})
        if change > 0:
            level = catalogue.put_back_stock(variant_id, change)
        else:
            taken = catalogue.take_stock(variant_id, -change)
            if taken is None:
                raise ValidationFailed({"change": f"Only {catalogue.on_hand(variant_id)} in stock; "
                                        "you cannot remove more than that."})
            level = taken
        catalogue.add_movement(variant_id, change, movement, note=reason.strip(), user_id=context.user_id)
        uow.commit()
        return level

    return database.run(context, work)


# --- CSV import ---------------------------------------------------------------------------------

#: CSV column → ItemDetails field; several spellings are accepted for each column.
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "category": ("category", "type"),
    "product_name": ("name", "model", "product", "product name", "description"),
    "brand": ("brand", "make", "manufacturer"),
    "supplier": ("supplier", "vendor"),
    "colour": ("colour", "color"),
    "eye_size": ("eye size", "eye_size", "eye", "size"),
    "bridge": ("bridge", "dbl"),
    "temple": ("temple", "side", "temple length"),
    "sku": ("sku", "code", "product code", "item code"),
    "barcode": ("barcode", "ean", "ean13", "upc", "gtin"),
    "cost_price": ("cost", "cost price", "cost_price", "trade price"),
    "retail_price": ("retail", "retail price", "retail_price", "price", "rrp"),
    "vat_rate": ("vat", "vat rate", "vat_rate"),
    "supply_kind": ("supply", "supply kind", "supply_kind"),
    "stock": ("stock", "qty", "quantity", "on hand", "on_hand"),
}
_CATEGORY_WORDS: dict[str, str] = {
    **{c: c for c in PRODUCT_CATEGORIES},
    **{label.lower(): c for c, label in CATEGORY_LABELS.items()},
    "frames": "frame", "lens": "spectacle_lens", "lenses": "spectacle_lens", "spectacle lens": "spectacle_lens",
    "contact lens": "contact_lens", "contact lenses": "contact_lens", "cl": "contact_lens",
    "solutions": "solution", "accessories": "accessory", "services": "service", "option": "lens_option",
    "lens option": "lens_option", "sunglass": "sunglasses",
}
_VAT_WORDS: dict[str, str] = {**{r: r for r in VAT_RATES}, "20": "standard", "20%": "standard", "5": "reduced",
                              "5%": "reduced", "0": "zero", "0%": "zero", "exempt": "exempt", "e": "exempt",
                              "s": "standard", "z": "zero"}


@dataclass(frozen=True)
class ImportRow:
    """One data row of the file: what it becomes, or why it cannot be imported."""

    line: int
    raw: dict[str, str]
    details: ItemDetails | None
    stock: int | None
    action: str  # "add", "update" or "error"
    errors: tuple[str, ...] = ()
    existing_variant_id: uuid.UUID | None = None

    @property
    def ok(self) -> bool:
        return self.action != "error"


@dataclass(frozen=True)
class ImportPreview:
    columns: tuple[str, ...]
    unknown_columns: tuple[str, ...]
    rows: tuple[ImportRow, ...]
    problem: str = ""

    @property
    def to_add(self) -> int:
        return sum(1 for r in self.rows if r.action == "add")

    @property
    def to_update(self) -> int:
        return sum(1 for r in self.rows if r.action == "update")

    @property
    def errors(self) -> int:
        return sum(1 for r in self.rows if r.action == "error")


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    skipped: int


def _column_map(headers: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    found: dict[str, int] = {}
    unknown: list[str] = []
    for index, header in enumerate(headers):
        key = header.strip().lower().replace("-", " ")
        match = next((name for name, spellings in CSV_COLUMNS.items() if key in spellings), None)
        if match is None or match in found:
            if key:
                unknown.append(header.strip())
            continue
        found[match] = index
    return found, unknown


def _whole(value: str, what: str, errors: list[str]) -> int | None:
    value = value.strip()
    if not value:
        return None
    try:
        number = int(Decimal(value))
        if Decimal(value) != number:
            raise ValueError
        return number
    except (ArithmeticError, ValueError):
        errors.append(f"{what} {value!r} is not a whole number.")
        return None


def _money(value: str, what: str, errors: list[str]) -> Decimal | None:
    value = value.strip()
    if not value:
        return None
    try:
        return parse_money(value)
    except ValueError as error:
        errors.append(f"{what}: {error}")
        return None


def _cell_problems(raw: dict[str, str]) -> list[str]:
    """Cells whose text cannot be stored or is too long, named by column ("Brand: …"): such a row
    is reported as it is, without reading the rest of it (whose messages would repeat the text)."""
    found = []
    for name, value in raw.items():
        rule, label = ITEM_TEXT.get(name, (text_input.CODE, name.replace("_", " ").capitalize()))
        problem = text_input.text_problem(value, rule)
        if problem:
            found.append(f"{label}: {problem}")
    return found


def parse_catalogue_csv(text: str) -> tuple[tuple[str, ...], tuple[str, ...], list[ImportRow], str]:
    """Read a supplier's CSV (header row first) into rows with per-row errors; no database.

    Returns (recognised columns, unknown columns, rows, file problem). Rows are "add" or "error"
    here; the preview decides which existing items they update.
    """
    text = text.lstrip("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        headers = next(reader)
    except StopIteration:
        return (), (), [], "The file is empty."
    columns, unknown = _column_map(headers)
    missing = [name for name in ("category", "product_name") if name not in columns]
    if missing:
        names = {"category": "category", "product_name": "name (or model)"}
        return (tuple(columns), tuple(unknown), [],
                "The file needs a header row with at least these columns: " + ", ".join(names[m] for m in missing)
                + ". Recognised columns: " + ", ".join(sorted({s[0] for s in CSV_COLUMNS.values()})) + ".")
    rows: list[ImportRow] = []
    seen_barcodes: dict[str, int] = {}
    seen_skus: dict[str, int] = {}
    for line_number, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue
        raw = {name: (record[index].strip() if index < len(record) else "") for name, index in columns.items()}
        unreadable = _cell_problems(raw)
        if unreadable:
            rows.append(ImportRow(line_number, raw, None, None, "error", tuple(unreadable)))
            continue
        errors: list[str] = []
        category = _CATEGORY_WORDS.get(raw.get("category", "").lower())
        if category is None:
            errors.append(f"Category {raw.get('category', '')!r} is not one of: "
                          + ", ".join(CATEGORY_LABELS.values()).lower() + ".")
        vat_rate = ""
        if raw.get("vat_rate"):
            vat_rate = _VAT_WORDS.get(raw["vat_rate"].lower(), "")
            if not vat_rate:
                errors.append(f"VAT rate {raw['vat_rate']!r} is not standard, reduced, zero or exempt.")
        supply = raw.get("supply_kind", "").lower().replace(" ", "_")
        if supply and supply not in SUPPLY_KINDS:
            errors.append(f"Supply {raw['supply_kind']!r} is not one of: " + ", ".join(SUPPLY_KINDS) + ".")
            supply = ""
        details = ItemDetails(
            category=category or "", product_name=raw.get("product_name", ""), brand=raw.get("brand", ""),
            supplier=raw.get("supplier", ""), vat_rate=vat_rate, supply_kind=supply, colour=raw.get("colour", ""),
            eye_size=_whole(raw.get("eye_size", ""), "Eye size", errors),
            bridge=_whole(raw.get("bridge", ""), "Bridge", errors),
            temple=_whole(raw.get("temple", ""), "Temple", errors),
            sku=raw.get("sku", ""), barcode=raw.get("barcode", "").replace(" ", ""),
            cost_price=_money(raw.get("cost_price", ""), "Cost price", errors),
            retail_price=_money(raw.get("retail_price", ""), "Retail price", errors),
            track_stock=(category or "") not in ("service", "spectacle_lens", "lens_option"),
        )
        stock = _whole(raw.get("stock", ""), "Stock", errors)
        if stock is not None and stock < 0:
            errors.append("Stock cannot be negative.")
        if details.category:
            errors.extend(item_problems(details.with_defaults()).values())
        if details.retail_price is None and details.category not in ("spectacle_lens", "lens_option", "service", ""):
            errors.append("A retail price is needed (only lenses and services may be priced at the till).")
        if details.barcode:
            if details.barcode in seen_barcodes:
                errors.append(f"Barcode {details.barcode} is also on line {seen_barcodes[details.barcode]}.")
            seen_barcodes.setdefault(details.barcode, line_number)
        if details.sku:
            if details.sku in seen_skus:
                errors.append(f"SKU {details.sku} is also on line {seen_skus[details.sku]}.")
            seen_skus.setdefault(details.sku, line_number)
        unique_errors = tuple(dict.fromkeys(errors))
        rows.append(ImportRow(line_number, raw, None if unique_errors else details, stock,
                              "error" if unique_errors else "add", unique_errors))
    if not rows:
        return tuple(columns), tuple(unknown), [], "The file has a header row but no items."
    return tuple(columns), tuple(unknown), rows, ""


def _match_existing(uow: TenantUnitOfWork, rows: Sequence[ImportRow]) -> list[ImportRow]:
    """Mark rows whose barcode (or SKU) is already in the catalogue as updates of that item."""
    catalogue = uow.repository(CatalogueRepository)
    barcodes = catalogue.barcodes_in_use(r.details.barcode for r in rows if r.details and r.details.barcode)
    skus = catalogue.skus_in_use(r.details.sku for r in rows if r.details and r.details.sku)
    matched = []
    for row in rows:
        if row.details is None:
            matched.append(row)
            continue
        existing = barcodes.get(row.details.barcode) or skus.get(row.details.sku)
        if existing and row.details.barcode in barcodes and row.details.sku in skus \
                and barcodes[row.details.barcode] != skus[row.details.sku]:
            matched.append(replace(row, action="error", details=None, errors=(
                "Its barcode and its SKU belong to two different items already in the catalogue.",)))
            continue
        matched.append(replace(row, action="update" if existing else "add", existing_variant_id=existing))
    return matched


def preview_csv_import(database: Database, context: TenantContext, text: str) -> ImportPreview:
    """What importing this CSV would do, row by row, without changing anything."""
    require(context, "inventory.manage")
    columns, unknown, rows, problem = parse_catalogue_csv(text)
    if problem:
        return ImportPreview(columns, unknown, (), problem)
    matched = database.run(context, lambda uow: _match_existing(uow, rows), retry_safe=True)
    return ImportPreview(columns, unknown, tuple(matched))


def import_csv(database: Database, context: TenantContext, text: str) -> ImportResult:
    """Import the rows of a CSV that have no errors, in one transaction (all of them or none).

    New barcodes become new items (with the stock column as opening stock); a barcode or SKU that
    is already in the catalogue updates that item's prices and details (the price history keeps the
    old price), and its stock column, if given, sets the count (recorded as an adjustment).
    """
    require(context, "inventory.manage")
    _columns, _unknown, rows, problem = parse_catalogue_csv(text)
    if problem:
        raise UserFacingError(problem)

    def work(uow: TenantUnitOfWork) -> ImportResult:
        catalogue = uow.repository(CatalogueRepository)
        catalogue.lock_stock_writers()
        added = updated = skipped = 0
        for row in _match_existing(uow, rows):
            if row.details is None:
                skipped += 1
                continue
            details = row.details.with_defaults()
            if row.action == "add":
                add_item_in(uow, context, details, opening_stock=row.stock or 0, reason="import")
                added += 1
                continue
            assert row.existing_variant_id is not None
            existing = catalogue.row(row.existing_variant_id)
            assert existing is not None
            variant = existing.variant
            if (variant.retail_price, variant.cost_price) != (details.retail_price, details.cost_price):
                catalogue.record_price(variant.id, retail_price=details.retail_price, cost_price=details.cost_price,
                                       changed_by=context.user_id, reason="CSV import")
            variant.retail_price, variant.cost_price = details.retail_price, details.cost_price
            variant.name = item_name(details)
            variant.colour = details.colour or variant.colour
            variant.sku = details.sku or variant.sku
            variant.barcode = details.barcode or variant.barcode
            if row.stock is not None and variant.track_stock:
                change = row.stock - catalogue.on_hand(variant.id)
                if change > 0:
                    catalogue.put_back_stock(variant.id, change)
                elif change < 0:
                    catalogue.take_stock(variant.id, -change)
                if change:
                    catalogue.add_movement(variant.id, change, "import", note="stock count from CSV import",
                                           user_id=context.user_id)
            updated += 1
        uow.commit()
        return ImportResult(added, updated, skipped)

    try:
        return database.run(context, work)
    except IntegrityError as error:
        problem_found = _unique_problem(error)
        if problem_found:
            raise UserFacingError("Another item took one of these barcodes or SKUs meanwhile. Preview the file "
                                  "again.") from error
        raise
