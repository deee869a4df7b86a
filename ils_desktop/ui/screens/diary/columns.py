"""What the diary grid lays out: its columns (a room or clinician on a day, or a day of one
room's or clinician's week), the bookings placed in them, the rows the grid spans, and the
short texts the blocks, tooltips and legend show."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from ils_desktop.domain.diary import (
    DEFAULT_WEEKLY_HOURS,
    DayHours,
    Lane,
    OpeningHours,
    clock_from_minutes,
    clock_minutes,
    format_span,
    london_day,
    wall_minutes,
)
from ils_desktop.services.diary import Booking, DiaryView, WeeklyHours

ROW_HEIGHTS = {5: 12, 10: 22, 15: 30}
GUTTER = 66
HEADER = 54
DEFAULT_HOURS = DEFAULT_WEEKLY_HOURS.grid([])


@dataclass(frozen=True)
class DiaryColumn:
    """One column of the grid: a room or a clinician on a day, or one day of a room's week."""

    key: str
    title: str
    subtitle: str
    day: date
    room_id: uuid.UUID | None = None
    clinician_id: uuid.UUID | None = None
    by_clinician: bool = False  # True: bookings here are this clinician's (or nobody's), any room
    is_today: bool = False
    main_clinician: str | None = None  # who works here most: blocks name only someone else
    open_hours: DayHours | None = None  # the practice's hours that day; None: closed all day


@dataclass(frozen=True)
class Placed:
    booking: Booking
    lane: Lane



ACTION_KEYS = {"book": "Enter", "arrived": "A", "exam": "S", "in_test": "I", "completed": "C",
               "did_not_attend": "D", "booked": "R", "move": "M", "cancelled": "X"}



def age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))



def tooltip(booking: Booking) -> str:
    lines = [f"<b>{booking.patient_name or booking.type_name}</b>",
             f"{booking.type_name} · {format_span(booking.starts_at, booking.ends_at)} · {booking.status_label}",
             booking.room_name + (f" · {booking.clinician_name}" if booking.clinician_name else "")]
    if booking.notes:
        lines.append(booking.notes.replace("\n", "<br>"))
    return "<br>".join(lines)


def short_type(name: str) -> str:
    return name.replace("Contact lens ", "CL ").replace("Spectacle collection", "Collection") \
        .replace("Domiciliary visit", "Domiciliary")


def main_clinician(bookings: list[Booking]) -> str | None:
    names = [b.clinician_name for b in bookings if b.clinician_name and b.occupies_room]
    return max(set(names), key=names.count) if names else None


def column_subtitle(bookings: list[Booking], who: list[str]) -> str:
    patients = sum(1 for b in bookings if b.patient_id is not None and b.occupies_room)
    text = f"{patients} booked" if patients else "Nothing booked"
    if who:
        text = f"{', '.join(who)} · {text}"
    return text




def day_columns(view: DiaryView, bookings: list[Booking], day: date, *, by_clinician: bool
                ) -> tuple[list[DiaryColumn], list[list[Booking]]]:
    """The day's columns — a room each, or a clinician each (and "No clinician" when bookings have
    none) — with the bookings in each."""
    columns: list[DiaryColumn] = []
    per_column: list[list[Booking]] = []
    day_hours = view.opening.on(day)
    if not by_clinician:
        for room in view.rooms:
            mine = [b for b in bookings if b.room_id == room.id]
            people = sorted({b.clinician_name for b in mine if b.clinician_name and b.occupies_room})
            columns.append(DiaryColumn(str(room.id), room.name, column_subtitle(mine, people), day,
                                       room_id=room.id, main_clinician=main_clinician(mine), open_hours=day_hours))
            per_column.append(mine)
        return columns, per_column
    for person in view.clinicians:
        mine = [b for b in bookings if b.clinician_id == person.id]
        rooms = sorted({b.room_name for b in mine if b.occupies_room})
        columns.append(DiaryColumn(str(person.id), person.name, column_subtitle(mine, rooms), day,
                                   clinician_id=person.id, by_clinician=True, open_hours=day_hours))
        per_column.append(mine)
    nobody = [b for b in bookings if b.clinician_id is None]
    if nobody:
        columns.append(DiaryColumn("nobody", "No clinician", column_subtitle(nobody, []), day, by_clinician=True,
                                   open_hours=day_hours))
        per_column.append(nobody)
    return columns, per_column


def week_columns(view: DiaryView, bookings: list[Booking], subject: tuple[str, uuid.UUID] | None, today: date
                 ) -> tuple[list[DiaryColumn], list[list[Booking]]]:
    """A day each of one room's or clinician's week (``subject``), closed days marked."""
    columns: list[DiaryColumn] = []
    per_column: list[list[Booking]] = []
    room_id = subject[1] if subject and subject[0] == "room" else None
    clinician_id = subject[1] if subject and subject[0] == "clinician" else None
    for day in view.days:
        mine = [b for b in bookings if london_day(b.starts_at) == day]
        subtitle = column_subtitle(mine, [])
        if not view.opening.is_open(day):
            subtitle = f"Closed · {subtitle}"
        columns.append(DiaryColumn(day.isoformat(), f"{day:%a} {day.day} {day:%b}", subtitle, day, room_id=room_id,
                                   clinician_id=clinician_id, by_clinician=clinician_id is not None,
                                   is_today=day == today, main_clinician=main_clinician(bookings),
                                   open_hours=view.opening.on(day)))
        per_column.append(mine)
    return columns, per_column


def grid_hours(opening: WeeklyHours, days: list[date], bookings: list[Booking], slot_minutes: int) -> OpeningHours:
    """The grid's rows: the practice's hours over the days shown, widened to show any booking made
    outside them."""
    grid = opening.grid(days, slot_minutes)
    opens, closes = clock_minutes(grid.opens), clock_minutes(grid.closes)
    for booking in bookings:
        opens = min(opens, wall_minutes(booking.starts_at) // 60 * 60)
        end = wall_minutes(booking.ends_at) if london_day(booking.ends_at) == london_day(booking.starts_at) \
            else 24 * 60 - slot_minutes
        closes = max(closes, min(24 * 60 - slot_minutes, -(-end // 60) * 60))
    return OpeningHours(clock_from_minutes(opens), clock_from_minutes(min(closes, 23 * 60 + 55)), slot_minutes)
