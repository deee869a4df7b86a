"""The attack suite: as the application role, with raw SQL, against every tenant table the catalogue
lists — every trick a review found, and more. Each attempt is recorded in the ledger (summary at
the end of the run); each test asserts that none of its attempts succeeded.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from psycopg import sql

from ils_desktop.db.database import Database
from ils_desktop.domain.passwords import PASSWORD_COST, new_password_record, password_proof
from tests.security.conftest import CROSS_COMPANY, ESCALATION, LEDGER, MACHINE, SIGN_IN, Arena


@dataclass(frozen=True)
class Outcome:
    ok: bool
    rowcount: int = 0
    rows: list[tuple[Any, ...]] | None = None
    error: str = ""


def attempt(connection: psycopg.Connection, statements: list[tuple[Any, tuple[Any, ...]]]) -> Outcome:
    """Run ``statements`` in one transaction, rolled back after; the last statement's outcome."""
    outcome = Outcome(True)
    try:
        with connection.cursor() as cursor:
            for statement, params in statements:
                cursor.execute(statement, params)
                rows = cursor.fetchall() if cursor.description else None
                outcome = Outcome(True, cursor.rowcount, rows)
    except psycopg.Error as error:
        outcome = Outcome(False, error=type(error).__name__)
    finally:
        connection.rollback()
    return outcome


def tenant_tables(arena: Arena) -> list[str]:
    with arena.superuser() as su:
        return [r[0] for r in su.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' "
            "AND relrowsecurity ORDER BY relname")]


def victim_rows(arena: Arena) -> dict[str, int]:
    with arena.superuser() as su:
        counts = {}
        for table in tenant_tables(arena):
            column = "id" if table == "companies" else "company_id"
            query = sql.SQL("SELECT count(*) FROM {} WHERE {} = %s").format(sql.Identifier(table),
                                                                            sql.Identifier(column))
            counts[table] = su.execute(query, (arena.victim,)).fetchone()[0]  # type: ignore[index]
        return counts


# --- 1. reaching another company ------------------------------------------------------------------------

FORGERIES: dict[str, Callable[[Arena], tuple[str | None, dict[str, str], list[tuple[str, tuple[Any, ...]]]]]] = {
    # name: (session token bound first, connection options, statements run before the probe)
    "own session + set_config(app.company_id)": lambda a: (
        a.attacker_desk_token, {}, [("SELECT set_config('app.company_id', %s, false)", (str(a.victim),))]),
    "own session + SET app.company_id": lambda a: (
        a.attacker_desk_token, {}, [(f"SET app.company_id = '{a.victim}'", ())]),
    "own session + SET LOCAL company and user": lambda a: (
        a.attacker_desk_token, {}, [(f"SET LOCAL app.company_id = '{a.victim}'", ()),
                                    (f"SET LOCAL app.user_id = '{a.victim_admin}'", ())]),
    "no session + set_config(app.company_id)": lambda a: (
        None, {}, [("SELECT set_config('app.company_id', %s, false)", (str(a.victim),)),
                   ("SELECT set_config('app.user_id', %s, false)", (str(a.victim_admin),))]),
    "company in the connection string": lambda a: (
        None, {"options": f"-c app.company_id={a.victim} -c app.user_id={a.victim_admin}"}, []),
    "a made-up session token": lambda a: (
        None, {}, [("SELECT set_config('app.session_token', %s, false)", (secrets.token_hex(32),))]),
    "the victim's ended session token": lambda a: (
        None, {}, [("SELECT set_config('app.session_token', %s, false)", (a.ended_victim_token,))]),
    "the victim's expired session token": lambda a: (
        None, {}, [("SELECT set_config('app.session_token', %s, false)", (a.expired_victim_token,))]),
    "the token's hash instead of the token": lambda a: (
        None, {}, [("SELECT set_config('app.session_token', encode(sha256(convert_to(%s, 'UTF8')), 'hex'), false)",
                    (a.victim_token,))]),
    "own session, then RESET ALL and the company": lambda a: (
        a.attacker_desk_token, {}, [("RESET ALL", ()),
                                    ("SELECT set_config('app.company_id', %s, false)", (str(a.victim),))]),
    "own session + row_security off": lambda a: (
        a.attacker_desk_token, {}, [("SET row_security = off", ()),
                                    ("SELECT set_config('app.company_id', %s, false)", (str(a.victim),))]),
    "own admin session + DISCARD-like reset": lambda a: (
        a.attacker_admin_token, {}, [("SELECT set_config('app.session_token', '', false)", ()),
                                     ("SELECT set_config('app.company_id', %s, false)", (str(a.victim),))]),
}


