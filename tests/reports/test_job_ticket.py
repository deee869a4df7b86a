"""The lab job ticket (A4): what the lab bench needs, nothing about who the patient is."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from ils_desktop.domain.dispensing import DispensingMeasurements, JobType, LensKind
from ils_desktop.domain.rx import Prism, Sca
from ils_desktop.reports.job_ticket import JobTicket, render_job_ticket
from ils_desktop.reports.lab_order_file import EdgeType, FrameSpec, FrameType, LabOrderData, LensRx
from tests.reports import samples
from tests.reports.conftest import assert_pdf, flat_text, page_sizes

D = Decimal

ORDER = LabOrderData(
    order_number="ORD-000123",
    job_type=JobType.FULL_JOB,
    lens_kind=LensKind.VARIFOCAL,
    right=LensRx(Sca(D("-2.25"), D("-0.50"), 180), D("2.00"), prism_h=Prism(D("1.00"), "IN")),
    left=LensRx(Sca(D("-1.50"), D("+0.75"), 90), D("2.00"), prism_v=Prism(D("0.50"), "UP")),
    measurements=DispensingMeasurements(
        right_distance_pd=D("32.5"), left_distance_pd=D("31.5"), right_near_pd=D("30.5"), left_near_pd=D("29.5"),
        right_fitting_height=D("22"), left_fitting_height=D("22.5"), vertex_distance=D("12"),
        pantoscopic_tilt=D("8"), face_form_wrap=D("5"), box_a=D("52"), box_b=D("38"), dbl=D("18"), ed=D("55")),
    account_number="HUG001",
    lens_name="Varilux Comfort Max",
    lens_index=D("1.6"),
    coating="Crizal Sapphire",
    tint="Grey 85%",
    frame=FrameSpec("Ray-Ban", "RB5154 Clubmaster", "Tortoise", "51□21 145", FrameType.PLASTIC),
    edge=EdgeType.BEVEL,
)

TICKET = JobTicket(
    practice=samples.PRACTICE,
    lab_name="Severn Optical Laboratory",
    lab_address="Unit 4, Riverside Park, Worcester WR1 2AB",
    order=ORDER,
    order_date=date(2026, 3, 10),
    due_date=date(2026, 3, 17),
    patient_reference="P-004211",
    lens_description="Varilux Comfort Max 1.60 Crizal Sapphire",
    material="MR-8 1.60",
    special_instructions="Match the thickness of the two lenses; patient is sensitive to weight.",
)


def render(ticket: JobTicket = TICKET) -> bytes:
    pdf = render_job_ticket(ticket, printed_at=samples.PRINTED_AT)
    assert_pdf(pdf)
    return pdf


def test_one_a4_page_with_what_the_lab_needs() -> None:
    pdf = render()
    assert page_sizes(pdf) == [(595.2756, 841.8898)]
    text = flat_text(pdf)
    for expected in (
        "Lab job ticket", "ORD-000123", "Due back 17/03/2026", "Order date 10/03/2026", "Eyes Both",
        "Full job · Varifocal · to Severn Optical Laboratory", "Our account HUG001", "Patient ref. P-004211",
        "Hughes & Daughters Opticians",
        "Prescription (minus-cylinder form)",
        "Varilux Comfort Max 1.60", "MR-8 1.60", "1.60", "Crizal Sapphire", "Grey 85%",
        "Ray-Ban", "RB5154 Clubmaster", "Tortoise", "51□21 145", "Frame type Plastic", "52 mm × 38 mm",
        "18 mm · 55 mm", "Bevel", "Vertex distance 12 mm", "Pantoscopic tilt 8°", "Face-form wrap 5°",
        "Match the thickness of the two lenses", "Surfaced", "Final inspection",
    ):
        assert expected in text, expected


def test_the_rx_is_printed_as_the_lab_file_writes_it() -> None:
    text = flat_text(render())
    # right as ordered; left +0.75 cylinder transposed to -0.75/-0.75x180
    assert "-2.25 -0.50 180 1.00 IN" in text
    assert "-0.75 -0.75 180 0.50 UP +2.00" in text
    assert "32.5 mm 30.5 mm 22 mm" in text
    assert "31.5 mm 29.5 mm 22.5 mm" in text


def test_the_patient_is_never_named() -> None:
    text = flat_text(render())
    assert samples.PATIENT.name not in text
    assert "14/07/1952" not in text  # no date of birth


def test_own_frame_and_one_eye() -> None:
    order = replace(ORDER, job_type=JobType.GLAZE_OWN_FRAME, left=None,
                    frame=FrameSpec(model="Patient's titanium half-rim", own_frame=True, frame_type=FrameType.METAL))
    text = flat_text(render(replace(TICKET, order=order, special_instructions=None)))
    assert "Patient's own frame" in text
    assert "Handle with care" in text
    assert "Not ordered" in text
    assert "Glaze own frame" in text
    assert "Special instructions" not in text


def test_lenses_only_without_frame_or_due_date() -> None:
    order = LabOrderData("ORD-9", JobType.LENSES_ONLY, LensKind.SINGLE_VISION, LensRx(Sca(D("+1.00"))),
                         LensRx(Sca(D("+1.25"), D("-0.25"), 90)))
    text = flat_text(render(JobTicket(samples.PRACTICE, "Lab", order, date(2026, 3, 10), "P-1")))
    assert "No frame supplied (lenses only)" in text
    assert "Due back Not set" in text
    assert "OC height" in text


@pytest.mark.parametrize(("changes", "message"), [
    ({"lab_name": " "}, "lab's name"),
    ({"patient_reference": ""}, "patient reference"),
    ({"due_date": date(2026, 3, 9)}, "before the order date"),
])
def test_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        replace(TICKET, **changes)
