"""Stocktakes of one company: the frozen count sheet, the counters' scans, and the sheet read back
with what moved between the freeze and each line's first count."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import text

from ils_desktop.repositories.base import TenantRepository
from ils_desktop.repositories.counters import CounterRepository


@dataclass(frozen=True)
class StocktakeHeader:
    id: uuid.UUID
    number: int
    location_id: uuid.UUID
    location: str
    category: str | None
    status: str
    frozen_at: datetime
    started_by: str
    approved_by: str | None
    posted_at: datetime | None
    lines: int
    counted_lines: int
    scans: int


@dataclass(frozen=True)
class SheetRow:
    variant_id: uuid.UUID
    name: str
    barcode: str | None
    frozen: int
    counted: int | None
    first_counted_at: datetime | None
    moved_before_count: int
    unit_cost: Decimal | None
    counters: str | None


_HEADER = """
SELECT t.id, t.number, t.location_id, l.name AS location, t.category, t.status, t.frozen_at,
       coalesce(u.first_name || ' ' || u.last_name, '') AS started_by,
       a.first_name || ' ' || a.last_name AS approved_by, t.posted_at,
       (SELECT count(*)::int FROM stocktake_lines x WHERE x.company_id = t.company_id AND x.stocktake_id = t.id)
         AS lines,
       (SELECT count(DISTINCT c.variant_id)::int FROM stocktake_counts c
         WHERE c.company_id = t.company_id AND c.stocktake_id = t.id) AS counted_lines,
       (SELECT count(*)::int FROM stocktake_counts c WHERE c.company_id = t.company_id AND c.stocktake_id = t.id)
         AS scans
  FROM stocktakes t
  JOIN stock_locations l ON l.company_id = t.company_id AND l.id = t.location_id
  LEFT JOIN users u ON u.company_id = t.company_id AND u.id = t.started_by
  LEFT JOIN users a ON a.company_id = t.company_id AND a.id = t.approved_by
 WHERE t.company_id = %s
"""

# Movements between the freeze and a line's first count, other than this stocktake's own.
_SHEET = """
WITH counts AS (
  SELECT c.variant_id, sum(c.quantity)::int AS counted, min(c.counted_at) AS first_at,
         string_agg(DISTINCT u.first_name, ', ') AS counters
    FROM stocktake_counts c LEFT JOIN users u ON u.company_id = c.company_id AND u.id = c.counted_by
   WHERE c.company_id = %(c)s AND c.stocktake_id = %(t)s
   GROUP BY c.variant_id
)
SELECT l.variant_id, v.name, v.barcode, l.expected AS frozen, k.counted, k.first_at AS first_counted_at,
       coalesce((SELECT sum(m.quantity) FROM inventory_movements m
                  WHERE m.company_id = l.company_id AND m.variant_id = l.variant_id AND m.location_id = t.location_id
                    AND m.occurred_at > t.frozen_at AND m.occurred_at <= coalesce(k.first_at, %(now)s)
                    AND m.stocktake_id IS DISTINCT FROM t.id), 0)::int AS moved_before_count,
       coalesce(s.average_cost, v.cost_price) AS unit_cost, k.counters
  FROM stocktake_lines l
  JOIN stocktakes t ON t.company_id = l.company_id AND t.id = l.stocktake_id
  JOIN product_variants v ON v.company_id = l.company_id AND v.id = l.variant_id
  LEFT JOIN stock_levels s ON s.company_id = l.company_id AND s.variant_id = l.variant_id
  LEFT JOIN counts k ON k.variant_id = l.variant_id
 WHERE l.company_id = %(c)s AND l.stocktake_id = %(t)s
 ORDER BY v.name
