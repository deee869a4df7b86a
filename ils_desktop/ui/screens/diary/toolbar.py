"""The diary's toolbar: which day (today, previous, next, a date), day or week, whose columns or
whose week, whether cancelled appointments show, and how long a row is."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QWidget,
)

from ils_desktop.domain.diary import SLOT_SIZES
from ils_desktop.ui.theme import icon


class DiaryToolbar(QWidget):
    """The controls over the grid; the screen connects them."""

    def __init__(self, slot_minutes: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        toolbar = QHBoxLayout(self)
        toolbar.setContentsMargins(0, 0, 0, 0)
        toolbar.setSpacing(8)
        self.today_button = QPushButton("Today")
        self.today_button.setObjectName("diaryToday")
        self.today_button.setToolTip("Go to today (T)")
        self.previous_button = QToolButton()
        self.previous_button.setIcon(icon("chevron-left"))
        self.previous_button.setToolTip("Previous day (Page Up)")
        self.next_button = QToolButton()
        self.next_button.setIcon(icon("chevron-right"))
        self.next_button.setToolTip("Next day (Page Down)")
        self.date_edit = QDateEdit()
        self.date_edit.setObjectName("diaryDate")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("ddd d MMMM yyyy")
        self.date_edit.setMinimumWidth(214)
        for widget in (self.today_button, self.previous_button, self.date_edit, self.next_button):
            toolbar.addWidget(widget)
        toolbar.addSpacing(12)
        self.day_button = QPushButton("Day")
        self.day_button.setObjectName("diaryDayView")
        self.week_button = QPushButton("Week")
        self.week_button.setObjectName("diaryWeekView")
        self.view_group = QButtonGroup(self)
        for button in (self.day_button, self.week_button):
            button.setCheckable(True)
            button.setToolTip("Day or week (W)")
            self.view_group.addButton(button)
            toolbar.addWidget(button)
        self.day_button.setChecked(True)
        self.subject = QComboBox()
        self.subject.setObjectName("diarySubject")
        self.subject.setMinimumWidth(190)
        self.subject.setToolTip("Day: rooms or clinicians side by side. Week: whose week to show.")
        toolbar.addWidget(self.subject)
        toolbar.addStretch(1)
        self.cancelled_box = QCheckBox("Show cancelled")
        self.cancelled_box.setObjectName("diaryShowCancelled")
        toolbar.addWidget(self.cancelled_box)
        toolbar.addSpacing(8)
        rows_label = QLabel("Rows")
        rows_label.setProperty("role", "hint")
        toolbar.addWidget(rows_label)
        self.rows_combo = QComboBox()
        self.rows_combo.setObjectName("diaryRows")
        for minutes in SLOT_SIZES:
            self.rows_combo.addItem(f"{minutes} min", minutes)
        self.rows_combo.setCurrentIndex(self.rows_combo.findData(slot_minutes))
        rows_label.setBuddy(self.rows_combo)
        toolbar.addWidget(self.rows_combo)
