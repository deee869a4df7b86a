"""The test-room diary's rules: appointment types, booking statuses, and clock arithmetic in
Europe/London (pure, no I/O).

- Times are stored as timestamptz and shown in Europe/London (the practice's wall clock). A
  diary row is a *wall-clock* time ("10:30"), but a booking's length is *elapsed* time: a
  30-minute sight test lasts 30 minutes even across the clock change. Python's aware
  ``datetime + timedelta`` is wall-clock arithmetic within one zone, so lengths here are added in
  UTC and converted back (:func:`add_minutes`).
- On the last Sunday of March London has 23 hours (01:00 GMT jumps to 02:00 BST); on the last
  Sunday of October it has 25 (01:00–02:00 happens twice). A day is therefore the span from one
  local midnight to the next (:func:`day_bounds`), never "midnight + 24 h".
- A booking occupies the half-open range [starts, ends): one ending at 10:30 and the next starting
  at 10:30 do not overlap. This is PostgreSQL's default ``tstzrange`` bound, which the
  ``no_double_booking`` exclusion constraint uses, so :func:`overlaps` agrees with the database.
- Cancelled and did-not-attend bookings free their room (they are left out of the constraint).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

LONDON: Final = ZoneInfo("Europe/London")


# --------------------------------------------------------------------------------------------------
# Appointment types and rooms a new practice starts with


@dataclass(frozen=True)
class AppointmentTypeDefault:
    """A kind of appointment and how long it takes; ``is_clinical`` ones go to the clinician's clinic."""

    code: str
    name: str
    duration_minutes: int
    colour: str
    is_clinical: bool = True


DEFAULT_APPOINTMENT_TYPES: Final[tuple[AppointmentTypeDefault, ...]] = (
    AppointmentTypeDefault("sight_test", "Sight test", 30, "#0E7490"),
    AppointmentTypeDefault("cl_assessment", "Contact lens assessment", 40, "#7C3AED"),
    AppointmentTypeDefault("cl_aftercare", "Contact lens aftercare", 20, "#C026D3"),
    AppointmentTypeDefault("domiciliary", "Domiciliary visit", 60, "#B45309"),
    AppointmentTypeDefault("collection", "Spectacle collection", 15, "#15803D", is_clinical=False),
    AppointmentTypeDefault("blocked", "Blocked time", 30, "#64748B", is_clinical=False),
)
"""Usual lengths in UK practice: sight test 30 min, CL assessment 40, CL aftercare 20, domiciliary
60, collection 15. "Blocked time" (lunch, training, a room out of use) has no patient."""

BLOCKED_TIME: Final = "blocked"
"""The appointment type of time kept free of patients; the only type booked without a patient."""


@dataclass(frozen=True)
class TestRoomDefault:
    name: str
    station_ae_title: str
    location: str


DEFAULT_TEST_ROOMS: Final[tuple[TestRoomDefault, ...]] = (
    TestRoomDefault("Test room 1", "TESTROOM1", "Ground floor"),
    TestRoomDefault("Test room 2", "TESTROOM2", "Ground floor"),
    TestRoomDefault("Contact lens room", "CLROOM", "First floor"),
)
"""AE titles are what the room's devices see in the DICOM modality worklist (at most 16 characters)."""


# --------------------------------------------------------------------------------------------------
# Booking statuses


class BookingStatus(StrEnum):
    BOOKED = "booked"
    ARRIVED = "arrived"
    IN_TEST = "in_test"
    COMPLETED = "completed"
    DID_NOT_ATTEND = "did_not_attend"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]

    @property
    def occupies_room(self) -> bool:
        """Whether the booking holds its room (the exclusion constraint's ``WHERE``)."""
        return self not in (BookingStatus.CANCELLED, BookingStatus.DID_NOT_ATTEND)


