"""Receipts, VAT invoices, credit notes and the Z report as PDF, built from recorded sales: the figures on
paper are the figures in the database."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from decimal import Decimal

import pytest

from ils_desktop.domain.till_rules import TenderKind
from ils_desktop.services import till
from ils_desktop.services.till import Basket, BasketItem, ReturnRequest, Tender
from ils_desktop.services.till import documents as till_documents
from ils_desktop.services.till.documents import DocumentUnavailable
from ils_desktop.services.use_case import run
from tests.till_setup import Shop, give_practice_letterhead, open_shop

D = Decimal


def _text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    if shutil.which("pdftotext") is None:  # read it with pypdf instead
        import io

        from pypdf import PdfReader

        return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True)
    return re.sub(r"\s+", " ", out.stdout.decode("utf-8"))


@pytest.fixture
def shop(database, owner_engine, practice) -> Shop:
    give_practice_letterhead(owner_engine, practice.company_id)
    return open_shop(database, owner_engine, practice)


def _sale(database, shop: Shop) -> till.TransactionRecorded:  # type: ignore[no-untyped-def]
    return run(database, shop.reception.context, till.check_out, Basket(
        shop.session_id, (BasketItem(shop.frame), BasketItem(shop.solution, quantity=2)),
        (Tender(TenderKind.NHS_VOUCHER, D("42.40"), "GOS3-778812", "A"),
         Tender(TenderKind.CARD, D("80.00"), "AUTH 4471"), Tender(TenderKind.CASH, D("20.00"))),
        patient_id=shop.patient_id), uuid.uuid4())


def test_the_receipt_shows_what_a_simplified_vat_invoice_needs(database, shop):
    sale = _sale(database, shop)
    words = _text(run(database, shop.reception.context, till_documents.receipt_pdf, sale.transaction_id))
    assert "GB123456782" in words and "1 Pier Road" in words
    assert str(sale.invoice_number) in words
    assert "Ray-Ban Clubmaster" in words and "£139.98" in words
    assert "NHS voucher" in words and "AUTH 4471" in words
    assert "£2.42" in words  # change from £20.00 cash
    reprint = _text(run(database, shop.reception.context, till_documents.receipt_pdf, sale.transaction_id,
                        reprint=True))
    assert "COPY" in reprint


def test_the_full_vat_invoice_splits_spectacles_into_goods_and_exempt_dispensing(database, shop):
    sale = _sale(database, shop)
    words = _text(run(database, shop.reception.context, till_documents.invoice_pdf, sale.transaction_id))
    assert "Ada Lovelace" in words and "12 Harbour Road" in words
    assert "dispensing" in words.lower()
    assert "£66.00" in words and "£54.00" in words  # 55% goods / 45% exempt dispensing of £120
    assert "VAT/APP/2019/0457" in words


def test_a_refund_prints_as_a_credit_note_naming_the_original_invoice(database, shop):
    sale = _sale(database, shop)
    refund = run(database, shop.reception.context, till.refund, sale.transaction_id, [ReturnRequest(2, 1)],
                         "Wrong solution", (Tender(TenderKind.CASH, D("9.99")),), uuid.uuid4(), shop.session_id)
    words = _text(run(database, shop.reception.context, till_documents.invoice_pdf, refund.transaction_id))
    assert f"invoice {sale.invoice_number}" in words.lower() and "Wrong solution" in words
    assert "-£9.99" in words


def test_the_z_report_pdf(database, shop):
    _sale(database, shop)
    report = run(database, shop.admin, till.close_till, shop.session_id, D("117.00"))
    words = _text(run(database, shop.admin, till_documents.session_report_pdf, report))
    assert "Z" in words and "£117.58" in words and "£117.00" in words  # expected vs counted
    assert "-£0.58" in words or "£0.58" in words


def test_a_practice_without_a_vat_number_is_told_what_to_set(database, owner_engine, practice):
    shop = open_shop(database, owner_engine, practice)
    sale = run(database, shop.reception.context, till.check_out, Basket(
        shop.session_id, (BasketItem(shop.solution),), (Tender(TenderKind.CASH, D("10.00")),)), uuid.uuid4())
    with pytest.raises(DocumentUnavailable, match="VAT registration number"):
        run(database, shop.reception.context, till_documents.receipt_pdf, sale.transaction_id)
