"""A patient's NHS eligibility: the grounds recorded (with evidence, dates, beneficiary, establishment,
HC3 contribution), what the NHS pays for on a date, and when their next NHS sight test may be."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.exam import age_on
from ils_desktop.domain.exam.recall import add_months
from ils_desktop.domain.gos.eligibility import (
    CATEGORY_LABELS,
    Exemption,
    ExemptionCategory,
    exemption_problems,
)
from ils_desktop.domain.gos.intervals import early_retest_problem, recommended_interval
from ils_desktop.errors import ValidationFailed
from ils_desktop.models.nhs import NhsPatientExemption
from ils_desktop.services import clock
from ils_desktop.services.nhs._common import eligibility_of, nhs, patient_or_404, risks_from
from ils_desktop.services.use_case import use_case


@dataclass(frozen=True)
class RecordedExemption:
    id: uuid.UUID
    exemption: Exemption
    label: str
    in_force: bool


@dataclass(frozen=True)
class NhsStatus:
    """What the NHS pays for a patient on a date, and their sight-test interval."""

    on: date
    sight_test_grounds: tuple[str, ...]
    voucher_grounds: tuple[str, ...]
    hc3_contribution: Decimal | None
    exemptions: tuple[RecordedExemption, ...]
    last_sight_test: date | None
    interval_months: int
    interval_reason: str
    next_nhs_test_from: date | None

    @property
    def early(self) -> bool:
        return self.next_nhs_test_from is not None and self.on < self.next_nhs_test_from

    @property
    def sight_test_eligible(self) -> bool:
        return bool(self.sight_test_grounds)

    @property
    def voucher_eligible(self) -> bool:
        return bool(self.voucher_grounds)


def nhs_status_of(uow: TenantUnitOfWork, patient_id: uuid.UUID, on: date) -> NhsStatus:
    patient = patient_or_404(uow, patient_id)
    eligibility, exemptions = eligibility_of(uow, patient, on)
    rows = nhs(uow).exemptions(patient_id)
    last = nhs(uow).last_sight_test(patient_id, on)
    interval = recommended_interval(age_on(patient.date_of_birth, on), risks_from(exemptions, on))
    return NhsStatus(
        on, tuple(str(g) for g in eligibility.sight_test), tuple(str(g) for g in eligibility.voucher),
        eligibility.hc3_contribution,
        tuple(RecordedExemption(r.id, e, CATEGORY_LABELS[e.category], e.in_force(on)) for r, e in zip(rows, exemptions,
                                                                                                     strict=True)),
        last, interval.months, interval.reason, add_months(last, interval.months) if last else None)


@use_case(permission="patients.view", read_only=True)
def nhs_status(uow: TenantUnitOfWork, patient_id: uuid.UUID, on: date | None = None) -> NhsStatus:
    """The patient's NHS eligibility on ``on`` (today by default) and their next NHS sight test date."""
    return nhs_status_of(uow, patient_id, on or clock.today())


@use_case(permission="patients.view", read_only=True)
def early_retest_check(uow: TenantUnitOfWork, patient_id: uuid.UUID, on: date,
                       reason_code: str | None = None) -> str | None:
    """Asked when booking or starting an NHS sight test: None when it may go ahead, else what to
    say (sooner than the MoU interval needs an early-retest reason code; a wrong code is refused)."""
    status = nhs_status_of(uow, patient_id, on)
    return early_retest_problem(status.last_sight_test, on, status.interval_months, reason_code)


@use_case(permission="patients.edit")
def record_exemption(uow: TenantUnitOfWork, patient_id: uuid.UUID, exemption: Exemption,
                     evidence_note: str = "") -> uuid.UUID:
    """Record a ground a patient qualifies on, with the details a claim needs."""
    patient_or_404(uow, patient_id)
    problems = exemption_problems(exemption)
    for field, value in (("establishment_name", exemption.establishment_name),
                         ("establishment_town", exemption.establishment_town),
                         ("beneficiary_name", exemption.beneficiary_name), ("evidence_note", evidence_note)):
        problem = text_input.text_problem(value, text_input.LABEL)
        if problem:
            problems[field] = problem
    if problems:
        raise ValidationFailed(problems)
    row = NhsPatientExemption(
        id=uuid.uuid4(), patient_id=patient_id, category=ExemptionCategory(exemption.category).value,
        valid_from=exemption.valid_from, valid_to=exemption.valid_to, evidence_seen=exemption.evidence_seen,
        evidence_note=evidence_note.strip() or None, beneficiary_name=exemption.beneficiary_name,
        beneficiary_date_of_birth=exemption.beneficiary_date_of_birth,
        establishment_name=exemption.establishment_name, establishment_town=exemption.establishment_town,
        hc3_contribution=exemption.hc3_contribution, recorded_by=uow.context.user_id)
    nhs(uow).add(row)
    uow.commit()
    return row.id


@use_case(permission="patients.edit")
def end_exemption(uow: TenantUnitOfWork, exemption_id: uuid.UUID, valid_to: date) -> None:
    """A ground ends (a certificate expired, a benefit stopped): its end date is set, never deleted."""
    row = nhs(uow).exemption(exemption_id)
    if row is None:
        raise ValidationFailed({"exemption": "That ground is not on record."})
    if row.valid_from and valid_to < row.valid_from:
        raise ValidationFailed({"valid_to": "The end date is before the start date."})
    row.valid_to = valid_to
    uow.commit()
