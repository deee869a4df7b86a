"""GOS 3 vouchers and GOS 4 repairs: issued with the prescription when the patient is eligible (or
later: fair wear and tear, newly eligible), banded from the Rx, supplements added and the HC3
contribution deducted (``domain.gos.vouchers``); redeemed at the till as a tender (the voucher's
number is the tender's form number), which starts its GOS 3 claim, completed at collection."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.exam import age_on
from ils_desktop.domain.gos.claims import ClaimForm, claim_deadline
from ils_desktop.domain.gos.eligibility import CATEGORY_LABELS, ExemptionCategory
from ils_desktop.domain.gos.repairs import RepairRequest, gos4_problems, is_replacement
from ils_desktop.domain.gos.vouchers import (
    BAND_DESCRIPTIONS,
    MissingValue,
    Supplement,
    VoucherValue,
    voucher_band,
    voucher_worth,
)
from ils_desktop.domain.rx import Sca
from ils_desktop.errors import NotFound, UserFacingError, ValidationFailed
from ils_desktop.models.nhs import NhsVoucher
from ils_desktop.repositories.counters import CounterRepository
from ils_desktop.services import clock
from ils_desktop.services.nhs._common import (
    claim_or_404,
    eligibility_detail,
    eligibility_of,
    ensure_fees,
    iso,
    nation_of,
    new_claim,
    nhs,
    patient_or_404,
    patient_part,
)
from ils_desktop.services.till.settings import _ensure_voucher_values
from ils_desktop.services.use_case import use_case

VOUCHER_COUNTER = "nhs_voucher"
REASONS = ("with_prescription", "fair_wear_and_tear", "became_eligible")


@dataclass(frozen=True)
class VoucherRequest:
    prescription_id: uuid.UUID
    bifocal: bool = False
    """Bifocal or varifocal (one voucher); single vision otherwise."""
    near: bool = False
    """Single-vision reading glasses: banded on the near Rx (distance + add)."""
    supplements: tuple[Supplement, ...] = ()
    reason: str = "with_prescription"


@dataclass(frozen=True)
class VoucherView:
    id: uuid.UUID
    number: str
    patient_id: uuid.UUID
    patient_name: str
    patient_date_of_birth: date
    patient_address: str
    prescription_date: date | None
    band: str
    band_description: str
    eligibility: tuple[str, ...]
    supplements: tuple[tuple[str, Decimal], ...]
    face_value: Decimal
    hc3_contribution: Decimal
    value: Decimal
    issued_on: date
    state: str
    practice_name: str = ""
    practice_ods: str = ""
    rx: tuple[str, str] = ("", "")
    claim_id: uuid.UUID | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def _sca(sphere: Decimal | None, cylinder: Decimal | None, axis: int | None, add: Decimal | None,
         near: bool) -> Sca | None:
    if sphere is None:
        return None
    base = sphere + ((add or Decimal(0)) if near else Decimal(0))
    return Sca(base, cylinder or Decimal(0), axis)


def _values(uow: TenantUnitOfWork) -> list[VoucherValue]:
    """Band faces (the till's dated voucher values) and supplements (the NHS fee table)."""
    faces = [VoucherValue(r.code, r.value, r.valid_from, r.source or "") for r in _ensure_voucher_values(uow)]
    return faces + [v for v in ensure_fees(uow) if v.code not in BAND_DESCRIPTIONS]


@use_case(permission="prescriptions.issue")
def issue_voucher(uow: TenantUnitOfWork, request: VoucherRequest) -> uuid.UUID:
    """Issue a GOS 3 voucher for a prescription: refused when the patient has no voucher ground that
    day (age 60+, diabetes or glaucoma alone give none), or when a value is missing from the table."""
    if request.reason not in REASONS:
        raise ValidationFailed({"reason": "Choose why the voucher is issued."})
    repo = nhs(uow)
    rx = repo.prescription(request.prescription_id)
    if rx is None:
        raise NotFound("That prescription is not on record.")
    if rx.kind == "no_rx_needed":
        raise ValidationFailed({"prescription": "No glasses were prescribed: there is nothing to give a voucher for."})
    patient = patient_or_404(uow, rx.patient_id)
    today = clock.today()
    eligibility, _ = eligibility_of(uow, patient, today)
    if not eligibility.voucher_eligible:
        grounds = ", ".join(CATEGORY_LABELS[g] for g in eligibility.sight_test) or "none recorded"
        raise ValidationFailed({"eligibility": f"The patient has no ground for a voucher today (grounds: {grounds}): "
                                               "age 60 or over, diabetes or glaucoma alone give a sight test only."})
    right = _sca(rx.right_sphere, rx.right_cylinder, rx.right_axis, rx.right_near_add, request.near)
    left = _sca(rx.left_sphere, rx.left_cylinder, rx.left_axis, rx.left_near_add, request.near)
    try:
        band = voucher_band(right, left, bifocal=request.bifocal)
        supplements = tuple(request.supplements)
        if any(p for p in (rx.right_prism_h, rx.right_prism_v, rx.left_prism_h, rx.left_prism_v)):
            supplements = tuple(dict.fromkeys((*supplements, Supplement.PRISM)))
        worth = voucher_worth(band, today, _values(uow), supplements=supplements,
                              hc3_contribution=eligibility.hc3_contribution)
    except (ValueError, MissingValue) as error:
        raise ValidationFailed({"band": str(error)}) from None
    number = uow.repository(CounterRepository).next_value(VOUCHER_COUNTER)
    voucher = NhsVoucher(
        id=uuid.uuid4(), number=f"V{number:06d}", patient_id=patient.id, prescription_id=rx.id, form="GOS3",
        reason=request.reason, band=band, eligibility=[str(g) for g in eligibility.voucher],
        supplements=[[code, str(value)] for code, value in worth.supplements], face_value=worth.face_value,
        hc3_contribution=worth.hc3_contribution, value=worth.total, issued_on=today,
        issued_by=uow.context.user_id)
    repo.add(voucher)
    uow.commit()
    return voucher.id


def _voucher_view(uow: TenantUnitOfWork, voucher: NhsVoucher) -> VoucherView:
    repo = nhs(uow)
    patient = patient_or_404(uow, voucher.patient_id)
    rx = repo.prescription(voucher.prescription_id) if voucher.prescription_id else None
    company = uow.companies.get(uow.context.company_id)
    contract = repo.contract()
    claim = repo.claim_for_voucher(voucher.id)

    def eye(prefix: str) -> str:
        if rx is None or getattr(rx, f"{prefix}_sphere") is None:
            return ""
        sph, cyl, axis = (getattr(rx, f"{prefix}_{p}") for p in ("sphere", "cylinder", "axis"))
        add = getattr(rx, f"{prefix}_near_add")
        text = f"{sph:+.2f}" + (f" / {cyl:+.2f} × {axis}" if cyl else " DS")
        return text + (f"  Add {add:+.2f}" if add else "")

    part = patient_part(patient)
    return VoucherView(
        voucher.id, voucher.number, patient.id, f"{patient.first_name} {patient.last_name}", patient.date_of_birth,
        ", ".join(p for p in (part["address"], part["postcode"]) if p), rx.issue_date if rx else None,
        voucher.band, BAND_DESCRIPTIONS.get(voucher.band, ""),
        tuple(CATEGORY_LABELS[ExemptionCategory(g)] for g in voucher.eligibility),
        tuple((code, Decimal(value)) for code, value in voucher.supplements), voucher.face_value,
        voucher.hc3_contribution, voucher.value, voucher.issued_on, voucher.state,
        getattr(company, "name", "") or "", contract.ods_code if contract else "", (eye("right"), eye("left")),
        claim.id if claim else None)


@use_case(permission="patients.view", read_only=True)
def load_voucher(uow: TenantUnitOfWork, voucher_id: uuid.UUID) -> VoucherView:
    voucher = nhs(uow).voucher(voucher_id)
    if voucher is None:
        raise NotFound("That voucher is not on record.")
    return _voucher_view(uow, voucher)


@use_case(permission="till.sell")
def redeem_voucher(uow: TenantUnitOfWork, number: str, transaction_id: uuid.UUID,
                   order_id: uuid.UUID | None = None) -> uuid.UUID:
    """A voucher taken at the till: the sale must carry an NHS voucher tender with this voucher's
    number, for no more than its value. Marks it redeemed and starts its GOS 3 claim (returned),
    linked to the sale's order when there is one."""
    repo = nhs(uow)
    voucher = repo.voucher_by_number(number, for_update=True)
    if voucher is None:
        raise ValidationFailed({"voucher": f"No voucher {number.strip()[:20]} was issued by this practice."})
    if voucher.state != "issued":
        raise ValidationFailed({"voucher": f"Voucher {voucher.number} is already {voucher.state}."})
    tenders = [t for t in repo.voucher_tenders(transaction_id) if (t.reference or "").strip().upper() == voucher.number]
    if not tenders:
        raise ValidationFailed({"voucher": f"That sale was not paid with voucher {voucher.number}."})
    taken = sum((t.amount for t in tenders), Decimal("0.00"))
    if taken > voucher.value:
        raise ValidationFailed({"voucher": f"The sale took £{taken} against a voucher worth £{voucher.value}."})
    patient = patient_or_404(uow, voucher.patient_id)
    rx = repo.prescription(voucher.prescription_id) if voucher.prescription_id else None
    today = clock.today()
    voucher.state, voucher.redeemed_on, voucher.redeemed_transaction_id = "redeemed", today, transaction_id
    _, exemptions = eligibility_of(uow, patient, today)
    grounds = tuple(voucher.eligibility)
    claim = new_claim(uow, ClaimForm.GOS3, patient, today, voucher_id=voucher.id, order_id=order_id,
                      prescription_id=voucher.prescription_id, amount_claimed=voucher.value, parts={
                          "patient": patient_part(patient), "eligibility": list(grounds),
                          "eligibility_detail": eligibility_detail(exemptions, grounds, today),
                          "voucher": {"number": voucher.number, "band": voucher.band, "value": str(voucher.value),
                                      "face_value": str(voucher.face_value), "supplements": voucher.supplements,
                                      "hc3_contribution": str(voucher.hc3_contribution),
                                      "prescription_date": iso(rx.issue_date) if rx else None},
                          "transaction_id": str(transaction_id), "amount_taken": str(taken), "supply_date": None})
    uow.commit()
    return claim.id


@use_case(permission="dispense.manage")
def complete_voucher_claim_at_collection(uow: TenantUnitOfWork, claim_id: uuid.UUID, supplied_on: date,
                                         small_glasses: bool = False) -> None:
    """The glasses are collected: the supply date is the claim's service date (its three months run
    from here). Small glasses are certified by the supplier here."""
    claim = claim_or_404(uow, claim_id, for_update=True)
    if claim.form not in ("GOS3", "GOS4") or claim.state not in ("draft", "rejected"):
        raise UserFacingError("Only a draft voucher claim is completed at collection.")
    if supplied_on > clock.today():
        raise ValidationFailed({"supplied_on": "The glasses cannot be collected in the future."})
    parts = dict(claim.parts)
    parts["supply_date"] = supplied_on.isoformat()
    parts["small_glasses_certified"] = small_glasses
    claim.parts = parts
    claim.service_date = supplied_on
    claim.deadline = claim_deadline(ClaimForm(claim.form), supplied_on, nation_of(uow))
    uow.commit()


@dataclass(frozen=True)
class RepairClaim:
    patient_id: uuid.UUID
    work_date: date
    band: str
    value: Decimal
    frame: bool
    right_lens: bool
    left_lens: bool
    due_to_illness: bool = False
    covered_by_warranty_or_insurance: bool = False
    pre_authorisation_code: str = ""
    pre_authorised_on: date | None = None


@use_case(permission="dispense.manage")
def start_repair_claim(uow: TenantUnitOfWork, repair: RepairClaim) -> uuid.UUID:
    """A GOS 4 repair or replacement: under 16 always; at 16 or over only voucher-eligible, for
    loss or damage from illness, with NHSBSA's pre-authorisation recorded before the work."""
    patient = patient_or_404(uow, repair.patient_id)
    eligibility, exemptions = eligibility_of(uow, patient, repair.work_date)
    request = RepairRequest(age_on(patient.date_of_birth, repair.work_date), eligibility.voucher_eligible,
                            repair.due_to_illness, repair.covered_by_warranty_or_insurance,
                            repair.pre_authorisation_code.strip() or None, repair.pre_authorised_on, repair.work_date,
                            repair.frame, repair.right_lens, repair.left_lens)
    problems = gos4_problems(request)
    problem = text_input.text_problem(repair.pre_authorisation_code, text_input.CODE)
    if problem:
        problems["pre_authorisation_code"] = problem
    if repair.value <= 0:
        problems["value"] = "Enter the repair's value."
    if problems:
        raise ValidationFailed(problems)
    grounds = tuple(str(g) for g in eligibility.voucher) or ("under_16",)
    claim = new_claim(uow, ClaimForm.GOS4, patient, repair.work_date, amount_claimed=repair.value,
                      pre_authorisation_code=repair.pre_authorisation_code.strip() or None,
                      pre_authorised_on=repair.pre_authorised_on, parts={
                          "patient": patient_part(patient), "eligibility": list(grounds),
                          "eligibility_detail": eligibility_detail(exemptions, grounds, repair.work_date),
                          "repair": {"age": request.age, "voucher_eligible": request.voucher_eligible,
                                     "due_to_illness": repair.due_to_illness,
                                     "covered_by_warranty_or_insurance": repair.covered_by_warranty_or_insurance,
                                     "frame": repair.frame, "right_lens": repair.right_lens,
                                     "left_lens": repair.left_lens, "replacement": is_replacement(request)},
                          "voucher": {"band": repair.band, "value": str(repair.value)},
                          "supply_date": repair.work_date.isoformat()})
    uow.commit()
    return claim.id

