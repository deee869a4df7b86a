"""The lab job ticket: the printed sheet that travels with a spectacle job (A4, one page).

It carries what the lab bench needs to make and check the job, in the layout labs expect: who it is
from (practice, lab account) and when it is due; the order number large enough to read across a
bench; the Rx per eye in **minus-cylinder form** (the same figures as the DCS data file,
``lab_order_file``, so the ticket and the file can never disagree); the lens (design, type,
material, index, coating, tint); the measurements (monocular PDs, heights, vertex, tilt, wrap); the
frame (supplier, model, colour, marked size, boxing data, type) with a clear warning when it is the
patient's own frame; the practice's special instructions; and sign-off boxes for the lab's own
stages (surfaced, coated, glazed, final inspection).

Patient details (data minimisation, UK GDPR Art. 5(1)(c)): the ticket shows the practice's own
patient reference, never the patient's name, address or date of birth. A lab makes and checks the
job from the order and the measurements; the reference is enough for the practice to match the
returned glasses to the patient and for the lab to query the job, and a ticket left in a job bag
or a courier's box discloses nothing about who the glasses are for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Table, TableStyle

from ils_desktop.domain.exam import RefractionEye
from ils_desktop.domain.rx import to_minus_cylinder
from ils_desktop.reports.lab_order_file import LabOrderData, LensRx
from ils_desktop.reports.layout import (
    ACCENT,
    CONTENT_WIDTH,
    DANGER_FILL,
    DANGER_INK,
    FAINT_RULE,
    RULE,
    WARNING_FILL,
    WARNING_INK,
    Letterhead,
    PageFurniture,
    Styles,
    banner,
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
from ils_desktop.reports.prescription import rx_cells

DASH: Final = "—"
TITLE: Final = "Lab job ticket"

FRAME_TYPE_WORDS: Final = {1: "Plastic", 2: "Metal", 3: "Rimless (drilled)", 4: "Optyl"}
EDGE_WORDS: Final = {1: "Bevel", 2: "Rimless (drill)", 3: "Groove (supra)", 4: "Mini-bevel"}


@dataclass(frozen=True)
class JobTicket:
    """Everything printed on the job ticket. ``order`` is the same data the DCS file is made from.

    ``patient_reference`` is the practice's own reference for the patient or record (see the module
    docstring for why the ticket never names the patient). ``lens_description`` is the lens in the
    catalogue's words ("Varilux Comfort Max 1.60 Crizal Sapphire"); ``material`` its material
    ("Polycarbonate", "1.6 MR-8").
    """

    practice: Letterhead
    lab_name: str
    order: LabOrderData
    order_date: date
    patient_reference: str
    due_date: date | None = None
    lens_description: str | None = None
    material: str | None = None
    special_instructions: str | None = None
    lab_address: str | None = None

    def __post_init__(self) -> None:
        if not self.lab_name.strip():
            raise ValueError("the lab's name is needed on the job ticket")
        if not self.patient_reference.strip():
            raise ValueError("the practice's patient reference is needed on the job ticket")
        if self.due_date is not None and self.due_date < self.order_date:
            raise ValueError("the due date is before the order date")


def _mm(value: Decimal | None, unit: str = "mm") -> str:
    if value is None:
        return DASH
    text = f"{value.normalize():f}" if value == value.to_integral() else f"{value:.1f}"
    return f"{text}°" if unit == "°" else f"{text} {unit}"


def _eye_cells(rx: LensRx | None) -> tuple[str, ...]:
    """Sph, Cyl, Axis, Prism H, Base, Prism V, Base, Add — minus-cylinder form."""
    if rx is None:
        return ("Not ordered", "", "", "", "", "", "", "")
    cells = rx_cells(RefractionEye(to_minus_cylinder(rx.sca), rx.prism_h, rx.prism_v, near_add=rx.add))
    return (*cells[:7], cells[8])


_RX_WIDTHS_MM: Final = (12, 24, 22, 16, 20, 18, 20, 18)


def _rx_table(order: LabOrderData, s: Styles) -> Table:
    header_top = ["", "Sph", "Cyl", "Axis", "Prism (Δ)", "", "", "", "Add"]
    header_bottom = ["", "", "", "", "Horiz.", "Base", "Vert.", "Base", ""]
    data: list[list[object]] = [[para(t, s.header_cell_centre) for t in header_top],
                                [para(t, s.header_cell_centre) for t in header_bottom]]
    value = s.body_bold.clone("ticket_rx", alignment=1, fontSize=s.body.fontSize + 1.5,
                              leading=(s.body.fontSize + 1.5) * 1.3)
    muted = s.muted.clone("ticket_rx_muted", alignment=1)
    eye = s.body_bold.clone("ticket_eye", alignment=1, fontSize=s.body.fontSize + 3,
                            leading=(s.body.fontSize + 3) * 1.2, textColor=ACCENT)
    spans = []
    for row, (label, rx) in enumerate((("R", order.right), ("L", order.left)), start=2):
        cells = _eye_cells(rx)
        style = muted if rx is None else value
        data.append([para(label, eye), *(para(cell, style) for cell in cells)])
        if rx is None:
            spans.append(("SPAN", (1, row), (-1, row)))
    widths = [w * mm for w in _RX_WIDTHS_MM]
    widths.append(CONTENT_WIDTH - sum(widths))  # the add column takes what is left: the grid is full width
    table = Table(data, colWidths=widths, rowHeights=[None, None, 9.5 * mm, 9.5 * mm])
    table.setStyle(grid_style(header_rows=2, zebra=False, extra=[
        ("SPAN", (0, 0), (0, 1)), ("SPAN", (1, 0), (1, 1)), ("SPAN", (2, 0), (2, 1)), ("SPAN", (3, 0), (3, 1)),
        ("SPAN", (4, 0), (7, 0)), ("SPAN", (8, 0), (8, 1)),
        ("LINEBELOW", (4, 0), (7, 0), 0.25, RULE),
        ("LINEAFTER", (0, 0), (0, -1), 0.6, RULE),
        ("LINEAFTER", (3, 0), (3, -1), 0.6, RULE),
        ("LINEAFTER", (7, 0), (7, -1), 0.6, RULE),
        ("LINEAFTER", (4, 1), (4, -1), 0.25, FAINT_RULE),
        ("LINEAFTER", (5, 1), (5, -1), 0.25, FAINT_RULE),
        ("LINEAFTER", (6, 1), (6, -1), 0.25, FAINT_RULE),
        ("LINEBELOW", (0, 2), (-1, 2), 0.6, RULE),
        *spans,
    ]))
    return table


def _measurement_table(order: LabOrderData, s: Styles) -> Table:
    m = order.measurements
    height_label = "Seg / fitting height" if order.lens_kind.has_add else "OC height"
    header = ["", "Distance PD (mono)", "Near PD (mono)", height_label]
    data: list[list[object]] = [[para(t, s.header_cell_centre) for t in header]]
    value = s.body_bold.clone("ticket_measure", alignment=1)
    eye = s.body_bold.clone("ticket_measure_eye", alignment=1, textColor=ACCENT)
    for label, side in (("R", "right"), ("L", "left")):
        ordered = order.right if side == "right" else order.left
        cells = [getattr(m, f"{side}_distance_pd"), getattr(m, f"{side}_near_pd"), getattr(m, f"{side}_fitting_height")]
        data.append([para(label, eye), *(para(_mm(c) if ordered else DASH, value) for c in cells)])
    first = 12 * mm
    rest = (CONTENT_WIDTH * 0.58 - first) / 3
    table = Table(data, colWidths=[first, rest, rest, rest], hAlign="LEFT")
    table.setStyle(grid_style(zebra=False, extra=[("LINEAFTER", (0, 0), (0, -1), 0.6, RULE)]))
    as_worn = [
        ("Vertex distance", _mm(m.vertex_distance)),
        ("Pantoscopic tilt", _mm(m.pantoscopic_tilt, "°")),
        ("Face-form wrap", _mm(m.face_form_wrap, "°")),
    ]
    side_width = CONTENT_WIDTH * 0.42 - 6 * mm
    worn = key_values(as_worn, s, width=side_width, label_width=30 * mm)
    outer = Table([[table, worn]], colWidths=[CONTENT_WIDTH * 0.58 + 6 * mm, side_width])
    outer.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("LEFTPADDING", (1, 0), (1, 0), 0)]))
    return outer


def _two_columns(left: list[Flowable], right: list[Flowable]) -> Table:
    half = CONTENT_WIDTH / 2 - 3 * mm
    # splitInRow: on a crowded page (a long letterhead and instructions) the block continues on the
    # next page instead of leaving a hole and moving over whole.
    table = Table([[left, right]], colWidths=[half + 6 * mm, half], splitInRow=1)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _order_box(ticket: JobTicket, s: Styles) -> Table:
    """The order number, big, with the due date: what the lab reads across the bench."""
    number_style = s.title.clone("ticket_number", fontSize=s.body.fontSize * 2.2, leading=s.body.fontSize * 2.6,
                                 alignment=2, spaceAfter=0)
    due = uk_date(ticket.due_date) if ticket.due_date else "Not set"
    lines = [para(ticket.order.order_number, number_style),
             rich(f"Due back <b>{markup(due)}</b>", s.right)]
    table = Table([[lines]], colWidths=[62 * mm])
    table.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1, ACCENT), ("LEFTPADDING", (0, 0), (-1, -1), 6),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 6), ("TOPPADDING", (0, 0), (-1, -1), 4),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    return table


def _heading_row(ticket: JobTicket, s: Styles) -> Table:
    order = ticket.order
    left = [para(TITLE, s.title),
            para(f"{order.job_type.label} · {order.lens_kind.label} · to {ticket.lab_name}", s.subtitle)]
    table = Table([[left, _order_box(ticket, s)]], colWidths=[CONTENT_WIDTH - 62 * mm, 62 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _details(ticket: JobTicket, s: Styles) -> Table:
    half = CONTENT_WIDTH / 2 - 3 * mm
    order = ticket.order
    order_rows: list[tuple[str, str]] = [
        ("Order date", uk_date(ticket.order_date)),
        ("Job type", order.job_type.label),
        ("Eyes", {"B": "Both", "R": "Right only", "L": "Left only"}[order.eyes]),
        ("Patient ref.", ticket.patient_reference),
    ]
    lab_rows: list[tuple[str, str]] = [("Lab", ticket.lab_name)]
    if ticket.lab_address:
        lab_rows.append(("Address", ticket.lab_address))
    lab_rows.append(("Our account", order.account_number or DASH))
    return _two_columns(
        [section_heading("Order", s), key_values(order_rows, s, width=half, label_width=26 * mm)],
        [section_heading("Lab", s), key_values(lab_rows, s, width=half, label_width=26 * mm)],
    )


def _lens_and_frame(ticket: JobTicket, s: Styles) -> Table:
    half = CONTENT_WIDTH / 2 - 3 * mm
    order = ticket.order
    lens_rows: list[tuple[str, str]] = [
        ("Lens", ticket.lens_description or order.lens_name or DASH),
        ("Type", order.lens_kind.label),
        ("Material", ticket.material or DASH),
        ("Index", f"{order.lens_index:.2f}" if order.lens_index is not None else DASH),
        ("Coating", order.coating or "None"),
        ("Tint", order.tint or "None"),
    ]
    m = order.measurements
    frame = order.frame
    frame_rows: list[tuple[str, str]] = []
    if frame is not None:
        frame_rows += [
            ("Supplier", frame.supplier or DASH),
            ("Model", frame.model or DASH),
            ("Colour", frame.colour or DASH),
            ("Marked size", frame.size or DASH),
            ("Frame type", FRAME_TYPE_WORDS[int(frame.frame_type)] if frame.frame_type else DASH),
        ]
    else:
        frame_rows.append(("Frame", "No frame supplied (lenses only)"))
    frame_rows.append(("Box A × B", f"{_mm(m.box_a)} × {_mm(m.box_b)}" if m.box_a or m.box_b else DASH))
    frame_rows.append(("DBL · ED", f"{_mm(m.dbl)} · {_mm(m.ed)}" if m.dbl or m.ed else DASH))
    if order.edge is not None:
        frame_rows.append(("Edge", EDGE_WORDS[int(order.edge)]))
    return _two_columns(
        [section_heading("Lenses", s), key_values(lens_rows, s, width=half, label_width=26 * mm)],
        [section_heading("Frame", s), key_values(frame_rows, s, width=half, label_width=26 * mm)],
    )


def _sign_off(s: Styles) -> Table:
    stages = ["Surfaced", "Coated", "Glazed", "Final inspection"]
    top = [para(stage, s.label) for stage in stages]
    bottom = [para("Initials / date", s.muted) for _ in stages]
    width = CONTENT_WIDTH / len(stages)
    table = Table([top, bottom], colWidths=[width] * len(stages), rowHeights=[None, 10 * mm])
    table.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), 0.6, RULE),
        ("INNERGRID", (0, 0), (-1, -1), 0.25, FAINT_RULE),
        ("VALIGN", (0, 1), (-1, 1), "BOTTOM"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def render_job_ticket(ticket: JobTicket, *, printed_at: datetime | None = None) -> bytes:
    """The job ticket as A4 PDF bytes (see the module docstring for what it carries and why)."""
    s = make_styles()
    order = ticket.order
    story: list[Flowable] = [letterhead_block(ticket.practice, s), gap(4), _heading_row(ticket, s), gap(1)]
    if order.frame is not None and order.frame.own_frame:
        story += [gap(2), banner("Patient's own frame", s, fill=DANGER_FILL, ink=DANGER_INK, width=CONTENT_WIDTH,
                                 detail="Handle with care and return it in the same condition. Report any "
                                        "damage to the practice before glazing."), gap(1)]
    if ticket.special_instructions and ticket.special_instructions.strip():
        # Read before the job is started, so it sits above everything the bench works from.
        story += [gap(2), banner("Special instructions", s, fill=WARNING_FILL, ink=WARNING_INK,
                                 width=CONTENT_WIDTH, detail=ticket.special_instructions.strip()), gap(1)]
    story.append(_details(ticket, s))
    story.append(KeepTogether([
        section_heading("Prescription (minus-cylinder form)", s), _rx_table(order, s),
    ]))
    story.append(KeepTogether([section_heading("Measurements", s), _measurement_table(order, s)]))
    story += [gap(2), _lens_and_frame(ticket, s)]
    story += [gap(1), KeepTogether([section_heading("Lab sign-off", s), _sign_off(s)])]
    furniture = PageFurniture(
        practice_name=ticket.practice.practice_name, title=TITLE, reference=order.order_number,
        printed_at=printed_at or london_now(), person=f"Patient ref. {ticket.patient_reference}",
    )
    return build_a4(story, furniture, subject=f"{TITLE} {order.order_number} for {ticket.lab_name}")
