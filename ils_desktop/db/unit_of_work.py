"""One transaction for one tenant: the session bound, the repositories exposed, committed as one.

Two kinds of connection reach the database:

- **A workstation** (the application role, through ``Database``): its connections run in
  autocommit, and the unit of work manages the transaction itself, so that BEGIN and — when this
  connection last served another session — the session's token (``app.session_token``, set for the
  connection) go in one round trip. Work declared read-only runs without BEGIN or ROLLBACK at all:
  each statement is its own transaction, so a search is one round trip. The database checks the
  token on every statement and raises "session ended" for one that is over (``SessionEnded``).
- **The owner role** (migrations, seeding, ``audit verify``): an ordinary SQLAlchemy transaction
  that names its company with ``app.company_id`` (local to the transaction); the database ignores
  that setting from any other role.
"""

from __future__ import annotations

import re
from types import TracebackType
from typing import Any, TypeVar

import psycopg
from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ils_desktop.db.refusals import primary_message, sqlstate
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import SessionEnded
from ils_desktop.repositories.audit import AuditRepository
from ils_desktop.repositories.base import TenantRepository
from ils_desktop.repositories.companies import CompanyRepository
from ils_desktop.repositories.sessions import SignInSessionRepository
from ils_desktop.repositories.settings import SettingsRepository
from ils_desktop.repositories.users import UserRepository

R = TypeVar("R", bound=TenantRepository)

#: What the database raises for a missing, ended or expired session
#: (invalid_authorization_specification).
SESSION_ENDED_SQLSTATE = "28000"
#: Where a connection remembers the session token it carries.
BOUND_TOKEN = "ils_session_token"
# A token as ``ils_new_session_token`` makes it: the only text ever written into SQL by hand here.
_TOKEN = re.compile(r"[0-9a-f]{64}")


def session_end_reason(error: DBAPIError) -> str:
    """The reason in the database's 'ILS session ended (reason)' message."""
    message = primary_message(error)
    start, end = message.find("("), message.rfind(")")
    return message[start + 1:end] if 0 <= start < end else "ended"


def session_ended(error: DBAPIError) -> SessionEnded | None:
    """The ``SessionEnded`` a database error stands for, if it is one."""
    if sqlstate(error) == SESSION_ENDED_SQLSTATE and "ILS session ended" in primary_message(error):
        return SessionEnded(session_end_reason(error))
    return None


class NothingStarted(Exception):
    """The connection failed before this unit of work did anything: repeating it is always safe."""


def clear_session(connection: Connection) -> None:
    """Take a connection back to no session (before anonymous work, e.g. signing in again)."""
    if connection.info.get(BOUND_TOKEN):
        _driver(connection).execute("SELECT set_config('app.session_token', '', false)")
        connection.info[BOUND_TOKEN] = None


def _driver(connection: Connection) -> psycopg.Connection[Any]:
    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    return driver


class TenantUnitOfWork:
    """``with database.unit_of_work(context) as uow: ...; uow.commit()`` — rolls back otherwise.

    ``verified``: a workstation's connection (autocommit, the session token bound per connection);
    otherwise the owner role's. ``read_only``: no transaction, each statement on its own.
    """

    def __init__(self, engine: Engine, context: TenantContext, *, verified: bool = False,
                 read_only: bool = False) -> None:
        if not isinstance(context, TenantContext):
            raise TypeError("a unit of work needs a TenantContext")
        if verified and (context.session_token is None or not _TOKEN.fullmatch(context.session_token)):
            raise SessionEnded("not signed in")
        self._engine = engine
        self.context = context
        self._verified = verified
        self.read_only = read_only
        self._committed = False
        self._connection: Connection | None = None
        self._bound_in_transaction = False
        self._token_before: str | None = None

    def __enter__(self) -> TenantUnitOfWork:
        if self._verified:
            self._start_verified()
        else:
            self.session = Session(self._engine, expire_on_commit=False, autoflush=True)
            self.session.begin()
            try:
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

    def _start_verified(self) -> None:
        """One round trip at most: BEGIN, and the token when this connection carries another."""
        try:
            connection = self._engine.connect()
        except DBAPIError as error:
            raise NothingStarted() from error
        token = self.context.session_token
        statements = [] if self.read_only else ["BEGIN"]
        if connection.info.get(BOUND_TOKEN) != token:
            statements.append(f"SELECT set_config('app.session_token', '{token}', false)")
            # Set inside a transaction, the token is undone if the transaction rolls back: the
            # connection then carries what it carried before.
            self._bound_in_transaction = not self.read_only
            self._token_before = connection.info.get(BOUND_TOKEN)
        try:
            if statements:
                _driver(connection).execute("; ".join(statements))
        except psycopg.Error as error:
            connection.invalidate()
            connection.close()
            if isinstance(error, psycopg.OperationalError):
                raise NothingStarted() from error
            raise
        connection.info[BOUND_TOKEN] = token
        self._connection = connection
        self.session = Session(bind=connection, expire_on_commit=False, autoflush=True)

    def repository(self, kind: type[R]) -> R:
        """The repository of ``kind`` for this unit of work (built once, bound to its tenant)."""
        found = self._repositories.get(kind)
        if found is None:
            found = self._repositories[kind] = kind(self.session, self.context)
        return found  # type: ignore[return-value]

    def commit(self) -> None:
        if self._connection is not None and not (self.session.new or self.session.dirty or self.session.deleted):
            # Nothing for the ORM to flush (the work wrote through SQL functions or Core): COMMIT
            # without SQLAlchemy's transaction machinery, a good share of a small unit of work's time.
            _driver(self._connection).commit()
        else:
            self.session.commit()
            if self._connection is not None and not self.read_only:
                _driver(self._connection).commit()  # our BEGIN: psycopg sends COMMIT while in a transaction
        self._committed = True

    def rollback(self) -> None:
        self.session.rollback()
        if self._connection is not None:
            self._end_transaction()

    def flush(self) -> None:
        self.session.flush()

    def _end_transaction(self) -> None:
        assert self._connection is not None
        if self._connection.invalidated or self._connection.closed:
            return
        driver = _driver(self._connection)
        try:
            if driver.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                driver.rollback()
        except psycopg.Error:  # the connection is gone: the server rolled the transaction back itself
            self._connection.invalidate()
        if self._bound_in_transaction:
            self._connection.info[BOUND_TOKEN] = self._token_before

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                self.session.rollback()
                if self._connection is not None:
                    self._end_transaction()
        finally:
            self.session.close()
            if self._connection is not None:
                self._connection.close()
