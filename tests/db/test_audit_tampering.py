"""Each way of rewriting the audit trail without trace that a review found, tried for real: every one
now fails verification (or is refused outright).

A checkpoint is taken first (as a manager pressing "Check for tampering" does); the intruder then
works as a PostgreSQL superuser — triggers off with ``session_replication_role = replica`` — or as
the owner role, which runs migrations.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ils_desktop.domain.roles import PERMISSION_CODES
from ils_desktop.services import patients, staff
from ils_desktop.services.audit_checkpoints import CheckpointBook
from ils_desktop.services.audit_trail import ChainReport, verify_chain
from ils_desktop.services.patients import PatientDetails
from ils_desktop.services.staff import StaffChanges
from ils_desktop.services.use_case import run
from tests.sessions import signed

# Recompute every hash from entry ``first`` on, as an intruder who knows the (public) rule would.
REHASH_FROM = """
DO $$
DECLARE
    r record;
    prev text;
    digest text;
BEGIN
    SELECT row_hash INTO prev FROM audit_logs WHERE company_id = '{company}' AND seq = {first} - 1;
    FOR r IN SELECT * FROM audit_logs WHERE company_id = '{company}' AND seq >= {first} ORDER BY seq LOOP
        digest := encode(sha256(convert_to(CASE WHEN r.hash_version = 1
            THEN ils_audit_hash_input(r.company_id, r.seq, r.table_name, r.action, r.row_key, r.old_values,
                                      r.new_values, r.user_id, r.occurred_at, prev)
            ELSE ils_audit_hash_input_v2(r.company_id, r.seq, r.table_name, r.action, r.row_key, r.old_values,
                                         r.new_values, r.user_id, r.occurred_at, r.transaction_id,
                                         r.hash_version, prev) END, 'UTF8')), 'hex');
        UPDATE audit_logs SET prev_hash = prev, row_hash = digest WHERE company_id = r.company_id AND seq = r.seq;
        prev := digest;
    END LOOP;
    UPDATE audit_chain_heads SET last_seq = (SELECT max(seq) FROM audit_logs WHERE company_id = '{company}'),
                                 last_hash = prev
     WHERE company_id = '{company}';
