"""Catalogue and stock: products, variants (barcode look-up, search), price history, stock levels and
inventory movements, for one company."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, bindparam, case, func, or_, select, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert

from ils_desktop.models.catalogue import InventoryMovement, PriceChange, Product, ProductVariant, StockLevel
from ils_desktop.models.core import User
from ils_desktop.repositories.base import TenantRepository

_variants = ProductVariant.__table__
_products = Product.__table__
_stock = StockLevel.__table__


@dataclass(frozen=True)
class VariantRow:
    """A variant with its product and stock, as the catalogue's edits need them (mapped rows)."""

    variant: ProductVariant
    product: Product
    on_hand: int | None


@dataclass(frozen=True)
class ItemRow:
    """A variant with its product and stock as plain values: what the till and the catalogue screen
    show, read without building mapped objects (the scanner's path is one short query)."""

    variant_id: uuid.UUID
    product_id: uuid.UUID
    name: str
    category: str
    brand: str | None
    product_name: str
    supplier: str | None
    colour: str | None
    eye_size: int | None
    bridge: int | None
    temple: int | None
    sku: str | None
    barcode: str | None
    cost_price: Decimal | None
    retail_price: Decimal | None
    vat_rate: str
    supply_kind: str
    track_stock: bool
    on_hand: int | None
    variant_active: bool
    product_active: bool
    attributes: dict[str, Any]

    @property
    def on_sale(self) -> bool:
        return self.variant_active and self.product_active


_ITEM_COLUMNS = (
    _variants.c.id, _products.c.id, _variants.c.name, _products.c.category, _products.c.brand, _products.c.name,
    _products.c.supplier, _variants.c.colour, _variants.c.eye_size, _variants.c.bridge, _variants.c.temple,
    _variants.c.sku, _variants.c.barcode, _variants.c.cost_price, _variants.c.retail_price, _products.c.vat_rate,
    _products.c.supply_kind, _variants.c.track_stock, _stock.c.on_hand, _variants.c.is_active, _products.c.is_active,
    _variants.c.attributes,
)

