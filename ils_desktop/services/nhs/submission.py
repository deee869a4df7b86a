"""Submitting claims. PCSE Online is not reachable from the practice system, so a batch is made
into one PDF per claim in its form's layout and a machine-readable batch file
(``domain.gos.batch``, fields in docs/nhs-claims-batch-file.md) that the practice uploads or keys;
the submission records who submitted which claims when, with the batch file itself. A future
direct connection implements ``ClaimSubmission`` the same way."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.gos.batch import BATCH_FORMAT_VERSION, render_batch
from ils_desktop.domain.gos.lifecycle import ClaimState
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.models.nhs import NhsClaim, NhsClaimSignature, NhsClaimSubmission
from ils_desktop.reports.gos import FormDocument, form_pdf
from ils_desktop.repositories.counters import CounterRepository
from ils_desktop.services.nhs._common import nhs
from ils_desktop.services.nhs.documents import claim_document
from ils_desktop.services.pdf_files import save_pdf
from ils_desktop.services.use_case import use_case

SUBMISSION_COUNTER = "nhs_submission"
MAX_BATCH = 500


@dataclass(frozen=True)
class ClaimForSubmission:
    claim_id: uuid.UUID
    number: int
    form: str
    document: FormDocument
    row: dict[str, str]


@dataclass(frozen=True)
class SubmissionReceipt:
    channel: str
    files: tuple[Path, ...]
    references: dict[uuid.UUID, str]
    """PCSE's references, when the channel gets them at once (a direct connection); empty otherwise."""


class ClaimSubmission(Protocol):
    """How a batch reaches PCSE. ``submit`` is called inside the submitting transaction: if it raises,
    nothing is marked submitted."""

    channel: str

    def submit(self, batch_number: int, claims: Sequence[ClaimForSubmission], batch_file: str) -> SubmissionReceipt: ...


@dataclass
class PdfAndBatchFile:
    """Writes ``claim-<number>-<form>.pdf`` for each claim and ``gos-batch-<n>.csv`` into ``folder``."""

    folder: Path
    channel: str = "pdf_and_batch_file"

    def submit(self, batch_number: int, claims: Sequence[ClaimForSubmission], batch_file: str) -> SubmissionReceipt:
        written = [save_pdf(form_pdf(c.document), self.folder / f"claim-{c.number}-{c.form}.pdf") for c in claims]
        batch = self.folder / f"gos-batch-{batch_number}.csv"
        temporary = batch.with_name(f".{batch.name}.tmp")
        try:
            temporary.write_text(batch_file, encoding="utf-8", newline="")
            temporary.replace(batch)
        except OSError as error:
            raise UserFacingError(
                f"The batch file could not be written to {batch}: {error.strerror or error}."
            ) from None
        return SubmissionReceipt(self.channel, (*written, batch), {})


def _signed_on(rows: list[NhsClaimSignature], *signers: str) -> str:
    found = next((r for r in rows if r.signer in signers), None)
    return found.signed_on.isoformat() if found else ""


