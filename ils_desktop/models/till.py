"""The till: sessions and cash, sales and their lines and payments, invoices, parked baskets, and the
dated reference data a sale needs (the practice's VAT apportionment scheme, NHS voucher values).

Money records that cannot go wrong (issue: "no sale ever lost or taken twice"):

- a sale is one ``pos_transactions`` row with its lines, payments, stock movements and invoice,
  written in one database transaction; ``idempotency_key`` (made when the basket was opened) is
  unique per company, so a retried checkout finds the sale it already recorded;
- sales are never edited or deleted: voids, refunds and exchanges are new transactions linked to
  the original (``original_transaction_id``) with a reason. The application role may change only
  ``pos_transactions.status`` (column privilege), nothing else of a sale;
- invoices carry gap-free per-company numbers (``company_counters``) and the fields of a UK VAT
  invoice (HMRC VAT Notice 700 §16): number, date/tax point, supplier name, address and VAT number,
  customer name and address, each line's description, quantity, rate, net and VAT, totals by rate.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from ils_desktop.models.base import Base, TenantMixin, new_id
from ils_desktop.models.catalogue import SUPPLY_KINDS, VAT_RATES

TRANSACTION_KINDS = ("sale", "refund", "void", "exchange")
TRANSACTION_STATUSES = ("completed", "part_refunded", "refunded", "voided")
TENDERS = ("card", "cash", "nhs_voucher", "gift_card", "credit_note")
GIFT_CARD_KINDS = ("gift_card", "credit_note")
APPORTIONMENT_METHODS = ("separate_charges", "agreed_goods_share")
SESSION_STATUSES = ("open", "closed")
CASH_MOVEMENT_KINDS = ("cash_in", "cash_out")
INVOICE_KINDS = ("invoice", "credit_note")

MONEY = Numeric(12, 2)
PERCENT = Numeric(5, 2)
SHARE = Numeric(5, 4)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _fk(column: str, table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["company_id", column], [f"{table}.company_id", f"{table}.id"])


def _created_at() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


# --- dated reference data ---------------------------------------------------------------------


class VatApportionmentScheme(TenantMixin, Base):
    """The practice's VAT apportionment method from ``valid_from`` (VATVAL12300–12440).

    A change is a new row with a later date, so past sales keep the scheme they were priced with.
    """

    __tablename__ = "vat_apportionment_schemes"
    __table_args__ = (
        UniqueConstraint("company_id", "valid_from"),
        ForeignKeyConstraint(["company_id", "created_by"], ["users.company_id", "users.id"]),
        CheckConstraint(_in("method", APPORTIONMENT_METHODS), name="method"),
        CheckConstraint("spectacles_goods_share IS NULL OR spectacles_goods_share BETWEEN 0 AND 1",
                        name="spectacles_goods_share"),
        CheckConstraint("contact_lenses_goods_share IS NULL OR contact_lenses_goods_share BETWEEN 0 AND 1",
                        name="contact_lenses_goods_share"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    method: Mapped[str] = mapped_column(Text, nullable=False)
    spectacles_goods_share: Mapped[Decimal | None] = mapped_column(SHARE)
    contact_lenses_goods_share: Mapped[Decimal | None] = mapped_column(SHARE)
    hmrc_reference: Mapped[str | None] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    created_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = _created_at()


class NhsVoucherValue(TenantMixin, Base):
    """The value of an NHS optical voucher (GOS 3 letter A–J, or a supplement) from ``valid_from``.

    Values are set by DHSC letters each April and differ between England, Scotland, Wales and
    Northern Ireland, so each practice keeps the table of its own nation (a tenant table).
    """

    __tablename__ = "nhs_voucher_values"
    __table_args__ = (
        UniqueConstraint("company_id", "code", "valid_from"),
        CheckConstraint("value >= 0", name="value"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    value: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    source: Mapped[str | None] = mapped_column(Text)


# --- till sessions and cash -------------------------------------------------------------------


class TillSession(TenantMixin, Base):
    """A till from opening (with its float) to the Z report; at most one open session per till.

    At close the counted cash, the expected cash and the difference are recorded, and the Z
    report's figures are kept (``z_report``) so it can be printed again exactly as it was.
    """

    __tablename__ = "till_sessions"
    __table_args__ = (
        UniqueConstraint("company_id", "number"),
        ForeignKeyConstraint(["company_id", "opened_by"], ["users.company_id", "users.id"]),
        ForeignKeyConstraint(["company_id", "closed_by"], ["users.company_id", "users.id"]),
        ForeignKeyConstraint(["company_id", "authorised_by"], ["users.company_id", "users.id"]),
        CheckConstraint(_in("status", SESSION_STATUSES), name="status"),
        CheckConstraint("opening_float >= 0", name="opening_float"),
        CheckConstraint(
            "status = 'open' OR (closed_at IS NOT NULL AND counted_cash IS NOT NULL "
            "AND expected_cash IS NOT NULL AND z_number IS NOT NULL)", name="closed_has_z"),
        Index("uq_till_sessions_one_open_per_till", "company_id", "till_name", unique=True,
              postgresql_where=text("status = 'open'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    till_name: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="open")
    opening_float: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    opened_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    authorised_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    expected_cash: Mapped[Decimal | None] = mapped_column(MONEY)
    counted_cash: Mapped[Decimal | None] = mapped_column(MONEY)
    difference: Mapped[Decimal | None] = mapped_column(MONEY)
    z_number: Mapped[int | None] = mapped_column(Integer)
    z_report: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    notes: Mapped[str | None] = mapped_column(Text)


class CashMovement(TenantMixin, Base):
    """Cash put into or taken out of a till drawer during a session, with the reason."""

    __tablename__ = "till_cash_movements"
    __table_args__ = (
        _fk("session_id", "till_sessions"),
        ForeignKeyConstraint(["company_id", "user_id"], ["users.company_id", "users.id"]),
        CheckConstraint(_in("kind", CASH_MOVEMENT_KINDS), name="kind"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("btrim(reason) <> ''", name="reason_given"),
        Index("ix_till_cash_movements_company_id_session_id", "company_id", "session_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    session_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


# --- sales ------------------------------------------------------------------------------------


class PosTransaction(TenantMixin, Base):
    """A sale, refund, void or exchange. Amounts are VAT-inclusive; refunds are negative.

    ``total`` = ``subtotal`` − ``discount_total`` = ``paid_total`` (a transaction is recorded
    only when fully paid); ``change_given`` is the cash handed back.
    """

    __tablename__ = "pos_transactions"
    __table_args__ = (
        UniqueConstraint("company_id", "number"),
        UniqueConstraint("company_id", "idempotency_key"),
        _fk("till_session_id", "till_sessions"),
        _fk("patient_id", "patients"),
        _fk("original_transaction_id", "pos_transactions"),
        ForeignKeyConstraint(["company_id", "cashier_id"], ["users.company_id", "users.id"]),
        ForeignKeyConstraint(["company_id", "authorised_by"], ["users.company_id", "users.id"]),
        CheckConstraint(_in("kind", TRANSACTION_KINDS), name="kind"),
        CheckConstraint(_in("status", TRANSACTION_STATUSES), name="status"),
        CheckConstraint("(kind = 'sale') = (original_transaction_id IS NULL)", name="linked_unless_sale"),
        CheckConstraint("kind = 'sale' OR btrim(coalesce(reason, '')) <> ''", name="reason_unless_sale"),
        CheckConstraint("total = subtotal - discount_total", name="total_after_discounts"),
        CheckConstraint("total = net_total + vat_total", name="net_plus_vat"),
        CheckConstraint("paid_total = total", name="fully_paid"),
        CheckConstraint("change_given >= 0", name="change_given"),
        Index("ix_pos_transactions_company_id_occurred_at", "company_id", "occurred_at"),
        Index("ix_pos_transactions_company_id_till_session_id", "company_id", "till_session_id"),
        Index("ix_pos_transactions_company_id_patient_id", "company_id", "patient_id"),
        Index("ix_pos_transactions_company_id_original_transaction_id", "company_id", "original_transaction_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    idempotency_key: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False, server_default="sale")
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="completed")
    till_session_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    till_name: Mapped[str | None] = mapped_column(Text)
    patient_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    cashier_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    authorised_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    original_transaction_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    reason: Mapped[str | None] = mapped_column(Text)
    basket_discount: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default="0")
    basket_discount_reason: Mapped[str | None] = mapped_column(Text)
    subtotal: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    discount_total: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default="0")
    total: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    net_total: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    vat_total: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    paid_total: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    change_given: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default="0")
    # A digest of what was submitted under the idempotency key: a different basket under a used key
    # is a programming error, not a retry.
    basket_fingerprint: Mapped[str] = mapped_column(Text, nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class PosTransactionItem(TenantMixin, Base):
    """A line of a transaction with its VAT as priced at the time (never recomputed).

    ``gross`` is after the line discount and the line's share of the basket discount; for a
    spectacles or contact-lens package it is split into ``goods_gross`` (standard-rated) and
    ``service_gross`` (exempt dispensing) by the scheme in force. Returned lines have a negative
    quantity and point at the line of the original sale they return.
    """

    __tablename__ = "pos_transaction_items"
    __table_args__ = (
        _fk("transaction_id", "pos_transactions"),
        _fk("variant_id", "product_variants"),
        CheckConstraint("quantity <> 0", name="quantity_not_zero"),
        CheckConstraint(_in("vat_rate", VAT_RATES), name="vat_rate"),
        CheckConstraint(_in("supply_kind", SUPPLY_KINDS), name="supply_kind"),
        CheckConstraint("line_discount >= 0 AND basket_discount_share >= 0", name="discounts"),
        CheckConstraint("gross = goods_gross + service_gross", name="parts_add_up"),
        CheckConstraint("gross = net + vat", name="net_plus_vat"),
        Index("ix_pos_transaction_items_company_id_variant_id", "company_id", "variant_id"),
    )

    transaction_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    line_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    variant_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    description: Mapped[str] = mapped_column(Text, nullable=False)
    category: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    unit_price: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    line_discount: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default="0")
    discount_reason: Mapped[str | None] = mapped_column(Text)
    basket_discount_share: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default="0")
    gross: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    vat_rate: Mapped[str] = mapped_column(Text, nullable=False)
    vat_rate_percent: Mapped[Decimal | None] = mapped_column(PERCENT)
    supply_kind: Mapped[str] = mapped_column(Text, nullable=False)
    goods_gross: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    service_gross: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    net: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    vat: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    cost_price: Mapped[Decimal | None] = mapped_column(MONEY)
    original_line_number: Mapped[int | None] = mapped_column(Integer)


class GiftCard(TenantMixin, Base):
    """A gift card or a credit note (issued on a refund) that can pay at the till.

    The balance is ``initial_value`` less what ``pos_payments`` took from it; the row is locked
    while a payment takes from it so two tills cannot spend the same balance.
    """

    __tablename__ = "gift_cards"
    __table_args__ = (
        UniqueConstraint("company_id", "code"),
        _fk("issued_transaction_id", "pos_transactions"),
        _fk("patient_id", "patients"),
        CheckConstraint(_in("kind", GIFT_CARD_KINDS), name="kind"),
        CheckConstraint("initial_value >= 0", name="initial_value"),
        CheckConstraint("status IN ('active', 'cancelled')", name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    initial_value: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="active")
    issued_transaction_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    patient_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    expires_on: Mapped[date | None] = mapped_column(Date)
    issued_at: Mapped[datetime] = _created_at()


class PosPayment(TenantMixin, Base):
    """A tender of a transaction: card (terminal reference), cash (handed over, change), NHS voucher
    (voucher letter, form number, value), gift card or credit note. ``amount`` is what it paid
    towards the total (negative when paid back on a refund)."""

    __tablename__ = "pos_payments"
    __table_args__ = (
        _fk("transaction_id", "pos_transactions"),
        _fk("gift_card_id", "gift_cards"),
        CheckConstraint(_in("tender", TENDERS), name="tender"),
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint("change_given >= 0", name="change_given"),
        CheckConstraint("tender = 'cash' OR change_given = 0", name="change_only_from_cash"),
        CheckConstraint("tender <> 'cash' OR tendered IS NULL OR tendered = amount + change_given",
                        name="cash_tendered"),
        CheckConstraint("tender <> 'card' OR btrim(coalesce(reference, '')) <> ''", name="card_reference"),
        CheckConstraint("tender <> 'nhs_voucher' OR voucher_code IS NOT NULL", name="voucher_code"),
        CheckConstraint("tender NOT IN ('gift_card', 'credit_note') OR gift_card_id IS NOT NULL",
                        name="gift_card"),
        Index("ix_pos_payments_company_id_gift_card_id", "company_id", "gift_card_id"),
    )

    transaction_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    line_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender: Mapped[str] = mapped_column(Text, nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    tendered: Mapped[Decimal | None] = mapped_column(MONEY)
    change_given: Mapped[Decimal] = mapped_column(MONEY, nullable=False, server_default="0")
    # card: the terminal's authorisation/receipt reference; voucher: the GOS form number
    reference: Mapped[str | None] = mapped_column(Text)
    voucher_code: Mapped[str | None] = mapped_column(Text)
    voucher_value: Mapped[Decimal | None] = mapped_column(MONEY)
    gift_card_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


# --- invoices ---------------------------------------------------------------------------------


class Invoice(TenantMixin, Base):
    """The VAT invoice (or credit note) of a transaction, with the supplier and customer details as
    they were at the time. ``number`` is gap-free per company; ``vat_summary`` holds the totals by
    rate as printed (``[{"rate": "standard", "percent": "20", "net": …, "vat": …, "gross": …}]``)."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("company_id", "number"),
        UniqueConstraint("company_id", "transaction_id"),
        _fk("transaction_id", "pos_transactions"),
        _fk("original_invoice_id", "invoices"),
        _fk("patient_id", "patients"),
        CheckConstraint(_in("kind", INVOICE_KINDS), name="kind"),
        CheckConstraint("total_gross = total_net + total_vat", name="totals_add_up"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    number: Mapped[int] = mapped_column(BigInteger, nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False, server_default="invoice")
    transaction_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    original_invoice_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    supplier_name: Mapped[str] = mapped_column(Text, nullable=False)
    supplier_address: Mapped[str] = mapped_column(Text, nullable=False)
    supplier_vat_number: Mapped[str | None] = mapped_column(Text)
    customer_name: Mapped[str | None] = mapped_column(Text)
    customer_address: Mapped[str | None] = mapped_column(Text)
    patient_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    total_net: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    total_vat: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    total_gross: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    vat_summary: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    apportionment_note: Mapped[str | None] = mapped_column(Text)


class InvoiceLineItem(TenantMixin, Base):
    """A line of a VAT invoice at one rate. A package line of the sale becomes two invoice lines:
    the goods part at its rate and the exempt dispensing part."""

    __tablename__ = "invoice_line_items"
    __table_args__ = (
        _fk("invoice_id", "invoices"),
        CheckConstraint(_in("vat_rate", VAT_RATES), name="vat_rate"),
        CheckConstraint("gross = net + vat", name="net_plus_vat"),
    )

    invoice_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    line_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    unit_price: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    vat_rate: Mapped[str] = mapped_column(Text, nullable=False)
    vat_rate_percent: Mapped[Decimal | None] = mapped_column(PERCENT)
    net: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    vat: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    gross: Mapped[Decimal] = mapped_column(MONEY, nullable=False)


# --- parked baskets ---------------------------------------------------------------------------


class ParkedBasket(TenantMixin, Base):
    """A basket put aside to serve someone else; recalled later on any till (same idempotency key).

    ``basket`` is the till's own JSON form of the basket; it is not a sale and has no money effect.
    """

    __tablename__ = "parked_baskets"
    __table_args__ = (
        ForeignKeyConstraint(["company_id", "parked_by"], ["users.company_id", "users.id"]),
        ForeignKeyConstraint(["company_id", "recalled_by"], ["users.company_id", "users.id"]),
        Index("ix_parked_baskets_company_id_recalled_at", "company_id", "recalled_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    label: Mapped[str] = mapped_column(Text, nullable=False)
    till_name: Mapped[str | None] = mapped_column(Text)
    basket: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    total: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    item_count: Mapped[int] = mapped_column(Integer, nullable=False)
    is_recalled: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    parked_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    parked_at: Mapped[datetime] = _created_at()
    recalled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recalled_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
