"""Suppliers and purchase orders of one company (with their lines and what has come in)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from ils_desktop.repositories.base import TenantRepository
from ils_desktop.repositories.counters import CounterRepository


@dataclass(frozen=True)
class Supplier:
    id: uuid.UUID
    name: str
    supplier_company_id: uuid.UUID | None
    account_number: str | None
    payment_terms: str | None
    lead_time_days: int
    email: str | None
    phone: str | None
    address: str | None
    is_active: bool


@dataclass(frozen=True)
class OrderSummary:
    id: uuid.UUID
    number: int
    supplier: str
    status: str
    created_at: datetime
    expected_on: date | None
    lines: int
    units_ordered: int
    units_received: int
    total: Decimal


@dataclass(frozen=True)
class OrderLine:
    line_number: int
    variant_id: uuid.UUID
    name: str
    barcode: str | None
    sku: str | None
    quantity_ordered: int
    quantity_received: int
    unit_cost: Decimal
    source: str


@dataclass(frozen=True)
class OrderHeader:
    id: uuid.UUID
    number: int
    status: str
    supplier_id: uuid.UUID
    supplier: str
    account_number: str | None
    payment_terms: str | None
    supplier_email: str | None
    supplier_address: str | None
    location_id: uuid.UUID
    location: str
    expected_on: date | None
    notes: str | None
    created_at: datetime
    sent_at: datetime | None
    created_by: str


_SUPPLIER_COLUMNS = ("id, name, supplier_company_id, account_number, payment_terms, lead_time_days, email, phone, "
                     "address, is_active")

_ORDERS = """
SELECT o.id, o.number, s.name AS supplier, o.status, o.created_at, o.expected_on,
       count(l.line_number)::int AS lines, coalesce(sum(l.quantity_ordered), 0)::int AS units_ordered,
       coalesce(sum(l.quantity_received), 0)::int AS units_received,
       coalesce(sum(l.quantity_ordered * l.unit_cost), 0) AS total
  FROM purchase_orders o
  JOIN company_supplier_relationships s ON s.company_id = o.company_id AND s.id = o.supplier_id
  LEFT JOIN po_line_items l ON l.company_id = o.company_id AND l.purchase_order_id = o.id
 WHERE o.company_id = %s AND o.status = ANY(%s)
 GROUP BY o.company_id, o.id, s.name
 ORDER BY o.number DESC
 LIMIT 500
"""

_HEADER = """
SELECT o.id, o.number, o.status, o.supplier_id, s.name AS supplier, s.account_number, s.payment_terms,
       s.email AS supplier_email, s.address AS supplier_address, o.location_id, l.name AS location, o.expected_on,
       o.notes, o.created_at, o.sent_at, coalesce(u.first_name || ' ' || u.last_name, '') AS created_by
  FROM purchase_orders o
  JOIN company_supplier_relationships s ON s.company_id = o.company_id AND s.id = o.supplier_id
  JOIN stock_locations l ON l.company_id = o.company_id AND l.id = o.location_id
  LEFT JOIN users u ON u.company_id = o.company_id AND u.id = o.created_by
 WHERE o.company_id = %s AND o.id = %s
"""

_LINES = """
SELECT l.line_number, l.variant_id, v.name, v.barcode, v.sku, l.quantity_ordered, l.quantity_received, l.unit_cost,
       l.source
  FROM po_line_items l JOIN product_variants v ON v.company_id = l.company_id AND v.id = l.variant_id
 WHERE l.company_id = %s AND l.purchase_order_id = %s
 ORDER BY l.line_number
