"""The grandfather-father-son rotation of backups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ils_desktop.domain.backup_retention import RetentionPolicy, backups_to_keep

START = datetime(2026, 1, 1, 22, 0, tzinfo=UTC)


def nightly(days: int) -> list[datetime]:
    return [START + timedelta(days=d) for d in range(days)]


def test_a_year_of_nightly_backups_keeps_a_week_five_weeks_and_a_year_of_months() -> None:
    made = nightly(365)
    kept = backups_to_keep(made, RetentionPolicy(daily=7, weekly=5, monthly=12))
    newest = made[-1]
    assert newest in kept
    assert all(d in kept for d in made[-7:])                     # the last seven nights
    assert len({d.isocalendar()[:2] for d in kept}) >= 5         # five weeks
    assert len({(d.year, d.month) for d in kept}) == 12          # twelve months
    assert len(kept) <= 7 + 5 + 12


def test_the_newest_are_kept_whatever_their_day() -> None:
    made = [START, START + timedelta(hours=1), START + timedelta(hours=2)]
    assert backups_to_keep(made, RetentionPolicy(daily=1, weekly=0, monthly=0, newest=2)) == set(made[1:])


def test_the_newest_of_each_period_is_the_one_kept() -> None:
    made = [START, START + timedelta(hours=1), START + timedelta(days=1)]
    kept = backups_to_keep(made, RetentionPolicy(daily=1, weekly=0, monthly=0, newest=0))
    assert kept == {START + timedelta(days=1)}
    assert backups_to_keep(made, RetentionPolicy(daily=2, weekly=0, monthly=0, newest=0)) == {
        START + timedelta(hours=1), START + timedelta(days=1)}


def test_gaps_do_not_rotate_the_good_ones_away() -> None:
    made = [START, START + timedelta(days=40)]  # a month without backups
    assert backups_to_keep(made, RetentionPolicy(daily=7, weekly=0, monthly=0)) == set(made)


@pytest.mark.parametrize("bad", [dict(daily=0), dict(weekly=-1), dict(monthly=-2), dict(newest=-1)])
def test_a_policy_keeps_at_least_the_newest(bad: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        RetentionPolicy(**bad)
