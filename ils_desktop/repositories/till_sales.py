"""Recording and reading back till transactions (sales, refunds, exchanges, voids), for one company.

Recording reads what the sale plan needs in as few queries as it can (one for the till, the
practice, the customer and any sale already recorded under the basket's key; one for the items;
three for an original sale) and writes a plan with one writer (``write``): every table of a
transaction in one statement each — multi-row inserts, the stock as movements of the ledger (whose
trigger keeps the balances) —
with no mapped objects flushed row by row.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import and_, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import aliased

from ils_desktop.domain.sale_plan import GiftCardState, OriginalSale, PaidTender, PlannedLine, SalePlan, SoldItem
from ils_desktop.domain.text_input import character_message, nested_unstorable_character
from ils_desktop.domain.till_rules import ReturnedSoFar
from ils_desktop.errors import ValidationFailed
from ils_desktop.models.catalogue import InventoryMovement
from ils_desktop.models.core import User
from ils_desktop.models.till import (
    GiftCard,
    Invoice,
    InvoiceLineItem,
    PosPayment,
    PosTransaction,
    PosTransactionItem,
    TillSession,
)
from ils_desktop.repositories.base import TenantRepository
from ils_desktop.repositories.catalogue import ItemRow
from ils_desktop.repositories.counters import CounterRepository

ZERO = Decimal("0.00")

_tx = PosTransaction.__table__
_items = PosTransactionItem.__table__
_payments = PosPayment.__table__
_invoices = Invoice.__table__
_invoice_lines = InvoiceLineItem.__table__
_gift_cards = GiftCard.__table__
_sessions = TillSession.__table__
_movements = InventoryMovement.__table__
_users = User.__table__


def _insert(table: Any, columns: str) -> str:
    names = [name.strip() for name in columns.split(",")]
    return (f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ("
            + ", ".join(f"%({name})s" for name in names) + ")")


# The statements of recording a transaction, written once (psycopg prepares them on the server after
# a few uses). Row-level security applies to each as to any other statement of the session.
_QUEUE_SQL = "SELECT pg_advisory_xact_lock(20261125, hashtext(%(company)s::text))"
_SETTING_SQL = """
SELECT t.id, t.number, t.kind, t.total, t.paid_total, t.change_given, t.basket_fingerprint, i.number,
       EXISTS (SELECT 1 FROM pos_payments p WHERE p.company_id = t.company_id AND p.transaction_id = t.id
               AND p.tender = 'cash'),
       s.status, s.till_name, c.name, c.address, c.vat_number,
       pt.id, pt.title, pt.first_name, pt.last_name, pt.address_line1, pt.address_line2, pt.town, pt.county,
       pt.postcode,
       (SELECT json_object_agg(o.key, o.value) FROM organization_settings o
         WHERE o.company_id = c.id AND o.key = ANY(%(keys)s)),
       (SELECT json_agg(json_build_array(a.method, a.spectacles_goods_share::text,
                                         a.contact_lenses_goods_share::text, a.hmrc_reference, a.valid_from::text))
          FROM vat_apportionment_schemes a WHERE a.company_id = c.id)
  FROM companies c
  LEFT JOIN pos_transactions t ON t.company_id = c.id AND t.idempotency_key = %(key)s
  LEFT JOIN invoices i ON i.company_id = t.company_id AND i.transaction_id = t.id
  LEFT JOIN till_sessions s ON s.company_id = c.id AND s.id = %(session)s
  LEFT JOIN patients pt ON pt.company_id = c.id AND pt.id = %(patient)s
 WHERE c.id = %(company)s
"""
_ITEMS_SQL = """
SELECT v.id, p.id, v.name, p.category, p.brand, p.name, p.supplier, v.colour, v.eye_size, v.bridge, v.temple,
       v.sku, v.barcode, v.cost_price, v.retail_price, p.vat_rate, p.supply_kind, v.track_stock, s.on_hand,
       v.is_active, p.is_active, v.attributes
  FROM product_variants v
  JOIN products p ON p.company_id = v.company_id AND p.id = v.product_id
  LEFT JOIN stock_levels s ON s.company_id = v.company_id AND s.variant_id = v.id
 WHERE v.company_id = %(company)s AND v.id = ANY(%(ids)s)
