"""A supplier's price list imported from CSV: read with a per-row report of what each row becomes (an
item added, an existing item updated by its barcode or SKU, or why it cannot be imported), previewed,
then imported in one transaction — the good rows, all or none."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy.exc import IntegrityError

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.money import parse_money
from ils_desktop.errors import UserFacingError
from ils_desktop.models.catalogue import PRODUCT_CATEGORIES, SUPPLY_KINDS, VAT_RATES
from ils_desktop.repositories.catalogue import CatalogueRepository
from ils_desktop.services import clock
from ils_desktop.services.catalogue.items import (
    CATEGORY_LABELS,
    ITEM_TEXT,
    ItemDetails,
    _add,
    item_name,
    item_problems,
)
from ils_desktop.services.use_case import use_case

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


@use_case(permission="inventory.manage", read_only=True)
def preview_csv_import(uow: TenantUnitOfWork, text: str) -> ImportPreview:
    """What importing this CSV would do, row by row, without changing anything."""
    columns, unknown, rows, problem = parse_catalogue_csv(text)
    if problem:
        return ImportPreview(columns, unknown, (), problem)
    return ImportPreview(columns, unknown, tuple(_match_existing(uow, rows)))


@use_case(permission="inventory.manage")
def import_csv(uow: TenantUnitOfWork, text: str) -> ImportResult:
    """Import the rows of a CSV that have no errors, in one transaction (all of them or none).

    New barcodes become new items (with the stock column as opening stock); a barcode or SKU that
    is already in the catalogue updates that item's prices and details (the price history keeps the
    old price), and its stock column, if given, sets the count (recorded as an adjustment).
    """
    _columns, _unknown, rows, problem = parse_catalogue_csv(text)
    if problem:
        raise UserFacingError(problem)
    catalogue = uow.repository(CatalogueRepository)
    catalogue.lock_stock_writers()
    added = updated = skipped = 0
    user, now = uow.context.user_id, clock.now()
    try:
        for row in _match_existing(uow, rows):
            if row.details is None:
                skipped += 1
                continue
            details = row.details.with_defaults()
            if row.action == "add":
                _add(uow, details, opening_stock=row.stock or 0, reason="import")
                added += 1
                continue
            assert row.existing_variant_id is not None
            existing = catalogue.row(row.existing_variant_id)
            assert existing is not None
            variant = existing.variant
            if (variant.retail_price, variant.cost_price) != (details.retail_price, details.cost_price):
                catalogue.record_price(variant.id, retail_price=details.retail_price, cost_price=details.cost_price,
                                       changed_by=user, reason="CSV import", at=now)
            variant.retail_price, variant.cost_price = details.retail_price, details.cost_price
            variant.name = item_name(details)
            variant.colour = details.colour or variant.colour
            variant.sku = details.sku or variant.sku
            variant.barcode = details.barcode or variant.barcode
            if row.stock is not None and variant.track_stock:
                change = row.stock - catalogue.on_hand(variant.id)
                if change:
                    catalogue.add_movement(variant.id, change, "import", note="stock count from CSV import",
                                           user_id=user, at=now)
            updated += 1
        uow.commit()
    except IntegrityError as error:
        if "uq_product_variants_company_id_barcode" in str(error.orig) or \
                "uq_product_variants_company_id_sku" in str(error.orig):
            raise UserFacingError("Another item took one of these barcodes or SKUs meanwhile. Preview the file "
                                  "again.") from error
        raise
    return ImportResult(added, updated, skipped)
