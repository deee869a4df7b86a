"""Staff accounts: list, add, change role or status, reset password, unlock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from ils_desktop.db.database import Database
from ils_desktop.db.tenant import TenantContext
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.passwords import normalise_email, password_problems
from ils_desktop.domain.roles import REGISTERED_ROLES, Role, UserStatus
from ils_desktop.errors import NotFound, UserFacingError, ValidationFailed
from ils_desktop.services.auth import hash_password
from ils_desktop.services.onboarding import NewUser, _user_row, new_user_problems
from ils_desktop.services.permissions import require


@dataclass(frozen=True)
class StaffMember:
    id: uuid.UUID
    name: str
    first_name: str
    last_name: str
    email: str
    role: str
    extra_roles: frozenset[str]
    enhanced_role: str
    status: str
    goc_number: str
    last_login_at: datetime | None
    locked: bool

    @property
    def role_label(self) -> str:
        return Role(self.role).label


@dataclass(frozen=True)
class StaffChanges:
    first_name: str
    last_name: str
    role: str
    status: str
    goc_number: str = ""
    enhanced_role: str = ""
    extra_roles: frozenset[str] = frozenset()


def list_staff(database: Database, context: TenantContext) -> list[StaffMember]:
    require(context, "users.view")

    def work(uow: TenantUnitOfWork) -> list[StaffMember]:
        now = datetime.now(UTC)
        return [
            StaffMember(
                id=u.id, name=u.full_name, first_name=u.first_name, last_name=u.last_name,
                email=u.email, role=u.role, extra_roles=frozenset(uow.users.extra_roles(u.id)),
                enhanced_role=u.enhanced_role or "", status=u.status, goc_number=u.goc_number or "",
                last_login_at=u.last_login_at,
                locked=u.locked_until is not None and u.locked_until > now,
            )
            for u in uow.users.list()
        ]

    return database.run(context, work, retry_safe=True)


def _registration_problem(role: str, goc_number: str) -> dict[str, str]:
    if Role(role) in REGISTERED_ROLES and not goc_number.strip():
        return {"goc_number": f"A {Role(role).label.lower()} must have a GOC registration number."}
    return {}


def add_staff(database: Database, context: TenantContext, new: NewUser) -> uuid.UUID:
    """Add a member of staff; they must change the temporary password at first sign-in."""
    require(context, "users.manage")
    problems = new_user_problems(new)
    if not problems:
        problems |= _registration_problem(new.role, new.goc_number)
    if problems:
        raise ValidationFailed(problems)
    password_hash = hash_password(new.password)

    def work(uow: TenantUnitOfWork) -> uuid.UUID:
        if uow.users.email_taken(normalise_email(new.email)):
            raise ValidationFailed({"email": "This email address is already used by another account."})
        user = uow.users.add(_user_row(new, password_hash))
        uow.flush()
        uow.users.set_extra_roles(user.id, set(new.extra_roles) - {new.role})
        uow.commit()
        return user.id

    try:
        return database.run(context, work)
    except IntegrityError as error:
        if "uq_users_email" in str(error.orig):
            raise ValidationFailed(
                {"email": "This email address is already used by another account."}
            ) from error
        raise


def update_staff(database: Database, context: TenantContext, user_id: uuid.UUID, changes: StaffChanges) -> None:
    require(context, "users.manage")
    problems: dict[str, str] = {}
    if not changes.first_name.strip():
        problems["first_name"] = "Enter a first name."
    if not changes.last_name.strip():
        problems["last_name"] = "Enter a last name."
    if changes.role not in {r.value for r in Role}:
        problems["role"] = "Choose a role."
    if changes.status not in {s.value for s in UserStatus}:
        problems["status"] = "Choose a status."
    if not problems:
        problems |= _registration_problem(changes.role, changes.goc_number)
    if problems:
        raise ValidationFailed(problems)

    def work(uow: TenantUnitOfWork) -> None:
        user = uow.users.get_for_update(user_id)
        if user is None:
            raise NotFound("That member of staff no longer exists.")
        losing_admin = user.role == Role.ADMIN and user.status == UserStatus.ACTIVE and (
            changes.role != Role.ADMIN or changes.status != UserStatus.ACTIVE
        )
        if losing_admin:
            active_admins = [
                u for u in uow.users.list() if u.role == Role.ADMIN and u.status == UserStatus.ACTIVE
            ]
            if len(active_admins) <= 1:
                raise UserFacingError(
                    "This is the practice's only active administrator. Make someone else an "
                    "administrator first."
                )
        user.first_name = changes.first_name.strip()
        user.last_name = changes.last_name.strip()
        user.role = changes.role
        user.status = changes.status
        user.goc_number = changes.goc_number.strip() or None
        user.enhanced_role = changes.enhanced_role.strip() or None
        uow.users.set_extra_roles(user_id, set(changes.extra_roles) - {changes.role})
        uow.commit()

    database.run(context, work)


def reset_password(database: Database, context: TenantContext, user_id: uuid.UUID, temporary: str) -> None:
    """Set a temporary password (to be changed at next sign-in) and clear any lock."""
    require(context, "users.manage")

    def work(uow: TenantUnitOfWork) -> None:
        user = uow.users.get_for_update(user_id)
        if user is None:
            raise NotFound("That member of staff no longer exists.")
        problems = password_problems(temporary, email=user.email, name=user.full_name)
        if problems:
            raise ValidationFailed({"password": " ".join(problems)})
        user.password_hash = hash_password(temporary)
        user.must_change_password = True
        user.password_changed_at = datetime.now(UTC)
        user.failed_login_count = 0
        user.locked_until = None
        uow.commit()

    database.run(context, work)


def unlock_account(database: Database, context: TenantContext, user_id: uuid.UUID) -> None:
    require(context, "users.manage")

    def work(uow: TenantUnitOfWork) -> None:
        user = uow.users.get_for_update(user_id)
        if user is None:
            raise NotFound("That member of staff no longer exists.")
        user.failed_login_count = 0
        user.locked_until = None
        uow.commit()

    database.run(context, work, retry_safe=True)


def change_own_password(database: Database, context: TenantContext, current: str, new: str) -> None:
    from ils_desktop.services.auth import _check

    def work(uow: TenantUnitOfWork) -> None:
        assert context.user_id is not None
        user = uow.users.get_for_update(context.user_id)
        if user is None:
            raise NotFound("Your account no longer exists.")
        if not _check(user.password_hash, current):
            raise ValidationFailed({"current": "Your current password is not right."})
        problems = password_problems(new, email=user.email, name=user.full_name)
        if new == current:
            problems.append("Choose a password different from the current one.")
        if problems:
            raise ValidationFailed({"password": " ".join(problems)})
        user.password_hash = hash_password(new)
        user.must_change_password = False
        user.password_changed_at = datetime.now(UTC)
        uow.commit()

    database.run(context, work)
