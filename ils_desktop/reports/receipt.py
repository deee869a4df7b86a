"""The till receipt on an 80 mm roll, as a PDF: a simplified VAT invoice for sales of £250 or less.

HMRC VAT Notice 700 §16.6 (simplified invoices): the supplier's name, address and VAT registration
number, the time of supply, a description of what was supplied, and for each VAT rate the total
payable including VAT and the rate. The receipt also carries the invoice number, the payments
(card with terminal reference, cash with change, NHS voucher with code and value, gift card),
refund and void wording naming the original invoice, and the "COPY — reprinted" marker on a reprint.
Above £250 the same receipt is headed "VAT receipt" and offers the full VAT invoice
(``reports.invoice``), which a VAT-registered customer is entitled to.

The page is 80 mm wide and exactly as tall as the receipt (``layout.build_roll``), so it prints on
a roll printer's PDF driver without blank paper.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, TypeAlias

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Table, TableStyle
from reportlab.platypus.flowables import HRFlowable

from ils_desktop.domain.money import format_money
from ils_desktop.domain.till_rules import TenderKind
from ils_desktop.reports.layout import (
    DANGER_INK,
    INK,
    MUTED,
    ROLL_CONTENT_WIDTH,
    Styles,
    build_roll,
    gap,
    london_now,
    make_styles,
    markup,
    para,
    rich,
    roll_letterhead,
    uk_datetime,
)
from ils_desktop.reports.sale import (
    RATE_CODES,
    VOUCHER_NOTE,
    Customer,
    Sale,
    SaleItem,
    SaleKind,
    Tender,
    part_label,
    rate_label,
)

__all__ = ["Customer", "Sale", "SaleItem", "SaleKind", "Tender", "render_receipt"]

_AMOUNT_WIDTH: Final = 19 * mm
_CODE_WIDTH: Final = 7 * mm
_TITLES: Final = {SaleKind.SALE: "RECEIPT", SaleKind.REFUND: "REFUND", SaleKind.VOID: "VOID",
                  SaleKind.EXCHANGE: "EXCHANGE"}


def _rule(weight: float = 0.5, colour: object = INK) -> HRFlowable:
    return HRFlowable(width="100%", thickness=weight, color=colour, spaceBefore=3, spaceAfter=3)


Row: TypeAlias = tuple[str, str, str, ParagraphStyle, ParagraphStyle]
"""One receipt row: text, amount, rate code, and the styles of the text and of the figures."""


def _money_rows(rows: list[Row], *, pad: float = 1, wide_figures: bool = False) -> Table:
    """Rows of description | amount | rate code, the amounts right-aligned in one column.

    ``wide_figures``: totals and payments have no rate code, so their figures run to the right edge
    (a large total in the bigger type stays on one line); item figures stay in line with each other.
    """
    data = [[rich(left, left_style), rich(amount, right_style), rich(code, right_style)]
            for left, amount, code, left_style, right_style in rows]
    # A note line with no figure (quantity, references, the VAT split) may use the full width.
    spans = [("SPAN", (0, row), (-1, row)) for row, (_, amount, code, *_) in enumerate(rows) if not amount and not code]
    if wide_figures:
        spans += [("SPAN", (1, row), (2, row)) for row, (_, amount, code, *_) in enumerate(rows) if amount and not code]
    table = Table(data, colWidths=[ROLL_CONTENT_WIDTH - _AMOUNT_WIDTH - _CODE_WIDTH, _AMOUNT_WIDTH, _CODE_WIDTH])
    table.setStyle(TableStyle([
        *spans,
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), pad),
        ("BOTTOMPADDING", (0, 0), (-1, -1), pad),
    ]))
    return table


def _sub(s: Styles) -> ParagraphStyle:
    """Detail under a line (quantity, discount, VAT split, payment reference): muted and indented."""
    return ParagraphStyle("sub", parent=s.cell_muted, leftIndent=2.5 * mm)


def _item_rows(item: SaleItem, s: Styles, muted_right: ParagraphStyle) -> list[Row]:
    rows = [(markup(item.description), format_money(item.before_discount), item.rate_codes, s.cell, s.cell_right)]
    if item.quantity != 1:
        rows.append((f"{item.quantity} × {format_money(item.unit_price)}", "", "", _sub(s), muted_right))
    if item.discount:
        reason = f" ({markup(item.discount_reason)})" if item.discount_reason else ""
        rows.append((f"Discount{reason}", format_money(-item.discount), "", _sub(s), muted_right))
    if item.is_apportioned:
        # One muted line, no figure in the amount column, so the split never reads as extra charges.
        split = ", ".join(f"{markup(part_label(part).removeprefix('of which '))} {format_money(part.gross)} "
                          f"{RATE_CODES[part.rate]}" for part in item.parts)
        rows.append((f"of which {split}", "", "", _sub(s), muted_right))
    return rows


def _tender_rows(tender: Tender, s: Styles, muted_right: ParagraphStyle) -> list[Row]:
    if tender.kind is TenderKind.CASH and tender.tendered is not None:
        rows = [("Cash tendered", format_money(tender.tendered), "", s.cell, s.cell_right)]
    else:
        rows = [(markup(tender.label), format_money(tender.amount), "", s.cell, s.cell_right)]
    if tender.reference_text:
        rows.append((markup(tender.reference_text), "", "", _sub(s), muted_right))
    return rows


def _vat_summary(sale: Sale, s: Styles) -> Table:
    header = [rich(text, s.header_cell if i < 2 else s.header_cell_right)
              for i, text in enumerate(("", "VAT rate", "Net", "VAT", "Gross"))]
    data = [header]
    for total in sale.vat.rate_totals:
        data.append([rich(RATE_CODES[total.rate], s.cell), rich(rate_label(total.rate, total.rate_percent), s.cell),
                     rich(format_money(total.net), s.cell_right), rich(format_money(total.vat), s.cell_right),
                     rich(format_money(total.gross), s.cell_right)])
    data.append([rich("", s.cell_bold), rich("Total", s.cell_bold), rich(format_money(sale.vat.net), s.cell_right),
                 rich(format_money(sale.vat.vat), s.cell_right), rich(format_money(sale.vat.gross), s.cell_right)])
    amount = 15.5 * mm
    table = Table(data, colWidths=[5 * mm, ROLL_CONTENT_WIDTH - 5 * mm - 3 * amount, amount, amount, amount])
    table.setStyle(TableStyle([
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ("LINEBELOW", (0, 0), (-1, 0), 0.4, INK),
        ("LINEABOVE", (0, -1), (-1, -1), 0.4, INK),
    ]))
    return table


def _details(rows: list[tuple[str, str]], s: Styles) -> Table:
    """Invoice number, time of supply, till…: label left, value right, the value column wide enough
    for a date and time on one line."""
    right = ParagraphStyle("detail_right", parent=s.cell, alignment=2)
    label_width = 27 * mm
    table = Table([[para(label, s.cell_muted), para(value, right)] for label, value in rows],
                  colWidths=[label_width, ROLL_CONTENT_WIDTH - label_width])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 0.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5),
    ]))
    return table


def _marker(text: str, s: Styles) -> Table:
    style = ParagraphStyle("marker", parent=s.body_bold, alignment=TA_CENTER, textColor=DANGER_INK)
    table = Table([[para(text, style)]], colWidths=[ROLL_CONTENT_WIDTH])
    table.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1, DANGER_INK), ("TOPPADDING", (0, 0), (-1, -1), 2),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))
    return table


def render_receipt(sale: Sale, *, printed_at: datetime | None = None) -> bytes:
    """The receipt as a one-page PDF, 80 mm wide (see the module docstring)."""
    s = make_styles(size=8)
    muted_right = ParagraphStyle("muted_right", parent=s.cell_muted, alignment=2)
    centre = ParagraphStyle("centre_small", parent=s.small, alignment=TA_CENTER)
    title_style = ParagraphStyle("receipt_title", parent=s.body_bold, alignment=TA_CENTER, fontSize=12, leading=15)
    total_left = ParagraphStyle("total_left", parent=s.body_bold, fontSize=11, leading=14)
    total_right = ParagraphStyle("total_right", parent=total_left, alignment=2)

    story: list[Flowable] = [*roll_letterhead(sale.supplier, s), gap(2)]
    marker = sale.reprint_marker()
    if marker:
        story += [_marker(marker, s), gap(2)]
    story.append(para(_TITLES[sale.kind], title_style))
    if sale.is_credit:
        story.append(para("Credit note", centre))
    elif sale.may_be_simplified:
        story.append(para("Simplified VAT invoice", centre))
    else:
        story.append(para("VAT receipt — a full VAT invoice is available on request", centre))
    if sale.kind is not SaleKind.SALE:
        headline_style = ParagraphStyle("headline", parent=s.body_bold, alignment=TA_CENTER,
                                        textColor=DANGER_INK if sale.is_credit else INK)
        story += [gap(1), para(sale.headline(), headline_style)]
        if sale.reason:
            story.append(para(f"Reason: {sale.reason}", centre))
    story.append(_rule())

    details = [("Invoice no.", sale.invoice_number), ("Date/time of supply", uk_datetime(sale.supplied_at))]
    if sale.receipt_number:
        details.append(("Receipt no.", sale.receipt_number))
    if sale.till_name:
        details.append(("Till", sale.till_name))
    if sale.served_by:
        details.append(("Served by", sale.served_by))
    if sale.customer is not None:
        details.append(("Customer", sale.customer.name))
    story.append(_details(details, s))
    story.append(_rule())

    item_rows = [row for item in sale.items for row in _item_rows(item, s, muted_right)]
    story += [_money_rows(item_rows), _rule()]

    totals: list[Row] = []
    if sale.discount_total:
        totals.append(("Subtotal", format_money(sale.subtotal), "", s.cell, s.cell_right))
        totals.append(("Discounts", format_money(-sale.discount_total), "", s.cell, s.cell_right))
    story.append(_money_rows([*totals, ("TOTAL", format_money(sale.total), "", total_left, total_right)],
                             wide_figures=True))

    if sale.tenders:
        tender_rows = [row for tender in sale.tenders for row in _tender_rows(tender, s, muted_right)]
        if sale.change:
            tender_rows.append(("CHANGE", format_money(sale.change), "", s.cell_bold,
                                ParagraphStyle("change", parent=s.cell_bold, alignment=2)))
        if sale.balance:
            label = "BALANCE TO PAY" if sale.balance > 0 else "STILL TO PAY BACK"
            tender_rows.append((label, format_money(abs(sale.balance)), "", s.cell_bold,
                                ParagraphStyle("balance", parent=s.cell_bold, alignment=2)))
        story += [gap(1), _money_rows(tender_rows, wide_figures=True)]
    story += [_rule(), _vat_summary(sale, s)]

    notes = []
    if sale.apportionment_note:
        notes.append(sale.apportionment_note)
    if sale.paid_by_voucher:
        notes.append(VOUCHER_NOTE)
    if sale.footer_note:
        notes.append(sale.footer_note)
    if notes:
        story += [gap(2), *(para(note, ParagraphStyle("note", parent=s.cell_muted, alignment=TA_CENTER, spaceAfter=2))
                            for note in notes)]
    story += [_rule(0.3, MUTED), para(f"Printed {uk_datetime(printed_at or london_now())}", centre)]
    if marker:
        story += [gap(1), _marker(marker, s)]
    title = f"{_TITLES[sale.kind].capitalize()} {sale.invoice_number}"
    return build_roll(story, title=title, author=sale.supplier.practice_name, subject="Till receipt")