def _probes(table: str, victim: uuid.UUID) -> list[tuple[str, Any]]:
    name = sql.Identifier(table)
    column = sql.Identifier("id" if table == "companies" else "company_id")
    probes: list[tuple[str, Any]] = []
    if table != "companies":  # shared by design: every company sees the directory of companies
        probes.append(("read", sql.SQL("SELECT count(*) FROM {} WHERE {} = %s").format(name, column)))
    probes.append(("update", sql.SQL("UPDATE {} SET {} = {} WHERE {} = %s").format(name, column, column, column)))
    probes.append(("delete", sql.SQL("DELETE FROM {} WHERE {} = %s").format(name, column)))
    if table != "companies":
        probes.append(("insert", sql.SQL(
            "INSERT INTO {} SELECT (jsonb_populate_record(NULL::{}, to_jsonb(x) || jsonb_build_object('company_id', "
            "%s::uuid))).* FROM {} x LIMIT 1").format(name, name, name)))
    return probes


def _reached(kind: str, outcome: Outcome) -> bool:
    if not outcome.ok:
        return False
    if kind == "read":
        return bool(outcome.rows and outcome.rows[0][0])
    return outcome.rowcount > 0


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_no_forged_setting_reaches_another_company(arena: Arena, forgery: str) -> None:
    token, options, setup = FORGERIES[forgery](arena)
    tables = tenant_tables(arena)
    populated = victim_rows(arena)
    failures = []
    connection = arena.connect(None, **options)
    try:
        for table in tables:
            for kind, probe in _probes(table, arena.victim):
                statements = ([("SELECT ils_bind_session(%s)", (token,))] if token else []) + setup
                outcome = attempt(connection, [*statements, (probe, (arena.victim,))])
                if LEDGER.record(CROSS_COMPANY, f"{forgery}: {kind} {table}", _reached(kind, outcome)):
                    failures.append(f"{kind} {table}")
    finally:
        connection.close()
    assert not failures, failures
    assert sum(1 for n in populated.values() if n) >= 30  # the victim has records almost everywhere


# --- 2. escalating inside one's own practice ---------------------------------------------------------------