"""
# The receipt and invoice numbers come from gap-free counters, taken as the rows are written: a
# counter row stays locked until the transaction ends, and a rollback gives its number back.
_NEXT_NUMBER = ("WITH counter AS (INSERT INTO company_counters AS c (company_id, name, last_value) "
                "VALUES (%(company_id)s, '{name}', 1) ON CONFLICT (company_id, name) "
                "DO UPDATE SET last_value = c.last_value + 1 RETURNING c.last_value) ")


def _insert_numbered(table: Any, counter: str, columns: str) -> str:
    """``INSERT`` of a row whose ``number`` is the next of ``counter`` (returned)."""
    names = [name.strip() for name in columns.split(",")]
    values = ", ".join("counter.last_value" if name == "number" else f"%({name})s" for name in names)
    return (_NEXT_NUMBER.format(name=counter) + f"INSERT INTO {table.name} ({', '.join(names)}) "
            f"SELECT {values} FROM counter RETURNING number")


_INSERT_TRANSACTION = _insert_numbered(_tx, "till_transaction", """company_id, id, number, idempotency_key, kind,
    status, till_session_id, till_name, patient_id, cashier_id, authorised_by, original_transaction_id, reason,
    basket_discount, basket_discount_reason, subtotal, discount_total, total, net_total, vat_total, paid_total,
    change_given, basket_fingerprint, occurred_at""")
_INSERT_GIFT_CARD = _insert(_gift_cards, "company_id, id, code, kind, initial_value, issued_transaction_id, patient_id")
_INSERT_LINE = _insert(_items, """company_id, transaction_id, line_number, variant_id, description, category,
    quantity, unit_price, line_discount, discount_reason, basket_discount_share, gross, vat_rate, vat_rate_percent,
    supply_kind, goods_gross, service_gross, net, vat, cost_price, original_line_number""")
# The ledger's trigger applies each movement to the stock balances in this transaction and refuses
# stock below zero (``on_hand_not_negative``) unless the practice allows it: the plan counted the
# stock after queueing, the database has the last word.
_INSERT_MOVEMENT = _insert(_movements, "company_id, id, variant_id, quantity, reason, transaction_id, user_id, "
                                       "occurred_at")
_INSERT_PAYMENT = _insert(_payments, """company_id, transaction_id, line_number, tender, amount, tendered,
    change_given, reference, voucher_code, voucher_value, gift_card_id""")
_INSERT_INVOICE = _insert_numbered(_invoices, "invoice", """company_id, id, number, kind, transaction_id,
    original_invoice_id, issued_at, supplier_name, supplier_address, supplier_vat_number, customer_name,
    customer_address, patient_id, total_net, total_vat, total_gross, vat_summary, apportionment_note""")
_INSERT_INVOICE_LINE = _insert(_invoice_lines, """company_id, invoice_id, line_number, description, quantity,
    unit_price, vat_rate, vat_rate_percent, net, vat, gross""")
_SET_STATUS = "UPDATE pos_transactions SET status = %(status)s WHERE company_id = %(company_id)s AND id = %(id)s"


# --- what recording reads -----------------------------------------------------------------------


@dataclass(frozen=True)
class AlreadyRecorded:
    """The transaction recorded under an idempotency key."""

    transaction_id: uuid.UUID
    number: int
    kind: str
    total: Decimal
    paid_total: Decimal
    change_given: Decimal
    fingerprint: str
    invoice_number: int
    cash: bool


@dataclass(frozen=True)
class SchemeRow:
    method: str
    spectacles_goods_share: Decimal | None
    contact_lenses_goods_share: Decimal | None
    hmrc_reference: str | None
    valid_from: date


@dataclass(frozen=True)
class PatientAddress:
    title: str | None
    first_name: str
    last_name: str
    address_lines: tuple[str, ...]  # line 1, line 2, town, county, postcode (those given)


@dataclass(frozen=True)
class SaleSetting:
    """The till, the practice and the customer a transaction is recorded for, in one read."""

    already: AlreadyRecorded | None
    session_status: str | None  # None: no such session
    till_name: str | None
    supplier_name: str
    supplier_address: dict[str, Any]
    supplier_vat_number: str | None
    patient: PatientAddress | None  # None: no patient asked for, or not found
    settings: dict[str, Any]  # the till's settings asked for (absent when not set)
    schemes: tuple[SchemeRow, ...]


@dataclass(frozen=True)
class RecordingReading:
    setting: SaleSetting
    items: dict[uuid.UUID, ItemRow]


def _setting(row: Any) -> SaleSetting:
    (tx_id, number, kind, total, paid, change, fingerprint, invoice_number, has_cash, session_status, till_name,
     supplier, address, vat_number, found_patient, title, first, last, *address_lines, stored, schemes) = row
    already = None if tx_id is None else AlreadyRecorded(tx_id, number, kind, total, paid, change, fingerprint,
                                                         invoice_number or 0, bool(has_cash))
    patient = None if found_patient is None else PatientAddress(
        title, first, last, tuple(part for part in address_lines if part))
    return SaleSetting(
        already=already, session_status=session_status, till_name=till_name, supplier_name=supplier,
        supplier_address=dict(address or {}), supplier_vat_number=vat_number, patient=patient,
        settings=dict(stored or {}),
        schemes=tuple(SchemeRow(method, None if spectacles is None else Decimal(spectacles),
                                None if lenses is None else Decimal(lenses), reference, date.fromisoformat(valid_from))
                      for method, spectacles, lenses, reference, valid_from in schemes or ()))


def refuse_unstorable(header: TransactionHeader, plan: SalePlan) -> None:
    """The last safety net for text (as ``services.text_guard`` is for statements SQLAlchemy sends):
    nothing the database cannot store (NUL, lone surrogates) goes in a transaction's text."""
    texts: list[tuple[str, str | None]] = [
        ("reason", header.reason), ("customer_name", header.customer_name),
        ("customer_address", header.customer_address), ("basket", plan.basket_discount_reason)]
    texts += [("basket", line.discount_reason) for line in plan.lines]
    texts += [("tenders", p.reference) for p in plan.payments] + [("tenders", p.voucher_code) for p in plan.payments]
    for name, value in texts:
        found = nested_unstorable_character(value)
        if found:
            raise ValidationFailed({name: character_message(found)})


