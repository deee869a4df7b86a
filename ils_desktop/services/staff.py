"""Staff accounts: list, add, change role or status, reset password, unlock."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import DBAPIError, IntegrityError

from ils_desktop.db.refusals import primary_message
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.passwords import normalise_email
from ils_desktop.domain.roles import REGISTERED_ROLES, Role, UserStatus
from ils_desktop.errors import NotFound, PermissionDenied, UserFacingError, ValidationFailed
from ils_desktop.repositories.sign_in import password_cost
from ils_desktop.repositories.users import AccountDetails
from ils_desktop.services.auth import new_password, proof_with
from ils_desktop.services.onboarding import (
    NewUser,
    account_text_problems,
    new_password_problems,
    new_user_problems,
)
from ils_desktop.services.use_case import use_case


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


@use_case(permission="users.view", read_only=True)
def list_staff(uow: TenantUnitOfWork) -> list[StaffMember]:
    """Everyone on the practice's staff list, with their extra roles (two queries)."""
    now = datetime.now(UTC)
    extra = uow.users.extra_roles_by_user()
    return [
        StaffMember(
            id=u.id, name=u.full_name, first_name=u.first_name, last_name=u.last_name,
            email=u.email, role=u.role, extra_roles=frozenset(extra.get(u.id, ())),
            enhanced_role=u.enhanced_role or "", status=u.status, goc_number=u.goc_number or "",
            last_login_at=u.last_login_at,
            locked=u.locked_until is not None and u.locked_until > now,
        )
        for u in uow.users.list()
    ]


def _registration_problem(role: str, goc_number: str) -> dict[str, str]:
    if Role(role) in REGISTERED_ROLES and not goc_number.strip():
        return {"goc_number": f"A {Role(role).label.lower()} must have a GOC registration number."}
    return {}


@use_case(permission="users.manage")
def add_staff(uow: TenantUnitOfWork, new: NewUser) -> uuid.UUID:
    """Add a member of staff (they change the temporary password at first sign-in, when asked to)."""
    problems = new_user_problems(new)
    if not problems:
        problems |= _registration_problem(new.role, new.goc_number)
    if problems:
        raise ValidationFailed(problems)
    with account_refusals():
        user_id = uow.users.add(normalise_email(new.email), account_details(new), new_password(new.password),
                                must_change_password=new.must_change_password)
    uow.commit()
    return user_id


@use_case(permission="users.manage")
def update_staff(uow: TenantUnitOfWork, user_id: uuid.UUID, changes: StaffChanges) -> None:
    """Change a member of staff's names, role, status and registration (the database keeps the
    practice's last active administrator, and signs out anyone who stops being active)."""
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
    with account_refusals():
        uow.users.update(user_id, details, changes.status)
    uow.commit()


@use_case(permission="users.manage")
def reset_password(uow: TenantUnitOfWork, user_id: uuid.UUID, temporary: str) -> None:
    """Set a temporary password (to be changed at next sign-in), clear any lock and sign the
    person out of every workstation."""
    user = uow.users.get(user_id)
    if user is None:
        raise NotFound("That member of staff no longer exists.")
    problem = new_password_problems(temporary, email=user.email, name=user.full_name)
    if problem:
        raise ValidationFailed({"password": problem})
    with account_refusals():
        uow.users.set_password(user_id, new_password(temporary))
    uow.commit()


@use_case(permission="users.manage", retry_safe=True)
def unlock_account(uow: TenantUnitOfWork, user_id: uuid.UUID) -> None:
    with account_refusals():
        uow.users.unlock(user_id)
    uow.commit()


@use_case(permission=None)
def change_own_password(uow: TenantUnitOfWork, current: str, new: str) -> None:
    """The signed-in person changes their password; their other sessions end. A wrong current
    password counts towards their lock-out."""
    assert uow.context.user_id is not None
    me = uow.users.get(uow.context.user_id)
    if me is None:
        raise NotFound("Your account no longer exists.")
    problem = new_password_problems(new, email=me.email, name=me.full_name)
    if new == current:
        problem = " ".join(filter(None, (problem, "Choose a password different from the current one.")))
    if problem:
        raise ValidationFailed({"password": problem})
    current_proof = proof_with(current, password_cost(uow.session, me.email))
    changed = uow.users.change_own_password(current_proof, new_password(new))
    uow.commit()  # a wrong current password still counts
    if not changed:
        raise ValidationFailed({"current": "Your current password is not right."})


@contextlib.contextmanager
def account_refusals() -> Iterator[None]:
    """The database's refusals of an account change, as the manager is told them."""
    try:
        yield
    except DBAPIError as error:
        if isinstance(error, IntegrityError) and "uq_users_email" in str(error.orig):
            raise ValidationFailed({"email": "This email address is already used by another account."}) from None
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
