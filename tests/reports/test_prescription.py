"""The prescription / statement after a sight test (Opticians Act 1989 s.26; SI 1989/1230)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ils_desktop.domain.exam import PupillaryDistance, RefractionEye
from ils_desktop.domain.rx import Prism, Sca
from ils_desktop.reports.parties import Patient, Practitioner
from ils_desktop.reports.prescription import (
    NO_PRESCRIPTION_STATEMENT,
    UNCHANGED_STATEMENT,
    PrescriptionKind,
    pd_text,
    render_prescription,
    rx_cells,
    rx_one_line,
)
from tests.reports import samples
from tests.reports.conftest import assert_pdf, flat_text, pdf_text, squashed

D = Decimal


def render(kind: PrescriptionKind = PrescriptionKind.NEW_PRESCRIPTION, **changes: object) -> bytes:
    pdf = render_prescription(samples.prescription(kind, **changes), printed_at=samples.PRINTED_AT)
    assert_pdf(pdf)
    return pdf


def test_rx_cells_follow_the_domain_notation() -> None:
    assert rx_cells(samples.RIGHT) == ("-1.25", "-0.50", "180", "1.00", "IN", "0.50", "UP", "+1.25", "+2.25", "6/5")
    assert rx_cells(RefractionEye(Sca(D("2.00")))) == ("+2.00", "DS", "", "", "", "", "", "", "", "")
    assert rx_cells(RefractionEye(Sca(D(0))))[:3] == ("plano", "DS", "")
    assert rx_cells(RefractionEye(Sca(D(0), D("-0.75"), 90)))[:3] == ("plano", "-0.75", "90")
    assert rx_cells(RefractionEye(va="6/9"))[:3] == ("—", "—", "—")


def test_rx_one_line() -> None:
    assert rx_one_line(samples.RIGHT) == "-1.25/-0.50x180 Int add +1.25 Add +2.25 1.00Δ IN 0.50Δ UP"
    assert rx_one_line(RefractionEye(Sca(D("2.00")), near_add=D("2.50"))) == "+2.00DS Add +2.50"
    assert rx_one_line(RefractionEye()) == "—"


def test_pd_text() -> None:
    assert pd_text(samples.PD) == "Distance 63.0 mm · Near 60.0 mm · Monocular R 31.5 mm / L 31.5 mm"
    assert pd_text(PupillaryDistance(distance=D("62"))) == "Distance 62 mm"
    assert pd_text(PupillaryDistance()) is None


def test_new_prescription_carries_what_the_regulations_require() -> None:
    text = flat_text(render())
    for expected in (
        "Spectacle prescription", "Margaret Hughes", "3 Broad Street, Ludlow, SY8 1NG", "14/07/1952",
        "943 476 5919",  # NHS number grouped 3 3 4
        "Date of test 10/03/2026", "Priya Raman", "GOC number 01-23456",
        "Hughes & Daughters Opticians", "14 Market Street, Ludlow, Shropshire, SY8 1AA",  # practice name and address
        "No referral was made.", "Recommended by 10/03/2028", "Valid until 10/03/2028",
        "Suitable for driving", "VDU use", "Binocular VA 6/5", "Monocular R 31.5 mm / L 31.5 mm",
        "Sph Cyl Axis", "Prism (Δ)",
    ):
        assert expected in text, expected
    assert UNCHANGED_STATEMENT not in text
    assert NO_PRESCRIPTION_STATEMENT not in text


def test_grid_rows_hold_each_eyes_values_in_column_order() -> None:
    lines = [squashed(line).strip() for line in pdf_text(render(), layout=True).splitlines()]
    assert "R -1.25 -0.50 180 1.00 IN 0.50 UP +1.25 +2.25 6/5" in lines
    assert "L plano -0.75 85 0.50 DOWN +1.25 +2.25 6/6-2" in lines


def test_unchanged_prints_the_statement_and_the_prescription() -> None:
    text = flat_text(render(PrescriptionKind.UNCHANGED))
    assert UNCHANGED_STATEMENT in text
    assert "Prescription (unchanged)" in text
    assert "-1.25" in text and "plano" in text


def test_no_prescription_needed_prints_the_statement_instead_of_the_grid() -> None:
    pdf = render(PrescriptionKind.NO_PRESCRIPTION_NEEDED, right=RefractionEye(Sca(D("0.25")), va="6/5"),
                 left=RefractionEye(va="6/5"), binocular_va="6/4")
    text = flat_text(pdf)
    assert NO_PRESCRIPTION_STATEMENT in text
    assert "Sight test statement" in text
    assert "Visual acuity: Right 6/5 · Left 6/5 · Both eyes 6/4" in text
    assert "Sph" not in text and "+0.25" not in text  # powers are never printed on a statement
    assert "Valid until" not in text  # a statement has nothing to expire
    assert "Date of test 10/03/2026" in text and "GOC number 01-23456" in text


def test_referral_is_stated() -> None:
    text = flat_text(render(referral_made=True, referral_note="Routine referral to your GP (letter given)."))
    assert "Yes: you have been referred. Routine referral to your GP (letter given)." in text


def test_long_names_and_addresses_still_fit_one_page() -> None:
    text = flat_text(render(practice=samples.LONG_PRACTICE, patient=samples.LONG_PATIENT))
    assert "Page 1 of 1" in text
    # The name wraps at its own hyphens, never mid-word.
    for part in ("Alexandra Bartholomew-", "Fitzwilliam-", "Montgomery-", "Smythe", "03/02/2011", "BD23 5LB"):
        assert part in text, part


def test_reissue_shows_the_issue_date() -> None:
    text = flat_text(render(issue_date=date(2026, 4, 2)))
    assert "Issued 02/04/2026" in text
    assert "Date of test 10/03/2026" in text


def test_refuses_a_prescription_without_powers() -> None:
    with pytest.raises(ValueError, match="at least one eye"):
        samples.prescription(right=RefractionEye(va="6/6"), left=RefractionEye(va="6/6"))


def test_refuses_a_cylinder_without_an_axis() -> None:
    with pytest.raises(ValueError, match="right eye"):
        samples.prescription(right=RefractionEye(Sca(D("-1.00"), D("-0.50"))))


def test_refuses_an_expiry_before_the_test() -> None:
    with pytest.raises(ValueError, match="expiry"):
        samples.prescription(expiry_date=date(2026, 1, 1))


def test_patient_and_practitioner_checks() -> None:
    with pytest.raises(ValueError, match="check digit"):
        Patient("A Patient", nhs_number="943 476 5918")
    with pytest.raises(ValueError, match="GOC"):
        Practitioner("Priya Raman", " ")
    assert Patient("A Patient", nhs_number="9434765919").nhs_number_text == "943 476 5919"
    assert Patient("A Patient", nhs_number="  ").nhs_number is None


def test_prism_only_on_one_eye_and_vertical_only() -> None:
    eye = RefractionEye(Sca(D("-4.00"), D("-1.25"), 5), prism_v=Prism(D("2.00"), "DOWN"), va="6/6")
    assert rx_cells(eye)[3:7] == ("", "", "2.00", "DOWN")
