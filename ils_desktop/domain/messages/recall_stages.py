"""Recall reminders in up to three stages.

A patient due for their examination gets a first reminder; if they have not booked, a second after
the second-reminder interval (28 days by default), and a third after the third interval. After the
third, the recall stays on the list for the front desk to telephone. Practices commonly send the
first reminder in the month the patient falls due (College of Optometrists, Guidance for Professional
Practice: patient recall should be managed so patients are reminded when their sight test is due).
"""

from __future__ import annotations

from datetime import date

MAX_STAGE = 3
DEFAULT_INTERVALS = (28, 28)  # days before the second, and before the third


def next_stage(sent_stages: int, last_sent: date | None, today: date,
               intervals: tuple[int, int] = DEFAULT_INTERVALS) -> int | None:
    """The stage the next reminder would be (1–3), or ``None`` if it is not time yet or all three
    have been sent. ``sent_stages`` is how many reminders this recall has had."""
    if sent_stages == 0:
        return 1
    if sent_stages >= MAX_STAGE or last_sent is None:
        return None
    if (today - last_sent).days >= intervals[sent_stages - 1]:
        return sent_stages + 1
    return None
