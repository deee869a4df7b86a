"""The stock valuation: what the stock on hand is worth at cost (weighted average cost), by
category, with the retail value beside it — for the practice manager and the year-end accounts.

Valuation basis: perpetual weighted average cost (IAS 2 para. 27; FRS 102 section 13.18), the
average moved by each delivery at its received cost (docs/domain/inventory.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from reportlab.platypus import Flowable, Table

from ils_desktop.domain.money import format_money
from ils_desktop.reports.layout import (
    ACCENT,
    CALM_FILL,
    CONTENT_WIDTH,
    Letterhead,
    PageFurniture,
    banner,
    build_a4,
    fit,
    gap,
    grid_style,
    letterhead_block,
    london_now,
    make_styles,
    para,
    section_heading,
    uk_datetime,
)

ZERO = Decimal("0.00")
CHUNK = 200


@dataclass(frozen=True)
class ValuationLine:
    category: str
    name: str
    barcode: str
    on_hand: int
    unit_cost: Decimal | None
    value: Decimal
    retail_value: Decimal


@dataclass(frozen=True)
class CategoryTotal:
    category: str
    units: int
    value: Decimal
    retail_value: Decimal


@dataclass(frozen=True)
class StockValuation:
    practice: Letterhead
    as_at: datetime
    lines: Sequence[ValuationLine]
    categories: Sequence[CategoryTotal]
    units: int
    value: Decimal
    retail_value: Decimal
    uncosted: int  # lines with no cost known (valued at 0)


def _grid(header: list[str], rows: list[list[str]], widths_mm: list[float], numeric_from: int,
          total: list[str] | None) -> Table:
    from reportlab.lib.units import mm

    s = make_styles(8.5)
    data: list[list[object]] = [[para(t, s.header_cell_right if i >= numeric_from else s.header_cell)
                                 for i, t in enumerate(header)]]
    data += [[para(t, s.cell_right if i >= numeric_from else s.cell) for i, t in enumerate(row)] for row in rows]
    extra: list[tuple[object, ...]] = []
    if total is not None:
        bold_right = s.cell_bold.clone("bold_right", alignment=2)
        data.append([para(t, bold_right if i >= numeric_from else s.cell_bold) for i, t in enumerate(total)])
        extra.append(("LINEABOVE", (0, -1), (-1, -1), 0.8, ACCENT))
    widths = [w * mm for w in widths_mm]
    widths[0] += CONTENT_WIDTH - sum(widths)
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(grid_style(body_rows=len(rows), extra=extra))
    return table


def _items(rows: list[list[str]]) -> Table:
    """The item lines as plain one-line cells (a name too long for its column is cut with an
    ellipsis): thousands of lines lay out in seconds, where a paragraph per cell takes minutes."""
    from reportlab.lib.units import mm

    s = make_styles(8.5)
    font, bold, size = s.cell.fontName, s.header_cell.fontName, s.cell.fontSize
    widths = [0.0, 30 * mm, 14 * mm, 22 * mm, 24 * mm, 24 * mm]
    widths[0] = CONTENT_WIDTH - sum(widths)
    data: list[list[str]] = [["Item", "Barcode", "Units", "Avg cost", "Value", "Retail value"]]
    data += [[fit(row[0], font, size, widths[0] - 8), *row[1:]] for row in rows]
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(grid_style(body_rows=len(rows), extra=[
        ("FONT", (0, 0), (-1, 0), bold, size), ("FONT", (0, 1), (-1, -1), font, size),
        ("TEXTCOLOR", (0, 0), (-1, 0), s.header_cell.textColor), ("ALIGN", (2, 0), (-1, -1), "RIGHT")]))
    return table


def render_stock_valuation(valuation: StockValuation, *, printed_at: datetime | None = None) -> bytes:
    s = make_styles()
    story: list[Flowable] = [letterhead_block(valuation.practice, s), gap(4)]
    story.append(banner(f"Stock valuation at cost: {format_money(valuation.value)}", s, fill=CALM_FILL, ink=ACCENT,
                        width=CONTENT_WIDTH,
                        detail=f"As at {uk_datetime(valuation.as_at)} (UK time) · {valuation.units} units · "
                               f"retail value {format_money(valuation.retail_value)} · weighted average cost"))
    story += [section_heading("By category", s), _grid(
        ["Category", "Units", "Value at cost", "Retail value"],
        [[c.category, str(c.units), format_money(c.value), format_money(c.retail_value)] for c in valuation.categories],
        [0, 20, 32, 32], 1,
        ["Total", str(valuation.units), format_money(valuation.value), format_money(valuation.retail_value)])]
    story.append(section_heading("Items", s))
    rows = [[line.name, line.barcode, str(line.on_hand), format_money(line.unit_cost) if line.unit_cost is not None
             else "—", format_money(line.value), format_money(line.retail_value)] for line in valuation.lines]
    # Tables of a few hundred rows: reportlab splits a long table across pages in time that grows
    # with its length, so a catalogue of tens of thousands of lines is laid out as many short tables.
    for start in range(0, len(rows), CHUNK):
        story.append(_items(rows[start:start + CHUNK]))
    note = ("Valued at perpetual weighted average cost: each delivery moves an item's average cost by its received "
            "cost (IAS 2 para. 27, FRS 102 s.13.18); items leave the shelf at the average. Items with no cost known "
            f"are valued at nil ({valuation.uncosted} line{'s' if valuation.uncosted != 1 else ''}). Negative stock, "
            "where the practice allows it, reduces the value.")
    story += [gap(3), para(note, s.muted)]
    furniture = PageFurniture(practice_name=valuation.practice.practice_name, title="Stock valuation",
                              reference=f"{valuation.as_at:%d/%m/%Y}", printed_at=printed_at or london_now())
    return build_a4(story, furniture, subject="Stock valuation at weighted average cost")
