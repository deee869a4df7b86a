"""The full VAT invoice (or credit note for a refund or void) on A4, as a PDF.

HMRC VAT Notice 700 §16.3 (full VAT invoice): a unique sequential number; the time of supply and
the date of issue if different; the supplier's name, address and VAT registration number; the
customer's name and address; for each line a description, the quantity, the unit price, the rate of
VAT and the amount excluding VAT; any discount; the total excluding VAT, the total VAT and the total
payable, with VAT shown by rate. Spectacles and contact lenses sold for one price are shown with their
apportionment between standard-rated goods and exempt dispensing (Notice 701/57, VATVAL12300–12440).
A refund or void is a credit note naming the invoice it reverses ("REFUND of invoice INV-000123");
a reprint says "COPY — reprinted dd/mm/yyyy" on every page.

Long baskets run onto further pages; the line table's header repeats on each.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Table, TableStyle

from ils_desktop.domain.money import format_money
from ils_desktop.domain.till_rules import TenderKind
from ils_desktop.reports.layout import (
    ACCENT,
    CALM_FILL,
    CONTENT_WIDTH,
    DANGER_FILL,
    DANGER_INK,
    INK,
    RULE,
    ZEBRA_FILL,
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
    uk_datetime,
)
from ils_desktop.reports.sale import (
    VOUCHER_NOTE,
    Customer,
    Sale,
    SaleItem,
    SaleKind,
    Tender,
    part_label,
    rate_label,
)

__all__ = ["Customer", "Sale", "SaleItem", "SaleKind", "Tender", "render_invoice"]

def _title(sale: Sale) -> str:
    return "VAT credit note" if sale.is_credit else "VAT invoice"

# Qty, Unit price, Discount, Net, VAT rate, VAT, Total (mm); the description takes the rest.
_NUMBER_COLUMNS_MM: Final = (9, 19, 17, 19, 17, 16, 20)


def _head(sale: Sale, styles: Styles) -> Table:
    """The title and the invoice's particulars on the left; who it is to on the right."""
    s = styles
    credit = sale.is_credit
    rows: list[tuple[str, str | Flowable]] = [
        ("Credit note number" if credit else "Invoice number", rich(bold(sale.invoice_number), s.body)),
        ("Time of supply", uk_datetime(sale.supplied_at)),
    ]
    if sale.issued_at is not None and uk_date(sale.issued_at) != uk_date(sale.supplied_at):
        rows.append(("Date of issue", uk_date(sale.issued_at)))
    if sale.receipt_number:
        rows.append(("Receipt number", sale.receipt_number))
    if sale.till_name or sale.served_by:
        rows.append(("Till / served by", " / ".join(x for x in (sale.till_name, sale.served_by) if x)))
    if sale.kind is not SaleKind.SALE:
        rows.append(("Original invoice", sale.original_invoice_number or ""))
    rows.append(("Supplier VAT no.", rich(bold(sale.supplier.vat_number or ""), s.body)))
    half = CONTENT_WIDTH / 2 - 4 * mm
    left = [para(_title(sale), s.title), key_values(rows, s, width=half, label_width=31 * mm)]
    right: list[Flowable] = [para("Credited to" if credit else "Invoice to", s.heading)]
    customer = sale.customer
    assert customer is not None  # checked by render_invoice
    lines = [bold(customer.name), *(markup(line) for line in customer.address_lines)]
    if customer.account_number:
        lines.append(f"Account {markup(customer.account_number)}")
    if customer.vat_number:
        lines.append(f"VAT reg. no. {markup(customer.vat_number)}")
    right.append(rich("<br/>".join(lines), s.body))
    table = Table([[left, right]], colWidths=[half + 8 * mm, half])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _lines_table(sale: Sale, styles: Styles) -> Table:
    s = styles
    header = [para("Description", s.header_cell)] + [
        para(text, s.header_cell_right)
        for text in ("Qty", "Unit price inc. VAT", "Discount", "Net", "VAT rate", "VAT", "Total inc. VAT")
    ]
    data: list[list[object]] = [header]
    commands: list[tuple[object, ...]] = []
    for index, item in enumerate(sale.items):
        first_row = len(data)
        description = markup(item.description)
        if item.code:
            description += f" <font color='#5b6670'>({markup(item.code)})</font>"
        if item.discount and item.discount_reason:
            description += f"<br/><font size='7.5' color='#5b6670'>{markup(item.discount_reason)}</font>"
        data.append([
            rich(description, s.cell), para(str(item.quantity), s.cell_right),
            para(format_money(item.unit_price), s.cell_right),
            para(format_money(-item.discount) if item.discount else "", s.cell_right),
            para(format_money(item.net), s.cell_right), para(item.rate_text, s.cell_right),
            para(format_money(item.vat), s.cell_right), para(format_money(item.gross), s.cell_right),
        ])
        if item.is_apportioned:
            # The apportioned parts under the line, so the VAT of a package can be checked part by part.
            for part in item.parts:
                data.append([
                    para(part_label(part), s.cell_muted.clone("part", leftIndent=4 * mm)), "", "", "",
                    para(format_money(part.net), s.cell_muted.clone("part_r", alignment=2)),
                    para(rate_label(part.rate, part.rate_percent), s.cell_muted.clone("part_r2", alignment=2)),
                    para(format_money(part.vat), s.cell_muted.clone("part_r3", alignment=2)),
                    para(format_money(part.gross), s.cell_muted.clone("part_r4", alignment=2)),
                ])
        last_row = len(data) - 1
        commands.append(("NOSPLIT", (0, first_row), (-1, last_row)))
        if index % 2 == 1:  # zebra by item, so a package line and its parts share one shade
            commands.append(("BACKGROUND", (0, first_row), (-1, last_row), ZEBRA_FILL))
    widths = [w * mm for w in _NUMBER_COLUMNS_MM]
    table = Table(data, colWidths=[CONTENT_WIDTH - sum(widths), *widths], repeatRows=1)
    table.setStyle(grid_style(zebra=False, extra=[("VALIGN", (0, 0), (-1, -1), "TOP"), *commands]))
    return table


