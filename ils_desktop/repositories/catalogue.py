"""Catalogue and stock: products, variants (barcode look-up, search), price history, stock levels and
inventory movements, for one company."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert

from ils_desktop.models.catalogue import InventoryMovement, PriceChange, Product, ProductVariant, StockLevel
from ils_desktop.repositories.base import TenantRepository


@dataclass(frozen=True)
class VariantRow:
    """A variant with its product and stock, as screens and the till need it."""

    variant: ProductVariant
    product: Product
    on_hand: int | None


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class CatalogueRepository(TenantRepository):
    # --- products and variants ------------------------------------------------------------------
    def add_product(self, product: Product) -> Product:
        return self._add(product)

    def get_product(self, product_id: uuid.UUID) -> Product | None:
        return self.session.get(Product, (self.company_id, product_id))

    def add_variant(self, variant: ProductVariant) -> ProductVariant:
        return self._add(variant)

    def get_variant(self, variant_id: uuid.UUID) -> ProductVariant | None:
        return self.session.get(ProductVariant, (self.company_id, variant_id))

    def variants_of(self, product_id: uuid.UUID) -> Sequence[ProductVariant]:
        return self.session.scalars(
            select(ProductVariant).where(ProductVariant.company_id == self.company_id,
                                         ProductVariant.product_id == product_id)
            .order_by(ProductVariant.name)
        ).all()

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

    def by_barcode(self, barcode: str) -> VariantRow | None:
        """The variant with this barcode or SKU (the scanner's path: one indexed look-up)."""
        found = self.session.execute(self._rows().where(ProductVariant.barcode == barcode)).first()
        if found is None:
            found = self.session.execute(self._rows().where(ProductVariant.sku == barcode)).first()
        return None if found is None else VariantRow(*found)

    def search(self, words: Sequence[str], *, category: str | None = None, include_inactive: bool = False,
               limit: int = 200, offset: int = 0) -> tuple[list[VariantRow], int]:
        """Variants whose name, SKU or barcode contain every word (accent- and case-blind)."""
        query = self._rows()
        for word in words:
            query = query.where(ProductVariant.search_name.like(
                func.ils_search_text(_like_pattern(word))))
        if category:
            query = query.where(Product.category == category)
        if not include_inactive:
            query = query.where(ProductVariant.is_active.is_(True), Product.is_active.is_(True))
        total = self.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        found = self.session.execute(
            query.order_by(Product.category, ProductVariant.name).limit(limit).offset(offset)).all()
        return [VariantRow(*row) for row in found], int(total)

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

    def price_history(self, variant_id: uuid.UUID) -> Sequence[PriceChange]:
        return self.session.scalars(
            select(PriceChange).where(PriceChange.company_id == self.company_id,
                                      PriceChange.variant_id == variant_id)
            .order_by(PriceChange.changed_at.desc())
        ).all()

    # --- stock ----------------------------------------------------------------------------------
    def lock_stock_writers(self) -> None:
        """Queue this transaction behind any other that changes stock or records a sale.

        Such transactions lock stock, counter and gift-card rows and then the company's audit-chain
        head; taking this lock first makes them queue instead of deadlocking over those rows.
        """
        self.session.execute(text("SELECT pg_advisory_xact_lock(20261125, hashtext(:company))"),
                             {"company": str(self.company_id)})

    def take_stock(self, variant_id: uuid.UUID, quantity: int) -> int | None:
        """Take ``quantity`` units off the shelf; the new level, or None if there are not enough.

        The row lock queues a second till selling the same variant until the first commits; it then
        sees the level the first left, so both cannot sell the last unit.
        """
        result = self.session.execute(
            update(StockLevel)
            .where(StockLevel.company_id == self.company_id, StockLevel.variant_id == variant_id,
                   StockLevel.on_hand >= quantity)
            .values(on_hand=StockLevel.on_hand - quantity)
            .returning(StockLevel.on_hand)
        ).first()
        return None if result is None else int(result[0])

    def put_back_stock(self, variant_id: uuid.UUID, quantity: int) -> int:
        """Add ``quantity`` units (returns, receipts, adjustments up); creates the level if needed."""
        statement = insert(StockLevel).values(company_id=self.company_id, variant_id=variant_id, on_hand=quantity)
        return int(self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["company_id", "variant_id"],
                set_={"on_hand": StockLevel.on_hand + quantity, "updated_at": func.now()},
            ).returning(StockLevel.on_hand)
        ).scalar_one())

    def on_hand(self, variant_id: uuid.UUID) -> int:
        found = self.session.get(StockLevel, (self.company_id, variant_id))
        return 0 if found is None else found.on_hand

    def add_movement(self, variant_id: uuid.UUID, quantity: int, reason: str, *,
                     transaction_id: uuid.UUID | None = None, note: str | None = None,
                     user_id: uuid.UUID | None = None, at: datetime | None = None) -> None:
        movement = InventoryMovement(
            company_id=self.company_id, variant_id=variant_id, quantity=quantity, reason=reason,
            transaction_id=transaction_id, note=note, user_id=user_id)
        if at is not None:
            movement.occurred_at = at
        self.session.add(movement)

    def movements(self, variant_id: uuid.UUID, limit: int = 50) -> Sequence[InventoryMovement]:
        return self.session.scalars(
            select(InventoryMovement).where(InventoryMovement.company_id == self.company_id,
                                            InventoryMovement.variant_id == variant_id)
            .order_by(InventoryMovement.occurred_at.desc()).limit(limit)
        ).all()

    def category_counts(self) -> dict[str, int]:
        rows = self.session.execute(
            select(Product.category, func.count(ProductVariant.id))
            .join(ProductVariant, (ProductVariant.company_id == Product.company_id)
                  & (ProductVariant.product_id == Product.id))
            .where(Product.company_id == self.company_id, ProductVariant.is_active.is_(True))
            .group_by(Product.category)
        ).all()
        return {category: int(count) for category, count in rows}
