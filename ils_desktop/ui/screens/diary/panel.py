"""The diary's side panel: the selected appointment (or free slot) and what can be done with it,
who is waiting, the day in figures and the appointment types' colours."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.diary import (
    BLOCKED_TIME,
)
from ils_desktop.services import diary
from ils_desktop.services.diary import Booking
from ils_desktop.ui.screens.diary.booking_dialog import colour_chip
from ils_desktop.ui.screens.diary.columns import ACTION_KEYS, short_type
from ils_desktop.ui.theme import icon


class DetailsPanel(QFrame):
    """The selected appointment (or free slot) with its actions, who is waiting, and the day in figures."""

    FIGURES = (("booked", "Booked"), ("arrived", "Arrived"), ("in_test", "In test"), ("completed", "Done"),
               ("did_not_attend", "DNA"))

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "card")
        self.setFixedWidth(312)  # wide enough for "Cancel appointment…" beside its key
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(8)
        self.caption = QLabel("Appointment")
        self.caption.setProperty("role", "field-label")
        layout.addWidget(self.caption)
        head = QHBoxLayout()
        self.name = QLabel("—")
        self.name.setObjectName("diarySelectedName")
        self.name.setProperty("role", "card-value")
        self.name.setWordWrap(True)
        head.addWidget(self.name, 1)
        self.status = QLabel()
        self.status.setObjectName("diarySelectedStatus")
        self.status.setProperty("role", "badge")
        head.addWidget(self.status, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(head)
        self.facts = QLabel()
        self.facts.setObjectName("diarySelectedFacts")
        self.facts.setWordWrap(True)
        self.facts.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.facts)
        self.notes = QLabel()
        self.notes.setProperty("role", "hint")
        self.notes.setWordWrap(True)
        layout.addWidget(self.notes)

        actions = QVBoxLayout()
        actions.setSpacing(6)
        self.buttons: dict[str, QPushButton] = {}
        for key, text, name in (
            ("book", "Book this slot", "add"), ("arrived", "Arrived", "check"),
            ("exam", "Start examination", "exam"), ("in_test", "In test", "exam"),
            ("completed", "Completed", "check"), ("did_not_attend", "Did not attend", "warning"),
            ("booked", "Reinstate", "refresh"), ("move", "Move or change…", "edit"),
            ("cancelled", "Cancel appointment…", "close"),
        ):
            primary = key in ("book", "arrived", "exam")
            button = QPushButton(icon(name, "#FFFFFF" if primary else None), text)
            button.setObjectName(f"diaryAction_{key}")
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.setToolTip(f"{text} ({ACTION_KEYS[key]})")
            if primary:
                button.setProperty("role", "primary")
            if key == "cancelled":
                button.setProperty("role", "danger")
            self.buttons[key] = button
            row = QHBoxLayout()
            row.setSpacing(8)
            row.addWidget(button, 1)
            key_label = QLabel(ACTION_KEYS[key])
            key_label.setProperty("role", "badge")
            key_label.setProperty("tone", "neutral")
            key_label.setFixedWidth(52)
            key_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            button.key_label = key_label  # type: ignore[attr-defined]
            row.addWidget(key_label)
            actions.addLayout(row)
        layout.addLayout(actions)
        layout.addStretch(1)

        waiting_caption = QLabel("Waiting")
        waiting_caption.setProperty("role", "field-label")
        layout.addWidget(waiting_caption)
        self.waiting = QLabel()
        self.waiting.setObjectName("diaryWaiting")
        self.waiting.setTextFormat(Qt.TextFormat.RichText)
        self.waiting.setWordWrap(True)
        layout.addWidget(self.waiting)

        rule = QFrame()
        rule.setProperty("role", "rule")
        layout.addWidget(rule)
        figures = QHBoxLayout()
        figures.setSpacing(4)
        self.figures: dict[str, QLabel] = {}
        for key, label in self.FIGURES:
            box = QVBoxLayout()
            box.setSpacing(0)
            number = QLabel("0")
            number.setObjectName(f"diaryCount_{key}")
            number.setProperty("role", "card-value")
            number.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            caption = QLabel(label)
            caption.setProperty("role", "hint")
            caption.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            box.addWidget(number)
            box.addWidget(caption)
            figures.addLayout(box, 1)
            self.figures[key] = number
        layout.addLayout(figures)
        self.legend = QGridLayout()
        self.legend.setHorizontalSpacing(6)
        self.legend.setVerticalSpacing(2)
        layout.addLayout(self.legend)
        self._legend: dict[str, tuple[QLabel, QLabel, QLabel]] = {}
        self._legend_codes: list[str] = []

    def set_action_visible(self, key: str, visible: bool) -> None:
        button = self.buttons[key]
        button.setVisible(visible)
        button.key_label.setVisible(visible)  # type: ignore[attr-defined]

    def set_figures(self, counts: dict[str, int]) -> None:
        for key, label in self.figures.items():
            label.setText(str(counts.get(key, 0)))

    def set_waiting(self, waiting: list[Booking], now: datetime) -> None:
        if not waiting:
            self.waiting.setText("<span style='color:#5F6B7A'>Nobody is waiting.</span>")
            return
        lines = []
        for booking in waiting[:4]:
            late = booking.starts_at < now
            due = f"{booking.starts_at:%H:%M}"
            lines.append(f"<b>{due}</b>&nbsp; {booking.patient_name}<br>"
                         f"<span style='color:#5F6B7A'>{booking.type_name} · {booking.room_name}"
                         f"{' · due now' if late else ''}</span>")
        if len(waiting) > 4:
            lines.append(f"<span style='color:#5F6B7A'>and {len(waiting) - 4} more</span>")
        self.waiting.setText("<br>".join(lines))

    def set_legend(self, kinds: list[diary.AppointmentKind], counts: dict[str, int]) -> None:
        """The appointment types' colours, with how many of each the view holds (busiest first)."""
        shown = sorted(kinds, key=lambda k: (k.code == BLOCKED_TIME, k.name))
        if [k.code for k in shown] != self._legend_codes:
            for labels in self._legend.values():
                for label in labels:
                    self.legend.removeWidget(label)
                    label.hide()
                    label.deleteLater()
            self._legend = {}
            for index, kind in enumerate(shown):
                chip = QLabel()
                chip.setPixmap(colour_chip(kind.colour, 9).pixmap(9, 9))
                name = QLabel(short_type(kind.name))
                name.setProperty("role", "hint")
                count = QLabel()
                count.setProperty("role", "hint")
                row, pair = divmod(index, 2)
                self.legend.addWidget(chip, row, pair * 3)
                self.legend.addWidget(name, row, pair * 3 + 1)
                self.legend.addWidget(count, row, pair * 3 + 2, Qt.AlignmentFlag.AlignRight)
                self._legend[kind.code] = (chip, name, count)
            self._legend_codes = [k.code for k in shown]
            self.legend.setColumnStretch(1, 1)
            self.legend.setColumnStretch(4, 1)
            self.legend.setColumnMinimumWidth(3, 14)
        for code, (_chip, _name, count) in self._legend.items():
            count.setText(str(counts.get(code, 0)))


