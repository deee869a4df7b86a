"""The one place the application asks what time it is: the practice's clock.

Answers across the product depend on "now": which day the diary opens on and where its red line is,
which clinic a test room is running, when an exam was finalised or a sale was made, who is due a
recall, whether a GOC registration or a voucher value is current. Reading the machine's clock in
each place made those answers (and their tests) change with the day they ran: a test booking
"today" failed every Sunday. So services and screens call :func:`now` / :func:`today`, which ask
the clock in use: the machine's, read as a London wall clock (:class:`SystemClock`), or a
:class:`FixedClock` that tests, demo data and screenshots set to any moment — a Sunday, a bank
holiday, the hour the clocks change.

The clock is process-wide, like the machine's: the screens' background loads run on worker threads
and must see the same "now" as the screen that asked.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from ils_desktop.domain.diary import LONDON


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware."""
        ...


class SystemClock:
    """The machine's clock, read as a London wall clock (the practice's)."""

    def now(self) -> datetime:
        return datetime.now(LONDON)


class FixedClock:
    """A clock that shows what it is set to until it is set again or moved on."""

    def __init__(self, moment: datetime) -> None:
        self.set(moment)

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("a clock's time must be timezone-aware")
        self._moment = moment.astimezone(LONDON)

    def advance(self, **elapsed: float) -> None:
        """Move on by elapsed time (``minutes=90``): in UTC, so correct across the clock change."""
        self._moment = (self._moment.astimezone(UTC) + timedelta(**elapsed)).astimezone(LONDON)

    def now(self) -> datetime:
        return self._moment


_clock: Clock = SystemClock()


def now() -> datetime:
    """Now, in London time, from the clock in use."""
    return _clock.now().astimezone(LONDON)


def today() -> date:
    """Today's date in London (not the machine's zone: at 23:30 UTC in summer it is already tomorrow)."""
    return now().date()


def current() -> Clock:
    return _clock


def use(clock: Clock) -> Clock:
    """Put ``clock`` in use; returns the one it replaces (to put back)."""
    global _clock
    previous, _clock = _clock, clock
    return previous


@contextmanager
def using(clock: Clock) -> Iterator[Clock]:
    """``with using(FixedClock(moment)):`` — the diary sees ``moment`` as now inside the block."""
    previous = use(clock)
    try:
        yield clock
    finally:
        use(previous)
