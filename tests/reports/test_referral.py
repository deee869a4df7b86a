"""The referral letter to a GP or the hospital eye service (College of Optometrists referral guidance)."""

from __future__ import annotations

import pytest

from ils_desktop.reports.referral import Addressee, ReferralFindings, Urgency, render_referral
from tests.reports import samples
from tests.reports.conftest import assert_pdf, flat_text, pdf_text


def render(urgency: Urgency = Urgency.URGENT, **changes: object) -> bytes:
    pdf = render_referral(samples.referral(urgency, **changes), printed_at=samples.PRINTED_AT)
    assert_pdf(pdf)
    return pdf


@pytest.mark.parametrize(("urgency", "headline", "timeframe"), [
    (Urgency.EMERGENCY, "EMERGENCY REFERRAL", "today (same day)"),
    (Urgency.URGENT, "URGENT REFERRAL", "within 1 week"),
    (Urgency.ROUTINE, "ROUTINE REFERRAL", "routinely"),
])
def test_urgency_is_the_first_thing_on_the_letter(urgency: Urgency, headline: str, timeframe: str) -> None:
    text = flat_text(render(urgency))
    assert headline in text and timeframe in text
    # Above the addressee and the patient: nothing but the letterhead comes first.
    assert text.index(headline) < text.index("Glaucoma Service") < text.index("Margaret Hughes")


def test_letter_carries_patient_reason_history_findings_and_sign_off() -> None:
    text = flat_text(render())
    for expected in (
        "Glaucoma Service", "Hospital Eye Service, Royal Shrewsbury Hospital", "SY3 8XQ", "Dear Colleague,",
        "Margaret Hughes", "14/07/1952", "943 476 5919", "Dr A Patel, Castle Surgery, Ludlow",
        "Reason for referral", "suspected primary open angle glaucoma", "Relevant history", "Mother has glaucoma",
        "6/9 (pinhole 6/6)", "6/18 (pinhole 6/12)",
        "-2.25/-0.75x175 Add +2.50 (VA 6/6)", "-3.00/-1.00x10 Add +2.50 (VA 6/12)",
        "28 mmHg", "31 mmHg", "Measured by Goldmann applanation at 10:45",
        "C/D 0.8, inferior notch", "Superior arcuate defect", "Humphrey 24-2 SITA Fast",
        "GOS 18 referral", "Yours sincerely,", "Priya Raman", "GOC registration 01-23456",
        "cc: Dr A Patel, Castle Surgery (GP); Margaret Hughes (patient)", "REF-2026-0007",
    ):
        assert expected in text, expected


def test_empty_sections_are_left_out() -> None:
    text = flat_text(render(findings=ReferralFindings(), history=None, gos18_text=None, copy_to_patient=False,
                            copies_to=()))
    for absent in ("Findings", "Relevant history", "GOS 18", "cc:"):
        assert absent not in text, absent


def test_long_letter_runs_onto_a_second_page_with_the_sign_off_kept_whole() -> None:
    pdf = render(Urgency.EMERGENCY, practice=samples.LONG_PRACTICE, patient=samples.LONG_PATIENT,
                 history="Sudden painless loss of vision in the left eye this morning. " * 12)
    pages = pdf_text(pdf).split("\f")[:-1]
    assert len(pages) == 2
    assert "Right eye" in pages[1]  # the findings table header repeats
    assert "Re: Alexandra Bartholomew-Fitzwilliam-Montgomery-Smythe · born 03/02/2011" in pages[1]  # whose letter
    assert "Yours sincerely," in pages[1] and "GOC registration" in pages[1]


def test_reason_and_addressee_are_required() -> None:
    with pytest.raises(ValueError, match="reason"):
        samples.referral(reason="  ")
    with pytest.raises(ValueError, match="who the letter is to"):
        Addressee(" ")
