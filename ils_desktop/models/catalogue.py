"""The practice's catalogue and stock: products, their variants (barcodes), price history, stock.

A *product* is what the practice sells in the words of its supplier list (a frame model, a lens
design, a contact lens, a solution, a service) with its VAT treatment; a *variant* is one thing
that can be scanned: a colour and size of a frame, a pack of a contact lens. Barcodes (EAN) are
unique per company. Stock is one row per tracked variant, with ``CHECK (on_hand >= 0)`` so two
tills can never both sell the last unit; every change of stock is an ``inventory_movements`` row.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from ils_desktop.models.base import Base, TenantMixin, Timestamps, new_id

#: What a product is, in the practice's words (decides its default VAT treatment).
PRODUCT_CATEGORIES = (
    "frame", "sunglasses", "spectacle_lens", "lens_option", "contact_lens", "solution", "accessory", "service",
)
VAT_RATES = ("standard", "reduced", "zero", "exempt", "outside_scope")
SUPPLY_KINDS = ("goods", "service", "spectacles_package", "contact_lens_package")
#: The kinds of stock movement (the ``reason`` column names the kind; ``note`` says why). Since 0015 the
#: ledger also records goods-in against a purchase order (``receipt``), both legs of a transfer between
#: locations, stocktake adjustments, damage, returns to the supplier, and goods dispensed into (or back
#: from) a patient's order.
MOVEMENT_REASONS = ("opening", "receipt", "sale", "refund", "exchange", "void", "adjustment", "import",
                    "transfer_out", "transfer_in", "stocktake", "damage", "supplier_return", "dispensed",
                    "dispensed_return")

MONEY = Numeric(12, 2)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _fk(column: str, table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["company_id", column], [f"{table}.company_id", f"{table}.id"])


class Product(TenantMixin, Timestamps, Base):
    """A product line: a frame model, a lens design, a contact lens, a solution, a service.

    ``vat_rate`` and ``supply_kind`` are the VAT treatment (HMRC Notice 701/57): frames and lenses
    are sold as part of a spectacles supply (goods + exempt dispensing, apportioned by the
    practice's scheme), sight tests are exempt services, solutions and accessories are goods.
    """

    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint(_in("category", PRODUCT_CATEGORIES), name="category"),
        CheckConstraint(_in("vat_rate", VAT_RATES), name="vat_rate"),
        CheckConstraint(_in("supply_kind", SUPPLY_KINDS), name="supply_kind"),
        Index("ix_products_company_id_category_name", "company_id", "category", "name"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    category: Mapped[str] = mapped_column(Text, nullable=False)
    brand: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    supplier: Mapped[str | None] = mapped_column(Text)
    vat_rate: Mapped[str] = mapped_column(Text, nullable=False, server_default="standard")
    supply_kind: Mapped[str] = mapped_column(Text, nullable=False, server_default="goods")
    description: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")


class ProductVariant(TenantMixin, Timestamps, Base):
    """One sellable, scannable thing: a frame in one colour and size, a pack of lenses.

    ``retail_price`` is VAT-inclusive; ``NULL`` means the price is entered at the till (a lens
    priced from the prescription). ``name`` is the full description shown at the till and printed
    on receipts; ``search_name`` is its accent-free lower-case form, indexed by pg_trgm.
    """

    __tablename__ = "product_variants"
    __table_args__ = (
        _fk("product_id", "products"),
        UniqueConstraint("company_id", "barcode"),
        UniqueConstraint("company_id", "sku"),
        CheckConstraint("retail_price IS NULL OR retail_price >= 0", name="retail_price"),
        CheckConstraint("cost_price IS NULL OR cost_price >= 0", name="cost_price"),
        CheckConstraint("barcode ~ '^[0-9A-Za-z-]{4,32}$'", name="barcode_format"),
        Index("ix_product_variants_company_id_product_id", "company_id", "product_id"),
        Index("ix_product_variants_search_name_trgm", "search_name", postgresql_using="gin",
              postgresql_ops={"search_name": "gin_trgm_ops"}),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    product_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    sku: Mapped[str | None] = mapped_column(Text)
    barcode: Mapped[str | None] = mapped_column(Text)
    colour: Mapped[str | None] = mapped_column(Text)
    eye_size: Mapped[int | None] = mapped_column(Integer)
    bridge: Mapped[int | None] = mapped_column(Integer)
    temple: Mapped[int | None] = mapped_column(Integer)
    # Other attributes by category: base curve, diameter, power, pack size, volume…
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    cost_price: Mapped[Decimal | None] = mapped_column(MONEY)
    retail_price: Mapped[Decimal | None] = mapped_column(MONEY)
    track_stock: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    search_name: Mapped[str] = mapped_column(
        Text, Computed("ils_search_text(name || ' ' || coalesce(sku, '') || ' ' || coalesce(barcode, ''))",
                       persisted=True))


class PriceChange(TenantMixin, Base):
    """The price history of a variant: one row per change (never updated), newest wins."""

    __tablename__ = "price_history"
    __table_args__ = (
        _fk("variant_id", "product_variants"),
        ForeignKeyConstraint(["company_id", "changed_by"], ["users.company_id", "users.id"]),
        Index("ix_price_history_company_id_variant_id_changed_at", "company_id", "variant_id", "changed_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    variant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    retail_price: Mapped[Decimal | None] = mapped_column(MONEY)
    cost_price: Mapped[Decimal | None] = mapped_column(MONEY)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    changed_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    reason: Mapped[str | None] = mapped_column(Text)


class StockLevel(TenantMixin, Base):
    """Units on hand of a tracked variant, all locations together: a cache of the ledger's sum, kept
    by the database's ledger trigger in the same transaction as each movement (the application role
    cannot write ``on_hand`` or ``average_cost``). Stock may not go below zero unless the practice
    allows it (``inventory_settings``); the trigger refuses it with ``on_hand_not_negative``, which is
    how the second of two tills selling the last unit is told.

    ``reorder_level``/``reorder_quantity`` are the variant's own reorder point and quantity (0: the
    category rule in ``reorder_rules`` applies). ``average_cost`` is the weighted average cost of
    the units on hand (docs/domain/inventory.md)."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        _fk("variant_id", "product_variants"),
        CheckConstraint("reorder_level >= 0", name="reorder_level"),
        CheckConstraint("reorder_quantity >= 0", name="reorder_quantity"),
    )

    variant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    on_hand: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    reorder_level: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    reorder_quantity: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    average_cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now())