def _escalations(a: Arena) -> dict[str, list[tuple[str, tuple[Any, ...]]]]:
    record = new_password_record("mallory's password 1")
    weak = new_password_record("x")  # a record a client could make cheap to crack
    weak_params = '{"alg": "argon2id", "v": 19, "m": 8, "t": 1, "p": 1, "len": 32}'
    me, admin, company = a.attacker_desk, a.attacker.admin_id, a.attacker.company_id
    all_codes = "ARRAY(SELECT code FROM permissions)"
    return {
        "overwrite the administrator's password verifier": [(
            "UPDATE users SET password_verifier = %s, password_salt = %s WHERE id = %s",
            (record.verifier, record.salt, admin))],
        "promote oneself to administrator": [("UPDATE users SET role = 'admin' WHERE id = %s", (me,))],
        "give oneself an extra role": [(
            "INSERT INTO user_roles (company_id, user_id, role) VALUES (%s, %s, 'admin')", (company, me))],
        "grant one's role every permission": [(
            f"INSERT INTO role_permissions (company_id, role, permission_code) SELECT %s, 'front_desk', code "
            f"FROM unnest({all_codes}) code ON CONFLICT DO NOTHING", (company,))],
        "grant oneself a permission": [(
            "INSERT INTO user_custom_permissions (company_id, user_id, permission_code, granted) "
            "VALUES (%s, %s, 'users.manage', true)", (company, me))],
        "take a permission from the administrator": [(
            "DELETE FROM role_permissions WHERE role = 'admin' AND permission_code = 'users.manage'", ())],
        "reset a lock-out": [("UPDATE users SET locked_until = NULL, failed_login_count = 0", ())],
        "reactivate a suspended colleague": [("UPDATE users SET status = 'active'", ())],
        "raise the failed sign-in limit": [(
            "UPDATE organization_settings SET value = '100000' WHERE key = 'security.max_failed_sign_ins'", ())],
        "insert a setting": [(
            "INSERT INTO organization_settings (company_id, key, value) VALUES (%s, 'security.session_hours', "
            "'100000')", (company,))],
        "make a session with a known token": [(
            "INSERT INTO sessions (company_id, id, user_id, workstation, app_version, token_hash, expires_at) "
            "VALUES (%s, gen_random_uuid(), %s, 'x', 'x', sha256('known'::bytea), now() + interval '1 year')",
            (company, admin))],
        "extend one's session for a year": [("UPDATE sessions SET expires_at = now() + interval '1 year'", ())],
        "revive an ended session": [("UPDATE sessions SET ended_at = NULL", ())],
        "read password verifiers": [("SELECT password_verifier FROM users", ())],
        "read password salts": [("SELECT password_salt, password_params FROM users", ())],
        "read session token hashes": [("SELECT token_hash FROM sessions", ())],
        "read the database's secrets": [("SELECT value FROM ils_secrets", ())],
        "write the audit trail": [(
            "INSERT INTO audit_logs (company_id, seq, table_name, row_key, action, transaction_id, row_hash) "
            "VALUES (%s, 999999, 'x', '{}', 'INSERT', 1, 'x')", (company,))],
        "move the audit chain head": [("UPDATE audit_chain_heads SET last_seq = 1", ())],
        "change the practice's status": [("UPDATE companies SET status = 'suspended' WHERE id = %s", (company,))],
        "rename the practice without settings.manage": [(
            "UPDATE companies SET name = 'Mallory' WHERE id = %s", (company,))],
        "add a user through the function": [(
            "SELECT ils_add_user(gen_random_uuid(), 'mallory@example.test', 'M', 'M', 'admin', NULL, NULL, "
            "'{}', %s, %s::jsonb, %s, false)", (record.salt, '{"alg": "argon2id", "v": 19, "m": 65536, "t": 3, '
                                                            '"p": 4, "len": 32}', record.verifier))],
        "promote oneself through the function": [(
            "SELECT ils_update_user(%s, 'Eve', 'Desk', 'admin', 'active', NULL, NULL, '{}')", (me,))],
        "set the administrator's password through the function": [(
            "SELECT ils_set_password(%s, %s, %s::jsonb, %s)",
            (admin, record.salt, '{"alg": "argon2id", "v": 19, "m": 65536, "t": 3, "p": 4, "len": 32}',
             record.verifier))],
        "unlock an account through the function": [("SELECT ils_unlock_user(%s)", (admin,))],
        "raise the limit through the function": [(
            "SELECT ils_put_setting('security.max_failed_sign_ins', '100000')", ())],
        "grant one's role everything through the function": [(
            f"SELECT ils_set_role_permissions('front_desk', {all_codes})", ())],
        "end the administrator's sessions": [(
            "SELECT ils_end_session(id) FROM sessions WHERE user_id = %s", (admin,))],
        "start a service session": [("SELECT * FROM ils_start_service_session('x', 'x')", ())],
        "subscribe one's own URL to the practice's events": [(
            "INSERT INTO webhook_subscriptions (company_id, id, name, url, events) VALUES "
            "(%s, gen_random_uuid(), 'x', 'https://mallory.example/hook', '[\"booking.made\"]')", (company,))],
        "point the practice's webhooks elsewhere": [(
            "UPDATE webhook_subscriptions SET url = 'https://mallory.example/hook'", ())],
        "rewrite what the practice sends patients": [(
            "INSERT INTO email_templates (company_id, kind, channel, subject, body) VALUES "
            "(%s, 'recall', 'email', 'x', 'Pay here: https://mallory.example')", (company,))],
        "weak password record as the administrator": [(
            "SELECT ils_bind_session(%s)", (a.attacker_admin_token,)), (
            "SELECT ils_set_password(%s, %s, %s::jsonb, %s)", (me, weak.salt, weak_params, weak.verifier))],
        "limit out of range as the administrator": [(
            "SELECT ils_bind_session(%s)", (a.attacker_admin_token,)), (
            "SELECT ils_put_setting('security.max_failed_sign_ins', '100000')", ())],
    }


def _victim_state(arena: Arena) -> tuple[Any, ...]:
    with arena.superuser() as su:
        return tuple(su.execute(
            "SELECT u.role, u.status, u.password_verifier, u.locked_until, u.failed_login_count, "
            "(SELECT count(*) FROM sessions s WHERE s.user_id = u.id AND s.ended_at IS NULL) "
            "FROM users u WHERE u.id = %s", (arena.victim_admin,)).fetchone() or ())


