"""The NHS documents read back: a GOS 1 claim in its form's layout with the three dated signatures
(the drawn one as a picture), the voucher a patient takes elsewhere, and the evidence pack."""

from __future__ import annotations

import io
import os
from datetime import date
from pathlib import Path

from pypdf import PdfReader

from ils_desktop.services import clock
from ils_desktop.services.nhs import documents, vouchers
from ils_desktop.services.use_case import run
from tests.nhs_setup import add_patient, add_prescription
from tests.services.test_nhs import _ready_gos1, fixed_clock, module_practice, nhs_practice  # noqa: F401

SHOTS = os.environ.get("ILS_SHOTS")


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _keep(pdf: bytes, name: str) -> None:
    if SHOTS:
        (Path(SHOTS) / name).write_bytes(pdf)


def test_the_claim_pdf_has_the_forms_parts_and_dated_signatures(database, owner_engine, nhs_practice):  # noqa: F811
    p = nhs_practice
    claim_id = _ready_gos1(database, owner_engine, p, "Fairweather")
    pdf = run(database, p.manager, documents.claim_pdf, claim_id)
    _keep(pdf, "claim-gos1.pdf")
    text = _text(pdf)
    for expected in ("GOS 1 — NHS sight test claim", "TP1A2", "GOS-0042", "01-23456", "Fairweather",
                     "Aged 60 or over", "Not known", "Not an early retest", "I confirm that I am entitled",
                     "Patient", "Performer", "Contractor", "Date: 07/12/2026", "£24.13"):
        assert expected in text, expected
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 2  # the patient's and performer's drawings
    evidence = run(database, p.manager, documents.evidence_pdf, claim_id)
    _keep(evidence, "evidence-gos1.pdf")
    assert "History and symptoms" in _text(evidence) and "Routine check" in _text(evidence)


def test_the_voucher_pdf_says_what_it_is_worth(database, owner_engine, nhs_practice):  # noqa: F811
    p = nhs_practice
    child = add_patient(owner_engine, p.company_id, "Poppy", "Marsh", date(2015, 3, 3))
    rx = add_prescription(owner_engine, p, child, clock.today(), right=("-2.00", "-0.50", 90),
                          left=("-2.25", "0", None))
    voucher_id = run(database, p.optometrist, vouchers.issue_voucher, vouchers.VoucherRequest(rx))
    pdf = run(database, p.reception, documents.voucher_pdf, voucher_id)
    _keep(pdf, "voucher.pdf")
    text = _text(pdf)
    assert "Worth £42.40" in text and "Band" in text and "A — Single vision" in text and "Poppy Marsh" in text