@dataclass(frozen=True)
class OriginalRecord:
    """An original sale as the plan needs it, with who it was for and its invoice."""

    id: uuid.UUID
    patient_id: uuid.UUID | None
    invoice_id: uuid.UUID | None
    customer_name: str | None
    customer_address: str | None
    sale: OriginalSale


# --- what recording writes ----------------------------------------------------------------------


@dataclass(frozen=True)
class TransactionHeader:
    """Who, when and where of a transaction to write, beside its plan."""

    key: uuid.UUID
    fingerprint: str
    occurred_at: datetime
    till_session_id: uuid.UUID | None
    till_name: str | None
    patient_id: uuid.UUID | None
    cashier_id: uuid.UUID | None
    authorised_by: uuid.UUID | None
    original_id: uuid.UUID | None
    reason: str | None
    supplier_name: str
    supplier_address: str
    supplier_vat_number: str | None
    customer_name: str | None
    customer_address: str | None
    original_invoice_id: uuid.UUID | None


@dataclass(frozen=True)
class Written:
    transaction_id: uuid.UUID
    number: int
    invoice_number: int
    credit_note_code: str | None


# --- what reading back returns ------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedTransaction:
    """A transaction with its invoice, the people named on it and its original sale, in one read."""

    id: uuid.UUID
    number: int
    kind: str
    status: str
    occurred_at: datetime
    patient_id: uuid.UUID | None
    till_name: str | None
    reason: str | None
    subtotal: Decimal
    discount_total: Decimal
    total: Decimal
    net_total: Decimal
    vat_total: Decimal
    change_given: Decimal
    session_open: bool
    cashier_name: str
    authorised_by_name: str
    original_number: int | None
    invoice_number: int | None
    invoice_kind: str | None
    issued_at: datetime | None
    supplier_name: str | None
    supplier_address: str | None
    supplier_vat_number: str | None
    customer_name: str | None
    customer_address: str | None
    vat_summary: list[dict[str, Any]] | None
    apportionment_note: str | None
    original_invoice_number: int | None
    original_issued_at: datetime | None
    voucher_reversed: Decimal


