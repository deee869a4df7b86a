"""The day as the Home screen says it: plurals, greetings, the week's end, who is next."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest

from ils_desktop.domain.day_view import Appointment, counted, greeting, next_to_see, waiting, week_ends
from ils_desktop.domain.diary import LONDON


@pytest.mark.parametrize(("n", "noun", "plural", "said"), [
    (0, "reading", None, "0 readings"),
    (1, "reading", None, "1 reading"),
    (2, "reading", None, "2 readings"),
    (1, "person", "people", "1 person"),
    (3, "person", "people", "3 people"),
    (1, "more device", "more devices", "1 more device"),
])
def test_counted(n, noun, plural, said):
    assert counted(n, noun, plural) == said


@pytest.mark.parametrize(("hour", "said"), [(0, "Good morning"), (11, "Good morning"), (12, "Good afternoon"),
                                            (17, "Good afternoon"), (18, "Good evening"), (23, "Good evening")])
def test_greeting(hour, said):
    assert greeting(datetime(2030, 6, 4, hour, 59, tzinfo=LONDON)) == said


@pytest.mark.parametrize(("today", "sunday"), [
    (date(2030, 6, 3), date(2030, 6, 9)), (date(2030, 6, 9), date(2030, 6, 9)), (date(2030, 12, 30), date(2031, 1, 5)),
])
def test_the_week_ends_on_sunday(today, sunday):
    assert week_ends(today) == sunday


def _at(hh: int, mm: int, status: str) -> Appointment:
    starts = datetime(2030, 6, 4, hh, mm, tzinfo=LONDON)
    return Appointment(uuid.uuid4(), uuid.uuid4(), starts, starts + timedelta(minutes=30), f"{hh}:{mm:02}",
                       "Sight test", "Test room 1", None, status)


@pytest.mark.parametrize(("clinic", "next_one"), [
    ([], None),
    ([_at(9, 0, "completed"), _at(9, 30, "in_test")], None),  # nobody left to see
    ([_at(9, 0, "booked"), _at(9, 30, "booked")], "9:00"),  # the earliest booked
    ([_at(9, 0, "booked"), _at(9, 30, "arrived")], "9:30"),  # here beats late
    ([_at(10, 0, "arrived"), _at(9, 30, "arrived")], "9:30"),  # booked first, seen first
    ([_at(9, 0, "did_not_attend"), _at(9, 30, "booked")], "9:30"),
])
def test_next_to_see(clinic, next_one):
    found = next_to_see(clinic)
    assert (found.patient_name if found else None) == next_one


def test_waiting_in_booking_order():
    clinic = [_at(11, 0, "arrived"), _at(9, 0, "completed"), _at(10, 30, "arrived"), _at(10, 0, "booked")]
    assert [a.patient_name for a in waiting(clinic)] == ["10:30", "11:00"]
