"""Forecast accuracy (MASE, MAPE), the seasonal-naive benchmark, order suggestions, and a back-test
on synthetic seasonal data that beats seasonal-naive — as tables of cases."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest

from ils_desktop.domain.demand_models import backtest, forecast_series
from ils_desktop.domain.forecasting import (
    mape,
    mase,
    rolling_origins,
    seasonal_naive,
    suggested_order,
    week_start,
    weekly_series,
)


@pytest.mark.parametrize(("actual", "predicted", "history", "season", "expected"), [
    # naive scale: mean |diff| of 1,2,3,4 = 1 -> MAE 0.5
    ([5, 6], [5.5, 5.5], [1, 2, 3, 4], 1, 0.5),
    ([5, 6], [5, 6], [1, 2, 3, 4], 1, 0.0),
    # seasonal scale (m=2): |3-1|, |4-2|, |5-3| = 2 -> MAE 1 / 2
    ([7, 8], [6, 9], [1, 2, 3, 4, 5], 2, 0.5),
    # scale 2 (alternating 0, 2, 0, 2 with m=1): MAE 3 -> 1.5
    ([3], [0], [0, 2, 0, 2], 1, 1.5),
    # negative values and floats
    ([-1.0, 1.0], [1.0, -1.0], [0.0, 1.0, 0.0], 1, 2.0),
    # a seasonal-naive forecast scored on its own in-sample pattern: 1.0 when its errors match the scale
    ([10, 20], [11, 21], [10, 11, 12], 1, 1.0),
])
def test_mase(actual, predicted, history, season, expected):
    assert mase(actual, predicted, history, season) == pytest.approx(expected)


@pytest.mark.parametrize(("actual", "predicted", "history", "season", "message"), [
    ([1, 2], [1], [1, 2, 3], 1, "must match"),
    ([], [], [1, 2, 3], 1, "empty"),
    ([1], [1], [4, 4, 4, 4], 1, "zero"),  # a flat history: no scale
    ([1], [1], [1, 2, 1, 2], 2, "zero"),  # a perfectly seasonal history with m=2
    ([1], [1], [1, 2], 2, "more than"),
    ([1], [1], [1, 2, 3], 0, "at least 1"),
])
def test_mase_refuses(actual, predicted, history, season, message):
    with pytest.raises(ValueError, match=message):
        mase(actual, predicted, history, season)


def test_mase_default_season_length_is_one():
    assert mase([2], [0], [0, 1, 2]) == pytest.approx(2.0)


@pytest.mark.parametrize(("actual", "predicted", "expected"), [
    ([100, 50], [110, 40], 15.0),
    ([0, 10], [5, 5], 50.0),  # zero actuals left out
    ([0, 0], [1, 1], None),
])
def test_mape(actual, predicted, expected):
    found = mape(actual, predicted)
    assert found == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(("history", "horizon", "season", "expected"), [
    ([1, 2, 3, 4], 3, 2, [3, 4, 3]),
    ([1, 2, 3], 2, 5, [3, 3]),
    ([], 2, 52, [0, 0]),
])
def test_seasonal_naive(history, horizon, season, expected):
    assert seasonal_naive(history, horizon, season) == expected


@pytest.mark.parametrize(("forecast", "lead", "cover", "on_hand", "on_order", "expected"), [
    ([2.0] * 8, 1, 4, 3, 0, 7),
    ([2.0] * 8, 1, 4, 3, 5, 2),
    ([2.0] * 8, 1, 4, 20, 0, 0),
    ([0.4] * 8, 0, 3, 0, 0, 2),  # 1.2 units: order 2
])
def test_suggested_order(forecast, lead, cover, on_hand, on_order, expected):
    assert suggested_order(forecast, lead, cover, on_hand, on_order) == expected


def test_weekly_series_fills_quiet_weeks_with_zeros_on_iso_weeks():
    weeks, values = weekly_series([(date(2026, 1, 6), 2), (date(2026, 1, 8), 1), (date(2026, 1, 21), 4)],
                                  date(2026, 1, 5), date(2026, 1, 25))
    assert weeks == [date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19)]
    assert values == [3, 0, 4]
    assert week_start(date(2026, 12, 6)) == date(2026, 11, 30)


def test_rolling_origins():
    assert rolling_origins(104, 12, 3, 26) == [68, 80, 92]
    assert rolling_origins(40, 12, 3, 26) == [28]


def _seasonal(weeks: int, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    summer = 20 + 10 * np.sin(2 * math.pi * (t - 13) / 52)  # sunglasses: peak in summer
    return [float(v) for v in np.maximum(summer + rng.normal(0, 2.5, weeks), 0)]


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_holt_winters_back_test_beats_seasonal_naive_on_seasonal_data(seed):
    history = _seasonal(156, seed)
    measured = backtest(history, damped=False)
    assert measured.folds == 3 and measured.mase is not None and measured.naive_mase is not None
    assert measured.mase < measured.naive_mase
    assert measured.method.startswith("Holt-Winters")


def test_a_short_history_says_it_has_no_season():
    result = forecast_series([3, 4, 2, 5, 3, 4, 4, 3, 5, 2], horizon=4)
    assert result.fitted.method.startswith("Simple exponential smoothing")
    assert len(result.fitted.forecast) == 4 and all(lo <= f <= hi for lo, f, hi in
                                                   zip(result.fitted.lower, result.fitted.forecast,
                                                       result.fitted.upper, strict=True))
