"""``ils-desktop backup create|list|verify|restore``: the practice database's encrypted backups.

The command line resolves which server and superuser (``cli.py``); this module does the rest:
the key (OS keyring, or the printed recovery key), the rotation, the audit checkpoints copied
beside the backups, and the audit check of a restored database.
"""

from __future__ import annotations

import argparse
import getpass
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import URL

from ils_desktop.db.backup_archive import BackupKey, read_manifest
from ils_desktop.db.backups import (
    SUFFIX,
    BackupFailed,
    backup_key,
    create_backup,
    list_backups,
    restore_backup,
    verify_backup,
)
from ils_desktop.domain.backup_retention import RetentionPolicy, backups_to_keep
from ils_desktop.exit_codes import ExitCode

CHECKPOINTS = "audit-checkpoints"


def add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser,  # type: ignore[type-arg]
                 epilog: str) -> None:
    backup = commands.add_parser("backup", help="encrypted backups of the practice database", parents=[common])
    sub = backup.add_subparsers(dest="backup_command", required=True, metavar="COMMAND")
    server = argparse.ArgumentParser(add_help=False)
    server.add_argument("--superuser", help="libpq connection string of a superuser of the named server "
                        "(backups read every company's rows); not needed for this computer's own database")
    key = argparse.ArgumentParser(add_help=False)
    key.add_argument("--recovery-key", action="store_true",
                     help="type the printed recovery key instead of using this computer's keyring")
    create = sub.add_parser("create", help="back up now", parents=[common, server], epilog=epilog)
    create.add_argument("--to", type=Path, help="folder to write to (default: the data folder's backups)")
    create.add_argument("--keep-daily", type=int, default=7)
    create.add_argument("--keep-weekly", type=int, default=5)
    create.add_argument("--keep-monthly", type=int, default=12)
    create.add_argument("--keep-newest", type=int, default=2)
    listing = sub.add_parser("list", help="the backups in a folder", parents=[common], epilog=epilog)
    listing.add_argument("--in", dest="folder", type=Path, help="folder (default: the data folder's backups)")
    verify = sub.add_parser("verify", help="check a backup can be restored", parents=[common, key], epilog=epilog)
    verify.add_argument("file", type=Path)
    restore = sub.add_parser("restore", help="restore a backup into a new database", parents=[common, server, key],
                             epilog=epilog)
    restore.add_argument("file", type=Path)
    restore.add_argument("--into", required=True, help="name of the new database to restore into")


@dataclass(frozen=True)
class Server:
    superuser_conninfo: str
    database: str
    owner_url: Callable[[], URL]
    """The owner role's URL on that server (asked for only when a restore checks its audit trail)."""


def _key(args: argparse.Namespace) -> BackupKey:
    if getattr(args, "recovery_key", False):
        if not sys.stdin.isatty():
            raise BackupFailed("Type the recovery key at a terminal (--recovery-key needs one).")
        return BackupKey.from_recovery_text(getpass.getpass("Recovery key: "))
    key = backup_key(create=False)
    if key is None:
        raise BackupFailed("This computer has no backup key: pass --recovery-key and type the printed one.")
    return key


def _size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)


def run(args: argparse.Namespace, data_dir: Path, server: Callable[[], Server]) -> int:
    folder = getattr(args, "to", None) or getattr(args, "folder", None) or data_dir / "backups"
    if args.backup_command == "list":
        return _list(folder)
    if args.backup_command == "verify":
        check = verify_backup(args.file, _key(args))
        print(f"{args.file.name}: whole and restorable — made {check.manifest.get('made_at')}, "
              f"{sum(check.manifest.get('tables', {}).values()):,} rows in {len(check.manifest.get('tables', {}))} "
              f"tables.")
        return ExitCode.OK
    if args.backup_command == "create":
        return _create(args, folder, data_dir, server())
    return _restore(args, server())


def _list(folder: Path) -> int:
    found = list_backups(folder) if folder.is_dir() else []
    if not found:
        print(f"No backups in {folder}.")
        return ExitCode.OK
    for path, manifest in found:
        if manifest is None:
            print(f"{path.name}  (unreadable header)")
            continue
        rows = sum(manifest.get("tables", {}).values())
        print(f"{path.name}  {_size(path.stat().st_size):>9}  {rows:>10,} rows  {manifest.get('practice') or ''}")
    return ExitCode.OK


def _create(args: argparse.Namespace, folder: Path, data_dir: Path, server: Server) -> int:
    key = backup_key(create=False)
    if key is None:
        key = backup_key(create=True)
        assert key is not None
        print("A backup key was made and kept in this computer's keyring. Write down this recovery key and keep it "
              "somewhere safe, away from the backups: without it a backup cannot be restored on another computer.\n\n"
              f"    {key.recovery_text()}\n")
    made = create_backup(server.superuser_conninfo, server.database, folder, key)
    verify_backup(made.path, key)  # a backup counts only once it has been read back whole
    checkpoints = data_dir / CHECKPOINTS
    if checkpoints.is_dir():
        shutil.copytree(checkpoints, folder / CHECKPOINTS, dirs_exist_ok=True)
    print(f"Backed up {made.rows:,} rows of {made.tables} tables to {made.path} ({_size(made.size)}); checked.")
    policy = RetentionPolicy(args.keep_daily, args.keep_weekly, args.keep_monthly, args.keep_newest)
    dated = {}
    for path, manifest in list_backups(folder):
        if manifest and path.name.startswith(f"ils-backup-{server.database}-") and path.suffix == SUFFIX:
            dated[datetime.fromisoformat(manifest["made_at"])] = path
    keep = backups_to_keep(dated, policy)
    for when, path in sorted(dated.items()):
        if when not in keep:
            path.unlink()
            print(f"Removed {path.name} (older than the rotation keeps).")
    return ExitCode.OK


def _restore(args: argparse.Namespace, server: Server) -> int:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from ils_desktop.db.unit_of_work import TenantUnitOfWork
    from ils_desktop.domain.tenant import TenantContext
    from ils_desktop.services.audit_trail import verify_trail

    manifest = read_manifest(args.file)
    report = restore_backup(args.file, _key(args), server.superuser_conninfo, args.into)
    engine = create_engine(server.owner_url().set(database=args.into), poolclass=NullPool)
    problems: list[str] = []
    try:
        with engine.connect() as connection:
            companies = [(r.id, r.name) for r in connection.execute(text("SELECT id, name FROM companies"))]
        for company_id, name in companies:
            with TenantUnitOfWork(engine, TenantContext(company_id)) as uow:
                chain = verify_trail(uow)
            problems += [f"{name}: {p}" for p in chain.problems]
    finally:
        engine.dispose()
    rows = sum(report.counts.values())
    print(f"Restored {args.file.name} (made {manifest.get('made_at')}) into the new database {args.into}: "
          f"{rows:,} rows.")
    for line in report.differences + problems:
        print(f"  - {line}")
    if report.complete and not problems:
        print(f"Every table's row count matches the backup and the audit trail of {len(companies)} "
              f"compan{'y' if len(companies) == 1 else 'ies'} verifies.")
        return ExitCode.OK
    return ExitCode.FAILED
