"""Backups that restore: the demo practice backed up, checked, restored into a new database, and
proved identical — every table's rows and the audit chain; a tampered, truncated or foreign backup
refused before anything is created."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from ils_desktop.db.backup_archive import BackupKey, BackupUnreadable, read_manifest
from ils_desktop.db.backups import BackupFailed, create_backup, list_backups, restore_backup, verify_backup
from ils_desktop.db.migrations import upgrade
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.demo.generator import ensure_demo_practice
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.services.audit_trail import verify_trail

SOURCE = "ils_backup_source"
RESTORED = "ils_backup_restored"


@pytest.fixture(scope="module")
def demo_database(pg_server):
    pg_server.drop_database(SOURCE)
    pg_server.drop_database(RESTORED)
    target = pg_server.create_database(SOURCE)
    upgrade(target.owner_url)
    ensure_demo_practice(target.owner_url)
    yield target
    pg_server.drop_database(SOURCE)
    pg_server.drop_database(RESTORED)


@pytest.fixture(scope="module")
def backup(demo_database, pg_server, tmp_path_factory):
    key = BackupKey.new()
    made = create_backup(pg_server.superuser_conninfo, SOURCE, tmp_path_factory.mktemp("backups"), key,
                         practice="Harbour View Opticians")
    return made, key


def _fingerprints(conninfo: str) -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of all its rows, as a superuser sees them."""
    with psycopg.connect(conninfo) as connection:
        tables = [r[0] for r in connection.execute(
            "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE nspname = 'public' AND relkind = 'r' ORDER BY relname")]
        found = {}
        for table in tables:
            count, digest = connection.execute(sql.SQL(
                "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {} t"
            ).format(sql.Identifier(table))).fetchone()
            found[table] = (count, digest)
        return found


def test_the_demo_practice_restores_into_a_new_database_row_for_row(backup, pg_server, demo_database):
    made, key = backup
    manifest = read_manifest(made.path)
    assert manifest["tables"]["patients"] > 100 and manifest["tables"]["audit_logs"] > 100
    assert manifest["schema_revision"] and manifest["practice"] == "Harbour View Opticians"
    raw = made.path.read_bytes()
    assert b"Harbour View" not in raw[200:] and b"@harbourview.demo" not in raw  # encrypted at rest

    report = restore_backup(made.path, key, pg_server.superuser_conninfo, RESTORED)

    assert report.complete, report.differences
    before = _fingerprints(pg_server.conninfo(dbname=SOURCE))
    after = _fingerprints(pg_server.conninfo(dbname=RESTORED))
    assert after == before
    assert sum(count for count, _ in after.values()) == made.rows

    # The restored audit chain verifies for every company, as `audit verify` would check it.
    owner = create_engine(pg_server.url("ils_owner", RESTORED), poolclass=NullPool)
    try:
        with owner.connect() as connection:
            companies = [r[0] for r in connection.execute(text("SELECT id FROM companies"))]
        assert companies
        for company in companies:
            with TenantUnitOfWork(owner, TenantContext(company)) as uow:
                chain = verify_trail(uow)
                assert chain.intact, chain.problems
    finally:
        owner.dispose()


def _copy(made_path: Path, tmp_path: Path, name: str) -> Path:
    copy = tmp_path / name
    shutil.copyfile(made_path, copy)
    return copy


def test_a_backup_checks_whole_and_lists_with_its_header(backup):
    made, key = backup
    check = verify_backup(made.path, key)
    assert check.dump_size == made.dump_size
    listed = list_backups(made.path.parent)
    assert [p for p, _ in listed] == [made.path] and listed[0][1]["database"] == SOURCE


@pytest.mark.parametrize(("damage", "message"), [
    (lambda b: b[:len(b) // 2] + bytes([b[len(b) // 2] ^ 1]) + b[len(b) // 2 + 1:], "damaged or was altered"),
    (lambda b: b[:len(b) - 100], "cut short"),
    (lambda b: b[:len(b) - (1 << 20) - 100], "cut short"),
    (lambda b: b + b"\0", "added after its end"),
    (lambda b: b.replace(b'"database":"ils_backup_source"', b'"database":"ils_backup_sourcf"'),
     "damaged or was altered"),
    (lambda b: b"PK\x03\x04" + b[4:], "not an ILS Desktop backup"),
])
def test_a_tampered_or_truncated_backup_is_refused_before_anything_is_made(backup, pg_server, tmp_path, damage,
                                                                           message):
    made, key = backup
    broken = tmp_path / "broken.ilsbak"
    broken.write_bytes(damage(made.path.read_bytes()))
    with pytest.raises(BackupUnreadable, match=message):
        verify_backup(broken, key)
    with pytest.raises(BackupUnreadable, match=message):
        restore_backup(broken, key, pg_server.superuser_conninfo, "ils_never_made")
    with psycopg.connect(pg_server.superuser_conninfo) as admin:
        assert admin.execute("SELECT 1 FROM pg_database WHERE datname = 'ils_never_made'").fetchone() is None


def test_another_key_is_told_to_use_the_recovery_key(backup, tmp_path):
    made, key = backup
    with pytest.raises(BackupUnreadable, match="different key"):
        verify_backup(made.path, BackupKey.new())
    # the printed recovery key opens it
    assert verify_backup(made.path, BackupKey.from_recovery_text(key.recovery_text().lower())).manifest


def test_restoring_over_an_existing_database_is_refused(backup, pg_server):
    made, key = backup
    with pytest.raises(BackupFailed, match="exists already"):
        restore_backup(made.path, key, pg_server.superuser_conninfo, SOURCE)
    with pytest.raises(BackupFailed, match="lower-case"):
        restore_backup(made.path, key, pg_server.superuser_conninfo, "Robert'); DROP")
