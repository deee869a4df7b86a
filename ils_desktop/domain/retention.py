"""How long a patient's records must be kept, and when they come up for a manager's review.

Source (docs/domain/optical-practice.md, "Records retention and information governance"): the
College of Optometrists recommends keeping records for 10 years after the patient was last seen,
even if the patient has died; a child's until their 25th birthday if that is later. Northern
Ireland's GOS asks for 7 years from the last recorded sight test — within the College's 10, so the
College's rule is the one kept everywhere. Records past their date are *listed for review*: a
manager decides to anonymise or export them; nothing is ever deleted by the rule itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from ils_desktop.domain.exam.recall import add_months

YEARS_AFTER_LAST_SEEN: Final = 10
CHILD_UNTIL_AGE: Final = 25


def keep_until(last_seen: date | None, date_of_birth: date | None, registered_on: date) -> date:
    """The last day the records must be kept: 10 years after the patient was last seen (or
    registered, when never seen), or the 25th birthday if later."""
    seen = last_seen or registered_on
    ends = add_months(seen, 12 * YEARS_AFTER_LAST_SEEN)
    if date_of_birth is not None:
        ends = max(ends, add_months(date_of_birth, 12 * CHILD_UNTIL_AGE))
    return ends


@dataclass(frozen=True)
class RetentionState:
    keep_until: date
    due_for_review: bool
    reason: str


def retention_state(today: date, last_seen: date | None, date_of_birth: date | None,
                    registered_on: date) -> RetentionState:
    """Whether a patient's records are past their retention date on ``today``, and why."""
    until = keep_until(last_seen, date_of_birth, registered_on)
    child = date_of_birth is not None and until == add_months(date_of_birth, 12 * CHILD_UNTIL_AGE) and (
        until > add_months(last_seen or registered_on, 12 * YEARS_AFTER_LAST_SEEN))
    why = ("kept until their 25th birthday (seen as a child)" if child
           else f"kept 10 years after they were last {'seen' if last_seen else 'registered'}")
    return RetentionState(until, today > until, why)