_STATUS_LABELS: Final = {
    BookingStatus.BOOKED: "Booked",
    BookingStatus.ARRIVED: "Arrived",
    BookingStatus.IN_TEST: "In test",
    BookingStatus.COMPLETED: "Completed",
    BookingStatus.DID_NOT_ATTEND: "Did not attend",
    BookingStatus.CANCELLED: "Cancelled",
}

ALLOWED_STATUS_CHANGES: Final[dict[BookingStatus, frozenset[BookingStatus]]] = {
    BookingStatus.BOOKED: frozenset({BookingStatus.ARRIVED, BookingStatus.IN_TEST, BookingStatus.DID_NOT_ATTEND,
                                     BookingStatus.CANCELLED}),
    BookingStatus.ARRIVED: frozenset({BookingStatus.IN_TEST, BookingStatus.BOOKED, BookingStatus.CANCELLED}),
    BookingStatus.IN_TEST: frozenset({BookingStatus.COMPLETED, BookingStatus.ARRIVED}),
    BookingStatus.COMPLETED: frozenset(),
    BookingStatus.DID_NOT_ATTEND: frozenset({BookingStatus.BOOKED}),
    BookingStatus.CANCELLED: frozenset({BookingStatus.BOOKED}),
}
"""The patient's day: booked → arrived → in test → completed. A booked patient may not come (did not
attend) or cancel; an arrived patient may leave unseen (cancelled). Mistakes are undone one step
back (arrived → booked, in test → arrived), and a DNA or cancellation can be reinstated (→ booked)
if the room is still free. A completed appointment is final: corrections belong to the exam record."""


def status_change_problem(current: str, wanted: str) -> str | None:
    """Why a booking cannot move from ``current`` to ``wanted`` (None if it can), per
    :data:`ALLOWED_STATUS_CHANGES`, in words for the front desk."""
    try:
        now, then = BookingStatus(current), BookingStatus(wanted)
    except ValueError:
        return f"'{wanted}' is not a booking status."
    if now is then:
        return f"This appointment is already marked {now.label.lower()}."
    if then in ALLOWED_STATUS_CHANGES[now]:
        return None
    if now is BookingStatus.COMPLETED:
        return "This appointment is completed; it can no longer be changed."
    return f"An appointment that is {now.label.lower()} cannot be marked {then.label.lower()}."


# --------------------------------------------------------------------------------------------------
# Clock arithmetic in Europe/London


def london_time(day: date, clock: time) -> datetime:
    """The aware moment a London wall clock shows ``clock`` on ``day``.

    A wall time inside the spring gap (01:30 on the last Sunday of March) does not exist; it is read
    the way a clock that was not changed would show it, i.e. moved on an hour (02:30 BST). In the
    autumn repeat (01:30 happens twice) the first, BST, occurrence is meant.
    """
    naive = datetime.combine(day, clock.replace(tzinfo=None))
    moment = naive.replace(tzinfo=LONDON, fold=0)
    return moment.astimezone(UTC).astimezone(LONDON)


