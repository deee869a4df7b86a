"""One transaction for one tenant: binds the session, exposes the repositories, commits as one.

A signed-in context's token is bound with ``ils_bind_session`` — checked by the database, local to
the transaction — so a pooled connection never carries a tenant into someone else's work. An
owner-role connection (migrations, seeding) names its company with ``app.company_id`` instead; the
database ignores that setting from any other role.
"""

from __future__ import annotations

from types import TracebackType
from typing import TypeVar

from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ils_desktop.db.refusals import primary_message, sqlstate
from ils_desktop.db.tenant import TenantContext
from ils_desktop.errors import SessionEnded
from ils_desktop.repositories.audit import AuditRepository
from ils_desktop.repositories.base import TenantRepository
from ils_desktop.repositories.companies import CompanyRepository
from ils_desktop.repositories.sessions import SignInSessionRepository
from ils_desktop.repositories.settings import SettingsRepository
from ils_desktop.repositories.users import UserRepository

R = TypeVar("R", bound=TenantRepository)

#: What ``ils_bind_session`` raises for a missing, ended or expired session
#: (invalid_authorization_specification).
SESSION_ENDED_SQLSTATE = "28000"


def session_end_reason(error: DBAPIError) -> str:
    """The reason in the database's 'ILS session ended (reason)' message."""
    message = primary_message(error)
    start, end = message.find("("), message.rfind(")")
    return message[start + 1:end] if 0 <= start < end else "ended"


class TenantUnitOfWork:
    """``with database.unit_of_work(context) as uow: ...; uow.commit()`` — rolls back otherwise."""

    def __init__(self, engine: Engine, context: TenantContext) -> None:
        if not isinstance(context, TenantContext):
            raise TypeError("a unit of work needs a TenantContext")
        self._engine = engine
        self.context = context
        self._committed = False

    def __enter__(self) -> TenantUnitOfWork:
        self.session = Session(self._engine, expire_on_commit=False, autoflush=True)
        self.session.begin()
        try:
            if self.context.session_token is not None:
                self._bind_session(self.context.session_token)
            else:
                self.session.execute(
                    select(
                        text("set_config('app.company_id', :company, true)"),
                        text("set_config('app.user_id', :user, true)"),
                    ),
                    {"company": str(self.context.company_id), "user": str(self.context.user_id or "")},
                )
        except BaseException:
            self.session.close()
            raise
        self.companies = CompanyRepository(self.session, self.context)
        self.users = UserRepository(self.session, self.context)
        self.sessions = SignInSessionRepository(self.session, self.context)
        self.settings = SettingsRepository(self.session, self.context)
        self.audit = AuditRepository(self.session, self.context)
        self._repositories: dict[type, TenantRepository] = {}
        return self

    def _bind_session(self, token: str) -> None:
        try:
            bound = self.session.execute(
                text("SELECT company_id FROM ils_bind_session(:token)"), {"token": token}
            ).one()
        except DBAPIError as error:
            if sqlstate(error) == SESSION_ENDED_SQLSTATE:
                raise SessionEnded(session_end_reason(error)) from None
            raise
        if bound.company_id != self.context.company_id:
            raise SessionEnded("another practice")

    def repository(self, kind: type[R]) -> R:
        """The repository of ``kind`` for this unit of work (built once, bound to its tenant)."""
        found = self._repositories.get(kind)
        if found is None:
            found = self._repositories[kind] = kind(self.session, self.context)
        return found  # type: ignore[return-value]

    def commit(self) -> None:
        self.session.commit()
        self._committed = True

    def rollback(self) -> None:
        self.session.rollback()

    def flush(self) -> None:
        self.session.flush()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                self.session.rollback()
        finally:
            self.session.close()
