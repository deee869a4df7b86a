"""Which backups to keep: the last few days, one a week, one a month (grandfather-father-son).

A practice keeps records for at least ten years (children's until their 25th birthday), but a
backup is a copy to recover from, not the archive: what matters is a recent copy and a few older
ones to go back to when something went wrong unnoticed. The rotation is the long-standing
grandfather-father-son scheme: the newest backup of each of the last ``daily`` days, of each of
the last ``weekly`` ISO weeks and of each of the last ``monthly`` months. Nothing else is deleted
until a newer backup has been verified (the caller's rule), so a run of failed backups never
rotates the good ones away.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class RetentionPolicy:
    daily: int = 7
    weekly: int = 5
    monthly: int = 12
    newest: int = 2
    """The newest few are kept whatever their day: a backup made by hand before an upgrade survives
    the night's scheduled one."""

    def __post_init__(self) -> None:
        if min(self.daily, self.weekly, self.monthly, self.newest) < 0 or self.daily < 1:
            raise ValueError("keep at least the newest daily backup; counts cannot be negative")


def _newest_per(made: list[datetime], period: object, limit: int) -> set[datetime]:
    keep: dict[object, datetime] = {}
    for when in sorted(made, reverse=True):
        bucket = period(when.date())  # type: ignore[operator]
        if bucket not in keep:
            if len(keep) == limit:
                break
            keep[bucket] = when
    return set(keep.values())


def backups_to_keep(made: Iterable[datetime], policy: RetentionPolicy = RetentionPolicy()) -> set[datetime]:
    """The backups (by when they were made) the rotation keeps; every other one may be deleted.

    The ``newest`` few whatever their day; and the newest backup of each of the ``daily`` most
    recent days that have one, of each of the ``weekly`` most recent ISO weeks, and of each of the
    ``monthly`` most recent months."""
    times = list(made)

    def by_day(d: date) -> object:
        return d

    def by_week(d: date) -> object:
        return d.isocalendar()[:2]

    def by_month(d: date) -> object:
        return (d.year, d.month)

    return (set(sorted(times, reverse=True)[:policy.newest]) | _newest_per(times, by_day, policy.daily)
            | _newest_per(times, by_week, policy.weekly)
            | _newest_per(times, by_month, policy.monthly))
