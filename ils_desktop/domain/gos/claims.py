"""What a GOS claim must hold before it is sent, and when it must be sent by.

Sources (docs/domain/nhs-gos.md, "Claims (England)"): every claim is electronic since 1 January
2024 and must be made within three months (GOS 1, 5 and 6 had six months before that date; Northern
Ireland keeps six); the fields PCSE checks, and the common rejection reasons — date of last sight
test blank, a contractor who is also the performer signing only as performer, the prescription date
missing on a GOS 3, values missing from a GOS 3, a parent/guardian/carer signing without printing
their name, signatures not dated. A claim is made "ready" only when none of these can happen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Final

from ils_desktop.domain.exam.recall import add_months
from ils_desktop.domain.gos.intervals import EARLY_RETEST_REASONS


class Nation(StrEnum):
    ENGLAND = "england"
    WALES = "wales"
    SCOTLAND = "scotland"
    NORTHERN_IRELAND = "northern_ireland"


class ClaimForm(StrEnum):
    GOS1 = "GOS1"
    GOS3 = "GOS3"
    GOS4 = "GOS4"
    GOS6 = "GOS6"


ELECTRONIC_ONLY_FROM: Final = date(2024, 1, 1)
WARNING_MONTHS: Final = 2
"""The claims screen warns two months after the service date, a month before a three-month window closes."""


def claim_window_months(form: ClaimForm, service_date: date, nation: Nation = Nation.ENGLAND) -> int:
    """Months from the service (the sight test, or the supply for GOS 3/4) within which the claim
    must be made: 3 in England (GOS 1 and 6 had 6 before 1 January 2024), 6 in Northern Ireland."""
    if nation is Nation.NORTHERN_IRELAND:
        return 6
    if form in (ClaimForm.GOS1, ClaimForm.GOS6) and service_date < ELECTRONIC_ONLY_FROM:
        return 6
    return 3


def claim_deadline(form: ClaimForm, service_date: date, nation: Nation = Nation.ENGLAND) -> date:
    """The last day a claim for a service on ``service_date`` is accepted."""
    return add_months(service_date, claim_window_months(form, service_date, nation))


class DeadlineState(StrEnum):
    IN_TIME = "in_time"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


def deadline_state(form: ClaimForm, service_date: date, today: date, nation: Nation = Nation.ENGLAND) -> DeadlineState:
    """In time; due soon (from two months after the service for a three-month window, a month before
    the end otherwise); or overdue (after the deadline)."""
    deadline = claim_deadline(form, service_date, nation)
    if today > deadline:
        return DeadlineState.OVERDUE
    warn_from = add_months(deadline, -1) if claim_window_months(form, service_date, nation) != 3 \
        else add_months(service_date, WARNING_MONTHS)
    return DeadlineState.DUE_SOON if today >= warn_from else DeadlineState.IN_TIME


# --------------------------------------------------------------------------------------------------
# Signatures and the fields PCSE checks


class Signer(StrEnum):
    PATIENT = "patient"
    PARENT_GUARDIAN_CARER = "parent_guardian_carer"
    PERFORMER = "performer"
    CONTRACTOR = "contractor"


@dataclass(frozen=True)
class Signature:
    """A signature on a claim: drawn on the pad or recorded as an attestation, and dated."""

    signer: Signer
    signed_on: date | None
    printed_name: str | None = None
    """Required of a parent, guardian or carer."""
    signed_by_user: str | None = None
    """For the performer and contractor: who signed (a user's id or GOC number)."""


GOC_NUMBER: Final = re.compile(r"^01-\d{5}$")
ODS_CODE: Final = re.compile(r"^[A-Z0-9]{5}$")


@dataclass(frozen=True)
class Gos1Claim:
    """The parts of a GOS 1 claim that PCSE checks (the patient part at booking or arrival, the
    performer part at finalisation)."""

    contractor_ods_code: str | None
    performer_goc_number: str | None
    patient_name: str | None
    patient_address: str | None
    patient_date_of_birth: date | None
    eligibility: tuple[str, ...]
    """The category codes claimed (see ``eligibility.ExemptionCategory``)."""
    establishment: str | None
    """Full-time education: the school or college and its town."""
    sight_test_date: date | None
    last_sight_test: date | None
    last_sight_test_not_known: bool
    early_retest_code: str | None
    early_retest: bool
    """Whether this test is sooner than the minimum interval (``intervals.is_early_retest``)."""
    signatures: tuple[Signature, ...]
    contractor_is_performer: bool


def gos1_claim_problems(claim: Gos1Claim) -> dict[str, str]:
    """Everything PCSE would reject a GOS 1 claim for that the app can see, keyed by field; empty
    when the claim may be made ready."""
    problems: dict[str, str] = {}
    if not ODS_CODE.match(claim.contractor_ods_code or ""):
        problems["contractor_ods_code"] = "The contractor's ODS code (five letters or digits) is missing or wrong."
    if not GOC_NUMBER.match(claim.performer_goc_number or ""):
        problems["performer_goc_number"] = "The performer's GOC number (01-nnnnn) is missing or wrong."
    for field, value, label in (("patient_name", claim.patient_name, "the patient's name"),
                                ("patient_address", claim.patient_address, "the patient's address")):
        if not (value or "").strip():
            problems[field] = f"Enter {label}."
    if claim.patient_date_of_birth is None:
        problems["patient_date_of_birth"] = "Enter the patient's date of birth."
    if not claim.eligibility:
        problems["eligibility"] = "Choose the ground the patient is eligible on."
    if "full_time_education" in claim.eligibility and not (claim.establishment or "").strip():
        problems["establishment"] = "Enter the name and town of the school or college."
    if claim.sight_test_date is None:
        problems["sight_test_date"] = "The sight test has no date."
    if claim.last_sight_test is None and not claim.last_sight_test_not_known:
        problems["last_sight_test"] = "Enter the date of the last sight test, or tick 'not known'."
    if claim.early_retest and claim.early_retest_code not in EARLY_RETEST_REASONS:
        problems["early_retest_code"] = "This test is sooner than the minimum interval: choose the early-retest reason."
    problems.update(_signature_problems(claim))
    return problems


def _signature_problems(claim: Gos1Claim) -> dict[str, str]:
    return signature_problems(claim.signatures, contractor_is_performer=claim.contractor_is_performer)


def signature_problems(signatures: tuple[Signature, ...], *, contractor_is_performer: bool = False,
                       performer_signs: bool = True) -> dict[str, str]:
    """The signature rejections PCSE gives, for any form: the patient (or a parent, guardian or
    carer who also prints their name), the performer (sight tests) and the contractor must each
    sign, a contractor who is also the performer signing both parts, and every signature dated."""
    problems: dict[str, str] = {}
    patient = next((s for s in signatures if s.signer in (Signer.PATIENT, Signer.PARENT_GUARDIAN_CARER)), None)
    if patient is None:
        problems["patient_signature"] = "The patient (or a parent, guardian or carer) has not signed."
    elif patient.signer is Signer.PARENT_GUARDIAN_CARER and not (patient.printed_name or "").strip():
        problems["patient_signature"] = "A parent, guardian or carer who signs must also print their name."
    if performer_signs and not any(s.signer is Signer.PERFORMER for s in signatures):
        problems["performer_signature"] = "The performer has not signed."
    if not any(s.signer is Signer.CONTRACTOR for s in signatures):
        problems["contractor_signature"] = (
            "The contractor has not signed (a contractor who is also the performer signs both parts)."
            if contractor_is_performer else "The contractor has not signed.")
    if any(s.signed_on is None for s in signatures):
        problems["signature_dates"] = "Every signature must be dated."
    return problems


@dataclass(frozen=True)
class Gos3Claim:
    """The parts of a GOS 3 claim PCSE checks that the common rejections are about."""

    prescription_date: date | None
    band: str | None
    voucher_value: Decimal | None
    supply_date: date | None
    patient_contribution: Decimal | None


def gos3_claim_problems(claim: Gos3Claim) -> dict[str, str]:
    """What a GOS 3 claim would be rejected for, keyed by field (the prescription date and the
    values are the common ones)."""
    problems: dict[str, str] = {}
    if claim.prescription_date is None:
        problems["prescription_date"] = "Enter the date of the prescription."
    if not claim.band or claim.band not in "ABCDEFGHIJ" or len(claim.band) != 1:
        problems["band"] = "The voucher has no band."
    if claim.voucher_value is None or claim.voucher_value <= 0:
        problems["voucher_value"] = "Enter the voucher's value."
    if claim.patient_contribution is not None and claim.patient_contribution < 0:
        problems["patient_contribution"] = "The patient's contribution cannot be negative."
    if claim.supply_date is None:
        problems["supply_date"] = "Enter the date the glasses were supplied."
    elif claim.prescription_date is not None and claim.supply_date < claim.prescription_date:
        problems["supply_date"] = "The glasses cannot be supplied before the prescription was issued."
    return problems
