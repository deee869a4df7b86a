"""NHS GOS documents as PDFs: a claim in the form's layout (GOS 1, 3, 4, 6), the GOS 3 voucher a
patient takes elsewhere, and the evidence pack for NHSBSA post-payment verification.

The claim follows the parts of the PCSE form (docs/domain/nhs-gos.md, "Fields"): contractor and
performer, patient, eligibility and its details, the sight test or the voucher, the declarations,
and the three dated signatures (drawn, or the attestation recorded in their place). Pure: plain data
in, PDF bytes out.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime

from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable, Image, KeepTogether, Table, TableStyle

from ils_desktop.reports.layout import (
    ACCENT,
    CALM_FILL,
    CONTENT_WIDTH,
    FAINT_RULE,
    RULE,
    WARNING_FILL,
    WARNING_INK,
    Letterhead,
    PageFurniture,
    banner,
    build_a4,
    gap,
    key_values,
    letterhead_block,
    make_styles,
    para,
    section_heading,
    uk_date,
)


@dataclass(frozen=True)
class SignatureBox:
    label: str
    """"Patient", "Parent, guardian or carer", "Performer", "Contractor"."""
    signed_on: date | None
    printed_name: str = ""
    image: bytes | None = None
    attestation: str = ""


@dataclass(frozen=True)
class FormSection:
    heading: str
    rows: tuple[tuple[str, str], ...]
    note: str = ""


@dataclass(frozen=True)
class FormDocument:
    letterhead: Letterhead
    title: str
    """"GOS 1 — NHS sight test claim"."""
    reference: str
    """The practice's claim or voucher number, printed on every page."""
    person: str
    sections: tuple[FormSection, ...]
    printed_at: datetime
    signatures: tuple[SignatureBox, ...] = ()
    banner_text: str = ""
    banner_detail: str = ""
    declaration: str = ""
    footnote: str = ""
    extra: tuple[str, ...] = field(default_factory=tuple)


def _signature_cell(box: SignatureBox, styles) -> list[Flowable]:  # type: ignore[no-untyped-def]
    cell: list[Flowable] = [para(box.label, styles.label)]
    if box.image:
        reader = ImageReader(io.BytesIO(box.image))
        width, height = reader.getSize()
        scale = min(52 * mm / max(width, 1), 16 * mm / max(height, 1))
        cell.append(Image(io.BytesIO(box.image), width=width * scale, height=height * scale, hAlign="LEFT"))
    elif box.attestation:
        cell.append(para(f"Attested: {box.attestation}", styles.small))
    else:
        cell.append(para("Not signed", styles.muted))
    if box.printed_name:
        cell.append(para(f"Printed name: {box.printed_name}", styles.small))
    cell.append(para(f"Date: {uk_date(box.signed_on) if box.signed_on else '—'}", styles.small))
    return cell


def form_pdf(document: FormDocument) -> bytes:
    """The document on A4: letterhead, title, an optional banner, the sections as labelled boxes,
    the declaration and the signature boxes."""
    styles = make_styles()
    story: list[Flowable] = [letterhead_block(document.letterhead, styles), gap(4),
                             para(document.title, styles.title), para(document.reference, styles.subtitle), gap(2)]
    if document.banner_text:
        story += [banner(document.banner_text, styles, fill=WARNING_FILL, ink=WARNING_INK, width=CONTENT_WIDTH,
                         detail=document.banner_detail or None), gap(3)]
    for section in document.sections:
        box = Table([[[section_heading(section.heading, styles),
                       key_values([(label, value or "—") for label, value in section.rows], styles,
                                  width=CONTENT_WIDTH - 10, label_width=52 * mm),
                       *([para(section.note, styles.muted)] if section.note else [])]]],
                    colWidths=[CONTENT_WIDTH])
        box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.6, RULE), ("LEFTPADDING", (0, 0), (-1, -1), 5),
                                 ("RIGHTPADDING", (0, 0), (-1, -1), 5), ("TOPPADDING", (0, 0), (-1, -1), 2),
                                 ("BOTTOMPADDING", (0, 0), (-1, -1), 5)]))
        story += [KeepTogether([box]), gap(2.5)]
    for line in document.extra:
        story.append(para(line, styles.body))
    if document.declaration:
        declaration = Table([[para(document.declaration, styles.body)]], colWidths=[CONTENT_WIDTH])
        declaration.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), CALM_FILL),
                                         ("BOX", (0, 0), (-1, -1), 0.6, ACCENT),
                                         ("LEFTPADDING", (0, 0), (-1, -1), 6), ("TOPPADDING", (0, 0), (-1, -1), 4),
                                         ("BOTTOMPADDING", (0, 0), (-1, -1), 5)]))
        story += [declaration, gap(3)]
    if document.signatures:
        width = CONTENT_WIDTH / len(document.signatures)
        table = Table([[_signature_cell(box, styles) for box in document.signatures]],
                      colWidths=[width] * len(document.signatures), rowHeights=[34 * mm])
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                                   ("INNERGRID", (0, 0), (-1, -1), 0.4, FAINT_RULE),
                                   ("LEFTPADDING", (0, 0), (-1, -1), 5), ("TOPPADDING", (0, 0), (-1, -1), 4)]))
        story += [KeepTogether([section_heading("Signatures", styles), table])]
    if document.footnote:
        story += [gap(3), para(document.footnote, styles.muted)]
    furniture = PageFurniture(document.letterhead.practice_name, document.title, document.reference,
                              document.printed_at, person=document.person)
    return build_a4(story, furniture, subject=document.title)