def _totals(sale: Sale, styles: Styles) -> Table:
    s = styles
    rows: list[list[object]] = []
    if sale.discount_total:
        rows.append([para("Total before discounts", s.body), para(format_money(sale.subtotal), s.right)])
        rows.append([para("Discounts", s.body), para(format_money(-sale.discount_total), s.right)])
    rows += [
        [para("Total excluding VAT", s.body), para(format_money(sale.vat.net), s.right)],
        [para("Total VAT", s.body), para(format_money(sale.vat.vat), s.right)],
        [rich(bold("Total credited" if sale.is_credit else "Total payable"), s.body),
         rich(bold(format_money(sale.total)), s.right)],
    ]
    table = Table(rows, colWidths=[45 * mm, 30 * mm])
    table.setStyle(TableStyle([
        ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LINEABOVE", (0, -1), (-1, -1), 1, ACCENT), ("LINEBELOW", (0, -1), (-1, -1), 1, ACCENT),
        ("TOPPADDING", (0, -1), (-1, -1), 3), ("BOTTOMPADDING", (0, -1), (-1, -1), 3),
    ]))
    return table


def _vat_analysis(sale: Sale, styles: Styles) -> Table:
    s = styles
    data: list[list[object]] = [[para(text, s.header_cell if i == 0 else s.header_cell_right)
                                 for i, text in enumerate(("VAT rate", "Net", "VAT", "Gross"))]]
    for total in sale.vat.rate_totals:
        data.append([para(rate_label(total.rate, total.rate_percent), s.cell),
                     *(para(format_money(v), s.cell_right) for v in (total.net, total.vat, total.gross))])
    data.append([para("Total", s.cell_bold),
                 *(para(format_money(v), s.cell_bold.clone("b_r", alignment=2))
                   for v in (sale.vat.net, sale.vat.vat, sale.vat.gross))])
    table = Table(data, colWidths=[28 * mm, 22 * mm, 20 * mm, 22 * mm])
    table.setStyle(grid_style(zebra=False, extra=[("LINEABOVE", (0, -1), (-1, -1), 0.8, RULE)]))
    return table


def _payments(sale: Sale, styles: Styles) -> Table:
    s = styles
    data: list[list[object]] = [[para("Payment", s.header_cell), para("Reference", s.header_cell),
                                 para("Amount", s.header_cell_right)]]
    for tender in sale.tenders:
        reference = tender.reference_text or ""
        if tender.kind is TenderKind.CASH and tender.tendered is not None:
            reference = f"Tendered {format_money(tender.tendered)}, change {format_money(tender.change)}"
        data.append([para(tender.label, s.cell), para(reference, s.cell), para(format_money(tender.amount),
                                                                                 s.cell_right)])
    if sale.balance:
        label = "Balance to pay" if sale.balance > 0 else "Still to pay back"
        data.append([rich(bold(label), s.cell), "", rich(bold(format_money(abs(sale.balance))), s.cell_right)])
    table = Table(data, colWidths=[60 * mm, 84 * mm, 30 * mm])
    table.setStyle(grid_style(zebra=False))
    return table


def render_invoice(sale: Sale, *, printed_at: datetime | None = None) -> bytes:
    """The full VAT invoice (or credit note) as A4 PDF bytes (see the module docstring).

    ``ValueError`` when the customer's name and address are missing: a full VAT invoice must carry
    them (Notice 700 §16.3); a simplified invoice is ``reports.receipt``.
    """
    if sale.customer is None or not sale.customer.name.strip() or not sale.customer.address_lines:
        raise ValueError("a full VAT invoice needs the customer's name and address; print a receipt instead")
    s = make_styles()
    marker = sale.reprint_marker()
    story: list[Flowable] = [letterhead_block(sale.supplier, s), gap(4)]
    if marker:
        story += [banner(marker, s, fill=DANGER_FILL, ink=DANGER_INK, width=CONTENT_WIDTH,
                         detail="This is a copy of an invoice already issued; it is not a new invoice."), gap(3)]
    if sale.kind is not SaleKind.SALE:
        detail = f"Reason: {sale.reason}" if sale.reason else None
        fill, ink = (DANGER_FILL, DANGER_INK) if sale.is_credit else (CALM_FILL, INK)
        story += [banner(sale.headline(), s, fill=fill, ink=ink, width=CONTENT_WIDTH, detail=detail), gap(3)]
    story += [_head(sale, s), gap(6), _lines_table(sale, s), gap(4)]
    summary = Table([[_vat_analysis(sale, s), _totals(sale, s)]], colWidths=[CONTENT_WIDTH - 75 * mm, 75 * mm])
    summary.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                 ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    story.append(KeepTogether([section_heading("VAT analysis", s), summary]))
    if sale.tenders:
        story.append(KeepTogether([section_heading("Payments", s), _payments(sale, s)]))
    notes = [note for note in (sale.apportionment_note, VOUCHER_NOTE if sale.paid_by_voucher else None,
                               sale.footer_note) if note]
    if notes:
        story += [gap(4), *(para(note, s.muted) for note in notes)]
    title = _title(sale)
    furniture = PageFurniture(practice_name=sale.supplier.practice_name, title=title, reference=sale.invoice_number,
                              printed_at=printed_at or london_now(), marker=marker)
    return build_a4(story, furniture, subject=f"{title} {sale.invoice_number}")