def test_a_receptionist_cannot_escalate_inside_their_practice(arena: Arena) -> None:
    failures = []
    connection = arena.connect(None)
    try:
        for name, statements in _escalations(arena).items():
            bind = [] if statements[0][0].startswith("SELECT ils_bind_session") else [
                ("SELECT ils_bind_session(%s)", (arena.attacker_desk_token,))]
            outcome = attempt(connection, [*bind, *statements])
            reading = name.startswith("read")
            succeeded = outcome.ok and (bool(outcome.rows) if reading else outcome.rowcount > 0)
            if LEDGER.record(ESCALATION, name, succeeded, outcome.error):
                failures.append(name)
    finally:
        connection.close()
    assert not failures, failures


def test_an_administrator_cannot_reach_another_practice_through_the_account_functions(arena: Arena) -> None:
    before = _victim_state(arena)
    record = new_password_record("mallory's password 2")
    params = '{"alg": "argon2id", "v": 19, "m": 65536, "t": 3, "p": 4, "len": 32}'
    attempts = {
        "set another practice's administrator's password": (
            "SELECT ils_set_password(%s, %s, %s::jsonb, %s)",
            (arena.victim_admin, record.salt, params, record.verifier)),
        "suspend another practice's administrator": (
            "SELECT ils_update_user(%s, 'X', 'Y', 'front_desk', 'suspended', NULL, NULL, '{}')",
            (arena.victim_admin,)),
        "unlock another practice's account": ("SELECT ils_unlock_user(%s)", (arena.victim_admin,)),
        "end another practice's session": (
            "SELECT ils_end_session(%s)", (uuid.uuid4(),)),
        "check another practice's password (counts a failure)": (
            "SELECT * FROM ils_check_password(%s, %s)", (arena.victim_admin_email, b"\0" * 32)),
    }
    connection = arena.connect(None)
    failures = []
    try:
        for name, statement in attempts.items():
            outcome = attempt(connection, [("SELECT ils_bind_session(%s)", (arena.attacker_admin_token,)), statement])
            connection.commit()
            changed = _victim_state(arena) != before
            if LEDGER.record(CROSS_COMPANY, name, changed, outcome.error):
                failures.append(name)
    finally:
        connection.close()
    assert not failures, failures


def test_the_audit_trail_records_who_the_session_is_not_who_the_client_says(arena: Arena) -> None:
    connection = arena.connect(None)
    try:
        connection.execute("SELECT ils_bind_session(%s)", (arena.attacker_desk_token,))
        connection.execute("SELECT set_config('app.user_id', %s, true)", (str(arena.attacker.admin_id),))
        connection.execute("INSERT INTO user_preferences (company_id, user_id, key, value) "
                           "VALUES (%s, %s, 'forged', '1')", (arena.attacker.company_id, arena.attacker_desk))
        actor = connection.execute("SELECT user_id FROM audit_logs WHERE table_name = 'user_preferences' "
                                   "ORDER BY seq DESC LIMIT 1").fetchone()
        connection.rollback()
    finally:
        connection.close()
    assert actor is not None
    assert not LEDGER.record(ESCALATION, "forge the audit trail's 'who'", actor[0] != arena.attacker_desk)


# --- 3. the role, the schema and the server -----------------------------------------------------------------

MACHINE_ATTEMPTS = [
    "SET ROLE ils_owner", "SET ROLE ils_auth", "SET SESSION AUTHORIZATION ils_owner",
    "SET session_replication_role = replica",
    "ALTER ROLE ils_app BYPASSRLS", "ALTER ROLE ils_app SUPERUSER", "ALTER ROLE ils_app CREATEROLE",
    "GRANT ils_owner TO ils_app", "GRANT ils_auth TO ils_app",
    "CREATE TABLE mine (x int)", "CREATE TEMP TABLE mine (x int)", "CREATE SCHEMA mine",
    "CREATE FUNCTION ils_current_company() RETURNS uuid LANGUAGE sql AS $$ SELECT NULL::uuid $$",
    "CREATE OR REPLACE FUNCTION pg_temp.ils_current_company() RETURNS uuid LANGUAGE sql AS $$ SELECT NULL::uuid $$",
    "CREATE VIEW everything AS SELECT * FROM patients",
    "ALTER TABLE patients DISABLE ROW LEVEL SECURITY", "ALTER TABLE patients NO FORCE ROW LEVEL SECURITY",
    "DROP POLICY tenant_isolation ON patients", "CREATE POLICY open ON patients USING (true)",
    "ALTER TABLE patients DISABLE TRIGGER audit_row", "TRUNCATE patients", "TRUNCATE audit_logs",
    "ALTER FUNCTION ils_current_company() OWNER TO ils_app",
    "COPY patients TO '/tmp/patients.csv'", "SELECT pg_read_file('/etc/passwd')",
    "SELECT lo_import('/etc/passwd')", "CREATE EXTENSION dblink",
    "ALTER EVENT TRIGGER ils_keep_audit_triggers_on DISABLE",
    "UPDATE pg_catalog.pg_authid SET rolbypassrls = true WHERE rolname = 'ils_app'",
]


