"""The ``ils-desktop`` command. Imports are deferred so the sign-in window appears quickly.

Every expected failure is one line on stderr (``ils-desktop: ...``) and an exit code from
``ils_desktop.exit_codes``; anything else is written to the log file with its traceback and
named in one line that says where the log is.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ils_desktop.errors import UserFacingError
from ils_desktop.exit_codes import ExitCode, exit_code_for

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from ils_desktop.db.database import Database
    from ils_desktop.startup import Logins

log = logging.getLogger(__name__)

#: ``devices parse`` and ``devices simulate`` have parsers of their own; what the main parser
#: does not know is handed to them as it was typed.
PASS_THROUGH = {("devices", "parse"), ("devices", "simulate")}


class CommandError(UserFacingError):
    """An expected failure with its own exit code (``exit_codes.exit_code_for`` reads it)."""

    def __init__(self, message: str, exit_code: ExitCode) -> None:
        self.exit_code = exit_code
        super().__init__(message)


def _usage(message: str) -> CommandError:
    return CommandError(message, ExitCode.USAGE)


# --- the command line ------------------------------------------------------------------------------
def _common(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """--demo, --database-url and --verbose are accepted before or after any command: the top
    level sets the defaults, and every subcommand repeats them without one (SUPPRESS), so a
    value given before the command is not overwritten by the subcommand's default."""
    default_flag = False if defaults else argparse.SUPPRESS
    default_url = None if defaults else argparse.SUPPRESS
    parser.add_argument("--demo", action="store_true", default=default_flag,
                        help="use the separate demo database")
    parser.add_argument("--database-url", default=default_url,
                        help="practice server, e.g. postgresql://ils_app@server/ils (or set "
                        "ILS_DATABASE_URL); the password comes from the OS keyring")
    parser.add_argument("--verbose", action="store_true", default=default_flag,
                        help="more detail in the log file")


