"""Sales history for forecasting, and forecast runs (forecasts, seasonal patterns, accuracy)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from ils_desktop.repositories.base import TenantRepository

# Units sold per day (sales less refunds/voids/exchanges returned), by category or by variant, on the
# practice's calendar (Europe/London).
_DAILY = """
SELECT {key} AS key, (m.occurred_at AT TIME ZONE 'Europe/London')::date AS day, -sum(m.quantity)::int AS units
  FROM inventory_movements m
  JOIN product_variants v ON v.company_id = m.company_id AND v.id = m.variant_id
  JOIN products p ON p.company_id = v.company_id AND p.id = v.product_id
 WHERE m.company_id = :c AND m.reason IN ('sale', 'refund', 'exchange', 'void') AND m.occurred_at >= :since
   {extra}
 GROUP BY 1, 2
"""

_TOP = """
SELECT m.variant_id FROM inventory_movements m
 WHERE m.company_id = :c AND m.reason = 'sale' AND m.occurred_at >= :since
 GROUP BY m.variant_id ORDER BY -sum(m.quantity) DESC LIMIT :n
"""


@dataclass(frozen=True)
class ForecastPoint:
    scope: str
    key: str  # the category, or the variant id as text
    week_start: date
    quantity: Decimal
    lower: Decimal
    upper: Decimal
    method: str


@dataclass(frozen=True)
class AccuracyRow:
    scope: str
    key: str
    method: str
    mase: Decimal | None
    mape: Decimal | None
    naive_mase: Decimal | None
    folds: int
    horizon_weeks: int


class ForecastRepository(TenantRepository):
    def daily_sales(self, since: datetime, *, by: str, variant_ids: Sequence[uuid.UUID] = ()
                    ) -> list[tuple[str, date, int]]:
        key = "p.category" if by == "category" else "m.variant_id::text"
        extra = "AND m.variant_id = ANY(:ids)" if by == "variant" else ""
        rows = self.session.execute(text(_DAILY.format(key=key, extra=extra)),
                                    {"c": self.company_id, "since": since, "ids": list(variant_ids)}).all()
        return [(str(k), d, int(u)) for k, d, u in rows]

    def top_variants(self, since: datetime, count: int) -> list[uuid.UUID]:
        return [row[0] for row in self.session.execute(text(_TOP), {"c": self.company_id, "since": since,
                                                                    "n": count}).all()]

    def variant_names(self, ids: Sequence[uuid.UUID]) -> dict[str, str]:
        rows = self.session.execute(text("SELECT id::text, name FROM product_variants WHERE company_id = :c "
                                         "AND id = ANY(:ids)"), {"c": self.company_id, "ids": list(ids)}).all()
        return {k: n for k, n in rows}

    def save_run(self, run_id: uuid.UUID, at: datetime, forecasts: list[dict[str, Any]],
                 patterns: list[dict[str, Any]], accuracy: list[dict[str, Any]]) -> None:
        base = {"company_id": self.company_id, "run_id": run_id}
        if forecasts:
            self.session.execute(text(
                "INSERT INTO demand_forecasts (company_id, id, run_id, scope, category, variant_id, week_start, "
                "quantity, lower, upper, method, created_at) VALUES (:company_id, gen_random_uuid(), :run_id, :scope, "
                ":category, :variant_id, :week_start, :quantity, :lower, :upper, :method, :at)"),
                [{**base, "at": at, **row} for row in forecasts])
        if patterns:
            self.session.execute(text(
                "INSERT INTO seasonal_patterns (company_id, id, run_id, scope, category, variant_id, season_index, "
                "factor) VALUES (:company_id, gen_random_uuid(), :run_id, :scope, :category, :variant_id, "
                ":season_index, :factor)"), [{**base, **row} for row in patterns])
        if accuracy:
            self.session.execute(text(
                "INSERT INTO forecast_accuracy_metrics (company_id, id, run_id, scope, category, variant_id, method, "
                "mase, mape, naive_mase, folds, horizon_weeks, evaluated_at) VALUES (:company_id, gen_random_uuid(), "
                ":run_id, :scope, :category, :variant_id, :method, :mase, :mape, :naive_mase, :folds, :horizon, :at)"),
                [{**base, "at": at, **row} for row in accuracy])

    def latest_run(self) -> tuple[uuid.UUID, datetime] | None:
        row = self.session.execute(text(
            "SELECT run_id, max(created_at) FROM demand_forecasts WHERE company_id = :c GROUP BY run_id "
            "ORDER BY 2 DESC LIMIT 1"), {"c": self.company_id}).first()
        return None if row is None else (row[0], row[1])

    def run_points(self, run_id: uuid.UUID) -> list[ForecastPoint]:
        return self._records(ForecastPoint, (
            "SELECT scope, coalesce(category, variant_id::text) AS key, week_start, quantity, lower, upper, method "
            "FROM demand_forecasts WHERE company_id = %s AND run_id = %s ORDER BY scope, key, week_start"),
            (self.company_id, run_id))

    def run_accuracy(self, run_id: uuid.UUID) -> list[AccuracyRow]:
        return self._records(AccuracyRow, (
            "SELECT scope, coalesce(category, variant_id::text) AS key, method, mase, mape, naive_mase, folds, "
            "horizon_weeks FROM forecast_accuracy_metrics WHERE company_id = %s AND run_id = %s ORDER BY scope, key"),
            (self.company_id, run_id))
