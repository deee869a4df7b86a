"""GOS 4 repairs (pre-authorisation before the work at 16+) and GOS 6 visits (pre-visit notification
first), the domiciliary fee by position at the address, and the claim lifecycle."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from ils_desktop.domain.gos.domiciliary import DomiciliaryVisit, VisitSetting, gos6_problems
from ils_desktop.domain.gos.fees import ENGLAND_FEES, FeeCode, domiciliary_fee_code
from ils_desktop.domain.gos.lifecycle import ClaimState, transition_problem
from ils_desktop.domain.gos.repairs import RepairRequest, gos4_problems, is_replacement
from ils_desktop.domain.gos.vouchers import value_on

WORK = date(2026, 11, 10)
CHILD = RepairRequest(age=9, voucher_eligible=True, due_to_illness=False, covered_by_warranty_or_insurance=False,
                      pre_authorisation_code=None, pre_authorised_on=None, work_date=WORK, frame=True,
                      right_lens=False, left_lens=False)
ADULT = replace(CHILD, age=40, due_to_illness=True, pre_authorisation_code="PA123456",
                pre_authorised_on=date(2026, 11, 3))


@pytest.mark.parametrize(("request_", "fields"), [
    (CHILD, set()),
    (replace(CHILD, covered_by_warranty_or_insurance=True), {"warranty"}),
    (replace(CHILD, frame=False), {"parts"}),
    (replace(CHILD, age=16), {"due_to_illness", "pre_authorisation_code"}),
    (ADULT, set()),
    (replace(ADULT, pre_authorised_on=date(2026, 11, 11)), {"pre_authorisation_code"}),  # after the work
    (replace(ADULT, pre_authorisation_code="  "), {"pre_authorisation_code"}),
    (replace(ADULT, voucher_eligible=False), {"eligibility"}),
    (replace(ADULT, due_to_illness=False), {"due_to_illness"}),
    (replace(ADULT, work_date=None), {"work_date"}),
])
def test_gos4_problems(request_: RepairRequest, fields: set[str]) -> None:
    assert set(gos4_problems(request_)) == fields


def test_a_replacement_is_the_frame_and_both_lenses() -> None:
    assert is_replacement(replace(CHILD, right_lens=True, left_lens=True))
    assert not is_replacement(replace(CHILD, right_lens=True))


VISIT = DomiciliaryVisit(cannot_leave_home_unaccompanied=True, notified_on=date(2026, 11, 1),
                         notification_reference="PVN-88812", visit_date=date(2026, 11, 9),
                         setting=VisitSetting.CARE_HOME, address="Rose Court, 4 Mill Lane, Whitby",
                         position_at_address=1)


@pytest.mark.parametrize(("visit", "fields"), [
    (VISIT, set()),
    (replace(VISIT, notified_on=None), {"notified_on"}),
    (replace(VISIT, notification_reference=""), {"notified_on"}),
    (replace(VISIT, notified_on=date(2026, 11, 10)), {"notified_on"}),
    (replace(VISIT, cannot_leave_home_unaccompanied=False), {"cannot_leave_home"}),
    (replace(VISIT, setting=None, address=" "), {"setting", "address"}),
    (replace(VISIT, visit_date=None), {"visit_date"}),
])
def test_gos6_problems(visit: DomiciliaryVisit, fields: set[str]) -> None:
    assert set(gos6_problems(visit)) == fields


@pytest.mark.parametrize(("position", "code"), [
    (1, FeeCode.DOMICILIARY_FIRST_SECOND), (2, FeeCode.DOMICILIARY_FIRST_SECOND),
    (3, FeeCode.DOMICILIARY_THIRD_ON), (9, FeeCode.DOMICILIARY_THIRD_ON),
])
def test_domiciliary_fee_by_position(position: int, code: FeeCode) -> None:
    assert domiciliary_fee_code(position) is code


def test_a_position_counts_from_one() -> None:
    with pytest.raises(ValueError):
        domiciliary_fee_code(0)


@pytest.mark.parametrize(("on", "fee"), [(date(2024, 4, 1), "23.53"), (date(2025, 3, 31), "23.53"),
                                         (date(2025, 4, 1), "24.13"), (date(2026, 12, 7), "24.13")])
def test_the_sight_test_fee_by_date(on: date, fee: str) -> None:
    assert str(value_on(FeeCode.SIGHT_TEST, on, ENGLAND_FEES).value) == fee


@pytest.mark.parametrize(("current", "wanted", "allowed"), [
    (ClaimState.DRAFT, ClaimState.READY, True),
    (ClaimState.DRAFT, ClaimState.SUBMITTED, False),
    (ClaimState.READY, ClaimState.SUBMITTED, True),
    (ClaimState.READY, ClaimState.DRAFT, True),
    (ClaimState.SUBMITTED, ClaimState.ACCEPTED, True),
    (ClaimState.SUBMITTED, ClaimState.REJECTED, True),
    (ClaimState.SUBMITTED, ClaimState.PAID, True),
    (ClaimState.REJECTED, ClaimState.DRAFT, True),
    (ClaimState.REJECTED, ClaimState.PAID, False),
    (ClaimState.PAID, ClaimState.REJECTED, False),
])
def test_claim_transitions(current: ClaimState, wanted: ClaimState, allowed: bool) -> None:
    assert (transition_problem(current, wanted) is None) is allowed