@dataclass(frozen=True)
class RecordedLine(PlannedLine):
    """A line as the sale stored it (what the plan wrote), with what came back of it since."""

    returned: ReturnedSoFar  # by later refunds and exchanges of this line (positive amounts)


@dataclass(frozen=True)
class RecordedPayment:
    line_number: int
    tender: str
    amount: Decimal
    tendered: Decimal | None
    change_given: Decimal
    reference: str | None
    voucher_code: str | None
    voucher_value: Decimal | None
    gift_card_id: uuid.UUID | None


@dataclass(frozen=True)
class RecordedInvoiceLine:
    line_number: int
    description: str
    quantity: int
    unit_price: Decimal
    vat_rate: str
    vat_rate_percent: Decimal | None
    net: Decimal
    vat: Decimal
    gross: Decimal


def _built(kind: type[Any], row: Any) -> Any:
    return kind(**{f.name: row._mapping[f.name] for f in fields(kind)})


class SaleRecords(TenantRepository):
    """Till transactions: what recording one reads, the one writer, and reading them back."""

    @property
    def _connection(self) -> Connection:
        return self.session.connection()

    def queue_behind_other_tills(self) -> None:
        """Queue this transaction behind any other that changes stock or records a sale: they lock
        stock, counter and gift-card rows and then the audit chain's head, so taking this
        per-company lock first makes them wait in turn instead of deadlocking. (A second attempt
        with the same idempotency key waits here, then finds the first one's sale.)"""
        self._connection.execute(text("SELECT pg_advisory_xact_lock(20261125, hashtext(:company))"),
                                 {"company": str(self.company_id)})

    # --- reading for a recording ---------------------------------------------------------------
    def read_for_recording(self, key: uuid.UUID, session_id: uuid.UUID | None, patient_id: uuid.UUID | None,
                           setting_keys: Sequence[str], variant_ids: Iterable[uuid.UUID], *,
                           queue: bool) -> RecordingReading:
        """What recording a transaction reads, in one round trip: (``queue``: first the per-company
        lock, ``queue_behind_other_tills``) any transaction already under ``key``, the till session,
        the practice, the patient, the till's settings and VAT schemes; and the items."""
        params = {"company": self.company_id, "key": key, "session": session_id, "patient": patient_id,
                  "keys": list(setting_keys), "ids": list(set(variant_ids))}
        with self._pipeline() as driver:
            if queue:
                driver.execute(_QUEUE_SQL, params)
            setting = driver.execute(_SETTING_SQL, params)
            items = driver.execute(_ITEMS_SQL, params)
        row = setting.fetchone()
        assert row is not None
        return RecordingReading(_setting(row), {found[0]: ItemRow(*found) for found in items.fetchall()})

    def original_sale(self, original_id: uuid.UUID) -> OriginalRecord | None:
        """A sale with its lines (and what was returned of each), payments and invoice; its row is
        locked until the transaction ends (three queries)."""
        header = self._connection.execute(
            select(_tx.c.number, _tx.c.kind, _tx.c.status, _tx.c.patient_id, _sessions.c.status,
                   _invoices.c.id, _invoices.c.customer_name, _invoices.c.customer_address,
                   self._voucher_reversed(_tx.c.id))
            .select_from(_tx.outerjoin(_sessions, and_(_sessions.c.company_id == _tx.c.company_id,
                                                       _sessions.c.id == _tx.c.till_session_id))
                         .outerjoin(_invoices, and_(_invoices.c.company_id == _tx.c.company_id,
                                                    _invoices.c.transaction_id == _tx.c.id)))
            .where(_tx.c.company_id == self.company_id, _tx.c.id == original_id)
            .with_for_update(of=_tx)).first()
        if header is None:
            return None
        number, kind, status, patient_id, session_status, invoice_id, customer_name, customer_address, reversed_ = \
            header
        items = tuple(SoldItem(
            line.line_number, line.variant_id, line.description, line.category or "", line.quantity, line.unit_price,
            line.gross, line.goods_gross, line.service_gross, line.vat, line.vat_rate, line.vat_rate_percent,
            line.supply_kind, line.cost_price, line.returned) for line in self.lines(original_id))
        payments = tuple(PaidTender(p.tender, p.amount, p.reference, p.voucher_code, p.voucher_value, p.gift_card_id)
                         for p in self.payments(original_id))
        sale = OriginalSale(number, kind, status, session_status == "open", items, payments, reversed_)
        return OriginalRecord(original_id, patient_id, invoice_id, customer_name, customer_address, sale)

    def gift_cards(self, codes: Iterable[str], *, lock: bool = True) -> dict[str, GiftCardState]:
        """The gift cards and credit notes with these codes (case-blind), with their balances; locked
        until the transaction ends (``lock``), so two tills cannot spend one balance."""
        wanted = sorted({code.strip().upper() for code in codes if code.strip()})
        if not wanted:
            return {}
        spent = select(func.coalesce(func.sum(_payments.c.amount), ZERO)).where(
            _payments.c.company_id == _gift_cards.c.company_id,
            _payments.c.gift_card_id == _gift_cards.c.id).scalar_subquery()
        query = (select(_gift_cards.c.id, _gift_cards.c.code, _gift_cards.c.kind, _gift_cards.c.initial_value - spent,
                        _gift_cards.c.status, _gift_cards.c.expires_on)
                 .where(_gift_cards.c.company_id == self.company_id, func.upper(_gift_cards.c.code).in_(wanted)))
        rows = self._connection.execute(query.with_for_update(of=_gift_cards) if lock else query).all()
        return {code.upper(): GiftCardState(card_id, code, kind, balance, status == "active", expires_on)
                for card_id, code, kind, balance, status, expires_on in rows}

    def _voucher_reversed(self, transaction_id: Any) -> Any:
        """NHS voucher amounts given back by refunds and exchanges of a sale (positive)."""
        linked = aliased(_tx)
        return -select(func.coalesce(func.sum(_payments.c.amount), ZERO)).select_from(
            _payments.join(linked, and_(linked.c.company_id == _payments.c.company_id,
                                        linked.c.id == _payments.c.transaction_id))
        ).where(_payments.c.company_id == self.company_id, linked.c.original_transaction_id == transaction_id,
                _payments.c.tender == "nhs_voucher").scalar_subquery()

    # --- the one writer --------------------------------------------------------------------------
    def write(self, header: TransactionHeader, plan: SalePlan) -> Written:
        """Write a planned transaction — its row and receipt number, lines, stock movements (the ledger),
        payments (and any credit note issued), invoice and its number, and the original sale's new
        status — in one round trip: one statement per table (rows of a table sent together), sent
        as one pipeline. Stock the plan counted on and is not there fails the database's
        ``on_hand >= 0`` rule (an ``IntegrityError``), and the caller's transaction rolls back."""
        refuse_unstorable(header, plan)
        company = self.company_id
        transaction_id, invoice_id = uuid.uuid4(), uuid.uuid4()
        credit_note: tuple[uuid.UUID, str] | None = None
        if plan.issues_credit_note:
            number = CounterRepository(self.session, self.context).next_value("credit_note")
            credit_note = (uuid.uuid4(), f"CN{number:06d}")
        invoice = plan.invoice
        with self._pipeline() as driver, driver.cursor() as cursor:
            numbered = driver.execute(_INSERT_TRANSACTION, {
                "company_id": company, "id": transaction_id,
                "idempotency_key": header.key, "kind": plan.kind.value, "status": "completed",
                "till_session_id": header.till_session_id, "till_name": header.till_name,
                "patient_id": header.patient_id, "cashier_id": header.cashier_id,
                "authorised_by": header.authorised_by, "original_transaction_id": header.original_id,
                "reason": header.reason, "basket_discount": plan.basket_discount,
                "basket_discount_reason": plan.basket_discount_reason, "subtotal": plan.subtotal,
                "discount_total": plan.discount_total, "total": plan.total, "net_total": plan.net_total,
                "vat_total": plan.vat_total, "paid_total": plan.paid_total, "change_given": plan.change_given,
                "basket_fingerprint": header.fingerprint, "occurred_at": header.occurred_at})
            if credit_note is not None:
                cursor.execute(_INSERT_GIFT_CARD, {
                    "company_id": company, "id": credit_note[0], "code": credit_note[1], "kind": "credit_note",
                    "initial_value": ZERO, "issued_transaction_id": transaction_id, "patient_id": header.patient_id})
            cursor.executemany(_INSERT_LINE, [{
                "company_id": company, "transaction_id": transaction_id, "line_number": line.line_number,
                "variant_id": line.variant_id, "description": line.description, "category": line.category,
                "quantity": line.quantity, "unit_price": line.unit_price, "line_discount": line.line_discount,
                "discount_reason": line.discount_reason, "basket_discount_share": line.basket_discount_share,
                "gross": line.gross, "vat_rate": line.vat_rate, "vat_rate_percent": line.vat_rate_percent,
                "supply_kind": line.supply_kind, "goods_gross": line.goods_gross,
                "service_gross": line.service_gross, "net": line.net, "vat": line.vat, "cost_price": line.cost_price,
                "original_line_number": line.original_line_number} for line in plan.lines])
            if plan.stock:  # the ledger trigger locks the stock rows until this transaction ends
                cursor.executemany(_INSERT_MOVEMENT, [{
                    "company_id": company, "id": uuid.uuid4(), "variant_id": s.variant_id, "quantity": s.change,
                    "reason": plan.kind.value, "transaction_id": transaction_id, "user_id": header.cashier_id,
                    "occurred_at": header.occurred_at} for s in plan.stock])
            if plan.payments:
                cursor.executemany(_INSERT_PAYMENT, [{
                    "company_id": company, "transaction_id": transaction_id, "line_number": p.line_number,
                    "tender": p.tender, "amount": p.amount, "tendered": p.tendered, "change_given": p.change_given,
                    "reference": credit_note[1] if p.new_credit_note and credit_note else p.reference,
                    "voucher_code": p.voucher_code, "voucher_value": p.voucher_value,
                    "gift_card_id": credit_note[0] if p.new_credit_note and credit_note else p.gift_card_id}
                    for p in plan.payments])
            invoiced = driver.execute(_INSERT_INVOICE, {
                "company_id": company, "id": invoice_id, "kind": invoice.kind,
                "transaction_id": transaction_id, "original_invoice_id": header.original_invoice_id,
                "issued_at": header.occurred_at, "supplier_name": header.supplier_name,
                "supplier_address": header.supplier_address, "supplier_vat_number": header.supplier_vat_number,
                "customer_name": header.customer_name, "customer_address": header.customer_address,
                "patient_id": header.patient_id, "total_net": plan.net_total, "total_vat": plan.vat_total,
                "total_gross": plan.total, "vat_summary": Jsonb(list(invoice.vat_summary)),
                "apportionment_note": invoice.apportionment_note})
            if invoice.lines:
                cursor.executemany(_INSERT_INVOICE_LINE, [{
                    "company_id": company, "invoice_id": invoice_id, "line_number": line.line_number,
                    "description": line.description, "quantity": line.quantity, "unit_price": line.unit_price,
                    "vat_rate": line.vat_rate, "vat_rate_percent": line.vat_rate_percent, "net": line.net,
                    "vat": line.vat, "gross": line.gross} for line in invoice.lines])
            if plan.original_status is not None and header.original_id is not None:
                # The only change a recorded sale allows (the database refuses any other column).
                cursor.execute(_SET_STATUS, {"company_id": company, "id": header.original_id,
                                             "status": plan.original_status})
        number, invoice_number = numbered.fetchone(), invoiced.fetchone()
        assert number is not None and invoice_number is not None
        return Written(transaction_id, int(number[0]), int(invoice_number[0]), credit_note[1] if credit_note else None)

    @contextlib.contextmanager
    def _pipeline(self) -> Iterator[psycopg.Connection[Any]]:
        """The driver's connection in pipeline mode: statements sent together, answered together (one
        round trip), executed in order in this unit of work's transaction. Its errors are raised as
        SQLAlchemy raises them, so a dropped connection is treated as anywhere else."""
        connection = self.session.connection()
        driver = connection.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        try:
            with driver.pipeline():
                yield driver
        except psycopg.Error as error:
            lost = isinstance(error, psycopg.OperationalError)
            if lost:
                connection.invalidate(error)
            raise DBAPIError.instance(None, None, error, psycopg.Error, hide_parameters=True,
                                      connection_invalidated=lost) from error

    # --- reading back ----------------------------------------------------------------------------
    def transaction(self, *, transaction_id: uuid.UUID | None = None, number: int | None = None,
                    invoice_number: int | None = None) -> RecordedTransaction | None:
        """A transaction by id, receipt number or invoice number, with its invoice, the names of who
        took and authorised it, its original sale and whether its till session is open (one query)."""
        original, original_invoice = aliased(_tx), aliased(_invoices)
        cashier, authoriser = aliased(_users), aliased(_users)

        def name(user: Any) -> Any:
            return func.coalesce(user.c.first_name + " " + user.c.last_name, "")

        query = (
            select(_tx.c.id, _tx.c.number, _tx.c.kind, _tx.c.status, _tx.c.occurred_at, _tx.c.patient_id,
                   _tx.c.till_name, _tx.c.reason, _tx.c.subtotal, _tx.c.discount_total, _tx.c.total,
                   _tx.c.net_total, _tx.c.vat_total, _tx.c.change_given,
                   func.coalesce(_sessions.c.status == "open", False).label("session_open"),
                   name(cashier).label("cashier_name"), name(authoriser).label("authorised_by_name"),
                   original.c.number.label("original_number"), _invoices.c.number.label("invoice_number"),
                   _invoices.c.kind.label("invoice_kind"), _invoices.c.issued_at, _invoices.c.supplier_name,
                   _invoices.c.supplier_address, _invoices.c.supplier_vat_number, _invoices.c.customer_name,
                   _invoices.c.customer_address, _invoices.c.vat_summary, _invoices.c.apportionment_note,
                   original_invoice.c.number.label("original_invoice_number"),
                   original_invoice.c.issued_at.label("original_issued_at"),
                   self._voucher_reversed(_tx.c.id).label("voucher_reversed"))
            .select_from(
                _tx.outerjoin(_invoices, and_(_invoices.c.company_id == _tx.c.company_id,
                                              _invoices.c.transaction_id == _tx.c.id))
                .outerjoin(_sessions, and_(_sessions.c.company_id == _tx.c.company_id,
                                           _sessions.c.id == _tx.c.till_session_id))
                .outerjoin(cashier, and_(cashier.c.company_id == _tx.c.company_id, cashier.c.id == _tx.c.cashier_id))
                .outerjoin(authoriser, and_(authoriser.c.company_id == _tx.c.company_id,
                                            authoriser.c.id == _tx.c.authorised_by))
                .outerjoin(original, and_(original.c.company_id == _tx.c.company_id,
                                          original.c.id == _tx.c.original_transaction_id))
                .outerjoin(original_invoice, and_(original_invoice.c.company_id == original.c.company_id,
                                                  original_invoice.c.transaction_id == original.c.id)))
            .where(_tx.c.company_id == self.company_id)
        )
        if transaction_id is not None:
            query = query.where(_tx.c.id == transaction_id)
        if number is not None:
            query = query.where(_tx.c.number == number)
        if invoice_number is not None:
            query = query.where(_invoices.c.number == invoice_number)
        row = self._connection.execute(query.limit(1)).first()
        return None if row is None else _built(RecordedTransaction, row)

    def lines(self, transaction_id: uuid.UUID) -> list[RecordedLine]:
        """A transaction's lines in order, each with what later refunds and exchanges returned of it."""
        returned_items, linked = aliased(_items), aliased(_tx)
        returned = (
            select(returned_items.c.original_line_number.label("line"),
                   (-func.sum(returned_items.c.quantity)).label("quantity"),
                   (-func.sum(returned_items.c.gross)).label("gross"),
                   (-func.sum(returned_items.c.goods_gross)).label("goods_gross"),
                   (-func.sum(returned_items.c.vat)).label("vat"))
            .select_from(returned_items.join(linked, and_(linked.c.company_id == returned_items.c.company_id,
                                                          linked.c.id == returned_items.c.transaction_id)))
            .where(returned_items.c.company_id == self.company_id, linked.c.original_transaction_id == transaction_id,
                   returned_items.c.original_line_number.is_not(None))
            .group_by(returned_items.c.original_line_number).subquery()
        )
        rows = self._connection.execute(
            select(_items.c.line_number, _items.c.variant_id, _items.c.description, _items.c.category,
                   _items.c.quantity, _items.c.unit_price, _items.c.line_discount, _items.c.discount_reason,
                   _items.c.basket_discount_share, _items.c.gross, _items.c.vat_rate, _items.c.vat_rate_percent,
                   _items.c.supply_kind, _items.c.goods_gross, _items.c.service_gross, _items.c.net, _items.c.vat,
                   _items.c.cost_price, _items.c.original_line_number, returned.c.quantity, returned.c.gross,
                   returned.c.goods_gross, returned.c.vat)
            .select_from(_items.outerjoin(returned, returned.c.line == _items.c.line_number))
            .where(_items.c.company_id == self.company_id, _items.c.transaction_id == transaction_id)
            .order_by(_items.c.line_number)).all()
        return [RecordedLine(*row[:19], ReturnedSoFar() if row[19] is None else ReturnedSoFar(
            int(row[19]), row[20], row[21], row[22])) for row in rows]

    def payments(self, transaction_id: uuid.UUID) -> list[RecordedPayment]:
        rows = self._connection.execute(
            select(_payments.c.line_number, _payments.c.tender, _payments.c.amount, _payments.c.tendered,
                   _payments.c.change_given, _payments.c.reference, _payments.c.voucher_code,
                   _payments.c.voucher_value, _payments.c.gift_card_id)
            .where(_payments.c.company_id == self.company_id, _payments.c.transaction_id == transaction_id)
            .order_by(_payments.c.line_number)).all()
        return [RecordedPayment(*row) for row in rows]

    def invoice_lines(self, transaction_id: uuid.UUID) -> list[RecordedInvoiceLine]:
        rows = self._connection.execute(
            select(_invoice_lines.c.line_number, _invoice_lines.c.description, _invoice_lines.c.quantity,
                   _invoice_lines.c.unit_price, _invoice_lines.c.vat_rate, _invoice_lines.c.vat_rate_percent,
                   _invoice_lines.c.net, _invoice_lines.c.vat, _invoice_lines.c.gross)
            .select_from(_invoice_lines.join(_invoices, and_(_invoices.c.company_id == _invoice_lines.c.company_id,
                                                             _invoices.c.id == _invoice_lines.c.invoice_id)))
            .where(_invoice_lines.c.company_id == self.company_id, _invoices.c.transaction_id == transaction_id)
            .order_by(_invoice_lines.c.line_number)).all()
        return [RecordedInvoiceLine(*row) for row in rows]
