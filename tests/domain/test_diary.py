"""Diary rules (domain/diary.py): appointment lengths, the patient's day (status changes), clock
arithmetic in Europe/London across the clock changes, slots, free time and side-by-side lanes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from ils_desktop.domain.diary import (
    DEFAULT_APPOINTMENT_TYPES,
    DEFAULT_TEST_ROOMS,
    DEFAULT_WEEKLY_HOURS,
    LONDON,
    BookingStatus,
    DayHours,
    Lane,
    OpeningHours,
    WeeklyHours,
    add_minutes,
    day_bounds,
    day_length_hours,
    double_booking_message,
    lay_out_lanes,
    london_time,
    minutes_between,
    next_free_slot,
    opening_hours_from_setting,
    opening_hours_problems,
    overlaps,
    parse_clock_time,
    patient_display_name,
    slot_starts,
    snap_to_slot,
    status_change_problem,
    wall_minutes,
    week_days,
    week_of,
)

SPRING_FORWARD = date(2026, 3, 29)  # 01:00 GMT → 02:00 BST
FALL_BACK = date(2026, 10, 25)  # 02:00 BST → 01:00 GMT
ORDINARY = date(2026, 11, 25)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return london_time(day, time(hh, mm))


@pytest.mark.parametrize(("code", "minutes", "clinical"), [
    ("sight_test", 30, True),
    ("cl_assessment", 40, True),
    ("cl_aftercare", 20, True),
    ("domiciliary", 60, True),
    ("collection", 15, False),
    ("blocked", 30, False),
])
def test_default_appointment_types_have_the_usual_lengths(code: str, minutes: int, clinical: bool) -> None:
    kind = next(t for t in DEFAULT_APPOINTMENT_TYPES if t.code == code)
    assert (kind.duration_minutes, kind.is_clinical) == (minutes, clinical)
    assert kind.colour.startswith("#") and len(kind.colour) == 7


def test_default_rooms_have_worklist_ae_titles_devices_accept() -> None:
    assert [r.name for r in DEFAULT_TEST_ROOMS] == ["Test room 1", "Test room 2", "Contact lens room"]
    for room in DEFAULT_TEST_ROOMS:
        assert room.station_ae_title.isupper() and 0 < len(room.station_ae_title) <= 16


# --- the patient's day -----------------------------------------------------------------------------

ALLOWED = [
    ("booked", "arrived"), ("arrived", "in_test"), ("in_test", "completed"),
    ("booked", "did_not_attend"), ("booked", "cancelled"), ("booked", "in_test"),
    ("arrived", "cancelled"), ("arrived", "booked"), ("in_test", "arrived"),
    ("did_not_attend", "booked"), ("cancelled", "booked"),
]


@pytest.mark.parametrize(("current", "wanted"), ALLOWED)
def test_allowed_status_changes(current: str, wanted: str) -> None:
    assert status_change_problem(current, wanted) is None


REFUSED = [
    ("completed", "booked", "completed; it can no longer be changed"),
    ("completed", "cancelled", "completed; it can no longer be changed"),
    ("booked", "completed", "booked cannot be marked completed"),
    ("arrived", "did_not_attend", "arrived cannot be marked did not attend"),
    ("in_test", "did_not_attend", "in test cannot be marked did not attend"),
    ("in_test", "cancelled", "in test cannot be marked cancelled"),
    ("did_not_attend", "arrived", "did not attend cannot be marked arrived"),
    ("cancelled", "in_test", "cancelled cannot be marked in test"),
    ("arrived", "arrived", "already marked arrived"),
    ("booked", "lost", "'lost' is not a booking status"),
]


@pytest.mark.parametrize(("current", "wanted", "says"), REFUSED)
def test_refused_status_changes_say_why(current: str, wanted: str, says: str) -> None:
    problem = status_change_problem(current, wanted)
    assert problem is not None and says in problem


@pytest.mark.parametrize(("status", "holds"), [
    ("booked", True), ("arrived", True), ("in_test", True), ("completed", True),
    ("did_not_attend", False), ("cancelled", False),
])
def test_cancelled_and_dna_free_the_room(status: str, holds: bool) -> None:
    assert BookingStatus(status).occupies_room is holds


# --- clock arithmetic ------------------------------------------------------------------------------

@pytest.mark.parametrize(("day", "hours"), [(ORDINARY, 24), (SPRING_FORWARD, 23), (FALL_BACK, 25)])
def test_a_london_day_is_23_24_or_25_hours(day: date, hours: int) -> None:
    starts, ends = day_bounds(day)
    assert (starts.hour, ends.hour) == (0, 0)
    assert day_length_hours(day) == hours


@pytest.mark.parametrize(("start", "minutes", "shown", "utc_hour"), [
    (at(ORDINARY, 10), 30, "10:30 GMT", 10),
    (at(date(2026, 7, 1), 10), 30, "10:30 BST", 9),
    # elapsed minutes across the change: 00:45 GMT + 30 min is 02:15 BST on the spring day
    (at(SPRING_FORWARD, 0, 45), 30, "02:15 BST", 1),
    # on the autumn day 00:45 BST + 60 min is the first 01:45 (BST); + 90 min is the second 01:15 (GMT)
    (at(FALL_BACK, 0, 45), 60, "01:45 BST", 0),
    (at(FALL_BACK, 0, 45), 90, "01:15 GMT", 1),
])
def test_add_minutes_counts_elapsed_time_across_the_clock_change(start: datetime, minutes: int, shown: str,
                                                                utc_hour: int) -> None:
    end = add_minutes(start, minutes)
    assert f"{end:%H:%M %Z}" == shown
    assert end.astimezone(UTC).hour == utc_hour
    assert minutes_between(start, end) == minutes


@pytest.mark.parametrize(("day", "clock", "shown"), [
    (ORDINARY, time(9, 0), "09:00 GMT"),
    (SPRING_FORWARD, time(1, 30), "02:30 BST"),  # does not exist: read as an unchanged clock would
    (FALL_BACK, time(1, 30), "01:30 BST"),  # happens twice: the first (BST) one
    (SPRING_FORWARD, time(10, 0), "10:00 BST"),
])
def test_london_time_reads_wall_clock_times(day: date, clock: time, shown: str) -> None:
    assert f"{london_time(day, clock):%H:%M %Z}" == shown


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_minutes(datetime(2026, 1, 1, 10), 5)


@pytest.mark.parametrize(("day", "slot", "count", "first", "last"), [
    (ORDINARY, 10, 57, "08:30", "17:50"),
    (ORDINARY, 15, 38, "08:30", "17:45"),
    (ORDINARY, 5, 114, "08:30", "17:55"),
    (SPRING_FORWARD, 10, 57, "08:30", "17:50"),  # opening hours are unaffected by the 01:00 change
    (FALL_BACK, 15, 38, "08:30", "17:45"),
])
def test_slot_starts_are_wall_clock_rows(day: date, slot: int, count: int, first: str, last: str) -> None:
    hours = OpeningHours(time(8, 30), time(18, 0), slot)
    slots = slot_starts(day, hours)
    assert (len(slots), f"{slots[0]:%H:%M}", f"{slots[-1]:%H:%M}") == (count, first, last)
    assert hours.rows == count
    assert all(s.utcoffset() == slots[0].utcoffset() for s in slots)


def test_night_slots_on_the_spring_day_skip_the_missing_hour() -> None:
    hours = OpeningHours(time(0, 0), time(3, 0), 15)
    shown = [f"{s:%H:%M}" for s in slot_starts(SPRING_FORWARD, hours)]
    assert shown[:4] == ["00:00", "00:15", "00:30", "00:45"]
    # 01:00–01:45 do not exist that night; they read as 02:00–02:45 BST (duplicates of the real ones)
    assert shown[4:8] == ["02:00", "02:15", "02:30", "02:45"]


@pytest.mark.parametrize(("opens", "closes", "slot", "problem"), [
    (time(9), time(9), 10, "close after it opens"),
    (time(18), time(9), 10, "close after it opens"),
    (time(9), time(17), 20, "5, 10, 15 minutes"),
])
def test_opening_hours_must_make_sense(opens: time, closes: time, slot: int, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        OpeningHours(opens, closes, slot)


@pytest.mark.parametrize(("moment", "slot", "snapped"), [
    (at(ORDINARY, 10, 37), 10, "10:30"),
    (at(ORDINARY, 10, 30), 10, "10:30"),
    (at(ORDINARY, 10, 44), 15, "10:30"),
    (at(ORDINARY, 10, 59), 5, "10:55"),
    (at(SPRING_FORWARD, 14, 7), 15, "14:00"),
])
def test_snap_to_slot(moment: datetime, slot: int, snapped: str) -> None:
    assert f"{snap_to_slot(moment, slot):%H:%M}" == snapped


def test_grid_position_follows_the_wall_clock_in_summer_and_winter() -> None:
    hours = OpeningHours(time(8, 30), time(18), 10)
    assert hours.row_of(at(ORDINARY, 10)) == 9
    assert hours.row_of(at(date(2026, 7, 1), 10)) == 9
    assert hours.row_of(at(SPRING_FORWARD, 10, 5)) == 9.5
    assert wall_minutes(at(FALL_BACK, 10)) == 600
    assert hours.row_clock(9) == time(10, 0)


# --- overlaps: the database's [starts, ends) rule ----------------------------------------------------

@pytest.mark.parametrize(("a", "b", "clash"), [
    ((10, 0, 10, 30), (10, 15, 10, 45), True),  # overlapping
    ((10, 0, 10, 30), (10, 30, 11, 0), False),  # adjacent: ends when the next starts
    ((10, 30, 11, 0), (10, 0, 10, 30), False),  # adjacent, the other way round
    ((10, 0, 11, 0), (10, 15, 10, 30), True),  # inside
    ((10, 0, 10, 30), (10, 0, 10, 30), True),  # the same time
    ((9, 0, 9, 30), (10, 0, 10, 30), False),  # apart
])
def test_overlaps_is_half_open(a: tuple[int, int, int, int], b: tuple[int, int, int, int], clash: bool) -> None:
    a_span = (at(ORDINARY, a[0], a[1]), at(ORDINARY, a[2], a[3]))
    b_span = (at(ORDINARY, b[0], b[1]), at(ORDINARY, b[2], b[3]))
    assert overlaps(*a_span, *b_span) is clash


def test_overlaps_in_the_repeated_autumn_hour() -> None:
    first = london_time(FALL_BACK, time(1, 0))  # 01:00 BST
    second = add_minutes(first, 60)  # 01:00 GMT, an hour later by the clock on the wall
    assert not overlaps(first, add_minutes(first, 30), second, add_minutes(second, 30))
    assert overlaps(first, add_minutes(first, 90), second, add_minutes(second, 30))


# --- finding free time -----------------------------------------------------------------------------

HOURS = OpeningHours(time(9), time(17, 30), 10)


@pytest.mark.parametrize(("busy", "minutes", "not_before", "free"), [
    ([], 30, None, "09:00"),
    ([((9, 0), (9, 30))], 30, None, "09:30"),
    ([((9, 0), (9, 30)), ((9, 40), (10, 10))], 30, None, "10:10"),  # 09:30–09:40 too short for 30
    ([((9, 0), (9, 30)), ((9, 40), (10, 10))], 10, None, "09:30"),  # but right for a 10-minute one
    ([], 30, (11, 5), "11:10"),  # from a moment: the next row at or after it
    ([((9, 0), (17, 0))], 30, None, "17:00"),  # the last half hour of the day
    ([((9, 0), (17, 10))], 30, None, None),  # would run past closing
    ([], 60, (17, 0), None),
])
def test_next_free_slot(busy: list[tuple[tuple[int, int], tuple[int, int]]], minutes: int,
                        not_before: tuple[int, int] | None, free: str | None) -> None:
    spans = [(at(ORDINARY, *s), at(ORDINARY, *e)) for s, e in busy]
    found = next_free_slot(spans, ORDINARY, HOURS, minutes,
                           not_before=at(ORDINARY, *not_before) if not_before else None)
    assert (f"{found:%H:%M}" if found else None) == free


@pytest.mark.parametrize(("day", "days", "first", "last"), [
    (date(2026, 11, 25), 6, date(2026, 11, 23), date(2026, 11, 28)),  # a Wednesday: Mon–Sat
    (date(2026, 11, 23), 6, date(2026, 11, 23), date(2026, 11, 28)),
    (date(2026, 11, 29), 7, date(2026, 11, 23), date(2026, 11, 29)),  # Sunday: the week it ends
])
def test_week_of(day: date, days: int, first: date, last: date) -> None:
    week = week_of(day, days)
    assert (week[0], week[-1], len(week)) == (first, last, days)



# --- the practice's opening days and hours ---------------------------------------------------------

WEEKDAYS = {"opens": "09:00", "closes": "17:30"}
USUAL = {"mon": WEEKDAYS, "tue": WEEKDAYS, "wed": WEEKDAYS, "thu": WEEKDAYS, "fri": WEEKDAYS,
         "sat": {"opens": "09:00", "closes": "13:00"}, "sun": None}


def week(**days: object) -> dict[str, object]:
    return {"days": USUAL | days}


@pytest.mark.parametrize(("value", "problems"), [
    (week(), {}),
    (week(sun={"opens": "10:00", "closes": "16:00"}), {}),  # open on Sundays
    (week(mon=None, tue=None) | {"closed_dates": ["2025-12-25", "2025-08-25"]}, {}),
    ({"days": {key: {"opens": "00:00", "closes": "23:55"} for key in USUAL}}, {}),
    (None, {"opening_hours": "Give the opening hours for each day of the week."}),
    ([], {"opening_hours": "Give the opening hours for each day of the week."}),
    ({"days": "mon-sat"}, {"opening_hours": "Give the opening hours for each day of the week."}),
    ({"days": {k: v for k, v in USUAL.items() if k != "sun"}}, {"sun": "Say whether the practice opens on Sundays."}),
    (week(fri={"opens": "17:30", "closes": "09:00"}), {"fri": "Friday: the practice must close after it opens."}),
    (week(fri={"opens": "09:00", "closes": "09:00"}), {"fri": "Friday: the practice must close after it opens."}),
    (week(mon={"opens": "9am", "closes": "17:30"}), {"mon": "Monday: type the times like 09:00 and 17:30."}),
    (week(mon={"opens": "09:00", "closes": "24:00"}), {"mon": "Monday: type the times like 09:00 and 17:30."}),
    (week(mon={"opens": 900, "closes": "17:30"}), {"mon": "Monday: type the times like 09:00 and 17:30."}),
    (week(tue={"opens": "09:03", "closes": "17:30"}),
     {"tue": "Tuesday: the times must be on five minutes (09:00, 09:05, …)."}),
    (week(wed={"opens": "09:00"}), {"wed": "Give Wednesday's opening and closing times."}),
    (week(wed="09:00-17:30"), {"wed": "Give Wednesday's opening and closing times."}),
    ({"days": dict.fromkeys(USUAL)}, {"opening_hours": "The practice must open on at least one day of the week."}),
    (week(hol=None), {"opening_hours": "Unknown day: hol."}),
    (week() | {"bank_holidays": "england"}, {"opening_hours": "Unknown opening-hours entry: bank_holidays."}),
    (week() | {"closed_dates": ["25/12/2025"]},
     {"closed_dates": "'25/12/2025' is not a date."}),
    (week() | {"closed_dates": ["2025-02-30"]},
     {"closed_dates": "'2025-02-30' is not a date."}),
    (week() | {"closed_dates": "2025-12-25"}, {"closed_dates": "List at most 400 dates the practice is closed."}),
])
def test_opening_hours_problems(value: object, problems: dict[str, str]) -> None:
    assert opening_hours_problems(value) == problems


SUNDAY_CLINIC = WeeklyHours((DayHours(time(9), time(17, 30)),) * 5
                            + (DayHours(time(9), time(13)), DayHours(time(10), time(16))))


@pytest.mark.parametrize(("stored", "read"), [
    (None, DEFAULT_WEEKLY_HOURS),  # never set: Monday to Saturday 08:30–18:00
    (week(fri={"opens": "17:30", "closes": "09:00"}), DEFAULT_WEEKLY_HOURS),  # unreadable: the usual week
    (SUNDAY_CLINIC.to_setting(), SUNDAY_CLINIC),
    (week() | {"closed_dates": ["2025-12-25"]},
     WeeklyHours((*SUNDAY_CLINIC.days[:6], None), frozenset({date(2025, 12, 25)}))),
])
def test_opening_hours_read_from_the_setting(stored: object, read: WeeklyHours) -> None:
    assert opening_hours_from_setting(stored) == read
    assert opening_hours_problems(read.to_setting()) == {}


def test_the_default_week_is_monday_to_saturday_half_past_eight_to_six() -> None:
    assert DEFAULT_WEEKLY_HOURS.open_weekdays == frozenset(range(6))
    assert DEFAULT_WEEKLY_HOURS.on(date(2026, 12, 5)) == DayHours(time(8, 30), time(18))  # Saturday
    assert DEFAULT_WEEKLY_HOURS.on(date(2026, 12, 6)) is None  # Sunday


CHRISTMAS = WeeklyHours(SUNDAY_CLINIC.days, frozenset({date(2025, 12, 25), date(2025, 12, 26)}))


@pytest.mark.parametrize(("hours", "day", "reason"), [
    (DEFAULT_WEEKLY_HOURS, date(2026, 12, 6), "The practice is closed on Sundays."),
    (DEFAULT_WEEKLY_HOURS, date(2026, 12, 7), None),
    (DEFAULT_WEEKLY_HOURS, date(2025, 8, 25), None),  # a bank holiday is a working day unless listed
    (CHRISTMAS, date(2025, 12, 25), "The practice is closed on Thursday 25 December 2025."),
    (CHRISTMAS, date(2025, 12, 28), None),  # its Sunday clinic
])
def test_closed_reason(hours: WeeklyHours, day: date, reason: str | None) -> None:
    assert hours.closed_reason(day) == reason
    assert hours.is_open(day) is (reason is None)


@pytest.mark.parametrize(("hours", "days", "slot", "grid"), [
    (DEFAULT_WEEKLY_HOURS, [date(2026, 12, 7)], 10, ("08:30", "18:00")),
    (SUNDAY_CLINIC, [date(2026, 12, 5)], 10, ("09:00", "13:00")),  # Saturday morning alone
    (SUNDAY_CLINIC, week_of(date(2026, 12, 7)), 10, ("09:00", "17:30")),  # earliest to latest over the week
    (SUNDAY_CLINIC, [date(2026, 12, 6)], 15, ("10:00", "16:00")),
    (WeeklyHours((DayHours(time(8, 5), time(17, 55)),) * 7), [date(2026, 12, 7)], 15, ("08:00", "18:00")),
    (DEFAULT_WEEKLY_HOURS, [date(2026, 12, 6)], 10, ("08:30", "18:00")),  # closed: the usual span
    (CHRISTMAS, [date(2025, 12, 25)], 5, ("09:00", "17:30")),
])
def test_the_grid_spans_the_shown_days_opening_hours(hours: WeeklyHours, days: list[date], slot: int,
                                                     grid: tuple[str, str]) -> None:
    found = hours.grid(days, slot)
    assert (f"{found.opens:%H:%M}", f"{found.closes:%H:%M}", found.slot_minutes) == (*grid, slot)


MON_TO_SAT = [date(2026, 11, 30) + timedelta(days=n) for n in range(6)]


@pytest.mark.parametrize(("hours", "day", "booked", "shown"), [
    (DEFAULT_WEEKLY_HOURS, date(2026, 12, 2), [], MON_TO_SAT),
    (DEFAULT_WEEKLY_HOURS, date(2026, 12, 6), [], MON_TO_SAT),  # a Sunday: its week, without it
    (DEFAULT_WEEKLY_HOURS, date(2026, 12, 6), [date(2026, 12, 6)], [*MON_TO_SAT, date(2026, 12, 6)]),
    (DEFAULT_WEEKLY_HOURS, date(2026, 12, 2), [date(2026, 12, 13)], MON_TO_SAT),  # another week's booking
    (SUNDAY_CLINIC, date(2026, 12, 2), [], [*MON_TO_SAT, date(2026, 12, 6)]),
    (WeeklyHours((None, *SUNDAY_CLINIC.days[1:])), date(2026, 12, 2), [], [*MON_TO_SAT[1:], date(2026, 12, 6)]),
    (CHRISTMAS, date(2025, 12, 24), [],
     [date(2025, 12, 22), date(2025, 12, 23), date(2025, 12, 24), date(2025, 12, 27), date(2025, 12, 28)]),
    (WeeklyHours((DayHours(time(9), time(17)),) + (None,) * 6, frozenset({date(2026, 11, 30)})),
     date(2026, 12, 2), [], [date(2026, 11, 30)]),  # closed all week: its usual day, shown closed
])
def test_the_week_shows_the_opening_days_and_any_day_with_bookings(hours: WeeklyHours, day: date,
                                                                   booked: list[date], shown: list[date]) -> None:
    assert week_days(day, hours, booked) == shown


# --- what people type and read ---------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "clock"), [
    ("10:15", time(10, 15)), ("10.15", time(10, 15)), ("1015", time(10, 15)), ("915", time(9, 15)),
    ("9", time(9, 0)), ("09:05", time(9, 5)), ("2pm", time(14, 0)), ("2:30 pm", time(14, 30)),
    ("12am", time(0, 0)), ("12 pm", time(12, 0)), (" 17:45 ", time(17, 45)), ("14h30", time(14, 30)),
])
def test_times_as_the_front_desk_types_them(typed: str, clock: time) -> None:
    assert parse_clock_time(typed) == clock


@pytest.mark.parametrize(("typed", "says"), [
    ("", "is not a time"), ("ten", "is not a time"), ("10:5", "is not a time"), ("25:00", "not a time of day"),
    ("10:75", "not a time of day"), ("13pm", "hour is 1 to 12"), ("10:15:00", "is not a time"),
])
def test_times_that_are_not_times(typed: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_clock_time(typed)


@pytest.mark.parametrize(("who", "what", "message"), [
    ("Mrs Jane Smith", "Sight test",
     "Test room 1 is already booked 10:00–10:30 (Mrs Jane Smith, sight test). Choose another time or room."),
    (None, "Blocked time", "Test room 1 is blocked 10:00–10:30 (blocked time). Choose another time or room."),
    ("Jane Smith", None, "Test room 1 is already booked 10:00–10:30 (Jane Smith). Choose another time or room."),
    (None, None, "Test room 1 is already booked 10:00–10:30. Choose another time or room."),
])
def test_double_booking_message_names_the_clash(who: str | None, what: str | None, message: str) -> None:
    assert double_booking_message("Test room 1", at(ORDINARY, 10), at(ORDINARY, 10, 30), who, what) == message


@pytest.mark.parametrize(("title", "first", "last", "shown"), [
    ("Mrs", "Jane", "Smith", "Mrs Jane Smith"), (None, "Jane", "Smith", "Jane Smith"), ("", "Al", "Ng", "Al Ng"),
])
def test_patient_display_name(title: str | None, first: str, last: str, shown: str) -> None:
    assert patient_display_name(title, first, last) == shown


# --- lanes ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("spans", "lanes"), [
    ([], []),
    ([(10, 0, 10, 30)], [Lane(0, 1)]),
    ([(10, 0, 10, 30), (10, 30, 11, 0)], [Lane(0, 1), Lane(0, 1)]),  # adjacent: one lane each
    ([(10, 0, 10, 30), (10, 0, 10, 30)], [Lane(0, 2), Lane(1, 2)]),  # a DNA under its replacement
    ([(10, 0, 11, 0), (10, 15, 10, 30), (10, 30, 10, 45), (11, 0, 11, 30)],
     [Lane(0, 2), Lane(1, 2), Lane(1, 2), Lane(0, 1)]),
    ([(10, 0, 10, 40), (10, 10, 10, 30), (10, 20, 10, 50)], [Lane(0, 3), Lane(1, 3), Lane(2, 3)]),
])
def test_overlapping_blocks_share_the_column(spans: list[tuple[int, int, int, int]], lanes: list[Lane]) -> None:
    moments = [(at(ORDINARY, a, b), at(ORDINARY, c, d)) for a, b, c, d in spans]
    assert lay_out_lanes(moments) == lanes


def test_lanes_do_not_depend_on_input_order() -> None:
    spans = [(at(ORDINARY, 10, 15), at(ORDINARY, 10, 30)), (at(ORDINARY, 10), at(ORDINARY, 11))]
    assert lay_out_lanes(spans) == [Lane(1, 2), Lane(0, 2)]


def test_london_is_the_zone() -> None:
    assert london_time(ORDINARY, time(12)).tzinfo == LONDON
    assert (london_time(ORDINARY, time(12)) - london_time(ORDINARY, time(11))) == timedelta(hours=1)
