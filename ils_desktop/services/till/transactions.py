"""Finding till transactions again: by receipt or invoice number, by the customer's name or the amount
(the receipt finder of the refund and reprint dialogs), with their lines and payments."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.receipt_search import ReceiptSearch, read_receipt_search
from ils_desktop.domain.till_rules import VOUCHER_APPLIANCES, ZERO, ReturnedSoFar, SoldLine, TenderKind, returned_line
from ils_desktop.domain.vat import VatRate
from ils_desktop.errors import NotFound
from ils_desktop.repositories.till import TillRepository
from ils_desktop.repositories.till_sales import RecordedTransaction, SaleRecords
from ils_desktop.services.use_case import use_case

__all__ = ["PaymentView", "ReceiptSearch", "TransactionLineView", "TransactionSummary", "TransactionView",
           "find_transaction", "find_transactions", "get_transaction", "read_receipt_search"]


@dataclass(frozen=True)
class TransactionLineView:
    line_number: int
    variant_id: uuid.UUID | None
    description: str
    quantity: int
    unit_price: Decimal
    line_discount: Decimal
    discount_reason: str
    gross: Decimal
    vat_rate: str
    vat: Decimal
    returned: int
    original_line_number: int | None
    returned_gross: Decimal = ZERO
    category: str = ""

    @property
    def voucher_appliance(self) -> bool:
        """Glasses or contact lenses: what an NHS voucher paid towards."""
        return self.category in VOUCHER_APPLIANCES

    def refund_for(self, quantity: int) -> Decimal:
        """What returning ``quantity`` more units gives back (a positive amount), as the refund records it."""
        sold = SoldLine(self.quantity, self.gross, self.gross, ZERO, VatRate(self.vat_rate), None, ZERO)
        so_far = ReturnedSoFar(self.returned, self.returned_gross, self.returned_gross, ZERO)
        return -returned_line(sold, quantity, so_far).gross


@dataclass(frozen=True)
class PaymentView:
    tender: str
    amount: Decimal
    tendered: Decimal | None
    change_given: Decimal
    reference: str
    voucher_code: str

    @property
    def label(self) -> str:
        return TenderKind(self.tender).label


@dataclass(frozen=True)
class TransactionView:
    id: uuid.UUID
    number: int
    invoice_number: int | None
    kind: str
    status: str
    occurred_at: datetime
    patient_id: uuid.UUID | None
    customer_name: str
    cashier_name: str
    authorised_by_name: str
    total: Decimal
    discount_total: Decimal
    vat_total: Decimal
    change_given: Decimal
    reason: str
    original_number: int | None
    lines: tuple[TransactionLineView, ...]
    payments: tuple[PaymentView, ...]
    voucher_paid: Decimal
    voucher_reversed: Decimal
    session_open: bool

    @property
    def refundable(self) -> bool:
        return self.kind == "sale" and self.status in ("completed", "part_refunded")


@dataclass(frozen=True)
class TransactionSummary:
    id: uuid.UUID
    number: int
    kind: str
    status: str
    occurred_at: datetime
    customer_name: str
    total: Decimal
    item_count: int


def _view(records: SaleRecords, found: RecordedTransaction) -> TransactionView:
    """The transaction with its lines (and what was returned of each) and payments (two more queries)."""
    sale = found.kind == "sale"
    payments = records.payments(found.id)
    return TransactionView(
        id=found.id, number=found.number, invoice_number=found.invoice_number, kind=found.kind, status=found.status,
        occurred_at=found.occurred_at, patient_id=found.patient_id, customer_name=found.customer_name or "",
        cashier_name=found.cashier_name, authorised_by_name=found.authorised_by_name, total=found.total,
        discount_total=found.discount_total, vat_total=found.vat_total, change_given=found.change_given,
        reason=found.reason or "", original_number=found.original_number,
        lines=tuple(TransactionLineView(
            i.line_number, i.variant_id, i.description, i.quantity, i.unit_price, i.line_discount,
            i.discount_reason or "", i.gross, i.vat_rate, i.vat, i.returned.quantity if sale else 0,
            i.original_line_number, i.returned.gross if sale else ZERO, i.category or "")
            for i in records.lines(found.id)),
        payments=tuple(PaymentView(p.tender, p.amount, p.tendered, p.change_given, p.reference or "",
                                   p.voucher_code or "") for p in payments),
        voucher_paid=sum((p.amount for p in payments if p.tender == "nhs_voucher"), ZERO),
        voucher_reversed=found.voucher_reversed if sale else ZERO, session_open=found.session_open)


@use_case(permission="till.sell", read_only=True)
def find_transaction(uow: TenantUnitOfWork, number: int, *, by_invoice: bool = False) -> TransactionView:
    """A transaction by its receipt number (or invoice number), with its lines and payments."""
    records = uow.repository(SaleRecords)
    found = records.transaction(invoice_number=number) if by_invoice else records.transaction(number=number)
    if found is None:
        raise NotFound(f"There is no {'invoice' if by_invoice else 'receipt'} number {number}.")
    return _view(records, found)


@use_case(permission="till.sell", read_only=True)
def get_transaction(uow: TenantUnitOfWork, transaction_id: uuid.UUID) -> TransactionView:
    records = uow.repository(SaleRecords)
    found = records.transaction(transaction_id=transaction_id)
    if found is None:
        raise NotFound("That transaction was not found.")
    return _view(records, found)


@use_case(permission="till.sell", read_only=True)
def find_transactions(uow: TenantUnitOfWork, search: ReceiptSearch | None = None, *, limit: int = 50,
                      session_id: uuid.UUID | None = None) -> list[TransactionSummary]:
    """The transactions matching ``search``, newest first; with no search, the latest (of one till
    session when ``session_id`` is given: a search looks through every session). One query."""
    search = (search or ReceiptSearch()).bounded()
    rows = uow.repository(TillRepository).summaries(
        limit=limit, session_id=session_id if search.is_empty else None, number=search.number,
        amount=search.amount, name_words=search.name_words)
    return [TransactionSummary(r.transaction.id, r.transaction.number, r.transaction.kind, r.transaction.status,
                               r.transaction.occurred_at, r.customer_name, r.transaction.total, r.item_count)
            for r in rows]
