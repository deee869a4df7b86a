"""Getting from "the program started" to "a Database this version can work with".

Shared by the GUI (which runs it off the GUI thread) and the command line. Besides choosing and
opening the database, this is where a server address is checked, a connection failure is put
into words, and a password is found: in the URL, the OS keyring, libpq's own ~/.pgpass or
PGPASSWORD, and only when the server has said it needs one, by asking (once).
"""

from __future__ import annotations

import enum
import getpass
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ils_desktop.config import AppPaths, WorkstationSettings
from ils_desktop.errors import (
    BadDatabaseUrl,
    CannotConnect,
    NotProvisioned,
    UserFacingError,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

log = logging.getLogger(__name__)

PasswordPrompt = Callable[[str], str | None]
#: ``ask(prompt, reason)``: the password typed, or None when there is nobody to ask.
PasswordAsk = Callable[[str, str | None], str | None]

#: How a URL may name PostgreSQL; anything else (mysql://, sqlite://…) is refused.
POSTGRES_SCHEMES = frozenset({"postgresql", "postgres", "postgresql+psycopg"})


@dataclass(frozen=True)
class ServerChoice:
    """Where the practice database is, before anything is started or connected."""

    url: str | None  # None: the embedded server
    demo: bool = False

    @property
    def embedded(self) -> bool:
        return self.url is None


def choose_server(paths: AppPaths, *, demo: bool, database_url: str | None) -> ServerChoice:
    if demo:
        return ServerChoice(None, demo=True)
    url = database_url or os.environ.get("ILS_DATABASE_URL") or WorkstationSettings.load(paths).database_url
    return ServerChoice(url or None)


# --- addresses ---------------------------------------------------------------------------------
_URL_PASSWORD = re.compile(r"(://[^/@:\s]*:)[^@\s]*@")
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&\s]*", re.IGNORECASE)
_CONNINFO_PASSWORD = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def mask_secrets(text: str) -> str:
    """``text`` with any password in it (URL, query or conninfo form) replaced by ***."""
    if "://" in text:
        return _QUERY_PASSWORD.sub(r"\1***", _URL_PASSWORD.sub(r"\1***@", text))
    return _CONNINFO_PASSWORD.sub(r"\1***", text)