def test_the_application_role_cannot_change_itself_the_schema_or_the_server(arena: Arena) -> None:
    failures = []
    connection = arena.connect(None)
    try:
        for statement in MACHINE_ATTEMPTS:
            outcome = attempt(connection, [("SELECT ils_bind_session(%s)", (arena.attacker_admin_token,)),
                                           (statement, ())])
            if LEDGER.record(MACHINE, statement, outcome.ok):
                failures.append(statement)
    finally:
        connection.close()
    assert not failures, failures


def test_copy_out_shows_only_the_session_s_own_company(arena: Arena) -> None:
    connection = arena.connect(arena.attacker_desk_token)
    try:
        connection.execute(f"SET app.company_id = '{arena.victim}'")
        with connection.cursor() as cursor, cursor.copy("COPY (SELECT company_id FROM patients) TO STDOUT") as copy:
            seen = {bytes(row).strip() for row in copy}
        connection.rollback()
    finally:
        connection.close()
    assert not LEDGER.record(CROSS_COMPANY, "COPY (SELECT ...) TO STDOUT", str(arena.victim).encode() in seen)


@pytest.mark.parametrize("setting", [
    "statement_timeout = 1", "default_transaction_read_only = on", "search_path = pg_temp",
    "lock_timeout = 1", "idle_in_transaction_session_timeout = 1", "enable_indexscan = off",
])
def test_role_defaults_stored_by_a_workstation_do_not_stop_the_others(arena: Arena, setting: str) -> None:
    """``ALTER ROLE ils_app SET …`` is allowed to the role itself; the app overrides what matters
    in its startup packet and clears the rest at its next connection."""
    connection = psycopg.connect(arena.app_conninfo, autocommit=True)
    try:
        connection.execute(f"ALTER ROLE CURRENT_USER SET {setting}")
        connection.execute(f"ALTER ROLE CURRENT_USER IN DATABASE {arena.target.app_url.database} SET {setting}")
    finally:
        connection.close()
    database = Database(arena.target)
    try:
        from sqlalchemy import text

        with database.engine.connect() as app:
            timeout, read_only, path = app.execute(text(
                "SELECT current_setting('statement_timeout'), current_setting('default_transaction_read_only'), "
                "current_setting('search_path')")).fetchone()
        with arena.superuser() as su:
            left = su.execute("SELECT count(*) FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole "
                              "WHERE r.rolname = 'ils_app'").fetchone()[0]  # type: ignore[index]
    finally:
        database.dispose()
        with arena.superuser() as su:
            su.execute("ALTER ROLE ils_app RESET ALL")
            su.execute(sql.SQL("ALTER ROLE ils_app IN DATABASE {} RESET ALL").format(
                sql.Identifier(arena.target.app_url.database)))
    stopped = (timeout, read_only, path) != ("0", "off", "public") or left != 0
    assert not LEDGER.record(MACHINE, f"ALTER ROLE ils_app SET {setting}", stopped)
    if setting.startswith("statement_timeout"):
        LEDGER.notes.append(
            "ALTER ROLE ils_app PASSWORD is allowed to any role for itself and not tried here: on a server that "
            "authenticates the application role by password it stops every workstation until 'db provision' sets "
            "the password again; docs/security.md says to authenticate workstations by client certificate.")


# --- 4. signing in ---------------------------------------------------------------------------------------------


