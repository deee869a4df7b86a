"""Patient letters (recall and reminder) for a DL window envelope, one PDF per batch.

Each letter is one A4 page folded in three into a DL envelope (110 × 220 mm) with the common window
of 90 × 45 mm, 20 mm from the left and 15 mm from the bottom (BS EN ISO 269 sizes; the window
position Royal Mail's and the envelope makers' templates use). Folded, the window shows the sheet
from about 45 mm to 90 mm down and 20 mm to 110 mm across: the patient's address is printed inside
that area — name, then lines, post town and postcode on the last line in capitals (Royal Mail's
"How to address your mail"). A small return line sits above the address, inside the window; fold
marks at 99 and 198 mm are printed in the left margin.

The batch starts with a cover page for the person doing the post: how many letters, the postage
count by class, and the list of addressees in print order. Pure: data in, PDF bytes out.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Frame, Paragraph, Table

from ils_desktop.reports.layout import (
    FAINT_RULE,
    INK,
    MUTED,
    RULE,
    Letterhead,
    fit,
    grid_style,
    make_styles,
    markup,
    plain,
    uk_date,
    uk_datetime,
)

PAGE_W, PAGE_H = A4
WINDOW_LEFT = 20 * mm
WINDOW_TOP = 45 * mm  # from the top of the sheet
WINDOW_WIDTH = 90 * mm
WINDOW_HEIGHT = 45 * mm
ADDRESS_INSET = 5 * mm  # kept clear of the window's edges (the sheet moves a little in the envelope)
FOLDS = (99 * mm, 198 * mm)
MAX_ADDRESS_LINES = 7


@dataclass(frozen=True)
class Letter:
    address_lines: tuple[str, ...]
    subject: str
    body: str
    reference: str = ""


@dataclass(frozen=True)
class LetterBatch:
    title: str
    letterhead: Letterhead
    letters: Sequence[Letter]
    dated: date
    postage_class: str = "Second class"
    brand_colour: str = "#1d4e6b"


def _address(lines: Sequence[str]) -> list[str]:
    """The lines that fit the window, the postcode kept last (too many lines: the middle ones go)."""
    cleaned = [line.strip() for line in lines if line and line.strip()]
    if len(cleaned) > MAX_ADDRESS_LINES:
        cleaned = cleaned[:MAX_ADDRESS_LINES - 2] + cleaned[-2:]
    if cleaned:
        cleaned[-1] = cleaned[-1].upper()
    return cleaned


def _letterhead(canvas: Canvas, head: Letterhead, colour: str, font: str, bold: str) -> None:
    from reportlab.lib import colors

    canvas.setFillColor(colors.HexColor(colour))
    canvas.rect(0, PAGE_H - 6 * mm, PAGE_W, 6 * mm, stroke=0, fill=1)
    canvas.setFont(bold, 15)
    canvas.drawRightString(PAGE_W - 18 * mm, PAGE_H - 18 * mm, plain(head.practice_name))
    canvas.setFillColor(MUTED)
    canvas.setFont(font, 8.5)
    y = PAGE_H - 23 * mm
    for line in (*head.address_lines, *(x for x in (head.phone, head.email) if x)):
        canvas.drawRightString(PAGE_W - 18 * mm, y, plain(line))
        y -= 3.8 * mm


def _window(canvas: Canvas, lines: Sequence[str], head: Letterhead, font: str) -> None:
    canvas.setFillColor(MUTED)
    canvas.setFont(font, 6.5)
    postcode = head.address_lines[-1] if head.address_lines else ""
    back = fit(plain(f"If undelivered please return to {head.practice_name}, {postcode}"), font, 6.5,
               WINDOW_WIDTH - 2 * ADDRESS_INSET)
    canvas.drawString(WINDOW_LEFT + ADDRESS_INSET, PAGE_H - WINDOW_TOP - ADDRESS_INSET - 1 * mm, back)
    canvas.setFillColor(INK)
    canvas.setFont(font, 10.5)
    y = PAGE_H - WINDOW_TOP - ADDRESS_INSET - 6.5 * mm
    for line in _address(lines):
        canvas.drawString(WINDOW_LEFT + ADDRESS_INSET, y,
                          fit(plain(line), font, 10.5, WINDOW_WIDTH - 2 * ADDRESS_INSET))
        y -= 4.6 * mm


def _fold_marks(canvas: Canvas) -> None:
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.4)
    for y in FOLDS:
        canvas.line(4 * mm, PAGE_H - y, 8 * mm, PAGE_H - y)


def _letter_page(canvas: Canvas, batch: LetterBatch, letter: Letter) -> None:
    f = make_styles(10.5)
    head = batch.letterhead
    _letterhead(canvas, head, batch.brand_colour, f.fonts.regular, f.fonts.bold)
    _window(canvas, letter.address_lines, head, f.fonts.regular)
    _fold_marks(canvas)
    canvas.setFillColor(MUTED)
    canvas.setFont(f.fonts.regular, 9)
    canvas.drawRightString(PAGE_W - 18 * mm, PAGE_H - 62 * mm, uk_date(batch.dated))
    if letter.reference:
        canvas.drawRightString(PAGE_W - 18 * mm, PAGE_H - 67 * mm, plain(f"Our ref: {letter.reference}"))
    story = [Paragraph(f"<b>{markup(letter.subject)}</b>", f.body)] if letter.subject else []
    for block in letter.body.split("\n\n"):
        if block.strip():
            story.append(Paragraph(markup(block.strip()), f.body))
    for p in story:
        p.style = p.style.clone(p.style.name, spaceAfter=10.5 * 0.8)
    frame = Frame(25 * mm, 22 * mm, PAGE_W - 25 * mm - 22 * mm, PAGE_H - 100 * mm - 22 * mm, showBoundary=0,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    frame.addFromList(story, canvas)
    canvas.setStrokeColor(FAINT_RULE)
    canvas.line(18 * mm, 16 * mm, PAGE_W - 18 * mm, 16 * mm)
    canvas.setFillColor(MUTED)
    canvas.setFont(f.fonts.regular, 7.5)
    registrations = " · ".join(x for x in (f"GOC {head.goc_number}" if head.goc_number else "",
                                           f"ODS {head.ods_code}" if head.ods_code else "") if x)
    canvas.drawString(18 * mm, 11 * mm, plain(f"{head.practice_name} · {head.one_line_address}"))
    if registrations:
        canvas.drawRightString(PAGE_W - 18 * mm, 11 * mm, plain(registrations))


def _cover(canvas: Canvas, batch: LetterBatch, printed_at: datetime) -> None:
    f = make_styles(9.5)
    _letterhead(canvas, batch.letterhead, batch.brand_colour, f.fonts.regular, f.fonts.bold)
    count = len(batch.letters)
    story: list[object] = [
        Paragraph(markup(batch.title), f.title),
        Paragraph(markup(f"Printed {uk_datetime(printed_at)} · dated {uk_date(batch.dated)}"), f.subtitle),
        Paragraph(f"<b>Postage: {count} × {markup(batch.postage_class)}</b> — DL window envelopes; fold each letter "
                  "in three at the marks in the left margin, address facing the window.", f.body),
    ]
    rows = [[Paragraph("#", f.header_cell), Paragraph("Addressee", f.header_cell),
             Paragraph("Postcode", f.header_cell), Paragraph("Reference", f.header_cell)]]
    for i, letter in enumerate(batch.letters, 1):
        lines = _address(letter.address_lines)
        rows.append([Paragraph(str(i), f.cell), Paragraph(markup(lines[0] if lines else ""), f.cell),
                     Paragraph(markup(lines[-1] if len(lines) > 1 else ""), f.cell),
                     Paragraph(markup(letter.reference), f.cell_muted)])
    table = Table(rows, colWidths=[12 * mm, 90 * mm, 30 * mm, 42 * mm], repeatRows=1)
    table.setStyle(grid_style(body_rows=len(rows) - 1))
    story.append(table)
    for item in story:
        if isinstance(item, Paragraph):
            item.style = item.style.clone(item.style.name, spaceAfter=6)
    frame = Frame(18 * mm, 18 * mm, PAGE_W - 36 * mm, PAGE_H - 55 * mm - 18 * mm, showBoundary=0)
    remaining = frame.addFromList(story, canvas)  # type: ignore[arg-type]
    while story:  # a long list continues on further cover pages
        canvas.showPage()
        frame = Frame(18 * mm, 18 * mm, PAGE_W - 36 * mm, PAGE_H - 36 * mm, showBoundary=0)
        remaining = frame.addFromList(story, canvas)  # type: ignore[arg-type]
    del remaining


def letter_batch_pdf(batch: LetterBatch, printed_at: datetime) -> bytes:
    """The cover page with the postage count, then one page per letter, in the order given."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setTitle(plain(batch.title))
    canvas.setAuthor(plain(batch.letterhead.practice_name))
    _cover(canvas, batch, printed_at)
    canvas.showPage()
    for letter in batch.letters:
        _letter_page(canvas, batch, letter)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
