"""The NHS documents the practice prints or submits, filled from the records: a claim in its form's
layout, the voucher for a patient who takes it elsewhere, and the evidence for post-payment
verification (``reports.gos``)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.gos.domiciliary import VisitSetting
from ils_desktop.domain.gos.eligibility import CATEGORY_LABELS, ExemptionCategory
from ils_desktop.domain.gos.intervals import EARLY_RETEST_REASONS
from ils_desktop.errors import NotFound
from ils_desktop.models.nhs import NhsClaim, NhsClaimSignature
from ils_desktop.reports.gos import FormDocument, FormSection, SignatureBox, form_pdf
from ils_desktop.reports.layout import Letterhead
from ils_desktop.services import clock
from ils_desktop.services.nhs._common import claim_or_404, from_iso, nhs
from ils_desktop.services.nhs.claims import PATIENT_DECLARATION
from ils_desktop.services.nhs.vouchers import _voucher_view
from ils_desktop.services.use_case import use_case

FORM_TITLES = {
    "GOS1": "GOS 1 — NHS sight test claim",
    "GOS3": "GOS 3 — optical voucher claim",
    "GOS4": "GOS 4 — repair or replacement claim",
    "GOS6": "GOS 6 — domiciliary sight test claim",
}
SIGNER_LABELS = {
    "patient": "Patient",
    "parent_guardian_carer": "Parent, guardian or carer",
    "performer": "Performer",
    "contractor": "Contractor",
}


def letterhead(uow: TenantUnitOfWork) -> Letterhead:
    company = uow.companies.get(uow.context.company_id)
    assert company is not None
    address = company.address or {}
    lines = tuple(
        str(address[k]).strip()
        for k in ("line1", "line2", "town", "county", "postcode")
        if str(address.get(k) or "").strip()
    ) or ("(address not recorded)",)
    contract = nhs(uow).contract()
    return Letterhead(
        company.name,
        lines,
        company.phone,
        company.email,
        company.goc_number,
        contract.ods_code if contract else company.ods_code,
    )


def _uk(value: str | None) -> str:
    found = from_iso(value)
    return f"{found:%d/%m/%Y}" if found else ""


def _labels(codes: list[str]) -> str:
    return "; ".join(CATEGORY_LABELS.get(ExemptionCategory(c), c) for c in codes)


def _evidence_words(parts: dict[str, Any]) -> str:
    """Age grounds come from the date of birth; any other ground needs its evidence seen."""
    grounds = set(parts.get("eligibility", []))
    if grounds and grounds <= {"under_16", "aged_60_or_over"}:
        return "Not needed: age, from the date of birth"
    return "Yes" if parts.get("evidence_seen") else "No"


def _patient_section(parts: dict[str, Any]) -> FormSection:
    patient = parts.get("patient", {})
    return FormSection(
        "Patient",
        (
            ("Surname", patient.get("surname", "")),
            ("Forenames", patient.get("forenames", "")),
            ("Date of birth", _uk(patient.get("date_of_birth"))),
            ("NHS number", patient.get("nhs_number", "")),
            ("Address", ", ".join(p for p in (patient.get("address"), patient.get("postcode")) if p)),
        ),
    )


def _signature_boxes(rows: list[NhsClaimSignature], form: str) -> tuple[SignatureBox, ...]:
    by = {r.signer: r for r in rows}
    wanted = ["patient", "performer", "contractor"] if form in ("GOS1", "GOS6") else ["patient", "contractor"]
    boxes = []
    for signer in wanted:
        row = by.get(signer) or (by.get("parent_guardian_carer") if signer == "patient" else None)
        if row is None:
            boxes.append(SignatureBox(SIGNER_LABELS[signer], None))
        else:
            boxes.append(
                SignatureBox(
                    SIGNER_LABELS[row.signer], row.signed_on, row.printed_name or "", row.image, row.attestation or ""
                )
            )
    return tuple(boxes)


def claim_document(uow: TenantUnitOfWork, claim: NhsClaim) -> FormDocument:
    parts = claim.parts
    contract = nhs(uow).contract()
    performer = parts.get("performer", {})
    sections = [
        FormSection(
            "Contractor and performer",
            (
                ("Contractor ODS code", contract.ods_code if contract else ""),
                ("Contract number", contract.contract_number if contract else ""),
                *(
                    (
                        ("Performer", performer.get("name", "")),
                        ("Performer GOC number", performer.get("goc_number", "")),
                    )
                    if claim.form in ("GOS1", "GOS6")
                    else ()
                ),
            ),
        ),
        _patient_section(parts),
        FormSection(
            "Eligibility",
            (
                ("Grounds", _labels(parts.get("eligibility", []))),
                ("Details", parts.get("eligibility_detail", "")),
                ("Evidence seen", _evidence_words(parts)),
            ),
        ),
    ]
    if claim.form in ("GOS1", "GOS6"):
        code = claim.early_retest_code
        sections.append(
            FormSection(
                "Sight test",
                (
                    ("Date of sight test", f"{claim.service_date:%d/%m/%Y}"),
                    (
                        "Date of last sight test",
                        "Not known" if parts.get("last_sight_test_not_known") else _uk(parts.get("last_sight_test")),
                    ),
                    (
                        "Early retest reason",
                        f"{code} — {EARLY_RETEST_REASONS.get(code, '')}" if code else "Not an early retest",
                    ),
                    (
                        "Outcome",
                        "Referred"
                        if performer.get("referral_made")
                        else ("Examined" if performer else "Examination not finalised"),
                    ),
                ),
            )
        )
    if claim.form == "GOS6":
        sections.append(
            FormSection(
                "Domiciliary visit",
                (
                    (
                        "Pre-visit notification",
                        f"{claim.pre_visit_reference or ''}, made {claim.pre_visit_notified_on:%d/%m/%Y}"
                        if claim.pre_visit_notified_on
                        else "",
                    ),
                    ("Setting", VisitSetting(claim.visit_setting).label if claim.visit_setting else ""),
                    ("Address of visit", claim.visit_address or ""),
                ),
            )
        )
    if claim.form in ("GOS3", "GOS4"):
        voucher = parts.get("voucher", {})
        supplements = ", ".join(f"{c.replace('_', ' ')} £{v}" for c, v in voucher.get("supplements", []))
        sections.append(
            FormSection(
                "Voucher",
                (
                    ("Voucher number", voucher.get("number", "")),
                    ("Band", voucher.get("band", "")),
                    ("Date of prescription", _uk(voucher.get("prescription_date"))),
                    ("Supplements", supplements or "None"),
                    ("Patient contribution (HC3)", f"£{voucher.get('hc3_contribution', '0.00')}"),
                    ("Value claimed", f"£{claim.amount_claimed}"),
                    ("Date supplied", _uk(parts.get("supply_date"))),
                ),
            )
        )
    if claim.form == "GOS4":
        repair = parts.get("repair", {})
        sections.append(
            FormSection(
                "Repair or replacement",
                (
                    (
                        "Work",
                        "Replacement"
                        if repair.get("replacement")
                        else "Repair: "
                        + ", ".join(k.replace("_", " ") for k in ("frame", "right_lens", "left_lens") if repair.get(k)),
                    ),
                    (
                        "Pre-authorisation",
                        f"{claim.pre_authorisation_code}, {claim.pre_authorised_on:%d/%m/%Y}"
                        if claim.pre_authorisation_code and claim.pre_authorised_on
                        else "Not needed (under 16)",
                    ),
                ),
            )
        )
    sections.append(
        FormSection(
            "Claim",
            (
                ("Amount claimed", f"£{claim.amount_claimed}"),
                ("Claim deadline", f"{claim.deadline:%d/%m/%Y}"),
                ("State", claim.state.capitalize()),
                ("PCSE reference", claim.reference or ""),
            ),
        )
    )
    patient = parts.get("patient", {})
    return FormDocument(
        letterhead(uow),
        FORM_TITLES[claim.form],
        f"Claim {claim.number}",
        f"{patient.get('forenames', '')} {patient.get('surname', '')}".strip(),
        tuple(sections),
        clock.now(),
        _signature_boxes(list(nhs(uow).signatures([claim.id])), claim.form),
        declaration=PATIENT_DECLARATION
        if claim.form in ("GOS1", "GOS6")
        else "I confirm that I am entitled to the voucher for the reason given and that I have received "
        "the glasses (or repair) supplied.",
    )


@use_case(permission="patients.view", read_only=True)
def claim_pdf(uow: TenantUnitOfWork, claim_id: uuid.UUID) -> bytes:
    return form_pdf(claim_document(uow, claim_or_404(uow, claim_id)))


@use_case(permission="patients.view", read_only=True)
def voucher_pdf(uow: TenantUnitOfWork, voucher_id: uuid.UUID) -> bytes:
    """The voucher printed for a patient who takes it to another supplier."""
    voucher = nhs(uow).voucher(voucher_id)
    if voucher is None:
        raise NotFound("That voucher is not on record.")
    view = _voucher_view(uow, voucher)
    supplements = tuple((code.replace("_", " ").capitalize(), f"£{value}") for code, value in view.supplements)
    sections = (
        FormSection(
            "Patient",
            (
                ("Name", view.patient_name),
                ("Date of birth", f"{view.patient_date_of_birth:%d/%m/%Y}"),
                ("Address", view.patient_address),
                ("Eligible as", "; ".join(view.eligibility)),
            ),
        ),
        FormSection(
            "Prescription",
            (
                ("Issued", f"{view.prescription_date:%d/%m/%Y}" if view.prescription_date else ""),
                ("Right", view.rx[0]),
                ("Left", view.rx[1]),
            ),
        ),
        FormSection(
            "Voucher",
            (
                ("Band", f"{view.band} — {view.band_description}"),
                ("Face value", f"£{view.face_value}"),
                *supplements,
                ("Less HC3 contribution", f"£{view.hc3_contribution}"),
                ("Value of this voucher", f"£{view.value}"),
                ("Issued", f"{view.issued_on:%d/%m/%Y}"),
            ),
        ),
    )
    return form_pdf(
        FormDocument(
            letterhead(uow),
            "NHS optical voucher (GOS 3)",
            f"Voucher {view.number}",
            view.patient_name,
            sections,
            clock.now(),
            (SignatureBox("Patient", None), SignatureBox("Supplier", None)),
            banner_text=f"Worth £{view.value} towards glasses or contact lenses",
            banner_detail="Take this voucher to any optical supplier with your prescription. "
            "The supplier completes the GOS 3 claim when the glasses are collected.",
            footnote="Eligibility is judged when the glasses are paid for: "
            "tell the supplier if your circumstances change.",
        )
    )


@use_case(permission="patients.view", read_only=True)
def evidence_pdf(uow: TenantUnitOfWork, claim_id: uuid.UUID) -> bytes:
    """Everything an NHSBSA post-payment verification asks for about one claim, in one PDF: the
    record extracts (history and symptoms, the early-retest reason, the date of the last test),
    the eligibility evidence, the pre-visit notification for a domiciliary visit, and the claim."""
    claim = claim_or_404(uow, claim_id)
    repo = nhs(uow)
    parts = claim.parts
    exam = repo.exam(claim.exam_id) if claim.exam_id else None
    exemptions = repo.exemptions(claim.patient_id)
    on = claim.service_date
    evidence_rows = tuple(
        (
            CATEGORY_LABELS.get(ExemptionCategory(e.category), e.category),
            "; ".join(
                p
                for p in (
                    "evidence seen" if e.evidence_seen else "evidence NOT seen",
                    e.evidence_note or "",
                    f"from {e.valid_from:%d/%m/%Y}" if e.valid_from else "",
                    f"to {e.valid_to:%d/%m/%Y}" if e.valid_to else "",
                    f"{e.establishment_name}, {e.establishment_town}" if e.establishment_name else "",
                    f"beneficiary {e.beneficiary_name} ({e.beneficiary_date_of_birth:%d/%m/%Y})"
                    if e.beneficiary_name and e.beneficiary_date_of_birth
                    else "",
                    f"HC3 £{e.hc3_contribution}" if e.hc3_contribution is not None else "",
                )
                if p
            )
            + ("" if (e.valid_from or date.min) <= on <= (e.valid_to or date.max) else " — not in force that day"),
        )
        for e in exemptions
    )
    code = claim.early_retest_code
    sections = [
        _patient_section(parts),
        FormSection(
            "Claim",
            (
                ("Form", claim.form),
                ("Claim number", str(claim.number)),
                ("Date of service", f"{claim.service_date:%d/%m/%Y}"),
                ("PCSE reference", claim.reference or ""),
                ("Amount claimed", f"£{claim.amount_claimed}"),
                ("Paid", f"£{claim.amount_paid}" if claim.amount_paid is not None else "Not yet"),
            ),
        ),
        FormSection("Eligibility evidence", evidence_rows or (("Grounds", "Age only (from the date of birth)"),)),
    ]
    if claim.form in ("GOS1", "GOS6"):
        sections.append(
            FormSection(
                "From the examination record",
                (
                    ("Examination", f"{exam.exam_date:%d/%m/%Y}" if exam else "Not finalised"),
                    ("Reason for visit", (exam.reason_for_visit or "") if exam else ""),
                    ("History and symptoms", (exam.symptoms or "") if exam else ""),
                    ("Diagnosis", (exam.diagnosis or "") if exam else ""),
                    ("Management", (exam.management or "") if exam else ""),
                    (
                        "Date of last sight test",
                        "Not known" if parts.get("last_sight_test_not_known") else _uk(parts.get("last_sight_test")),
                    ),
                    ("Minimum interval", f"{parts.get('interval_months', '')} months"),
                    (
                        "Early-retest reason",
                        f"{code} — {EARLY_RETEST_REASONS.get(code, '')}" if code else "Not an early retest",
                    ),
                    ("Reason in the record", parts.get("early_retest_note", "")),
                ),
            )
        )
    if claim.form == "GOS6":
        sections.append(
            FormSection(
                "Pre-visit notification",
                (
                    ("Reference", claim.pre_visit_reference or ""),
                    ("Notified on", f"{claim.pre_visit_notified_on:%d/%m/%Y}" if claim.pre_visit_notified_on else ""),
                    ("Visit", f"{claim.service_date:%d/%m/%Y}"),
                    ("Setting", VisitSetting(claim.visit_setting).label if claim.visit_setting else ""),
                    ("Address", claim.visit_address or ""),
                ),
            )
        )
    patient = parts.get("patient", {})
    return form_pdf(
        FormDocument(
            letterhead(uow),
            "Verification evidence",
            f"Claim {claim.number} ({claim.form})",
            f"{patient.get('forenames', '')} {patient.get('surname', '')}".strip(),
            tuple(sections),
            clock.now(),
            _signature_boxes(list(repo.signatures([claim.id])), claim.form),
            footnote="Extracts from the practice's records for NHSBSA post-payment verification. Confidential: "
            "patient-identifiable information.",
        )
    )