class InventoryMovement(TenantMixin, Base):
    """One change of stock (signed quantity) at one location: the ledger. Never updated or deleted
    (the application role may only insert); on-hand is the sum of its movements. ``reason`` is the
    kind (``MOVEMENT_REASONS``), ``note`` why, ``user_id`` who; the source document is the till
    transaction, purchase order, stocktake, transfer (both legs share ``transfer_id``) or the
    patient's order (``order_id``: dispensing's orders table, whose foreign key the merge adds).
    ``unit_cost`` is the received cost of goods in, or the average cost of goods out;
    ``balance_after`` the location's on-hand after it (both set by the ledger trigger)."""

    __tablename__ = "inventory_movements"
    __table_args__ = (
        _fk("variant_id", "product_variants"),
        _fk("transaction_id", "pos_transactions"),
        _fk("location_id", "stock_locations"),
        _fk("purchase_order_id", "purchase_orders"),
        _fk("stocktake_id", "stocktakes"),
        _fk("order_id", "orders"),
        ForeignKeyConstraint(["company_id", "user_id"], ["users.company_id", "users.id"]),
        CheckConstraint(_in("reason", MOVEMENT_REASONS), name="reason"),
        CheckConstraint("quantity <> 0", name="quantity_not_zero"),
        CheckConstraint("unit_cost IS NULL OR unit_cost >= 0", name="unit_cost"),
        Index("ix_inventory_movements_company_id_variant_id_occurred_at", "company_id", "variant_id", "occurred_at"),
        Index("ix_inventory_movements_company_id_transaction_id", "company_id", "transaction_id"),
        Index("ix_inventory_movements_company_id_purchase_order_id", "company_id", "purchase_order_id",
              postgresql_where=text("purchase_order_id IS NOT NULL")),
        Index("ix_inventory_movements_company_id_order_id", "company_id", "order_id",
              postgresql_where=text("order_id IS NOT NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    variant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    location_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    transaction_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    purchase_order_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    stocktake_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    order_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    unit_cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    balance_after: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now())
