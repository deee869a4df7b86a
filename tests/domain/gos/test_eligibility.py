"""Who may have an NHS sight test and who a voucher, on a date (docs/domain/nhs-gos.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ils_desktop.domain.gos.eligibility import (
    Exemption,
    eligibility_on,
    exemption_problems,
)
from ils_desktop.domain.gos.eligibility import (
    ExemptionCategory as C,
)

ON = date(2026, 12, 7)


def born(age: int, *, birthday_passed: bool = True) -> date:
    return date(ON.year - age, 12, 1 if birthday_passed else 31)


SCHOOL = Exemption(C.FULL_TIME_EDUCATION, establishment_name="Whitby Sixth Form", establishment_town="Whitby")


@pytest.mark.parametrize(("date_of_birth", "exemptions", "sight_test", "voucher"), [
    (born(10), (), {C.UNDER_16}, {C.UNDER_16}),
    (born(16, birthday_passed=False), (), {C.UNDER_16}, {C.UNDER_16}),    # 15 until the 31st
    (born(16), (), set(), set()),
    (born(17), (SCHOOL,), {C.FULL_TIME_EDUCATION}, {C.FULL_TIME_EDUCATION}),
    (born(19), (SCHOOL,), set(), set()),                                   # education counts to 18
    (born(17), (Exemption(C.FULL_TIME_EDUCATION),), set(), set()),         # no establishment: not a ground
    (born(60), (), {C.AGED_60_OR_OVER}, set()),                            # 60+: a sight test, no voucher
    (born(59), (), set(), set()),
    (born(45), (Exemption(C.DIABETES),), {C.DIABETES}, set()),
    (born(45), (Exemption(C.GLAUCOMA),), {C.GLAUCOMA}, set()),
    (born(45), (Exemption(C.SIGHT_IMPAIRED),), {C.SIGHT_IMPAIRED}, set()),
    (born(39), (Exemption(C.GLAUCOMA_FAMILY_HISTORY),), set(), set()),     # from 40
    (born(40), (Exemption(C.GLAUCOMA_FAMILY_HISTORY),), {C.GLAUCOMA_FAMILY_HISTORY}, set()),
    (born(30), (Exemption(C.INCOME_SUPPORT),), {C.INCOME_SUPPORT}, {C.INCOME_SUPPORT}),
    (born(30), (Exemption(C.UNIVERSAL_CREDIT),), {C.UNIVERSAL_CREDIT}, {C.UNIVERSAL_CREDIT}),
    (born(30), (Exemption(C.HC2),), {C.HC2}, {C.HC2}),
    (born(30), (Exemption(C.HC3, hc3_contribution=Decimal("12.00")),), set(), {C.HC3}),  # voucher, no test
    (born(30), (Exemption(C.COMPLEX_LENSES),), {C.COMPLEX_LENSES}, {C.COMPLEX_LENSES}),
    (born(30), (Exemption(C.PRISONER_ON_LEAVE),), {C.PRISONER_ON_LEAVE}, {C.PRISONER_ON_LEAVE}),
    (born(65), (Exemption(C.PENSION_CREDIT),), {C.AGED_60_OR_OVER, C.PENSION_CREDIT}, {C.PENSION_CREDIT}),
    # dates: a certificate expired, or not yet valid
    (born(30), (Exemption(C.HC2, valid_to=date(2026, 12, 6)),), set(), set()),
    (born(30), (Exemption(C.HC2, valid_from=date(2026, 12, 8)),), set(), set()),
    (born(30), (Exemption(C.HC2, valid_from=date(2026, 1, 1), valid_to=ON),), {C.HC2}, {C.HC2}),
])
def test_eligibility_on_a_date(date_of_birth: date, exemptions: tuple[Exemption, ...], sight_test: set[C],
                               voucher: set[C]) -> None:
    found = eligibility_on(date_of_birth, ON, exemptions)
    assert set(found.sight_test) == sight_test
    assert set(found.voucher) == voucher


def test_an_hc3_alone_gives_a_voucher_less_its_contribution() -> None:
    found = eligibility_on(born(30), ON, (Exemption(C.HC3, hc3_contribution=Decimal("12.00")),))
    assert found.voucher_eligible and not found.sight_test_eligible
    assert found.hc3_contribution == Decimal("12.00")
    # with a full ground as well, nothing is deducted
    both = eligibility_on(born(30), ON, (Exemption(C.HC3, hc3_contribution=Decimal("12.00")), Exemption(C.HC2)))
    assert both.hc3_contribution is None


@pytest.mark.parametrize(("exemption", "field"), [
    (Exemption(C.FULL_TIME_EDUCATION, establishment_town="Whitby"), "establishment_name"),
    (Exemption(C.FULL_TIME_EDUCATION, establishment_name="Caedmon College"), "establishment_town"),
    (Exemption(C.HC3), "hc3_contribution"),
    (Exemption(C.HC3, hc3_contribution=Decimal("-1")), "hc3_contribution"),
    (Exemption(C.INCOME_SUPPORT, beneficiary_name="Sam Hughes"), "beneficiary_date_of_birth"),
    (Exemption(C.HC2, valid_from=date(2026, 5, 1), valid_to=date(2026, 4, 1)), "valid_to"),
])
def test_what_a_recorded_ground_lacks(exemption: Exemption, field: str) -> None:
    assert field in exemption_problems(exemption)


def test_a_complete_ground_has_no_problems() -> None:
    assert exemption_problems(SCHOOL) == {}
    assert exemption_problems(Exemption(C.INCOME_SUPPORT, beneficiary_name="Sam Hughes",
                                        beneficiary_date_of_birth=date(1980, 1, 1))) == {}
