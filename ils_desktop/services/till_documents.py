"""Till documents as PDF: the receipt (80 mm roll), the full VAT invoice or credit note (A4), and the X/Z
report (A4).

This module is the one place that knows the report modules' input shapes (``reports.sale.Sale`` for
``reports.receipt`` and ``reports.invoice``, ``reports.z_report.TillReport``): it reads what a document
needs from the recorded sale — the figures exactly as checkout stored them, never recomputed — into
those shapes. If the reports change their inputs, only this adapter changes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from ils_desktop.db.database import Database
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.domain.till_rules import TenderKind
from ils_desktop.domain.vat import RateTotal, SupplyKind, VatPart, VatRate, VatTotals
from ils_desktop.errors import NotFound, UserFacingError
from ils_desktop.models.core import Company
from ils_desktop.repositories.till import TillRepository
from ils_desktop.services import pdf_files
from ils_desktop.services.permissions import require
from ils_desktop.services.till import SessionReport

ZERO = Decimal("0.00")
_PACKAGES = ("spectacles_package", "contact_lens_package")


class DocumentUnavailable(UserFacingError):
    title = "Document not available"


def _letterhead(company: Company):  # type: ignore[no-untyped-def]
    from ils_desktop.reports.layout import Letterhead

    address = company.address or {}
    lines = tuple(str(address[k]) for k in ("line1", "line2", "town", "county", "postcode") if address.get(k))
    if not lines:
        raise DocumentUnavailable("The practice's address is not set, and every printed document needs it. Ask a "
                                  "manager to add it in Practice settings.")
    return Letterhead(practice_name=company.name, address_lines=lines, phone=company.phone, email=company.email,
                      goc_number=company.goc_number, ods_code=company.ods_code, vat_number=company.vat_number)


def _parts(item) -> tuple[VatPart, ...]:  # type: ignore[no-untyped-def]
    """The recorded VAT parts of a transaction line: goods + exempt dispensing for a package."""
    rate = VatRate(item.vat_rate)
    if item.supply_kind in _PACKAGES and item.service_gross:
        goods = VatPart(SupplyKind.GOODS, rate, item.vat_rate_percent, item.goods_gross,
                        item.goods_gross - item.vat, item.vat)
        service = VatPart(SupplyKind.SERVICE, VatRate.EXEMPT, None, item.service_gross, item.service_gross, ZERO)
        return (goods, service) if item.goods_gross else (service,)
    kind = SupplyKind.SERVICE if item.supply_kind == "service" else SupplyKind.GOODS
    return (VatPart(kind, rate, item.vat_rate_percent, item.gross, item.net, item.vat),)


def _sale(uow: TenantUnitOfWork, transaction_id: uuid.UUID, *, reprinted_at: datetime | None = None,  # type: ignore[no-untyped-def]
          footer_note: str | None = None):
    from ils_desktop.reports import sale as report

    till = uow.repository(TillRepository)
    transaction = till.get_transaction(transaction_id)
    if transaction is None:
        raise NotFound("That transaction was not found.")
    invoice = till.invoice_for(transaction.id)
    assert invoice is not None
    company = uow.companies.current()
    if not company.vat_number:
        raise DocumentUnavailable("The practice's VAT registration number is not set, and a VAT receipt or invoice "
                                  "must show it. Ask a manager to add it in Practice settings.")
    items = []
    for item in till.items(transaction.id):
        if item.quantity > 0:
            unit = item.unit_price
            discount = item.line_discount + item.basket_discount_share
        else:  # a returned line: the original unit price paid back, with its share of any discount
            unit = -item.unit_price
            discount = unit * -item.quantity - item.gross
        items.append(report.SaleItem(
            description=item.description, quantity=abs(item.quantity), unit_price=unit, parts=_parts(item),
            discount=discount, discount_reason=item.discount_reason))
    tenders = []
    for payment in till.payments(transaction.id):
        kind = TenderKind(payment.tender)
        detail = None
        if kind is TenderKind.NHS_VOUCHER and payment.voucher_code and payment.voucher_code not in ("-", ""):
            detail = f"GOS 3, band {payment.voucher_code}"
        tendered = payment.tendered if kind is TenderKind.CASH and payment.amount > 0 and payment.tendered else None
        tenders.append(report.Tender(
            kind=kind, amount=payment.amount, reference=payment.reference, tendered=tendered,
            change=payment.change_given, voucher_value=payment.voucher_value if payment.amount > 0 else None,
            detail=detail))
    vat = VatTotals(rate_totals=tuple(
        RateTotal(VatRate(row["rate"]), None if row["percent"] is None else Decimal(row["percent"]),
                  Decimal(row["gross"]), Decimal(row["net"]), Decimal(row["vat"])) for row in invoice.vat_summary))
    original = till.get_transaction(transaction.original_transaction_id) \
        if transaction.original_transaction_id else None
    original_invoice = till.invoice_for(original.id) if original else None
    kind = report.SaleKind(transaction.kind)
    reason = transaction.reason
    customer = None
    if invoice.customer_name:
        address = tuple(part.strip() for part in (invoice.customer_address or "").split(","))
        customer = report.Customer(invoice.customer_name, address)
    cashier = uow.users.get(transaction.cashier_id) if transaction.cashier_id else None
    return report.Sale(
        supplier=_letterhead(company), invoice_number=str(invoice.number), supplied_at=invoice.issued_at,
        items=tuple(items), vat=vat, kind=kind, tenders=tuple(tenders), customer=customer,
        receipt_number=str(transaction.number), till_name=transaction.till_name,
        served_by=cashier.full_name if cashier else None,
        original_invoice_number=str(original_invoice.number) if original_invoice and kind is not
        report.SaleKind.SALE else None,
        original_supplied_at=original_invoice.issued_at if original_invoice and kind is not report.SaleKind.SALE
        else None,
        reason=reason, reprinted_at=reprinted_at, apportionment_note=invoice.apportionment_note,
        footer_note=footer_note,
    )


def receipt_pdf(database: Database, context: TenantContext, transaction_id: uuid.UUID, *,
                reprint: bool = False) -> bytes:
    """The receipt (a simplified VAT invoice up to £250) as an 80 mm PDF; a reprint is marked COPY."""
    require(context, "till.sell")
    from ils_desktop.reports.receipt import render_receipt

    def work(uow: TenantUnitOfWork) -> bytes:
        from ils_desktop.services.till import _now

        return render_receipt(_sale(uow, transaction_id, reprinted_at=_now() if reprint else None,
                                    footer_note="Thank you. Please keep your receipt: it is your proof of purchase."))

    return database.run(context, work, retry_safe=True)


def invoice_pdf(database: Database, context: TenantContext, transaction_id: uuid.UUID, *,
                reprint: bool = False) -> bytes:
    """The full VAT invoice (or credit note) as an A4 PDF: it needs the customer's name and address.
    A copy made later (``reprint``) is marked COPY so it cannot pass for a second invoice."""
    require(context, "till.sell")
    from ils_desktop.reports.invoice import render_invoice

    def work(uow: TenantUnitOfWork) -> bytes:
        from ils_desktop.services.till import _now

        sale = _sale(uow, transaction_id, reprinted_at=_now() if reprint else None)
        if sale.customer is None or not sale.customer.address_lines:
            raise DocumentUnavailable("A full VAT invoice needs the customer's name and address. Link the sale to "
                                      "the patient (their address is on their record), or give the receipt instead.")
        return render_invoice(sale)

    return database.run(context, work, retry_safe=True)


def save_document(database: Database, context: TenantContext, transaction_id: uuid.UUID, number: int, which: str,
                  folder: Path, *, reprint: bool = False) -> Path:
    """Write the ``receipt`` or full VAT ``invoice`` of receipt ``number`` as ``<which>-<number>.pdf`` in
    ``folder`` and return its path; a copy is marked as one (and named ``…-copy.pdf``)."""
    make = receipt_pdf if which == "receipt" else invoice_pdf
    data = make(database, context, transaction_id, reprint=reprint)
    return pdf_files.save_pdf(data, folder / f"{which}-{number}{'-copy' if reprint else ''}.pdf")


def session_report_pdf(database: Database, context: TenantContext, report: SessionReport) -> bytes:
    """The X or Z report of a till session as an A4 PDF."""
    require(context, "till.sell")
    from ils_desktop.reports import z_report

    def work(uow: TenantUnitOfWork) -> bytes:
        letterhead = _letterhead(uow.companies.current())
        till_report = z_report.TillReport(
            kind=z_report.ReportKind(report.kind), practice=letterhead, till_name=report.till_name,
            session_id=str(report.session_number), opened_at=report.opened_at, opened_by=report.opened_by,
            opening_float=report.opening_float,
            takings=tuple(z_report.TenderTakings(TenderKind(tender), count, amount)
                          for tender, count, amount in report.tenders),
            vat=VatTotals(rate_totals=tuple(RateTotal(VatRate(rate), percent, gross, net, vat)
                                            for rate, percent, gross, net, vat in report.vat_rates)),
            sales_count=report.sales_count, sales_total=report.sales_total,
            refunds_count=report.refunds_count - report.voids_count,
            refunds_total=report.refunds_total - report.voids_total,
            voids_count=report.voids_count, voids_total=report.voids_total,
            discount_total=report.discounts_total,
            cash_movements=tuple(z_report.CashMovement(at, "in" if kind == "cash_in" else "out", amount, reason)
                                 for at, kind, amount, reason in report.cash_movements),
            counted_cash=report.counted_cash if report.kind == "Z" else None,
            expected_cash=report.expected_cash,
            closed_at=report.closed_at if report.kind == "Z" else None,
            closed_by=report.closed_by or None if report.kind == "Z" else None,
            z_number=report.z_number, notes=report.notes or None,
        )
        return z_report.render_till_report(till_report, printed_at=report.printed_at)

    return database.run(context, work, retry_safe=True)