def parse_server_url(text: str, source: str = "--database-url") -> URL:
    """The URL of a PostgreSQL database, ready for SQLAlchemy; ``source`` names where it came
    from in the message when it is not one."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    example = "postgresql://ils_app@server:5432/ils"
    try:
        url = make_url(text.strip())
    except (ArgumentError, ValueError) as error:
        raise BadDatabaseUrl(
            f"{source} is not a database URL ({mask_secrets(text)!r}); write it as {example}."
        ) from error
    if url.drivername not in POSTGRES_SCHEMES:
        raise BadDatabaseUrl(
            f"{source} names a {url.drivername} database; ILS Desktop needs PostgreSQL ({example})."
        )
    if not url.database:
        raise BadDatabaseUrl(f"{source} names no database; put it at the end, as in {example}.")
    return url.set(drivername="postgresql+psycopg")


@dataclass(frozen=True)
class Account:
    """A role on a server (and database), as people and the keyring know it."""

    role: str
    host: str
    port: int
    database: str | None = None

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def label(self) -> str:
        return f"{self.role}@{self.server}" + (f"/{self.database}" if self.database else "")

    @classmethod
    def of_url(cls, url: URL) -> Account:
        # The test and embedded servers put host and port in the query (a socket folder).
        query = {k: (v[0] if isinstance(v, tuple) else v) for k, v in url.query.items()}
        port = url.port or int(query.get("port") or 5432)
        # libpq's defaults: the login name as the role, the role's name as the database.
        role = url.username or getpass.getuser()
        return cls(role, url.host or query.get("host") or "localhost", port, url.database or role)

    @classmethod
    def of_conninfo(cls, conninfo: str) -> Account:
        import psycopg

        params = psycopg.conninfo.conninfo_to_dict(conninfo)
        host = str(params.get("host") or params.get("hostaddr") or "localhost")
        return cls(str(params.get("user") or getpass.getuser()), host, int(params.get("port") or 5432))

    def provision_hint(self) -> str:
        superuser = f"host={self.host} port={self.port} user=postgres"
        return f"run 'ils-desktop db provision --superuser \"{superuser}\" --database {self.database or 'ils'}' first"


def keyring_account(url: URL) -> str:
    from ils_desktop.db import credentials

    account = Account.of_url(url)
    return credentials.account_for(account.role, account.host, account.port, account.database or "")


def server_password(url: str | URL, prompt: PasswordPrompt | None) -> str | None:
    """The password for a server URL: in the URL, else the OS keyring, else ask."""
    from sqlalchemy.engine import make_url

    from ils_desktop.db import credentials
    from ils_desktop.errors import NoKeyring

    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.password:
        return None
    account = keyring_account(parsed)
    try:
        stored = credentials.get_password(account)
        if stored:
            return stored
        reason = f"No password is saved on this computer for {account}."
    except NoKeyring as error:
        reason = str(error)
    if prompt is None:
        return None
    return prompt(reason)


# --- why a connection failed ---------------------------------------------------------------------
class ConnectionProblem(enum.Enum):
    UNREACHABLE = "unreachable"
    NEEDS_PASSWORD = "needs a password"
    WRONG_PASSWORD = "password refused"
    TLS = "TLS"
    DATABASE_MISSING = "database missing"
    ROLE_MISSING = "role missing"
    NOT_ALLOWED = "not allowed"
    OTHER = "other"


P = ConnectionProblem
#: libpq reports failures before the server answers without a SQLSTATE, so its words are all
#: there is. First match wins: the password and "does not exist" cases come before the network
#: ones, and host-name lookups before TLS (a host may be called ssl.example.com).
_PROBLEMS: tuple[tuple[re.Pattern[str], ConnectionProblem], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), problem) for pattern, problem in (
        (r"no password supplied", P.NEEDS_PASSWORD),
        (r"password authentication failed", P.WRONG_PASSWORD),
        (r'database ".*" does not exist', P.DATABASE_MISSING),
        (r'role ".*" does not exist', P.ROLE_MISSING),
        (r"pg_hba\.conf|peer authentication failed|ident authentication failed|permission denied "
         r"for database|not permitted to log in|must be superuser", P.NOT_ALLOWED),
        (r"could not translate host name|failed to resolve host|name or service not known", P.UNREACHABLE),
        (r"\bssl\b|certificate|\bgssapi\b|encryption", P.TLS),
        (r"connection refused|no such file or directory|timeout expired|timed out|no route to host|"
         r"network is unreachable|the database system is|server closed the connection|"
         r"could not connect|connection reset", P.UNREACHABLE),
    )
)
_SERVER_PREFIX = re.compile(
    r'^(connection (failed|is bad): )?connection to server (at|on socket) "[^"]*"( \([^)]*\))?'
    r"(, port \d+)? failed: ",
)


def _message(error: BaseException) -> str:
    return str(getattr(error, "orig", None) or error)


def classify_connection_error(error: BaseException | str) -> ConnectionProblem:
    """What kind of connection failure a psycopg/SQLAlchemy OperationalError (or its text) is."""
    text = "\n".join(_SERVER_PREFIX.sub("", line.strip())
                     for line in (error if isinstance(error, str) else _message(error)).splitlines())
    for pattern, problem in _PROBLEMS:
        if pattern.search(text):
            return problem
    return ConnectionProblem.OTHER


def connection_detail(error: BaseException | str) -> str:
    """libpq's own reason, on one line and without the host prefix: 'Connection refused'."""
    text = error if isinstance(error, str) else _message(error)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "no reason given")
    first = _SERVER_PREFIX.sub("", first)
    return re.sub(r"^(FATAL|ERROR):\s+", "", first).rstrip(".")


def is_connect_failure(error: BaseException) -> bool:
    import psycopg

    return isinstance(getattr(error, "orig", None) or error, psycopg.OperationalError)


def connection_failure(error: BaseException, account: Account, *, password_source: str = "") -> UserFacingError:
    """One plain sentence for a failed connection as ``account``."""
    problem = classify_connection_error(error)
    detail = connection_detail(error)
    if problem is P.UNREACHABLE:
        message = (f"Cannot reach the database server at {account.server} ({detail}). Check that it "
                   "is running and that this computer can reach it.")
    elif problem is P.TLS:
        message = f"Cannot make a secure (TLS) connection to {account.server} ({detail})."
    elif problem is P.WRONG_PASSWORD:
        message = (f"The server at {account.server} refused the password for {account.label}"
                   + (f" ({password_source})" if password_source else "") + ".")
    elif problem is P.NEEDS_PASSWORD:
        message = f"The server at {account.server} needs a password for {account.label}."
    elif problem is P.DATABASE_MISSING:
        return NotProvisioned(f"The server at {account.server} has no database {account.database}: "
                              f"{account.provision_hint()}.")
    elif problem is P.ROLE_MISSING:
        return NotProvisioned(f"The server at {account.server} has no role {account.role}: "
                              f"{account.provision_hint()}.")
    elif problem is P.NOT_ALLOWED:
        message = f"The server at {account.server} does not let {account.label} in ({detail})."
    else:
        message = f"Cannot connect to {account.label} ({detail})."
    return CannotConnect(message, problem)


