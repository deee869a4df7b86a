"""The audit trail: written by the database, append-only, hash-chained, tamper-evident."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ils_desktop.domain.roles import PERMISSION_CODES
from ils_desktop.services import staff
from ils_desktop.services.audit_trail import verify_chain
from ils_desktop.services.onboarding import NewUser
from ils_desktop.services.seeding import add_user_as_owner
from ils_desktop.services.staff import StaffChanges
from ils_desktop.services.use_case import run
from tests.sessions import signed


def _context(practice):
    return signed(practice.company_id, practice.admin_id, frozenset({"admin"}), PERMISSION_CODES)


def test_every_change_is_recorded_with_who_and_what(database, practice):
    run(database, _context(practice), staff.update_staff, practice.admin_id, StaffChanges(
        first_name="Alexandra", last_name="Admin", role="admin", status="active"))
    with database.unit_of_work(_context(practice)) as uow:
        entry = uow.session.execute(text(
            "SELECT user_id, action, table_name, row_key, old_values, new_values FROM audit_logs "
            "WHERE table_name = 'users' ORDER BY seq DESC LIMIT 1")).one()
        inserted = uow.session.execute(text(
            "SELECT new_values FROM audit_logs WHERE table_name = 'users' AND action = 'INSERT'")).scalar_one()
    assert entry.user_id == practice.admin_id
    assert (entry.action, entry.table_name) == ("UPDATE", "users")
    assert entry.row_key == {"company_id": str(practice.company_id), "id": str(practice.admin_id)}
    assert entry.old_values == {"first_name": "Alex"}
    assert entry.new_values == {"first_name": "Alexandra"}
    assert not {"password_salt", "password_params", "password_verifier"} & set(inserted)


def test_password_changes_are_recorded_without_the_password_record(database, practice, owner_engine):
    other = add_user_as_owner(owner_engine, practice.company_id, NewUser(
        first_name="Olive", last_name="Other", email=f"olive-{practice.company_id.hex[:8]}@example.test",
        password="an old password 1", role="front_desk"))
    run(database, _context(practice), staff.reset_password, other, "a temporary password 2")
    with database.unit_of_work(_context(practice)) as uow:
        new = uow.session.execute(text(
            "SELECT new_values FROM audit_logs WHERE table_name = 'users' ORDER BY seq DESC LIMIT 1")).scalar_one()
    # The salt and verifier are new (the cost is today's, unchanged): shown as changed, never their value.
    assert (new["password_salt"], new["password_verifier"]) == ("(changed)", "(changed)")
    assert new["must_change_password"] is True


@pytest.mark.parametrize("statement", [
    "UPDATE audit_logs SET action = 'INSERT'",
    "DELETE FROM audit_logs",
    "INSERT INTO audit_logs (company_id, seq, table_name, row_key, action, transaction_id, row_hash) "
    "VALUES (ils_current_company(), 999999, 'users', '{}', 'INSERT', 1, 'x')",
    "TRUNCATE audit_logs",
])
def test_application_role_cannot_write_the_audit_trail_directly(database, practice, statement):
    with database.unit_of_work(_context(practice)) as uow, pytest.raises(DBAPIError, match="permission denied"):
        uow.session.execute(text(statement))


def test_even_the_owner_cannot_update_or_delete_audit_rows(owner_engine, practice):
    with owner_engine.connect() as connection, pytest.raises(DBAPIError, match="append-only"):
        connection.execute(text("SELECT set_config('app.company_id', :c, false)"), {"c": str(practice.company_id)})
        connection.execute(text("DELETE FROM audit_logs"))


def test_intact_chain_verifies(database, practice):
    report = run(database, _context(practice), verify_chain)
    assert report.intact, report.problems
    assert report.checked >= 3


def test_a_row_altered_with_direct_database_access_is_detected(database, practice, superuser):
    superuser.execute("SET session_replication_role = replica")  # what an intruder would do
    superuser.execute(
        "UPDATE audit_logs SET new_values = jsonb_set(new_values, '{first_name}', '\"Mallory\"') "
        "WHERE company_id = %s AND table_name = 'users' AND action = 'INSERT'", (practice.company_id,))
    report = run(database, _context(practice), verify_chain)
    assert not report.intact
    assert any("altered" in p for p in report.problems)


def test_a_row_removed_with_direct_database_access_is_detected(database, practice, superuser):
    superuser.execute("SET session_replication_role = replica")
    superuser.execute("DELETE FROM audit_logs WHERE company_id = %s AND seq = 2", (practice.company_id,))
    report = run(database, _context(practice), verify_chain)
    assert any("missing" in p for p in report.problems)


def test_the_newest_rows_removed_is_detected(database, practice, superuser):
    context = _context(practice)
    superuser.execute("SET session_replication_role = replica")
    superuser.execute(
        "DELETE FROM audit_logs WHERE company_id = %s AND seq = "
        "(SELECT max(seq) FROM audit_logs WHERE company_id = %s)", (practice.company_id, practice.company_id))
    report = run(database, context, verify_chain)
    assert any("newest entries are missing" in p for p in report.problems)


def test_concurrent_writers_keep_one_linear_chain(database, practice):
    import threading

    from ils_desktop.services.settings import IDLE_LOCK_MINUTES

    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(10):
                with database.unit_of_work(_context(practice)) as uow:
                    uow.settings.put(f"test.writer{n}", i)
                    uow.settings.put(IDLE_LOCK_MINUTES, 5 + (i % 3))
                    uow.commit()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    report = run(database, _context(practice), verify_chain)
    assert report.intact, report.problems