"""


class PurchasingRepository(TenantRepository):
    # --- suppliers --------------------------------------------------------------------------------
    def suppliers(self, *, include_inactive: bool = False) -> list[Supplier]:
        sql = f"SELECT {_SUPPLIER_COLUMNS} FROM company_supplier_relationships WHERE company_id = %s"
        if not include_inactive:
            sql += " AND is_active"
        return self._records(Supplier, sql + " ORDER BY name", (self.company_id,))

    def supplier(self, supplier_id: uuid.UUID) -> Supplier | None:
        return self._record(Supplier, f"SELECT {_SUPPLIER_COLUMNS} FROM company_supplier_relationships "
                                      "WHERE company_id = %s AND id = %s", (self.company_id, supplier_id))

    def save_supplier(self, supplier_id: uuid.UUID | None, values: dict[str, Any]) -> uuid.UUID:
        columns = ["name", "supplier_company_id", "account_number", "payment_terms", "lead_time_days", "email",
                   "phone", "address"]
        params = {"c": self.company_id, **{c: values.get(c) for c in columns}}
        if supplier_id is None:
            supplier_id = uuid.uuid4()
            self.session.execute(text(
                "INSERT INTO company_supplier_relationships (company_id, id, " + ", ".join(columns) + ") "
                "VALUES (:c, :id, " + ", ".join(f":{c}" for c in columns) + ")"), {**params, "id": supplier_id})
        else:
            self.session.execute(text(
                "UPDATE company_supplier_relationships SET " + ", ".join(f"{c} = :{c}" for c in columns)
                + " WHERE company_id = :c AND id = :id"), {**params, "id": supplier_id})
        return supplier_id

    # --- orders -----------------------------------------------------------------------------------
    def create_order(self, supplier_id: uuid.UUID, location_id: uuid.UUID, created_by: uuid.UUID | None,
                     at: datetime, expected_on: date | None, notes: str | None) -> tuple[uuid.UUID, int]:
        number = CounterRepository(self.session, self.context).next_value("purchase_order")
        order_id = uuid.uuid4()
        self.session.execute(text(
            "INSERT INTO purchase_orders (company_id, id, number, supplier_id, location_id, created_by, created_at, "
            "expected_on, notes) VALUES (:c, :i, :n, :s, :l, :u, :at, :e, :notes)"),
            {"c": self.company_id, "i": order_id, "n": number, "s": supplier_id, "l": location_id, "u": created_by,
             "at": at, "e": expected_on, "notes": notes})
        return order_id, number

    def add_lines(self, order_id: uuid.UUID, lines: Sequence[tuple[uuid.UUID, int, Decimal, str]]) -> None:
        """Add ``(variant, quantity, unit cost, source)`` lines; a variant already on the order has its
        quantity raised instead."""
        current = {line.variant_id: line for line in self.lines(order_id)}
        next_number = max((line.line_number for line in current.values()), default=0) + 1
        for variant_id, quantity, unit_cost, source in lines:
            if variant_id in current:
                self.session.execute(text(
                    "UPDATE po_line_items SET quantity_ordered = quantity_ordered + :q WHERE company_id = :c "
                    "AND purchase_order_id = :o AND variant_id = :v"),
                    {"c": self.company_id, "o": order_id, "v": variant_id, "q": quantity})
                continue
            self.session.execute(text(
                "INSERT INTO po_line_items (company_id, purchase_order_id, line_number, variant_id, quantity_ordered, "
                "unit_cost, source) VALUES (:c, :o, :n, :v, :q, :cost, :src)"),
                {"c": self.company_id, "o": order_id, "n": next_number, "v": variant_id, "q": quantity,
                 "cost": unit_cost, "src": source})
            current[variant_id] = OrderLine(next_number, variant_id, "", None, None, quantity, 0, unit_cost, source)
            next_number += 1

    def set_line(self, order_id: uuid.UUID, line_number: int, quantity: int, unit_cost: Decimal) -> None:
        self.session.execute(text(
            "UPDATE po_line_items SET quantity_ordered = :q, unit_cost = :cost WHERE company_id = :c "
            "AND purchase_order_id = :o AND line_number = :n"),
            {"c": self.company_id, "o": order_id, "n": line_number, "q": quantity, "cost": unit_cost})

    def remove_line(self, order_id: uuid.UUID, line_number: int) -> None:
        """Remove a line (the database allows it on a draft order only)."""
        self.session.execute(text(
            "DELETE FROM po_line_items WHERE company_id = :c AND purchase_order_id = :o AND line_number = :n"),
            {"c": self.company_id, "o": order_id, "n": line_number})

    def orders(self, statuses: Sequence[str]) -> list[OrderSummary]:
        return self._records(OrderSummary, _ORDERS, (self.company_id, list(statuses)))

    def header(self, order_id: uuid.UUID, *, lock: bool = False) -> OrderHeader | None:
        if lock:
            self.session.execute(text("SELECT 1 FROM purchase_orders WHERE company_id = :c AND id = :i FOR UPDATE"),
                                 {"c": self.company_id, "i": order_id})
        return self._record(OrderHeader, _HEADER, (self.company_id, order_id))

    def lines(self, order_id: uuid.UUID) -> list[OrderLine]:
        return self._records(OrderLine, _LINES, (self.company_id, order_id))

    def set_status(self, order_id: uuid.UUID, status: str, at: datetime, reason: str | None = None) -> None:
        self.session.execute(text(
            "UPDATE purchase_orders SET status = :s, status_reason = coalesce(:r, status_reason), "
            "sent_at = CASE WHEN :s = 'sent' THEN :at ELSE sent_at END, "
            "closed_at = CASE WHEN :s IN ('closed', 'cancelled') THEN :at ELSE closed_at END "
            "WHERE company_id = :c AND id = :i"),
            {"c": self.company_id, "i": order_id, "s": status, "at": at, "r": reason})

    def receive_line(self, order_id: uuid.UUID, line_number: int, quantity: int) -> None:
        self.session.execute(text(
            "UPDATE po_line_items SET quantity_received = quantity_received + :q WHERE company_id = :c "
            "AND purchase_order_id = :o AND line_number = :n"),
            {"c": self.company_id, "o": order_id, "n": line_number, "q": quantity})
