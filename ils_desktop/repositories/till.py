"""The till's records for one company: sessions and cash movements, transactions with their lines
and payments, invoices, gift cards, parked baskets, and the dated VAT scheme and voucher values."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select, update

from ils_desktop.models.base import TenantMixin
from ils_desktop.models.till import (
    CashMovement,
    GiftCard,
    Invoice,
    InvoiceLineItem,
    NhsVoucherValue,
    ParkedBasket,
    PosPayment,
    PosTransaction,
    PosTransactionItem,
    TillSession,
    VatApportionmentScheme,
)
from ils_desktop.repositories.base import TenantRepository

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class TransactionRow:
    transaction: PosTransaction
    customer_name: str
    item_count: int


@dataclass(frozen=True)
class TenderTotal:
    tender: str
    count: int
    amount: Decimal


@dataclass(frozen=True)
class RateTotalRow:
    rate: str
    percent: Decimal | None
    gross: Decimal
    net: Decimal
    vat: Decimal


@dataclass(frozen=True)
class KindTotal:
    kind: str
    count: int
    total: Decimal
    discounts: Decimal


class TillRepository(TenantRepository):
    def add(self, row: TenantMixin) -> None:
        """Add any till row (its ``company_id`` is set to this tenant)."""
        self._add(row)

    # --- dated reference data --------------------------------------------------------------------
    def apportionment_schemes(self) -> Sequence[VatApportionmentScheme]:
        return self.session.scalars(
            select(VatApportionmentScheme).where(VatApportionmentScheme.company_id == self.company_id)
            .order_by(VatApportionmentScheme.valid_from)
        ).all()

    def voucher_values(self) -> Sequence[NhsVoucherValue]:
        return self.session.scalars(
            select(NhsVoucherValue).where(NhsVoucherValue.company_id == self.company_id)
            .order_by(NhsVoucherValue.code, NhsVoucherValue.valid_from)
        ).all()

    def has_voucher_values(self) -> bool:
        return self.session.execute(
            select(func.count()).select_from(NhsVoucherValue).where(NhsVoucherValue.company_id == self.company_id)
        ).scalar_one() > 0

    # --- sessions -------------------------------------------------------------------------------
    def open_session(self, till_name: str) -> TillSession | None:
        return self.session.scalars(
            select(TillSession).where(TillSession.company_id == self.company_id,
                                      TillSession.till_name == till_name, TillSession.status == "open")
        ).first()

    def get_session(self, session_id: uuid.UUID, *, for_update: bool = False) -> TillSession | None:
        query = select(TillSession).where(TillSession.company_id == self.company_id, TillSession.id == session_id)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def sessions(self, limit: int = 30) -> Sequence[TillSession]:
        return self.session.scalars(
            select(TillSession).where(TillSession.company_id == self.company_id)
            .order_by(TillSession.opened_at.desc()).limit(limit)
        ).all()

    def cash_movements(self, session_id: uuid.UUID) -> Sequence[CashMovement]:
        return self.session.scalars(
            select(CashMovement).where(CashMovement.company_id == self.company_id,
                                       CashMovement.session_id == session_id)
            .order_by(CashMovement.occurred_at)
        ).all()

    def session_tender_totals(self, session_id: uuid.UUID) -> list[TenderTotal]:
        rows = self.session.execute(
            select(PosPayment.tender, func.count(), func.coalesce(func.sum(PosPayment.amount), ZERO))
            .join(PosTransaction, (PosTransaction.company_id == PosPayment.company_id)
                  & (PosTransaction.id == PosPayment.transaction_id))
            .where(PosPayment.company_id == self.company_id, PosTransaction.till_session_id == session_id)
            .group_by(PosPayment.tender).order_by(PosPayment.tender)
        ).all()
        return [TenderTotal(tender, int(count), amount) for tender, count, amount in rows]

    def session_kind_totals(self, session_id: uuid.UUID) -> list[KindTotal]:
        rows = self.session.execute(
            select(PosTransaction.kind, func.count(), func.coalesce(func.sum(PosTransaction.total), ZERO),
                   func.coalesce(func.sum(PosTransaction.discount_total), ZERO))
            .where(PosTransaction.company_id == self.company_id, PosTransaction.till_session_id == session_id)
            .group_by(PosTransaction.kind).order_by(PosTransaction.kind)
        ).all()
        return [KindTotal(kind, int(count), total, discounts) for kind, count, total, discounts in rows]

    def session_rate_totals(self, session_id: uuid.UUID) -> list[RateTotalRow]:
        """Totals by VAT rate of a session's transactions, from their invoices' lines (as invoiced)."""
        rows = self.session.execute(
            select(InvoiceLineItem.vat_rate, InvoiceLineItem.vat_rate_percent,
                   func.sum(InvoiceLineItem.gross), func.sum(InvoiceLineItem.net), func.sum(InvoiceLineItem.vat))
            .join(Invoice, (Invoice.company_id == InvoiceLineItem.company_id)
                  & (Invoice.id == InvoiceLineItem.invoice_id))
            .join(PosTransaction, (PosTransaction.company_id == Invoice.company_id)
                  & (PosTransaction.id == Invoice.transaction_id))
            .where(InvoiceLineItem.company_id == self.company_id, PosTransaction.till_session_id == session_id)
            .group_by(InvoiceLineItem.vat_rate, InvoiceLineItem.vat_rate_percent)
            .order_by(InvoiceLineItem.vat_rate)
        ).all()
        return [RateTotalRow(rate, percent, gross, net, vat) for rate, percent, gross, net, vat in rows]

    def session_cash_change(self, session_id: uuid.UUID) -> tuple[Decimal, Decimal]:
        """(cash tendered, change given) of a session's cash payments."""
        row = self.session.execute(
            select(func.coalesce(func.sum(PosPayment.tendered), ZERO), func.coalesce(func.sum(PosPayment.change_given),
                                                                                      ZERO))
            .join(PosTransaction, (PosTransaction.company_id == PosPayment.company_id)
                  & (PosTransaction.id == PosPayment.transaction_id))
            .where(PosPayment.company_id == self.company_id, PosTransaction.till_session_id == session_id,
                   PosPayment.tender == "cash")
        ).one()
        return row[0], row[1]

    # --- transactions ---------------------------------------------------------------------------
    def by_idempotency_key(self, key: uuid.UUID) -> PosTransaction | None:
        return self.session.scalars(
            select(PosTransaction).where(PosTransaction.company_id == self.company_id,
                                         PosTransaction.idempotency_key == key)
        ).first()

    def get_transaction(self, transaction_id: uuid.UUID, *, for_update: bool = False) -> PosTransaction | None:
        query = select(PosTransaction).where(PosTransaction.company_id == self.company_id,
                                             PosTransaction.id == transaction_id)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def by_number(self, number: int) -> PosTransaction | None:
        return self.session.scalars(
            select(PosTransaction).where(PosTransaction.company_id == self.company_id, PosTransaction.number == number)
        ).first()

    def by_invoice_number(self, number: int) -> PosTransaction | None:
        return self.session.scalars(
            select(PosTransaction).join(Invoice, (Invoice.company_id == PosTransaction.company_id)
                                        & (Invoice.transaction_id == PosTransaction.id))
            .where(PosTransaction.company_id == self.company_id, Invoice.number == number)
        ).first()

    def summaries(self, *, limit: int = 50, session_id: uuid.UUID | None = None, number: int | None = None,
                  amount: Decimal | None = None, name_words: Sequence[str] = ()) -> Sequence[TransactionRow]:
        """Transactions newest first with their customer (from the invoice) and item count, in one
        query: the finder lists up to fifty of them as the receptionist types.

        ``amount`` matches a sale of that total or a refund of it; every word of ``name_words`` must be
        in the customer's name (case-blind)."""
        items = (select(func.coalesce(func.sum(func.abs(PosTransactionItem.quantity)), 0))
                 .where(PosTransactionItem.company_id == PosTransaction.company_id,
                        PosTransactionItem.transaction_id == PosTransaction.id)
                 .correlate(PosTransaction).scalar_subquery())
        query = (select(PosTransaction, Invoice.customer_name, items)
                 .outerjoin(Invoice, (Invoice.company_id == PosTransaction.company_id)
                            & (Invoice.transaction_id == PosTransaction.id))
                 .where(PosTransaction.company_id == self.company_id))
        if session_id is not None:
            query = query.where(PosTransaction.till_session_id == session_id)
        if number is not None:
            query = query.where(PosTransaction.number == number)
        if amount is not None:
            query = query.where(PosTransaction.total.in_((amount, -amount)))
        for word in name_words:
            query = query.where(Invoice.customer_name.icontains(word, autoescape=True))
        rows = self.session.execute(query.order_by(PosTransaction.occurred_at.desc()).limit(limit)).all()
        return [TransactionRow(t, name or "", int(count)) for t, name, count in rows]

    def items(self, transaction_id: uuid.UUID) -> Sequence[PosTransactionItem]:
        return self.session.scalars(
            select(PosTransactionItem).where(PosTransactionItem.company_id == self.company_id,
                                             PosTransactionItem.transaction_id == transaction_id)
            .order_by(PosTransactionItem.line_number)
        ).all()

    def payments(self, transaction_id: uuid.UUID) -> Sequence[PosPayment]:
        return self.session.scalars(
            select(PosPayment).where(PosPayment.company_id == self.company_id,
                                     PosPayment.transaction_id == transaction_id)
            .order_by(PosPayment.line_number)
        ).all()

    def linked(self, original_id: uuid.UUID) -> Sequence[PosTransaction]:
        """Refunds, voids and exchanges of a sale, oldest first."""
        return self.session.scalars(
            select(PosTransaction).where(PosTransaction.company_id == self.company_id,
                                         PosTransaction.original_transaction_id == original_id)
            .order_by(PosTransaction.occurred_at)
        ).all()

    def returned_lines(self, original_id: uuid.UUID) -> Sequence[PosTransactionItem]:
        """Every returned line (negative quantity) that points at a line of ``original_id``."""
        return self.session.scalars(
            select(PosTransactionItem)
            .join(PosTransaction, (PosTransaction.company_id == PosTransactionItem.company_id)
                  & (PosTransaction.id == PosTransactionItem.transaction_id))
            .where(PosTransactionItem.company_id == self.company_id,
                   PosTransaction.original_transaction_id == original_id,
                   PosTransactionItem.original_line_number.is_not(None))
        ).all()

    def voucher_reversed(self, original_id: uuid.UUID) -> Decimal:
        """NHS voucher amounts already given back by refunds of ``original_id`` (a positive amount)."""
        total = self.session.execute(
            select(func.coalesce(func.sum(PosPayment.amount), ZERO))
            .join(PosTransaction, (PosTransaction.company_id == PosPayment.company_id)
                  & (PosTransaction.id == PosPayment.transaction_id))
            .where(PosPayment.company_id == self.company_id, PosTransaction.original_transaction_id == original_id,
                   PosPayment.tender == "nhs_voucher")
        ).scalar_one()
        return -total

    def set_status(self, transaction_id: uuid.UUID, status: str) -> None:
        """The only change a recorded transaction allows (refunded, part refunded, voided)."""
        self.session.execute(
            update(PosTransaction).where(PosTransaction.company_id == self.company_id,
                                         PosTransaction.id == transaction_id).values(status=status)
        )

    # --- invoices -------------------------------------------------------------------------------
    def invoice_for(self, transaction_id: uuid.UUID) -> Invoice | None:
        return self.session.scalars(
            select(Invoice).where(Invoice.company_id == self.company_id, Invoice.transaction_id == transaction_id)
        ).first()

    def invoice_lines(self, invoice_id: uuid.UUID) -> Sequence[InvoiceLineItem]:
        return self.session.scalars(
            select(InvoiceLineItem).where(InvoiceLineItem.company_id == self.company_id,
                                          InvoiceLineItem.invoice_id == invoice_id)
            .order_by(InvoiceLineItem.line_number)
        ).all()

    def invoice_numbers(self) -> list[int]:
        return list(self.session.scalars(
            select(Invoice.number).where(Invoice.company_id == self.company_id).order_by(Invoice.number)))

    # --- gift cards -----------------------------------------------------------------------------
    def gift_card(self, code: str, *, for_update: bool = False) -> GiftCard | None:
        query = select(GiftCard).where(GiftCard.company_id == self.company_id,
                                       func.upper(GiftCard.code) == code.strip().upper())
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def gift_card_balance(self, gift_card: GiftCard) -> Decimal:
        spent = self.session.execute(
            select(func.coalesce(func.sum(PosPayment.amount), ZERO)).where(
                PosPayment.company_id == self.company_id, PosPayment.gift_card_id == gift_card.id)
        ).scalar_one()
        return gift_card.initial_value - spent

    # --- parked baskets -------------------------------------------------------------------------
    def parked(self) -> Sequence[ParkedBasket]:
        return self.session.scalars(
            select(ParkedBasket).where(ParkedBasket.company_id == self.company_id,
                                       ParkedBasket.is_recalled.is_(False))
            .order_by(ParkedBasket.parked_at)
        ).all()

    def parked_basket(self, parked_id: uuid.UUID, *, for_update: bool = False) -> ParkedBasket | None:
        query = select(ParkedBasket).where(ParkedBasket.company_id == self.company_id, ParkedBasket.id == parked_id)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    # --- reporting ------------------------------------------------------------------------------
    def daily_takings(self, since: datetime) -> list[tuple[date, int, Decimal]]:
        day = func.date(func.timezone("Europe/London", PosTransaction.occurred_at))
        rows = self.session.execute(
            select(day, func.count(), func.sum(PosTransaction.total))
            .where(PosTransaction.company_id == self.company_id, PosTransaction.occurred_at >= since)
            .group_by(day).order_by(day)
        ).all()
        return [(d, int(c), t) for d, c, t in rows]
