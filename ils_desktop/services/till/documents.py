"""Till documents: the recorded figures of a transaction (``SaleDocument``, for the till roll and
reprints), the receipt (80 mm) and the full VAT invoice or credit note (A4) as PDF, and the X/Z report
as PDF.

Everything is read from the transaction as checkout recorded it, never recomputed. This module is
the one place that knows the report modules' input shapes (``reports.sale.Sale`` for
``reports.receipt`` and ``reports.invoice``, ``reports.z_report.TillReport``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.till_rules import ZERO, TenderKind
from ils_desktop.domain.vat import RateTotal, SupplyKind, VatPart, VatRate, VatTotals
from ils_desktop.domain.vat_invoice import is_package
from ils_desktop.errors import NotFound, UserFacingError
from ils_desktop.models.core import Company
from ils_desktop.repositories.till_sales import RecordedLine, RecordedPayment, RecordedTransaction, SaleRecords
from ils_desktop.services import clock, pdf_files
from ils_desktop.services.till.sessions import SessionReport
from ils_desktop.services.use_case import use_case

if TYPE_CHECKING:  # the report modules load reportlab: only when a document is made
    from ils_desktop.reports.sale import Sale


class DocumentUnavailable(UserFacingError):
    title = "Document not available"


@dataclass(frozen=True)
class DocumentLine:
    description: str
    quantity: int
    unit_price: Decimal
    discount: Decimal
    gross: Decimal
    vat_rate: str
    vat_rate_percent: Decimal | None
    net: Decimal
    vat: Decimal
    #: A spectacles or contact-lens package: part standard-rated goods, part exempt dispensing.
    apportioned: bool = False


@dataclass(frozen=True)
class DocumentTender:
    label: str
    amount: Decimal
    reference: str
    tendered: Decimal | None
    change: Decimal


@dataclass(frozen=True)
class DocumentVatRow:
    rate: str
    percent: Decimal | None
    net: Decimal
    vat: Decimal
    gross: Decimal

    @property
    def label(self) -> str:
        if self.percent is None:
            return {"exempt": "Exempt", "outside_scope": "Outside the scope"}.get(self.rate, self.rate.title())
        return f"{self.percent.normalize():f}%"


@dataclass(frozen=True)
class SaleDocument:
    """Everything a receipt or a VAT invoice shows, as recorded (never recomputed)."""

    transaction_id: uuid.UUID
    kind: str
    number: int
    invoice_number: int
    invoice_kind: str
    issued_at: datetime
    practice_name: str
    practice_address: str
    practice_phone: str
    practice_email: str
    vat_number: str
    customer_name: str
    customer_address: str
    till_name: str
    cashier_name: str
    authorised_by_name: str
    reason: str
    original_number: int | None
    original_invoice_number: int | None
    receipt_lines: tuple[DocumentLine, ...]
    invoice_lines: tuple[DocumentLine, ...]
    vat_rows: tuple[DocumentVatRow, ...]
    tenders: tuple[DocumentTender, ...]
    subtotal: Decimal
    discount_total: Decimal
    total: Decimal
    net_total: Decimal
    vat_total: Decimal
    change_given: Decimal
    apportionment_note: str
    credit_note_code: str


@dataclass(frozen=True)
class _Recorded:
    transaction: RecordedTransaction
    lines: list[RecordedLine]
    payments: list[RecordedPayment]


def _read(uow: TenantUnitOfWork, transaction_id: uuid.UUID) -> _Recorded:
    records = uow.repository(SaleRecords)
    found = records.transaction(transaction_id=transaction_id)
    if found is None:
        raise NotFound("That transaction was not found.")
    assert found.invoice_number is not None
    return _Recorded(found, records.lines(transaction_id), records.payments(transaction_id))


def _vat_rows(summary: list[dict[str, Any]] | None) -> list[tuple[str, Decimal | None, Decimal, Decimal, Decimal]]:
    return [(row["rate"], None if row["percent"] is None else Decimal(row["percent"]), Decimal(row["gross"]),
             Decimal(row["net"]), Decimal(row["vat"])) for row in summary or ()]


@use_case(permission="till.sell", read_only=True)
def sale_document(uow: TenantUnitOfWork, transaction_id: uuid.UUID) -> SaleDocument:
    """The recorded figures of a transaction and its invoice, for receipts, invoices and reprints."""
    recorded = _read(uow, transaction_id)
    t, payments = recorded.transaction, recorded.payments
    company = uow.companies.current()
    credit_note = next((p.reference or "" for p in payments if p.tender == "credit_note" and p.amount < 0), "")
    invoice_lines = uow.repository(SaleRecords).invoice_lines(transaction_id)
    assert t.invoice_number is not None and t.invoice_kind is not None and t.issued_at is not None
    return SaleDocument(
        transaction_id=t.id, kind=t.kind, number=t.number, invoice_number=t.invoice_number,
        invoice_kind=t.invoice_kind, issued_at=t.issued_at, practice_name=t.supplier_name or "",
        practice_address=t.supplier_address or "", practice_phone=company.phone or "",
        practice_email=company.email or "", vat_number=t.supplier_vat_number or "",
        customer_name=t.customer_name or "", customer_address=t.customer_address or "",
        till_name=t.till_name or "", cashier_name=t.cashier_name, authorised_by_name=t.authorised_by_name,
        reason=t.reason or "", original_number=t.original_number, original_invoice_number=t.original_invoice_number,
        receipt_lines=tuple(DocumentLine(
            i.description, i.quantity, i.unit_price, i.line_discount + i.basket_discount_share, i.gross, i.vat_rate,
            i.vat_rate_percent, i.net, i.vat, is_package(i.supply_kind)) for i in recorded.lines),
        invoice_lines=tuple(DocumentLine(
            i.description, i.quantity, i.unit_price, ZERO, i.gross, i.vat_rate, i.vat_rate_percent, i.net, i.vat)
            for i in invoice_lines),
        vat_rows=tuple(DocumentVatRow(rate, percent, net, vat, gross)
                       for rate, percent, gross, net, vat in _vat_rows(t.vat_summary)),
        tenders=tuple(DocumentTender(_tender_label(p), p.amount, p.reference or "", p.tendered, p.change_given)
                      for p in payments),
        subtotal=t.subtotal, discount_total=t.discount_total, total=t.total, net_total=t.net_total,
        vat_total=t.vat_total, change_given=t.change_given, apportionment_note=t.apportionment_note or "",
        credit_note_code=credit_note,
    )


def _tender_label(payment: RecordedPayment) -> str:
    label = TenderKind(payment.tender).label
    if payment.tender == "nhs_voucher":
        code = payment.voucher_code if payment.voucher_code not in (None, "", "-") else ""
        label = f"{label} {code}".strip()
        if payment.amount < 0:
            label += " (claim withdrawn)"
    return label


# --- PDF ----------------------------------------------------------------------------------------


def _letterhead(company: Company) -> Any:
    from ils_desktop.reports.layout import Letterhead

    address = company.address or {}
    lines = tuple(str(address[k]) for k in ("line1", "line2", "town", "county", "postcode") if address.get(k))
    if not lines:
        raise DocumentUnavailable("The practice's address is not set, and every printed document needs it. Ask a "
                                  "manager to add it in Practice settings.")
    return Letterhead(practice_name=company.name, address_lines=lines, phone=company.phone, email=company.email,
                      goc_number=company.goc_number, ods_code=company.ods_code, vat_number=company.vat_number)


def _parts(item: RecordedLine) -> tuple[VatPart, ...]:
    """The recorded VAT parts of a transaction line: goods + exempt dispensing for a package."""
    rate = VatRate(item.vat_rate)
    if is_package(item.supply_kind) and item.service_gross:
        goods = VatPart(SupplyKind.GOODS, rate, item.vat_rate_percent, item.goods_gross,
                        item.goods_gross - item.vat, item.vat)
        service = VatPart(SupplyKind.SERVICE, VatRate.EXEMPT, None, item.service_gross, item.service_gross, ZERO)
        return (goods, service) if item.goods_gross else (service,)
    kind = SupplyKind.SERVICE if item.supply_kind == "service" else SupplyKind.GOODS
    return (VatPart(kind, rate, item.vat_rate_percent, item.gross, item.net, item.vat),)


def _sale(uow: TenantUnitOfWork, transaction_id: uuid.UUID, *, reprinted_at: datetime | None = None,
          footer_note: str | None = None) -> Sale:
    from ils_desktop.reports import sale as report

    recorded = _read(uow, transaction_id)
    t = recorded.transaction
    company = uow.companies.current()
    if not company.vat_number:
        raise DocumentUnavailable("The practice's VAT registration number is not set, and a VAT receipt or invoice "
                                  "must show it. Ask a manager to add it in Practice settings.")
    items = []
    for item in recorded.lines:
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
    for payment in recorded.payments:
        kind = TenderKind(payment.tender)
        detail = None
        if kind is TenderKind.NHS_VOUCHER and payment.voucher_code and payment.voucher_code not in ("-", ""):
            detail = f"GOS 3, band {payment.voucher_code}"
        tendered = payment.tendered if kind is TenderKind.CASH and payment.amount > 0 and payment.tendered else None
        tenders.append(report.Tender(
            kind=kind, amount=payment.amount, reference=payment.reference, tendered=tendered,
            change=payment.change_given, voucher_value=payment.voucher_value if payment.amount > 0 else None,
            detail=detail))
    vat = VatTotals(rate_totals=tuple(RateTotal(VatRate(rate), percent, gross, net, vat_)
                                      for rate, percent, gross, net, vat_ in _vat_rows(t.vat_summary)))
    kind_ = report.SaleKind(t.kind)
    customer = None
    if t.customer_name:
        address = tuple(part.strip() for part in (t.customer_address or "").split(","))
        customer = report.Customer(t.customer_name, address)
    linked = kind_ is not report.SaleKind.SALE and t.original_invoice_number is not None
    assert t.invoice_number is not None and t.issued_at is not None
    return report.Sale(
        supplier=_letterhead(company), invoice_number=str(t.invoice_number), supplied_at=t.issued_at,
        items=tuple(items), vat=vat, kind=kind_, tenders=tuple(tenders), customer=customer,
        receipt_number=str(t.number), till_name=t.till_name, served_by=t.cashier_name or None,
        original_invoice_number=str(t.original_invoice_number) if linked else None,
        original_supplied_at=t.original_issued_at if linked else None,
        reason=t.reason, reprinted_at=reprinted_at, apportionment_note=t.apportionment_note,
        footer_note=footer_note,
    )


def _receipt_pdf(uow: TenantUnitOfWork, transaction_id: uuid.UUID, reprint: bool) -> bytes:
    from ils_desktop.reports.receipt import render_receipt

    return render_receipt(_sale(uow, transaction_id, reprinted_at=clock.now() if reprint else None,
                                footer_note="Thank you. Please keep your receipt: it is your proof of purchase."))


def _invoice_pdf(uow: TenantUnitOfWork, transaction_id: uuid.UUID, reprint: bool) -> bytes:
    from ils_desktop.reports.invoice import render_invoice

    sale = _sale(uow, transaction_id, reprinted_at=clock.now() if reprint else None)
    if sale.customer is None or not sale.customer.address_lines:
        raise DocumentUnavailable("A full VAT invoice needs the customer's name and address. Link the sale to "
                                  "the patient (their address is on their record), or give the receipt instead.")
    return render_invoice(sale)


@use_case(permission="till.sell", read_only=True)
def receipt_pdf(uow: TenantUnitOfWork, transaction_id: uuid.UUID, *, reprint: bool = False) -> bytes:
    """The receipt (a simplified VAT invoice up to £250) as an 80 mm PDF; a reprint is marked COPY."""
    return _receipt_pdf(uow, transaction_id, reprint)


@use_case(permission="till.sell", read_only=True)
def invoice_pdf(uow: TenantUnitOfWork, transaction_id: uuid.UUID, *, reprint: bool = False) -> bytes:
    """The full VAT invoice (or credit note) as an A4 PDF: it needs the customer's name and address.
    A copy made later (``reprint``) is marked COPY so it cannot pass for a second invoice."""
    return _invoice_pdf(uow, transaction_id, reprint)


@use_case(permission="till.sell", read_only=True)
def save_document(uow: TenantUnitOfWork, transaction_id: uuid.UUID, number: int, which: str, folder: Path, *,
                  reprint: bool = False) -> Path:
    """Write the ``receipt`` or full VAT ``invoice`` of receipt ``number`` as ``<which>-<number>.pdf`` in
    ``folder`` and return its path; a copy is marked as one (and named ``…-copy.pdf``)."""
    make = _receipt_pdf if which == "receipt" else _invoice_pdf
    data = make(uow, transaction_id, reprint)
    return pdf_files.save_pdf(data, folder / f"{which}-{number}{'-copy' if reprint else ''}.pdf")


@use_case(permission="till.sell", read_only=True)
def save_session_report(uow: TenantUnitOfWork, report_: SessionReport, path: Path) -> Path:
    """Write the X or Z report as a PDF at ``path`` (whole or not at all)."""
    return pdf_files.save_pdf(_report_pdf(uow, report_), path)


@use_case(permission="till.sell", read_only=True)
def session_report_pdf(uow: TenantUnitOfWork, report_: SessionReport) -> bytes:
    """The X or Z report of a till session as an A4 PDF."""
    return _report_pdf(uow, report_)


def _report_pdf(uow: TenantUnitOfWork, report_: SessionReport) -> bytes:
    from ils_desktop.reports import z_report

    letterhead = _letterhead(uow.companies.current())
    till_report = z_report.TillReport(
        kind=z_report.ReportKind(report_.kind), practice=letterhead, till_name=report_.till_name,
        session_id=str(report_.session_number), opened_at=report_.opened_at, opened_by=report_.opened_by,
        opening_float=report_.opening_float,
        takings=tuple(z_report.TenderTakings(TenderKind(tender), count, amount)
                      for tender, count, amount in report_.tenders),
        vat=VatTotals(rate_totals=tuple(RateTotal(VatRate(rate), percent, gross, net, vat)
                                        for rate, percent, gross, net, vat in report_.vat_rates)),
        sales_count=report_.sales_count, sales_total=report_.sales_total,
        refunds_count=report_.refunds_count - report_.voids_count,
        refunds_total=report_.refunds_total - report_.voids_total,
        voids_count=report_.voids_count, voids_total=report_.voids_total,
        discount_total=report_.discounts_total,
        cash_movements=tuple(z_report.CashMovement(at, "in" if kind == "cash_in" else "out", amount, reason)
                             for at, kind, amount, reason in report_.cash_movements),
        counted_cash=report_.counted_cash if report_.kind == "Z" else None,
        expected_cash=report_.expected_cash,
        closed_at=report_.closed_at if report_.kind == "Z" else None,
        closed_by=report_.closed_by or None if report_.kind == "Z" else None,
        z_number=report_.z_number, notes=report_.notes or None,
    )
    return z_report.render_till_report(till_report, printed_at=report_.printed_at)