def test_sign_in_answers_tell_nobody_who_has_an_account(arena: Arena) -> None:
    connection = arena.connect(None)
    try:
        salt_of = "SELECT salt, params FROM ils_password_salt(%s)"
        known = connection.execute(salt_of, (arena.victim_admin_email,)).fetchone()
        unknown = [connection.execute(salt_of, ("nobody@example.test",)).fetchone() for _ in range(2)]
        LEDGER.record(SIGN_IN, "an unknown email's salt changes between calls", unknown[0] != unknown[1])
        LEDGER.record(SIGN_IN, "an unknown email's cost differs from an account's", unknown[0][1] != known[1])
        LEDGER.record(SIGN_IN, "an unknown email's salt has another length", len(unknown[0][0]) != len(known[0]))
        for _ in range(20):
            outcome = attempt(connection, [("SELECT ils_bind_session(%s)", (secrets.token_hex(32),))])
            LEDGER.record(SIGN_IN, "bind a guessed session token", outcome.ok)
        answers = {}
        for label, email in (("unknown", "nobody@example.test"), ("known, wrong password", arena.victim_admin_email)):
            salt, params = connection.execute("SELECT salt, params FROM ils_password_salt(%s)", (email,)).fetchone()
            proof = password_proof("not the password 1", bytes(salt), params)
            answers[label] = connection.execute("SELECT outcome, session_token FROM ils_sign_in(%s, %s, 'x', 'x')",
                                                (email, proof)).fetchone()
            connection.rollback()
        LEDGER.record(SIGN_IN, "unknown and wrong-password answers differ",
                      answers["unknown"] != answers["known, wrong password"])
    finally:
        connection.close()
    assert params == PASSWORD_COST or params["m"] == PASSWORD_COST["m"]
    assert not LEDGER.breaches(SIGN_IN), LEDGER.breaches(SIGN_IN)


# --- imaging: the worklist identifiers and stored images of another practice ---------------------------


def _imaging_attempts(a: Arena) -> dict[str, list[tuple[str, tuple[Any, ...]]]]:
    with a.superuser() as su:
        victim_object = su.execute("SELECT id FROM imaging_objects WHERE company_id = %s LIMIT 1",
                                   (a.victim,)).fetchone()
        victim_booking = su.execute("SELECT booking_id, study_instance_uid FROM scheduled_procedure_steps "
                                    "WHERE company_id = %s LIMIT 1", (a.victim,)).fetchone()
    assert victim_object and victim_booking, "the demo practice has images and worklist identifiers"
    me, company = a.attacker_desk, a.attacker.company_id
    return {
        "read the victim's image digests": [(
            "SELECT content_sha256 FROM imaging_objects WHERE id = %s", (victim_object[0],))],
        "read the victim's worklist identifiers": [(
            "SELECT study_instance_uid FROM scheduled_procedure_steps WHERE study_instance_uid = %s",
            (victim_booking[1],))],
        "claim the victim's study for one's own practice": [(
            "INSERT INTO scheduled_procedure_steps (company_id, booking_id, study_instance_uid, accession_number, "
            "requested_procedure_id) VALUES (%s, %s, %s, 'X1', 'X1')",
            (company, victim_booking[0], victim_booking[1]))],
        "attach the victim's image to one's own record": [(
            "INSERT INTO imaging_attachments (company_id, id, imaging_object_id, referral_id, attached_by) "
            "SELECT %s, gen_random_uuid(), %s, r.id, %s FROM referrals r LIMIT 1", (company, victim_object[0], me))],
        "re-file the victim's image on one's own patient": [(
            "UPDATE imaging_objects SET patient_id = (SELECT id FROM patients LIMIT 1) WHERE id = %s",
            (victim_object[0],))],
        "change a kept worklist identifier": [(
            "UPDATE scheduled_procedure_steps SET accession_number = 'ILS0000000001'", ())],
        "delete kept worklist identifiers": [("DELETE FROM scheduled_procedure_steps", ())],
        "delete stored images' records": [("DELETE FROM imaging_objects", ())],
        "read the victim's attachments": [(
            "SELECT count(*) FILTER (WHERE company_id <> %s) FROM imaging_attachments HAVING count(*) > 0",
            (company,))],
    }


def test_images_and_worklist_identifiers_stay_in_their_practice(arena: Arena) -> None:
    failures = []
    connection = arena.connect(None)
    try:
        for name, statements in _imaging_attempts(arena).items():
            outcome = attempt(connection, [("SELECT ils_bind_session(%s)", (arena.attacker_desk_token,)), *statements])
            reading = name.startswith("read")
            succeeded = outcome.ok and (bool(outcome.rows) if reading else outcome.rowcount > 0)
            category = CROSS_COMPANY if "victim" in name else ESCALATION
            if LEDGER.record(category, f"imaging: {name}", succeeded, outcome.error):
                failures.append(name)
    finally:
        connection.close()
    assert not failures, failures


