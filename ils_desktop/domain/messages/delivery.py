"""When to try a failed message again, and when to stop and ask a person.

Exponential backoff (the schedule of RFC 5321 §4.5.4.1 in spirit: retry, wait longer each time,
give up after a bounded period): 1, 2, 4, 8 minutes… capped at an hour; after
:data:`MAX_ATTEMPTS` failures the message waits for a person (it is never dropped).
A permanent refusal (an SMTP 5xx reply, RFC 5321 §4.2.1; a gateway rejecting the number) is not
retried: trying again cannot change the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_ATTEMPTS = 5
FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)


@dataclass(frozen=True)
class AfterFailure:
    state: str  # "queued" (try again at next_attempt_at), "needs_person" or "failed"
    next_attempt_at: datetime


def wait_after(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure (1 → 1 min, 2 → 2 min, 3 → 4 min…)."""
    return min(FIRST_WAIT * (2 ** max(0, attempts - 1)), LONGEST_WAIT)


def after_failure(attempts: int, now: datetime, *, permanent: bool, max_attempts: int = MAX_ATTEMPTS
                  ) -> AfterFailure:
    if permanent:
        return AfterFailure("failed", now)
    if attempts >= max_attempts:
        return AfterFailure("needs_person", now)
    return AfterFailure("queued", now + wait_after(attempts))
