"""Patient search must be answerable by the practice's indexes under row-level security: PostgreSQL
puts a condition into an index scan there only if its functions are LEAKPROOF, which ``provision``
marks for pg_trgm's operators (names); a phone search is a text_pattern_ops range, whose operators
are LEAKPROOF already. Without it every keystroke reads every patient of the practice
(bench/patient_search.py at 20,000 patients a practice: names p95 200 ms before, 26 ms after;
phone numbers p50 75 ms before, 1.7 ms after)."""

from __future__ import annotations

import psycopg
from sqlalchemy import event, text

from ils_desktop.db.provision import TRIGRAM_OPERATOR_FUNCTIONS
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.patient_search import classify
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.repositories.patients import PatientRepository

#: Every index of the patients table but those kept, and the constraint it backs (if any).
OTHER_INDEXES = """
SELECT i.indexrelid::regclass::text, c.conname
  FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
  LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
 WHERE i.indrelid = 'patients'::regclass AND ic.relname <> ALL(:keep)
"""


def test_provision_marks_the_trigram_operators_leakproof(superuser: psycopg.Connection) -> None:
    for function in TRIGRAM_OPERATOR_FUNCTIONS:
        leakproof = superuser.execute("SELECT proleakproof FROM pg_proc WHERE oid = %s::regprocedure",
                                      (function,)).fetchone()
        assert leakproof == (True,), function


def _plan(owner_engine, practice, query_text: str, *indexes: str, patients: int = 0) -> str:  # type: ignore[no-untyped-def]
    """The plan of the repository's own search statement under row-level security (forced on the
    owner too), with every other index dropped for the moment (rolled back) and sequential scans
    priced out, so ``indexes`` are the planner's only way — and the test shows whether the trigram
    condition may go into it, or is left as a filter after reading all the practice's rows.
    ``patients`` more patients (with mobile numbers) are added first, so a choice between indexes
    is priced on a table of some size, not an empty one."""
    with TenantUnitOfWork(owner_engine, TenantContext(practice.company_id)) as uow:
        if patients:
            uow.session.execute(text(
                "INSERT INTO patients (id, customer_number, first_name, last_name, date_of_birth, mobile_phone) "
                "SELECT gen_random_uuid(), 800000 + g, 'Test', 'Patient ' || g, DATE '1980-01-01', "
                "'07' || lpad((g * 7919 % 1000000000)::text, 9, '0') FROM generate_series(1, :n) g"), {"n": patients})
            uow.session.execute(text("ANALYZE patients"))
        for other, constraint in uow.session.execute(text(OTHER_INDEXES), {"keep": list(indexes)}).all():
            uow.session.execute(text(f'ALTER TABLE patients DROP CONSTRAINT "{constraint}" CASCADE'
                                     if constraint else f"DROP INDEX {other}"))
        uow.session.execute(text("SET LOCAL enable_seqscan = off"))
        connection = uow.session.connection()
        plan: list[str] = []

        def explain(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            if statement.lstrip().startswith("SELECT") and "FROM patients" in statement:
                with cursor.connection.cursor() as explaining:  # same transaction, same settings
                    explaining.execute("EXPLAIN " + statement, parameters)
                    plan.extend(row[0] for row in explaining.fetchall())

        event.listen(connection, "before_cursor_execute", explain)
        try:
            uow.repository(PatientRepository).search(classify(query_text))
        finally:
            event.remove(connection, "before_cursor_execute", explain)
        uow.rollback()
    return "\n".join(plan)


def _index_conditions(plan: str) -> list[str]:
    return [line.strip() for line in plan.splitlines() if "Index Cond" in line]


def test_name_search_is_an_index_condition_on_the_practice_trigram_index(owner_engine, practice) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(owner_engine, practice, "smi", "ix_patients_company_id_search_name_trgm")
    assert any("company_id" in c and "search_name %>" in c for c in _index_conditions(plan)), plan




def test_phone_search_is_an_index_range_on_the_practice_phone_indexes(owner_engine, practice) -> None:  # type: ignore[no-untyped-def]
    plan = _plan(owner_engine, practice, "07700 900123", "ix_patients_company_id_mobile_national",
                 "ix_patients_company_id_home_national", patients=2_000)
    for column in ("mobile_national", "home_national"):
        assert any("company_id" in c and f"{column} ~>=~ '07700900123'" in c and f"{column} ~<~ '07700900123:'" in c
                   for c in _index_conditions(plan)), plan