# Built once (the scanner's path runs them thousands of times a day); bound per call.
_ITEMS = (
    select(*_ITEM_COLUMNS)
    .select_from(_variants.join(_products, (_products.c.company_id == _variants.c.company_id)
                                & (_products.c.id == _variants.c.product_id))
                 .outerjoin(_stock, (_stock.c.company_id == _variants.c.company_id)
                            & (_stock.c.variant_id == _variants.c.id)))
    .where(_variants.c.company_id == bindparam("company"))
)
_ITEM_BY_CODE = (
    _ITEMS.where(or_(_variants.c.barcode == bindparam("code"), _variants.c.sku == bindparam("code")))
    .order_by(case((_variants.c.barcode == bindparam("code"), 0), else_=1)).limit(1)
)
_ITEMS_BY_ID = _ITEMS.where(_variants.c.id == func.any(bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))))


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class CatalogueRepository(TenantRepository):
    # --- products and variants ------------------------------------------------------------------
    def add_product(self, product: Product) -> Product:
        return self._add(product)

    def add_variant(self, variant: ProductVariant) -> ProductVariant:
        return self._add(variant)

    def _rows(self) -> Select[tuple[ProductVariant, Product, int | None]]:
        return (
            select(ProductVariant, Product, StockLevel.on_hand)
            .join(Product, (Product.company_id == ProductVariant.company_id)
                  & (Product.id == ProductVariant.product_id))
            .outerjoin(StockLevel, (StockLevel.company_id == ProductVariant.company_id)
                       & (StockLevel.variant_id == ProductVariant.id))
            .where(ProductVariant.company_id == self.company_id)
        )

    def row(self, variant_id: uuid.UUID) -> VariantRow | None:
        found = self.session.execute(self._rows().where(ProductVariant.id == variant_id)).first()
        return None if found is None else VariantRow(*found)

    def rows(self, variant_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, VariantRow]:
        ids = list(set(variant_ids))
        if not ids:
            return {}
        found = self.session.execute(self._rows().where(ProductVariant.id.in_(ids))).all()
        return {variant.id: VariantRow(variant, product, on_hand) for variant, product, on_hand in found}

    def item_by_code(self, code: str) -> ItemRow | None:
        """The item with this barcode, else with this SKU (the scanner's path: one query on two
        unique indexes, a barcode match first; the statement is built once)."""
        found = self.session.connection().execute(_ITEM_BY_CODE, {"company": self.company_id, "code": code}).first()
        return None if found is None else ItemRow(*found)

    def item(self, variant_id: uuid.UUID) -> ItemRow | None:
        found = self.session.connection().execute(
            _ITEMS_BY_ID, {"company": self.company_id, "ids": [variant_id]}).first()
        return None if found is None else ItemRow(*found)

    def items(self, variant_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, ItemRow]:
        """The items of ``variant_ids`` (those still in the catalogue), in one query."""
        ids = list(set(variant_ids))
        if not ids:
            return {}
        found = self.session.connection().execute(_ITEMS_BY_ID, {"company": self.company_id, "ids": ids}).all()
        return {row[0]: ItemRow(*row) for row in found}

    def search(self, words: Sequence[str], *, category: str | None = None, include_inactive: bool = False,
               limit: int = 200, offset: int = 0) -> tuple[list[ItemRow], int]:
        """Items whose name, SKU or barcode contain every word (accent- and case-blind), with how many
        match in all (one query: the count is a window over the same rows)."""
        query = _ITEMS.add_columns(func.count().over())
        for word in words:
            query = query.where(_variants.c.search_name.like(func.ils_search_text(_like_pattern(word))))
        if category:
            query = query.where(_products.c.category == category)
        if not include_inactive:
            query = query.where(_variants.c.is_active.is_(True), _products.c.is_active.is_(True))
        found = self.session.connection().execute(
            query.order_by(_products.c.category, _variants.c.name).limit(limit).offset(offset),
            {"company": self.company_id}).all()
        if not found and offset:
            total = self.session.connection().execute(
                select(func.count()).select_from(query.subquery()), {"company": self.company_id}).scalar_one()
            return [], int(total)
        return [ItemRow(*row[:-1]) for row in found], int(found[0][-1]) if found else 0

    def barcodes_in_use(self, barcodes: Iterable[str]) -> dict[str, uuid.UUID]:
        wanted = [b for b in set(barcodes) if b]
        if not wanted:
            return {}
        rows = self.session.execute(
            select(ProductVariant.barcode, ProductVariant.id).where(
                ProductVariant.company_id == self.company_id, ProductVariant.barcode.in_(wanted))
        ).all()
        return {barcode: variant_id for barcode, variant_id in rows}

    def skus_in_use(self, skus: Iterable[str]) -> dict[str, uuid.UUID]:
        wanted = [s for s in set(skus) if s]
        if not wanted:
            return {}
        rows = self.session.execute(
            select(ProductVariant.sku, ProductVariant.id).where(
                ProductVariant.company_id == self.company_id, ProductVariant.sku.in_(wanted))
        ).all()
        return {sku: variant_id for sku, variant_id in rows}

    def find_product(self, category: str, brand: str | None, name: str) -> Product | None:
        """The product of this category, brand and name (case-blind), if there is one."""
        query = select(Product).where(
            Product.company_id == self.company_id, Product.category == category,
            func.lower(Product.name) == name.lower())
        if brand:
            query = query.where(func.lower(Product.brand) == brand.lower())
        else:
            query = query.where(or_(Product.brand.is_(None), Product.brand == ""))
        return self.session.scalars(query.limit(1)).first()

    # --- prices ---------------------------------------------------------------------------------
    def record_price(self, variant_id: uuid.UUID, *, retail_price: Decimal | None, cost_price: Decimal | None,
                     changed_by: uuid.UUID | None, reason: str | None, at: datetime | None = None) -> None:
        change = PriceChange(company_id=self.company_id, variant_id=variant_id, retail_price=retail_price,
                             cost_price=cost_price, changed_by=changed_by, reason=reason)
        if at is not None:
            change.changed_at = at
        self.session.add(change)

    def price_history(self, variant_id: uuid.UUID) -> list[tuple[PriceChange, str]]:
        """A variant's price changes, newest first, each with the name of who made it."""
        rows = self.session.execute(
            select(PriceChange, User.first_name, User.last_name)
            .outerjoin(User, (User.company_id == PriceChange.company_id) & (User.id == PriceChange.changed_by))
            .where(PriceChange.company_id == self.company_id, PriceChange.variant_id == variant_id)
            .order_by(PriceChange.changed_at.desc())
        ).all()
        return [(change, f"{first or ''} {last or ''}".strip()) for change, first, last in rows]

    # --- stock ----------------------------------------------------------------------------------
    def lock_stock_writers(self) -> None:
        """Queue this transaction behind any other that changes stock or records a sale.

        Such transactions lock stock, counter and gift-card rows and then the company's audit-chain
        head; taking this lock first makes them queue instead of deadlocking over those rows.
        """
        self.session.execute(text("SELECT pg_advisory_xact_lock(20261125, hashtext(:company))"),
                             {"company": str(self.company_id)})

    def ensure_stock_row(self, variant_id: uuid.UUID) -> None:
        """A stock level (0 on hand) for a variant whose stock is counted; the ledger's trigger makes
        one on the first movement anyway, this makes it show as 0 rather than blank before then."""
        self.session.execute(insert(StockLevel).values(company_id=self.company_id, variant_id=variant_id)
                             .on_conflict_do_nothing())

    def on_hand(self, variant_id: uuid.UUID) -> int:
        found = self.session.execute(select(StockLevel.on_hand).where(
            StockLevel.company_id == self.company_id, StockLevel.variant_id == variant_id)).scalar()
        return 0 if found is None else int(found)

    def add_movement(self, variant_id: uuid.UUID, quantity: int, reason: str, *,
                     transaction_id: uuid.UUID | None = None, note: str | None = None,
                     user_id: uuid.UUID | None = None, at: datetime | None = None,
                     unit_cost: Decimal | None = None) -> int:
        """Record a movement in the ledger now (its trigger applies it to the balances, or refuses
        stock below zero with ``on_hand_not_negative``); the variant's new on-hand."""
        values = {"company_id": self.company_id, "id": uuid.uuid4(), "variant_id": variant_id, "quantity": quantity,
                  "reason": reason, "transaction_id": transaction_id, "note": note, "user_id": user_id,
                  "unit_cost": unit_cost}
        if at is not None:
            values["occurred_at"] = at
        self.session.execute(insert(InventoryMovement).values(**values))
        return self.on_hand(variant_id)

    def category_counts(self) -> dict[str, int]:
        rows = self.session.execute(
            select(Product.category, func.count(ProductVariant.id))
            .join(ProductVariant, (ProductVariant.company_id == Product.company_id)
                  & (ProductVariant.product_id == Product.id))
            .where(Product.company_id == self.company_id, ProductVariant.is_active.is_(True))
            .group_by(Product.category)
        ).all()
        return {category: int(count) for category, count in rows}
