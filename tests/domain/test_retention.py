"""Records retention (College of Optometrists): 10 years after last seen; children to 25."""

from __future__ import annotations

from datetime import date

import pytest

from ils_desktop.domain.retention import keep_until, retention_state

REGISTERED = date(2005, 1, 10)


@pytest.mark.parametrize(("last_seen", "born", "until"), [
    (date(2015, 6, 1), date(1950, 3, 1), date(2025, 6, 1)),        # an adult: 10 years after last seen
    (date(2015, 6, 1), date(2005, 3, 1), date(2030, 3, 1)),        # seen at 10: kept to the 25th birthday
    (date(2020, 6, 1), date(2005, 3, 1), date(2030, 6, 1)),        # seen at 15: the later of the two
    (date(2016, 2, 29), date(1970, 1, 1), date(2026, 2, 28)),      # 29 February, ten years on
    (None, date(1960, 1, 1), date(2015, 1, 10)),                   # never seen: from registration
    (date(2015, 6, 1), None, date(2025, 6, 1)),                    # date of birth unknown
])
def test_keep_until(last_seen, born, until):
    assert keep_until(last_seen, born, REGISTERED) == until


@pytest.mark.parametrize(("today", "due"), [
    (date(2025, 6, 1), False),   # the last day of keeping
    (date(2025, 6, 2), True),
])
def test_due_for_review_only_after_the_last_day(today, due):
    state = retention_state(today, date(2015, 6, 1), date(1950, 3, 1), REGISTERED)
    assert state.due_for_review is due and "10 years after they were last seen" in state.reason


def test_a_child_says_why():
    state = retention_state(date(2031, 1, 1), date(2015, 6, 1), date(2005, 3, 1), REGISTERED)
    assert state.due_for_review and "25th birthday" in state.reason
