"""Inventory and purchasing: stock locations and balances, reservations, reorder rules and low-stock
alerts, suppliers, purchase orders, stocktakes, contact lens stock and demand forecasts.

Every change of stock is a row of the ledger (``catalogue.InventoryMovement``); ``stock_balances``
(per location) and ``stock_levels`` (all locations) are caches of its sums, written only by the
ledger trigger of migration 0015 in the movement's own transaction (the application role may read
them, never write them). Low-stock alerts are raised and cleared by the same trigger.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
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
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from ils_desktop.models.base import Base, TenantMixin, new_id

MONEY = Numeric(12, 2)
UNIT_COST = Numeric(12, 4)
PO_STATUSES = ("draft", "sent", "part_received", "received", "closed", "cancelled")
PO_LINE_SOURCES = ("manual", "alert", "forecast")
ALERT_STATUSES = ("open", "ordered", "cleared", "dismissed")
STOCKTAKE_STATUSES = ("counting", "posted", "cancelled")
RESERVATION_STATUSES = ("held", "released", "dispensed")
FORECAST_SCOPES = ("category", "variant")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _fk(column: str, table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["company_id", column], [f"{table}.company_id", f"{table}.id"])


def _user(column: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["company_id", column], ["users.company_id", "users.id"])


def _now() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class StockLocation(TenantMixin, Base):
    """Where stock is kept: the practice, a branch, a store room. One is the default (the till's)."""

    __tablename__ = "stock_locations"
    __table_args__ = (
        UniqueConstraint("company_id", "name"),
        Index("uq_stock_locations_one_default", "company_id", unique=True, postgresql_where=text("is_default")),
        CheckConstraint("btrim(name) <> ''", name="name_given"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    created_at: Mapped[datetime] = _now()


class InventorySettings(TenantMixin, Base):
    """The practice's stock rules: whether stock may go below zero (off by default)."""

    __tablename__ = "inventory_settings"

    allow_negative_stock: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    updated_at: Mapped[datetime] = _now()


class StockBalance(TenantMixin, Base):
    """Units on hand of a variant at one location: the ledger's sum, kept by the ledger trigger."""

    __tablename__ = "stock_balances"
    __table_args__ = (_fk("variant_id", "product_variants"), _fk("location_id", "stock_locations"))

    variant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    location_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    on_hand: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    updated_at: Mapped[datetime] = _now()


class StockReservation(TenantMixin, Base):
    """Units set aside for a patient's order (dispensing's ``orders``)."""

    __tablename__ = "stock_reservations"
    __table_args__ = (
        _fk("variant_id", "product_variants"),
        _fk("order_id", "orders"),
        _user("reserved_by"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(_in("status", RESERVATION_STATUSES), name="status"),
        Index("ix_stock_reservations_company_id_variant_id_held", "company_id", "variant_id",
              postgresql_where=text("status = 'held'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    variant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    order_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="held")
    reserved_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    reserved_at: Mapped[datetime] = _now()


class ReorderRule(TenantMixin, Base):
    """A category's reorder point and quantity, for variants that have none of their own."""

    __tablename__ = "reorder_rules"
    __table_args__ = (
        CheckConstraint("reorder_level >= 0", name="reorder_level"),
        CheckConstraint("reorder_quantity >= 0", name="reorder_quantity"),
    )

    category: Mapped[str] = mapped_column(Text, primary_key=True)
    reorder_level: Mapped[int] = mapped_column(Integer, nullable=False)
    reorder_quantity: Mapped[int] = mapped_column(Integer, nullable=False)


class LowStockAlert(TenantMixin, Base):
    """A variant at or below its reorder point: raised by the ledger trigger when a movement takes it
    there, cleared by the trigger when stock is back above it. The manager works through the open
    ones (orders them, or dismisses them); one alert at a time per variant."""

    __tablename__ = "low_stock_alerts"
    __table_args__ = (
        _fk("variant_id", "product_variants"),
        _fk("purchase_order_id", "purchase_orders"),
        _user("handled_by"),
        CheckConstraint(_in("status", ALERT_STATUSES), name="status"),
        Index("uq_low_stock_alerts_one_live_per_variant", "company_id", "variant_id", unique=True,
              postgresql_where=text("status IN ('open', 'ordered')")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    variant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="open")
    on_hand_at_raise: Mapped[int] = mapped_column(Integer, nullable=False)
    reorder_level: Mapped[int] = mapped_column(Integer, nullable=False)
    reorder_quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    raised_at: Mapped[datetime] = _now()
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    purchase_order_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    handled_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class SupplierRelationship(TenantMixin, Base):
    """A supplier of the practice: a connected supplier company on ILS, or an external one."""

    __tablename__ = "company_supplier_relationships"
    __table_args__ = (
        UniqueConstraint("company_id", "name"),
        ForeignKeyConstraint(["supplier_company_id"], ["companies.id"]),
        CheckConstraint("btrim(name) <> ''", name="name_given"),
        CheckConstraint("lead_time_days >= 0", name="lead_time"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    supplier_company_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    name: Mapped[str] = mapped_column(Text, nullable=False)
    account_number: Mapped[str | None] = mapped_column(Text)
    payment_terms: Mapped[str | None] = mapped_column(Text)
    lead_time_days: Mapped[int] = mapped_column(Integer, nullable=False, server_default="7")
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    created_at: Mapped[datetime] = _now()


class PurchaseOrder(TenantMixin, Base):
    """An order to a supplier, numbered from a gap-free counter; its status moves as
    ``domain.purchasing.PO_TRANSITIONS`` allows."""

    __tablename__ = "purchase_orders"
    __table_args__ = (
        _fk("supplier_id", "company_supplier_relationships"),
        _fk("location_id", "stock_locations"),
        _user("created_by"),
        UniqueConstraint("company_id", "number"),
        CheckConstraint(_in("status", PO_STATUSES), name="status"),
        Index("ix_purchase_orders_company_id_status", "company_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    supplier_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    location_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="draft")
    expected_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = _now()
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status_reason: Mapped[str | None] = mapped_column(Text)


class PurchaseOrderLine(TenantMixin, Base):
    """One variant on a purchase order: how many ordered, at what cost, and how many came."""

    __tablename__ = "po_line_items"
    __table_args__ = (
        _fk("purchase_order_id", "purchase_orders"),
        _fk("variant_id", "product_variants"),
        UniqueConstraint("company_id", "purchase_order_id", "variant_id"),
        CheckConstraint("quantity_ordered > 0", name="ordered_positive"),
        CheckConstraint("quantity_received >= 0", name="received_not_negative"),
        CheckConstraint("unit_cost >= 0", name="unit_cost"),
        CheckConstraint(_in("source", PO_LINE_SOURCES), name="source"),
        Index("ix_po_line_items_company_id_variant_id", "company_id", "variant_id"),
    )

    purchase_order_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    line_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    variant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    quantity_ordered: Mapped[int] = mapped_column(Integer, nullable=False)
    quantity_received: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    unit_cost: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False, server_default="manual")


class Stocktake(TenantMixin, Base):
    """A count of one location (optionally one category): the sheet is frozen when it starts (what
    the ledger said then, per variant), counters scan on any workstation, and a manager approves
    posting the variances as movements."""

    __tablename__ = "stocktakes"
    __table_args__ = (
        _fk("location_id", "stock_locations"),
        _user("started_by"),
        _user("approved_by"),
        UniqueConstraint("company_id", "number"),
        CheckConstraint(_in("status", STOCKTAKE_STATUSES), name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    location_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    category: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="counting")
    frozen_at: Mapped[datetime] = _now()
    started_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    approved_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StocktakeLine(TenantMixin, Base):
    """The frozen count sheet: one line per variant, with what the ledger said at the freeze."""

    __tablename__ = "stocktake_lines"
    __table_args__ = (_fk("stocktake_id", "stocktakes"), _fk("variant_id", "product_variants"))

    stocktake_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    variant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    expected: Mapped[int] = mapped_column(Integer, nullable=False)


class StocktakeCount(TenantMixin, Base):
    """One scan (or typed count) by one counter: never changed; a line's count is the sum of its
    scans, so several people may count at once without overwriting each other."""

    __tablename__ = "stocktake_counts"
    __table_args__ = (
        _fk("stocktake_id", "stocktakes"),
        _fk("variant_id", "product_variants"),
        _user("counted_by"),
        CheckConstraint("quantity <> 0", name="quantity_not_zero"),
        Index("ix_stocktake_counts_company_id_stocktake_id", "company_id", "stocktake_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    stocktake_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    variant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    counted_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    workstation: Mapped[str | None] = mapped_column(Text)
    counted_at: Mapped[datetime] = _now()


class ContactLensStock(TenantMixin, Base):
    """The lens parameters of a contact lens variant (one power, one pack), its expiry (the earliest
    on the shelf) and whether it is a trial (diagnostic) lens. Units on hand come from the ledger."""

    __tablename__ = "contact_lens_inventory"
    __table_args__ = (
        _fk("variant_id", "product_variants"),
        CheckConstraint("pack_size > 0", name="pack_size"),
        CheckConstraint("axis IS NULL OR axis BETWEEN 1 AND 180", name="axis"),
        CheckConstraint("(cylinder IS NULL) = (axis IS NULL)", name="cylinder_has_axis"),
        Index("ix_contact_lens_inventory_company_id_expiry_on", "company_id", "expiry_on"),
    )

    variant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    base_curve: Mapped[Decimal] = mapped_column(Numeric(3, 1), nullable=False)
    diameter: Mapped[Decimal] = mapped_column(Numeric(3, 1), nullable=False)
    sphere: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)
    cylinder: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    axis: Mapped[int | None] = mapped_column(Integer)
    addition: Mapped[Decimal | None] = mapped_column(Numeric(4, 2))
    pack_size: Mapped[int] = mapped_column(Integer, nullable=False)
    expiry_on: Mapped[date | None] = mapped_column(Date)
    is_trial: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")


class DemandForecast(TenantMixin, Base):
    """One week of a forecast run for a category or a variant, with its 80 % interval and method."""

    __tablename__ = "demand_forecasts"
    __table_args__ = (
        _fk("variant_id", "product_variants"),
        CheckConstraint(_in("scope", FORECAST_SCOPES), name="scope"),
        Index("ix_demand_forecasts_company_id_run_id", "company_id", "run_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    run_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    scope: Mapped[str] = mapped_column(Text, nullable=False)
    category: Mapped[str | None] = mapped_column(Text)
    variant_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    week_start: Mapped[date] = mapped_column(Date, nullable=False)
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    lower: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    upper: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    method: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = _now()


class SeasonalPattern(TenantMixin, Base):
    """The seasonal factor a run learned for one week of the year (1.0: an ordinary week)."""

    __tablename__ = "seasonal_patterns"
    __table_args__ = (
        _fk("variant_id", "product_variants"),
        CheckConstraint(_in("scope", FORECAST_SCOPES), name="scope"),
        Index("ix_seasonal_patterns_company_id_run_id", "company_id", "run_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    run_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    scope: Mapped[str] = mapped_column(Text, nullable=False)
    category: Mapped[str | None] = mapped_column(Text)
    variant_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    season_index: Mapped[int] = mapped_column(Integer, nullable=False)
    factor: Mapped[Decimal] = mapped_column(Numeric(8, 4), nullable=False)


class ForecastAccuracy(TenantMixin, Base):
    """How a method did in a rolling back-test (MASE, MAPE), so the screen says how far to trust it."""

    __tablename__ = "forecast_accuracy_metrics"
    __table_args__ = (
        _fk("variant_id", "product_variants"),
        CheckConstraint(_in("scope", FORECAST_SCOPES), name="scope"),
        Index("ix_forecast_accuracy_metrics_company_id_run_id", "company_id", "run_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    run_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    scope: Mapped[str] = mapped_column(Text, nullable=False)
    category: Mapped[str | None] = mapped_column(Text)
    variant_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    method: Mapped[str] = mapped_column(Text, nullable=False)
    mase: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))
    mape: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))
    naive_mase: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))
    folds: Mapped[int] = mapped_column(Integer, nullable=False)
    horizon_weeks: Mapped[int] = mapped_column(Integer, nullable=False)
    evaluated_at: Mapped[datetime] = _now()
