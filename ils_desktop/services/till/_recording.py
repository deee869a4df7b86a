"""How checkout, refunds, voids and exchanges record a transaction — one way for all four: read what
the plan needs, ask the plan (``domain.sale_plan``), write it with the one writer, commit.

Money records that cannot go wrong:

- everything of a transaction (lines, payments, stock and movements, VAT invoice) is written in the
  caller's one database transaction, under the basket's idempotency key: the same key submitted
  again (a double-click, a retry after a timeout or a dropped connection) finds the transaction
  already recorded and returns it, so nothing is ever taken twice or half-recorded;
- every transaction that writes stock or sales first queues behind the others of its practice (a
  per-company lock), so two tills selling the last unit are served in turn and the second is told
  plainly it is gone; invoice and receipt numbers come from gap-free counters in the same
  transaction;
- sales are never changed: refunds, voids and exchanges are new transactions linked to the sale,
  with a reason; over the practice's limits a manager authorises.

Not use cases themselves: the use cases in ``checkout``, ``refunds`` and ``exchanges`` call ``record``.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.sale_plan import (
    CatalogueEntry,
    Refusal,
    Refused,
    SaleFacts,
    SalePlan,
    SaleRequest,
    out_of_stock_message,
    plan_transaction,
)
from ils_desktop.domain.settlement import TransactionKind
from ils_desktop.domain.till_rules import TenderKind
from ils_desktop.errors import NotFound, UserFacingError, ValidationFailed
from ils_desktop.repositories.catalogue import ItemRow
from ils_desktop.repositories.till_sales import (
    AlreadyRecorded,
    OriginalRecord,
    SaleRecords,
    SaleSetting,
    TransactionHeader,
)
from ils_desktop.services import clock
from ils_desktop.services.messaging.events import record_event
from ils_desktop.services.till.authorisation import (
    ManagerApproval,
    ManagerAuthorisationNeeded,
    _approving_manager,
    _proof_of,
)
from ils_desktop.services.till.basket import OutOfStock, TillNotOpen, TransactionRecorded
from ils_desktop.services.till.settings import LIMIT_KEYS, _limits_from, _scheme_on

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recording:
    """A transaction to record: what was asked for, under which key, and for whom."""

    request: SaleRequest
    key: uuid.UUID
    fingerprint: str
    session_id: uuid.UUID | None
    patient_id: uuid.UUID | None = None
    customer_name: str = ""
    customer_address: str = ""
    reason: str = ""
    original_id: uuid.UUID | None = None


def record(uow: TenantUnitOfWork, recording: Recording, approval: ManagerApproval | None) -> TransactionRecorded:
    """Record ``recording`` in ``uow`` and commit; the transaction already recorded under its key if
    there is one (module docstring)."""
    proof = _proof_of(uow, approval)  # the slow password hash, before queueing behind other tills
    records = uow.repository(SaleRecords)
    request = recording.request
    original: OriginalRecord | None = None
    if recording.original_id is not None:
        records.queue_behind_other_tills()
        original = _original(records, recording.original_id)
    patient_id = recording.patient_id
    if original is not None:
        is_exchange = request.kind is TransactionKind.EXCHANGE
        patient_id = (original.patient_id or recording.patient_id) if is_exchange else original.patient_id
    wanted = [item.variant_id for item in request.items]
    if original is not None:
        wanted += [item.variant_id for item in original.sale.items if item.variant_id is not None]
    # A sale queues behind the other tills and reads what it needs in one round trip.
    reading = records.read_for_recording(recording.key, recording.session_id, patient_id, LIMIT_KEYS, wanted,
                                         queue=original is None)
    setting = reading.setting
    if setting.already is not None:
        return _already(setting.already, recording.fingerprint)
    manager = _approving_manager(uow, proof, "till.authorise")
    if setting.session_status != "open":
        raise TillNotOpen("This till has been closed (Z report). Open the till again to take payments.")
    when = clock.now()
    codes = [t.reference for t in request.tenders if t.kind in (TenderKind.GIFT_CARD, TenderKind.CREDIT_NOTE)]
    facts = SaleFacts(
        scheme=_scheme_on(setting.schemes, when.date()), limits=_limits_from(setting.settings), today=when.date(),
        catalogue={variant_id: _entry(row) for variant_id, row in reading.items.items()},
        original=original.sale if original else None, gift_cards=records.gift_cards(codes),
        authorised=manager is not None)
    plan = plan_transaction(request, facts)
    if isinstance(plan, Refusal):
        raise _refused(plan)
    customer_name, customer_address = _customer(patient_id, setting, recording, original)
    address = setting.supplier_address
    supplier_address = ", ".join(str(address[k]) for k in ("line1", "line2", "town", "county", "postcode")
                                  if address.get(k))
    header = TransactionHeader(
        key=recording.key, fingerprint=recording.fingerprint, occurred_at=when, till_session_id=recording.session_id,
        till_name=setting.till_name, patient_id=patient_id, cashier_id=uow.context.user_id,
        authorised_by=manager.user_id if manager and plan.over_limits else None, original_id=recording.original_id,
        reason=recording.reason.strip() or None, supplier_name=setting.supplier_name,
        supplier_address=supplier_address or setting.supplier_name, supplier_vat_number=setting.supplier_vat_number,
        customer_name=customer_name, customer_address=customer_address,
        original_invoice_id=original.invoice_id if original else None)
    try:
        written = records.write(header, plan)
    except IntegrityError as error:
        if "on_hand_not_negative" not in str(error.orig):
            raise
        # Stock the plan counted after queueing was taken by a writer that did not queue.
        raise OutOfStock(out_of_stock_message(plan.stock[0].description if plan.stock else "An item", 0)) from None
    if plan.kind.value == "sale":
        record_event(uow, "sale.completed", written.transaction_id, {
            "patient_id": patient_id, "number": written.number, "total": str(plan.total)})
    uow.commit()
    return _recorded(written.transaction_id, written.number, written.invoice_number, plan,
                     credit_note_code=written.credit_note_code)


def _original(records: SaleRecords, original_id: uuid.UUID | None) -> OriginalRecord | None:
    if original_id is None:
        return None
    found = records.original_sale(original_id)
    if found is None:
        raise NotFound("That sale was not found.")
    return found


def _entry(row: ItemRow) -> CatalogueEntry:
    return CatalogueEntry(row.variant_id, row.name, row.category, row.retail_price, row.cost_price, row.vat_rate,
                          row.supply_kind, row.track_stock, row.on_sale, row.on_hand)


def _already(found: AlreadyRecorded, fingerprint: str) -> TransactionRecorded:
    if found.fingerprint != fingerprint:
        log.error("idempotency key reused for a different basket (transaction %s)", found.number)
        raise UserFacingError(
            f"This basket was already recorded as transaction {found.number}, with different contents. "
            "Start a new sale for any further items.")
    return TransactionRecorded(found.transaction_id, found.number, found.invoice_number, found.kind, found.total,
                               found.paid_total, found.change_given, cash_taken=found.cash, already_recorded=True)


def _recorded(transaction_id: uuid.UUID, number: int, invoice_number: int, plan: SalePlan, *,
              credit_note_code: str | None) -> TransactionRecorded:
    return TransactionRecorded(transaction_id, number, invoice_number, plan.kind.value, plan.total, plan.paid_total,
                               plan.change_given, cash_taken=plan.cash, credit_note_code=credit_note_code)


def _refused(refusal: Refusal) -> UserFacingError:
    if refusal.why is Refused.OUT_OF_STOCK:
        return OutOfStock(refusal.message)
    if refusal.why is Refused.NEEDS_MANAGER:
        return ManagerAuthorisationNeeded(refusal.reasons)
    return ValidationFailed({refusal.field: refusal.message})


def _customer(patient_id: uuid.UUID | None, setting: SaleSetting, recording: Recording,
              original: OriginalRecord | None) -> tuple[str | None, str | None]:
    """Who the invoice is for: the patient (their name and address unless others were given), or
    the walk-in's name and address; a credit note with neither is addressed as its original was."""
    name, address = recording.customer_name.strip(), recording.customer_address.strip()
    if patient_id is None:
        found: tuple[str | None, str | None] = (name or None, address or None)
    else:
        patient = setting.patient
        if patient is None:
            raise ValidationFailed({"patient": "That patient was not found; choose the patient again."})
        full = " ".join(p for p in (patient.title, patient.first_name, patient.last_name) if p)
        found = (name or full, address or ", ".join(patient.address_lines) or None)
    if original is not None and original.invoice_id is not None and found == (None, None):
        found = (original.customer_name, original.customer_address)
    return found
