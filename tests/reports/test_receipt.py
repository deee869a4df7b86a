"""The till receipt: a simplified VAT invoice on an 80 mm roll (HMRC VAT Notice 700 §16.6)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ils_desktop.domain.till_rules import TenderKind
from ils_desktop.domain.vat import SupplyKind, VatRate
from ils_desktop.reports.layout import ROLL_WIDTH
from ils_desktop.reports.receipt import render_receipt
from ils_desktop.reports.sale import SaleKind, Tender
from tests.reports import samples
from tests.reports.conftest import assert_pdf, flat_text, page_sizes

D = Decimal


def test_receipt_is_one_80mm_page() -> None:
    pdf = render_receipt(samples.sale(), printed_at=samples.PRINTED_AT)
    assert_pdf(pdf)
    sizes = page_sizes(pdf)
    assert len(sizes) == 1
    width, height = sizes[0]
    assert width == pytest.approx(ROLL_WIDTH, abs=0.01)
    assert 400 < height < 1000  # as tall as the receipt, not an A4 sheet


def test_receipt_carries_the_simplified_invoice_particulars() -> None:
    text = flat_text(render_receipt(samples.sale(), printed_at=samples.PRINTED_AT))
    for expected in (
        "Hughes & Daughters Opticians", "14 Market Street, Ludlow, Shropshire, SY8 1AA", "VAT reg. no. GB 123 4567 89",
        "RECEIPT", "Simplified VAT invoice", "Invoice no. INV-000123", "Date/time of supply 10/03/2026 14:32",
        "Served by Sam Carter",
        "£149.00 S+E", "Discount (Staff discount 10%) -£14.90", "of which goods £73.76 S",
        "dispensing (exempt service) £60.34 E", "Private sight test £25.00 E", "2 × £4.99",
        "Subtotal £187.48", "Discounts -£14.90", "TOTAL £172.58",
        "NHS voucher (GOS 3, band A) £44.00", "Voucher GOS3-7731920, value £44.00",
        "Card (Visa contactless ****4421) £100.00", "Terminal ref. A1B2C3 / 004512",
        "Cash tendered £30.00", "CHANGE £1.42",
        "S 20% £72.71 £14.53 £87.24", "E Exempt £85.34 £0.00 £85.34", "Total £158.05 £14.53 £172.58",
        "NHS optical voucher is a payment, not a discount", "HMRC/APP/2024/0001", "Printed 10/03/2026 16:45",
    ):
        assert expected in text, expected
    assert "COPY" not in text


def test_refund_reprint_is_marked() -> None:
    text = flat_text(render_receipt(samples.refund(reprinted_at=samples.PRINTED_AT), printed_at=samples.PRINTED_AT))
    assert "REFUND of invoice INV-000123 dated 10/03/2026" in text
    assert "Reason: Unopened, returned within 14 days" in text
    assert "Credit note" in text
    assert "Cash refunded -£4.99" in text
    assert "TOTAL -£4.99" in text
    assert text.count("COPY — reprinted 10/03/2026 16:45") == 2  # at the top and the bottom


def test_void_names_the_original() -> None:
    text = flat_text(render_receipt(samples.refund(kind=SaleKind.VOID, reason="Rung up twice"),
                                    printed_at=samples.PRINTED_AT))
    assert "VOID" in text and "VOID of invoice INV-000123" in text and "Reason: Rung up twice" in text


def test_over_250_pounds_offers_the_full_invoice() -> None:
    basket = (("Varifocal spectacles", 1, D("389.00"), D("0.00"), VatRate.STANDARD, SupplyKind.SPECTACLES_PACKAGE),)
    items, breakdown = samples.items_and_vat(basket)
    sale = samples.sale(items=items, vat=breakdown,
                        tenders=(Tender(TenderKind.GIFT_CARD, D("389.00"), reference="6033 1234 5678"),))
    text = flat_text(render_receipt(sale, printed_at=samples.PRINTED_AT))
    assert "a full VAT invoice is available on request" in text
    assert "Simplified VAT invoice" not in text
    assert "Gift card no. 6033 1234 5678" in text


def test_unpaid_balance_is_shown() -> None:
    sale = samples.sale(tenders=(Tender(TenderKind.NHS_VOUCHER, D("44.00"), reference="GOS3-1"),))
    assert "BALANCE TO PAY £128.58" in flat_text(render_receipt(sale, printed_at=samples.PRINTED_AT))


def test_thirty_lines_stay_on_one_longer_roll() -> None:
    short = page_sizes(render_receipt(samples.sale(), printed_at=samples.PRINTED_AT))[0][1]
    pdf = render_receipt(samples.big_invoice(), printed_at=samples.PRINTED_AT)
    sizes = page_sizes(pdf)
    assert len(sizes) == 1 and sizes[0][1] > short
    text = flat_text(pdf)
    assert "2 × £31.25" in text and "TOTAL £1,833.25" in text  # the 30th line and the total

