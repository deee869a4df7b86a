"""Diary: the test rooms' day (rooms or clinicians as columns) and week (one room or clinician,
days as columns), painted like a practice's appointment book.

Keyboard first. In the grid: arrows move the cursor slot by slot (over a booking in one step);
Enter on a free slot books it, on a booking opens its actions; A arrived, S start examination,
I in test, C completed, D did not attend, X cancel, M move or change; PgUp/PgDn the previous/next
day (week; days the practice is closed are passed over), T today, W day/week, Home/End the
first/last slot. The mouse works too: double-click books or opens, right-click for actions, drag a
booking to move it or its lower edge to resize.

The week shows the practice's opening days (``diary.opening_hours``) and any other day with
bookings; each column hatches the time the practice is closed. "Now" comes from
``services.clock``, never the machine's clock directly, so tests can set it.

``start_exam_requested(booking_id)`` and ``start_exam_for_patient(patient_id, booking_id)`` are
emitted when a clinician starts the examination from a booking; the main window connects them
to the examination screen.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta

from PySide6.QtCore import QDate, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import (
    QKeySequence,
    QResizeEvent,
    QShortcut,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.diary import (
    BLOCKED_TIME,
    DEFAULT_WEEKLY_HOURS,
    BookingStatus,
    format_span,
    london_day,
    london_time,
    status_change_problem,
    wall_minutes,
)
from ils_desktop.errors import UserFacingError
from ils_desktop.services import clock, diary
from ils_desktop.services.diary import Booking, DiaryView
from ils_desktop.services.patients import PatientListing
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.screens.diary.booking_dialog import BookingDialog
from ils_desktop.ui.screens.diary.columns import GUTTER, HEADER, age, day_columns, grid_hours, week_columns
from ils_desktop.ui.screens.diary.grid import DiaryGrid
from ils_desktop.ui.screens.diary.menu import action_menu
from ils_desktop.ui.screens.diary.panel import DetailsPanel
from ils_desktop.ui.screens.diary.toolbar import DiaryToolbar
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import icon, set_style_property

HINT = ("Arrows move · Enter books or opens · A arrived · S exam · D did not attend · X cancel · M move · "
        "PgUp/PgDn day · T today · W week")


class DiaryScreen(QWidget):
    open_screen = Signal(str)
    start_exam_requested = Signal(object)  # booking id
    start_exam_for_patient = Signal(object, object)  # (patient id, booking id) — ExamScreen.start_for_patient

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.can_book = workspace.can("diary.book")
        self.can_examine = workspace.can("exams.perform")
        self.day = clock.today()
        self.mode = "day"  # or "week"
        self.by = "rooms"  # day view columns: "rooms" or "clinicians"
        self.week_subject: tuple[str, uuid.UUID] | None = None  # ("room" | "clinician", id)
        self.slot_minutes = 10
        self.show_cancelled = False
        self.view: DiaryView | None = None
        self.loaded = False
        self._ticket = 0
        self._set_up = False
        self._scroll_to_now = True
        self._busy = False
        self._pending_patient: PatientListing | None = None
        self._hint_timer = QTimer(self)
        self._hint_timer.setSingleShot(True)
        self._hint_timer.setInterval(10_000)
        self._hint_timer.timeout.connect(self._back_to_hint)
        self._select_when_loaded: uuid.UUID | None = None  # a booking just made: the cursor goes to it
        self.dialog: BookingDialog | None = None
        self._menu: QMenu | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 24)
        layout.setSpacing(14)

        header = QHBoxLayout()
        header.setSpacing(10)
        titles = QVBoxLayout()
        titles.setSpacing(2)
        title = QLabel("Diary")
        title.setProperty("role", "title")
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("diarySummary")
        self.summary.setProperty("role", "subtitle")
        self.summary.setMinimumWidth(120)  # a long summary is cut rather than widen the window
        titles.addWidget(title)
        titles.addWidget(self.summary)
        header.addLayout(titles, 1)
        self.book_button = QPushButton(icon("add", "#FFFFFF"), "New booking")
        self.book_button.setObjectName("diaryNewBooking")
        self.book_button.setProperty("role", "primary")
        self.book_button.setToolTip("Book the slot under the cursor (N or Ctrl+N)")
        if not self.can_book:
            self.book_button.hide()  # (showing a widget before it has a parent would make it a window)
        header.addWidget(self.book_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(header)

        self.toolbar = DiaryToolbar(self.slot_minutes)
        layout.addWidget(self.toolbar)
        bar = self.toolbar
        self.today_button, self.previous_button, self.next_button = bar.today_button, bar.previous_button, \
            bar.next_button
        self.date_edit, self.day_button, self.week_button, self.view_group = bar.date_edit, bar.day_button, \
            bar.week_button, bar.view_group
        self.subject, self.cancelled_box, self.rows_combo = bar.subject, bar.cancelled_box, bar.rows_combo

        body = QHBoxLayout()
        body.setSpacing(16)
        grid_card = QFrame()
        grid_card.setProperty("role", "card")
        card_layout = QVBoxLayout(grid_card)
        card_layout.setContentsMargins(1, 1, 1, 1)
        self.grid = DiaryGrid()
        self.grid.can_move = self.can_book
        card_layout.addWidget(self.grid)
        body.addWidget(grid_card, 1)
        self.panel = DetailsPanel()
        body.addWidget(self.panel)
        layout.addLayout(body, 1)

        self.message = QLabel()
        self.message.setObjectName("diaryMessage")
        self.message.setProperty("role", "hint")
        self.message.setMinimumWidth(120)
        self.message.setText(HINT)
        layout.addWidget(self.message)

        # wiring
        self.today_button.clicked.connect(self.go_today)
        self.previous_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.date_edit.dateChanged.connect(self._date_picked)
        self.day_button.clicked.connect(lambda: self.set_mode("day"))
        self.week_button.clicked.connect(lambda: self.set_mode("week"))
        self.subject.activated.connect(lambda _i: self._subject_chosen())
        self.book_button.clicked.connect(self.book_at_cursor)
        self.cancelled_box.toggled.connect(self._toggle_cancelled)
        self.rows_combo.currentIndexChanged.connect(self._rows_changed)
        self.grid.cursor_moved.connect(self._show_selection)
        self.grid.slot_activated.connect(self.book_at_cursor)
        self.grid.booking_activated.connect(self.open_actions)
        self.grid.key_action.connect(self._key_action)
        self.grid.context_requested.connect(self._context_menu)
        self.grid.booking_dragged.connect(self._dragged)
        for key, button in self.panel.buttons.items():
            button.clicked.connect(lambda _checked=False, k=key: self._panel_action(k))
        QShortcut(QKeySequence("Ctrl+N"), self).activated.connect(self.book_at_cursor)
        QShortcut(QKeySequence("F5"), self).activated.connect(self.refresh)
        changes.changed.connect(self._on_change)
        self.clock = QTimer(self)
        self.clock.setInterval(60_000)
        self.clock.timeout.connect(self.grid.viewport().update)
        self.clock.start()

        self.date_edit.blockSignals(True)
        self.date_edit.setDate(QDate(self.day.year, self.day.month, self.day.day))
        self.date_edit.blockSignals(False)
        self._fill_subject()
        self._show_selection()
        self.refresh()

    # --- navigation ------------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_panel()

    def _fit_panel(self) -> None:
        """A week needs the width: on a small screen its details panel makes way (the menu has
        every action)."""
        self.panel.setVisible(self.mode == "day" or self.width() >= 1300)

    def activated(self) -> None:
        self.grid.setFocus()
        self.refresh()

    def _on_change(self, what: str) -> None:
        if what in ("diary", "patients", "staff"):
            self.refresh()

    def go_to(self, day: date) -> None:
        if day == self.day:
            return
        self.day = day
        self.date_edit.blockSignals(True)
        self.date_edit.setDate(QDate(day.year, day.month, day.day))
        self.date_edit.blockSignals(False)
        self._scroll_to_now = True
        self.refresh()

    def go_today(self) -> None:
        self.go_to(clock.today())

    @property
    def opening(self) -> diary.WeeklyHours:
        """The practice's opening days and hours, as last loaded."""
        return self.view.opening if self.view is not None else DEFAULT_WEEKLY_HOURS

    def step(self, direction: int) -> None:
        if self.mode == "week":
            self.go_to(self.day + timedelta(days=7 * direction))
            return
        # Day by day, the days the practice is closed are passed over (T or the date still reach them).
        target = self.day + timedelta(days=direction)
        for _ in range(7):
            if self.opening.is_open(target):
                break
            target += timedelta(days=direction)
        else:
            target = self.day + timedelta(days=direction)
        self.go_to(target)

    def _date_picked(self, picked: QDate) -> None:
        self.go_to(date(picked.year(), picked.month(), picked.day()))

    def set_mode(self, mode: str) -> None:
        if mode != self.mode:
            self._scroll_to_now = True  # the week opens on the day being looked at, and back
        self.mode = mode
        self.day_button.setChecked(mode == "day")
        self.week_button.setChecked(mode == "week")
        self.previous_button.setToolTip("Previous week (Page Up)" if mode == "week" else "Previous day (Page Up)")
        self.next_button.setToolTip("Next week (Page Down)" if mode == "week" else "Next day (Page Down)")
        self._fill_subject()
        self._fit_panel()
        self.refresh()

    def _fill_subject(self) -> None:
        self.subject.blockSignals(True)
        self.subject.clear()
        if self.mode == "day":
            self.subject.addItem(icon("diary"), "By room", ("by", "rooms"))
            self.subject.addItem(icon("users"), "By clinician", ("by", "clinicians"))
            self.subject.setCurrentIndex(0 if self.by == "rooms" else 1)
        else:
            view = self.view
            if view is not None:
                for room in view.rooms:
                    self.subject.addItem(icon("diary"), room.name, ("room", room.id))
                for person in view.clinicians:
                    self.subject.addItem(icon("users"), person.name, ("clinician", person.id))
            if self.week_subject is None and self.subject.count():
                self.week_subject = self.subject.itemData(0)
            # (findData does not match the (kind, id) tuples Qt hands back as lists: compare by hand)
            index = next((i for i in range(self.subject.count())
                          if tuple(self.subject.itemData(i)) == tuple(self.week_subject or ())), 0)
            self.subject.setCurrentIndex(index)
        self.subject.blockSignals(False)

    def _subject_chosen(self) -> None:
        data = self.subject.currentData()
        if data is None:
            return
        if data[0] == "by":
            self.by = data[1]
        else:
            self.week_subject = data
        self.refresh()

    def _toggle_cancelled(self, shown: bool) -> None:
        self.show_cancelled = shown
        self._lay_out()

    def _rows_changed(self) -> None:
        self.slot_minutes = self.rows_combo.currentData()
        selected = self.grid.selected_booking()
        self._lay_out()
        if selected is not None:
            self.grid.select_booking(selected.id)
        self.grid.setFocus()

    # --- loading ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        self._ticket += 1
        ticket = self._ticket
        call = self.workspace.call
        day, mode = self.day, self.mode
        subject = self.week_subject
        set_up = not self._set_up

        def load() -> DiaryView:
            if set_up:
                call(diary.ensure_diary_setup)
            if mode == "week":
                room_id = subject[1] if subject and subject[0] == "room" else None
                clinician_id = subject[1] if subject and subject[0] == "clinician" else None
                if subject is None:
                    first = call(diary.list_rooms)
                    room_id = first[0].id if first else None
                return call(diary.diary_week, day, room_id=room_id, clinician_id=clinician_id)
            return call(diary.diary_day, day)

        def done(view: DiaryView) -> None:
            if ticket != self._ticket:
                return  # an older load answered late
            self._set_up = True
            self.view = view
            if self.mode == "week" and self.week_subject is None and view.rooms:
                self.week_subject = ("room", view.rooms[0].id)
            if self.mode == "week":
                self._fill_subject()
            self._lay_out()
            self.loaded = True
            if self._select_when_loaded is not None and self.grid.select_booking(self._select_when_loaded):
                self._select_when_loaded = None

        run_op(load, on_done=done, parent=self)

    def _visible(self, bookings: list[Booking] | tuple[Booking, ...]) -> list[Booking]:
        return [b for b in bookings if self.show_cancelled or b.status != BookingStatus.CANCELLED]

    def _lay_out(self) -> None:
        view = self.view
        if view is None:
            return
        today = clock.today()
        opening = view.opening
        bookings = self._visible(view.bookings)
        day_hours = opening.on(self.day)
        if self.mode == "day":
            columns, per_column = day_columns(view, bookings, self.day, by_clinician=self.by == "clinicians")
            shown_days = [self.day]
        else:
            columns, per_column = week_columns(view, bookings, self.week_subject, today)
            shown_days = list(view.days)
        hours = grid_hours(opening, shown_days, bookings, self.slot_minutes)
        first_load = not self.loaded or self._scroll_to_now
        self.grid.set_content(columns, per_column, hours)
        closed = self.mode == "day" and day_hours is None and not bookings
        self.grid.set_notice(f"{opening.closed_reason(self.day)}\n\nPage Up / Page Down for another day, "
                             "T for today." if closed else None)
        if first_load:
            self._scroll_to_now = False
            now = clock.now()
            if self.mode == "week":
                column = next((i for i, c in enumerate(columns) if c.day >= self.day), len(columns) - 1)
                self.grid.set_cursor(column, self.grid.cursor_row, scroll=False)
            if now.date() in [c.day for c in columns] and 0 <= hours.row_of(now) < hours.rows:
                self.grid.go_to_time(now)
            else:
                first = min((b.starts_at for b in bookings if b.occupies_room), default=None,
                            key=lambda m: wall_minutes(m))
                opens = day_hours.opens if day_hours is not None else hours.opens
                self.grid.go_to_time(first if first is not None else london_time(self.day, opens))
        self._show_summary(bookings)
        self._show_selection()

    def _show_summary(self, bookings: list[Booking]) -> None:
        view = self.view
        assert view is not None
        patients = [b for b in bookings if b.patient_id is not None and b.status != BookingStatus.CANCELLED]
        counts = {s: sum(1 for b in patients if b.status == s) for s in BookingStatus}
        if self.mode == "day":
            today = clock.today()
            when = "Today" if self.day == today else "Tomorrow" if self.day == today + timedelta(days=1) \
                else "Yesterday" if self.day == today - timedelta(days=1) else f"{self.day:%A}"
            if not view.opening.is_open(self.day):
                when += "  ·  Closed"
        else:
            when = f"Week of {view.days[0].day} {view.days[0]:%B} · {self.subject.currentText() or '—'}"
        parts = [when, f"{len(patients)} appointment{'s' if len(patients) != 1 else ''}"]
        for status in (BookingStatus.ARRIVED, BookingStatus.IN_TEST, BookingStatus.DID_NOT_ATTEND):
            if counts[status]:
                parts.append(f"{counts[status]} {status.label.lower()}")
        self.summary.setText("  ·  ".join(parts))
        self.summary.setToolTip(self.summary.text())
        self.panel.set_figures({s.value: n for s, n in counts.items()})
        now = clock.now()
        waiting = sorted((b for b in patients if b.status == BookingStatus.ARRIVED
                          and london_day(b.starts_at) == now.date()), key=lambda b: b.starts_at)
        self.panel.set_waiting(waiting, now)
        by_type: dict[str, int] = {}
        for booking in bookings:
            if booking.occupies_room:
                by_type[booking.appointment_type] = by_type.get(booking.appointment_type, 0) + 1
        self.panel.set_legend(list(view.appointment_types), by_type)

    # --- the selection and its actions -----------------------------------------------------------
    def selected(self) -> Booking | None:
        return self.grid.selected_booking()

    def booking(self, booking_id: uuid.UUID) -> Booking | None:
        """A loaded booking by id (for whoever handles ``start_exam_requested``)."""
        if self.view is None:
            return None
        return next((b for b in self.view.bookings if b.id == booking_id), None)

    def _allowed(self, booking: Booking, status: str) -> bool:
        return self.can_book and status_change_problem(booking.status, status) is None

    def _show_selection(self) -> None:
        booking = self.grid.selected_booking()
        panel = self.panel
        for key in panel.buttons:
            panel.set_action_visible(key, False)
        if booking is None:
            column = self.grid.cursor_column_info()
            moment = self.grid.cursor_time()
            panel.caption.setText("Free slot")
            if column is None or moment is None:
                panel.name.setText("—")
                panel.facts.setText("")
            else:
                where = column.title if self.mode == "day" else self._subject_name()
                panel.name.setText(f"{moment:%H:%M}  ·  {where}")
                state = "Nothing booked" if self.opening.is_open(column.day) else "The practice is closed"
                panel.facts.setText(f"{moment:%A} {moment.day} {moment:%B %Y}<br>{state}")
            panel.status.hide()
            panel.notes.setText("")
            panel.set_action_visible("book", self.can_book and column is not None)
            return
        panel.caption.setText(booking.type_name)
        panel.name.setText(booking.patient_name or (booking.notes or "Blocked time").splitlines()[0])
        panel.status.setText(booking.status_label)
        tone = {"arrived": "success", "completed": "neutral", "did_not_attend": "danger",
                "cancelled": "neutral"}.get(booking.status)
        set_style_property(panel.status, "tone", tone)
        panel.status.setVisible(True)
        facts = [f"<b>{booking.starts_at:%a} {booking.starts_at.day} {booking.starts_at:%b}</b> · "
                 f"{format_span(booking.starts_at, booking.ends_at)} ({booking.duration_minutes} min)",
                 f"{booking.room_name}" + (f" · {booking.clinician_name}" if booking.clinician_name else "")]
        if booking.date_of_birth is not None:
            today = clock.today()
            facts.append(f"Born {booking.date_of_birth:%d %b %Y} ({age(booking.date_of_birth, today)})"
                         + (f" · #{booking.customer_number}" if booking.customer_number else ""))
        panel.facts.setText("<br>".join(facts))
        panel.notes.setText("" if booking.appointment_type == BLOCKED_TIME else booking.notes or "")
        for key, visible in self._actions_for(booking).items():
            panel.set_action_visible(key, visible)

    def _actions_for(self, booking: Booking) -> dict[str, bool]:
        """Which actions make sense for ``booking`` now, for this user."""
        clinical = booking.patient_id is not None and booking.appointment_type not in (BLOCKED_TIME, "collection")
        return {
            "arrived": self._allowed(booking, "arrived") and booking.status == "booked",
            "exam": self.can_examine and clinical and booking.status in ("booked", "arrived", "in_test"),
            "in_test": not self.can_examine and self._allowed(booking, "in_test") and booking.status == "arrived",
            "completed": self._allowed(booking, "completed"),
            "did_not_attend": self._allowed(booking, "did_not_attend"),
            "booked": booking.status in ("cancelled", "did_not_attend") and self._allowed(booking, "booked"),
            "move": self.can_book and booking.status in ("booked", "arrived"),
            "cancelled": self._allowed(booking, "cancelled"),
        }

    def _subject_name(self) -> str:
        return self.subject.currentText()

    def _panel_action(self, key: str) -> None:
        actions = {"book": self.book_at_cursor, "exam": self.start_exam, "move": self.move_selected,
                   "cancelled": self.cancel_selected}
        if key in actions:
            actions[key]()
        else:
            self.mark(key)
        self.grid.setFocus()

    def _key_action(self, key: str) -> None:
        mapping = {"a": lambda: self.mark("arrived"), "i": lambda: self.mark("in_test"),
                   "r": lambda: self.mark("booked"),
                   "c": lambda: self.mark("completed"), "d": lambda: self.mark("did_not_attend"),
                   "x": self.cancel_selected, "m": self.move_selected, "n": self.book_at_cursor,
                   "s": self.start_exam, "t": self.go_today, "previous": lambda: self.step(-1),
                   "next": lambda: self.step(1),
                   "w": lambda: self.set_mode("week" if self.mode == "day" else "day")}
        mapping[key]()

    def _say(self, text: str, role: str = "hint") -> None:
        """A line under the diary; after a while it goes back to the keyboard hint."""
        self.message.setText(text)
        self.message.setToolTip(text)
        set_style_property(self.message, "role", role)
        self._hint_timer.start()

    def _back_to_hint(self) -> None:
        self.message.setText(HINT)
        self.message.setToolTip("")
        set_style_property(self.message, "role", "hint")

    def mark(self, status: str, reason: str = "") -> None:
        booking = self.grid.selected_booking()
        if booking is None or not self.can_book:
            return
        problem = status_change_problem(booking.status, status)
        if problem:
            self._say(problem, "warning")
            return
        call = self.workspace.call
        who = booking.patient_name or booking.type_name

        def done(_result: object) -> None:
            self._say(f"{who} marked {BookingStatus(status).label.lower()}.", "success")
            changes.changed.emit("diary")

        def failed(error: BaseException) -> bool:
            if isinstance(error, UserFacingError):
                self._say(str(error), "warning")
                return True
            return False

        run_op(lambda: call(diary.change_status, booking.id, status, reason),
               on_done=done, on_error=failed, parent=self)

    def cancel_selected(self) -> None:
        booking = self.grid.selected_booking()
        if booking is None or not self._allowed(booking, "cancelled"):
            return
        reason, ok = QInputDialog.getText(
            self, "Cancel appointment",
            f"Cancel {booking.patient_name or booking.type_name}, {booking.starts_at:%a %d %b %H:%M}?\n\n"
            "Why is it cancelled?", text="Patient phoned to cancel")
        if ok and reason.strip():
            self.mark("cancelled", reason)

    def start_exam(self) -> None:
        booking = self.grid.selected_booking()
        if booking is None or booking.patient_id is None:
            return
        if not self.can_examine:
            self.mark("in_test")
            return
        self.start_exam_requested.emit(booking.id)
        self.start_exam_for_patient.emit(booking.patient_id, booking.id)

    def open_actions(self, booking: Booking) -> None:
        rect = self.grid.booking_rect(booking.id)
        where = self.grid.viewport().mapToGlobal(rect.bottomLeft() if rect else QPoint(GUTTER, HEADER))
        self._context_menu(booking, where)

    def _context_menu(self, booking: Booking | None, where: QPoint) -> None:
        def marking(status: str) -> Callable[[], None]:
            return lambda: self.mark(status)  # (no arguments: a menu's action passes none to it)

        handlers: dict[str, Callable[[], None]] = {
            "book": self.book_at_cursor, "exam": self.start_exam, "move": self.move_selected,
            "cancelled": self.cancel_selected,
            **{status: marking(status) for status in ("arrived", "in_test", "completed", "did_not_attend", "booked")}}
        allowed = self._actions_for(booking) if booking is not None else {"book": self.can_book}
        menu = action_menu(self, booking, allowed, handlers)
        if menu is None:
            return
        self._menu = menu  # kept for tests and so it is not collected while open
        menu.popup(where)

    # --- booking ---------------------------------------------------------------------------------
    def _free_room_at(self, moment: datetime, minutes: int) -> uuid.UUID | None:
        view = self.view
        if view is None or not view.rooms:
            return None
        from ils_desktop.domain.diary import add_minutes, overlaps

        ends = add_minutes(moment, minutes)
        for room in view.rooms:
            if not any(b.room_id == room.id and b.occupies_room and overlaps(moment, ends, b.starts_at, b.ends_at)
                       for b in view.bookings):
                return room.id
        return view.rooms[0].id

    def book_at_cursor(self) -> None:
        if not self.can_book or self.view is None or self._busy:
            return
        column = self.grid.cursor_column_info()
        moment = self.grid.cursor_time()
        if column is None or moment is None:
            return
        view = self.view
        kinds = list(view.appointment_types)
        default_kind = "sight_test" if any(k.code == "sight_test" for k in kinds) else (kinds[0].code if kinds else "")
        duration = next((k.duration_minutes for k in kinds if k.code == default_kind), 30)
        room_id = column.room_id or self._free_room_at(moment, duration)
        clinician_id = column.clinician_id
        if clinician_id is None and column.room_id is not None:
            # the clinician already working in that room that day is the likely one
            clinician_id = next((b.clinician_id for b in view.bookings if b.room_id == column.room_id
                                 and b.clinician_id and london_day(b.starts_at) == column.day), None)
        dialog = BookingDialog(self.workspace, list(view.rooms), kinds, list(view.clinicians),
                               starts_at=moment, room_id=room_id, clinician_id=clinician_id,
                               appointment_type=default_kind, slot_minutes=self.slot_minutes, parent=self)
        self._open_dialog(dialog)

    def move_selected(self) -> None:
        booking = self.grid.selected_booking()
        if booking is None or self.view is None or not self.can_book:
            return
        if booking.status not in ("booked", "arrived"):
            self._say(f"This appointment is {booking.status_label.lower()}, so it can no longer be moved.",
                      "warning")
            return
        view = self.view
        dialog = BookingDialog(self.workspace, list(view.rooms), list(view.appointment_types),
                               list(view.clinicians), starts_at=booking.starts_at, booking=booking,
                               slot_minutes=self.slot_minutes, parent=self)
        self._open_dialog(dialog)

    def _open_dialog(self, dialog: BookingDialog) -> None:
        patient = self._pending_patient
        if patient is not None:
            self._pending_patient = None
            dialog.choose(patient)
        self.dialog = dialog  # tests find it here
        self._busy = True
        dialog.finished.connect(lambda result: self._dialog_closed(dialog, result))
        dialog.open()

    def _dialog_closed(self, dialog: BookingDialog, result: int) -> None:
        self._busy = False
        self.window().activateWindow()  # the keyboard comes back to the diary
        self.grid.setFocus()
        if result and dialog.booking_id is not None:
            what = "changed" if dialog.booking is not None else "booked"
            self._say(f"Appointment {what}.", "success")
            self._select_when_loaded = dialog.booking_id
            starts = dialog.starts_at()
            if starts is not None and london_day(starts) != self.day and self.mode == "day":
                self.go_to(london_day(starts))  # the booking moved to another day: follow it

    def _dragged(self, booking: Booking, column: int, start_row: int, end_row: int) -> None:
        if not self.can_book or not 0 <= column < len(self.grid.columns):
            return
        info = self.grid.columns[column]
        hours = self.grid.hours
        starts = london_time(info.day, hours.row_clock(start_row))
        ends = london_time(info.day, hours.row_clock(end_row)) if end_row < hours.rows else \
            london_time(info.day, hours.closes)
        room_id = info.room_id if info.room_id is not None and not info.by_clinician else None
        keep_clinician = not info.by_clinician or info.clinician_id == booking.clinician_id
        call = self.workspace.call

        def done(_result: object) -> None:
            self._say(f"{booking.patient_name or booking.type_name} moved to {format_span(starts, ends)}.",
                      "success")
            changes.changed.emit("diary")

        def failed(error: BaseException) -> bool:
            if isinstance(error, UserFacingError):
                self._say(str(error), "warning")
                return True
            return False

        run_op(lambda: call(diary.move_booking, booking.id, starts_at=starts, ends_at=ends, room_id=room_id,
                            clinician_id=info.clinician_id, keep_clinician=keep_clinician),
               on_done=done, on_error=failed, parent=self)
