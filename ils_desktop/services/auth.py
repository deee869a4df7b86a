"""Sign-in, sign-out and the idle-lock check (argon2id via argon2-cffi)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ils_desktop import __version__
from ils_desktop.db.database import Database
from ils_desktop.db.tenant import TenantContext
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.passwords import lockout_after_failure, normalise_email
from ils_desktop.domain.roles import Role, effective_permissions
from ils_desktop.errors import SignInFailed
from ils_desktop.repositories.sign_in import find_account
from ils_desktop.services.settings import security_settings

_hasher = PasswordHasher()
# Verifying against this when the email is unknown keeps the timing the same either way.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

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


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _now() -> datetime:
    return datetime.now(UTC)


def _locked_message(until: datetime) -> str:
    local = until.astimezone().strftime("%H:%M")
    return (
        f"Too many failed sign-ins: this account is locked until {local}. "
        "A practice manager can unlock it sooner from the Staff screen."
    )


def sign_in(database: Database, email: str, password: str, *, workstation: str) -> SignedIn:
    """Check the password, record a session row, and build the user's TenantContext."""
    email = normalise_email(email)
    if not email or not password:
        raise SignInFailed("Enter your email address and password.")
    account = database.run_anonymous(lambda connection: find_account(connection, email))
    if account is None:
        _check(_DUMMY_HASH, password)
        raise SignInFailed(WRONG_CREDENTIALS)
    company_id, user_id = account
    attempt = TenantContext(company_id=company_id, user_id=user_id)

    def work(uow: TenantUnitOfWork) -> SignedIn | str:
        user = uow.users.get_for_update(user_id)
        company = uow.companies.current()
        if user is None:
            return WRONG_CREDENTIALS
        if company.status != "active":
            return f"{company.name} is {company.status} in ILS Desktop; sign-in is not possible."
        if user.status != "active":
            return (
                "This account is not active (it has been suspended or the person has left). "
                "Ask a practice manager."
            )
        now = _now()
        if user.locked_until is not None and user.locked_until > now:
            return _locked_message(user.locked_until)
        settings = security_settings(uow)
        if not _check(user.password_hash, password):
            user.failed_login_count += 1
            user.locked_until = lockout_after_failure(
                user.failed_login_count, now,
                max_attempts=settings.max_failed_sign_ins, lock_minutes=settings.lockout_minutes,
            )
            uow.commit()  # the failure must count even though sign-in is refused
            if user.locked_until is not None:
                return _locked_message(user.locked_until)
            return WRONG_CREDENTIALS
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        user.failed_login_count = 0
        user.locked_until = None
        user.last_login_at = now
        session = uow.sessions.start(user_id=user.id, workstation=workstation, app_version=__version__)
        roles = {user.role} | uow.users.extra_roles(user.id)
        permissions = effective_permissions(
            uow.users.role_permissions(roles), uow.users.permission_overrides(user.id)
        )
        uow.commit()
        return SignedIn(
            context=TenantContext(company_id, user.id, frozenset(roles), permissions),
            session_id=session.id,
            user_name=user.full_name,
            email=user.email,
            role=user.role,
            company_name=company.name,
            company_type=company.company_type,
            idle_lock_minutes=settings.idle_lock_minutes,
            must_change_password=user.must_change_password,
        )

    outcome = database.run(attempt, work, retry_safe=True)
    if isinstance(outcome, str):
        raise SignInFailed(outcome)
    return outcome


def unlock_workstation(database: Database, signed_in: SignedIn, password: str) -> None:
    """After an idle lock, the same person proves it is them; failures count as at sign-in."""
    again = sign_in_check(database, signed_in.email, password)
    if again is not None:
        raise SignInFailed(again)


def sign_in_check(database: Database, email: str, password: str) -> str | None:
    """The password check of ``sign_in`` without starting a session: None when it is right."""
    account = database.run_anonymous(lambda connection: find_account(connection, email))
    if account is None:
        return WRONG_CREDENTIALS
    company_id, user_id = account

    def work(uow: TenantUnitOfWork) -> str | None:
        user = uow.users.get_for_update(user_id)
        if user is None or user.status != "active":
            return "This account is no longer active. Ask a practice manager."
        now = _now()
        if user.locked_until is not None and user.locked_until > now:
            return _locked_message(user.locked_until)
        if _check(user.password_hash, password):
            user.failed_login_count = 0
            uow.commit()
            return None
        settings = security_settings(uow)
        user.failed_login_count += 1
        user.locked_until = lockout_after_failure(
            user.failed_login_count, now,
            max_attempts=settings.max_failed_sign_ins, lock_minutes=settings.lockout_minutes,
        )
        uow.commit()
        return _locked_message(user.locked_until) if user.locked_until else "That password is not right."

    return database.run(TenantContext(company_id, user_id), work, retry_safe=True)


def sign_out(database: Database, signed_in: SignedIn, *, reason: str = "signed_out") -> None:
    def work(uow: TenantUnitOfWork) -> None:
        uow.sessions.end(signed_in.session_id, at=_now(), reason=reason)
        uow.commit()

    database.run(signed_in.context, work, retry_safe=True)


def _check(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
