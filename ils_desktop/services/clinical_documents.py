"""Printed clinical documents: the prescription (or statement) and the referral letter as PDF.

This module is the one place that knows the report modules' input shapes
(``reports.prescription.render_prescription`` and ``reports.referral.render_referral``): it reads
what a document needs from the database — the practice letterhead from the company, the
practitioner's name and GOC number (the user record, else the latest GOC registration check), the
patient's details — into plain data, and hands that to the report. Screens ask for PDF bytes and
save them where the user chooses.

What a prescription must carry (Opticians Act 1989 s.26; Sight Testing (Examination and
Prescription) (No.2) Regulations 1989; docs/domain/optical-practice.md, "Prescriptions
(spectacles)"): the patient's name and address, the date of the test, the practitioner's name and
GOC number, the practice's name and address, the Rx per eye (or the statement that none is needed or
that it is unchanged) and whether a referral was made.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.exam import LONDON
from ils_desktop.domain.roles import Role
from ils_desktop.errors import NotFound, UserFacingError
from ils_desktop.models.core import Company, User
from ils_desktop.models.patients import Patient
from ils_desktop.reports import referral as report
from ils_desktop.reports.layout import Letterhead as ReportLetterhead
from ils_desktop.reports.parties import Patient as ReportPatient
from ils_desktop.reports.parties import Practitioner as ReportPractitioner
from ils_desktop.reports.prescription import PrescriptionDocument, PrescriptionKind, render_prescription
from ils_desktop.repositories.exams import ClinicalRecordRepository
from ils_desktop.repositories.prescriptions import PrescriptionRepository, ReferralRepository
from ils_desktop.services import imaging
from ils_desktop.services import prescriptions as prescription_service
from ils_desktop.services import referrals as referral_service
from ils_desktop.services.use_case import use_case


class DocumentUnavailable(UserFacingError):
    title = "Document not available"


# --------------------------------------------------------------------------------------------------
# Plain data read from the database


@dataclass(frozen=True)
class Letterhead:
    practice_name: str
    address_lines: tuple[str, ...]
    phone: str | None
    email: str | None
    goc_number: str | None  # a body corporate's own registration
    ods_code: str | None


@dataclass(frozen=True)
class Practitioner:
    name: str
    goc_number: str | None
    role: str  # "Optometrist", "Contact lens optician"…


@dataclass(frozen=True)
class PatientDetails:
    name: str
    title: str | None
    date_of_birth: date
    address_lines: tuple[str, ...]
    nhs_number: str | None
    customer_number: int
    gp_practice: str | None


@dataclass(frozen=True)
class PrescriptionDocumentData:
    letterhead: Letterhead
    practitioner: Practitioner
    patient: PatientDetails
    test_date: date
    prescription: prescription_service.IssuedPrescription
    referral_note: str | None = None
    """To whom and how urgently, when a referral letter was written from the exam."""


@dataclass(frozen=True)
class ReferralDocumentData:
    letterhead: Letterhead
    practitioner: Practitioner
    patient: PatientDetails
    exam_date: date | None
    referral: referral_service.WrittenReferral
    images: tuple[tuple[str, bytes], ...] = ()  # (caption, PNG) of the images attached to the letter


def _letterhead(company: Company) -> Letterhead:
    address = company.address or {}
    lines = tuple(str(address[k]).strip() for k in ("line1", "line2", "town", "county", "postcode")
                  if str(address.get(k) or "").strip())
    return Letterhead(company.name, lines, company.phone, company.email, company.goc_number, company.ods_code)


def _practitioner(records: ClinicalRecordRepository, user: User | None) -> Practitioner:
    if user is None:
        return Practitioner("—", None, "")
    goc = (user.goc_number or "").strip() or records.latest_goc_number(user.id)
    try:
        role = Role(user.role).label
    except ValueError:
        role = user.role
    return Practitioner(user.full_name, goc, role)


def _patient(patient: Patient) -> PatientDetails:
    lines = tuple(line for part in (patient.address_line1, patient.address_line2, patient.town, patient.county,
                                    patient.postcode) if part for line in part.splitlines() if line.strip())
    return PatientDetails(patient.full_name, patient.title, patient.date_of_birth, lines, patient.nhs_number,
                          patient.customer_number, patient.gp_practice)


@use_case(permission="patients.view", read_only=True)
def prescription_document_data(uow: TenantUnitOfWork, prescription_id: uuid.UUID) -> PrescriptionDocumentData:
    """What the printed prescription shows: the prescription, then its letterhead, practitioner and patient."""
    issued = prescription_service.get_prescription(uow, prescription_id)
    records = uow.repository(ClinicalRecordRepository)
    patient = records.patient(issued.patient_id)
    if patient is None:
        raise NotFound("That patient is no longer on record.")
    exam = records.exam(issued.exam_id) if issued.exam_id else None
    # The practitioner who carried out the sight test signs for it; without an exam, the issuer.
    tester = records.user(exam.clinician_id) if exam else None
    if tester is None:
        row = uow.repository(PrescriptionRepository).get(prescription_id)
        tester = records.user(row.issued_by) if row else None
    test_date = exam.exam_date.astimezone(LONDON).date() if exam else issued.issue_date
    note = None
    if issued.referral_made and exam is not None:
        letters = uow.repository(ReferralRepository).for_exam(exam.id)
        if letters:
            note = f"Letter to {letters[0].addressee} ({letters[0].urgency})."
    return PrescriptionDocumentData(_letterhead(uow.companies.current()), _practitioner(records, tester),
                                    _patient(patient), test_date, issued, note)


@use_case(permission="patients.view", read_only=True)
def referral_document_data(uow: TenantUnitOfWork, referral_id: uuid.UUID) -> ReferralDocumentData:
    """What the referral letter shows: the letter as saved, then its letterhead, author and patient."""
    written = referral_service.get_referral(uow, referral_id)
    records = uow.repository(ClinicalRecordRepository)
    patient = records.patient(written.patient_id)
    if patient is None:
        raise NotFound("That patient is no longer on record.")
    exam = records.exam(written.exam_id) if written.exam_id else None
    row = uow.repository(ReferralRepository).get(referral_id)
    author = records.user(row.written_by) if row else None
    return ReferralDocumentData(
        _letterhead(uow.companies.current()), _practitioner(records, author), _patient(patient),
        exam.exam_date.astimezone(LONDON).date() if exam else None, written,
        tuple(imaging.enclosed_images(uow, referral_id)))


# --------------------------------------------------------------------------------------------------
# PDF bytes (the only part that knows the report modules)


def _report_letterhead(letterhead: Letterhead) -> ReportLetterhead:
    if not letterhead.address_lines:
        raise DocumentUnavailable("The practice's address is not recorded, and every printed document must show "
                                  "it. Add it in Practice settings, then print again.")
    return ReportLetterhead(letterhead.practice_name, letterhead.address_lines, letterhead.phone, letterhead.email,
                            letterhead.goc_number, letterhead.ods_code)


def _report_practitioner(practitioner: Practitioner) -> ReportPractitioner:
    if not practitioner.goc_number:
        raise DocumentUnavailable(f"{practitioner.name} has no GOC registration number on record, and the document "
                                  "must show it. Add it in Staff, then print again.")
    return ReportPractitioner(practitioner.name, practitioner.goc_number, practitioner.role or None)


def _report_patient(patient: PatientDetails) -> ReportPatient:
    try:
        return ReportPatient(patient.name, patient.address_lines, patient.date_of_birth, patient.nhs_number)
    except ValueError as error:
        # A wrong NHS number must never be printed: say so rather than print the document.
        raise DocumentUnavailable(f"The patient's NHS number on record is not valid ({error}). Correct it on the "
                                  "patient's record, then print again.") from error


def _render_prescription(data: PrescriptionDocumentData) -> bytes:
    """The prescription (or statement) PDF for ``data`` (``reports.prescription``)."""
    issued = data.prescription
    document = PrescriptionDocument(
        practice=_report_letterhead(data.letterhead), practitioner=_report_practitioner(data.practitioner),
        patient=_report_patient(data.patient), kind=PrescriptionKind(issued.kind), test_date=data.test_date,
        right=issued.right, left=issued.left, binocular_va=issued.binocular_va, pd=issued.pd, notes=issued.notes,
        retest_date=issued.expiry_date, referral_made=issued.referral_made, referral_note=data.referral_note,
        issue_date=issued.issue_date if issued.issue_date != data.test_date else None,
    )
    return render_prescription(document)


def _render_referral(data: ReferralDocumentData) -> bytes:
    """The referral letter PDF for ``data`` (``reports.referral``)."""
    written, findings = data.referral, data.referral.findings

    def eye_finding(found: referral_service.EyeFindings) -> report.EyeFinding:
        return report.EyeFinding(found.right, found.left, found.note)

    lines = [line.strip() for line in written.addressee.splitlines() if line.strip()]
    letter = report.ReferralLetter(
        practice=_report_letterhead(data.letterhead), practitioner=_report_practitioner(data.practitioner),
        patient=_report_patient(data.patient),
        addressee=report.Addressee(lines[0] if lines else written.addressee, address_lines=tuple(lines[1:])),
        urgency=report.Urgency(written.urgency), letter_date=written.written_at.astimezone(LONDON).date(),
        reason=written.reason, history=written.history,
        findings=report.ReferralFindings(
            visual_acuity=eye_finding(findings.visual_acuity), refraction_right=findings.refraction_right,
            refraction_left=findings.refraction_left,
            iop=report.IopFinding(findings.iop.right, findings.iop.left, findings.iop.method, findings.iop.time,
                                  findings.iop.note),
            anterior=eye_finding(findings.anterior), posterior=eye_finding(findings.posterior),
            fields=eye_finding(findings.fields)),
        exam_date=data.exam_date,
        # The patient's GP is named when the letter goes elsewhere (e.g. to the hospital eye service).
        gp_practice=data.patient.gp_practice if data.patient.gp_practice
        and data.patient.gp_practice.strip().lower() not in written.addressee.lower() else None,
        images=tuple(report.EnclosedImage(caption, png) for caption, png in data.images),
    )
    return report.render_referral(letter)


@use_case(permission="patients.view", read_only=True)
def prescription_pdf(uow: TenantUnitOfWork, prescription_id: uuid.UUID) -> bytes:
    """The issued prescription (or statement) as a PDF."""
    return _render_prescription(prescription_document_data(uow, prescription_id))


@use_case(permission="patients.view", read_only=True)
def referral_pdf(uow: TenantUnitOfWork, referral_id: uuid.UUID) -> bytes:
    """The referral letter as a PDF."""
    return _render_referral(referral_document_data(uow, referral_id))