EXIT_CODES_HELP = (
    "exit codes: 0 ok; 1 check failed (tampered, not current) or nothing done; 2 usage; "
    "3 cannot connect; 4 database not set up or wrong version; 5 no OS keyring; "
    "70 unexpected error (see the log); 130 interrupted"
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ils-desktop", description="ILS Desktop: the practice application for UK opticians.",
        epilog=EXIT_CODES_HELP,
    )
    _common(parser, defaults=True)
    parser.add_argument("--version", action="store_true", help="print this build's version and the "
                        "database revision it expects, then exit")
    commands = parser.add_subparsers(dest="command")
    common = argparse.ArgumentParser(add_help=False)
    _common(common, defaults=False)

    db = commands.add_parser("db", help="database migrations and connection", parents=[common])
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    for name, text in (("upgrade", "migrate the database to this version"),
                       ("current", "show the database's revision"),
                       ("check", "exit 0 if this version can run on the database, 1 if not")):
        sub = db_commands.add_parser(name, help=text, parents=[common], epilog=EXIT_CODES_HELP)
        sub.add_argument("--owner-url", help="owner-role URL for a server (or ILS_OWNER_DATABASE_URL); "
                         "without it the owner role is ils_owner on the --database-url server")
    provision = db_commands.add_parser("provision", help="create roles and database on a server (superuser)",
                                       parents=[common], epilog=EXIT_CODES_HELP)
    provision.add_argument("--superuser", required=True,
                           help="libpq connection string of a superuser, e.g. \"host=server user=postgres\"")
    provision.add_argument("--database", default="ils")
    setpw = db_commands.add_parser("set-password", help="save the server password in the OS keyring",
                                   parents=[common], epilog=EXIT_CODES_HELP)
    setpw.add_argument("--owner-url", help="save the password for this owner-role URL instead")

    snapshot = commands.add_parser("snapshot", help="render one screen to a PNG", parents=[common])
    snapshot.add_argument("--screen", required=True, help="screen name, or 'list'")
    snapshot.add_argument("--out", help="PNG file to write")
    snapshot.add_argument("--size", default="1366x768", help="WxH, default 1366x768")
    snapshot.add_argument("--as", dest="signed_in_as", default="admin@harbourview.demo",
                          help="demo account to sign in as (e.g. optom@harbourview.demo)")

    audit = commands.add_parser("audit", help="the audit trail", parents=[common])
    audit_commands = audit.add_subparsers(dest="audit_command", required=True, metavar="COMMAND")
    verify = audit_commands.add_parser(
        "verify", help="check every company's audit trail is whole; keep a signed checkpoint of it",
        parents=[common], epilog=EXIT_CODES_HELP,
        description="Recompute every company's hash chain, compare it with the signed checkpoints kept in "
        "the database and in this computer's data folder, and replay it against the records it describes. "
        "When a trail is intact, a new checkpoint is signed with this computer's key (OS keyring) and kept "
        "in both places. Runs as the owner role.")
    verify.add_argument("--json", action="store_true")
    verify.add_argument("--company", help="check only this company (its id)")
    verify.add_argument("--owner-url", help="owner-role URL for a server (or ILS_OWNER_DATABASE_URL); "
                        "without it the owner role is ils_owner on the --database-url server")
    verify.add_argument("--no-checkpoint", action="store_true", help="check only; keep no new checkpoint")

    from ils_desktop.backup_command import add_commands as add_backup_commands

    add_backup_commands(commands, common, EXIT_CODES_HELP)

    devices = commands.add_parser("devices", help="equipment: parse, simulate, receive device output",
                                  parents=[common])
    device_commands = devices.add_subparsers(dest="devices_command", required=True, metavar="COMMAND")
    for name, text in (("parse", "print what a device capture or export holds, as JSON "
                                 "(FILE [--protocol NAME|auto]; -h for more)"),
                       ("simulate", "play a device (--kind KIND ...; -h for more)")):
        # No -h here and no abbreviations: both belong to the command's own parser.
        device_commands.add_parser(name, help=text, parents=[common], add_help=False, allow_abbrev=False)
    serve = device_commands.add_parser(
        "serve", help="receive device readings for a practice", parents=[common], epilog=EXIT_CODES_HELP,
        description="Receive device readings for a practice: DICOM storage, modality worklist, and the "
        "serial/folder devices this machine hosts. Logs to the daily file in the user's log folder.")
    _serve_arguments(serve)
    # The practice's background service: the device listeners above and the message sender.
    service = commands.add_parser(
        "serve", help="the practice's background service: device readings and the message sender",
        parents=[common], epilog=EXIT_CODES_HELP,
        description="Run the practice's background service: everything 'devices serve' does, and the sender "
        "that takes queued emails, texts and webhook deliveries from the database and sends them.")
    _serve_arguments(service)
    return parser


def _serve_arguments(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("--company", help="company id (needed when the database holds several)")
    serve.add_argument("--ae-title", default="ILS")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default all)")
    serve.add_argument("--storage-port", type=int, default=11112)
    serve.add_argument("--worklist-port", type=int, default=11113, help="0 to switch the worklist off")
    serve.add_argument("--no-dicom", action="store_true", help="only this machine's serial/folder devices")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if rest and (args.command, getattr(args, "devices_command", None)) not in PASS_THROUGH:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.rest = rest
    if args.version:
        from ils_desktop.db.migrations import head_revision
        from ils_desktop.version import describe

        print(f"ILS Desktop {describe()}; database revision {head_revision()}")
        return ExitCode.OK
    if args.command is None:
        try:
            if args.database_url is not None:
                from ils_desktop.startup import parse_server_url

                parse_server_url(args.database_url)
        except UserFacingError as error:
            return _fail(error)
        from ils_desktop.ui.app import run_gui

        return run_gui(demo=args.demo, database_url=args.database_url, verbose=args.verbose)
    return _run(args)


def _fail(error: UserFacingError) -> int:
    # One line whatever the message holds: scripts and service managers read the first line.
    print(f"ils-desktop: {' '.join(str(error).split())}", file=sys.stderr)
    return exit_code_for(error)


