"""The diary's clock (services/clock.py): the real one reads London time; a fixed one shows what a
test sets, moves on in elapsed time across the clock change, and is put back afterwards."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ils_desktop.domain.diary import LONDON
from ils_desktop.services import clock
from ils_desktop.services.clock import FixedClock, SystemClock


def test_the_system_clock_is_london_time() -> None:
    assert clock.current().__class__ is SystemClock
    assert clock.now().tzinfo == LONDON


def test_a_fixed_clock_is_in_use_only_inside_its_block() -> None:
    before = clock.current()
    with clock.using(FixedClock(datetime(2025, 8, 25, 9, 15, tzinfo=LONDON))) as fixed:
        assert clock.now() == datetime(2025, 8, 25, 9, 15, tzinfo=LONDON)
        assert clock.today() == date(2025, 8, 25)
        fixed.set(datetime(2025, 12, 25, 10, tzinfo=LONDON))
        assert clock.today() == date(2025, 12, 25)
    assert clock.current() is before


@pytest.mark.parametrize(("utc", "minutes", "wall"), [
    (datetime(2025, 3, 30, 0, 30, tzinfo=UTC), 60, "02:30 BST"),  # 00:30 GMT + 1 h: the hour that isn't
    (datetime(2025, 10, 26, 0, 30, tzinfo=UTC), 60, "01:30 GMT"),  # 01:30 BST + 1 h: 01:30 again
    (datetime(2025, 8, 25, 8, 0, tzinfo=UTC), 90, "10:30 BST"),
])
def test_a_fixed_clock_moves_on_in_elapsed_time(utc: datetime, minutes: int, wall: str) -> None:
    fixed = FixedClock(utc)
    fixed.advance(minutes=minutes)
    assert f"{fixed.now():%H:%M %Z}" == wall


def test_a_clock_must_know_its_zone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(datetime(2025, 8, 25, 9))


def test_today_is_londons_date_not_the_machines() -> None:
    """At 23:30 UTC in summer it is already tomorrow in London."""
    with clock.using(FixedClock(datetime(2025, 6, 30, 23, 30, tzinfo=UTC))):
        assert clock.today() == date(2025, 7, 1)
