"""Demand forecasting: weekly sales series, accuracy measures and the seasonal-naive benchmark.

The accuracy measures follow Hyndman & Koehler, "Another look at measures of forecast accuracy",
International Journal of Forecasting 22 (2006) 679-688: the *mean absolute scaled error* (MASE)
divides the forecast's mean absolute error by the in-sample mean absolute error of the
seasonal-naive forecast, so MASE < 1 means the forecast beat "same week last season"; the *mean
absolute percentage error* (MAPE) is the familiar percentage, undefined where actual sales are zero
(those weeks are left out). Pure functions: no I/O, no statsmodels here (the service fits models).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

#: Weeks in a season when the data are weekly: a year (ISO weeks, rounded).
WEEKS_PER_YEAR = 52


def mase(actual: Sequence[float], predicted: Sequence[float], history: Sequence[float],
         season_length: int = 1) -> float:
    """Mean absolute scaled error (Hyndman & Koehler 2006, eq. for MASE).

    ``mean(|actual[i] - predicted[i]|)`` divided by the mean absolute error of the seasonal-naive
    forecast on ``history``: the mean of ``|history[t] - history[t - season_length]|`` for
    ``t >= season_length``. Raises ``ValueError`` when ``actual`` and ``predicted`` differ in length
    (or are empty), when ``season_length`` is below 1 or leaves no differences in ``history``, or
    when that scale is zero (a flat history cannot scale anything).
    """
    if len(actual) != len(predicted):
        raise ValueError(f"actual has {len(actual)} values and predicted {len(predicted)}: they must match")
    if not actual:
        raise ValueError("nothing to measure: actual and predicted are empty")
    if season_length < 1:
        raise ValueError("season_length must be at least 1")
    if len(history) <= season_length:
        raise ValueError(f"history needs more than {season_length} values for a seasonal-naive scale")
    differences = [abs(float(history[t]) - float(history[t - season_length]))
                   for t in range(season_length, len(history))]
    scale = sum(differences) / len(differences)
    if scale == 0:
        raise ValueError("the seasonal-naive error of the history is zero: MASE is undefined")
    error = sum(abs(float(a) - float(p)) for a, p in zip(actual, predicted, strict=True)) / len(actual)
    return error / scale


def mape(actual: Sequence[float], predicted: Sequence[float]) -> float | None:
    """Mean absolute percentage error, in per cent, over the periods with non-zero actual sales
    (Hyndman & Koehler 2006, section 3.2); None when every actual is zero."""
    if len(actual) != len(predicted):
        raise ValueError(f"actual has {len(actual)} values and predicted {len(predicted)}: they must match")
    terms = [abs((float(a) - float(p)) / float(a)) for a, p in zip(actual, predicted, strict=True) if float(a) != 0]
    if not terms:
        return None
    return 100.0 * sum(terms) / len(terms)


def seasonal_naive(history: Sequence[float], horizon: int, season_length: int) -> list[float]:
    """The benchmark: each future week is the same week of the last season (or the last value when
    the history is shorter than a season)."""
    if not history:
        return [0.0] * horizon
    if len(history) < season_length:
        return [float(history[-1])] * horizon
    return [float(history[len(history) - season_length + (h % season_length)]) for h in range(horizon)]


def week_start(day: date) -> date:
    """The Monday of ``day``'s ISO week (ISO 8601 weeks start on Monday)."""
    return day - timedelta(days=day.weekday())


def weekly_series(sales: Iterable[tuple[date, int]], first: date, last: date) -> tuple[list[date], list[float]]:
    """Units sold per ISO week from ``first``'s week to ``last``'s week inclusive; weeks without
    sales are zeros (a quiet week is data, not a gap). Returns/refunds count as negative sales."""
    start, end = week_start(first), week_start(last)
    weeks: list[date] = []
    cursor = start
    while cursor <= end:
        weeks.append(cursor)
        cursor += timedelta(days=7)
    index = {week: i for i, week in enumerate(weeks)}
    values = [0.0] * len(weeks)
    for day, quantity in sales:
        i = index.get(week_start(day))
        if i is not None:
            values[i] += quantity
    return weeks, [max(v, 0.0) for v in values]


def rolling_origins(length: int, horizon: int, folds: int, minimum_train: int) -> list[int]:
    """The training lengths of a rolling-origin back-test (Tashman 2000, "Out-of-sample tests of
    forecasting accuracy"): ``folds`` origins, each ``horizon`` weeks apart, the last leaving exactly
    ``horizon`` weeks to test; origins with less than ``minimum_train`` weeks of history are dropped."""
    origins = [length - horizon * (k + 1) for k in range(folds)]
    return sorted(o for o in origins if o >= minimum_train)


def suggested_order(forecast: Sequence[float], lead_time_weeks: int, cover_weeks: int, on_hand: int,
                    on_order: int) -> int:
    """Units to order now so stock covers the lead time plus ``cover_weeks`` of forecast demand:
    forecast demand over that window, less what is on hand and already on order, never below zero
    (a periodic-review order-up-to rule; Silver, Pyke & Thomas, *Inventory and Production
    Management in Supply Chains*, 4th ed., ch. 6)."""
    window = max(lead_time_weeks, 0) + max(cover_weeks, 0)
    demand = sum(max(float(v), 0.0) for v in forecast[:window])
    needed = demand - on_hand - on_order
    return max(int(-(-needed // 1)), 0)  # round up: a part unit is a whole one to order
