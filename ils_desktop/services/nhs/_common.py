"""What the NHS use cases share: the practice's contract and tables, the patient part of a claim,
eligibility from the recorded exemptions, the claim's parts as the domain rules see them."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.gos.claims import ClaimForm, Nation, Signature, Signer, claim_deadline
from ils_desktop.domain.gos.eligibility import Eligibility, Exemption, ExemptionCategory, eligibility_on
from ils_desktop.domain.gos.fees import ENGLAND_FEES, FEE_DESCRIPTIONS
from ils_desktop.domain.gos.intervals import RetestRisks
from ils_desktop.domain.gos.vouchers import BAND_DESCRIPTIONS, ENGLAND_VALUES, MissingValue, VoucherValue, value_on
from ils_desktop.errors import NotFound, ValidationFailed
from ils_desktop.models.nhs import NhsClaim, NhsClaimSignature, NhsFee, NhsPatientExemption
from ils_desktop.models.patients import Patient
from ils_desktop.repositories.counters import CounterRepository
from ils_desktop.repositories.nhs import NhsRepository

CLAIM_COUNTER = "nhs_claim"


def nhs(uow: TenantUnitOfWork) -> NhsRepository:
    return uow.repository(NhsRepository)


def nation_of(uow: TenantUnitOfWork) -> Nation:
    contract = nhs(uow).contract()
    return Nation(contract.nation) if contract else Nation.ENGLAND


def patient_or_404(uow: TenantUnitOfWork, patient_id: uuid.UUID) -> Patient:
    patient = nhs(uow).patient(patient_id)
    if patient is None:
        raise NotFound("That patient is not on record.")
    return patient


def claim_or_404(uow: TenantUnitOfWork, claim_id: uuid.UUID, *, for_update: bool = False) -> NhsClaim:
    claim = nhs(uow).claim(claim_id, for_update=for_update)
    if claim is None:
        raise NotFound("That claim is not on record.")
    return claim


def exemption_of(row: NhsPatientExemption) -> Exemption:
    return Exemption(category=ExemptionCategory(row.category), valid_from=row.valid_from, valid_to=row.valid_to,
                     evidence_seen=row.evidence_seen, beneficiary_name=row.beneficiary_name,
                     beneficiary_date_of_birth=row.beneficiary_date_of_birth,
                     establishment_name=row.establishment_name, establishment_town=row.establishment_town,
                     hc3_contribution=row.hc3_contribution)


def eligibility_of(uow: TenantUnitOfWork, patient: Patient, on: date) -> tuple[Eligibility, list[Exemption]]:
    exemptions = [exemption_of(row) for row in nhs(uow).exemptions(patient.id)]
    return eligibility_on(patient.date_of_birth, on, tuple(exemptions)), exemptions


def risks_from(exemptions: list[Exemption], on: date) -> RetestRisks:
    """What shortens the MoU interval, from the grounds recorded and in force."""
    grounds = {e.category for e in exemptions if e.in_force(on)}
    return RetestRisks(diabetic=ExemptionCategory.DIABETES in grounds,
                       glaucoma=ExemptionCategory.GLAUCOMA in grounds,
                       ocular_hypertension=ExemptionCategory.GLAUCOMA_RISK in grounds,
                       glaucoma_family_history=ExemptionCategory.GLAUCOMA_FAMILY_HISTORY in grounds)


def eligibility_detail(exemptions: list[Exemption], grounds: tuple[str, ...], on: date) -> str:
    """The details a claim carries for its grounds: establishment and town, the beneficiary, HC3."""
    parts: list[str] = []
    for e in exemptions:
        if e.category not in grounds or not e.in_force(on):
            continue
        if e.establishment_name:
            parts.append(f"{e.establishment_name}, {e.establishment_town or ''}".strip(", "))
        if e.beneficiary_name:
            born = f" (born {e.beneficiary_date_of_birth:%d/%m/%Y})" if e.beneficiary_date_of_birth else ""
            parts.append(f"Beneficiary {e.beneficiary_name}{born}")
        if e.hc3_contribution is not None:
            parts.append(f"HC3 contribution £{e.hc3_contribution}")
    return "; ".join(parts)


def patient_part(patient: Patient) -> dict[str, Any]:
    address = ", ".join(p for p in (patient.address_line1, patient.address_line2, patient.town, patient.county) if p)
    return {"surname": patient.last_name, "forenames": patient.first_name,
            "date_of_birth": patient.date_of_birth.isoformat(), "nhs_number": patient.nhs_number or "",
            "address": address, "postcode": patient.postcode or ""}


SUPPLEMENT_DESCRIPTIONS = {"prism": "Voucher supplement: prism, single vision",
                           "prism_multifocal": "Voucher supplement: prism, bifocal or varifocal",
                           "tint": "Voucher supplement: tint", "photochromic": "Voucher supplement: photochromic",
                           "small_glasses": "Voucher supplement: small glasses",
                           "special_frame": "Voucher supplement: special frame",
                           "complex_appliance": "Voucher supplement: complex appliance"}


def ensure_fees(uow: TenantUnitOfWork) -> list[VoucherValue]:
    """The practice's table of fees and voucher supplements (dated rows), started with the shipped
    England figures (``domain.gos.fees.ENGLAND_FEES`` and the supplements of
    ``domain.gos.vouchers.ENGLAND_VALUES``) the first time."""
    repo = nhs(uow)
    rows = repo.fees()
    if not rows:
        for fee in ENGLAND_FEES:
            repo.add(NhsFee(code=str(fee.code), description=FEE_DESCRIPTIONS[fee.code], value=fee.value,
                            valid_from=fee.valid_from, source=fee.source))
        for supplement in ENGLAND_VALUES:  # the supplements; the band faces are the till's voucher values
            if supplement.code not in BAND_DESCRIPTIONS:
                repo.add(NhsFee(code=supplement.code, description=SUPPLEMENT_DESCRIPTIONS.get(
                    supplement.code, supplement.code), value=supplement.value, valid_from=supplement.valid_from,
                    source=supplement.source))
        uow.flush()
        rows = repo.fees()
    return [VoucherValue(r.code, r.value, r.valid_from, r.source or "") for r in rows]


def fee_on(uow: TenantUnitOfWork, code: str, on: date) -> Decimal:
    try:
        return value_on(code, on, ensure_fees(uow)).value
    except MissingValue as error:
        raise ValidationFailed({"fee": str(error)}) from None


def new_claim(uow: TenantUnitOfWork, form: ClaimForm, patient: Patient, service_date: date, **columns: Any) -> NhsClaim:
    number = uow.repository(CounterRepository).next_value(CLAIM_COUNTER)
    claim = NhsClaim(id=uuid.uuid4(), number=number, form=form.value, state="draft", patient_id=patient.id,
                     service_date=service_date, deadline=claim_deadline(form, service_date, nation_of(uow)),
                     created_by=uow.context.user_id, **columns)
    nhs(uow).add(claim)
    return claim


def signatures_of(rows: list[NhsClaimSignature] | tuple[NhsClaimSignature, ...]) -> tuple[Signature, ...]:
    return tuple(Signature(Signer(r.signer), r.signed_on, r.printed_name,
                           str(r.signed_by_user) if r.signed_by_user else None) for r in rows)


def iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def from_iso(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
