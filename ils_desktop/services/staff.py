"""Staff accounts: list, add, change role or status, reset password, unlock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import DBAPIError, IntegrityError

from ils_desktop.db.database import Database
from ils_desktop.db.refusals import primary_message
from ils_desktop.db.tenant import TenantContext
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.passwords import normalise_email
from ils_desktop.domain.roles import REGISTERED_ROLES, Role, UserStatus
from ils_desktop.errors import NotFound, PermissionDenied, UserFacingError, ValidationFailed
from ils_desktop.repositories.users import AccountDetails
from ils_desktop.services.auth import new_password, proof_for
from ils_desktop.services.onboarding import (
    NewUser,
    account_text_problems,
    new_password_problems,
    new_user_problems,
)
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
    password = new_password(new.password)

    def work(uow: TenantUnitOfWork) -> uuid.UUID:
        user_id = uow.users.add(normalise_email(new.email), account_details(new), password,
                                must_change_password=new.must_change_password)
        uow.commit()
        return user_id

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
    problems = account_text_problems(changes.first_name, changes.last_name, changes.goc_number,
                                     changes.enhanced_role)
    if not changes.first_name.strip():
        problems.setdefault("first_name", "Enter a first name.")
    if not changes.last_name.strip():
        problems.setdefault("last_name", "Enter a last name.")
    if changes.role not in {r.value for r in Role}:
        problems["role"] = "Choose a role."
    if changes.status not in {s.value for s in UserStatus}:
        problems["status"] = "Choose a status."
    if not problems:
        problems |= _registration_problem(changes.role, changes.goc_number)
    if problems:
        raise ValidationFailed(problems)
    details = AccountDetails(
        first_name=changes.first_name.strip(), last_name=changes.last_name.strip(), role=changes.role,
        goc_number=changes.goc_number.strip() or None, enhanced_role=changes.enhanced_role.strip() or None,
        extra_roles=frozenset(changes.extra_roles) - {changes.role},
    )

    def work(uow: TenantUnitOfWork) -> None:
        uow.users.update(user_id, details, changes.status)
        uow.commit()

    _account_change(database, context, work)


def reset_password(database: Database, context: TenantContext, user_id: uuid.UUID, temporary: str) -> None:
    """Set a temporary password (to be changed at next sign-in), clear any lock and sign the
    person out of every workstation."""
    require(context, "users.manage")

    def person(uow: TenantUnitOfWork) -> tuple[str, str]:
        user = uow.users.get(user_id)
        if user is None:
            raise NotFound("That member of staff no longer exists.")
        return user.email, user.full_name

    email, name = database.run(context, person, retry_safe=True)
    problem = new_password_problems(temporary, email=email, name=name)
    if problem:
        raise ValidationFailed({"password": problem})
    password = new_password(temporary)

    def work(uow: TenantUnitOfWork) -> None:
        uow.users.set_password(user_id, password)
        uow.commit()

    _account_change(database, context, work)


def unlock_account(database: Database, context: TenantContext, user_id: uuid.UUID) -> None:
    require(context, "users.manage")

    def work(uow: TenantUnitOfWork) -> None:
        uow.users.unlock(user_id)
        uow.commit()

    _account_change(database, context, work, retry_safe=True)


def change_own_password(database: Database, context: TenantContext, current: str, new: str) -> None:
    """The signed-in person changes their password; their other sessions end."""
    assert context.user_id is not None

    def me(uow: TenantUnitOfWork) -> tuple[str, str]:
        user = uow.users.get(context.user_id)  # type: ignore[arg-type]
        if user is None:
            raise NotFound("Your account no longer exists.")
        return user.email, user.full_name

    email, name = database.run(context, me, retry_safe=True)
    problem = new_password_problems(new, email=email, name=name)
    if new == current:
        problem = " ".join(filter(None, (problem, "Choose a password different from the current one.")))
    if problem:
        raise ValidationFailed({"password": problem})
    current_proof = proof_for(database, email, current)
    password = new_password(new)

    def work(uow: TenantUnitOfWork) -> bool:
        changed = uow.users.change_own_password(current_proof, password)
        uow.commit()  # a wrong current password counts towards the lock-out
        return changed

    if not database.run(context, work):
        raise ValidationFailed({"current": "Your current password is not right."})


def _account_change(database: Database, context: TenantContext, work, *, retry_safe: bool = False) -> None:  # type: ignore[no-untyped-def]
    """Run an account change, turning the database's refusals into what the manager is told."""
    try:
        database.run(context, work, retry_safe=retry_safe)
    except DBAPIError as error:
        message = primary_message(error)
        if "last administrator" in message:
            raise UserFacingError(
                "This is the practice's only active administrator. Make someone else an "
                "administrator first."
            ) from None
        if "no such user" in message:
            raise NotFound("That member of staff no longer exists.") from None
        if "permission needed" in message:
            raise PermissionDenied("users.manage") from None
        raise


def account_details(new: NewUser) -> AccountDetails:
    return AccountDetails(
        first_name=new.first_name.strip(), last_name=new.last_name.strip(), role=new.role,
        goc_number=new.goc_number.strip() or None, enhanced_role=new.enhanced_role.strip() or None,
        extra_roles=frozenset(new.extra_roles) - {new.role},
    )
