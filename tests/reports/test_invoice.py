"""The full VAT invoice and credit note on A4 (HMRC VAT Notice 700 §16.3)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from reportlab.lib.pagesizes import A4

from ils_desktop.domain.vat import SupplyKind, VatRate
from ils_desktop.reports.invoice import render_invoice
from ils_desktop.reports.sale import Customer, SaleKind
from tests.reports import samples
from tests.reports.conftest import assert_pdf, flat_text, page_sizes, pdf_text, squashed

D = Decimal


def test_invoice_carries_the_full_invoice_particulars() -> None:
    pdf = render_invoice(samples.sale(), printed_at=samples.PRINTED_AT)
    assert_pdf(pdf)
    assert page_sizes(pdf) == [pytest.approx(A4, abs=0.01)]
    text = flat_text(pdf)
    for expected in (
        # (The head's two columns interleave in the text, so labels and values are checked apart.)
        "VAT invoice", "Invoice number", "INV-000123", "Time of supply", "10/03/2026 14:32", "Supplier VAT no.",
        "VAT reg. no. GB 123 4567 89", "Hughes & Daughters Opticians", "14 Market Street, Ludlow, Shropshire, SY8 1AA",
        "Invoice to", "Margaret Hughes", "3 Broad Street", "SY8 1NG", "Account C-10442",
        "Description Qty", "Unit price", "Net", "VAT",
        "Private sight test 1 £25.00 £25.00 Exempt £0.00 £25.00",
        "Lens cleaning spray 30 ml 2 £4.99 £8.32 20% £1.66 £9.98",
        "of which goods £61.47 20% £12.29 £73.76", "£60.34 Exempt £0.00 £60.34",
        "20% £72.71 £14.53 £87.24", "Exempt £85.34 £0.00 £85.34", "Total £158.05 £14.53 £172.58",
        "Total before discounts £187.48", "Discounts -£14.90", "Total excluding VAT £158.05", "Total VAT £14.53",
        "Total payable £172.58",
        "Terminal ref. A1B2C3 / 004512", "Voucher GOS3-7731920, value £44.00", "Tendered £30.00, change £1.42",
        "Page 1 of 1",
    ):
        assert expected in text, expected


def test_thirty_lines_run_onto_more_pages_with_the_header_repeated() -> None:
    pdf = render_invoice(samples.big_invoice(reprinted_at=samples.PRINTED_AT), printed_at=samples.PRINTED_AT)
    pages = [squashed(page) for page in pdf_text(pdf, layout=True).split("\f")[:-1]]
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert "Description Qty Unit price Discount Net VAT rate VAT Total inc." in page, number
        assert "COPY — reprinted 10/03/2026 16:45" in page, number
        assert f"Page {number} of {len(pages)}" in page
    whole = " ".join(pages)
    assert "£31.25 £52.08 20% £10.42 £62.50" in whole  # the 30th line
    assert "Total payable £1,833.25" in whole
    assert "Severn Valley Engineering Ltd" in pages[0] and "VAT reg. no. GB 555 1234 09" in pages[0]


def test_refund_is_a_credit_note_naming_the_invoice() -> None:
    sale = samples.refund(customer=Customer("Margaret Hughes", ("3 Broad Street", "Ludlow", "SY8 1NG")))
    text = flat_text(render_invoice(sale, printed_at=samples.PRINTED_AT))
    for expected in ("REFUND of invoice INV-000123 dated 10/03/2026", "VAT credit note", "Credit note number",
                     "INV-000131", "Original invoice", "Credited to", "Total credited -£4.99", "Cash refunded"):
        assert expected in text, expected


def test_void_is_marked() -> None:
    sale = samples.refund(kind=SaleKind.VOID, customer=samples.sale().customer)
    assert "VOID of invoice INV-000123" in flat_text(render_invoice(sale, printed_at=samples.PRINTED_AT))


@pytest.mark.parametrize(("sign", "title", "total_caption"), [
    (-1, "VAT credit note", "Total credited"),  # swapped for cheaper items: money goes back
    (1, "VAT invoice", "Total payable"),  # swapped for dearer items: the difference is paid
])
def test_an_exchange_is_an_invoice_or_a_credit_note_by_which_way_the_money_goes(sign, title, total_caption) -> None:
    basket = ((samples.BASKET[2][0], 1, D("4.99"), D("0.00"), VatRate.STANDARD, SupplyKind.GOODS),)
    items, breakdown = samples.items_and_vat(basket, sign=sign)
    sale = samples.refund(kind=SaleKind.EXCHANGE, items=items, vat=breakdown, tenders=(),
                          customer=samples.sale().customer, reason="Prefers the blue case")
    assert sale.is_credit is (sign < 0)
    text = flat_text(render_invoice(sale, printed_at=samples.PRINTED_AT))
    for expected in ("EXCHANGE of invoice INV-000123 dated 10/03/2026", "Reason: Prefers the blue case", title,
                     "Original invoice", total_caption):
        assert expected in text, expected


def test_full_invoice_needs_the_customers_name_and_address() -> None:
    with pytest.raises(ValueError, match="customer's name and address"):
        render_invoice(samples.sale(customer=None))
    with pytest.raises(ValueError, match="customer's name and address"):
        render_invoice(samples.sale(customer=Customer("Margaret Hughes")))


def test_long_supplier_and_customer_do_not_overlap() -> None:
    sale = samples.sale(supplier=replace(samples.LONG_PRACTICE), customer=samples.big_invoice().customer)
    text = flat_text(render_invoice(sale, printed_at=samples.PRINTED_AT))
    assert "Upper Wharfedale" in text and "Oyelaran-" in text and "Page 1 of 1" in text