def batch_row(
    uow: TenantUnitOfWork, claim: NhsClaim, batch_number: int, signatures: list[NhsClaimSignature]
) -> dict[str, str]:
    contract = nhs(uow).contract()
    parts = claim.parts
    patient = parts.get("patient", {})
    voucher = parts.get("voucher", {})
    patient_signer = next((r for r in signatures if r.signer in ("patient", "parent_guardian_carer")), None)
    return {
        "format_version": BATCH_FORMAT_VERSION,
        "batch_number": str(batch_number),
        "claim_id": str(claim.id),
        "form": claim.form,
        "contractor_ods_code": contract.ods_code if contract else "",
        "contract_number": contract.contract_number if contract else "",
        "performer_goc_number": parts.get("performer", {}).get("goc_number", ""),
        "patient_surname": patient.get("surname", ""),
        "patient_forenames": patient.get("forenames", ""),
        "patient_date_of_birth": patient.get("date_of_birth", ""),
        "patient_nhs_number": patient.get("nhs_number", ""),
        "patient_address": patient.get("address", ""),
        "patient_postcode": patient.get("postcode", ""),
        "service_date": claim.service_date.isoformat(),
        "eligibility": ";".join(parts.get("eligibility", [])),
        "eligibility_detail": parts.get("eligibility_detail", ""),
        "last_sight_test": (
            "NOT_KNOWN" if parts.get("last_sight_test_not_known") else parts.get("last_sight_test") or ""
        )
        if claim.form in ("GOS1", "GOS6")
        else "",
        "early_retest_code": claim.early_retest_code or "",
        "voucher_band": voucher.get("band", ""),
        "supplements": ";".join(code for code, _ in voucher.get("supplements", [])),
        "prescription_date": voucher.get("prescription_date") or "",
        "patient_contribution": voucher.get("hc3_contribution", "") if voucher else "",
        "pre_authorisation_code": claim.pre_authorisation_code or "",
        "pre_visit_reference": claim.pre_visit_reference or "",
        "visit_setting": claim.visit_setting or "",
        "amount_claimed": f"{claim.amount_claimed:.2f}",
        "patient_signed_on": _signed_on(signatures, "patient", "parent_guardian_carer"),
        "patient_signer": (
            patient_signer.signer + (f":{patient_signer.printed_name}" if patient_signer.printed_name else "")
        )
        if patient_signer
        else "",
        "performer_signed_on": _signed_on(signatures, "performer"),
        "contractor_signed_on": _signed_on(signatures, "contractor"),
    }


@dataclass(frozen=True)
class SubmittedBatch:
    submission_id: uuid.UUID
    number: int
    claim_count: int
    total: Decimal
    files: tuple[Path, ...]


@use_case(permission="nhs.claims")
def submit_claims(uow: TenantUnitOfWork, claim_ids: Sequence[uuid.UUID], channel: ClaimSubmission) -> SubmittedBatch:
    """Submit ready claims as one batch through ``channel``; every claim must be ready (refused, and
    nothing submitted, otherwise). Records the submission (who, when, the batch file) and marks the
    claims submitted."""
    if not claim_ids:
        raise ValidationFailed({"claims": "Choose the ready claims to submit."})
    if len(claim_ids) > MAX_BATCH:
        raise ValidationFailed({"claims": f"Submit at most {MAX_BATCH} claims in one batch."})
    repo = nhs(uow)
    claims = repo.claims(set(claim_ids), for_update=True)
    not_ready = [c.number for c in claims if c.state != ClaimState.READY.value]
    if len(claims) != len(set(claim_ids)) or not_ready:
        raise ValidationFailed(
            {
                "claims": "Only ready claims can be submitted"
                + (f" (not ready: {', '.join(map(str, not_ready[:10]))})." if not_ready else ".")
            }
        )
    number = uow.repository(CounterRepository).next_value(SUBMISSION_COUNTER)
    by_claim: dict[uuid.UUID, list[NhsClaimSignature]] = {}
    for row in repo.signatures([c.id for c in claims]):
        by_claim.setdefault(row.claim_id, []).append(row)
    prepared = [
        ClaimForSubmission(
            c.id, c.number, c.form, claim_document(uow, c), batch_row(uow, c, number, by_claim.get(c.id, []))
        )
        for c in claims
    ]
    batch_file = render_batch(p.row for p in prepared)
    receipt = channel.submit(number, prepared, batch_file)
    submission = NhsClaimSubmission(
        id=uuid.uuid4(),
        number=number,
        channel=receipt.channel,
        submitted_by=uow.context.user_id,
        claim_count=len(claims),
        total=sum((c.amount_claimed for c in claims), Decimal("0.00")),
        batch_file=batch_file,
        batch_file_sha256=hashlib.sha256(batch_file.encode()).hexdigest(),
    )
    repo.add(submission)
    uow.flush()
    for claim in claims:
        claim.state = ClaimState.SUBMITTED.value
        claim.submission_id = submission.id
        claim.reference = receipt.references.get(claim.id, claim.reference)
    uow.commit()
    return SubmittedBatch(submission.id, number, len(claims), submission.total, receipt.files)
