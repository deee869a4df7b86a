"""The day as the Home screen tells it: who is next, who is waiting, and figures said in words
("1 reading waiting", "2 readings waiting")."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and the noun in the number it takes: 0 readings, 1 reading, 2 readings (``plural`` when
    it is not the noun + s: 1 person, 2 people)."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


def greeting(now: datetime) -> str:
    """Good morning until noon, good afternoon until six, good evening after."""
    if now.hour < 12:
        return "Good morning"
    if now.hour < 18:
        return "Good afternoon"
    return "Good evening"


def week_ends(today: date) -> date:
    """The last day of the practice's week that ``today`` is in (its Sunday)."""
    return today + timedelta(days=6 - today.weekday())


@dataclass(frozen=True)
class Appointment:
    """A booking with a patient on today's clinic."""

    booking_id: uuid.UUID
    patient_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    patient_name: str
    type_name: str
    room_name: str
    clinician_name: str | None
    status: str  # a BookingStatus value


#: Still to be seen: booked, or arrived and waiting.
_TO_SEE = ("booked", "arrived")


def next_to_see(appointments: Sequence[Appointment]) -> Appointment | None:
    """The patient to see next: whoever has arrived and waits longest, else the earliest still booked.

    Someone who arrived comes before someone booked earlier who has not (a late patient does not
    hold up the clinic); a patient already in the room or done is not next."""
    arrived = [a for a in appointments if a.status == "arrived"]
    if arrived:
        return min(arrived, key=lambda a: a.starts_at)
    booked = [a for a in appointments if a.status == "booked"]
    return min(booked, key=lambda a: a.starts_at) if booked else None


def waiting(appointments: Sequence[Appointment]) -> list[Appointment]:
    """Patients who have arrived and are not yet in the room, in the order they were booked."""
    return sorted((a for a in appointments if a.status == "arrived"), key=lambda a: a.starts_at)


def still_to_see(appointments: Sequence[Appointment]) -> int:
    return sum(1 for a in appointments if a.status in _TO_SEE)


def seen(appointments: Sequence[Appointment]) -> int:
    return sum(1 for a in appointments if a.status == "completed")
