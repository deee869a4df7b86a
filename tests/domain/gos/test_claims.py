"""Claim windows and what PCSE would reject (docs/domain/nhs-gos.md, "Claims (England)")."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from ils_desktop.domain.gos.claims import (
    ClaimForm,
    DeadlineState,
    Gos1Claim,
    Gos3Claim,
    Nation,
    Signature,
    Signer,
    claim_deadline,
    deadline_state,
    gos1_claim_problems,
    gos3_claim_problems,
)

TODAY = date(2026, 12, 7)


@pytest.mark.parametrize(("form", "service", "nation", "deadline"), [
    (ClaimForm.GOS1, date(2026, 9, 7), Nation.ENGLAND, date(2026, 12, 7)),
    (ClaimForm.GOS3, date(2026, 11, 30), Nation.ENGLAND, date(2027, 2, 28)),   # clamped to the month's end
    (ClaimForm.GOS1, date(2023, 12, 31), Nation.ENGLAND, date(2024, 6, 30)),   # six months before 2024
    (ClaimForm.GOS1, date(2024, 1, 1), Nation.ENGLAND, date(2024, 4, 1)),
    (ClaimForm.GOS3, date(2023, 12, 31), Nation.ENGLAND, date(2024, 3, 31)),   # GOS 3 was already three
    (ClaimForm.GOS1, date(2026, 9, 7), Nation.NORTHERN_IRELAND, date(2027, 3, 7)),
])
def test_claim_deadline(form: ClaimForm, service: date, nation: Nation, deadline: date) -> None:
    assert claim_deadline(form, service, nation) == deadline


@pytest.mark.parametrize(("service", "state"), [
    (date(2026, 11, 1), DeadlineState.IN_TIME),
    (date(2026, 10, 8), DeadlineState.IN_TIME),
    (date(2026, 10, 7), DeadlineState.DUE_SOON),      # two months: warn
    (date(2026, 9, 7), DeadlineState.DUE_SOON),       # the last day
    (date(2026, 9, 6), DeadlineState.OVERDUE),
])
def test_deadline_state(service: date, state: DeadlineState) -> None:
    assert deadline_state(ClaimForm.GOS1, service, TODAY) is state


SIGNED = (Signature(Signer.PATIENT, TODAY), Signature(Signer.PERFORMER, TODAY, signed_by_user="01-12345"),
          Signature(Signer.CONTRACTOR, TODAY, signed_by_user="manager"))
GOOD = Gos1Claim(
    contractor_ods_code="TP123", performer_goc_number="01-12345", patient_name="Margaret Hughes",
    patient_address="4 Church Street, Whitby YO22 4DE", patient_date_of_birth=date(1950, 3, 1),
    eligibility=("aged_60_or_over",), establishment=None, sight_test_date=TODAY, last_sight_test=date(2024, 11, 1),
    last_sight_test_not_known=False, early_retest_code=None, early_retest=False, signatures=SIGNED,
    contractor_is_performer=False)


def test_a_complete_gos1_claim_has_no_problems() -> None:
    assert gos1_claim_problems(GOOD) == {}
    assert gos1_claim_problems(replace(GOOD, last_sight_test=None, last_sight_test_not_known=True)) == {}


@pytest.mark.parametrize(("change", "field"), [
    # the five most common rejections
    ({"last_sight_test": None}, "last_sight_test"),
    ({"contractor_is_performer": True, "signatures": SIGNED[:2]}, "contractor_signature"),
    ({"signatures": (Signature(Signer.PARENT_GUARDIAN_CARER, TODAY), *SIGNED[1:])}, "patient_signature"),
    ({"signatures": (Signature(Signer.PATIENT, None), *SIGNED[1:])}, "signature_dates"),
    ({"eligibility": ("full_time_education",)}, "establishment"),
    # and the rest PCSE checks
    ({"early_retest": True}, "early_retest_code"),
    ({"early_retest": True, "early_retest_code": "9"}, "early_retest_code"),
    ({"contractor_ods_code": "TP12"}, "contractor_ods_code"),
    ({"performer_goc_number": "12345"}, "performer_goc_number"),
    ({"patient_address": " "}, "patient_address"),
    ({"patient_date_of_birth": None}, "patient_date_of_birth"),
    ({"eligibility": ()}, "eligibility"),
    ({"signatures": SIGNED[1:]}, "patient_signature"),
    ({"signatures": (SIGNED[0], SIGNED[2])}, "performer_signature"),
])
def test_what_pcse_would_reject_on_a_gos1(change: dict[str, object], field: str) -> None:
    assert field in gos1_claim_problems(replace(GOOD, **change))  # type: ignore[arg-type]


def test_an_early_retest_with_its_reason_is_fine() -> None:
    assert gos1_claim_problems(replace(GOOD, early_retest=True, early_retest_code="3.2")) == {}


GOS3 = Gos3Claim(prescription_date=date(2026, 11, 2), band="B", voucher_value=Decimal("63.20"),
                 supply_date=TODAY, patient_contribution=None)


@pytest.mark.parametrize(("change", "field"), [
    ({"prescription_date": None}, "prescription_date"),
    ({"voucher_value": None}, "voucher_value"),
    ({"band": None}, "band"),
    ({"band": "BC"}, "band"),
    ({"supply_date": date(2026, 11, 1)}, "supply_date"),
    ({"patient_contribution": Decimal("-5")}, "patient_contribution"),
])
def test_what_pcse_would_reject_on_a_gos3(change: dict[str, object], field: str) -> None:
    assert gos3_claim_problems(GOS3) == {}
    assert field in gos3_claim_problems(replace(GOS3, **change))  # type: ignore[arg-type]
