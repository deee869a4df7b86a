"""Eye examination benchmark: autosaving a draft, opening an exam, finalising — beside the floor.

Run: ``python bench/exams.py`` (starts its own embedded PostgreSQL in a temporary folder).
Each autosave is a full use case (one unit of work: lock, compare, write, audit trigger); opening
loads the exam with its patient, names, recall, addenda, protocols and the previous exam, for a
patient with 20 finalised exams on record. Beside each figure, the floor from the same run: the
same row read or written with raw psycopg on an open connection with the session bound. Also
counts the statements each use case sends. Prints figures; asserts nothing.
"""

from __future__ import annotations

import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import harness
from harness import signed

ROUNDS = 300
PAST_EXAMS = 20


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"p50 {statistics.median(ordered) * 1000:6.2f} ms   p95 {p95 * 1000:6.2f} ms"


def _timed(call: Callable[[], Any], rounds: int = ROUNDS) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def main(workdir: Path) -> None:
    import psycopg
    from sqlalchemy import create_engine, event, insert
    from sqlalchemy.pool import NullPool

    from ils_desktop.db.database import Database, embedded_target
    from ils_desktop.db.migrations import upgrade
    from ils_desktop.db.unit_of_work import TenantUnitOfWork
    from ils_desktop.domain.exam import (
        AnteriorSegment,
        PosteriorSegment,
        RefractionEye,
        SubjectiveRefraction,
        Vision,
    )
    from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
    from ils_desktop.domain.rx import parse_sca
    from ils_desktop.domain.tenant import TenantContext
    from ils_desktop.models.clinical import EyeExamination
    from ils_desktop.models.patients import Patient
    from ils_desktop.services import exams, goc
    from ils_desktop.services.onboarding import NewUser
    from ils_desktop.services.seeding import add_user_as_owner, create_company_with_admin
    from ils_desktop.services.use_case import run

    target = embedded_target(workdir / "pg", cleanup_mode="delete")
    assert target.owner_url is not None and target.embedded is not None
    upgrade(target.owner_url)
    owner = create_engine(target.owner_url, poolclass=NullPool)
    company, admin = create_company_with_admin(
        owner, name="Bench Opticians", company_type="ecp", admin_email="admin@bench.test",
        admin_password="bench password 1", admin_first_name="Bench", admin_last_name="Admin")
    optometrist = add_user_as_owner(owner, company, NewUser("Olive", "Optom", "optom@bench.test", "bench password 1",
                                                            role=Role.OPTOMETRIST.value, goc_number="01-12345"))
    patient_id = uuid.uuid4()
    now = datetime.now(UTC)
    with TenantUnitOfWork(owner, TenantContext(company)) as uow:
        uow.session.add(Patient(id=patient_id, company_id=company, customer_number=1, first_name="Bench",
                                last_name="Patient", date_of_birth=date(1960, 1, 1), medical_history="Diabetes"))
        uow.flush()
        uow.session.execute(insert(EyeExamination), [
            {"id": uuid.uuid4(), "patient_id": patient_id, "clinician_id": optometrist, "status": "finalised",
             "exam_date": now - timedelta(days=365 * (i + 1)), "finalised_at": now - timedelta(days=365 * (i + 1)),
             "finalised_by": optometrist} for i in range(PAST_EXAMS)])
        uow.commit()
    database = Database(target)
    clinician = signed(owner, TenantContext(company, optometrist, frozenset({"optometrist"}),
                                            DEFAULT_ROLE_PERMISSIONS[Role.OPTOMETRIST]))
    manager = signed(owner, TenantContext(company, admin, frozenset({"admin"}), DEFAULT_ROLE_PERMISSIONS[Role.ADMIN]))
    today = date.today()
    run(database, manager, goc.record_goc_check, optometrist, goc_number="01-12345", registrant_type="optometrist",
        status="registered", checked_on=today, valid_until=today + timedelta(days=365))

    exam_id = run(database, clinician, exams.start_exam, patient_id)
    record = run(database, clinician, exams.load_exam, exam_id)
    content = replace(
        record.content, reason_for_visit="Routine",
        vision=Vision(acuities={("distance", "unaided", "R"): "6/12", ("distance", "unaided", "L"): "6/9"}),
        subjective_refraction=SubjectiveRefraction(RefractionEye(parse_sca("-1.25/-0.50x180"), near_add=Decimal(2)),
                                                   RefractionEye(parse_sca("+0.25/-0.75x90"), near_add=Decimal(2))),
        anterior_segment=AnteriorSegment(notes="Healthy"), posterior_segment=PosteriorSegment(notes="Healthy"),
        management="New Rx")
    version = record.version
    for _ in range(20):  # warm the pool and statement caches
        run(database, clinician, exams.load_exam, exam_id)

    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(database.engine, "before_cursor_execute", count)
    run(database, clinician, exams.load_exam, exam_id)
    open_statements = len(statements)
    statements.clear()
    version = run(database, clinician, exams.save_draft, exam_id, replace(content, symptoms="counted"), version).version
    save_statements = len(statements)
    event.remove(database.engine, "before_cursor_execute", count)

    saves = []
    for i in range(ROUNDS):
        changed = replace(content, symptoms=f"Typing… {i}")
        started = time.perf_counter()
        version = run(database, clinician, exams.save_draft, exam_id, changed, version).version
        saves.append(time.perf_counter() - started)
    repeats = _timed(lambda: run(database, clinician, exams.save_draft, exam_id, changed, version - 1), ROUNDS // 3)
    opens = _timed(lambda: run(database, clinician, exams.load_exam, exam_id))

    # The floor: the exam row read, and a draft written, with raw psycopg on one open connection.
    with psycopg.connect(target.embedded.conninfo("ils_app"), autocommit=True) as raw:
        raw.execute(f"SELECT set_config('app.session_token', '{clinician.session_token}', false)")
        read_floor = _timed(lambda: raw.execute(
            "SELECT * FROM eye_examinations WHERE company_id = %s AND id = %s", (company, exam_id)).fetchall())

        def raw_save() -> None:
            with raw.transaction():
                raw.execute("SELECT version FROM eye_examinations WHERE company_id = %s AND id = %s FOR UPDATE",
                            (company, exam_id))
                raw.execute("UPDATE eye_examinations SET symptoms = %s, version = version + 1 "
                            "WHERE company_id = %s AND id = %s", (f"raw {time.perf_counter()}", company, exam_id))

        save_floor = _timed(raw_save)
    version = run(database, clinician, exams.current_version, exam_id)
    started = time.perf_counter()
    run(database, clinician, exams.finalise_exam, exam_id, changed, version)
    finalise = time.perf_counter() - started

    print(f"autosave a draft (changed)            {_percentiles(saves)}   ({ROUNDS} saves, "
          f"{save_statements} statements)")
    print(f"  floor: raw lock + UPDATE + COMMIT   {_percentiles(save_floor)}")
    print(f"autosave repeated (same content)      {_percentiles(repeats)}")
    print(f"open an exam ({PAST_EXAMS} past exams on record)  {_percentiles(opens)}   ({open_statements} statements)")
    print(f"  floor: one raw SELECT of the exam   {_percentiles(read_floor)}")
    print(f"finalise (GOC check, recall, booking) {finalise * 1000:6.2f} ms")
    database.dispose()
    owner.dispose()


if __name__ == "__main__":
    with harness.workdir("ils-bench-exams-") as folder:
        main(folder)
    sys.exit(0)
