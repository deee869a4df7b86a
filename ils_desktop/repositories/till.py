"""The till's records for one company: sessions and cash movements with their report totals, the
receipt finder's list, parked baskets, and the dated VAT scheme and voucher values. (Recording a
transaction and reading one back: ``till_sales``.)"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from ils_desktop.models.base import TenantMixin
from ils_desktop.models.core import User
from ils_desktop.models.till import (
    CashMovement,
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

    def user_names(self, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The names of these members of staff (one query for all of them)."""
        ids = list(set(user_ids))
        if not ids:
            return {}
        rows = self.session.execute(select(User.id, User.first_name, User.last_name).where(
            User.company_id == self.company_id, User.id.in_(ids))).all()
        return {user_id: f"{first} {last}".strip() for user_id, first, last in rows}

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

    # --- transactions ---------------------------------------------------------------------------
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