END
$$
"""


@pytest.fixture
def book(tmp_path: Path) -> CheckpointBook:
    return CheckpointBook(tmp_path / "audit-checkpoints")


@pytest.fixture
def checkpointed(database, practice, book):  # type: ignore[no-untyped-def]
    """A practice with some history, verified intact and checkpointed; then a little more history."""
    manager = _manager(practice)
    for surname in ("Hughes", "Okafor", "Nowak"):
        run(database, manager, patients.register_patient, PatientDetails(first_name="Ann", last_name=surname,
                                                                      date_of_birth=date(1960, 3, 12)))
    report = run(database, manager, verify_chain, book)
    assert report.intact and report.checkpoint_taken, report.problems
    run(database, manager, staff.update_staff, practice.admin_id, StaffChanges(
        first_name="Alexandra", last_name="Admin", role="admin", status="active"))
    return practice


def _manager(practice):  # type: ignore[no-untyped-def]
    return signed(practice.company_id, practice.admin_id, frozenset({"admin"}), PERMISSION_CODES)


def _check(database, practice, book) -> ChainReport:  # type: ignore[no-untyped-def]
    return run(database, _manager(practice), verify_chain, book, checkpoint=False)


def _last_seq(superuser: psycopg.Connection, company: object) -> int:
    row = superuser.execute("SELECT max(seq) FROM audit_logs WHERE company_id = %s", (company,)).fetchone()
    assert row is not None
    return int(row[0])


def test_an_untouched_trail_agrees_with_its_checkpoint_and_its_records(database, checkpointed, book):
    report = _check(database, checkpointed, book)
    assert report.intact, report.problems
    assert report.checkpoints == 2  # the database's copy and the file's


def test_deleting_the_newest_entries_and_moving_the_head_back_is_caught(database, checkpointed, book, superuser):
    company = checkpointed.company_id
    superuser.execute("SET session_replication_role = replica")
    keep = _last_seq(superuser, company) - 8  # back to before the checkpoint
    superuser.execute("DELETE FROM audit_logs WHERE company_id = %s AND seq > %s", (company, keep))
    superuser.execute("UPDATE audit_chain_heads SET last_seq = %s, last_hash = (SELECT row_hash FROM audit_logs "
                      "WHERE company_id = %s AND seq = %s) WHERE company_id = %s", (keep, company, keep, company))
    problems = _check(database, checkpointed, book).problems
    assert any("entries were removed (the trail was cut short or rewound)" in p for p in problems), problems


def test_editing_an_entry_and_recomputing_every_later_hash_is_caught(database, checkpointed, book, superuser):
    company = checkpointed.company_id
    superuser.execute("SET session_replication_role = replica")
    seq = superuser.execute("SELECT min(seq) FROM audit_logs WHERE company_id = %s AND table_name = 'patients'",
                            (company,)).fetchone()[0]
    superuser.execute("UPDATE audit_logs SET new_values = jsonb_set(new_values, '{last_name}', '\"Mallory\"') "
                      "WHERE company_id = %s AND seq = %s", (company, seq))
    superuser.execute(REHASH_FROM.format(company=company, first=seq))
    problems = _check(database, checkpointed, book).problems
    assert not any("altered after it was written" in p for p in problems)  # the chain itself is consistent…
    assert any("rewritten up to there" in p for p in problems), problems  # …but not with the checkpoint
    assert any("row(s) of patients differ from what the audit trail recorded" in p for p in problems), problems


def test_renumbering_after_a_delete_is_caught(database, checkpointed, book, superuser):
    company = checkpointed.company_id
    superuser.execute("SET session_replication_role = replica")
    superuser.execute("DELETE FROM audit_logs WHERE company_id = %s AND seq = 3", (company,))
    # In two steps, so no row takes a number another still holds (the primary key would refuse it).
    superuser.execute("UPDATE audit_logs SET seq = -seq WHERE company_id = %s AND seq > 3", (company,))
    superuser.execute("UPDATE audit_logs SET seq = -seq - 1 WHERE company_id = %s AND seq < 0", (company,))
    superuser.execute(REHASH_FROM.format(company=company, first=3))
    problems = _check(database, checkpointed, book).problems
    assert not any("missing" in p or "altered" in p for p in problems)
    assert any("rewritten" in p or "cut short" in p for p in problems), problems


def test_a_whole_trail_deleted_is_not_intact(database, checkpointed, book, superuser):
    company = checkpointed.company_id
    manager = _manager(checkpointed)  # signed in before, so no new entry follows the deletion
    superuser.execute("SET session_replication_role = replica")
    superuser.execute("DELETE FROM audit_logs WHERE company_id = %s", (company,))
    superuser.execute("DELETE FROM audit_chain_heads WHERE company_id = %s", (company,))
    superuser.execute("DELETE FROM audit_checkpoints WHERE company_id = %s", (company,))
    problems = run(database, manager, verify_chain, book, checkpoint=False).problems
    assert "The audit trail is empty although the company exists: it was removed." in problems
    assert any("entries were removed" in p for p in problems)  # the file's checkpoint
    # Without any checkpoint at all, the emptiness alone still fails it.
    report = run(database, manager, verify_chain, CheckpointBook(book.folder / "none"), checkpoint=False)
    assert "The audit trail is empty although the company exists: it was removed." in report.problems


def test_the_transaction_id_is_covered_by_the_hash(database, checkpointed, book, superuser):
    company = checkpointed.company_id
    superuser.execute("SET session_replication_role = replica")
    superuser.execute("UPDATE audit_logs SET transaction_id = transaction_id + 1 WHERE company_id = %s AND seq = "
                      "(SELECT max(seq) FROM audit_logs WHERE company_id = %s)", (company, company))
    problems = _check(database, checkpointed, book).problems
    assert any("was altered after it was written" in p for p in problems), problems


@pytest.mark.parametrize("change", [
    "UPDATE patients SET last_name = 'Mallory' WHERE company_id = %s AND last_name = 'Hughes'",
    "DELETE FROM patients WHERE company_id = %s AND last_name = 'Okafor'",
    "INSERT INTO patients (company_id, id, customer_number, first_name, last_name, date_of_birth) "
    "SELECT company_id, gen_random_uuid(), customer_number + 1000, 'Ghost', 'Entry', date_of_birth FROM patients "
    "WHERE company_id = %s LIMIT 1",
])
def test_a_record_changed_while_the_trail_was_off_is_caught(database, checkpointed, book, superuser, change):
    superuser.execute("SET session_replication_role = replica")
    superuser.execute(change, (checkpointed.company_id,))
    report = _check(database, checkpointed, book)
    assert any("row(s) of patients" in p for p in report.problems), report.problems
    assert not any("Hughes" in p or "Okafor" in p or "Mallory" in p for p in report.problems)  # keys, never values


def test_an_edited_checkpoint_file_is_caught(database, checkpointed, book):
    [path] = book.folder.glob("*.jsonl")
    lines = path.read_text().splitlines()
    entry = json.loads(lines[-1])
    entry["seq"] -= 5  # as if the checkpoint had been taken earlier
    path.write_text("\n".join([*lines[:-1], json.dumps(entry)]) + "\n")
    problems = _check(database, checkpointed, book).problems
    assert any("signature does not match: it was altered" in p for p in problems), problems


def test_the_owner_cannot_switch_the_audit_off(owner_engine, checkpointed):
    statements = [
        "ALTER TABLE patients DISABLE TRIGGER audit_row",
        "ALTER TABLE patients DISABLE TRIGGER ALL",
        "ALTER TABLE patients ENABLE REPLICA TRIGGER audit_row",
        "DROP TRIGGER audit_row ON patients",
        "DROP TRIGGER append_only ON audit_logs",
        "ALTER TABLE audit_logs DISABLE TRIGGER append_only",
        "CREATE OR REPLACE TRIGGER audit_row AFTER INSERT ON patients FOR EACH ROW "
        "EXECUTE FUNCTION ils_finalised_exam_is_read_only()",
        "TRUNCATE patients CASCADE",
        "TRUNCATE audit_logs",
    ]
    for statement in statements:
        with owner_engine.connect() as connection, pytest.raises(DBAPIError, match=r"audit|system trigger"):
            connection.execute(text(statement))
            connection.commit()


def test_the_application_role_cannot_truncate_anything(database, checkpointed):
    with database.unit_of_work(_manager(checkpointed)) as uow, pytest.raises(DBAPIError, match="permission denied"):
        uow.session.execute(text("TRUNCATE patients"))