def add_minutes(moment: datetime, minutes: int) -> datetime:
    """``moment`` plus elapsed minutes, in London time (correct across the clock change)."""
    if moment.tzinfo is None:
        raise ValueError("diary times must be timezone-aware")
    return (moment.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(LONDON)


def minutes_between(starts: datetime, ends: datetime) -> int:
    """Elapsed whole minutes from ``starts`` to ``ends``. (Subtracting two datetimes that share a
    tzinfo is wall-clock arithmetic in Python, so both go to UTC first.)"""
    return int((ends.astimezone(UTC) - starts.astimezone(UTC)).total_seconds() // 60)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[local midnight, next local midnight): 23 hours in March, 25 in October, else 24."""
    return london_time(day, time(0)), london_time(day + timedelta(days=1), time(0))


def day_length_hours(day: date) -> float:
    starts, ends = day_bounds(day)
    return minutes_between(starts, ends) / 60


def london_day(moment: datetime) -> date:
    """The London calendar day of an aware moment."""
    return moment.astimezone(LONDON).date()


def wall_minutes(moment: datetime) -> int:
    """Minutes since midnight on the London wall clock (where a booking sits on the diary grid)."""
    local = moment.astimezone(LONDON)
    return local.hour * 60 + local.minute


def clock_minutes(clock: time) -> int:
    return clock.hour * 60 + clock.minute


def clock_from_minutes(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


@dataclass(frozen=True)
class OpeningHours:
    """The part of the day the diary shows, and how finely (rows of 5, 10 or 15 minutes)."""

    opens: time = time(8, 30)
    closes: time = time(18, 0)
    slot_minutes: int = 10

    def __post_init__(self) -> None:
        if self.slot_minutes not in SLOT_SIZES:
            raise ValueError(f"diary rows are {', '.join(map(str, SLOT_SIZES))} minutes long")
        if clock_minutes(self.closes) <= clock_minutes(self.opens):
            raise ValueError("the diary must close after it opens")

    @property
    def rows(self) -> int:
        span = clock_minutes(self.closes) - clock_minutes(self.opens)
        return -(-span // self.slot_minutes)  # a part row at the end still gets a row

    def row_clock(self, row: int) -> time:
        """The wall-clock time at the top of ``row``."""
        return clock_from_minutes(clock_minutes(self.opens) + row * self.slot_minutes)

    def row_of(self, moment: datetime) -> float:
        """Where ``moment`` falls on the grid, in rows from opening (fractions within a row)."""
        return (wall_minutes(moment) - clock_minutes(self.opens)) / self.slot_minutes


SLOT_SIZES: Final = (5, 10, 15)


def slot_starts(day: date, hours: OpeningHours, step_minutes: int | None = None) -> list[datetime]:
    """Every slot's start between opening and closing on ``day`` (wall-clock steps)."""
    step = step_minutes or hours.slot_minutes
    first, last = clock_minutes(hours.opens), clock_minutes(hours.closes)
    return [london_time(day, clock_from_minutes(m)) for m in range(first, last, step)]


def snap_to_slot(moment: datetime, slot_minutes: int) -> datetime:
    """The start of the wall-clock slot containing ``moment`` (10:37 → 10:30 with 10-minute slots)."""
    local = moment.astimezone(LONDON)
    minutes = wall_minutes(local) // slot_minutes * slot_minutes
    return london_time(local.date(), clock_from_minutes(minutes))


def overlaps(a_starts: datetime, a_ends: datetime, b_starts: datetime, b_ends: datetime) -> bool:
    """Whether two half-open ranges [starts, ends) share a moment (adjacent ones do not). Compared in
    UTC: Python compares two datetimes sharing a tzinfo by wall clock, wrong in the autumn repeat."""
    a_starts, a_ends, b_starts, b_ends = (m.astimezone(UTC) for m in (a_starts, a_ends, b_starts, b_ends))
    return a_starts < b_ends and b_starts < a_ends


def next_free_slot(busy: Iterable[tuple[datetime, datetime]], day: date, hours: OpeningHours,
                   duration_minutes: int, *, not_before: datetime | None = None,
                   step_minutes: int | None = None) -> datetime | None:
    """The first slot start on ``day`` at or after ``not_before`` where ``duration_minutes`` fit
    before closing without touching a ``busy`` range; None if the day has no room left."""
    taken = sorted(busy)
    closing = london_time(day, hours.closes)
    for starts in slot_starts(day, hours, step_minutes):
        if not_before is not None and starts < not_before:
            continue
        ends = add_minutes(starts, duration_minutes)
        if ends > closing:
            return None
        if not any(overlaps(starts, ends, b_starts, b_ends) for b_starts, b_ends in taken):
            return starts
    return None


def week_of(day: date, days: int = 7) -> list[date]:
    """The calendar week holding ``day``: Monday and the ``days - 1`` days after it."""
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=n) for n in range(days)]


# --------------------------------------------------------------------------------------------------
# The practice's opening days and hours

WEEKDAY_KEYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_CLOSED_DATES: Final = 400  # more than a year of one-off closures is a mistake, not a plan


@dataclass(frozen=True)
class DayHours:
    """When the practice opens and closes on one day (London wall clock)."""

    opens: time
    closes: time


@dataclass(frozen=True)
class WeeklyHours:
    """The practice's week: hours for each weekday (Monday first; None = closed that day), and the
    dates it is closed although that weekday is open (bank holidays it takes, a refit, Christmas).

    Not validated on construction, so a screen can build one from what was typed and the service
    can say what is wrong with it (:func:`opening_hours_problems`)."""

    days: tuple[DayHours | None, ...]
    closed_dates: frozenset[date] = frozenset()

    def on(self, day: date) -> DayHours | None:
        """The hours on ``day``; None when the practice is closed then."""
        if day in self.closed_dates:
            return None
        return self.days[day.weekday()]

    def is_open(self, day: date) -> bool:
        return self.on(day) is not None

    @property
    def open_weekdays(self) -> frozenset[int]:
        return frozenset(n for n, hours in enumerate(self.days) if hours is not None)

    def closed_reason(self, day: date) -> str | None:
        """Why the practice is closed on ``day``, as the diary says it (None if it is open)."""
        if day in self.closed_dates:
            return f"The practice is closed on {WEEKDAY_NAMES[day.weekday()]} {day.day} {day:%B %Y}."
        if self.days[day.weekday()] is None:
            return f"The practice is closed on {WEEKDAY_NAMES[day.weekday()]}s."
        return None

    def grid(self, days: Iterable[date], slot_minutes: int = 10) -> OpeningHours:
        """The diary grid for ``days``: from the earliest opening to the latest closing among them
        (a Saturday morning shown beside full weekdays is one grid, its afternoon shaded closed).
        Days that are all closed get the span of the practice's usual week, so a booking made
        specially on them has rows to sit in. The edges go out to whole rows."""
        spans = [h for h in (self.on(d) for d in days) if h is not None] or \
            [h for h in self.days if h is not None] or [DayHours(time(8, 30), time(18))]
        opens = min(clock_minutes(h.opens) for h in spans) // slot_minutes * slot_minutes
        closes = -(-max(clock_minutes(h.closes) for h in spans) // slot_minutes) * slot_minutes
        return OpeningHours(clock_from_minutes(opens), clock_from_minutes(min(closes, 23 * 60 + 55)),
                            slot_minutes)

    def to_setting(self) -> dict[str, object]:
        """The JSON value kept in the practice setting (see :func:`opening_hours_problems`)."""
        return {
            "days": {key: None if hours is None else {"opens": f"{hours.opens:%H:%M}",
                                                       "closes": f"{hours.closes:%H:%M}"}
                     for key, hours in zip(WEEKDAY_KEYS, self.days, strict=True)},
            "closed_dates": sorted(d.isoformat() for d in self.closed_dates),
        }


_USUAL_DAY: Final = DayHours(time(8, 30), time(18, 0))
DEFAULT_WEEKLY_HOURS: Final = WeeklyHours((_USUAL_DAY,) * 6 + (None,))
"""A practice that has not said otherwise: Monday to Saturday, 08:30–18:00, closed on Sundays."""

_HH_MM: Final = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _clock_value(value: object) -> time | None:
    if not isinstance(value, str) or not (match := _HH_MM.match(value)):
        return None
    return time(int(match[1]), int(match[2]))


def opening_hours_problems(value: object) -> dict[str, str]:
    """What is wrong with an opening-hours setting (empty if nothing), by field, in words for the
    manager. The value is JSON::

        {"days": {"mon": {"opens": "09:00", "closes": "17:30"}, ..., "sun": null},
         "closed_dates": ["2025-12-25", "2025-12-26"]}

    Why these rules: the diary's week is built from this value on every workstation, so a bad one
    would hide days or break the grid for the whole practice.

    - All seven weekdays are given, ``null`` for closed: a day left out by mistake would silently
      vanish from the week.
    - Times are ``HH:MM`` on the 24-hour clock and on a five-minute boundary (the diary's finest
      row), and a day closes after it opens, on the same day (the diary has no overnight shifts).
    - At least one weekday is open: a practice that never opens has no diary to show.
    - ``closed_dates`` (optional) are ISO dates (``YYYY-MM-DD``), at most :data:`MAX_CLOSED_DATES`.
    """
    if not isinstance(value, dict):
        return {"opening_hours": "Give the opening hours for each day of the week."}
    problems: dict[str, str] = {}
    unknown = set(value) - {"days", "closed_dates"}
    if unknown:
        problems["opening_hours"] = f"Unknown opening-hours entry: {', '.join(sorted(map(str, unknown)))}."
    days = value.get("days")
    if not isinstance(days, dict):
        return problems | {"opening_hours": "Give the opening hours for each day of the week."}
    extra = set(days) - set(WEEKDAY_KEYS)
    if extra:
        problems["opening_hours"] = f"Unknown day: {', '.join(sorted(map(str, extra)))}."
    for key, name in zip(WEEKDAY_KEYS, WEEKDAY_NAMES, strict=True):
        if key not in days:
            problems[key] = f"Say whether the practice opens on {name}s."
            continue
        hours = days[key]
        if hours is None:
            continue
        if not isinstance(hours, dict) or set(hours) != {"opens", "closes"}:
            problems[key] = f"Give {name}'s opening and closing times."
            continue
        opens, closes = _clock_value(hours["opens"]), _clock_value(hours["closes"])
        if opens is None or closes is None:
            problems[key] = f"{name}: type the times like 09:00 and 17:30."
        elif opens.minute % 5 or closes.minute % 5:
            problems[key] = f"{name}: the times must be on five minutes (09:00, 09:05, …)."
        elif closes <= opens:
            problems[key] = f"{name}: the practice must close after it opens."
    if not problems and all(days[key] is None for key in WEEKDAY_KEYS):
        problems["opening_hours"] = "The practice must open on at least one day of the week."
    closed = value.get("closed_dates", [])
    if not isinstance(closed, list) or len(closed) > MAX_CLOSED_DATES:
        problems["closed_dates"] = f"List at most {MAX_CLOSED_DATES} dates the practice is closed."
    else:
        wrong = next((entry for entry in closed if _iso_date(entry) is None), None)
        if wrong is not None:
            problems["closed_dates"] = f"'{wrong}' is not a date."
    return problems


def _iso_date(value: object) -> date | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def opening_hours_from_setting(value: object) -> WeeklyHours:
    """The practice's week from its setting: the default (:data:`DEFAULT_WEEKLY_HOURS`) when there
    is none — or when it does not pass :func:`opening_hours_problems` (edited by hand, or written by
    a later version), since a diary that opens on the usual week beats one that cannot open."""
    if value is None or opening_hours_problems(value):
        return DEFAULT_WEEKLY_HOURS
    assert isinstance(value, dict)
    days: list[DayHours | None] = []
    for key in WEEKDAY_KEYS:
        hours = value["days"][key]
        if hours is None:
            days.append(None)
        else:
            opens, closes = _clock_value(hours["opens"]), _clock_value(hours["closes"])
            assert opens is not None and closes is not None
            days.append(DayHours(opens, closes))
    closed = frozenset(date.fromisoformat(d) for d in value.get("closed_dates", []))
    return WeeklyHours(tuple(days), closed)


def week_days(day: date, hours: WeeklyHours, booked: Iterable[date] = ()) -> list[date]:
    """The days the diary's week shows for the week holding ``day``: the days the practice opens,
    and any other day of that week with bookings (a Sunday clinic booked specially must not vanish).
    If the practice is closed all that week (Christmas), its usual opening weekdays are shown, each
    marked closed, so the week is never empty."""
    week = week_of(day)
    booked_days = set(booked)
    shown = [d for d in week if hours.is_open(d) or d in booked_days]
    return shown or [d for d in week if d.weekday() in hours.open_weekdays] or week


_CLOCK: Final = re.compile(r"^\s*(\d{1,2})(?:[:.h ]?(\d{2}))?\s*(am|pm|a|p)?\s*$", re.IGNORECASE)


def parse_clock_time(text: str) -> time:
    """Read a time as the front desk types it: ``10:15``, ``10.15``, ``1015``, ``9``, ``9:05``,
    ``2pm``, ``2:30 pm``. Raises ``ValueError`` with a plain message otherwise."""
    match = _CLOCK.match(text or "")
    if not match:
        raise ValueError(f"'{(text or '').strip()}' is not a time: type it like 10:15")
    hours_text, minutes_text, meridiem = match.groups()
    hour, minute = int(hours_text), int(minutes_text or 0)
    if meridiem:
        if not 1 <= hour <= 12:
            raise ValueError(f"'{text.strip()}' is not a time: with am/pm the hour is 1 to 12")
        hour = hour % 12 + (12 if meridiem.lower().startswith("p") else 0)
    if hour > 23 or minute > 59:
        raise ValueError(f"'{text.strip()}' is not a time of day")
    return time(hour, minute)


def format_span(starts: datetime, ends: datetime) -> str:
    """``10:00–10:30`` in London time."""
    return f"{starts.astimezone(LONDON):%H:%M}–{ends.astimezone(LONDON):%H:%M}"


def double_booking_message(room: str, starts: datetime, ends: datetime, who: str | None,
                           appointment: str | None) -> str:
    """What the front desk reads when a room is taken: the room, the clash's time, who and what,
    and what to do next."""
    span = format_span(starts, ends)
    if who:
        what = f"{who}, {appointment.lower()}" if appointment else who
        return f"{room} is already booked {span} ({what}). Choose another time or room."
    if appointment:
        return f"{room} is blocked {span} ({appointment.lower()}). Choose another time or room."
    return f"{room} is already booked {span}. Choose another time or room."


def patient_display_name(title: str | None, first_name: str, last_name: str) -> str:
    """``Mrs Jane Smith`` (the title only when there is one)."""
    return " ".join(part for part in (title, first_name, last_name) if part)


@dataclass(frozen=True)
class Lane:
    """Where a block sits across its column when blocks overlap: lane ``index`` of ``count``."""

    index: int
    count: int


def lay_out_lanes(spans: Sequence[tuple[datetime, datetime]]) -> list[Lane]:
    """Side-by-side lanes for overlapping blocks in one column (a DNA under its replacement, or
    several rooms' bookings in a clinician's column), like a paper diary's split column.

    Blocks are placed in start order in the first free lane; each cluster of mutually reachable
    overlaps shares one lane count, so blocks in a cluster have equal widths."""
    order = sorted(range(len(spans)), key=lambda i: (spans[i][0], spans[i][1]))
    lanes: list[Lane] = [Lane(0, 1)] * len(spans)
    cluster: list[int] = []
    lane_ends: list[datetime] = []
    cluster_end: datetime | None = None

    def close_cluster() -> None:
        for member in cluster:
            lanes[member] = Lane(lanes[member].index, len(lane_ends))

    for i in order:
        starts, ends = spans[i]
        if cluster_end is not None and starts >= cluster_end:
            close_cluster()
            cluster, lane_ends, cluster_end = [], [], None
        for lane, lane_end in enumerate(lane_ends):
            if lane_end <= starts:
                lane_ends[lane] = ends
                lanes[i] = Lane(lane, 0)
                break
        else:
            lane_ends.append(ends)
            lanes[i] = Lane(len(lane_ends) - 1, 0)
        cluster.append(i)
        cluster_end = ends if cluster_end is None else max(cluster_end, ends)
    close_cluster()
    return lanes
