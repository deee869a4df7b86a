"""The monthly NHS payment schedule: imported from PCSE's CSV (``domain.gos.payments``; columns in
docs/nhs-payment-schedule.md), each line matched to a submitted claim, the claims paid, and what
was short-paid, unexpected or still unpaid shown to the manager. A file is imported once."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.gos.payments import LineOutcome, OwedClaim, PaymentFileError, parse_schedule, reconcile
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.models.nhs import NhsPayment
from ils_desktop.services.nhs._common import nhs
from ils_desktop.services.use_case import use_case


@dataclass(frozen=True)
class ReconciledLine:
    line: int
    reference: str
    form: str
    surname: str
    service_date: date
    amount: Decimal
    claimed: Decimal | None
    outcome: LineOutcome
    claim_id: uuid.UUID | None


@dataclass(frozen=True)
class UnpaidClaim:
    claim_id: uuid.UUID
    reference: str | None
    form: str
    surname: str
    service_date: date
    claimed: Decimal


@dataclass(frozen=True)
class PaymentImport:
    payment_id: uuid.UUID
    payment_date: date
    total: Decimal
    lines: tuple[ReconciledLine, ...]
    unpaid: tuple[UnpaidClaim, ...]
    unreadable: tuple[tuple[int, str], ...]

    def count(self, outcome: LineOutcome) -> int:
        return sum(1 for line in self.lines if line.outcome is outcome)


@use_case(permission="nhs.claims")
def import_payment_schedule(uow: TenantUnitOfWork, file_name: str, data: bytes) -> PaymentImport:
    """Import a payment schedule: refused whole when it is not one (or was imported before), or when
    any line cannot be read (each listed with its number) — nothing is half-imported."""
    try:
        schedule = parse_schedule(data)
    except PaymentFileError as error:
        raise UserFacingError(str(error)) from None
    if schedule.problems:
        listed = "; ".join(f"line {p.line}: {p.message}" for p in schedule.problems[:8])
        more = f" (and {len(schedule.problems) - 8} more)" if len(schedule.problems) > 8 else ""
        raise ValidationFailed({"file": f"Some lines cannot be read — {listed}{more}. Nothing was imported."})
    if not schedule.lines:
        raise ValidationFailed({"file": "The schedule has no payment lines."})
    digest = hashlib.sha256(data).hexdigest()
    repo = nhs(uow)
    if repo.payment_by_hash(digest) is not None:
        raise ValidationFailed({"file": "This payment schedule was imported before."})
    owed = repo.owed_claims()
    result = reconcile(schedule.lines, [OwedClaim(str(o.id), o.reference, o.form, o.surname, o.service_date,
                                                  o.amount_claimed) for o in owed])
    assert schedule.payment_date is not None
    payment = NhsPayment(id=uuid.uuid4(), payment_date=schedule.payment_date, file_name=file_name[-200:],
                         file_sha256=digest, total=schedule.total, line_count=len(schedule.lines),
                         imported_by=uow.context.user_id)
    repo.add(payment)
    uow.flush()
    repo.add_payment_lines([
        {"payment_id": payment.id, "line_number": m.line.line, "reference": m.line.reference, "form": m.line.form,
         "surname": m.line.surname, "service_date": m.line.service_date, "amount": m.line.amount,
         "claim_id": uuid.UUID(m.claim_key) if m.claim_key else None, "claimed": m.claimed,
         "outcome": m.outcome.value} for m in result.matches])
    paid = [(uuid.UUID(m.claim_key), m.line.amount, m.line.reference) for m in result.matches if m.claim_key]
    if repo.mark_paid(paid) != len(paid):
        raise UserFacingError("Another workstation changed these claims while the schedule was imported: "
                              "nothing was imported. Import it again.")
    uow.commit()
    return PaymentImport(
        payment.id, payment.payment_date, schedule.total,
        tuple(ReconciledLine(m.line.line, m.line.reference, m.line.form, m.line.surname, m.line.service_date,
                             m.line.amount, m.claimed, m.outcome, uuid.UUID(m.claim_key) if m.claim_key else None)
              for m in result.matches),
        tuple(UnpaidClaim(uuid.UUID(c.key), c.reference, c.form, c.surname, c.service_date, c.claimed)
              for c in result.unpaid), ())


@dataclass(frozen=True)
class PaymentSummary:
    id: uuid.UUID
    payment_date: date
    file_name: str
    total: Decimal
    line_count: int


@use_case(permission="nhs.claims", read_only=True)
def recent_payments(uow: TenantUnitOfWork) -> list[PaymentSummary]:
    return [PaymentSummary(p.id, p.payment_date, p.file_name, p.total, p.line_count) for p in nhs(uow).payments()]


@dataclass(frozen=True)
class NhsMoneyOwed:
    claims: int
    total: Decimal


@use_case(permission="nhs.claims", read_only=True)
def nhs_money_owed(uow: TenantUnitOfWork) -> NhsMoneyOwed:
    """Submitted and not yet paid: what the NHS owes the practice."""
    count, total = nhs(uow).owed_total()
    return NhsMoneyOwed(count, total)


def owed_and_overdue(uow: TenantUnitOfWork, today: date) -> tuple[Decimal, int, int]:
    """(owed by the NHS, claims owed for, claims past their deadline still to submit), in one query:
    the Home day view's NHS figure."""
    return nhs(uow).money_owed_and_overdue(today)