# --- finding the password --------------------------------------------------------------------------
class Logins:
    """Passwords found while one command runs: each account is worked out, and asked for, once.

    A password is tried in this order: the one in the URL (final: a wrong one is an error), the
    OS keyring, nothing (so libpq's ~/.pgpass, PGPASSWORD or trust authentication apply); only if
    the server then says a password is needed or wrong is ``ask`` called.
    """

    def __init__(self, ask: PasswordAsk | None) -> None:
        self.ask = ask
        self._found: dict[str, str | None] = {}

    def for_url(self, url: URL, *, save_hint: str) -> str | None:
        """The password that lets ``url`` in (None: the URL's own, or none needed)."""
        account = Account.of_url(url)
        saved = None if url.password else server_password(url, None)

        def attempt(password: str | None) -> None:
            from sqlalchemy import create_engine
            from sqlalchemy.pool import NullPool

            engine = create_engine(url if password is None else url.set(password=password),
                                   poolclass=NullPool, connect_args={"connect_timeout": 10})
            try:
                with engine.connect():
                    pass
            finally:
                engine.dispose()

        return self._find(account, attempt, in_address=bool(url.password), saved=saved, save_hint=save_hint)

    def for_conninfo(self, conninfo: str) -> str:
        """``conninfo`` with a password added if the server needed one and it was typed."""
        import psycopg

        account = Account.of_conninfo(conninfo)
        in_address = bool(psycopg.conninfo.conninfo_to_dict(conninfo).get("password"))

        def attempt(password: str | None) -> None:
            extra = {"password": password} if password is not None else {}
            psycopg.connect(psycopg.conninfo.make_conninfo(conninfo, connect_timeout=10, **extra)).close()

        password = self._find(account, attempt, in_address=in_address, saved=None,
                              save_hint="put it in the connection string (password=...), PGPASSWORD or ~/.pgpass")
        return conninfo if password is None else psycopg.conninfo.make_conninfo(conninfo, password=password)

    def _find(self, account: Account, attempt: Callable[[str | None], None], *, in_address: bool,
              saved: str | None, save_hint: str) -> str | None:
        if account.label in self._found:
            return self._found[account.label]
        if in_address:
            self._try(attempt, None, account, "the one in the address")
            return self._remember(account, None)
        try:
            attempt(saved)
            return self._remember(account, saved)
        except Exception as error:
            if not is_connect_failure(error):
                raise
            problem = classify_connection_error(error)
            if problem not in (P.NEEDS_PASSWORD, P.WRONG_PASSWORD):
                raise connection_failure(error, account) from error
            log.info("%s: the server says %s", account.label, problem.value)
        # The server wants a password: say which one it refused, if one was offered, then ask.
        if saved is not None:
            offered = "the one saved in the OS keyring"
        elif problem is P.WRONG_PASSWORD:
            offered = "the one from PGPASSWORD or ~/.pgpass"
        else:
            offered = ""
        reason = f"The server refused {offered} for {account.label}." if offered else None
        typed = self.ask(f"Password for {account.label}: ", reason) if self.ask is not None else None
        if typed is None:
            what = f"refused {offered} for" if offered else "needs a password for"
            raise CannotConnect(f"The server at {account.server} {what} {account.label} and there is no "
                                f"terminal to ask for it: {save_hint}.", P.NEEDS_PASSWORD)
        if not typed:
            raise CannotConnect(f"No password was entered for {account.label}.", P.NEEDS_PASSWORD)
        self._try(attempt, typed, account, "the one typed")
        return self._remember(account, typed)

    def _try(self, attempt: Callable[[str | None], None], password: str | None, account: Account,
             source: str) -> None:
        from ils_desktop.db.ddl import APP_ROLE, OWNER_ROLE

        try:
            attempt(password)
        except Exception as error:
            if not is_connect_failure(error):
                raise
            failure = connection_failure(error, account, password_source=source)
            if classify_connection_error(error) is P.WRONG_PASSWORD and account.role in (APP_ROLE, OWNER_ROLE):
                # Under password authentication a missing role looks like a wrong password.
                failure = CannotConnect(f"{failure} If this server was never set up for ILS Desktop, "
                                        f"{account.provision_hint()}.", P.WRONG_PASSWORD)
            raise failure from error

    def _remember(self, account: Account, password: str | None) -> str | None:
        self._found[account.label] = password
        return password


