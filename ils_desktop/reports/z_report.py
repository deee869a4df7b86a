"""The till X and Z reports on A4, as a PDF, for the back-office file.

An **X report** is a reading during the day: it is *not a close* — the session stays open and
nothing is reset. A **Z report** closes the session: it carries the counted cash and the difference
from what the drawer should hold, and a numbered Z is what the day's takings are reconciled and
banked against. Both show who opened (and closed) the till and when, the float, takings by tender,
cash paid in and out with reasons, the number of sales, refunds and voids, the discounts given and
the VAT by rate (the figures a VAT return is built from, HMRC VAT Notice 700 §19 on records).

Expected cash follows ``domain.till_rules.expected_cash``: float + cash takings (cash tenders net of
change and cash refunds) + cash paid in − cash paid out; the difference is counted − expected
(``cash_difference``: positive over, negative short).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final, Literal

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Table, TableStyle

from ils_desktop.domain.money import format_money, require_pennies
from ils_desktop.domain.till_rules import TenderKind, cash_difference, expected_cash
from ils_desktop.domain.vat import VatTotals
from ils_desktop.reports.layout import (
    ACCENT,
    CALM_FILL,
    CONTENT_WIDTH,
    DANGER_INK,
    RULE,
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
    london,
    london_now,
    make_styles,
    para,
    rich,
    section_heading,
    uk_datetime,
)
from ils_desktop.reports.sale import rate_label

ZERO: Final = Decimal("0.00")


class ReportKind(StrEnum):
    X = "X"
    Z = "Z"


@dataclass(frozen=True)
class TenderTakings:
    """What one kind of tender took in the session (net of refunds paid back the same way)."""

    kind: TenderKind
    count: int
    amount: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", TenderKind(self.kind))
        object.__setattr__(self, "amount", require_pennies(self.amount, what=f"{self.kind.label} takings"))


@dataclass(frozen=True)
class CashMovement:
    """Cash paid into or taken out of the drawer other than by a sale (a float top-up, the window cleaner)."""

    at: datetime
    direction: Literal["in", "out"]
    amount: Decimal  # positive
    reason: str
    by: str | None = None

    def __post_init__(self) -> None:
        if self.direction not in ("in", "out"):
            raise ValueError(f"a cash movement is 'in' or 'out', not {self.direction!r}")
        amount = require_pennies(self.amount, what="cash movement")
        if amount <= 0:
            raise ValueError("a cash movement amount is positive; its direction says in or out")
        if not self.reason.strip():
            raise ValueError("every cash movement needs its reason")
        object.__setattr__(self, "amount", amount)


@dataclass(frozen=True)
class TillReport:
    """One till session's X or Z report (see the module docstring).

    ``refunds_total`` and ``voids_total`` are negative, as recorded. ``expected_cash`` may be given
    as recorded; it is then checked against the float, cash takings and movements.
    """

    kind: ReportKind
    practice: Letterhead
    till_name: str
    session_id: str
    opened_at: datetime
    opened_by: str
    opening_float: Decimal
    takings: tuple[TenderTakings, ...]
    vat: VatTotals
    sales_count: int
    sales_total: Decimal
    refunds_count: int = 0
    refunds_total: Decimal = ZERO
    voids_count: int = 0
    voids_total: Decimal = ZERO
    discount_total: Decimal = ZERO
    cash_movements: tuple[CashMovement, ...] = ()
    counted_cash: Decimal | None = None
    expected_cash: Decimal | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    z_number: int | None = None
    notes: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ReportKind(self.kind))
        object.__setattr__(self, "takings", tuple(self.takings))
        object.__setattr__(self, "cash_movements", tuple(self.cash_movements))
        if self.kind is ReportKind.Z:
            if self.closed_at is None or not self.closed_by:
                raise ValueError("a Z report closes the till: who closed it and when are needed")
            if self.counted_cash is None:
                raise ValueError("a Z report closes the till: the counted cash is needed")
        elif self.closed_at is not None:
            raise ValueError("an X report is a reading of an open till; a closed session has a Z report")
        computed = expected_cash(self.opening_float, self.cash_takings, self.cash_in, self.cash_out)
        if self.expected_cash is not None and require_pennies(self.expected_cash) != computed:
            raise ValueError(f"expected cash {format_money(self.expected_cash)} does not match float + cash takings "
                             f"+ cash in − cash out = {format_money(computed)}")
        object.__setattr__(self, "expected_cash", computed)

    @property
    def cash_takings(self) -> Decimal:
        return sum((t.amount for t in self.takings if t.kind is TenderKind.CASH), ZERO)

    @property
    def cash_in(self) -> Decimal:
        return sum((m.amount for m in self.cash_movements if m.direction == "in"), ZERO)

    @property
    def cash_out(self) -> Decimal:
        return sum((m.amount for m in self.cash_movements if m.direction == "out"), ZERO)

    @property
    def takings_total(self) -> Decimal:
        return sum((t.amount for t in self.takings), ZERO)

    @property
    def difference(self) -> Decimal | None:
        """Counted − expected: positive over, negative short; None when not counted."""
        if self.counted_cash is None or self.expected_cash is None:
            return None
        return cash_difference(self.counted_cash, self.expected_cash)


# --------------------------------------------------------------------------------------------------


HALF: Final = CONTENT_WIDTH / 2 - 3 * mm
"""Width of each of two tables set side by side (6 mm apart)."""


def _side_by_side(left: list[Flowable], right: list[Flowable]) -> Table:
    table = Table([[left, right]], colWidths=[HALF + 6 * mm, HALF], hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _money_table(header: list[str], rows: list[list[str]], styles: Styles, widths_mm: list[float], *,
                 numeric_from: int, total: list[str] | None = None, width: float = CONTENT_WIDTH) -> Table:
    """A grid whose columns from ``numeric_from`` on are right-aligned figures, with an optional total row."""
    s = styles
    data: list[list[object]] = [[para(text, s.header_cell_right if i >= numeric_from else s.header_cell)
                                 for i, text in enumerate(header)]]
    for row in rows:
        data.append([para(text, s.cell_right if i >= numeric_from else s.cell) for i, text in enumerate(row)])
    extra: list[tuple[object, ...]] = []
    if total is not None:
        bold_right = s.cell_bold.clone("bold_right", alignment=2)
        data.append([para(text, bold_right if i >= numeric_from else s.cell_bold) for i, text in enumerate(total)])
        extra.append(("LINEABOVE", (0, -1), (-1, -1), 0.8, RULE))
    widths = [w * mm for w in widths_mm]
    widths[0] += width - sum(widths)
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(grid_style(body_rows=len(rows), extra=extra))
    return table


def _session(report: TillReport, styles: Styles) -> Table:
    s = styles
    half = CONTENT_WIDTH / 2 - 3 * mm
    left: list[tuple[str, str | Flowable]] = [("Till", report.till_name), ("Session", report.session_id)]
    if report.z_number is not None:
        left.append(("Z number", rich(bold(str(report.z_number)), s.body)))
    right: list[tuple[str, str | Flowable]] = [("Opened", f"{uk_datetime(report.opened_at)} by {report.opened_by}")]
    if report.closed_at is not None:
        right.append(("Closed", f"{uk_datetime(report.closed_at)} by {report.closed_by}"))
    else:
        right.append(("Closed", rich(bold("Still open"), s.body)))
    table = Table([[key_values(left, s, width=half, label_width=24 * mm),
                    key_values(right, s, width=half, label_width=18 * mm)]], colWidths=[half + 6 * mm, half])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _reconciliation(report: TillReport, styles: Styles) -> Table:
    s = styles
    rows: list[list[object]] = [
        [para("Opening float", s.body), para(format_money(report.opening_float), s.right)],
        [para("+ Cash takings (net)", s.body),
         para(format_money(report.cash_takings), s.right)],
        [para("+ Cash paid in", s.body), para(format_money(report.cash_in), s.right)],
        [para("− Cash paid out", s.body), para(format_money(report.cash_out), s.right)],
        [rich(bold("Expected in drawer"), s.body), rich(bold(format_money(report.expected_cash or ZERO)), s.right)],
    ]
    commands: list[tuple[object, ...]] = [("LINEABOVE", (0, 4), (-1, 4), 0.8, ACCENT)]
    difference = report.difference
    if report.counted_cash is None:
        rows.append([para("Counted", s.body), para("—", s.right)])
        rows.append([para("Cash is counted when the till is closed (Z report).", s.muted), ""])
        commands.append(("SPAN", (0, -1), (-1, -1)))
    else:
        rows.append([para("Counted", s.body), para(format_money(report.counted_cash), s.right)])
        assert difference is not None
        if difference == 0:
            words, colour = "Difference: balanced", ACCENT
        else:
            words, colour = f"Difference: {'over' if difference > 0 else 'short'}", DANGER_INK
        money = format_money(difference) if difference <= 0 else f"+{format_money(difference)}"
        ink = s.body_bold.clone("difference", textColor=colour)
        rows.append([para(words, ink), para(money, ink.clone("difference_r", alignment=2))])
        commands.append(("LINEABOVE", (0, -1), (-1, -1), 0.8, ACCENT))
        commands.append(("LINEBELOW", (0, -1), (-1, -1), 0.8, ACCENT))
    table = Table(rows, colWidths=[HALF - 26 * mm, 26 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                               *commands]))
    return table


def _sign_off(styles: Styles) -> Table:
    s = styles
    table = Table([[para("Counted by", s.label), "", para("Checked by", s.label)]],
                  colWidths=[80 * mm, 14 * mm, CONTENT_WIDTH - 94 * mm], rowHeights=[14 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("LINEBELOW", (0, 0), (0, 0), 0.6, RULE), ("LINEBELOW", (2, 0), (2, 0), 0.6, RULE)]))
    return table


def render_till_report(report: TillReport, *, printed_at: datetime | None = None) -> bytes:
    """The X or Z report as A4 PDF bytes (see the module docstring)."""
    s = make_styles()
    story: list[Flowable] = [letterhead_block(report.practice, s), gap(4)]
    if report.kind is ReportKind.Z:
        headline = "Z REPORT — END OF DAY CLOSE" + (f" (Z {report.z_number})" if report.z_number is not None else "")
        story.append(banner(headline, s, fill=CALM_FILL, ink=ACCENT, width=CONTENT_WIDTH,
                            detail="The till session is closed; these are its final figures."))
    else:
        story.append(banner("X REPORT — MID-DAY READING: NOT A CLOSE", s, fill=WARNING_FILL, ink=WARNING_INK,
                            width=CONTENT_WIDTH,
                            detail="The till stays open and nothing is reset; the figures are as at printing."))
    story += [gap(4), _session(report, s)]

    transactions = _money_table(
        ["", "Number", "Amount"],
        [["Sales", str(report.sales_count), format_money(report.sales_total)],
         ["Refunds", str(report.refunds_count), format_money(report.refunds_total)],
         ["Voids", str(report.voids_count), format_money(report.voids_total)],
         ["Discounts given (in sales)", "", format_money(report.discount_total)]],
        s, [30, 16, 24], numeric_from=1, width=HALF,
        total=["Net takings", "", format_money(report.sales_total + report.refunds_total + report.voids_total)])
    tenders = _money_table(
        ["Tender", "Number", "Amount"],
        [[t.kind.label, str(t.count), format_money(t.amount)] for t in report.takings],
        s, [30, 16, 24], numeric_from=1, width=HALF,
        total=["Total", str(sum(t.count for t in report.takings)), format_money(report.takings_total)])
    # A heading's space before is dropped at the top of a table cell, so the gap is explicit here.
    story += [gap(3), _side_by_side([section_heading("Transactions", s), transactions],
                                    [section_heading("Takings by tender", s), tenders])]

    if report.cash_movements:
        story.append(section_heading("Cash paid in and out", s))
        story.append(_money_table(
            ["Reason", "Time", "By", "In", "Out"],
            [[m.reason, f"{london(m.at):%H:%M}", m.by or "", format_money(m.amount) if m.direction == "in" else "",
              format_money(m.amount) if m.direction == "out" else ""] for m in report.cash_movements],
            s, [60, 16, 34, 24, 24], numeric_from=3,
            total=["Total", "", "", format_money(report.cash_in), format_money(report.cash_out)]))

    vat_rows = [[rate_label(r.rate, r.rate_percent), format_money(r.net), format_money(r.vat), format_money(r.gross)]
                for r in report.vat.rate_totals]
    vat = _money_table(
        ["Rate", "Net", "VAT", "Gross"], vat_rows, s, [12, 24, 20, 24], numeric_from=1, width=HALF,
        total=["Total", format_money(report.vat.net), format_money(report.vat.vat), format_money(report.vat.gross)])
    story += [gap(3), _side_by_side([section_heading("Cash in the drawer", s), _reconciliation(report, s)],
                                    [section_heading("VAT by rate", s), vat])]

    if report.notes:
        story += [section_heading("Notes", s), para(report.notes, s.body)]
    if report.kind is ReportKind.Z:
        story += [gap(8), _sign_off(s)]
    title = f"{report.kind.value} report"
    furniture = PageFurniture(practice_name=report.practice.practice_name, title=title,
                              reference=f"{report.till_name} · session {report.session_id}",
                              printed_at=printed_at or london_now())
    return build_a4(story, furniture, subject=f"{title} for {report.till_name}, session {report.session_id}")
