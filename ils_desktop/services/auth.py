"""Sign-in, sign-out, the idle-lock check and passwords checked at the till.

The password is proven to the database, never sent to it: the workstation derives an argon2id
proof with the account's salt (``domain.passwords``) and the database compares its SHA-256 with
what it stores, counts failures, locks accounts and starts the session (``ils_sign_in``). Until
the password has been verified every refusal reads the same — unknown email, wrong password,
suspended or locked — and costs the same argon2id, so sign-in tells nobody who has an account.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from ils_desktop.db.database import Database
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.passwords import (
    MAX_PASSWORD_LENGTH,
    PasswordRecord,
    UnusablePasswordCost,
    new_password_record,
    normalise_email,
    password_proof,
)
from ils_desktop.domain.roles import Role, effective_permissions
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import SessionEnded, SignInFailed
from ils_desktop.repositories.sign_in import PasswordCost, SignInAnswer, check_password, password_cost
from ils_desktop.repositories.sign_in import sign_in as start_session
from ils_desktop.services.permissions import require
from ils_desktop.services.settings import security_settings
from ils_desktop.version import describe

log = logging.getLogger(__name__)

WRONG_CREDENTIALS = "The email or password is not right. Check them and try again."


@dataclass(frozen=True)
class SignedIn:
    context: TenantContext
    session_id: uuid.UUID
    user_name: str
    email: str
    role: str
    company_name: str
    company_type: str
    idle_lock_minutes: int
    must_change_password: bool

    @property
    def role_label(self) -> str:
        return Role(self.role).label


def new_password(password: str) -> PasswordRecord:
    """The record the database keeps for a new password (salt, cost, verifier)."""
    return new_password_record(password)


def proof_for(database: Database, email: str, password: str) -> bytes:
    """The argon2id proof of ``password`` for the account of ``email`` (made up if there is none)."""
    cost = database.run_anonymous(lambda connection: password_cost(connection, email))
    return proof_with(password, cost)


def proof_with(password: str, cost: PasswordCost) -> bytes:
    """The argon2id proof of ``password`` at an account's salt and cost (see ``domain.passwords``)."""
    try:
        return password_proof(password[:MAX_PASSWORD_LENGTH], cost.salt, cost.params)
    except UnicodeEncodeError:
        # A lone surrogate cannot be in anyone's password (a new one is checked before it is kept).
        return b"\0" * 32
    except UnusablePasswordCost:
        # A record the app cannot use (damaged, or from a newer version): the database will say
        # "wrong" to this proof, which is what the person should see.
        log.warning("an account's password cost is not usable by this version")
        return b"\0" * 32


def _locked_message(until: datetime) -> str:
    local = until.astimezone().strftime("%H:%M")
    return (
        f"Too many failed sign-ins: this account is locked until {local}. "
        "A practice manager can unlock it sooner from the Staff screen."
    )


def refusal(answer: SignInAnswer) -> str:
    """What the person is told when the database did not say ``ok``."""
    if answer.outcome == "locked" and answer.locked_until is not None:
        return _locked_message(answer.locked_until)
    if answer.outcome == "inactive":
        return ("This account is not active (it has been suspended or the person has left). "
                "Ask a practice manager.")
    if answer.outcome == "company_inactive":
        return "This practice is not active in ILS Desktop; sign-in is not possible."
    return WRONG_CREDENTIALS


def sign_in(database: Database, email: str, password: str, *, workstation: str) -> SignedIn:
    """Prove the password to the database, which starts a session; then load who signed in."""
    email = normalise_email(email)
    if not email or not password:
        raise SignInFailed("Enter your email address and password.")
    proof = proof_for(database, email, password)
    answer = database.run_anonymous(lambda connection: start_session(
        connection, email, proof, workstation=workstation, app_version=describe()))
    if answer.outcome != "ok" or answer.session_token is None:
        raise SignInFailed(refusal(answer))
    assert answer.company_id is not None and answer.user_id is not None and answer.session_id is not None
    return signed_in_as(database, TenantContext(answer.company_id, answer.user_id,
                                                session_token=answer.session_token), answer.session_id)


def signed_in_as(database: Database, context: TenantContext, session_id: uuid.UUID) -> SignedIn:
    """Who a new session belongs to: their roles, permissions and the practice's idle lock."""

    def work(uow: TenantUnitOfWork) -> SignedIn:
        assert context.user_id is not None
        user = uow.users.get(context.user_id)
        if user is None:
            raise SessionEnded("unknown")
        company = uow.companies.current()
        roles = {user.role} | uow.users.extra_roles(user.id)
        permissions = effective_permissions(
            uow.users.role_permissions(roles), uow.users.permission_overrides(user.id)
        )
        return SignedIn(
            context=TenantContext(context.company_id, user.id, frozenset(roles), permissions,
                                  session_token=context.session_token),
            session_id=session_id,
            user_name=user.full_name,
            email=user.email,
            role=user.role,
            company_name=company.name,
            company_type=company.company_type,
            idle_lock_minutes=security_settings(uow).idle_lock_minutes,
            must_change_password=user.must_change_password,
        )

    return database.run(context, work, retry_safe=True)


def check_staff_password(database: Database, context: TenantContext, email: str, password: str, *,
                         wrong: str = WRONG_CREDENTIALS) -> uuid.UUID:
    """The account of a member of this practice whose password this is (unlock, manager approval).

    A wrong password counts towards that person's lock-out, as at sign-in."""
    email = normalise_email(email)
    proof = proof_for(database, email, password)

    def work(uow: TenantUnitOfWork) -> SignInAnswer:
        answer = check_password(uow.session, email, proof)
        uow.commit()  # a failure must count even though the check is refused
        return answer

    answer = database.run(context, work)
    if answer.outcome != "ok" or answer.user_id is None:
        raise SignInFailed(wrong if answer.outcome == "wrong" else refusal(answer))
    return answer.user_id


def unlock_workstation(database: Database, signed_in: SignedIn, password: str) -> None:
    """After an idle lock, the same person proves it is them; failures count as at sign-in."""
    if not password:
        raise SignInFailed("Enter your password.")
    check_staff_password(database, signed_in.context, signed_in.email, password,
                         wrong="That password is not right.")


#: What the practice's background service may do: match readings to patients and store them; send
#: the practice's queued messages and webhook deliveries (``services/messaging/sender.py``).
SERVICE_PERMISSIONS = frozenset({"patients.view", "messages.send"})


def service_context(company_id: uuid.UUID, token: str) -> TenantContext:
    """The background service's context: a session of the practice, not of a person."""
    return TenantContext(company_id, None, frozenset(), SERVICE_PERMISSIONS, session_token=token)


def start_service_session(database: Database, manager: SignedIn, *, workstation: str) -> str:
    """A manager who may manage equipment starts the background service's session (a year, or
    until a manager ends it); the token is returned once, to be kept in the OS keyring."""
    require(manager.context, "equipment.manage")

    def work(uow: TenantUnitOfWork) -> str:
        token, _session_id = uow.sessions.start_service(workstation=workstation, app_version=describe())
        uow.commit()
        return token

    return database.run(manager.context, work)


def sign_out(database: Database, signed_in: SignedIn, *, reason: str = "signed_out") -> None:
    def work(uow: TenantUnitOfWork) -> None:
        uow.sessions.sign_out(reason)
        uow.commit()

    # Already over (expired, ended by a manager): nothing left to end.
    with contextlib.suppress(SessionEnded):
        database.run(signed_in.context, work, retry_safe=True)
