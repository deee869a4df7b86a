"""The referral letter to a GP or the hospital eye service, as a PDF.

Content follows the College of Optometrists guidance on referral and the examination record
structure (docs/domain/optical-practice.md, "Clinical records"): the urgency (emergency — same day;
urgent — within a week; routine) shown prominently at the top; the addressee; the patient (name,
date of birth, address, NHS number); the reason; relevant history; the findings from the examination
(visual acuity, refraction, IOP with method and time, anterior and posterior eye, visual fields);
the practitioner's sign-off with GOC number; and who has a copy. Under NHS General Ophthalmic
Services (England) a referral may also carry GOS 18 wording, given by the caller as ``gos18_text``.

NHS GOS regulations require the patient to be given a written statement that they have been
referred, with details: ``copy_to_patient`` prints the "copy to patient" line so the same letter
serves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Table, TableStyle

from ils_desktop.domain.exam import RefractionEye
from ils_desktop.reports.layout import (
    ACCENT,
    CALM_FILL,
    CONTENT_WIDTH,
    DANGER_FILL,
    DANGER_INK,
    WARNING_FILL,
    WARNING_INK,
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
from ils_desktop.reports.prescription import DASH, rx_one_line


class Urgency(StrEnum):
    """How soon the patient should be seen (values match ``services.referrals.URGENCIES``)."""

    EMERGENCY = "emergency"
    URGENT = "urgent"
    ROUTINE = "routine"

    @property
    def headline(self) -> str:
        return {"emergency": "EMERGENCY REFERRAL", "urgent": "URGENT REFERRAL",
                "routine": "ROUTINE REFERRAL"}[self.value]

    @property
    def timeframe(self) -> str:
        return {"emergency": "Please see the patient today (same day).",
                "urgent": "Please see the patient within 1 week.",
                "routine": "Please see the patient routinely."}[self.value]


_URGENCY_COLOURS: Final = {
    Urgency.EMERGENCY: (DANGER_FILL, DANGER_INK),
    Urgency.URGENT: (WARNING_FILL, WARNING_INK),
    Urgency.ROUTINE: (CALM_FILL, ACCENT),
}


@dataclass(frozen=True)
class EyeFinding:
    """A finding recorded per eye, with an optional note for both (e.g. the method)."""

    right: str | None = None
    left: str | None = None
    note: str | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.right or self.left or self.note)


@dataclass(frozen=True)
class IopFinding:
    """Intraocular pressure in mmHg per eye (the mean of the readings), how and when it was measured."""

    right: Decimal | None = None
    left: Decimal | None = None
    method: str | None = None  # "Goldmann applanation", "Non-contact (air puff)"
    time: str | None = None  # "10:45": IOP varies through the day, so the time matters
    note: str | None = None

    @property
    def is_empty(self) -> bool:
        return self.right is None and self.left is None and not self.note


@dataclass(frozen=True)
class ReferralFindings:
    """The examination findings the letter reports; any section left empty is omitted."""

    visual_acuity: EyeFinding = EyeFinding()
    refraction_right: RefractionEye = field(default_factory=RefractionEye)
    refraction_left: RefractionEye = field(default_factory=RefractionEye)
    iop: IopFinding = IopFinding()
    anterior: EyeFinding = EyeFinding()
    posterior: EyeFinding = EyeFinding()
    fields: EyeFinding = EyeFinding()
    other: str | None = None


@dataclass(frozen=True)
class Addressee:
    """Who the letter is to: "Dr A Patel" at "Castle Surgery", or the hospital eye service."""

    name: str
    organisation: str | None = None
    address_lines: tuple[str, ...] = ()
    salutation: str | None = None  # "Dear Dr Patel"; "Dear Doctor" when not given

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("say who the letter is to (the GP or the hospital eye service)")
        object.__setattr__(self, "address_lines",
                           tuple(line.strip() for line in self.address_lines if line and line.strip()))


@dataclass(frozen=True)
class EnclosedImage:
    """An image the clinician attached to the letter (a photograph, or one OCT B-scan), as PNG; empty
    when the image could not be read (the caption then says so, and the letter still prints)."""

    caption: str
    png: bytes = b""


@dataclass(frozen=True)
class ReferralLetter:
    """Everything the referral letter shows."""

    practice: Letterhead
    practitioner: Practitioner
    patient: Patient
    addressee: Addressee
    urgency: Urgency
    letter_date: date
    reason: str
    history: str | None = None
    findings: ReferralFindings = ReferralFindings()
    exam_date: date | None = None
    gp_practice: str | None = None  # the patient's GP, shown when the letter goes elsewhere
    gos18_text: str | None = None
    copy_to_patient: bool = True
    copies_to: tuple[str, ...] = ()  # e.g. ("Dr A Patel, Castle Surgery (GP)",)
    reference: str | None = None
    images: tuple[EnclosedImage, ...] = ()  # printed after the sign-off, each with its caption

    def __post_init__(self) -> None:
        object.__setattr__(self, "urgency", Urgency(self.urgency))
        if not self.reason.strip():
            raise ValueError("give the reason for the referral")


# --------------------------------------------------------------------------------------------------


def _mmhg(value: Decimal | None) -> str | None:
    return None if value is None else f"{value} mmHg"


def _findings_table(findings: ReferralFindings, styles: Styles) -> Table | None:
    """Right eye | Left eye columns, one row per finding; notes span both eyes under their row."""
    s = styles
    rows: list[list[object]] = [[para("", s.header_cell), para("Right eye", s.header_cell),
                                 para("Left eye", s.header_cell)]]
    spans: list[tuple[object, ...]] = []

    def add(label: str, right: str | None, left: str | None, note: str | None) -> None:
        if not (right or left or note):
            return
        if right or left:
            rows.append([para(label, s.cell_bold), para(right or DASH, s.cell), para(left or DASH, s.cell)])
            if note:
                rows.append(["", para(note, s.cell_muted), ""])
                spans.append(("SPAN", (1, len(rows) - 1), (2, len(rows) - 1)))
                # A finding and its note (method, time) stay on the same page.
                spans.append(("NOSPLIT", (0, len(rows) - 2), (-1, len(rows) - 1)))
        else:
            rows.append([para(label, s.cell_bold), para(note or "", s.cell), ""])
            spans.append(("SPAN", (1, len(rows) - 1), (2, len(rows) - 1)))

    va = findings.visual_acuity
    add("Visual acuity", va.right, va.left, va.note)
    right, left = findings.refraction_right, findings.refraction_left
    if not (right.is_empty and left.is_empty):
        add("Refraction", _refraction(right), _refraction(left), None)
    iop = findings.iop
    how = " at ".join(part for part in (iop.method, iop.time) if part)
    iop_note = "; ".join(part for part in (f"Measured by {how}" if how else None, iop.note) if part)
    add("IOP", _mmhg(iop.right), _mmhg(iop.left), iop_note or None)
    for label, finding in (("Anterior eye", findings.anterior), ("Posterior eye", findings.posterior),
                           ("Visual fields", findings.fields)):
        add(label, finding.right, finding.left, finding.note)
    if findings.other:
        add("Other", None, None, findings.other)
    if len(rows) == 1:
        return None
    label_width = 30 * mm
    eye_width = (CONTENT_WIDTH - label_width) / 2
    table = Table(rows, colWidths=[label_width, eye_width, eye_width], repeatRows=1)
    table.setStyle(grid_style(zebra=False, extra=[("VALIGN", (0, 0), (-1, -1), "TOP"), *spans]))
    return table


def _refraction(eye: RefractionEye) -> str | None:
    if eye.is_empty:
        return None
    text = rx_one_line(eye)
    return f"{text} (VA {eye.va})" if eye.va else text


def _address_block(letter: ReferralLetter, styles: Styles) -> Table:
    """Addressee on the left (where a window envelope shows it); date and references on the right."""
    s = styles
    to = letter.addressee
    lines = [bold(to.name)]
    if to.organisation:
        lines.append(markup(to.organisation))
    lines += [markup(line) for line in to.address_lines]
    right_rows: list[tuple[str, str | Flowable]] = [("Date", uk_date(letter.letter_date))]
    if letter.exam_date is not None:
        right_rows.append(("Examined", uk_date(letter.exam_date)))
    if letter.reference:
        right_rows.append(("Our ref.", letter.reference))
    right_rows.append(("Urgency", rich(bold(letter.urgency.value.capitalize()), s.body)))
    left_width = 95 * mm
    table = Table([[rich("<br/>".join(lines), s.body),
                    key_values(right_rows, s, width=CONTENT_WIDTH - left_width, label_width=22 * mm)]],
                  colWidths=[left_width, CONTENT_WIDTH - left_width])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _patient_block(letter: ReferralLetter, styles: Styles) -> Table:
    s = styles
    patient = letter.patient
    rows: list[tuple[str, str | Flowable]] = [("Patient", rich(bold(patient.name), s.body))]
    if patient.date_of_birth is not None:
        rows.append(("Date of birth", uk_date(patient.date_of_birth)))
    if patient.nhs_number_text:
        rows.append(("NHS number", rich(bold(patient.nhs_number_text), s.body)))
    if patient.address_lines:
        rows.append(("Address", ", ".join(patient.address_lines)))
    if letter.gp_practice:
        rows.append(("GP", letter.gp_practice))
    table = key_values(rows, s, width=CONTENT_WIDTH - 12, label_width=28 * mm)
    box = Table([[table]], colWidths=[CONTENT_WIDTH])
    box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.6, ACCENT), ("LEFTPADDING", (0, 0), (-1, -1), 6),
                             ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 5)]))
    return box


def _sign_off(letter: ReferralLetter, styles: Styles) -> list[Flowable]:
    s = styles
    practitioner = letter.practitioner
    lines = [bold(practitioner.name)]
    if practitioner.qualifications:
        lines.append(markup(practitioner.qualifications))
    if practitioner.role:
        lines.append(markup(practitioner.role))
    lines.append(f"GOC registration {bold(practitioner.goc_number)}")
    lines.append(markup(letter.practice.practice_name))
    block: list[Flowable] = [para("Yours sincerely,", s.body), gap(14), rich("<br/>".join(lines), s.body)]
    copies = list(letter.copies_to)
    if letter.copy_to_patient:
        copies.append(f"{letter.patient.name} (patient)")
    if copies:
        block += [gap(4), rich(f"{bold('cc:')} " + "; ".join(markup(c) for c in copies), s.small)]
    return block


MAX_PICTURE_HEIGHT: Final = 105 * mm


def _picture(png: bytes) -> Flowable:
    """An enclosed image at the content width, or shorter to keep its proportions within a third of a page."""
    import io

    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image

    width, height = ImageReader(io.BytesIO(png)).getSize()
    scale = min(CONTENT_WIDTH / width, MAX_PICTURE_HEIGHT / height)
    return Image(io.BytesIO(png), width=width * scale, height=height * scale)


def render_referral(letter: ReferralLetter, *, printed_at: datetime | None = None) -> bytes:
    """The referral letter as A4 PDF bytes (see the module docstring for what it carries)."""
    s = make_styles()
    fill, ink = _URGENCY_COLOURS[letter.urgency]
    story: list[Flowable] = [
        letterhead_block(letter.practice, s), gap(4),
        banner(letter.urgency.headline, s, fill=fill, ink=ink, width=CONTENT_WIDTH, detail=letter.urgency.timeframe),
        gap(5), _address_block(letter, s), gap(5),
        para(letter.addressee.salutation or "Dear Doctor,", s.body), gap(2),
        _patient_block(letter, s), gap(1),
        section_heading("Reason for referral", s), para(letter.reason, s.body),
    ]
    if letter.history:
        story += [section_heading("Relevant history", s), para(letter.history, s.body)]
    table = _findings_table(letter.findings, s)
    if table is not None:
        story += [section_heading("Findings", s), table]
    # The sign-off never stands alone on a page: it keeps the GOS 18 paragraph (when there is one) with it.
    closing: list[Flowable] = []
    if letter.gos18_text:
        closing += [section_heading("GOS 18", s), para(letter.gos18_text, s.body)]
    story.append(KeepTogether([*closing, gap(6), *_sign_off(letter, s)]))
    for number, image in enumerate(letter.images):
        # The heading never ends a page alone: it keeps the first image with it.
        heading = [section_heading("Enclosed images", s)] if number == 0 else []
        story.append(KeepTogether([*heading, *([_picture(image.png), gap(1)] if image.png else []),
                                   para(image.caption, s.small), gap(4)]))
    furniture = PageFurniture(practice_name=letter.practice.practice_name, title="Referral letter",
                              reference=letter.reference, printed_at=printed_at or london_now(),
                              person=f"Re: {letter.patient.identifier}")
    return build_a4(story, furniture, subject=f"{letter.urgency.headline.title()} for {letter.patient.name}")
