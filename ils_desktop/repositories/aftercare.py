"""After-care rows: non-adapts, quality issues, returns, and the month's costs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import text

from ils_desktop.models.dispensing import NonAdapt, OrderReturn, QualityIssue
from ils_desktop.repositories.base import TenantRepository


@dataclass(frozen=True)
class AftercareLine:
    kind: str  # "non_adapt" or "quality_issue"
    id: uuid.UUID
    order_id: uuid.UUID
    order_number: int
    patient_name: str
    what: str
    remake_number: int | None
    cost: Decimal
    borne_by: str
    status: str
    raised_at: datetime


_LINES = """
SELECT {kind} AS kind, x.id, x.order_id, o.number AS order_number, p.first_name || ' ' || p.last_name AS patient_name,
       {what} AS what, r.number AS remake_number, x.cost, {borne} AS borne_by, {status} AS status,
       {raised} AS raised_at
  FROM {table} x JOIN orders o ON o.company_id = x.company_id AND o.id = x.order_id
  JOIN patients p ON p.company_id = o.company_id AND p.id = o.patient_id
  LEFT JOIN orders r ON r.company_id = x.company_id AND r.id = x.remake_order_id
 WHERE x.company_id = %(c)s
"""
NON_ADAPTS = _LINES.format(kind="'non_adapt'", what="x.complaint", borne="x.cost_borne_by", status="x.status",
                           raised="x.opened_at", table="non_adapts")
PROBLEMS = "array_to_string(ARRAY(SELECT jsonb_array_elements_text(x.problems)), '; ')"
ISSUES = _LINES.format(kind="'quality_issue'", what=PROBLEMS,
                       borne="x.fault", status="CASE WHEN x.remake_order_id IS NULL THEN 'open' ELSE 'remade' END",
                       raised="x.raised_at", table="quality_issues")


class AftercareRepository(TenantRepository):
    def add(self, row: NonAdapt | OrderReturn, *, idempotent: bool = False):  # type: ignore[no-untyped-def]
        if idempotent and self.session.get(type(row), (self.company_id, row.id)) is not None:
            return row
        self._add(row)
        self.session.flush()
        return row

    def non_adapt(self, non_adapt_id: uuid.UUID) -> NonAdapt | None:
        return self.session.get(NonAdapt, (self.company_id, non_adapt_id))

    def quality_issue(self, issue_id: uuid.UUID) -> QualityIssue | None:
        return self.session.get(QualityIssue, (self.company_id, issue_id))

    def open_non_adapts(self) -> list[AftercareLine]:
        return self._records(AftercareLine, NON_ADAPTS + " AND x.status = 'open' ORDER BY x.opened_at",
                             {"c": self.company_id})  # type: ignore[arg-type]

    def raised_since(self, first: date) -> list[AftercareLine]:
        """Quality issues and non-adapts raised since ``first``, newest first."""
        return self._records(AftercareLine, (
            f"SELECT * FROM ({NON_ADAPTS} AND x.opened_at >= %(d)s UNION ALL {ISSUES} AND x.raised_at >= %(d)s) a "
            "ORDER BY raised_at DESC"), {"c": self.company_id, "d": first})  # type: ignore[arg-type]

    def sale_by_key(self, key: uuid.UUID) -> tuple[uuid.UUID, Decimal] | None:
        """The till's sale recorded under ``key`` (read, never written here)."""
        row = self.session.execute(text(
            "SELECT id, total FROM pos_transactions WHERE company_id = :c AND idempotency_key = :k"),
            {"c": self.company_id, "k": key}).first()
        return (row.id, row.total) if row else None
