"""The spectacle prescription (or statement) given to the patient after a sight test, as a PDF.

Legal basis: Opticians Act 1989 s.26 and the Sight Testing (Examination and Prescription) (No.2)
Regulations 1989 (SI 1989/1230). Immediately after a sight test the practitioner must give the
patient either a written prescription or a statement that no prescription is needed; College of
Optometrists guidance adds that when there is no clinically significant change the patient gets the
prescription *and* a statement that it is unchanged. The document carries
(docs/domain/optical-practice.md, "Prescriptions (spectacles)"): the patient's name and address (and
date of birth), the date of the test, the practitioner's name and GOC number, the practice's name
and address (the letterhead), the Rx per eye, and whether a referral was made. Practices also show a
re-test date and an expiry date by convention.

How each kind prints:

* ``NEW_PRESCRIPTION`` — the Rx grid.
* ``UNCHANGED`` — the statement "Statement: your prescription is unchanged" beside (above) the Rx
  grid, because the prescription is still given with the statement.
* ``NO_PRESCRIPTION_NEEDED`` — the statement "Statement: no prescription is needed" *instead of* the
  Rx grid (powers are never printed on it, so it cannot be mistaken for a prescription); any VA
  achieved is still shown.

Rx notation follows ``domain.rx.format_sca`` / ``format_prism``: explicit signs, two decimals,
``plano`` for a zero sphere, ``DS`` when there is no cylinder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Final

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Table, TableStyle

from ils_desktop.domain.exam import PupillaryDistance, RefractionEye
from ils_desktop.domain.rx import format_prism, format_sca
from ils_desktop.reports.layout import (
    ACCENT,
    CALM_FILL,
    CONTENT_WIDTH,
    FAINT_RULE,
    RULE,
    Letterhead,
    PageFurniture,
    Styles,
    banner,
    bold,
    build_a4,
    gap,
    grid_style,
    key_values,
    letterhead_block,
    london_now,
    make_styles,
    markup,
    para,
    rich,
    section_heading,
    uk_date,
)
from ils_desktop.reports.parties import Patient, Practitioner

DASH: Final = "—"

NO_PRESCRIPTION_STATEMENT: Final = "Statement: no prescription is needed"
UNCHANGED_STATEMENT: Final = "Statement: your prescription is unchanged"


class PrescriptionKind(StrEnum):
    """What the practitioner gives after the test (values match ``services.prescriptions.KINDS``)."""

    NEW_PRESCRIPTION = "new"
    NO_PRESCRIPTION_NEEDED = "no_rx_needed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class PrescriptionDocument:
    """Everything the printed prescription or statement shows.

    ``right``/``left`` are the eyes as issued (``domain.exam.RefractionEye``: sphere/cylinder × axis,
    horizontal and vertical prism, intermediate and near adds, VA achieved). ``advice`` holds short
    purposes or advice printed as a list ("For driving", "VDU use"); ``notes`` free text.
    ``referral_note`` says to whom/why when ``referral_made``.
    """

    practice: Letterhead
    practitioner: Practitioner
    patient: Patient
    kind: PrescriptionKind
    test_date: date
    right: RefractionEye = field(default_factory=RefractionEye)
    left: RefractionEye = field(default_factory=RefractionEye)
    binocular_va: str | None = None
    pd: PupillaryDistance = field(default_factory=PupillaryDistance)
    advice: tuple[str, ...] = ()
    notes: str | None = None
    retest_date: date | None = None
    expiry_date: date | None = None
    referral_made: bool = False
    referral_note: str | None = None
    issue_date: date | None = None  # when it differs from the test date (a reissue)
    reference: str | None = None  # the practice's own reference for the record, e.g. "RX-2026-00042"

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", PrescriptionKind(self.kind))
        object.__setattr__(self, "advice", tuple(a.strip() for a in self.advice if a and a.strip()))
        if self.kind is not PrescriptionKind.NO_PRESCRIPTION_NEEDED and self.right.sca is None \
                and self.left.sca is None:
            raise ValueError("a prescription needs the sphere (plano counts) of at least one eye")
        for side, eye in (("right", self.right), ("left", self.left)):
            if eye.sca is not None:
                try:
                    format_sca(eye.sca)
                except ValueError as error:
                    raise ValueError(f"{side} eye: {error}") from None
        if self.expiry_date is not None and self.expiry_date < self.test_date:
            raise ValueError("the expiry date is before the date of the test")


# --------------------------------------------------------------------------------------------------
# Rx text (also used by the referral letter)


def _signed(value: object) -> str:
    return f"{value:+.2f}"


def rx_cells(eye: RefractionEye) -> tuple[str, ...]:
    """One eye as grid cells: Sph, Cyl, Axis, Prism H, Base, Prism V, Base, Int add, Near add, VA.

    Sphere/cylinder/axis are cut out of ``format_sca`` so the grid and the one-line notation can never
    disagree: ``plano`` for a zero sphere, ``DS`` in the cylinder column when there is no cylinder.
    """
    if eye.sca is None:
        sph = cyl = axis = DASH
    else:
        text = format_sca(eye.sca)
        if "/" in text:
            sph, rest = text.split("/")
            cyl, axis = rest.split("x")
        else:
            sph, cyl, axis = text.removesuffix("DS"), "DS", ""
    prisms: list[str] = []
    for prism in (eye.prism_h, eye.prism_v):
        if prism is None:
            prisms += ["", ""]
        else:
            amount, base = format_prism(prism).split("Δ ")
            prisms += [amount, base]
    adds = [_signed(add) if add is not None else "" for add in (eye.intermediate_add, eye.near_add)]
    return (sph, cyl, axis, *prisms, *adds, eye.va or "")


def rx_one_line(eye: RefractionEye) -> str:
    """One eye in notation: ``-1.25/-0.50x180 Int add +1.25 Add +2.00 1.00Δ IN`` (VA not included)."""
    if eye.sca is None:
        return DASH
    parts = [format_sca(eye.sca)]
    if eye.intermediate_add is not None:
        parts.append(f"Int add {_signed(eye.intermediate_add)}")
    if eye.near_add is not None:
        parts.append(f"Add {_signed(eye.near_add)}")
    parts += [format_prism(prism) for prism in (eye.prism_h, eye.prism_v) if prism is not None]
    return " ".join(parts)


def _mm(value: object) -> str:
    return f"{value} mm"


def pd_text(pd: PupillaryDistance) -> str | None:
    """``Distance 63.0 mm · Near 60.0 mm · Monocular R 31.5 mm / L 31.5 mm``, or None."""
    parts = []
    if pd.distance is not None:
        parts.append(f"Distance {_mm(pd.distance)}")
    if pd.near is not None:
        parts.append(f"Near {_mm(pd.near)}")
    if pd.R is not None or pd.L is not None:
        right = _mm(pd.R) if pd.R is not None else DASH
        left = _mm(pd.L) if pd.L is not None else DASH
        parts.append(f"Monocular R {right} / L {left}")
    return " · ".join(parts) or None


# --------------------------------------------------------------------------------------------------
# Pieces of the page


_COLUMN_WIDTHS_MM: Final = (11, 17, 17, 12, 14, 18, 14, 18, 16, 16, 21)


def rx_grid(right: RefractionEye, left: RefractionEye, styles: Styles) -> Table:
    """The R/L grid: Sph, Cyl, Axis, Prism (horizontal and vertical, each with base), Add (inter, near), VA."""
    s = styles
    header_top = ["", "Sph", "Cyl", "Axis", "Prism (Δ)", "", "", "", "Add", "", "VA"]
    header_bottom = ["", "", "", "", "Horiz.", "Base", "Vert.", "Base", "Inter.", "Near", ""]
    data: list[list[object]] = [
        [para(text, s.header_cell_centre) for text in header_top],
        [para(text, s.header_cell_centre) for text in header_bottom],
    ]
    value_style = s.body_bold.clone("rx_value", alignment=1, fontSize=s.body.fontSize + 1,
                                    leading=(s.body.fontSize + 1) * 1.3)
    eye_style = s.body_bold.clone("rx_eye", alignment=1, fontSize=s.body.fontSize + 3,
                                  leading=(s.body.fontSize + 3) * 1.2, textColor=ACCENT)
    for label, eye in (("R", right), ("L", left)):
        data.append([para(label, eye_style), *(para(cell, value_style) for cell in rx_cells(eye))])
    widths = [w * mm for w in _COLUMN_WIDTHS_MM]
    widths[-1] += CONTENT_WIDTH - sum(widths)  # VA takes what is left, so the grid is full width
    table = Table(data, colWidths=widths, rowHeights=[None, None, 11 * mm, 11 * mm])
    table.setStyle(grid_style(header_rows=2, zebra=False, extra=[
        ("SPAN", (0, 0), (0, 1)), ("SPAN", (1, 0), (1, 1)), ("SPAN", (2, 0), (2, 1)), ("SPAN", (3, 0), (3, 1)),
        ("SPAN", (4, 0), (7, 0)), ("SPAN", (8, 0), (9, 0)), ("SPAN", (10, 0), (10, 1)),
        ("LINEBELOW", (4, 0), (9, 0), 0.25, RULE),
        # Column groups: the spherocylinder, the prisms and the adds read as blocks.
        ("LINEAFTER", (0, 0), (0, -1), 0.6, RULE),
        ("LINEAFTER", (3, 0), (3, -1), 0.6, RULE),
        ("LINEAFTER", (7, 0), (7, -1), 0.6, RULE),
        ("LINEAFTER", (9, 0), (9, -1), 0.6, RULE),
        ("LINEAFTER", (4, 1), (4, -1), 0.25, FAINT_RULE),
        ("LINEAFTER", (5, 1), (5, -1), 0.25, FAINT_RULE),
        ("LINEAFTER", (6, 1), (6, -1), 0.25, FAINT_RULE),
        ("LINEAFTER", (8, 1), (8, -1), 0.25, FAINT_RULE),
        ("LINEBELOW", (0, 2), (-1, 2), 0.6, RULE),
    ]))
    return table


def _people(data: PrescriptionDocument, styles: Styles) -> Table:
    s = styles
    half = CONTENT_WIDTH / 2 - 3 * mm
    patient = data.patient
    patient_rows: list[tuple[str, str | Flowable]] = [("Name", rich(bold(patient.name), s.body))]
    if patient.address_lines:
        patient_rows.append(("Address", ", ".join(patient.address_lines)))
    if patient.date_of_birth is not None:
        patient_rows.append(("Date of birth", uk_date(patient.date_of_birth)))
    if patient.nhs_number_text:
        patient_rows.append(("NHS number", patient.nhs_number_text))
    practitioner = data.practitioner
    tested_by = practitioner.name + (f", {practitioner.role}" if practitioner.role else "")
    test_rows: list[tuple[str, str | Flowable]] = [
        ("Date of test", rich(bold(uk_date(data.test_date)), s.body)),
        ("Tested by", tested_by),
        ("GOC number", rich(bold(practitioner.goc_number), s.body)),
    ]
    if data.issue_date is not None and data.issue_date != data.test_date:
        test_rows.insert(1, ("Issued", uk_date(data.issue_date)))
    left = [section_heading("Patient", s), key_values(patient_rows, s, width=half, label_width=24 * mm)]
    right = [section_heading("Sight test", s), key_values(test_rows, s, width=half, label_width=24 * mm)]
    table = Table([[left, right]], colWidths=[half + 6 * mm, half])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _title(data: PrescriptionDocument) -> str:
    if data.kind is PrescriptionKind.NO_PRESCRIPTION_NEEDED:
        return "Sight test statement"
    return "Spectacle prescription"


def _statement(data: PrescriptionDocument, styles: Styles) -> Flowable | None:
    if data.kind is PrescriptionKind.UNCHANGED:
        return banner(UNCHANGED_STATEMENT, styles, fill=CALM_FILL, ink=ACCENT, width=CONTENT_WIDTH,
                      detail="There is no clinically significant change from your previous prescription; "
                             "it is given again below.")
    if data.kind is PrescriptionKind.NO_PRESCRIPTION_NEEDED:
        return banner(NO_PRESCRIPTION_STATEMENT, styles, fill=CALM_FILL, ink=ACCENT, width=CONTENT_WIDTH,
                      detail=f"Your sight test on {uk_date(data.test_date)} found that you do not need to wear "
                             "or use spectacles at present.")
    return None


def _vision_only(data: PrescriptionDocument, styles: Styles) -> list[Flowable]:
    """For a no-prescription statement: the VA achieved, never powers."""
    values = [(label, value) for label, value in (("Right", data.right.va), ("Left", data.left.va),
                                                  ("Both eyes", data.binocular_va)) if value]
    if not values:
        return []
    text = " · ".join(f"{label} {value}" for label, value in values)
    return [section_heading("Vision", styles), para(f"Visual acuity: {text}", styles.body)]


def _outcome_rows(data: PrescriptionDocument) -> list[tuple[str, str]]:
    if data.referral_made:
        referral = "Yes: you have been referred." + (f" {data.referral_note}" if data.referral_note else "")
    else:
        referral = "No referral was made."
    rows = [("Referral", referral)]
    if data.retest_date is not None:
        rows.append(("Next sight test", f"Recommended by {uk_date(data.retest_date)}"))
    if data.expiry_date is not None and data.kind is not PrescriptionKind.NO_PRESCRIPTION_NEEDED:
        rows.append(("Expiry date", f"Valid until {uk_date(data.expiry_date)}"))
    return rows


def _signature(data: PrescriptionDocument, styles: Styles) -> Table:
    s = styles
    practitioner = data.practitioner
    who = [markup(practitioner.name)]
    if practitioner.qualifications:
        who.append(markup(practitioner.qualifications))
    if practitioner.role:
        who.append(markup(practitioner.role))
    who.append(f"GOC registration {markup(practitioner.goc_number)}")
    signed_on = data.issue_date or data.test_date
    rows = [
        [para("Signed", s.label), "", para("Date", s.label)],
        [rich("<br/>".join(who), s.small), "", para(uk_date(signed_on), s.body)],
    ]
    table = Table(rows, colWidths=[90 * mm, 20 * mm, CONTENT_WIDTH - 110 * mm], rowHeights=[14 * mm, None])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, 0), "TOP"),
        ("VALIGN", (0, 1), (-1, 1), "TOP"),
        ("LINEBELOW", (0, 0), (0, 0), 0.6, RULE),
        ("LINEBELOW", (2, 0), (2, 0), 0.6, RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ]))
    return table


def render_prescription(data: PrescriptionDocument, *, printed_at: datetime | None = None) -> bytes:
    """The prescription or statement as A4 PDF bytes (see the module docstring for what it carries)."""
    s = make_styles()
    story: list[Flowable] = [letterhead_block(data.practice, s), gap(5)]
    story.append(para(_title(data), s.title))
    story.append(para("Given to you after your sight test (Opticians Act 1989, section 26)", s.subtitle))
    story += [gap(2), _people(data, s), gap(4)]
    statement = _statement(data, s)
    if statement is not None:
        story += [statement, gap(2)]
    if data.kind is PrescriptionKind.NO_PRESCRIPTION_NEEDED:
        story += _vision_only(data, s)
    else:
        heading = "Prescription (unchanged)" if data.kind is PrescriptionKind.UNCHANGED else "Prescription"
        block: list[Flowable] = [section_heading(heading, s), rx_grid(data.right, data.left, s), gap(2)]
        extras = []
        if data.binocular_va:
            extras.append(f"{bold('Binocular VA')} {markup(data.binocular_va)}")
        pd = pd_text(data.pd)
        if pd:
            extras.append(f"{bold('PD')} {markup(pd)}")
        if extras:
            block.append(rich("&nbsp;&nbsp;&nbsp;&nbsp;".join(extras), s.body))
        story.append(KeepTogether(block))
    if data.advice or data.notes:
        story.append(section_heading("Advice", s))
        if data.advice:
            story.append(rich("<br/>".join(f"•&nbsp;&nbsp;{markup(a)}" for a in data.advice), s.body))
        if data.notes:
            story += [gap(1), para(data.notes, s.body)]
    story.append(section_heading("Outcome", s))
    story.append(key_values(_outcome_rows(data), s, width=CONTENT_WIDTH, label_width=32 * mm))
    story += [gap(6), KeepTogether([_signature(data, s)]), gap(5)]
    if data.kind is not PrescriptionKind.NO_PRESCRIPTION_NEEDED:
        story.append(para("This prescription is yours: you may take it to any optician of your choice to have "
                          "spectacles made up.", s.muted))
    furniture = PageFurniture(
        practice_name=data.practice.practice_name, title=_title(data), reference=data.reference,
        printed_at=printed_at or london_now(), person=data.patient.identifier,
    )
    return build_a4(story, furniture, subject=f"{_title(data)} for {data.patient.name}")
