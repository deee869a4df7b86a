"""The practice database as the application sees it: where it is, and how work reaches it.

``Database.run`` is how services are called: it opens a unit of work for a TenantContext, and if
the connection drops (the server restarted, the network blinked) it reconnects and runs the work
once more — but only for work declared safe to repeat. Anything else gets a plain message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import psycopg
from psycopg import sql
from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from ils_desktop.db.ddl import APP_ROLE, OWNER_ROLE
from ils_desktop.db.embedded import EmbeddedServer, start_embedded
from ils_desktop.db.migrations import SchemaState, SchemaStatus, schema_status
from ils_desktop.db.unit_of_work import NothingStarted, TenantUnitOfWork, clear_session, session_ended
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import ConnectionLost, DatabaseUnavailable, SchemaMismatch

log = logging.getLogger(__name__)

SCHEMA_OBJECT_MISSING = frozenset({"42P01", "42703", "42883"})
"""undefined_table, undefined_column, undefined_function: what an older or newer schema looks like."""
T = TypeVar("T")

#: Settings every connection of the app starts with, sent in the startup packet. They outrank what
#: ``ALTER ROLE ils_app SET …`` stores (a client's own settings come after the role's), so a
#: workstation holding the application role's login cannot stop the others by changing the role's
#: defaults (statement_timeout=1, default_transaction_read_only=on, a search_path of its own…).
SESSION_OPTIONS = " ".join(f"-c {name}={value}" for name, value in (
    ("statement_timeout", "0"),
    ("lock_timeout", "0"),
    ("idle_in_transaction_session_timeout", "0"),
    ("default_transaction_read_only", "off"),
    ("default_transaction_isolation", r"read\ committed"),
    ("search_path", "public"),
    ("row_security", "on"),
    ("client_encoding", "UTF8"),
    ("datestyle", "ISO"),
    ("timezone", "UTC"),
))




def undo_role_defaults(dbapi_connection: psycopg.Connection, _record: object) -> None:
    """Remove session defaults someone stored on the application role with ``ALTER ROLE … SET``.

    PostgreSQL lets any role set its own defaults, and every workstation holds this role's login;
    the startup options above outrank the ones that could stop work, and this clears the rest
    (planner settings that would make every query slow) at the next connection of any workstation.
    """
    with dbapi_connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole "
            "WHERE r.rolname = current_user"
        )
        row = cursor.fetchone()
        if row and row[0]:
            log.warning("the application role had session defaults of its own; they were removed")
            cursor.execute("ALTER ROLE CURRENT_USER RESET ALL")
            cursor.execute("SELECT current_database()")
            database = cursor.fetchone()
            if database:
                cursor.execute(sql.SQL("ALTER ROLE CURRENT_USER IN DATABASE {} RESET ALL").format(
                    sql.Identifier(database[0])))
    dbapi_connection.commit()


@dataclass(frozen=True)
class DatabaseTarget:
    kind: str  # "embedded" or "server"
    app_url: URL
    owner_url: URL | None
    label: str
    embedded: EmbeddedServer | None = None


def _socket_url(server: EmbeddedServer, role: str) -> URL:
    return URL.create(
        "postgresql+psycopg", username=role, database=server.database,
        query={"host": server.host, "port": str(server.port)},
    )


def embedded_target(pgdata: Path, *, cleanup_mode: str | None = "stop") -> DatabaseTarget:
    server = start_embedded(pgdata, cleanup_mode=cleanup_mode)
    return DatabaseTarget(
        kind="embedded",
        app_url=_socket_url(server, APP_ROLE),
        owner_url=_socket_url(server, OWNER_ROLE),
        label="Embedded database (this computer)",
        embedded=server,
    )


def server_target(
    url: str,
    *,
    password: str | None = None,
    owner_url: str | None = None,
    owner_password: str | None = None,
) -> DatabaseTarget:
    """A practice server. Passwords are passed in by the caller (who read the OS keyring)."""
    app = make_url(url).set(drivername="postgresql+psycopg")
    if password is not None:
        app = app.set(password=password)
    owner = None
    if owner_url:
        owner = make_url(owner_url).set(drivername="postgresql+psycopg")
        if owner_password is not None:
            owner = owner.set(password=owner_password)
    label = f"Server {app.host or 'local socket'}{':' + str(app.port) if app.port else ''}/{app.database}"
    return DatabaseTarget(kind="server", app_url=app, owner_url=owner, label=label)


def is_connection_error(error: BaseException) -> bool:
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    original = getattr(error, "orig", error)
    return isinstance(original, psycopg.OperationalError)


class Database:
    def __init__(self, target: DatabaseTarget) -> None:
        self.target = target
        self.engine = create_engine(
            target.app_url,
            # The unit of work begins and ends transactions itself (BEGIN with the session's token in
            # one round trip) and read-only work runs without one. No ping before each use either:
            # a connection found dead on its first statement is replaced and the work run again.
            isolation_level="AUTOCOMMIT",
            # The unit of work leaves every connection idle (it rolls back what it did not commit),
            # so the pool need not reset it on the way back.
            pool_reset_on_return=None,
            pool_size=4,
            max_overflow=4,
            # Errors are logged and shown; their statement parameters may be a patient's history or
            # a password record, so SQLAlchemy leaves them out of every message.
            hide_parameters=True,
            connect_args={"connect_timeout": 5, "application_name": "ils-desktop",
                          "options": SESSION_OPTIONS},
        )
        event.listen(self.engine, "connect", undo_role_defaults)

    def unit_of_work(self, context: TenantContext, *, read_only: bool = False) -> TenantUnitOfWork:
        """A unit of work on the application role: only for a signed-in session."""
        if not isinstance(context, TenantContext):
            raise TypeError("a unit of work needs a TenantContext")
        return TenantUnitOfWork(self.engine, context, verified=True, read_only=read_only)

    def run(
        self,
        context: TenantContext,
        work: Callable[[TenantUnitOfWork], T],
        *,
        retry_safe: bool = False,
        read_only: bool = False,
    ) -> T:
        """Run ``work`` in one unit of work; retry once after a dropped connection if safe.

        A connection found dead before the work started is always replaced and the work run; one
        lost in the middle is retried only for work declared safe to repeat (``retry_safe``; all
        ``read_only`` work is). A session the database says is over raises ``SessionEnded``."""
        attempts = 2 if retry_safe or read_only else 1
        for attempt in range(1, 3):
            try:
                with self.unit_of_work(context, read_only=read_only) as uow:
                    return work(uow)
            except NothingStarted:
                self.engine.dispose()
                if attempt == 2:
                    raise DatabaseUnavailable(
                        "The database cannot be reached. Nothing was changed. Check the network or the "
                        "practice server, then try again."
                    ) from None
                continue
            except (OperationalError, DBAPIError) as error:
                ended = session_ended(error)
                if ended is not None:
                    raise ended from None
                self._refuse_if_schema_moved(error)
                if not is_connection_error(error):
                    raise
                log.warning("database connection lost (attempt %s of %s): %s", attempt, attempts,
                            type(error.orig).__name__ if error.orig is not None else type(error).__name__)
                self.engine.dispose()
                if attempt >= attempts:
                    if retry_safe:
                        raise DatabaseUnavailable(
                            "The database cannot be reached. Nothing was changed. Check the "
                            "network or the practice server, then try again."
                        ) from error
                    raise ConnectionLost(
                        "The connection to the database was lost while saving, so this change was "
                        "not confirmed. Check the record, then try again if it is not there."
                    ) from error
        raise AssertionError("unreachable")

    def connect(self) -> Connection:
        """A connection with no session on it (anonymous work: signing in, the first-run check)."""
        try:
            connection = self.engine.connect()
            clear_session(connection)
            return connection
        except OperationalError as error:
            raise DatabaseUnavailable(
                f"Cannot connect to the database ({self.target.label}). Check that the practice "
                "server is on and this computer is on the network."
            ) from error

    def run_anonymous(self, work: Callable[[Connection], T]) -> T:
        """Work with no tenant (sign-in lookup, first-run check), retried once on a dropped link."""
        for attempt in (1, 2):
            try:
                with self.connect() as connection, connection.begin():
                    connection.exec_driver_sql("BEGIN")
                    result = work(connection)
                    connection.exec_driver_sql("COMMIT")
                    return result
            except (OperationalError, DBAPIError) as error:
                if not is_connection_error(error) or attempt == 2:
                    if is_connection_error(error):
                        raise DatabaseUnavailable("The database cannot be reached. Try again.") from error
                    raise
                self.engine.dispose()
        raise AssertionError("unreachable")

    def ping(self) -> bool:
        """Whether the server answers (a dead pooled connection is replaced and asked again)."""
        for _attempt in (1, 2):
            try:
                with self.engine.connect() as connection:
                    connection.exec_driver_sql("SELECT 1")
                return True
            except (OperationalError, DBAPIError):
                self.engine.dispose()
        return False

    def schema_status(self) -> SchemaStatus:
        with self.connect() as connection:
            return schema_status(connection)

    def _refuse_if_schema_moved(self, error: DBAPIError) -> None:
        """A table, column or function this version expects is missing: when the server was
        upgraded (or rolled back) under a running workstation, say so in plain words instead of
        showing the database's error."""
        if getattr(error.orig, "sqlstate", None) not in SCHEMA_OBJECT_MISSING:
            return
        try:
            status = self.schema_status()
        except (DatabaseUnavailable, DBAPIError):
            return
        if status.state is not SchemaState.CURRENT:
            log.warning("the database schema moved under this workstation: %s", status.state.value)
            raise SchemaMismatch(status.message() + " Close ILS Desktop now; nothing more can be saved "
                                 "until this workstation matches the server.") from error

    def dispose(self) -> None:
        self.engine.dispose()
