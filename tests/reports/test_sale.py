"""Checks on the data a VAT document is printed from (HMRC VAT Notice 700 §16): lines and totals agree."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from ils_desktop.domain.till_rules import TenderKind
from ils_desktop.domain.vat import SaleLine, SupplyKind, VatRate, vat_breakdown
from ils_desktop.reports.sale import SaleItem, SaleKind, Tender, rate_label
from tests.reports import samples

D = Decimal


def test_sample_sale_figures() -> None:
    sale = samples.sale()
    assert sale.subtotal == D("187.48")
    assert sale.discount_total == D("14.90")
    assert sale.total == D("172.58")
    assert sale.change == D("1.42")
    assert sale.balance == 0
    assert sale.paid_by_voucher
    assert sale.items[0].rate_codes == "S+E" and sale.items[0].rate_text == "20% / Exempt"


def test_rate_labels() -> None:
    assert rate_label(VatRate.STANDARD, D("20")) == "20%"
    assert rate_label(VatRate.REDUCED, D("5.0")) == "5%"
    assert rate_label(VatRate.ZERO, D("0")) == "0%"
    assert rate_label(VatRate.EXEMPT, None) == "Exempt"
    assert rate_label(VatRate.OUTSIDE_SCOPE, None) == "Outside scope"


def test_simplified_invoice_limit_is_250_pounds_including_vat() -> None:
    def sale_of(amount: str) -> bool:
        breakdown = vat_breakdown([SaleLine("Frame", D(amount))], samples.SCHEME)
        item = SaleItem("Frame", 1, D(amount), breakdown.lines[0].parts)
        return samples.sale(items=(item,), vat=breakdown, tenders=()).may_be_simplified

    assert sale_of("250.00")
    assert not sale_of("250.01")


def test_lines_must_agree_with_the_vat_analysis() -> None:
    sale = samples.sale()
    with pytest.raises(ValueError, match="lines add up to"):
        samples.sale(items=sale.items[:-1])


def test_item_parts_must_add_up_to_the_line() -> None:
    parts = samples.sale().items[2].parts  # 2 × £4.99
    with pytest.raises(ValueError, match="add up to"):
        SaleItem("Lens cleaning spray", 3, D("4.99"), parts)
    with pytest.raises(ValueError, match="quantity"):
        SaleItem("Lens cleaning spray", 0, D("4.99"), parts)
    with pytest.raises(ValueError, match="VAT parts"):
        SaleItem("Lens cleaning spray", 1, D("4.99"), ())


def test_item_from_breakdown_works_back_the_unit_price() -> None:
    breakdown = vat_breakdown([SaleLine("Daily lenses 90 pack", D("97.00"), supply=SupplyKind.CONTACT_LENS_PACKAGE)],
                              samples.SCHEME)
    item = SaleItem.from_breakdown(breakdown.lines[0], quantity=2, discount=D("3.00"))
    assert item.unit_price == D("50.00")
    assert item.is_apportioned and item.gross == D("97.00")


def test_vat_number_invoice_number_and_original_invoice_are_required() -> None:
    with pytest.raises(ValueError, match="VAT registration number"):
        samples.sale(supplier=replace(samples.PRACTICE, vat_number=None))
    with pytest.raises(ValueError, match="sequential number"):
        samples.sale(invoice_number=" ")
    with pytest.raises(ValueError, match="reverses"):
        samples.refund(original_invoice_number=None)


def test_tender_rules() -> None:
    with pytest.raises(ValueError, match="only cash gives change"):
        Tender(TenderKind.CARD, D("10.00"), change=D("1.00"))
    with pytest.raises(ValueError, match="not the amount"):
        Tender(TenderKind.CASH, D("8.00"), tendered=D("10.00"), change=D("1.00"))
    with pytest.raises(ValueError, match="only cash"):
        Tender(TenderKind.CARD, D("8.00"), tendered=D("10.00"))
    assert Tender(TenderKind.CARD, D("5.00"), reference="ABC").reference_text == "Terminal ref. ABC"
    voucher = Tender(TenderKind.NHS_VOUCHER, D("40.00"), reference="GOS3-1", voucher_value=D("44.00"))
    assert voucher.reference_text == "Voucher GOS3-1, value £44.00"
    assert Tender(TenderKind.GIFT_CARD, D("5.00"), reference="6033").reference_text == "Gift card no. 6033"
    assert Tender(TenderKind.CASH, D("-4.99")).label == "Cash refunded"


def test_refund_headline_names_the_original_invoice() -> None:
    refund = samples.refund()
    assert refund.kind is SaleKind.REFUND
    assert refund.headline() == "REFUND of invoice INV-000123 dated 10/03/2026"
    assert samples.refund(reprinted_at=samples.PRINTED_AT).reprint_marker() == "COPY — reprinted 10/03/2026 16:45"
    assert samples.sale().headline() == "" and samples.sale().reprint_marker() is None