def require_provisioned(url: URL, account: Account) -> None:
    """Refuse a database that ``ils-desktop db provision`` never set up (the owner role cannot
    create the schema there, and a migration would end in 'permission denied')."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from ils_desktop.db.ddl import OWNER_ROLE

    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 10})
    try:
        with engine.connect() as connection:
            owner = connection.execute(text(
                "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'"
            )).scalar()
    except Exception as error:
        if is_connect_failure(error):
            raise connection_failure(error, account) from error
        raise
    finally:
        engine.dispose()
    if owner != OWNER_ROLE:
        raise NotProvisioned(f"The database {account.database} on {account.server} was not set up for "
                             f"ILS Desktop (its schema belongs to {owner}, not {OWNER_ROLE}): "
                             f"{account.provision_hint()}.")


def open_database(
    paths: AppPaths,
    choice: ServerChoice,
    *,
    password: str | None = None,
    password_source: str = "",
    progress: Callable[[str], None] = lambda _message: None,
):  # -> Database (imported lazily to keep start-up light)
    """Start or connect to the database, migrate the embedded one, refuse a schema we don't know.

    A server that cannot be reached or refuses us says which it is (``connection_failure``:
    unreachable, password refused or needed, TLS, database or role missing); ``password_source``
    names where the password came from ("the one saved on this computer")."""
    from ils_desktop.db.database import Database, embedded_target, server_target
    from ils_desktop.db.migrations import SchemaState, upgrade

    if choice.embedded:
        progress("Starting the database on this computer…")
        paths.ensure()
        target = embedded_target(paths.embedded_pgdata(demo=choice.demo))
        database = Database(target)
        status = database.schema_status()
        if status.state in (SchemaState.EMPTY, SchemaState.BEHIND):
            progress("Updating the database…")
            assert target.owner_url is not None
            upgrade(target.owner_url)
        elif status.state is SchemaState.NEWER:
            status.require_current()
        if choice.demo:
            from ils_desktop.demo.generator import ensure_demo_practice

            progress("Preparing the demo practice…")
            assert target.owner_url is not None
            ensure_demo_practice(target.owner_url)
        return database
    assert choice.url is not None
    progress("Connecting to the practice server…")
    url = parse_server_url(choice.url, "The practice server's address")
    database = Database(server_target(choice.url, password=password))
    try:
        database.schema_status().require_current()
    except UserFacingError as error:
        database.dispose()
        cause = error.__cause__
        if cause is not None and is_connect_failure(cause):
            raise connection_failure(cause, Account.of_url(url), password_source=password_source) from error
        raise
    return database


def check_server(url: str, password: str | None, *, password_source: str = "the one typed") -> None:
    """Connect to the practice server as a workstation will, and check its schema: nothing is
    saved. Raises what stands in the way, in words (``CannotConnect`` with its ``problem``,
    ``NotProvisioned``, ``SchemaMismatch``)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from ils_desktop.db.migrations import schema_status

    parsed = parse_server_url(url, "The practice server's address")
    account = Account.of_url(parsed)
    engine = create_engine(parsed if password is None else parsed.set(password=password), poolclass=NullPool,
                           connect_args={"connect_timeout": 10})
    try:
        with engine.connect() as connection:
            status = schema_status(connection)
    except Exception as error:
        if is_connect_failure(error):
            raise connection_failure(error, account, password_source=password_source if password else "") from error
        raise
    finally:
        engine.dispose()
    status.require_current()


def security_note(url: str | None) -> str | None:
    """What to tell staff when the connection to a server on the network is not checked: libpq's
    default (no ``sslmode``) encrypts when it can but never checks who answers, so anyone on the
    network could stand in for the server and collect every password and record. None when the
    certificate is checked or the server is on this computer."""
    if not url:
        return None
    from ils_desktop.config import ServerAddress

    try:
        address = ServerAddress.of_url(url)
    except Exception:  # a malformed address is refused elsewhere, in words
        return None
    if address.local or address.sslmode == "verify-full":
        return None
    if address.sslmode in ("disable", "allow"):
        how = "is not encrypted"
    elif address.sslmode in ("require", "verify-ca"):
        how = "is encrypted, but the server's name is not checked against its certificate"
    else:
        how = "does not check the server's certificate"
    return (f"The connection to {address.host} {how}: someone on the network could stand in for the server. "
            "Choose “Encrypted, and the server's certificate checked” in Database settings.")


def local_database_exists(paths: AppPaths) -> bool:
    """Whether this computer already has its own practice database (made at a first start)."""
    from ils_desktop.db.embedded import cluster_exists

    return cluster_exists(paths.embedded_pgdata())


def save_server_password(url: str, password: str) -> None:
    """Keep a server's password in the OS keyring (``NoKeyring`` where there is no trusted one)."""
    from sqlalchemy.engine import make_url

    from ils_desktop.db import credentials

    credentials.set_password(keyring_account(make_url(url)), password)


def install_signal_handlers(on_signal: Callable[[int], None] | None = None) -> None:
    """SIGTERM, SIGINT and SIGHUP end the program so the embedded server is stopped (see there)."""
    from ils_desktop.db.embedded import install_signal_handlers as install

    install(on_signal)


def stop_embedded_servers() -> None:
    """Stop the embedded servers this process started, unless another program still uses them."""
    from ils_desktop.db.embedded import stop_all

    stop_all()