def _run(args: argparse.Namespace) -> int:
    from ils_desktop.applog import configure_logging
    from ils_desktop.config import AppPaths

    name = " ".join(filter(None, (args.command, getattr(args, "db_command", None),
                                  getattr(args, "audit_command", None), getattr(args, "devices_command", None),
                                  getattr(args, "backup_command", None))))
    serving = name in ("devices serve", "serve")
    log_file = configure_logging(AppPaths.default().log_dir, verbose=args.verbose,
                                 tag="devices-serve" if serving else "cli")
    log.info("ils-desktop %s", name)
    from ils_desktop.db.embedded import install_signal_handlers

    install_signal_handlers()  # SIGTERM/Ctrl+C end the command through exit, which stops the embedded server
    try:
        if serving:
            print(f"Logging to {log_file}", flush=True)
        return int(_dispatch(args))
    except KeyboardInterrupt:
        if sys.stderr.isatty():  # Ctrl-C at a prompt leaves the cursor after it
            print(file=sys.stderr)
        print("ils-desktop: interrupted.", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except UserFacingError as error:
        log.info("%s failed: %s", name, error)
        return _fail(error)
    except Exception as error:
        log.exception("unexpected error in 'ils-desktop %s'", name)
        print(f"ils-desktop: unexpected error ({type(error).__name__}); the details are in {log_file}",
              file=sys.stderr)
        return ExitCode.UNEXPECTED


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "db":
        return _db(args)
    if args.command == "snapshot":
        from ils_desktop.ui.snapshot import snapshot_command

        _named_server(args)  # refuse a bad --database-url before Qt starts
        return snapshot_command(args.screen, args.out, args.size, demo=args.demo,
                                database_url=args.database_url, signed_in_as=args.signed_in_as)
    if args.command == "audit":
        return _audit_verify(args)
    if args.command == "backup":
        from ils_desktop.backup_command import run as run_backup
        from ils_desktop.config import AppPaths

        return run_backup(args, AppPaths.default().data_dir, lambda: _backup_server(args))
    if args.command == "serve":
        return _devices_serve(args, send_messages=True)
    if args.devices_command == "parse":
        from ils_desktop.devices.parse_command import main as parse_main

        return parse_main(args.rest)
    if args.devices_command == "simulate":
        from ils_desktop.devices.simulate_command import main as simulate_main

        return simulate_main(args.rest)
    return _devices_serve(args)


# --- which database ---------------------------------------------------------------------------------
def _named_server(args: argparse.Namespace) -> URL | None:
    """The server the command line (or ILS_DATABASE_URL, or this workstation's settings) names;
    None for the embedded database on this computer."""
    from ils_desktop.config import AppPaths, WorkstationSettings
    from ils_desktop.startup import parse_server_url

    if args.demo:
        if args.database_url:
            raise _usage("Use --demo or --database-url, not both.")
        return None
    for text, source in ((args.database_url, "--database-url"),
                         (os.environ.get("ILS_DATABASE_URL"), "ILS_DATABASE_URL"),
                         (WorkstationSettings.load(AppPaths.default()).database_url,
                          "the server in this workstation's settings")):
        if text:
            return parse_server_url(text, source)
    return None


def _owner_server(args: argparse.Namespace) -> URL | None:
    from ils_desktop.startup import parse_server_url

    if args.demo:  # as for ILS_DATABASE_URL, the environment gives way to --demo; an option does not
        if getattr(args, "owner_url", None):
            raise _usage("Use --demo or --owner-url, not both.")
        return None
    for text, source in ((getattr(args, "owner_url", None), "--owner-url"),
                         (os.environ.get("ILS_OWNER_DATABASE_URL"), "ILS_OWNER_DATABASE_URL")):
        if text:
            return parse_server_url(text, source)
    return None


def _local_pgdata(args: argparse.Namespace) -> Path:
    """The embedded database's folder; outside the demo, it must exist already: a command line
    run never quietly creates an empty practice database."""
    from ils_desktop.config import AppPaths
    from ils_desktop.db.embedded import cluster_exists
    from ils_desktop.errors import NotProvisioned

    pgdata = AppPaths.default().embedded_pgdata(demo=args.demo)
    if not args.demo and not cluster_exists(pgdata):
        raise NotProvisioned("There is no database on this computer yet and no server was named: pass "
                             "--database-url (or set ILS_DATABASE_URL), or start ILS Desktop once to create one.")
    return pgdata


def _ask(prompt: str, reason: str | None) -> str | None:
    """Ask at the terminal; None when there is none (the caller says so in one line)."""
    if not sys.stdin.isatty():
        return None
    if reason:
        print(f"ils-desktop: {reason}", file=sys.stderr)
    try:
        return getpass.getpass(prompt)
    except EOFError:  # Ctrl-D: nothing typed
        return ""


def _logins() -> Logins:
    from ils_desktop.startup import Logins

    return Logins(_ask)


def _set_password_hint(url: URL, option: str) -> str:
    from ils_desktop.startup import mask_secrets

    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=True)
    return f"save it with 'ils-desktop db set-password {option} {mask_secrets(plain)}', or use ~/.pgpass"


