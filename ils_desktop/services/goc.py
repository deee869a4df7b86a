"""GOC registration checks: record what the register showed, and look up whether it is current.

Rule (``domain.goc``): a practitioner may finalise an examination only while the latest check on
record says "registered" and is still in date (Opticians Act 1989 s.24–25).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from ils_desktop.db.database import Database
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.exam import LONDON
from ils_desktop.domain.goc import RegistrationCheck, check_problems
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import NotFound, PermissionDenied, ValidationFailed
from ils_desktop.models.clinical import GocComplianceCheck
from ils_desktop.repositories.exams import GocCheckRepository


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

    def is_current(self, today: date | None = None) -> bool:
        return self.as_check().is_current(today or london_today())


def london_today() -> date:
    """Today's date in the practice's time zone (the day a registration must still be valid on)."""
    return datetime.now(LONDON).date()


def _recorded(row: GocComplianceCheck, names: dict[uuid.UUID, str]) -> RecordedCheck:
    return RecordedCheck(row.id, row.user_id, row.goc_number, row.registrant_type, row.status, row.checked_on,
                         row.valid_until, names.get(row.checked_by) if row.checked_by else None, row.notes)


def latest_check(rows: list[GocComplianceCheck]) -> GocComplianceCheck | None:
    """The check that decides: the latest date's; on a tie, a not-registered result wins (the safe side)."""
    if not rows:
        return None
    latest_day = max(r.checked_on for r in rows)
    same_day = [r for r in rows if r.checked_on == latest_day]
    refusing = [r for r in same_day if r.status != "registered"]
    return refusing[0] if refusing else max(same_day, key=lambda r: r.valid_until)


def latest_for(uow: TenantUnitOfWork, user_id: uuid.UUID) -> RecordedCheck | None:
    """The deciding check of a user, inside the caller's unit of work (finalising uses this)."""
    from ils_desktop.repositories.exams import ExamRepository

    row = latest_check(list(uow.repository(GocCheckRepository).for_user(user_id)))
    if row is None:
        return None
    names = uow.repository(ExamRepository).user_names({row.checked_by} if row.checked_by else set())
    return _recorded(row, names)


def record_goc_check(
    database: Database, context: TenantContext, user_id: uuid.UUID, *, goc_number: str, registrant_type: str,
    status: str, checked_on: date, valid_until: date, notes: str | None = None,
) -> RecordedCheck:
    """Record a look-up of a practitioner on the GOC register (a practice manager's task).

    Managers (``users.manage``) record checks; a practitioner cannot certify themselves.
    """
    if not context.can("users.manage"):
        raise PermissionDenied("users.manage", "record GOC registration checks")
    problems = text_input.text_problems({"goc_number": (goc_number, text_input.CODE),
                                         "notes": (notes, text_input.NOTE)})
    check = RegistrationCheck(goc_number.strip(), registrant_type, status, checked_on, valid_until)
    problems = check_problems(check) | problems
    if problems:
        raise ValidationFailed(problems)

    def work(uow: TenantUnitOfWork) -> RecordedCheck:
        from ils_desktop.repositories.exams import ExamRepository

        exams = uow.repository(ExamRepository)
        if exams.user(user_id) is None:
            raise NotFound("That member of staff is no longer on record.")
        row = uow.repository(GocCheckRepository).add(GocComplianceCheck(
            id=uuid.uuid4(), user_id=user_id, goc_number=check.goc_number, registrant_type=registrant_type,
            status=status, checked_on=checked_on, valid_until=valid_until, checked_by=context.user_id,
            notes=(notes or "").strip() or None,
        ))
        uow.flush()
        recorded = _recorded(row, exams.user_names({context.user_id} if context.user_id else set()))
        uow.commit()
        return recorded

    return database.run(context, work)


def checks_for(database: Database, context: TenantContext, user_id: uuid.UUID) -> list[RecordedCheck]:
    """Every check recorded for a user, the latest first. Users may read their own."""
    if user_id != context.user_id and not context.can("users.view"):
        raise PermissionDenied("users.view", "see staff GOC checks")

    def work(uow: TenantUnitOfWork) -> list[RecordedCheck]:
        from ils_desktop.repositories.exams import ExamRepository

        rows = list(uow.repository(GocCheckRepository).for_user(user_id))
        names = uow.repository(ExamRepository).user_names({r.checked_by for r in rows if r.checked_by})
        return [_recorded(r, names) for r in rows]

    return database.run(context, work, retry_safe=True)


def current_registration(database: Database, context: TenantContext, user_id: uuid.UUID | None = None
                         ) -> RecordedCheck | None:
    """The user's (default: the signed-in user's) current registration, or None if not current."""
    who = user_id or context.user_id
    if who is None:
        return None

    def work(uow: TenantUnitOfWork) -> RecordedCheck | None:
        latest = latest_for(uow, who)
        return latest if latest is not None and latest.is_current() else None

    return database.run(context, work, retry_safe=True)
