"""A claim's life after it is started: signatures (drawn on the pad or attested, each dated), made
ready only when nothing PCSE would reject is missing, PCSE's outcome recorded, a rejection fixed;
and the manager's board of claims due, ready, overdue, rejected and awaiting payment."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.gos.claims import (
    ClaimForm,
    DeadlineState,
    Gos1Claim,
    Gos3Claim,
    Signer,
    deadline_state,
    gos1_claim_problems,
    gos3_claim_problems,
    signature_problems,
)
from ils_desktop.domain.gos.domiciliary import DomiciliaryVisit, VisitSetting, gos6_problems
from ils_desktop.domain.gos.lifecycle import ClaimState, transition_problem
from ils_desktop.domain.gos.repairs import RepairRequest, gos4_problems
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.models.nhs import NhsClaim, NhsClaimSignature
from ils_desktop.services import clock
from ils_desktop.services.nhs._common import claim_or_404, from_iso, nation_of, nhs, signatures_of
from ils_desktop.services.permissions import require
from ils_desktop.services.use_case import use_case

MAX_SIGNATURE_BYTES = 400_000
PATIENT_DECLARATION = (
    "I confirm that I am entitled to an NHS-funded sight test for the reason given, and I consent to the "
    "disclosure of relevant information to check this and to prevent and detect fraud.")


@dataclass(frozen=True)
class SignatureInput:
    signer: Signer
    signed_on: date | None
    image: bytes | None = None
    """A PNG drawn on the signature pad; None for an attestation."""
    attestation: str = ""
    """Who attested that the person signed (on paper, or on the practice's own device)."""
    printed_name: str = ""


@dataclass(frozen=True)
class ClaimSignatureView:
    signer: str
    signed_on: date
    printed_name: str
    method: str
    has_image: bool


@dataclass(frozen=True)
class ClaimView:
    id: uuid.UUID
    number: int
    form: str
    state: str
    service_date: date
    deadline: date
    deadline_state: DeadlineState
    amount_claimed: Decimal
    amount_paid: Decimal | None
    reference: str | None
    rejection_reason: str | None
    patient_id: uuid.UUID
    parts: dict[str, Any]
    early_retest_code: str | None
    signatures: tuple[ClaimSignatureView, ...]
    problems: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BoardRow:
    id: uuid.UUID
    number: int
    form: str
    state: str
    patient_name: str
    service_date: date
    deadline: date
    deadline_state: DeadlineState
    amount_claimed: Decimal
    amount_paid: Decimal | None
    reference: str | None
    rejection_reason: str | None
    signatures: int


@dataclass(frozen=True)
class ClaimsBoard:
    today: date
    rows: tuple[BoardRow, ...]

    def _count(self, *states: str) -> int:
        return sum(1 for r in self.rows if r.state in states)

    @property
    def overdue(self) -> int:
        return sum(1 for r in self.rows if r.state in ("draft", "ready", "rejected")
                   and r.deadline_state is DeadlineState.OVERDUE)

    @property
    def due_soon(self) -> int:
        return sum(1 for r in self.rows if r.state in ("draft", "ready", "rejected")
                   and r.deadline_state is DeadlineState.DUE_SOON)

    @property
    def owed(self) -> Decimal:
        return sum((r.amount_claimed for r in self.rows if r.state in ("submitted", "accepted")), Decimal("0.00"))


# --------------------------------------------------------------------------------------------------
# What PCSE would reject, for any form


def claim_problems(uow: TenantUnitOfWork, claim: NhsClaim, signatures: tuple[NhsClaimSignature, ...]) -> dict[str, str]:
    parts = claim.parts
    signed = signatures_of(signatures)
    contract = nhs(uow).contract()
    patient = parts.get("patient", {})
    performer = parts.get("performer", {})
    form = ClaimForm(claim.form)
    if form in (ClaimForm.GOS1, ClaimForm.GOS6):
        problems = gos1_claim_problems(Gos1Claim(
            contractor_ods_code=contract.ods_code if contract else None,
            performer_goc_number=performer.get("goc_number") or None,
            patient_name=f"{patient.get('forenames', '')} {patient.get('surname', '')}".strip() or None,
            patient_address=patient.get("address") or None,
            patient_date_of_birth=from_iso(patient.get("date_of_birth")),
            eligibility=tuple(parts.get("eligibility", ())),
            establishment=parts.get("eligibility_detail") or None,
            sight_test_date=claim.service_date,
            last_sight_test=from_iso(parts.get("last_sight_test")),
            last_sight_test_not_known=bool(parts.get("last_sight_test_not_known")),
            early_retest_code=claim.early_retest_code, early_retest=bool(parts.get("early_retest")),
            signatures=signed,
            contractor_is_performer=bool(claim.performer_id and claim.performer_id == _contractor_user(signatures))))
        if claim.exam_id is None:
            problems["exam"] = "The sight test's examination is not finalised yet."
        if form is ClaimForm.GOS6:
            problems.update(gos6_problems(DomiciliaryVisit(
                True, claim.pre_visit_notified_on, claim.pre_visit_reference, claim.service_date,
                VisitSetting(claim.visit_setting) if claim.visit_setting else None, claim.visit_address,
                int(parts.get("visit", {}).get("position_at_address", 1)))))
        return problems
    problems = {}
    if contract is None:
        problems["contractor_ods_code"] = "Enter the practice's ODS code and contract number in the NHS set-up."
    voucher = parts.get("voucher", {})
    if form is ClaimForm.GOS3:
        problems.update(gos3_claim_problems(Gos3Claim(
            prescription_date=from_iso(voucher.get("prescription_date")), band=voucher.get("band"),
            voucher_value=Decimal(voucher["value"]) if voucher.get("value") else None,
            supply_date=from_iso(parts.get("supply_date")),
            patient_contribution=Decimal(voucher.get("hc3_contribution") or "0"))))
    else:
        repair = parts.get("repair", {})
        problems.update(gos4_problems(RepairRequest(
            age=int(repair.get("age", 0)), voucher_eligible=bool(repair.get("voucher_eligible")),
            due_to_illness=bool(repair.get("due_to_illness")),
            covered_by_warranty_or_insurance=bool(repair.get("covered_by_warranty_or_insurance")),
            pre_authorisation_code=claim.pre_authorisation_code, pre_authorised_on=claim.pre_authorised_on,
            work_date=from_iso(parts.get("supply_date")), frame=bool(repair.get("frame")),
            right_lens=bool(repair.get("right_lens")), left_lens=bool(repair.get("left_lens")))))
    problems.update(signature_problems(signed, performer_signs=False))
    return problems


def _contractor_user(signatures: tuple[NhsClaimSignature, ...]) -> uuid.UUID | None:
    return next((s.signed_by_user for s in signatures if s.signer == "contractor"), None)


def _view(uow: TenantUnitOfWork, claim: NhsClaim, today: date) -> ClaimView:
    signatures = tuple(nhs(uow).signatures([claim.id]))
    return ClaimView(
        claim.id, claim.number, claim.form, claim.state, claim.service_date, claim.deadline,
        deadline_state(ClaimForm(claim.form), claim.service_date, today, nation_of(uow)), claim.amount_claimed,
        claim.amount_paid, claim.reference, claim.rejection_reason, claim.patient_id, dict(claim.parts),
        claim.early_retest_code,
        tuple(ClaimSignatureView(s.signer, s.signed_on, s.printed_name or "", s.method, s.image is not None)
              for s in signatures),
        claim_problems(uow, claim, signatures) if claim.state in ("draft", "ready", "rejected") else {})


@use_case(permission="patients.view", read_only=True)
def load_claim(uow: TenantUnitOfWork, claim_id: uuid.UUID) -> ClaimView:
    """A claim with its parts, signatures and what PCSE would still reject."""
    return _view(uow, claim_or_404(uow, claim_id), clock.today())


@use_case(permission="patients.view", read_only=True)
def signature_image(uow: TenantUnitOfWork, claim_id: uuid.UUID, signer: str) -> bytes | None:
    row = nhs(uow).signature(claim_id, signer)
    return row.image if row else None


@use_case(permission="patients.view", read_only=True)
def claims_for_patient(uow: TenantUnitOfWork, patient_id: uuid.UUID) -> list[ClaimView]:
    today = clock.today()
    return [_view(uow, c, today) for c in nhs(uow).claims_for_patient(patient_id)]


# --------------------------------------------------------------------------------------------------
# Signing and the lifecycle


@use_case(permission="patients.edit")
def sign_claim(uow: TenantUnitOfWork, claim_id: uuid.UUID, signature: SignatureInput) -> None:
    """Record a dated signature on a claim (replacing that signer's earlier one while the claim is
    a draft). The performer signs as themselves (``exams.perform``); the contractor's signature
    needs ``nhs.claims``."""
    if signature.signer is Signer.PERFORMER:
        require(uow.context, "exams.perform")
    if signature.signer is Signer.CONTRACTOR:
        require(uow.context, "nhs.claims")
    claim = claim_or_404(uow, claim_id, for_update=True)
    if claim.state not in ("draft", "rejected"):
        raise UserFacingError("A claim is signed while it is a draft; this one is " + claim.state + ".")
    problems: dict[str, str] = {}
    if signature.signed_on is None:
        problems["signed_on"] = "Every signature must be dated."
    elif signature.signed_on > clock.today():
        problems["signed_on"] = "A signature cannot be dated in the future."
    if signature.image is None and not signature.attestation.strip():
        problems["signature"] = "Sign on the pad, or record who attests the signature."
    if signature.image is not None and (len(signature.image) > MAX_SIGNATURE_BYTES
                                        or not signature.image.startswith(b"\x89PNG")):
        problems["signature"] = "The signature image is not a PNG drawing of a reasonable size."
    if signature.signer is Signer.PARENT_GUARDIAN_CARER and not signature.printed_name.strip():
        problems["printed_name"] = "A parent, guardian or carer who signs must also print their name."
    if signature.signer is Signer.PERFORMER and claim.performer_id not in (None, uow.context.user_id):
        problems["signer"] = "Only the performer who did the sight test signs as performer."
    for name, value in (("printed_name", signature.printed_name), ("attestation", signature.attestation)):
        problem = text_input.text_problem(value, text_input.LABEL)
        if problem:
            problems[name] = problem
    if problems:
        raise ValidationFailed(problems)
    repo = nhs(uow)
    if signature.signer in (Signer.PATIENT, Signer.PARENT_GUARDIAN_CARER):
        for other in (Signer.PATIENT, Signer.PARENT_GUARDIAN_CARER):
            existing = repo.signature(claim.id, other.value)
            if existing is not None and other is not signature.signer:
                raise ValidationFailed({"signer": "The patient's part is already signed by someone else."})
    row = repo.signature(claim.id, signature.signer.value)
    if row is None:
        row = NhsClaimSignature(claim_id=claim.id, signer=signature.signer.value, signed_on=signature.signed_on,
                                method="pad")
        repo.add(row)
    row.signed_on = signature.signed_on  # type: ignore[assignment]
    row.printed_name = signature.printed_name.strip() or None
    row.signed_by_user = uow.context.user_id if signature.signer in (Signer.PERFORMER, Signer.CONTRACTOR) else None
    row.method = "pad" if signature.image is not None else "attestation"
    row.image = signature.image
    row.attestation = signature.attestation.strip() or None
    uow.commit()


def _move(claim: NhsClaim, wanted: ClaimState) -> None:
    problem = transition_problem(ClaimState(claim.state), wanted)
    if problem:
        raise UserFacingError(problem)
    claim.state = wanted.value


@use_case(permission="nhs.claims")
def make_claim_ready(uow: TenantUnitOfWork, claim_id: uuid.UUID) -> None:
    """Ready to submit: refused, field by field, while anything PCSE would reject is missing."""
    claim = claim_or_404(uow, claim_id, for_update=True)
    problems = claim_problems(uow, claim, tuple(nhs(uow).signatures([claim.id])))
    if problems:
        raise ValidationFailed(problems)
    _move(claim, ClaimState.READY)
    uow.commit()


@use_case(permission="nhs.claims")
def record_claim_outcome(uow: TenantUnitOfWork, claim_id: uuid.UUID, accepted: bool, *, reference: str = "",
                         reason: str = "") -> None:
    """PCSE accepted (with its reference) or rejected (with its reason) a submitted claim."""
    claim = claim_or_404(uow, claim_id, for_update=True)
    problems = {}
    for name, value in (("reference", reference), ("reason", reason)):
        problem = text_input.text_problem(value, text_input.LABEL)
        if problem:
            problems[name] = problem
    if not accepted and not reason.strip():
        problems["reason"] = "Enter the reason PCSE gave."
    if problems:
        raise ValidationFailed(problems)
    _move(claim, ClaimState.ACCEPTED if accepted else ClaimState.REJECTED)
    if reference.strip():
        claim.reference = reference.strip().upper()
    claim.rejection_reason = None if accepted else reason.strip()
    uow.commit()


@use_case(permission="nhs.claims")
def record_claim_reference(uow: TenantUnitOfWork, claim_id: uuid.UUID, reference: str) -> None:
    """The reference PCSE gave a submitted claim (matched against the payment schedule)."""
    problem = text_input.text_problem(reference, text_input.CODE)
    if problem or not reference.strip():
        raise ValidationFailed({"reference": problem or "Enter PCSE's claim reference."})
    claim = claim_or_404(uow, claim_id, for_update=True)
    if claim.state not in ("submitted", "accepted"):
        raise UserFacingError("A reference is recorded on a submitted claim.")
    claim.reference = reference.strip().upper()
    uow.commit()


@use_case(permission="nhs.claims")
def reopen_claim(uow: TenantUnitOfWork, claim_id: uuid.UUID) -> None:
    """Back to draft to fix it (a rejected claim, or a ready one found wrong before submission)."""
    claim = claim_or_404(uow, claim_id, for_update=True)
    _move(claim, ClaimState.DRAFT)
    uow.commit()


@use_case(permission="nhs.claims", read_only=True)
def claims_board(uow: TenantUnitOfWork, today: date | None = None) -> ClaimsBoard:
    """Every claim still to act on (draft, ready, rejected) and every claim awaiting payment, with
    its deadline state, in one query."""
    today = today or clock.today()
    nation = nation_of(uow)
    rows = nhs(uow).claims_board(["draft", "ready", "rejected"], include_owed=True)
    state_of = functools.lru_cache(maxsize=4096)(  # many claims share a form and a service date
        lambda form, service: deadline_state(ClaimForm(form), service, today, nation))
    return ClaimsBoard(today, tuple(
        BoardRow(id_, number, form, state, patient_name, service, deadline, state_of(form, service), claimed, paid,
                 reference, reason, signatures)
        for (id_, number, form, state, service, deadline, claimed, paid, reference, reason, _patient_id,
             patient_name, signatures) in rows))
