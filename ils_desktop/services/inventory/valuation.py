"""The stock valuation at weighted average cost, as figures for the screen and as a PDF."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.errors import UserFacingError
from ils_desktop.reports.layout import Letterhead
from ils_desktop.reports.stock_valuation import CategoryTotal, StockValuation, ValuationLine, render_stock_valuation
from ils_desktop.repositories.inventory import StockRepository
from ils_desktop.services import clock
from ils_desktop.services.use_case import use_case

__all__ = ["StockValuation", "stock_valuation", "stock_valuation_pdf"]

CATEGORY_LABELS = {"frame": "Frames", "sunglasses": "Sunglasses", "spectacle_lens": "Spectacle lenses",
                   "lens_option": "Lens options", "contact_lens": "Contact lenses", "solution": "Solutions",
                   "accessory": "Accessories", "service": "Services"}


def _letterhead(uow: TenantUnitOfWork) -> Letterhead:
    company = uow.companies.current()
    address = company.address or {}
    lines = tuple(str(address[k]) for k in ("line1", "line2", "town", "county", "postcode") if address.get(k))
    if not lines:
        raise UserFacingError("The practice's address is not set, and every printed document needs it. Ask a "
                              "manager to add it in Practice settings.")
    return Letterhead(practice_name=company.name, address_lines=lines, phone=company.phone, email=company.email,
                      vat_number=company.vat_number)


def _valuation(uow: TenantUnitOfWork, letterhead: Letterhead | None) -> StockValuation:
    rows = uow.repository(StockRepository).valuation()
    lines = [ValuationLine(CATEGORY_LABELS.get(category, category), name, barcode, on_hand, cost, value, retail)
             for category, name, barcode, on_hand, cost, value, retail in rows]
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0)])
    uncosted = 0
    for line in lines:
        total = totals[line.category]
        total[0] += line.on_hand
        total[1] += line.value
        total[2] += line.retail_value
        uncosted += line.unit_cost is None
    categories = [CategoryTotal(name, int(t[0]), t[1], t[2]) for name, t in sorted(totals.items())]
    practice = letterhead or Letterhead(practice_name="-", address_lines=("-",))
    return StockValuation(practice, clock.now(), lines, categories, sum(c.units for c in categories),
                          sum((c.value for c in categories), Decimal("0.00")),
                          sum((c.retail_value for c in categories), Decimal("0.00")), uncosted)


@use_case(permission="inventory.manage", read_only=True)
def stock_valuation(uow: TenantUnitOfWork) -> StockValuation:
    """What the stock on hand is worth at weighted average cost, by item and category."""
    return _valuation(uow, None)


@use_case(permission="inventory.manage", read_only=True)
def stock_valuation_pdf(uow: TenantUnitOfWork) -> bytes:
    """The valuation as an A4 PDF with the practice's letterhead."""
    return render_stock_valuation(_valuation(uow, _letterhead(uow)))
