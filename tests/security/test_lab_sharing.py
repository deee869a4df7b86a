"""The shared case of the attack suite: a practice's orders seen by the lab they are addressed to.

The demo practice (the victim) sends jobs to a lab it has connected to, and one job to a lab it has
not. With raw SQL as the application role, the connected lab's technician reads only the jobs
addressed to it (and their timeline and dispense record), changes nothing but their status through
``ils_lab_update_order``, and reaches nothing else of the practice; the unconnected lab and the
attacker's practice see nothing at all. Every attempt is counted in the ledger.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from sqlalchemy import text

from ils_desktop.domain.roles import Role
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.services.onboarding import NewUser
from ils_desktop.services.seeding import add_user_as_owner, create_company_with_admin
from tests.security.conftest import CROSS_COMPANY, ESCALATION, LEDGER, Arena
from tests.security.test_attack_suite import Outcome, attempt
from tests.sessions import sign


@dataclass(frozen=True)
class Labs:
    lab: uuid.UUID
    lab_token: str  # the connected lab's technician
    lab_admin_token: str
    stranger_token: str  # a technician of a lab the practice never connected to
    stranger: uuid.UUID
    its_job: uuid.UUID  # sent to the connected lab
    draft_job: uuid.UUID  # addressed to it but not sent
    other_job: uuid.UUID  # sent to the unconnected lab
    request: uuid.UUID


def _lab(arena: Arena, name: str) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    suffix = uuid.uuid4().hex[:8]
    company, admin = create_company_with_admin(
        arena.owner, name=f"{name} {suffix}", company_type="lab", admin_email=f"lab-admin-{suffix}@example.test",
        admin_password="lab admin password 1", admin_first_name="Lab", admin_last_name="Admin")
    technician = add_user_as_owner(arena.owner, company, NewUser(
        first_name="Terry", last_name="Tech", email=f"tech-{suffix}@example.test",
        password="lab technician password 1", role=Role.LAB_TECHNICIAN.value))
    return company, admin, technician


def _token(arena: Arena, company: uuid.UUID, user: uuid.UUID) -> str:
    token = sign(TenantContext(company, user), owner_engine=arena.owner).session_token
    assert token is not None
    return token


@pytest.fixture(scope="module")
def labs(arena: Arena) -> Iterator[Labs]:
    lab, lab_admin, technician = _lab(arena, "Connected Lens Lab")
    stranger, _, stranger_tech = _lab(arena, "Stranger Lens Lab")
    jobs = {"its": uuid.uuid4(), "draft": uuid.uuid4(), "other": uuid.uuid4()}
    request = uuid.uuid4()
    with arena.owner.begin() as connection:
        connection.execute(text("SELECT set_config('app.company_id', :c, true)"), {"c": str(arena.victim)})
        patient = connection.execute(text("SELECT id FROM patients WHERE company_id = :c LIMIT 1"),
                                     {"c": arena.victim}).scalar_one()
        for number, (kind, job) in enumerate(jobs.items(), start=900_001):
            connection.execute(text(
                "INSERT INTO orders (company_id, id, number, patient_id, status, lab_company_id, right_sphere, "
                "price, patient_reference) VALUES (:c, :id, :n, :p, :s, :lab, -1.25, 180, 'A. Patient')"),
                {"c": arena.victim, "id": job, "n": number, "p": patient,
                 "s": "draft" if kind == "draft" else "sent_to_lab",
                 "lab": stranger if kind == "other" else lab})
            connection.execute(text(
                "INSERT INTO order_timeline (company_id, id, order_id, status, by_company) "
                "VALUES (:c, gen_random_uuid(), :o, 'sent_to_lab', :c)"), {"c": arena.victim, "o": job})
            connection.execute(text(
                "INSERT INTO dispense_records (company_id, order_id, right_distance_pd, left_distance_pd) "
                "VALUES (:c, :o, 31.5, 32.0)"), {"c": arena.victim, "o": job})
        connection.execute(text(
            "INSERT INTO connection_requests (company_id, id, target_company_id, requested_by) "
            "VALUES (:c, :r, :lab, :u)"), {"c": arena.victim, "r": request, "lab": lab, "u": arena.victim_admin})
    made = Labs(lab, _token(arena, lab, technician), _token(arena, lab, lab_admin),
                _token(arena, stranger, stranger_tech), stranger, jobs["its"], jobs["draft"], jobs["other"], request)
    yield made


def _run(arena: Arena, token: str, statements: list[tuple[str, tuple[object, ...]]]) -> Outcome:
    connection = arena.connect(None)
    try:
        return attempt(connection, [("SELECT ils_bind_session(%s)", (token,)), *statements])
    finally:
        connection.close()


def _visible_jobs(arena: Arena, token: str) -> set[uuid.UUID]:
    outcome = _run(arena, token, [("SELECT id FROM orders", ())])
    assert outcome.ok, outcome.error
    return {row[0] for row in outcome.rows or []}


def _accept(arena: Arena, labs: Labs) -> None:
    with psycopg.connect(arena.app_conninfo) as connection:  # one transaction, committed on leaving
        connection.execute("SELECT ils_bind_session(%s)", (labs.lab_admin_token,))
        connection.execute("SELECT ils_answer_connection_request(%s, %s, true, 4)", (arena.victim, labs.request))


def test_before_the_lab_accepts_it_sees_nothing_and_cannot_connect_itself(arena: Arena, labs: Labs) -> None:
    failures = []
    seen = _visible_jobs(arena, labs.lab_token)
    if LEDGER.record(CROSS_COMPANY, "unconnected lab reads jobs addressed to it", bool(seen)):
        failures.append("read before accepting")
    forged = _run(arena, labs.lab_token, [(
        "INSERT INTO company_relationships (company_id, partner_company_id) VALUES (%s, %s)",
        (arena.victim, labs.lab))])
    if LEDGER.record(CROSS_COMPANY, "lab inserts a relationship with a practice", forged.ok):
        failures.append("lab made a relationship")
    own_side = _run(arena, arena.attacker_admin_token, [(
        "INSERT INTO company_relationships (company_id, partner_company_id) VALUES (%s, %s)",
        (arena.attacker.company_id, labs.lab))])
    if LEDGER.record(CROSS_COMPANY, "practice connects itself to a lab without its consent", own_side.ok):
        failures.append("practice made a relationship")
    stranger_accepts = _run(arena, labs.stranger_token, [(
        "SELECT ils_answer_connection_request(%s, %s, true, 4)", (arena.victim, labs.request))])
    if LEDGER.record(CROSS_COMPANY, "another lab accepts a request not addressed to it", stranger_accepts.ok):
        failures.append("stranger accepted")
    assert not failures, failures


def test_a_connected_lab_reads_only_the_jobs_sent_to_it(arena: Arena, labs: Labs) -> None:
    _accept_once(arena, labs)
    failures = []
    seen = _visible_jobs(arena, labs.lab_token)
    assert seen == {labs.its_job}  # the sent job: not the draft, not the other lab's
    for table in ("order_timeline", "dispense_records"):
        outcome = _run(arena, labs.lab_token, [(f"SELECT DISTINCT order_id FROM {table}", ())])
        assert outcome.ok and {r[0] for r in outcome.rows or []} == {labs.its_job}, table
    # Nothing else of the practice: every other tenant table reads empty for the lab.
    tables = _run(arena, labs.lab_token, [(
        "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' "
        "AND relrowsecurity AND relname NOT IN ('companies', 'orders', 'order_timeline', 'dispense_records', "
        "'connection_requests', 'company_relationships')", ())])
    for (table,) in tables.rows or []:
        outcome = _run(arena, labs.lab_token, [(f"SELECT count(*) FROM {table} WHERE company_id = %s",
                                                (arena.victim,))])
        if LEDGER.record(CROSS_COMPANY, f"connected lab reads the practice's {table}",
                         bool(outcome.ok and outcome.rows and outcome.rows[0][0])):
            failures.append(table)
    # The connection itself the lab sees, by design: only the rows naming it.
    for table, column in (("connection_requests", "target_company_id"),
                          ("company_relationships", "partner_company_id")):
        outcome = _run(arena, labs.lab_token, [(f"SELECT count(*) FROM {table} WHERE {column} <> %s", (labs.lab,))])
        if LEDGER.record(CROSS_COMPANY, f"connected lab reads {table} not naming it",
                         bool(outcome.ok and outcome.rows and outcome.rows[0][0])):
            failures.append(table)
    for token, who in ((labs.stranger_token, "unconnected lab"), (arena.attacker_desk_token, "another practice")):
        if LEDGER.record(CROSS_COMPANY, f"{who} reads the practice's orders", bool(_visible_jobs(arena, token))):
            failures.append(who)
    assert not failures, failures


def _order_state(arena: Arena, job: uuid.UUID) -> tuple[object, ...]:
    with arena.superuser() as su:
        return su.execute("SELECT o::text FROM orders o WHERE id = %s", (job,)).fetchone()  # type: ignore[return-value]


WRITES = {
    "update the price": ("UPDATE orders SET price = 1 WHERE id = %s", "its"),
    "update the status directly": ("UPDATE orders SET status = 'dispatched' WHERE id = %s", "its"),
    "update the powers": ("UPDATE orders SET right_sphere = 4.00 WHERE id = %s", "its"),
    "delete the job": ("DELETE FROM orders WHERE id = %s", "its"),
    "update the dispense record": ("UPDATE dispense_records SET right_distance_pd = 20 WHERE order_id = %s", "its"),
    "insert a timeline row": (
        "INSERT INTO order_timeline (company_id, id, order_id, status, by_company) "
        "SELECT company_id, gen_random_uuid(), id, 'collected', company_id FROM orders WHERE id = %s", "its"),
    "set collected through the function": ("SELECT ils_lab_update_order(company_id, id, 'collected', '', '') "
                                           "FROM orders WHERE id = %s", "its"),
    "move the draft through the function": ("SELECT ils_lab_update_order(company_id, id, 'acknowledged', '', '') "
                                            "FROM orders WHERE id = %s", "draft"),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_a_lab_changes_nothing_but_the_status_of_its_jobs(arena: Arena, labs: Labs, write: str) -> None:
    _accept_once(arena, labs)
    statement, which = WRITES[write]
    job = labs.its_job if which == "its" else labs.draft_job
    before = _order_state(arena, job)
    if which == "draft":  # the lab cannot even name the draft's company through orders: call directly
        statement = "SELECT ils_lab_update_order(%s, %s, 'acknowledged', '', '')"
        outcome = _run(arena, labs.lab_token, [(statement, (arena.victim, job))])
    else:
        outcome = _run(arena, labs.lab_token, [(statement, (job,))])
    # A statement changed something if it ran and touched a row (a function call: if it returned).
    changed = outcome.ok and (bool(outcome.rows) if statement.startswith("SELECT") else outcome.rowcount > 0)
    assert _order_state(arena, job) == before  # rolled back either way; the probe's outcome decides
    assert not LEDGER.record(ESCALATION, f"connected lab: {write}", changed), outcome


def test_the_stranger_cannot_move_a_job_not_addressed_to_it(arena: Arena, labs: Labs) -> None:
    _accept_once(arena, labs)
    outcome = _run(arena, labs.stranger_token, [(
        "SELECT ils_lab_update_order(%s, %s, 'acknowledged', 'mine now', '')", (arena.victim, labs.its_job))])
    assert not LEDGER.record(CROSS_COMPANY, "unconnected lab moves another lab's job", outcome.ok), outcome
    # Its own job, but the practice never connected to it: refused too.
    outcome = _run(arena, labs.stranger_token, [(
        "SELECT ils_lab_update_order(%s, %s, 'acknowledged', '', '')", (arena.victim, labs.other_job))])
    assert not LEDGER.record(CROSS_COMPANY, "unconnected lab moves a job addressed to it", outcome.ok), outcome


def test_the_connected_lab_moves_its_job_and_the_practice_sees_it_on_the_timeline(arena: Arena, labs: Labs) -> None:
    _accept_once(arena, labs)
    with psycopg.connect(arena.app_conninfo) as connection:  # one transaction, committed on leaving
        connection.execute("SELECT ils_bind_session(%s)", (labs.lab_token,))
        connection.execute("SELECT ils_lab_update_order(%s, %s, 'acknowledged', 'Received, job LB-1', 'LB-1')",
                           (arena.victim, labs.its_job))
    with arena.superuser() as su:
        status, reference = su.execute("SELECT status, lab_reference FROM orders WHERE id = %s",
                                       (labs.its_job,)).fetchone()  # type: ignore[misc]
        note, by_company = su.execute(
            "SELECT note, by_company FROM order_timeline WHERE order_id = %s AND status = 'acknowledged'",
            (labs.its_job,)).fetchone()  # type: ignore[misc]
        audited = su.execute("SELECT count(*) FROM audit_logs WHERE company_id = %s AND table_name = 'orders' "
                             "AND row_key ->> 'id' = %s", (arena.victim, str(labs.its_job))).fetchone()[0]  # type: ignore[index]
    assert (status, reference, note, by_company) == ("acknowledged", "LB-1", "Received, job LB-1", labs.lab)
    assert audited >= 2  # the insert and the lab's change, in the practice's own trail


_ACCEPTED: set[uuid.UUID] = set()


def _accept_once(arena: Arena, labs: Labs) -> None:
    if labs.request not in _ACCEPTED:
        with arena.superuser() as su:
            accepted = su.execute("SELECT status FROM connection_requests WHERE id = %s",
                                  (labs.request,)).fetchone()[0] == "accepted"  # type: ignore[index]
        if not accepted:
            _accept(arena, labs)
        _ACCEPTED.add(labs.request)
