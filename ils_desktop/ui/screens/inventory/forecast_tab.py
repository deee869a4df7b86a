"""Demand forecasts: run them (off the GUI thread, with progress), see each category's and best
seller's weekly history, forecast and 80 % interval on a chart, how accurate the method has been in
its back-test, and turn the suggested quantities into a draft order."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.services.inventory import forecasts, purchasing
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.screens.inventory.common import money, selected_rows, status_label, table, tell
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import PALETTE

pg.setConfigOptions(antialias=True, background=PALETTE.SURFACE, foreground=PALETTE.TEXT_MUTED)


def trust(accuracy: Any) -> str:
    """How far to trust a forecast, in words, from its back-test."""
    if accuracy is None or accuracy.mase is None:
        return "Not enough history to measure its accuracy yet."
    mase, naive = float(accuracy.mase), float(accuracy.naive_mase) if accuracy.naive_mase is not None else None
    mape = f", typically {float(accuracy.mape):.0f} % out week by week" if accuracy.mape is not None else ""
    if naive is not None and mase < naive:
        verdict = f"beat 'same week last year' (MASE {mase:.2f} against {naive:.2f})"
    else:
        verdict = f"did no better than 'same week last year' (MASE {mase:.2f}" + (
            f" against {naive:.2f})" if naive is not None else ")")
    return f"In its back-test over {accuracy.folds} × {accuracy.horizon_weeks} weeks it {verdict}{mape}."


class SeriesModel(RowsModel[Any]):
    COLUMNS = ("Forecast for", "4 weeks", "MASE", "Method")
    RIGHT_ALIGNED = frozenset({1, 2})

    def display(self, row: Any, index: Index) -> Any:
        four = sum(float(p.quantity) for p in row.forecast[:4])
        mase = "—" if row.accuracy is None or row.accuracy.mase is None else f"{float(row.accuracy.mase):.2f}"
        method = row.forecast[0].method if row.forecast else ""
        return (("" if row.scope == "category" else "   ") + row.label, f"{four:.0f}", mase, method)[index.column()]


class SuggestionsModel(RowsModel[Any]):
    COLUMNS = ("Item", "Forecast demand", "On hand", "On order", "Suggest", "Unit cost")
    RIGHT_ALIGNED = frozenset({1, 2, 3, 4, 5})

    def display(self, row: Any, index: Index) -> Any:
        return (row.name, f"{row.forecast_units:.0f}", str(row.on_hand), str(row.on_order), str(row.quantity),
                money(row.unit_cost))[index.column()]


class _Progress(QObject):
    moved = Signal(int, int, str)


def _epoch(day: Any) -> float:
    return datetime.combine(day, time()).timestamp()


class ForecastChart(pg.PlotWidget):
    """History (line), forecast (dashed) and its 80 % interval (shaded) against dates."""

    def __init__(self) -> None:
        super().__init__(axisItems={"bottom": pg.DateAxisItem()})
        self.setObjectName("forecastChart")
        self.setMinimumHeight(220)
        self.showGrid(x=False, y=True, alpha=0.15)
        self.setMouseEnabled(x=True, y=False)
        self.getPlotItem().setLabel("left", "units a week")
        self.legend = self.addLegend(offset=(10, 10))

    def show_series(self, series: Any) -> None:
        self.clear()
        self.legend.clear()
        if series is None:
            return
        weeks = [_epoch(w) for w in series.weeks]
        self.plot(weeks, series.history, pen=pg.mkPen(PALETTE.ACCENT, width=2), name="Sold")
        if series.forecast:
            xs = [_epoch(p.week_start) for p in series.forecast]
            lower = pg.PlotDataItem(xs, [float(p.lower) for p in series.forecast], pen=pg.mkPen(None))
            upper = pg.PlotDataItem(xs, [float(p.upper) for p in series.forecast], pen=pg.mkPen(None))
            band = pg.FillBetweenItem(lower, upper, brush=pg.mkBrush(14, 116, 144, 45))
            self.addItem(band)
            self.addItem(lower)
            self.addItem(upper)
            joined_x = ([weeks[-1]] if weeks else []) + xs
            joined_y = ([series.history[-1]] if weeks else []) + [float(p.quantity) for p in series.forecast]
            self.plot(joined_x, joined_y, pen=pg.mkPen(PALETTE.WARNING, width=2, style=Qt.PenStyle.DashLine),
                      name="Forecast (80 % interval shaded)")
        self.getPlotItem().enableAutoRange()


class ForecastTab(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.view: Any = None
        self.drafted: uuid.UUID | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 12, 0, 0)
        layout.setSpacing(12)
        bar = QHBoxLayout()
        self.made = QLabel("No forecast yet.")
        self.made.setProperty("role", "hint")
        self.progress = QProgressBar()
        self.progress.setObjectName("forecastProgress")
        self.progress.setVisible(False)
        self.progress.setMaximumWidth(260)
        self.run_button = QPushButton("Run forecasts")
        self.run_button.setObjectName("runForecastsButton")
        self.run_button.setProperty("role", "primary")
        bar.addWidget(self.made, 1)
        bar.addWidget(self.progress)
        bar.addWidget(self.run_button)
        layout.addLayout(bar)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.series_model = SeriesModel()
        self.series_table = table(self.series_model, "forecastSeries")
        self.series_table.setColumnHidden(3, True)
        split.addWidget(self.series_table)
        right = QFrame()
        right.setProperty("role", "card")
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(16, 12, 16, 12)
        self.series_title = QLabel("Choose a category or item")
        self.series_title.setProperty("role", "section")
        self.trust = QLabel("")
        self.trust.setWordWrap(True)
        self.trust.setProperty("role", "hint")
        self.chart = ForecastChart()
        right_layout.addWidget(self.series_title)
        right_layout.addWidget(self.trust)
        right_layout.addWidget(self.chart, 1)
        split.addWidget(right)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 5)
        split.setSizes([430, 850])
        layout.addWidget(split, 3)

        suggest_bar = QHBoxLayout()
        heading = QLabel("Suggested orders")
        heading.setProperty("role", "section")
        heading.setToolTip("Forecast demand over the supplier's lead time and 4 weeks more, less what is on hand "
                           "and already on order.")
        self.supplier = QComboBox()
        self.supplier.setMinimumWidth(200)
        self.order_button = QPushButton("Draft order for selected")
        self.order_button.setObjectName("forecastOrderButton")
        suggest_bar.addWidget(heading, 1)
        suggest_bar.addWidget(self.supplier)
        suggest_bar.addWidget(self.order_button)
        layout.addLayout(suggest_bar)
        self.suggestions_model = SuggestionsModel()
        self.suggestions = table(self.suggestions_model, "forecastSuggestions", multi=True, widths={5: 90})
        layout.addWidget(self.suggestions, 2)
        self.message = status_label(self)
        layout.addWidget(self.message)

        self._progress = _Progress()
        self._progress.moved.connect(self._moved, Qt.ConnectionType.QueuedConnection)
        self.run_button.clicked.connect(self.run_forecasts)
        self.series_table.selectionModel().selectionChanged.connect(lambda *_: self._picked())
        self.order_button.clicked.connect(self.draft_order)

    def refresh(self) -> None:
        call = self.workspace.call

        def done(result: tuple[Any, list[Any], list[Any]]) -> None:
            view, suggestions, suppliers = result
            self.view = view
            from ils_desktop.ui.screens.inventory.common import local_time

            self.made.setText(f"Forecast made {local_time(view.made_at)} · weekly, 12 weeks ahead · Holt-Winters "
                              "exponential smoothing with the season learned from your sales"
                              if view.run_id else "No forecast yet: run one to see next season's demand.")
            self.series_model.set_rows(view.series)
            if view.series:
                self.series_table.selectRow(0)
            self.suggestions_model.set_rows(suggestions)
            self.supplier.clear()
            for supplier in suppliers:
                self.supplier.addItem(supplier.name, supplier.id)

        run_op(lambda: (call(forecasts.latest_forecasts), call(forecasts.suggested_orders),
                        call(purchasing.suppliers)), on_done=done, parent=self)

    def _picked(self) -> None:
        rows = selected_rows(self.series_table)
        series = rows[0] if rows else None
        self.chart.show_series(series)
        if series is not None:
            method = series.forecast[0].method if series.forecast else ""
            self.series_title.setText(f"{series.label} · {method}")
            self.trust.setText(trust(series.accuracy))

    def _moved(self, done: int, total: int, label: str) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"{done} of {total}")

    def run_forecasts(self) -> None:
        call, signal = self.workspace.call, self._progress.moved
        self.run_button.setEnabled(False)
        self.progress.setValue(0)
        self.progress.setVisible(True)

        def done(result: Any) -> None:
            self.run_button.setEnabled(True)
            self.progress.setVisible(False)
            tell(self.message, f"Forecast {result.series} series; {result.beat_naive} beat 'same week last year' "
                               "in their back-test.", "success")
            self.refresh()

        def failed(_error: BaseException) -> bool:
            self.run_button.setEnabled(True)
            self.progress.setVisible(False)
            return False

        run_op(lambda: call(forecasts.run_forecasts, 20, 12, lambda d, t, label: signal.emit(d, t, label)),
               on_done=done, on_error=failed, parent=self)

    def draft_order(self) -> None:
        chosen = [(s.variant_id, s.quantity) for s in selected_rows(self.suggestions)]  # type: ignore[attr-defined]
        supplier, call = self.supplier.currentData(), self.workspace.call
        if not chosen or supplier is None:
            tell(self.message, "Choose suggestions and a supplier.", "warning")
            return

        def done(order_id: uuid.UUID) -> None:
            self.drafted = order_id
            tell(self.message, "Draft order made from the forecast: see Orders.", "success")
            changes.changed.emit("inventory")

        run_op(lambda: call(forecasts.draft_order_from_forecast, supplier, tuple(chosen)), on_done=done, parent=self)