"""


class StocktakeRepository(TenantRepository):
    def start(self, location_id: uuid.UUID, category: str | None, user_id: uuid.UUID | None,
              at: datetime) -> tuple[uuid.UUID, int]:
        """A new stocktake with its sheet frozen: every counted, active variant (of ``category``) with
        what the ledger holds at the location now (zero where it holds none)."""
        number = CounterRepository(self.session, self.context).next_value("stocktake")
        stocktake_id = uuid.uuid4()
        self.session.execute(text(
            "INSERT INTO stocktakes (company_id, id, number, location_id, category, started_by, frozen_at) "
            "VALUES (:c, :i, :n, :l, :k, :u, :at)"),
            {"c": self.company_id, "i": stocktake_id, "n": number, "l": location_id, "k": category, "u": user_id,
             "at": at})
        self.session.execute(text(
            "INSERT INTO stocktake_lines (company_id, stocktake_id, variant_id, expected) "
            "SELECT v.company_id, :i, v.id, coalesce(b.on_hand, 0) FROM product_variants v "
            "JOIN products p ON p.company_id = v.company_id AND p.id = v.product_id "
            "LEFT JOIN stock_balances b ON b.company_id = v.company_id AND b.variant_id = v.id "
            "AND b.location_id = :l WHERE v.company_id = :c AND v.track_stock AND v.is_active "
            "AND (CAST(:k AS text) IS NULL OR p.category = :k)"),
            {"c": self.company_id, "i": stocktake_id, "l": location_id, "k": category})
        return stocktake_id, number

    def headers(self, stocktake_id: uuid.UUID | None = None) -> list[StocktakeHeader]:
        if stocktake_id is None:
            return self._records(StocktakeHeader, _HEADER + " ORDER BY t.number DESC LIMIT 100", (self.company_id,))
        return self._records(StocktakeHeader, _HEADER + " AND t.id = %s", (self.company_id, stocktake_id))

    def lock(self, stocktake_id: uuid.UUID) -> str | None:
        return self.session.execute(text(  # type: ignore[no-any-return]
            "SELECT status FROM stocktakes WHERE company_id = :c AND id = :i FOR UPDATE"),
            {"c": self.company_id, "i": stocktake_id}).scalar()

    def on_sheet(self, stocktake_id: uuid.UUID, code: str) -> tuple[uuid.UUID, str] | None:
        row = self.session.execute(text(
            "SELECT v.id, v.name FROM stocktake_lines l JOIN product_variants v ON v.company_id = l.company_id "
            "AND v.id = l.variant_id WHERE l.company_id = :c AND l.stocktake_id = :t "
            "AND (v.barcode = :code OR v.sku = :code) LIMIT 1"),
            {"c": self.company_id, "t": stocktake_id, "code": code}).first()
        return None if row is None else (row[0], row[1])

    def count(self, stocktake_id: uuid.UUID, variant_id: uuid.UUID, quantity: int, user_id: uuid.UUID | None,
              workstation: str | None, at: datetime) -> int:
        """Record one scan (or typed count); the line's count so far."""
        self.session.execute(text(
            "INSERT INTO stocktake_counts (company_id, id, stocktake_id, variant_id, quantity, counted_by, "
            "workstation, counted_at) VALUES (:c, :i, :t, :v, :q, :u, :w, :at)"),
            {"c": self.company_id, "i": uuid.uuid4(), "t": stocktake_id, "v": variant_id, "q": quantity, "u": user_id,
             "w": workstation, "at": at})
        return int(self.session.execute(text(
            "SELECT coalesce(sum(quantity), 0) FROM stocktake_counts WHERE company_id = :c AND stocktake_id = :t "
            "AND variant_id = :v"), {"c": self.company_id, "t": stocktake_id, "v": variant_id}).scalar_one())

    def sheet(self, stocktake_id: uuid.UUID, now: datetime) -> list[SheetRow]:
        driver = self.session.connection().connection.driver_connection
        from psycopg.rows import class_row

        with driver.cursor(row_factory=class_row(SheetRow)) as cursor:  # type: ignore[union-attr]
            return cursor.execute(_SHEET, {"c": self.company_id, "t": stocktake_id, "now": now}).fetchall()

    def finish(self, stocktake_id: uuid.UUID, status: str, approved_by: uuid.UUID | None, at: datetime) -> None:
        self.session.execute(text(
            "UPDATE stocktakes SET status = :s, approved_by = :a, posted_at = :at WHERE company_id = :c AND id = :i"),
            {"c": self.company_id, "i": stocktake_id, "s": status, "a": approved_by, "at": at})
