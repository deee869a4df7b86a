"""Who may supply to whom (Opticians Act 1989 s.27)."""

from __future__ import annotations

from datetime import date

import pytest

from ils_desktop.domain.dispensing import age_on, needs_registrant_supervision, supervision_reason, supply_problem

CASES = [
    # (date of birth, day of supply, registered sight impaired, needs a registrant)
    (date(2011, 3, 10), date(2027, 3, 9), False, True),  # 15, the day before the 16th birthday
    (date(2011, 3, 10), date(2027, 3, 10), False, False),  # 16 on the day
    (date(2011, 3, 10), date(2027, 3, 11), False, False),
    (date(2020, 6, 1), date(2026, 12, 7), False, True),  # a child
    (date(1950, 1, 1), date(2026, 12, 7), False, False),  # an adult
    (date(1950, 1, 1), date(2026, 12, 7), True, True),  # an adult registered sight impaired
    (date(2012, 2, 29), date(2028, 2, 28), False, True),  # leap-day birthday: 16 on 29 Feb 2028
    (date(2012, 2, 29), date(2028, 2, 29), False, False),
    (date(2008, 2, 29), date(2024, 2, 28), False, True),
    (date(2007, 2, 28), date(2023, 2, 28), False, False),
    (date(2008, 2, 29), date(2024, 3, 1), False, False),
    (date(2004, 2, 29), date(2020, 2, 28), False, True),
    (date(2003, 2, 28), date(2019, 2, 28), False, False),
    (date(2002, 2, 28), date(2018, 3, 1), False, False),
    (None, date(2026, 12, 7), False, True),  # unknown date of birth: cannot show the patient is 16+
]


@pytest.mark.parametrize(("born", "on", "sight_impaired", "needs"), CASES)
def test_needs_registrant_supervision(born: date | None, on: date, sight_impaired: bool, needs: bool) -> None:
    assert needs_registrant_supervision(born, on, sight_impaired) is needs


@pytest.mark.parametrize(("born", "on", "age"), [
    (date(2011, 3, 10), date(2027, 3, 9), 15),
    (date(2011, 3, 10), date(2027, 3, 10), 16),
    (date(2012, 2, 29), date(2027, 2, 28), 14),  # common year: reached on 1 March
    (date(2012, 2, 29), date(2027, 3, 1), 15),
])
def test_age_on(born: date, on: date, age: int) -> None:
    assert age_on(born, on) == age


def test_age_before_birth_is_refused() -> None:
    with pytest.raises(ValueError, match="before the date of birth"):
        age_on(date(2020, 1, 2), date(2020, 1, 1))


def test_reasons() -> None:
    assert supervision_reason(date(2015, 5, 1), date(2026, 12, 7), False) == \
        "the patient is under 16 (11 on the day of supply)"
    assert supervision_reason(date(2015, 5, 1), date(2026, 12, 7), True) == (
        "the patient is under 16 (11 on the day of supply) and the patient is registered sight impaired or "
        "severely sight impaired")
    assert supervision_reason(date(1980, 5, 1), date(2026, 12, 7), False) is None


@pytest.mark.parametrize(("needs", "registrant", "refused"), [
    (False, None, False),
    (False, "", False),
    (True, "Sam Patel, dispensing optician D-12345", False),
    (True, None, True),
    (True, "   ", True),
])
def test_supply_problem(needs: bool, registrant: str | None, refused: bool) -> None:
    problem = supply_problem(needs, registrant)
    assert (problem is not None) is refused
    if refused:
        assert problem is not None
        assert "Opticians Act 1989 s.27" in problem
        assert "Name the supervising registrant" in problem


def test_supply_problem_says_why() -> None:
    reason = supervision_reason(date(2015, 5, 1), date(2026, 12, 7), False)
    assert supply_problem(True, None, reason=reason) == (
        "Because the patient is under 16 (11 on the day of supply), these spectacles must be dispensed by, or "
        "under the supervision of, a registered optometrist, dispensing optician or medical practitioner "
        "(Opticians Act 1989 s.27). Name the supervising registrant before completing the dispense.")
