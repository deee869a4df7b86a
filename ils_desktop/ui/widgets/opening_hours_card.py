"""The "Opening hours" card of Practice settings: the days the practice opens and its hours on each,
and the dates it is closed (bank holidays it takes, Christmas). The diary's week and grid follow them.

Keyboard first: Tab goes day by day (Open?, opens, closes), Space ticks a day open or closed, times
are typed as the front desk types them (9, 17:30, 1pm), Enter in any field saves. The rules (a day
closes after it opens, at least one day open…) are the service's; this card only shows its answer
beside the day it is about.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from ils_desktop.domain.diary import WEEKDAY_KEYS, WEEKDAY_NAMES, WeeklyHours, parse_clock_time
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.services import diary
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.widgets.forms import FieldError, form_card, labelled, mark_invalid, say


def _typed_clock(text: str) -> str:
    """``9`` → ``09:00``; what cannot be read goes to the service as typed, which says what is wrong."""
    try:
        return f"{parse_clock_time(text):%H:%M}"
    except ValueError:
        return text.strip()


def _typed_date(text: str) -> str:
    """``25/12/2026`` → ``2026-12-25``; anything else as typed (the service names it)."""
    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y").date().isoformat()
    except ValueError:
        return text.strip()


class OpeningHoursCard(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.loaded: WeeklyHours | None = None
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        card, box = form_card("Opening hours", "The diary's week shows the days the practice opens, and hatches "
                                               "the hours it is closed. Bookings already made stay where they are.")
        outer.addWidget(card)
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(6)
        for column, caption in enumerate(("Day", "Opens", "Closes")):
            label = QLabel(caption)
            label.setProperty("role", "field-label")
            grid.addWidget(label, 0, column)
        self.open: dict[str, QCheckBox] = {}
        self.opens: dict[str, QLineEdit] = {}
        self.closes: dict[str, QLineEdit] = {}
        self.errors: dict[str, FieldError] = {}
        for row, (key, name) in enumerate(zip(WEEKDAY_KEYS, WEEKDAY_NAMES, strict=True), start=1):
            tick = QCheckBox(name)
            tick.setObjectName(f"open_{key}")
            tick.setToolTip(f"Ticked: the practice opens on {name}s (Space)")
            opens, closes = QLineEdit(), QLineEdit()
            for field, which in ((opens, "opens"), (closes, "closes")):
                field.setObjectName(f"{which}_{key}")
                field.setPlaceholderText("closed")
                field.setMaximumWidth(110)
                field.setAccessibleName(f"{name} {which}")
                field.returnPressed.connect(self.save)
            tick.toggled.connect(lambda on, k=key: self._day_toggled(k, on))
            error = FieldError()
            self.open[key], self.opens[key], self.closes[key], self.errors[key] = tick, opens, closes, error
            grid.addWidget(tick, row, 0)
            grid.addWidget(opens, row, 1)
            grid.addWidget(closes, row, 2)
            grid.addWidget(error, row, 3)
        grid.setColumnStretch(3, 1)
        box.addLayout(grid)
        self.closed_dates = QLineEdit()
        self.closed_dates.setObjectName("closedDates")
        self.closed_dates.setPlaceholderText("e.g. 25/12/2026, 26/12/2026")
        self.closed_dates.returnPressed.connect(self.save)
        self.errors["closed_dates"] = FieldError()
        box.addWidget(labelled("Also closed on", self.closed_dates, self.errors["closed_dates"],
                               hint="Bank holidays the practice takes, and other days it shuts: dates separated "
                                    "by commas. (The diary keeps no bank holiday calendar of its own.)"))
        self.save_button = QPushButton("Save opening hours")
        self.save_button.setObjectName("saveOpeningHours")
        self.save_button.setProperty("role", "primary")
        self.save_button.clicked.connect(self.save)
        self.message = QLabel()
        self.message.setObjectName("openingHoursMessage")
        self.message.setWordWrap(True)
        self.message.hide()
        actions = QHBoxLayout()
        actions.addWidget(self.message, 1)
        actions.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignRight)
        box.addLayout(actions)

    # --- loading and showing ---------------------------------------------------------------------
    def refresh(self) -> None:
        call = self.workspace.call
        run_op(lambda: call(diary.load_opening_hours), on_done=self.show_hours, parent=self)

    def show_hours(self, hours: WeeklyHours) -> None:
        self.loaded = hours
        for key, day in zip(WEEKDAY_KEYS, hours.days, strict=True):
            self.open[key].setChecked(day is not None)
            self.opens[key].setText("" if day is None else f"{day.opens:%H:%M}")
            self.closes[key].setText("" if day is None else f"{day.closes:%H:%M}")
            self._day_toggled(key, day is not None)
        self.closed_dates.setText(", ".join(f"{d:%d/%m/%Y}" for d in sorted(hours.closed_dates)))

    def _day_toggled(self, key: str, on: bool) -> None:
        for field, usual in ((self.opens[key], "09:00"), (self.closes[key], "17:30")):
            field.setEnabled(on)
            if on and not field.text().strip():
                field.setText(usual)  # a day ticked open starts from the usual hours, to be changed
            if not on:
                field.clear()

    # --- saving ----------------------------------------------------------------------------------
    def _value(self) -> dict[str, object]:
        days: dict[str, object] = {
            key: {"opens": _typed_clock(self.opens[key].text()), "closes": _typed_clock(self.closes[key].text())}
            if self.open[key].isChecked() else None
            for key in WEEKDAY_KEYS}
        typed = [part for part in self.closed_dates.text().replace(";", ",").split(",") if part.strip()]
        return {"days": days, "closed_dates": [_typed_date(part) for part in typed]}

    def save(self) -> None:
        for key, error in self.errors.items():
            error.show_message("")
            for field in (self.opens.get(key), self.closes.get(key), self.closed_dates if key == "closed_dates"
                          else None):
                if field is not None:
                    mark_invalid(field, False)
        value = self._value()
        call = self.workspace.call

        def failed(error: BaseException) -> bool:
            if isinstance(error, ValidationFailed):
                for name, text in error.problems.items():
                    if name in self.errors:
                        self.errors[name].show_message(text)
                        for field in (self.opens.get(name), self.closes.get(name)):
                            if field is not None:
                                mark_invalid(field, True)
                        if name == "closed_dates":
                            mark_invalid(self.closed_dates, True)
                    else:  # about the week as a whole: said beside Save
                        say(self.message, text, "error")
                return True
            if isinstance(error, UserFacingError):
                say(self.message, str(error), "error")
                return True
            return False

        def done(saved: WeeklyHours) -> None:
            self.show_hours(saved)
            open_days = [name for name, day in zip(WEEKDAY_NAMES, saved.days, strict=True) if day is not None]
            say(self.message, f"Saved. Open {_days_text(open_days)}.", "success")
            changes.changed.emit("diary")  # the diary redraws its week

        run_op(lambda: call(diary.update_opening_hours, value), on_done=done, on_error=failed,
               parent=self)


def _days_text(names: list[str]) -> str:
    short = [name[:3] for name in names]
    return short[0] if len(short) == 1 else ", ".join(short[:-1]) + f" and {short[-1]}"