def _signed_in(logins: Logins, url: URL, option: str) -> URL:
    """``url`` with the password that lets it in; the database must have been provisioned."""
    from ils_desktop.startup import Account, require_provisioned

    password = logins.for_url(url, save_hint=_set_password_hint(url, option))
    ready = url if password is None else url.set(password=password)
    require_provisioned(ready, Account.of_url(url))
    return ready


def _open(args: argparse.Namespace) -> Database:
    """The practice database for a command that works on its data (as ils_app)."""
    from ils_desktop.config import AppPaths
    from ils_desktop.startup import ServerChoice, open_database

    paths = AppPaths.default()
    url = _named_server(args)
    if url is None:
        _local_pgdata(args)
        return open_database(paths, ServerChoice(None, demo=args.demo))
    ready = _signed_in(_logins(), url, "--database-url")
    return open_database(paths, ServerChoice(url.set(password=None).render_as_string(hide_password=False)),
                         password=ready.password)


def _backup_server(args: argparse.Namespace) -> Any:
    """The server a backup reads or a restore writes: this computer's database (its own
    superuser), or the named server with ``--superuser``."""
    from ils_desktop.backup_command import Server

    named = _named_server(args)
    if named is not None:
        if not args.superuser:
            raise _usage("A practice server is backed up with a superuser's connection: pass --superuser.")
        return Server(args.superuser, named.database or "ils", lambda: _owner_url(args))
    from ils_desktop.db.database import embedded_target

    target = embedded_target(_local_pgdata(args))
    assert target.embedded is not None and target.owner_url is not None
    owner = target.owner_url
    return Server(target.embedded.superuser_conninfo, target.embedded.database, lambda: owner)


# --- db -----------------------------------------------------------------------------------------------
def _db(args: argparse.Namespace) -> int:
    if args.db_command == "provision":
        return _provision(args)
    if args.db_command == "set-password":
        return _set_password(args)
    if args.db_command == "upgrade":
        return _upgrade(args)
    return _check(args)


def _provision(args: argparse.Namespace) -> int:
    import psycopg

    from ils_desktop.db.provision import provision
    from ils_desktop.startup import Account, connection_failure, is_connect_failure

    conninfo = args.superuser.strip()
    if "://" in conninfo:
        scheme = conninfo.split("://", 1)[0]
        if scheme not in ("postgresql", "postgres", "postgresql+psycopg"):
            raise _usage(f"--superuser names a {scheme} server; ILS Desktop needs PostgreSQL "
                         "(\"host=server user=postgres\" or postgresql://postgres@server).")
        conninfo = "postgresql://" + conninfo.split("://", 1)[1]
    try:
        psycopg.conninfo.conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError as error:
        raise _usage("--superuser is not a connection string; write it as \"host=server user=postgres\" "
                     "or postgresql://postgres@server.") from error
    conninfo = _logins().for_conninfo(conninfo)
    account = Account.of_conninfo(conninfo)
    try:
        provision(conninfo, args.database)
    except psycopg.errors.InsufficientPrivilege as error:
        raise CommandError(f"{account.label} may not create roles and databases ({error}); connect as a "
                           "superuser such as postgres.", ExitCode.CANNOT_CONNECT) from error
    except psycopg.OperationalError as error:
        if is_connect_failure(error):
            raise connection_failure(error, account) from error
        raise
    print(f"Roles ils_owner, ils_app, ils_auth and database {args.database} are ready on {account.server}. "
          "Set their passwords with ALTER ROLE, then run 'ils-desktop db upgrade'.")
    return ExitCode.OK


def _same_database(a: URL, b: URL) -> bool:
    from ils_desktop.startup import Account

    first, second = Account.of_url(a), Account.of_url(b)
    return (first.host, first.port, first.database) == (second.host, second.port, second.database)