# --- 6. the stock ledger ----------------------------------------------------------------------------------------

def _victim_stock(arena: Arena) -> tuple[uuid.UUID, int, int, int]:
    """A stocked variant of the victim, its on-hand, its ledger sum and its live alerts."""
    with arena.superuser() as su:
        row = su.execute(
            "SELECT s.variant_id, s.on_hand, (SELECT sum(m.quantity) FROM inventory_movements m WHERE "
            "m.company_id = s.company_id AND m.variant_id = s.variant_id), (SELECT count(*) FROM low_stock_alerts a "
            "WHERE a.company_id = s.company_id) FROM stock_levels s WHERE s.company_id = %s ORDER BY s.on_hand DESC "
            "LIMIT 1", (arena.victim,)).fetchone()
    assert row is not None
    return row[0], int(row[1]), int(row[2] or 0), int(row[3])


def test_the_stock_ledger_cannot_be_rewritten_or_bypassed(arena: Arena) -> None:
    """Inside the practice (a signed-in workstation of the victim) and from another company: no
    balance changes without a movement, no movement is changed or removed, no alert is forged, and
    the recheck function reaches only the session's own company."""
    variant, on_hand, ledger, alerts = _victim_stock(arena)
    assert on_hand == ledger  # the demo practice's stock is its ledger's
    inside = [
        ("UPDATE stock_levels SET on_hand = on_hand + 5 WHERE variant_id = %s", (variant,)),
        ("UPDATE stock_levels SET average_cost = 0 WHERE variant_id = %s", (variant,)),
        ("INSERT INTO stock_levels (variant_id, on_hand) VALUES (gen_random_uuid(), 5)", ()),
        ("UPDATE stock_balances SET on_hand = on_hand + 5 WHERE variant_id = %s", (variant,)),
        ("DELETE FROM stock_balances WHERE variant_id = %s", (variant,)),
        ("UPDATE inventory_movements SET quantity = quantity * 2 WHERE variant_id = %s", (variant,)),
        ("DELETE FROM inventory_movements WHERE variant_id = %s", (variant,)),
        ("INSERT INTO low_stock_alerts (id, variant_id, on_hand_at_raise, reorder_level, reorder_quantity) "
         "VALUES (gen_random_uuid(), %s, 0, 1, 1)", (variant,)),
        ("DELETE FROM stocktake_counts", ()),
        ("UPDATE stocktake_counts SET quantity = 99", ()),
        ("UPDATE po_line_items SET variant_id = gen_random_uuid()", ()),
        ("DELETE FROM po_line_items l USING purchase_orders o WHERE o.company_id = l.company_id "
         "AND o.id = l.purchase_order_id AND o.status <> 'draft'", ()),
        ("SELECT ils_inventory_default_location(ils_current_company())", ()),
        ("SELECT ils_low_stock_review(ils_current_company(), %s, 0, 0, now(), true)", (variant,)),
    ]
    failures = []
    connection = arena.connect(None)
    try:
        for statement, params in inside:
            outcome = attempt(connection, [("SELECT ils_bind_session(%s)", (arena.victim_token,)),
                                           (statement, params)])
            if LEDGER.record(ESCALATION, f"inside the practice: {statement[:60]}", outcome.ok and (
                    outcome.rowcount > 0 or statement.startswith("SELECT"))):
                failures.append(statement)
        across = [
            ("INSERT INTO inventory_movements (company_id, id, variant_id, quantity, reason, note) VALUES "
             "(%s, gen_random_uuid(), %s, 50, 'receipt', 'forged')", (arena.victim, variant)),
            ("SELECT ils_low_stock_recheck(%s)", (variant,)),
        ]
        for statement, params in across:
            attempt(connection, [("SELECT ils_bind_session(%s)", (arena.attacker_desk_token,)), (statement, params)])
        after = _victim_stock(arena)
        if LEDGER.record(CROSS_COMPANY, "another company moves the victim's stock or alerts", after[1:] != (
                on_hand, ledger, alerts)):
            failures.append("cross-company stock change")
    finally:
        connection.close()
    assert not failures, failures
