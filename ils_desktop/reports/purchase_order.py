"""A purchase order to a supplier: who orders, from whom, on which account and terms, where to
deliver, and the lines with their costs (exclusive of VAT, as trade prices are quoted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Table, TableStyle

from ils_desktop.domain.money import format_money
from ils_desktop.reports.layout import (
    ACCENT,
    CONTENT_WIDTH,
    Letterhead,
    PageFurniture,
    build_a4,
    gap,
    grid_style,
    key_values,
    letterhead_block,
    london_now,
    make_styles,
    para,
    section_heading,
    uk_date,
    uk_datetime,
)


@dataclass(frozen=True)
class PurchaseOrderLine:
    line_number: int
    description: str
    barcode: str
    sku: str
    quantity: int
    unit_cost: Decimal


@dataclass(frozen=True)
class PurchaseOrderDocument:
    practice: Letterhead
    number: int
    status: str
    created_at: datetime
    supplier: str
    supplier_address: str
    account_number: str
    payment_terms: str
    deliver_to: str
    expected_on: date | None
    notes: str
    ordered_by: str
    lines: tuple[PurchaseOrderLine, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.unit_cost * line.quantity for line in self.lines), Decimal("0.00"))


def render_purchase_order(order: PurchaseOrderDocument, *, printed_at: datetime | None = None) -> bytes:
    s = make_styles()
    half = CONTENT_WIDTH / 2 - 3 * mm
    story: list[Flowable] = [letterhead_block(order.practice, s), gap(3),
                             para(f"Purchase order {order.number}", s.title), gap(2)]
    supplier = [("Supplier", order.supplier)]
    if order.supplier_address:
        supplier.append(("Address", order.supplier_address))
    if order.account_number:
        supplier.append(("Our account", order.account_number))
    if order.payment_terms:
        supplier.append(("Terms", order.payment_terms))
    ours = [("Order date", uk_datetime(order.created_at)), ("Status", order.status),
            ("Deliver to", f"{order.practice.practice_name}, {order.deliver_to}")]
    if order.expected_on:
        ours.append(("Expected", uk_date(order.expected_on)))
    if order.ordered_by:
        ours.append(("Ordered by", order.ordered_by))
    sides = Table([[key_values(supplier, s, width=half, label_width=24 * mm),
                    key_values(ours, s, width=half, label_width=22 * mm)]], colWidths=[half + 6 * mm, half])
    sides.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    story += [sides, section_heading("Items", s)]
    header = ["#", "Item", "Barcode", "Supplier code", "Qty", "Unit cost", "Line total"]
    numeric = {0, 4, 5, 6}
    data: list[list[object]] = [[para(t, s.header_cell_right if i in numeric else s.header_cell)
                                 for i, t in enumerate(header)]]
    for line in order.lines:
        cells = [str(line.line_number), line.description, line.barcode, line.sku, str(line.quantity),
                 format_money(line.unit_cost), format_money(line.unit_cost * line.quantity)]
        data.append([para(t, s.cell_right if i in numeric else s.cell) for i, t in enumerate(cells)])
    bold_right = s.cell_bold.clone("bold_right", alignment=2)
    data.append([para("", s.cell), para("Total (excluding VAT)", s.cell_bold), "", "",
                 para(str(sum(line.quantity for line in order.lines)), bold_right), "",
                 para(format_money(order.total), bold_right)])
    widths = [8 * mm, 0, 30 * mm, 26 * mm, 12 * mm, 20 * mm, 22 * mm]
    widths[1] = CONTENT_WIDTH - sum(widths)
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(grid_style(body_rows=len(order.lines), extra=[("LINEABOVE", (0, -1), (-1, -1), 0.8, ACCENT)]))
    story.append(table)
    if order.notes:
        story += [section_heading("Notes", s), para(order.notes, s.body)]
    story += [gap(4), para("Please quote the order number on the delivery note and invoice. Prices exclude VAT. "
                           "Part deliveries are accepted; the balance stays on order unless we cancel it.", s.muted)]
    furniture = PageFurniture(practice_name=order.practice.practice_name, title="Purchase order",
                              reference=f"PO {order.number}", printed_at=printed_at or london_now())
    return build_a4(story, furniture, subject=f"Purchase order {order.number} to {order.supplier}")
