"""GOC registration checks: record what the register showed, and look up whether it is current.

Rule (``domain.goc``): a practitioner may finalise an examination only while the deciding check on
record says "registered" and is still in date (Opticians Act 1989 s.24–25). Only managers record
checks: a practitioner cannot certify themselves.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.goc import RegistrationCheck, check_problems, deciding_check
from ils_desktop.errors import NotFound, ValidationFailed
from ils_desktop.models.clinical import GocComplianceCheck
from ils_desktop.repositories.exams import ClinicalRecordRepository, GocCheckRepository
from ils_desktop.repositories.exams import RecordedCheck as CheckRow
from ils_desktop.services import clock
from ils_desktop.services.permissions import require
from ils_desktop.services.use_case import use_case


@dataclass(frozen=True)
class RecordedCheck:
    id: uuid.UUID
    user_id: uuid.UUID
    goc_number: str
    registrant_type: str
    status: str
    checked_on: date
    valid_until: date
    checked_by_name: str | None
    notes: str | None

    def as_check(self) -> RegistrationCheck:
        return RegistrationCheck(self.goc_number, self.registrant_type, self.status, self.checked_on,
                                 self.valid_until)

    def is_current(self, today: date) -> bool:
        return self.as_check().is_current(today)


def _recorded(found: CheckRow) -> RecordedCheck:
    row = found.row
    return RecordedCheck(row.id, row.user_id, row.goc_number, row.registrant_type, row.status, row.checked_on,
                         row.valid_until, found.checked_by_name or None, row.notes)


@use_case(permission="users.manage")
def record_goc_check(uow: TenantUnitOfWork, user_id: uuid.UUID, *, goc_number: str, registrant_type: str,
                     status: str, checked_on: date, valid_until: date, notes: str | None = None) -> RecordedCheck:
    """Record a look-up of a practitioner on the GOC register (a practice manager's task)."""
    problems = text_input.text_problems({"goc_number": (goc_number, text_input.CODE),
                                         "notes": (notes, text_input.NOTE)})
    check = RegistrationCheck(goc_number.strip(), registrant_type, status, checked_on, valid_until)
    problems = check_problems(check) | problems
    if problems:
        raise ValidationFailed(problems)
    records = uow.repository(ClinicalRecordRepository)
    names = records.user_names({user_id, uow.context.user_id})
    if user_id not in names:
        raise NotFound("That member of staff is no longer on record.")
    row = uow.repository(GocCheckRepository).add(GocComplianceCheck(
        id=uuid.uuid4(), user_id=user_id, goc_number=check.goc_number, registrant_type=registrant_type,
        status=status, checked_on=checked_on, valid_until=valid_until, checked_by=uow.context.user_id,
        notes=(notes or "").strip() or None,
    ))
    recorded = _recorded(CheckRow(row, names.get(uow.context.user_id) if uow.context.user_id else None))
    uow.commit()
    return recorded


@use_case(permission=None, read_only=True)
def deciding_check_of(uow: TenantUnitOfWork, user_id: uuid.UUID | None = None) -> RecordedCheck | None:
    """The check on record that decides whether a practitioner is registered (``domain.goc``), current
    or not: the signed-in user's, or — for a manager — anyone's. One query."""
    who = user_id or uow.context.user_id
    if who is None:
        return None
    if who != uow.context.user_id:
        require(uow.context, "users.view")
    return deciding_check([_recorded(c) for c in uow.repository(GocCheckRepository).for_user(who)])


@use_case(permission=None, read_only=True)
def current_registration(uow: TenantUnitOfWork, user_id: uuid.UUID | None = None) -> RecordedCheck | None:
    """The user's registration if the deciding check says it is current today (London), else None."""
    latest = deciding_check_of(uow, user_id)
    return latest if latest is not None and latest.is_current(clock.today()) else None
