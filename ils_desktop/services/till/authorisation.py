"""A manager authorises at the till what is over the practice's limits (a discount, a refund, closing
the till) by typing their email and password: checked as at sign-in (a wrong password counts towards
their lock-out), in the practice signed in, against the permission the thing needs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.passwords import normalise_email
from ils_desktop.domain.roles import effective_permissions
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.repositories.sign_in import check_password, password_cost
from ils_desktop.services.auth import proof_with, refusal
from ils_desktop.services.till.basket import _refuse_text
from ils_desktop.services.use_case import use_case

WRONG = ("The email or password is not right, or that person is not a member of staff of this practice.")


class ManagerAuthorisationNeeded(UserFacingError):
    """Raised when a discount or refund is over the practice's limit and no manager has approved."""

    title = "Manager authorisation needed"

    def __init__(self, reasons: Sequence[str], permission: str = "till.authorise") -> None:
        self.reasons = tuple(reasons)
        self.permission = permission
        super().__init__("A manager needs to authorise this: " + "; ".join(self.reasons) + ".")


class ManagerAuthorisationFailed(UserFacingError):
    title = "Not authorised"


@dataclass(frozen=True)
class ManagerApproval:
    """A manager's email and password, typed at the till to authorise something over a limit."""

    email: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class Manager:
    user_id: uuid.UUID
    name: str


@dataclass(frozen=True)
class _Proof:
    email: str
    proof: bytes


def _proof_of(uow: TenantUnitOfWork, approval: ManagerApproval | None) -> _Proof | None:
    """The approval's password proof (argon2: slow on purpose), made before the caller queues behind
    other tills so that they do not wait for it."""
    if approval is None:
        return None
    if not approval.email.strip() or not approval.password:
        raise ManagerAuthorisationFailed("Enter the manager's email address and password.")
    _refuse_text({"email": (approval.email, text_input.EMAIL)})
    unusable = text_input.unstorable_character(approval.password)
    if unusable:  # it cannot be anyone's password
        raise ValidationFailed({"password": text_input.character_message(unusable)})
    email = normalise_email(approval.email)
    return _Proof(email, proof_with(approval.password, password_cost(uow.session, email)))


def _approving_manager(uow: TenantUnitOfWork, proof: _Proof | None, permission: str) -> Manager | None:
    """The manager whose proof the database accepts and who holds ``permission``; without a proof,
    the person at the till if they may authorise it themselves; else None.

    A wrong password is committed (it counts towards that person's lock-out) before the refusal, so
    the caller's unit of work ends there."""
    context = uow.context
    if proof is None:
        return Manager(context.user_id, "") if context.can(permission) and context.user_id is not None else None
    answer = check_password(uow.session, proof.email, proof.proof)
    if answer.outcome != "ok" or answer.user_id is None:
        uow.commit()
        raise ManagerAuthorisationFailed(WRONG if answer.outcome == "wrong" else refusal(answer))
    user = uow.users.get(answer.user_id)
    if user is None:
        raise ManagerAuthorisationFailed("That account is not a member of staff of this practice.")
    roles = {user.role} | uow.users.extra_roles(user.id)
    granted = effective_permissions(uow.users.role_permissions(roles), uow.users.permission_overrides(user.id))
    if permission not in granted:
        raise ManagerAuthorisationFailed(
            f"{user.full_name} cannot authorise this: their role does not allow it. Ask a practice manager.")
    return Manager(user.id, user.full_name)


@use_case(permission="till.sell")
def verify_manager(uow: TenantUnitOfWork, approval: ManagerApproval, permission: str = "till.authorise") -> Manager:
    """Check a manager's email and password and that they hold ``permission`` in this practice (the
    till's authorisation dialog; the use case that needs the approval checks it again)."""
    manager = _approving_manager(uow, _proof_of(uow, approval), permission)
    assert manager is not None
    uow.commit()  # the database notes the successful check
    return manager
