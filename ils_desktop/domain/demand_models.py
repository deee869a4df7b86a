"""Weekly demand models: Holt-Winters exponential smoothing (statsmodels' ``ExponentialSmoothing``)
with the seasonality learned from the sales, its rolling back-test, and the seasonal-naive benchmark.

Method (Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed., ch. 8.3):
additive Holt-Winters with a 52-week season; the start values are learned from the data — the
level from the first season's mean and each week's seasonal effect from the average, over every
complete season in the history, of that week's difference from its season's mean — and statsmodels
fits the smoothing parameters by least squares. Two forms are tried, without a trend and with a
damped additive trend, and the one whose rolling back-test (``forecasting.rolling_origins``) has the
lower MASE is used. With less than a season and eight weeks of history there is no season to
learn: simple exponential smoothing is used instead, and says so. The 80 % interval is the fitted
model's one-step residual spread widened with the horizon (sigma x 1.28 x sqrt(h)): an
approximation that the back-test's accuracy figures put in context.

Pure computation (numpy and statsmodels): no I/O.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ils_desktop.domain.forecasting import WEEKS_PER_YEAR, mape, mase, rolling_origins, seasonal_naive

Z_80 = 1.2816  # the 90th percentile of the standard normal: a central 80 % interval
MINIMUM_SEASONAL = WEEKS_PER_YEAR + 8
HORIZON = 12
FOLDS = 3


@dataclass(frozen=True)
class Fitted:
    method: str
    forecast: list[float]
    lower: list[float]
    upper: list[float]
    seasonal: list[float]  # the learned seasonal effect per week of the season (empty: none)
    level: float


@dataclass(frozen=True)
class Accuracy:
    method: str
    mase: float | None
    mape: float | None
    naive_mase: float | None
    folds: int
    horizon: int


@dataclass(frozen=True)
class SeriesForecast:
    fitted: Fitted
    accuracy: Accuracy


def _seasonal_start(history: np.ndarray, season: int) -> tuple[float, np.ndarray]:
    cycles = len(history) // season
    blocks = history[: cycles * season].reshape(cycles, season)
    effects = (blocks - blocks.mean(axis=1, keepdims=True)).mean(axis=0)
    return float(blocks[0].mean()), effects - effects.mean()


def _fit(history: Sequence[float], horizon: int, *, damped: bool, season: int = WEEKS_PER_YEAR) -> Fitted:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing, SimpleExpSmoothing

    y = np.asarray(history, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter; the back-test judges the result
        if len(y) >= MINIMUM_SEASONAL and float(np.ptp(y)) > 0:
            level, effects = _seasonal_start(y, season)
            options: dict[str, object] = {"initialization_method": "known", "initial_level": level,
                                          "initial_seasonal": effects}
            if damped:
                options["initial_trend"] = 0.0
            model = ExponentialSmoothing(y, trend="add" if damped else None, damped_trend=damped, seasonal="add",
                                         seasonal_periods=season, **options)  # type: ignore[arg-type]
            result = model.fit(use_brute=False)
            method = ("Holt-Winters additive, damped trend, 52-week season" if damped
                      else "Holt-Winters additive, no trend, 52-week season")
            seasonal = [float(v) for v in np.asarray(result.season)[-season:]]
        else:
            result = (SimpleExpSmoothing(y, initialization_method="known", initial_level=float(y[0])).fit()
                      if len(y) >= 2 else None)
            method = "Simple exponential smoothing (under a season and 8 weeks of history)"
            seasonal = []
        if result is None:
            value = float(y[-1]) if len(y) else 0.0
            forecast = np.full(horizon, value)
            sigma = 0.0
            level_now = value
        else:
            forecast = np.asarray(result.forecast(horizon), dtype=float)
            residuals = np.asarray(result.resid, dtype=float)
            sigma = float(np.std(residuals[-min(len(residuals), 52):])) if len(residuals) else 0.0
            level_now = float(np.asarray(result.level)[-1])
    forecast = np.maximum(forecast, 0.0)
    widths = np.array([Z_80 * sigma * math.sqrt(h) for h in range(1, horizon + 1)])
    return Fitted(method, [float(v) for v in forecast], [float(v) for v in np.maximum(forecast - widths, 0.0)],
                  [float(v) for v in forecast + widths], seasonal, level_now)


def _scaled(actual: Sequence[float], predicted: Sequence[float], history: Sequence[float]) -> float | None:
    season = WEEKS_PER_YEAR if len(history) > WEEKS_PER_YEAR else 1
    try:
        return mase(actual, predicted, history, season)
    except ValueError:
        return None


def backtest(history: Sequence[float], *, damped: bool, horizon: int = HORIZON, folds: int = FOLDS) -> Accuracy:
    """Rolling-origin back-test (module docstring): MASE and MAPE of the model and the MASE of the
    seasonal-naive forecast over the same folds (averaged over folds)."""
    origins = rolling_origins(len(history), horizon, folds, minimum_train=26)
    model_mase: list[float] = []
    naive_mase: list[float] = []
    model_mape: list[float] = []
    method = ""
    for origin in origins:
        train, test = list(history[:origin]), list(history[origin: origin + horizon])
        fitted = _fit(train, len(test), damped=damped)
        method = fitted.method
        naive = seasonal_naive(train, len(test), WEEKS_PER_YEAR)
        scaled, naive_scaled = _scaled(test, fitted.forecast, train), _scaled(test, naive, train)
        if scaled is not None and naive_scaled is not None:
            model_mase.append(scaled)
            naive_mase.append(naive_scaled)
        percentage = mape(test, fitted.forecast)
        if percentage is not None:
            model_mape.append(percentage)

    def mean(values: list[float]) -> float | None:
        return sum(values) / len(values) if values else None

    return Accuracy(method or _fit(list(history), 1, damped=damped).method, mean(model_mase), mean(model_mape),
                    mean(naive_mase), len(origins), horizon)


def forecast_series(history: Sequence[float], horizon: int = HORIZON) -> SeriesForecast:
    """Fit both forms, back-test both, and forecast with the better (lower MASE; no trend on a tie or
    when neither can be measured)."""
    plain = backtest(history, damped=False, horizon=horizon)
    damped = backtest(history, damped=True, horizon=horizon)
    use_damped = (damped.mase is not None and plain.mase is not None and damped.mase < plain.mase)
    chosen = damped if use_damped else plain
    return SeriesForecast(_fit(history, horizon, damped=use_damped), chosen)
