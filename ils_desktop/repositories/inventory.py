"""Stock for one company: the ledger (written only by inserting movements; the database's trigger
keeps the balances), locations, what the inventory screen searches and shows, the valuation,
reorder points and low-stock alerts, reservations for orders, and contact lens stock.

The search and the on-hand look-up are on the path of a keystroke or a scan: fixed SQL run on the
unit of work's own connection, returning frozen records (``TenantRepository._records``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, text

from ils_desktop.models.catalogue import InventoryMovement
from ils_desktop.repositories.base import TenantRepository

_QUEUE = text("SELECT pg_advisory_xact_lock(20261125, hashtext(:company))")


@dataclass(frozen=True)
class Movement:
    """A movement to record (the trigger fills the location's balance and the unit cost of goods out)."""

    variant_id: uuid.UUID
    quantity: int
    reason: str
    occurred_at: datetime
    user_id: uuid.UUID | None
    note: str | None = None
    location_id: uuid.UUID | None = None
    unit_cost: Decimal | None = None
    purchase_order_id: uuid.UUID | None = None
    stocktake_id: uuid.UUID | None = None
    transfer_id: uuid.UUID | None = None
    order_id: uuid.UUID | None = None
    transaction_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Location:
    id: uuid.UUID
    name: str
    is_default: bool
    is_active: bool


@dataclass(frozen=True)
class StockRow:
    """A variant as the inventory screen lists it."""

    variant_id: uuid.UUID
    barcode: str | None
    sku: str | None
    category: str
    brand: str | None
    model: str
    name: str
    colour: str | None
    eye_size: int | None
    bridge: int | None
    track_stock: bool
    on_hand: int
    by_location: dict[str, int] | None
    on_order: int
    reserved: int
    average_cost: Decimal | None
    cost_price: Decimal | None
    retail_price: Decimal | None
    reorder_level: int
    reorder_quantity: int
    supplier: str | None
    total: int


@dataclass(frozen=True)
class HistoryRow:
    id: uuid.UUID
    occurred_at: datetime
    reason: str
    quantity: int
    balance_after: int | None
    location: str
    unit_cost: Decimal | None
    note: str | None
    who: str
    receipt_number: int | None
    po_number: int | None
    stocktake_number: int | None
    order_id: uuid.UUID | None


@dataclass(frozen=True)
class AlertRow:
    id: uuid.UUID
    variant_id: uuid.UUID
    status: str
    name: str
    barcode: str | None
    category: str
    supplier: str | None
    on_hand: int
    on_order: int
    reorder_level: int
    reorder_quantity: int
    raised_at: datetime
    purchase_order_id: uuid.UUID | None
    unit_cost: Decimal | None


@dataclass(frozen=True)
class ContactLensRow:
    variant_id: uuid.UUID
    name: str
    brand: str | None
    barcode: str | None
    base_curve: Decimal
    diameter: Decimal
    sphere: Decimal
    cylinder: Decimal | None
    axis: int | None
    addition: Decimal | None
    pack_size: int
    expiry_on: date | None
    is_trial: bool
    on_hand: int


_STOCK_SELECT = """
SELECT v.id AS variant_id, v.barcode, v.sku, p.category, p.brand, p.name AS model, v.name, v.colour, v.eye_size,
       v.bridge, v.track_stock, coalesce(s.on_hand, 0) AS on_hand,
       (SELECT json_object_agg(l.name, b.on_hand ORDER BY l.name) FROM stock_balances b
          JOIN stock_locations l ON l.company_id = b.company_id AND l.id = b.location_id
         WHERE b.company_id = v.company_id AND b.variant_id = v.id AND b.on_hand <> 0) AS by_location,
       (SELECT coalesce(sum(greatest(li.quantity_ordered - li.quantity_received, 0)), 0)::int
          FROM po_line_items li JOIN purchase_orders o ON o.company_id = li.company_id AND o.id = li.purchase_order_id
         WHERE li.company_id = v.company_id AND li.variant_id = v.id AND o.status IN ('sent', 'part_received'))
         AS on_order,
       (SELECT coalesce(sum(r.quantity), 0)::int FROM stock_reservations r
         WHERE r.company_id = v.company_id AND r.variant_id = v.id AND r.status = 'held') AS reserved,
       s.average_cost, v.cost_price, v.retail_price, coalesce(s.reorder_level, 0) AS reorder_level,
       coalesce(s.reorder_quantity, 0) AS reorder_quantity, p.supplier, {total} AS total
"""
_STOCK_FROM = """
  FROM product_variants v
  JOIN products p ON p.company_id = v.company_id AND p.id = v.product_id
  LEFT JOIN stock_levels s ON s.company_id = v.company_id AND s.variant_id = v.id
"""
#: One variant (or a few by id): the columns straight from the tables.
_STOCK_COLUMNS = _STOCK_SELECT.format(total="1") + _STOCK_FROM


def search_sql(words: int, code: bool, *, category: bool = False, low_only: bool = False) -> str:
    """The stock search: the matching variants are found, counted and cut to the page first (their
    keys only), and only the page's rows get their locations, orders and reservations."""
    where = [f"({_words_sql(words)})"]
    if code:
        either = "v.barcode = %s OR v.sku = %s"
        where = [f"({either} OR {where[0][1:-1]})" if words else f"({either})"]
    if category:
        where.append("p.category = %s")
    if low_only:
        where.append("s.on_hand <= s.reorder_level AND s.reorder_level > 0")
    found = ("WITH found AS (SELECT v.company_id, v.id, p.category, v.name, count(*) OVER () AS total"
             + _STOCK_FROM + " WHERE v.company_id = %s AND v.is_active AND " + " AND ".join(where)
             + " ORDER BY p.category, v.name LIMIT %s)")
    return (found + _STOCK_SELECT.format(total="f.total::int")
            + " FROM found f JOIN product_variants v ON v.company_id = f.company_id AND v.id = f.id"
            + " JOIN products p ON p.company_id = v.company_id AND p.id = v.product_id"
            + " LEFT JOIN stock_levels s ON s.company_id = v.company_id AND s.variant_id = v.id"
            + " ORDER BY f.category, f.name")


_HISTORY = """
SELECT m.id, m.occurred_at, m.reason, m.quantity, m.balance_after, l.name AS location, m.unit_cost, m.note,
       coalesce(u.first_name || ' ' || u.last_name, '') AS who, t.number AS receipt_number, o.number AS po_number,
       st.number AS stocktake_number, m.order_id
  FROM inventory_movements m
  JOIN stock_locations l ON l.company_id = m.company_id AND l.id = m.location_id
  LEFT JOIN users u ON u.company_id = m.company_id AND u.id = m.user_id
  LEFT JOIN pos_transactions t ON t.company_id = m.company_id AND t.id = m.transaction_id
  LEFT JOIN purchase_orders o ON o.company_id = m.company_id AND o.id = m.purchase_order_id
  LEFT JOIN stocktakes st ON st.company_id = m.company_id AND st.id = m.stocktake_id
 WHERE m.company_id = %s AND m.variant_id = %s
 ORDER BY m.occurred_at DESC, m.id
 LIMIT %s
"""

# Values to the penny (half away from zero, as Decimal's ROUND_HALF_UP) computed by the database.
_VALUATION = """
SELECT p.category, v.name, coalesce(v.barcode, '') AS barcode, s.on_hand,
       coalesce(s.average_cost, v.cost_price) AS unit_cost,
       round(s.on_hand * coalesce(s.average_cost, v.cost_price, 0), 2) AS value,
       round(s.on_hand * coalesce(v.retail_price, 0), 2) AS retail_value
  FROM stock_levels s
  JOIN product_variants v ON v.company_id = s.company_id AND v.id = s.variant_id
  JOIN products p ON p.company_id = v.company_id AND p.id = v.product_id
 WHERE s.company_id = %s AND s.on_hand <> 0
 ORDER BY p.category, v.name
"""

_ALERTS = """
SELECT a.id, a.variant_id, a.status, v.name, v.barcode, p.category, p.supplier, coalesce(s.on_hand, 0) AS on_hand,
       (SELECT coalesce(sum(greatest(li.quantity_ordered - li.quantity_received, 0)), 0)::int
          FROM po_line_items li JOIN purchase_orders o ON o.company_id = li.company_id AND o.id = li.purchase_order_id
         WHERE li.company_id = a.company_id AND li.variant_id = a.variant_id
           AND o.status IN ('draft', 'sent', 'part_received')) AS on_order,
       a.reorder_level, a.reorder_quantity, a.raised_at, a.purchase_order_id,
       coalesce(s.average_cost, v.cost_price) AS unit_cost
  FROM low_stock_alerts a
  JOIN product_variants v ON v.company_id = a.company_id AND v.id = a.variant_id
  JOIN products p ON p.company_id = v.company_id AND p.id = v.product_id
  LEFT JOIN stock_levels s ON s.company_id = a.company_id AND s.variant_id = a.variant_id
 WHERE a.company_id = %s AND a.status = ANY(%s)
 ORDER BY a.raised_at, v.name
"""

_CONTACT_LENSES = """
SELECT c.variant_id, v.name, p.brand, v.barcode, c.base_curve, c.diameter, c.sphere, c.cylinder, c.axis,
       c.addition, c.pack_size, c.expiry_on, c.is_trial, coalesce(s.on_hand, 0) AS on_hand
  FROM contact_lens_inventory c
  JOIN product_variants v ON v.company_id = c.company_id AND v.id = c.variant_id
  JOIN products p ON p.company_id = v.company_id AND p.id = v.product_id
  LEFT JOIN stock_levels s ON s.company_id = c.company_id AND s.variant_id = c.variant_id
 WHERE c.company_id = %s
"""


def _words_sql(count: int) -> str:
    return " AND ".join(["v.search_name LIKE ils_search_text(%s)"] * count) or "true"


def like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class StockRepository(TenantRepository):
    """The ledger and what is derived from it."""

    def queue_behind_other_writers(self) -> None:
        """The per-company lock every stock writer (tills included) takes first, so writers of many
        variants queue instead of deadlocking over balance rows."""
        self.session.execute(_QUEUE, {"company": str(self.company_id)})

    # --- the ledger -------------------------------------------------------------------------------
    def record(self, movements: Sequence[Movement]) -> None:
        """Insert movements in order (one statement); the trigger applies each to the balances and
        refuses stock below zero with ``on_hand_not_negative`` (an ``IntegrityError``)."""
        if not movements:
            return
        self.session.execute(insert(InventoryMovement), [{
            "company_id": self.company_id, "id": uuid.uuid4(), "variant_id": m.variant_id, "quantity": m.quantity,
            "reason": m.reason, "occurred_at": m.occurred_at, "user_id": m.user_id, "note": m.note,
            "location_id": m.location_id, "unit_cost": m.unit_cost, "purchase_order_id": m.purchase_order_id,
            "stocktake_id": m.stocktake_id, "transfer_id": m.transfer_id, "order_id": m.order_id,
            "transaction_id": m.transaction_id} for m in movements])

    def history(self, variant_id: uuid.UUID, limit: int = 500) -> list[HistoryRow]:
        return self._records(HistoryRow, _HISTORY, (self.company_id, variant_id, limit))

    def on_hand_at(self, variant_ids: Iterable[uuid.UUID], location_id: uuid.UUID) -> dict[uuid.UUID, int]:
        rows = self.session.execute(text(
            "SELECT variant_id, on_hand FROM stock_balances WHERE company_id = :c AND location_id = :l "
            "AND variant_id = ANY(:v)"), {"c": self.company_id, "l": location_id, "v": list(set(variant_ids))}).all()
        return {variant_id: int(on_hand) for variant_id, on_hand in rows}

    def allows_negative(self) -> bool:
        found = self.session.execute(text("SELECT allow_negative_stock FROM inventory_settings WHERE company_id = :c"),
                                     {"c": self.company_id}).scalar()
        return bool(found)

    def set_allow_negative(self, allowed: bool) -> None:
        self.session.execute(text(
            "INSERT INTO inventory_settings AS i (company_id, allow_negative_stock) VALUES (:c, :a) "
            "ON CONFLICT (company_id) DO UPDATE SET allow_negative_stock = excluded.allow_negative_stock, "
            "updated_at = now()"), {"c": self.company_id, "a": allowed})

    # --- locations --------------------------------------------------------------------------------
    def locations(self) -> list[Location]:
        rows = self.session.execute(text(
            "SELECT id, name, is_default, is_active FROM stock_locations WHERE company_id = :c "
            "ORDER BY NOT is_default, name"), {"c": self.company_id}).all()
        return [Location(*row) for row in rows]

    def default_location(self) -> uuid.UUID:
        """The default location (the till's), made as "Main" the first time it is needed."""
        found = self.session.execute(text(
            "SELECT id FROM stock_locations WHERE company_id = :c AND is_default"), {"c": self.company_id}).scalar()
        if found is not None:
            return found  # type: ignore[no-any-return]
        self.session.execute(text(
            "INSERT INTO stock_locations (company_id, id, name, is_default) VALUES (:c, :i, 'Main', true) "
            "ON CONFLICT DO NOTHING"), {"c": self.company_id, "i": uuid.uuid4()})
        return self.session.execute(text(  # type: ignore[no-any-return]
            "SELECT id FROM stock_locations WHERE company_id = :c AND is_default"), {"c": self.company_id}).scalar_one()

    def add_location(self, name: str) -> uuid.UUID:
        new = uuid.uuid4()
        self.session.execute(text("INSERT INTO stock_locations (company_id, id, name) VALUES (:c, :i, :n)"),
                             {"c": self.company_id, "i": new, "n": name})
        return new

    # --- the screen's search ----------------------------------------------------------------------
    def search(self, words: Sequence[str], code: str | None, *, category: str | None = None,
               low_only: bool = False, limit: int = 200) -> list[StockRow]:
        """Variants whose barcode or SKU is ``code``, or whose name (brand, model, colour, size) holds
        every word; with on-hand by location, on order, reserved, costs and retail (one query)."""
        params: list[Any] = [self.company_id]
        if code:
            params += [code, code]
        params += [like(w) for w in words]
        if category:
            params.append(category)
        params.append(limit)
        sql = search_sql(len(words), bool(code), category=bool(category), low_only=low_only)
        return self._records(StockRow, sql, params)

    def stock_row(self, variant_id: uuid.UUID) -> StockRow | None:
        return self._record(StockRow, _STOCK_COLUMNS + " WHERE v.company_id = %s AND v.id = %s",
                            (self.company_id, variant_id))

    def variant_by_code(self, code: str) -> uuid.UUID | None:
        return self.session.execute(text(  # type: ignore[no-any-return]
            "SELECT id FROM product_variants WHERE company_id = :c AND (barcode = :code OR sku = :code) "
            "ORDER BY barcode = :code DESC LIMIT 1"), {"c": self.company_id, "code": code}).scalar()

    def valuation(self) -> list[tuple[str, str, str, int, Decimal | None, Decimal, Decimal]]:
        """Every variant with stock: category, name, barcode, on hand, unit cost, value, retail value."""
        driver = self.session.connection().connection.driver_connection
        return driver.execute(_VALUATION, (self.company_id,)).fetchall()  # type: ignore[union-attr,no-any-return]

    # --- reorder points and alerts ----------------------------------------------------------------
    def set_reorder_point(self, variant_id: uuid.UUID, level: int, quantity: int) -> None:
        self.session.execute(text(
            "INSERT INTO stock_levels (company_id, variant_id, reorder_level, reorder_quantity) "
            "VALUES (:c, :v, :l, :q) ON CONFLICT DO NOTHING"), {"c": self.company_id, "v": variant_id, "l": level,
                                                                "q": quantity})
        self.session.execute(text(
            "UPDATE stock_levels SET reorder_level = :l, reorder_quantity = :q WHERE company_id = :c "
            "AND variant_id = :v"), {"c": self.company_id, "v": variant_id, "l": level, "q": quantity})
        self.session.execute(text("SELECT ils_low_stock_recheck(:v)"), {"v": variant_id})

    def set_category_rule(self, category: str, level: int, quantity: int) -> None:
        if level <= 0:
            self.session.execute(text("DELETE FROM reorder_rules WHERE company_id = :c AND category = :k"),
                                 {"c": self.company_id, "k": category})
        else:
            self.session.execute(text(
                "INSERT INTO reorder_rules AS r (company_id, category, reorder_level, reorder_quantity) "
                "VALUES (:c, :k, :l, :q) ON CONFLICT (company_id, category) DO UPDATE "
                "SET reorder_level = excluded.reorder_level, reorder_quantity = excluded.reorder_quantity"),
                {"c": self.company_id, "k": category, "l": level, "q": quantity})
        self.session.execute(text(
            "SELECT ils_low_stock_recheck(s.variant_id) FROM stock_levels s "
            "JOIN product_variants v ON v.company_id = s.company_id AND v.id = s.variant_id "
            "JOIN products p ON p.company_id = v.company_id AND p.id = v.product_id "
            "WHERE s.company_id = :c AND p.category = :k AND s.reorder_level = 0"),
            {"c": self.company_id, "k": category})

    def category_rules(self) -> dict[str, tuple[int, int]]:
        rows = self.session.execute(text(
            "SELECT category, reorder_level, reorder_quantity FROM reorder_rules WHERE company_id = :c"),
            {"c": self.company_id}).all()
        return {category: (int(level), int(quantity)) for category, level, quantity in rows}

    def alerts(self, statuses: Sequence[str] = ("open", "ordered")) -> list[AlertRow]:
        return self._records(AlertRow, _ALERTS, (self.company_id, list(statuses)))

    def mark_alerts(self, alert_ids: Sequence[uuid.UUID], status: str, user_id: uuid.UUID | None,
                    purchase_order_id: uuid.UUID | None = None) -> int:
        result = self.session.execute(text(
            "UPDATE low_stock_alerts SET status = :s, handled_by = :u, "
            "purchase_order_id = coalesce(:po, purchase_order_id) "
            "WHERE company_id = :c AND id = ANY(:ids) AND status IN ('open', 'ordered')"),
            {"c": self.company_id, "ids": list(alert_ids), "s": status, "u": user_id, "po": purchase_order_id})
        return int(result.rowcount)  # type: ignore[attr-defined]

    # --- reservations (dispensing's orders) -------------------------------------------------------
    def reserve(self, variant_id: uuid.UUID, quantity: int, order_id: uuid.UUID | None,
                user_id: uuid.UUID | None) -> uuid.UUID:
        new = uuid.uuid4()
        self.session.execute(text(
            "INSERT INTO stock_reservations (company_id, id, variant_id, order_id, quantity, reserved_by) "
            "VALUES (:c, :i, :v, :o, :q, :u)"),
            {"c": self.company_id, "i": new, "v": variant_id, "o": order_id, "q": quantity, "u": user_id})
        return new

    def settle_reservation(self, reservation_id: uuid.UUID,
                           status: str) -> tuple[uuid.UUID, int, uuid.UUID | None]:
        row = self.session.execute(text(
            "UPDATE stock_reservations SET status = :s WHERE company_id = :c AND id = :i AND status = 'held' "
            "RETURNING variant_id, quantity, order_id"), {"c": self.company_id, "i": reservation_id, "s": status}
        ).first()
        if row is None:
            raise LookupError("no held reservation")
        return row[0], int(row[1]), row[2]

    # --- contact lenses ---------------------------------------------------------------------------
    def save_contact_lens(self, variant_id: uuid.UUID, values: dict[str, Any]) -> None:
        columns = ["base_curve", "diameter", "sphere", "cylinder", "axis", "addition", "pack_size", "expiry_on",
                   "is_trial"]
        self.session.execute(text(
            "INSERT INTO contact_lens_inventory (company_id, variant_id, " + ", ".join(columns) + ") VALUES (:c, :v, "
            + ", ".join(f":{c}" for c in columns) + ") ON CONFLICT (company_id, variant_id) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in columns)),
            {"c": self.company_id, "v": variant_id, **{c: values.get(c) for c in columns}})

    def contact_lenses(self, *, expiring_before: date | None = None, trial: bool | None = None,
                       words: Sequence[str] = ()) -> list[ContactLensRow]:
        sql = _CONTACT_LENSES
        params: list[Any] = [self.company_id]
        if expiring_before is not None:
            sql += " AND c.expiry_on <= %s AND coalesce(s.on_hand, 0) > 0"
            params.append(expiring_before)
        if trial is not None:
            sql += " AND c.is_trial = %s"
            params.append(trial)
        for word in words:
            sql += " AND v.search_name LIKE ils_search_text(%s)"
            params.append(like(word))
        sql += " ORDER BY c.expiry_on NULLS LAST, p.brand, c.sphere LIMIT 500"
        return self._records(ContactLensRow, sql, params)