def _upgrade(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import ProgrammingError

    from ils_desktop.db.ddl import OWNER_ROLE
    from ils_desktop.db.migrations import head_revision, upgrade
    from ils_desktop.errors import NotProvisioned
    from ils_desktop.startup import Account

    app, owner = _named_server(args), _owner_server(args)
    if owner is not None and app is not None and not _same_database(owner, app):
        raise _usage("--owner-url and --database-url name different databases.")
    if owner is None and app is not None:
        # provision makes the schema owner ils_owner on the same server and database.
        owner = app.set(username=OWNER_ROLE, password=None)
    if owner is None:
        from ils_desktop.db.database import embedded_target

        target = embedded_target(_local_pgdata(args))
        assert target.owner_url is not None
        upgrade(target.owner_url)
        print(f"Database upgraded to {head_revision()} ({target.label}).")
        return ExitCode.OK
    account = Account.of_url(owner)
    ready = _signed_in(_logins(), owner, "--owner-url")
    try:
        upgrade(ready)
    except ProgrammingError as error:
        import psycopg

        if isinstance(error.orig, psycopg.errors.InsufficientPrivilege):
            raise NotProvisioned(f"{account.label} may not change the schema of {account.database} "
                                 f"({error.orig}): {account.provision_hint()}.") from error
        raise
    print(f"Database upgraded to {head_revision()} (server {account.server}/{account.database}, "
          f"as {account.role}).")
    return ExitCode.OK


def _check(args: argparse.Namespace) -> int:
    """``db current`` and ``db check``: read the schema's revision as the app (or owner) role."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from ils_desktop.db.migrations import SchemaState, schema_status

    app, owner = _named_server(args), _owner_server(args)
    url = app or owner
    if url is None:
        from ils_desktop.db.database import embedded_target

        ready: Any = embedded_target(_local_pgdata(args)).app_url
    else:
        ready = _signed_in(_logins(), url, "--database-url" if app else "--owner-url")
    engine = create_engine(ready, poolclass=NullPool, connect_args={"connect_timeout": 10})
    try:
        with engine.connect() as connection:
            status = schema_status(connection)
    finally:
        engine.dispose()
    if args.db_command == "current":
        print(f"{status.current or '(empty)'}  — {status.message()}")
        return ExitCode.OK
    print(status.message())
    return ExitCode.OK if status.state is SchemaState.CURRENT else ExitCode.FAILED


def _set_password(args: argparse.Namespace) -> int:
    from ils_desktop.db import credentials
    from ils_desktop.startup import (
        Account,
        P,
        classify_connection_error,
        connection_detail,
        is_connect_failure,
        keyring_account,
    )

    url = _owner_server(args) or _named_server(args)
    if url is None:
        raise _usage("No server is named: pass --database-url (or --owner-url), or set ILS_DATABASE_URL.")
    url = url.set(password=None)
    account, label = keyring_account(url), Account.of_url(url).label
    # The keyring must be usable before anyone types a password into it (raises NoKeyring).
    credentials.get_password(account)
    if not sys.stdin.isatty():
        raise _usage("'db set-password' reads the password from a terminal, and there is none.")
    password = _ask(f"Password for {label}: ", None)
    if not password:
        raise CommandError("No password entered: nothing was saved.", ExitCode.FAILED)
    note = ""
    try:
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        engine = create_engine(url.set(password=password), poolclass=NullPool,
                               connect_args={"connect_timeout": 10})
        try:
            with engine.connect():
                pass
        finally:
            engine.dispose()
    except Exception as error:
        if not is_connect_failure(error):
            raise
        if classify_connection_error(error) is P.WRONG_PASSWORD:
            raise CommandError(f"The server refused that password for {label}: nothing was saved.",
                               ExitCode.CANNOT_CONNECT) from error
        note = f" (not checked against the server: {connection_detail(error)})"
    credentials.set_password(account, password)
    print(f"Saved in the OS keyring for {label}{note}.")
    return ExitCode.OK


# --- audit ---------------------------------------------------------------------------------------------
def _owner_url(args: argparse.Namespace) -> URL:
    """The owner role's URL, with the password that lets it in: ``--owner-url``, else ``ils_owner``
    on the named server, else the embedded database on this computer."""
    from ils_desktop.db.ddl import OWNER_ROLE

    app, owner = _named_server(args), _owner_server(args)
    if owner is not None and app is not None and not _same_database(owner, app):
        raise _usage("--owner-url and --database-url name different databases.")
    if owner is None and app is not None:
        owner = app.set(username=OWNER_ROLE, password=None)
    if owner is None:
        from ils_desktop.db.database import embedded_target

        target = embedded_target(_local_pgdata(args))
        assert target.owner_url is not None
        return target.owner_url
    return _signed_in(_logins(), owner, "--owner-url")


def _audit_verify(args: argparse.Namespace) -> int:
    """Every company's trail, as the owner role (which sees each company by naming it)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from ils_desktop.config import AppPaths
    from ils_desktop.db.unit_of_work import TenantUnitOfWork
    from ils_desktop.domain.tenant import TenantContext
    from ils_desktop.errors import NoKeyring
    from ils_desktop.services.audit_checkpoints import AUDIT_CHECKPOINT_FOLDER, CheckpointBook, signing_key
    from ils_desktop.services.audit_trail import take_checkpoint, verify_trail

    engine = create_engine(_owner_url(args), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            listed = connection.execute(text("SELECT id, name FROM companies ORDER BY name"))
            companies = [(r.id, r.name) for r in listed]
        if args.company:
            companies = [(c, n) for c, n in companies if str(c) == args.company]
            if not companies:
                raise _usage(f"No company {args.company} in this database.")
        if not companies:
            empty = "No companies in this database: nothing to verify."
            if args.json:
                print("[]")
            print(empty, file=sys.stderr if args.json else sys.stdout)
            return ExitCode.OK
        try:
            key = signing_key(create=not args.no_checkpoint)
        except NoKeyring as error:
            key = None
            print(f"ils-desktop: {error} Checkpoints are neither checked nor kept.", file=sys.stderr)
        book = CheckpointBook(AppPaths.default().data_dir / AUDIT_CHECKPOINT_FOLDER)
        reports = []
        for company_id, name in companies:
            with TenantUnitOfWork(engine, TenantContext(company_id)) as uow:
                report = verify_trail(uow, book, key)
                if report.intact and key is not None and not args.no_checkpoint:
                    take_checkpoint(uow, report, key, book)
                    report.checkpoint_taken = True
                    uow.commit()
            reports.append({"company_id": str(company_id), "company": name, "entries": report.checked,
                            "checkpoints": report.checkpoints, "checkpoint_taken": report.checkpoint_taken,
                            "intact": report.intact, "problems": report.problems})
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps(reports, indent=2))
    else:
        for r in reports:
            state = "intact" if r["intact"] else "TAMPERED"
            against = f", agrees with {r['checkpoints']} checkpoint(s)" if r["checkpoints"] and r["intact"] else ""
            print(f"{r['company']}: {r['entries']} entries{against}, {state}")
            for problem in r["problems"]:
                print(f"  - {problem}")
    return ExitCode.OK if all(r["intact"] for r in reports) else ExitCode.FAILED


# --- devices serve --------------------------------------------------------------------------------------
def _service_session(database: Database, company_id: Any, name: str) -> Any:  # -> TenantContext
    """The background service's own session for this practice: kept in the OS keyring after a
    manager who may manage equipment signed in once, at a terminal, to start it."""
    from ils_desktop.config import AppPaths, WorkstationSettings
    from ils_desktop.db import credentials
    from ils_desktop.errors import NoKeyring, SessionEnded, SignInFailed
    from ils_desktop.services.auth import service_context, sign_in, sign_out, start_service_session

    account = credentials.service_account(database.target.label, company_id)
    keyring_problem = None
    try:
        token = credentials.get_password(account)
    except NoKeyring as error:
        token, keyring_problem = None, str(error)
    if token:
        context = service_context(company_id, token)
        try:
            database.run(context, lambda uow: uow.sessions.check(), read_only=True)
            return context
        except SessionEnded:
            log.info("the device service's session for %s has ended; a manager must start it again", name)
    if not sys.stdin.isatty():
        raise CommandError(f"The device service is not signed in for {name} on this computer: run "
                           "'ils-desktop devices serve' once at a terminal, where a manager who may manage "
                           "equipment signs in to start it.", ExitCode.FAILED)
    print(f"Starting the device service for {name}: a manager who may manage equipment signs in once.",
          file=sys.stderr)
    email = input("Manager's email: ").strip()
    password = getpass.getpass("Password: ")
    workstation = WorkstationSettings.load(AppPaths.default()).workstation_name
    try:
        manager = sign_in(database, email, password, workstation=workstation)
    except SignInFailed as error:
        raise CommandError(str(error), ExitCode.FAILED) from None
    try:
        if manager.context.company_id != company_id:
            raise CommandError(f"{manager.user_name} is not a member of staff of {name}.", ExitCode.FAILED)
        token = start_service_session(database, manager, workstation=f"{workstation} (device service)")
    finally:
        sign_out(database, manager)
    try:
        credentials.set_password(account, token)
    except NoKeyring as error:
        keyring_problem = str(error)
    if keyring_problem:
        print(f"ils-desktop: {keyring_problem} The device service will ask for a manager again next time.",
              file=sys.stderr)
    return service_context(company_id, token)


def _devices_serve(args: argparse.Namespace, *, send_messages: bool = False) -> int:
    """Run the DICOM Storage and Worklist SCPs (and this machine's serial/folder devices) until Ctrl-C;
    with ``send_messages`` (``ils-desktop serve``) the message sender too (``services/messaging``)."""
    import signal
    import threading

    from ils_desktop.config import AppPaths
    from ils_desktop.repositories.sign_in import practice_company_ids
    from ils_desktop.services.device_hub import DeviceHub

    database = _open(args)
    companies = database.run_anonymous(practice_company_ids)
    if not companies:
        raise CommandError(f"No practice in this database ({database.target.label}) to receive readings "
                           "for: set one up in ILS Desktop first.", ExitCode.FAILED)
    listed = ", ".join(f"{n} ({c})" for c, n in companies)
    if args.company:
        companies = [(c, n) for c, n in companies if str(c) == args.company]
        if not companies:
            raise _usage(f"No practice {args.company} in this database; the practices are: {listed}.")
    elif len(companies) > 1:
        raise _usage(f"Say which practice with --company ID: {listed}.")
    company_id, name = companies[0]
    # The hub acts for the practice, not for a person, in a service session a manager started.
    context = _service_session(database, company_id, name)
    log.info("receiving device readings for %s (%s) from %s", name, company_id, database.target.label)

    def stored(r: Any) -> None:
        line = (f"{r.received_at:%H:%M:%S} {r.kind or 'unreadable'} from {r.source} {r.source_detail or ''} -> "
                f"{'patient ' + str(r.patient_id) if r.patient_id else 'unmatched'}")
        log.info("stored: %s", line)
        print(line, flush=True)

    def status(device: str, state: str) -> None:
        log.info("%s: %s", device, state)
        print(f"{device}: {state}", flush=True)

    # Before anything listens: a service manager may stop the service as soon as it has started.
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    hub = DeviceHub(database, context, AppPaths.default().data_dir / "devices",
                    on_stored=stored, on_status=status, image_store=AppPaths.default().image_store)
    sender: tuple[threading.Thread, threading.Event] | None = None
    try:
        if not args.no_dicom:
            try:
                hub.start_dicom(ae_title=args.ae_title, host=args.host, storage_port=args.storage_port,
                                worklist_port=args.worklist_port or None)
            except OSError as error:
                raise CommandError(f"Cannot listen for DICOM on {args.host} port {args.storage_port}"
                                   + (f" or {args.worklist_port}" if args.worklist_port else "")
                                   + f" ({error.strerror or error}).", ExitCode.FAILED) from error
            listening = (f"DICOM storage {args.ae_title}@{args.host}:{args.storage_port}"
                         + (f", worklist on port {args.worklist_port}" if args.worklist_port else ""))
            log.info("%s", listening)
            print(listening, flush=True)
        if send_messages:
            from ils_desktop.services.messaging.service_loop import start_sender

            sender = start_sender(database, context, on_status=lambda line: status("messages", line))
        started = hub.start_local_devices()
        receiving = f"Receiving for {name}" + (f"; listening to {', '.join(started)}" if started else "")
        log.info("%s", receiving)
        print(receiving, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    finally:
        if sender is not None:
            sender[1].set()
            sender[0].join(30)
        hub.stop()
        signal.signal(signal.SIGTERM, previous)
        log.info("device service stopped")
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
