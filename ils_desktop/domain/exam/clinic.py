"""The day's clinic: who the clinician sees next."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol, TypeVar


class ClinicSlot(Protocol):
    """What the rule reads of a booking in the clinic list."""

    @property
    def status(self) -> str: ...

    @property
    def exam_status(self) -> str | None: ...

    @property
    def starts_at(self) -> datetime: ...


S = TypeVar("S", bound=ClinicSlot)

LATE_ARRIVAL = timedelta(minutes=30)
"""A booked patient is still "next" this long after their appointment time (they may be late)."""


def next_in_clinic(appointments: Sequence[S], now: datetime) -> S | None:
    """Who the clinician sees next: the patient in the test room (a draft to resume), else the first
    who has arrived, else the next booked patient (from 30 minutes ago on)."""
    for wanted in ("in_test", "arrived"):
        for appointment in appointments:
            if appointment.status == wanted and appointment.exam_status != "finalised":
                return appointment
    for appointment in appointments:
        if appointment.status == "booked" and appointment.starts_at >= now - LATE_ARRIVAL:
            return appointment
    return None
