"""Demand forecasts: weekly sales per category and for the best-selling variants, forecast with
Holt-Winters (``domain.demand_models``), each with its method, learned seasonal pattern and rolling
back-test (MASE, MAPE) stored as one run; and order quantities suggested from them.

A run reads the ledger's sales, fits the models (seconds per series: the screen runs it off the GUI
thread and shows progress through ``progress``) and writes the run in one transaction.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.demand_models import SeriesForecast, forecast_series
from ils_desktop.domain.forecasting import suggested_order, week_start, weekly_series
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.repositories.forecasts import AccuracyRow, ForecastPoint, ForecastRepository
from ils_desktop.repositories.inventory import StockRepository
from ils_desktop.repositories.purchasing import PurchasingRepository
from ils_desktop.services import clock
from ils_desktop.services.use_case import use_case

__all__ = ["AccuracyRow", "ForecastPoint"]

HISTORY_YEARS = 3
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ForecastRun:
    run_id: uuid.UUID
    series: int
    beat_naive: int  # series whose back-test beat the seasonal-naive forecast


@dataclass(frozen=True)
class SeriesView:
    scope: str
    key: str
    label: str
    weeks: list[date]
    history: list[float]
    forecast: list[ForecastPoint]
    accuracy: AccuracyRow | None


@dataclass(frozen=True)
class ForecastView:
    run_id: uuid.UUID | None
    made_at: object
    series: list[SeriesView]


@dataclass(frozen=True)
class Suggestion:
    variant_id: uuid.UUID
    name: str
    forecast_units: float
    on_hand: int
    on_order: int
    quantity: int
    unit_cost: Decimal | None
    supplier: str | None


def _series(uow: TenantUnitOfWork, top: int) -> tuple[dict[tuple[str, str], tuple[list[date], list[float]]],
                                                       dict[str, str]]:
    repository = uow.repository(ForecastRepository)
    today = clock.now().date()
    since_day = today - timedelta(days=365 * HISTORY_YEARS)
    since = clock.now() - timedelta(days=365 * HISTORY_YEARS)
    last = week_start(today) - timedelta(days=1)  # the last complete week
    found: dict[tuple[str, str], list[tuple[date, int]]] = defaultdict(list)
    for key, day, units in repository.daily_sales(since, by="category"):
        found[("category", key)].append((day, units))
    variants = repository.top_variants(since, top) if top else []
    for key, day, units in repository.daily_sales(since, by="variant", variant_ids=variants):
        found[("variant", key)].append((day, units))
    series = {}
    for name, sales in found.items():
        first = max(min(day for day, _ in sales), since_day)
        if first > last:
            continue
        series[name] = weekly_series(sales, first, last)
    return series, repository.variant_names(variants)


@use_case(permission="inventory.manage")
def run_forecasts(uow: TenantUnitOfWork, top_variants: int = 20, horizon: int = 12,
                  progress: Progress | None = None) -> ForecastRun:
    """Forecast the next ``horizon`` weeks for every category and the ``top_variants`` best sellers,
    with a rolling back-test of each; stored as one run."""
    if not 1 <= horizon <= 52 or not 0 <= top_variants <= 200:
        raise ValidationFailed({"horizon": "Forecast 1 to 52 weeks ahead, for at most 200 items."})
    series, _names = _series(uow, top_variants)
    if not series:
        raise UserFacingError("There are no sales to forecast from yet.")
    forecasts, patterns, accuracy = [], [], []
    beat = 0
    for done, ((scope, key), (weeks, values)) in enumerate(sorted(series.items()), start=1):
        if progress is not None:
            progress(done - 1, len(series), key)
        result: SeriesForecast = forecast_series(values, horizon)
        fitted, measured = result.fitted, result.accuracy
        ids = {"scope": scope, "category": key if scope == "category" else None,
               "variant_id": uuid.UUID(key) if scope == "variant" else None}
        next_week = weeks[-1] + timedelta(days=7)
        for h in range(horizon):
            forecasts.append({**ids, "week_start": next_week + timedelta(days=7 * h),
                              "quantity": _dec(fitted.forecast[h]), "lower": _dec(fitted.lower[h]),
                              "upper": _dec(fitted.upper[h]), "method": fitted.method})
        level = fitted.level if fitted.level > 0 else None
        for index, effect in enumerate(fitted.seasonal, start=1):
            factor = 1 + effect / level if level else 1.0
            patterns.append({**ids, "season_index": index, "factor": _dec(max(factor, 0.0), "0.0001")})
        accuracy.append({**ids, "method": measured.method, "mase": _opt(measured.mase), "mape": _opt(measured.mape),
                         "naive_mase": _opt(measured.naive_mase), "folds": measured.folds,
                         "horizon": measured.horizon})
        if measured.mase is not None and measured.naive_mase is not None and measured.mase < measured.naive_mase:
            beat += 1
    if progress is not None:
        progress(len(series), len(series), "saving")
    run_id = uuid.uuid4()
    uow.repository(ForecastRepository).save_run(run_id, clock.now(), forecasts, patterns, accuracy)
    uow.commit()
    return ForecastRun(run_id, len(series), beat)


def _dec(value: float, places: str = "0.01") -> Decimal:
    return Decimal(str(value)).quantize(Decimal(places), ROUND_HALF_UP)


def _opt(value: float | None) -> Decimal | None:
    return None if value is None else _dec(min(value, 999999.0), "0.0001")


@use_case(permission="inventory.manage", read_only=True)
def latest_forecasts(uow: TenantUnitOfWork) -> ForecastView:
    """The latest run with each series' weekly history, forecast, interval and accuracy."""
    repository = uow.repository(ForecastRepository)
    latest = repository.latest_run()
    if latest is None:
        return ForecastView(None, None, [])
    run_id, made_at = latest
    points = repository.run_points(run_id)
    accuracy = {(a.scope, a.key): a for a in repository.run_accuracy(run_id)}
    by_series: dict[tuple[str, str], list[ForecastPoint]] = defaultdict(list)
    for point in points:
        by_series[(point.scope, point.key)].append(point)
    variant_ids = [uuid.UUID(key) for scope, key in by_series if scope == "variant"]
    history, names = _series(uow, 0)
    if variant_ids:
        today = clock.now().date()
        sales = repository.daily_sales(clock.now() - timedelta(days=365 * HISTORY_YEARS), by="variant",
                                       variant_ids=variant_ids)
        grouped: dict[str, list[tuple[date, int]]] = defaultdict(list)
        for key, day, units in sales:
            grouped[key].append((day, units))
        last = week_start(today) - timedelta(days=1)
        for key, found in grouped.items():
            history[("variant", key)] = weekly_series(found, min(d for d, _ in found), last)
        names = repository.variant_names(variant_ids)
    labels = {"frame": "Frames", "sunglasses": "Sunglasses", "contact_lens": "Contact lenses",
              "solution": "Solutions", "accessory": "Accessories", "spectacle_lens": "Spectacle lenses",
              "lens_option": "Lens options", "service": "Services"}
    views = []
    for (scope, key), forecast in sorted(by_series.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        weeks, values = history.get((scope, key), ([], []))
        label = labels.get(key, key) if scope == "category" else names.get(key, key)
        views.append(SeriesView(scope, key, label, weeks, values, forecast, accuracy.get((scope, key))))
    return ForecastView(run_id, made_at, views)


@use_case(permission="inventory.manage", read_only=True)
def suggested_orders(uow: TenantUnitOfWork, cover_weeks: int = 4, lead_time_weeks: int = 1) -> list[Suggestion]:
    """For each forecast variant: units to order so stock covers the lead time and ``cover_weeks``
    of forecast demand (``domain.forecasting.suggested_order``); only those needing some."""
    repository = uow.repository(ForecastRepository)
    latest = repository.latest_run()
    if latest is None:
        return []
    by_variant: dict[str, list[float]] = defaultdict(list)
    for point in repository.run_points(latest[0]):
        if point.scope == "variant":
            by_variant[point.key].append(float(point.quantity))
    stock = uow.repository(StockRepository)
    found = []
    for key, forecast in by_variant.items():
        row = stock.stock_row(uuid.UUID(key))
        if row is None or not row.track_stock:
            continue
        quantity = suggested_order(forecast, lead_time_weeks, cover_weeks, row.on_hand, row.on_order)
        if quantity > 0:
            found.append(Suggestion(row.variant_id, row.name, sum(forecast[:lead_time_weeks + cover_weeks]),
                                    row.on_hand, row.on_order, quantity, row.average_cost or row.cost_price,
                                    row.supplier))
    return sorted(found, key=lambda s: s.name)


@use_case(permission="inventory.manage")
def draft_order_from_forecast(uow: TenantUnitOfWork, supplier_id: uuid.UUID,
                              lines: tuple[tuple[uuid.UUID, int], ...]) -> uuid.UUID:
    """A draft order with the suggested quantities (``(variant, quantity)``), marked as from the forecast."""
    if not lines or any(quantity <= 0 for _v, quantity in lines):
        raise ValidationFailed({"lines": "Choose the suggestions to order."})
    purchasing = uow.repository(PurchasingRepository)
    if purchasing.supplier(supplier_id) is None:
        raise ValidationFailed({"supplier": "Choose a supplier."})
    stock = uow.repository(StockRepository)
    order_id, _number = purchasing.create_order(supplier_id, stock.default_location(), uow.context.user_id,
                                                clock.now(), None, "from the demand forecast")
    costs = {}
    for variant_id, _q in lines:
        row = stock.stock_row(variant_id)
        costs[variant_id] = (row.average_cost or row.cost_price or Decimal(0)) if row else Decimal(0)
    purchasing.add_lines(order_id, [(v, q, Decimal(costs[v]).quantize(Decimal("0.01")), "forecast")
                                    for v, q in lines])
    uow.commit()
    return order_id
