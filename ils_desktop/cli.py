"""The ``ils-desktop`` command. Imports are deferred so the sign-in window appears quickly."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import sys
from collections.abc import Sequence


def _common(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """--demo and --database-url are accepted before or after the command."""
    default_flag = False if defaults else argparse.SUPPRESS
    default_url = None if defaults else argparse.SUPPRESS
    parser.add_argument("--demo", action="store_true", default=default_flag,
                        help="use the separate demo database")
    parser.add_argument("--database-url", default=default_url,
                        help="practice server, e.g. postgresql://ils_app@server/ils (or set "
                        "ILS_DATABASE_URL); the password comes from the OS keyring")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ils-desktop", description="ILS Desktop: the practice application for UK opticians."
    )
    _common(parser, defaults=True)
    parser.add_argument("--verbose", action="store_true", help="more detail in the log file")
    commands = parser.add_subparsers(dest="command")
    common = argparse.ArgumentParser(add_help=False)
    _common(common, defaults=False)

    db = commands.add_parser("db", help="database migrations and connection", parents=[common])
    db_commands = db.add_subparsers(dest="db_command", required=True)
    for name, text in (("upgrade", "migrate the database to this version"),
                       ("current", "show the database's revision"),
                       ("check", "exit 0 if this version can run on the database, 1 if not")):
        sub = db_commands.add_parser(name, help=text, parents=[common])
        sub.add_argument("--owner-url", help="owner-role URL for a server (or ILS_OWNER_DATABASE_URL)")
    provision = db_commands.add_parser("provision", help="create roles and database on a server (superuser)")
    provision.add_argument("--superuser", required=True, help="libpq connection string of a superuser")
    provision.add_argument("--database", default="ils")
    setpw = db_commands.add_parser("set-password", help="save the server password in the OS keyring",
                                   parents=[common])
    setpw.add_argument("--owner-url", help="save the password for this owner-role URL instead")

    snapshot = commands.add_parser("snapshot", help="render one screen to a PNG", parents=[common])
    snapshot.add_argument("--screen", required=True, help="screen name, or 'list'")
    snapshot.add_argument("--out", help="PNG file to write")
    snapshot.add_argument("--size", default="1366x768", help="WxH, default 1366x768")
    snapshot.add_argument("--as", dest="signed_in_as", default="admin@harbourview.demo",
                          help="demo account to sign in as (e.g. optom@harbourview.demo)")

    audit = commands.add_parser("audit", help="the audit trail", parents=[common])
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_commands.add_parser("verify", help="check the audit hash chain of every company",
                                       parents=[common])
    verify.add_argument("--json", action="store_true")
    verify.add_argument("--company", help="check only this company (its id)")

    devices = commands.add_parser("devices", help="equipment: parse device output")
    devices.add_argument("devices_args", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command is None:
        from ils_desktop.ui.app import run_gui

        return run_gui(demo=args.demo, database_url=args.database_url, verbose=args.verbose)
    from ils_desktop.db.embedded import install_signal_handlers

    install_signal_handlers()  # SIGTERM/Ctrl+C end the command through exit, which stops the embedded server
    try:
        if args.command == "db":
            return _db(args)
        if args.command == "snapshot":
            from ils_desktop.ui.snapshot import snapshot_command

            return snapshot_command(args.screen, args.out, args.size, demo=args.demo,
                                    database_url=args.database_url, signed_in_as=args.signed_in_as)
        if args.command == "audit":
            return _audit_verify(args)
        if args.command == "devices":
            return _devices(args.devices_args)
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        from ils_desktop.errors import UserFacingError

        if isinstance(error, UserFacingError):
            print(f"ils-desktop: {error}", file=sys.stderr)
            return 1
        raise
    return 2


def _prompt(reason: str) -> str | None:
    if not sys.stdin.isatty():
        print(f"ils-desktop: {reason} Trying without a password (save one with 'ils-desktop db "
              "set-password').", file=sys.stderr)
        return None
    print(reason, file=sys.stderr)
    return getpass.getpass("Database password: ")


def _open(args: argparse.Namespace):  # -> Database
    from ils_desktop.config import AppPaths
    from ils_desktop.startup import choose_server, open_database, server_password

    paths = AppPaths.default()
    choice = choose_server(paths, demo=args.demo, database_url=args.database_url)
    password = server_password(choice.url, _prompt) if choice.url else None
    return open_database(paths, choice, password=password)


def _db(args: argparse.Namespace) -> int:
    import os

    from ils_desktop.config import AppPaths
    from ils_desktop.db.migrations import SchemaState, head_revision, schema_status, upgrade
    from ils_desktop.startup import choose_server, server_password

    if args.db_command == "provision":
        from ils_desktop.db.provision import provision

        provision(args.superuser, args.database)
        print(f"Roles ils_owner, ils_app, ils_auth and database {args.database} are ready. "
              "Set their passwords with ALTER ROLE, then run 'ils-desktop db upgrade'.")
        return 0
    paths = AppPaths.default()
    choice = choose_server(paths, demo=args.demo, database_url=args.database_url)
    if args.db_command == "set-password":
        return _set_password(args.owner_url or choice.url)
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from ils_desktop.db.database import embedded_target, server_target

    if choice.embedded:
        target = embedded_target(paths.embedded_pgdata(demo=choice.demo))
    else:
        owner_url = getattr(args, "owner_url", None) or os.environ.get("ILS_OWNER_DATABASE_URL")
        target = server_target(
            choice.url, password=server_password(choice.url, _prompt), owner_url=owner_url,
            owner_password=server_password(owner_url, _prompt) if owner_url else None,
        )
    if args.db_command == "upgrade":
        if target.owner_url is None:
            print("ils-desktop: upgrading a server needs the owner role: pass --owner-url or set "
                  "ILS_OWNER_DATABASE_URL.", file=sys.stderr)
            return 1
        upgrade(target.owner_url)
        print(f"Database upgraded to {head_revision()} ({target.label}).")
        return 0
    engine = create_engine(target.app_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            status = schema_status(connection)
    finally:
        engine.dispose()
    if args.db_command == "current":
        print(f"{status.current or '(empty)'}  — {status.message()}")
        return 0
    print(status.message())
    return 0 if status.state is SchemaState.CURRENT else 1


def _set_password(url: str | None) -> int:
    from sqlalchemy.engine import make_url

    from ils_desktop.db import credentials

    if not url:
        print("ils-desktop: no server is configured: pass --database-url or set ILS_DATABASE_URL.",
              file=sys.stderr)
        return 1
    parsed = make_url(url)
    account = credentials.account_for(parsed.username or "", parsed.host or "", parsed.port,
                                      parsed.database or "")
    password = getpass.getpass(f"Password for {account}: ")
    credentials.set_password(account, password)
    print(f"Saved in the OS keyring for {account}.")
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    from ils_desktop.db.tenant import TenantContext
    from ils_desktop.domain.roles import PERMISSION_CODES
    from ils_desktop.repositories.sign_in import all_company_ids
    from ils_desktop.services.audit_trail import verify_chain

    database = _open(args)
    reports = []
    companies = database.run_anonymous(all_company_ids)
    if args.company:
        companies = [(c, n) for c, n in companies if str(c) == args.company]
        if not companies:
            print(f"ils-desktop: no company {args.company}", file=sys.stderr)
            return 1
    for company_id, name in companies:
        context = TenantContext(company_id, None, frozenset(), PERMISSION_CODES)
        report = verify_chain(database, context)
        reports.append({"company_id": str(company_id), "company": name, "entries": report.checked,
                        "intact": report.intact, "problems": report.problems})
    if args.json:
        print(json.dumps(reports, indent=2))
    else:
        for r in reports:
            state = "intact" if r["intact"] else "TAMPERED"
            print(f"{r['company']}: {r['entries']} entries, {state}")
            for problem in r["problems"]:
                print(f"  - {problem}")
    return 0 if all(r["intact"] for r in reports) else 1


def _devices(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "parse":
        from ils_desktop.devices.parse_command import main as parse_main

        return parse_main(argv[1:])
    if command == "simulate":
        from ils_desktop.devices.simulate_command import main as simulate_main

        return simulate_main(argv[1:])
    if command == "serve":
        return _devices_serve(argv[1:])
    print("usage: ils-desktop devices parse FILE [--protocol NAME|auto]\n"
          "       ils-desktop devices simulate --kind KIND ...\n"
          "       ils-desktop devices serve [--storage-port N] [--worklist-port N] ...", file=sys.stderr)
    return 2


def _devices_serve(argv: list[str]) -> int:
    """Run the DICOM Storage and Worklist SCPs (and this machine's serial/folder devices) until Ctrl-C."""
    import signal
    import threading

    parser = argparse.ArgumentParser(prog="ils-desktop devices serve",
                                     description="Receive device readings for a practice: DICOM storage, "
                                     "modality worklist, and the serial/folder devices this machine hosts.")
    _common(parser, defaults=True)
    parser.add_argument("--company", help="company id (needed when the database holds several)")
    parser.add_argument("--ae-title", default="ILS")
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on (default all)")
    parser.add_argument("--storage-port", type=int, default=11112)
    parser.add_argument("--worklist-port", type=int, default=11113, help="0 to switch the worklist off")
    parser.add_argument("--no-dicom", action="store_true", help="only this machine's serial/folder devices")
    args = parser.parse_args(argv)

    from ils_desktop.config import AppPaths
    from ils_desktop.db.tenant import TenantContext
    from ils_desktop.repositories.sign_in import practice_company_ids
    from ils_desktop.services.device_hub import DeviceHub

    database = _open(args)
    companies = database.run_anonymous(practice_company_ids)
    if args.company:
        companies = [(c, n) for c, n in companies if str(c) == args.company]
    practices = companies if args.company else companies[:1] if len(companies) == 1 else []
    if not practices:
        print("ils-desktop: say which company with --company ID: " +
              ", ".join(f"{n} ({c})" for c, n in companies), file=sys.stderr)
        return 2
    company_id, name = practices[0]
    # The hub acts for the practice, not for a person: it may match and store readings only.
    context = TenantContext(company_id, None, frozenset(), frozenset({"patients.view"}))
    hub = DeviceHub(database, context, AppPaths.default().data_dir / "devices",
                    on_stored=lambda r: print(f"{r.received_at:%H:%M:%S} {r.kind or 'unreadable'} from "
                                              f"{r.source} {r.source_detail or ''} -> "
                                              f"{'patient ' + str(r.patient_id) if r.patient_id else 'unmatched'}",
                                              flush=True),
                    on_status=lambda device, status: print(f"{device}: {status}", flush=True))
    if not args.no_dicom:
        hub.start_dicom(ae_title=args.ae_title, host=args.host, storage_port=args.storage_port,
                        worklist_port=args.worklist_port or None)
        print(f"DICOM storage {args.ae_title}@{args.host}:{args.storage_port}"
              + (f", worklist on port {args.worklist_port}" if args.worklist_port else ""), flush=True)
    started = hub.start_local_devices()
    print(f"Receiving for {name}" + (f"; listening to {', '.join(started)}" if started else ""), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    hub.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
