"""Eye examination benchmark: autosaving a draft, opening an exam, finalising.

Run: ``python bench/exams.py`` (starts its own embedded PostgreSQL in a temporary folder).
Each autosave is a full service call (one unit of work: lock, compare, write, audit trigger);
opening loads the exam with its patient, addenda, protocols and the previous exam. Prints figures;
asserts nothing.
"""

from __future__ import annotations

import statistics
import sys
import time
import uuid
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import harness
from harness import signed

ROUNDS = 300
PAST_EXAMS = 20


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"p50 {statistics.median(ordered) * 1000:6.2f} ms   p95 {p95 * 1000:6.2f} ms"


def main(workdir: Path) -> None:
    from sqlalchemy import create_engine, insert
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

    target = embedded_target(workdir / "pg", cleanup_mode="delete")
    assert target.owner_url is not None
    upgrade(target.owner_url)
    owner = create_engine(target.owner_url, poolclass=NullPool)
    company, admin = create_company_with_admin(
        owner, name="Bench Opticians", company_type="ecp", admin_email="admin@bench.test",
        admin_password="bench password 1", admin_first_name="Bench", admin_last_name="Admin")
    optometrist = add_user_as_owner(owner, company, NewUser("Olive", "Optom", "optom@bench.test", "bench password 1",
                                                            role=Role.OPTOMETRIST.value, goc_number="01-12345"))
    patient_id = uuid.uuid4()
    with TenantUnitOfWork(owner, TenantContext(company)) as uow:
        uow.session.add(Patient(id=patient_id, company_id=company, customer_number=1, first_name="Bench",
                                last_name="Patient", date_of_birth=date(1960, 1, 1), medical_history="Diabetes"))
        uow.flush()
        uow.session.execute(insert(EyeExamination), [
            {"id": uuid.uuid4(), "patient_id": patient_id, "clinician_id": optometrist, "status": "finalised",
             "exam_date": date.today() - timedelta(days=365 * (i + 1)), "finalised_at": date.today(),
             "finalised_by": optometrist} for i in range(PAST_EXAMS)])
        uow.commit()
    database = Database(target)
    clinician = signed(owner, TenantContext(company, optometrist, frozenset({"optometrist"}),
                                            DEFAULT_ROLE_PERMISSIONS[Role.OPTOMETRIST]))
    manager = signed(owner, TenantContext(company, admin, frozenset({"admin"}), DEFAULT_ROLE_PERMISSIONS[Role.ADMIN]))
    goc.record_goc_check(database, manager, optometrist, goc_number="01-12345", registrant_type="optometrist",
                         status="registered", checked_on=date.today(), valid_until=date.today() + timedelta(days=365))

    exam_id = exams.start_exam(database, clinician, patient_id)
    record = exams.load_exam(database, clinician, exam_id)
    content = replace(
        record.content, reason_for_visit="Routine",
        vision=Vision(acuities={("distance", "unaided", "R"): "6/12", ("distance", "unaided", "L"): "6/9"}),
        subjective_refraction=SubjectiveRefraction(RefractionEye(parse_sca("-1.25/-0.50x180"), near_add=Decimal(2)),
                                                   RefractionEye(parse_sca("+0.25/-0.75x90"), near_add=Decimal(2))),
        anterior_segment=AnteriorSegment(notes="Healthy"), posterior_segment=PosteriorSegment(notes="Healthy"),
        management="New Rx")
    version = record.version
    for _ in range(20):  # warm the pool and statement caches
        exams.load_exam(database, clinician, exam_id)

    saves = []
    for i in range(ROUNDS):
        changed = replace(content, symptoms=f"Typing… {i}")
        started = time.perf_counter()
        version = exams.save_draft(database, clinician, exam_id, changed, version).version
        saves.append(time.perf_counter() - started)
    repeats = []
    for _ in range(ROUNDS // 3):
        started = time.perf_counter()
        exams.save_draft(database, clinician, exam_id, changed, version - 1)  # a retried save: nothing to write
        repeats.append(time.perf_counter() - started)
    opens = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        exams.load_exam(database, clinician, exam_id)
        opens.append(time.perf_counter() - started)
    started = time.perf_counter()
    exams.finalise_exam(database, clinician, exam_id, changed, version)
    finalise = time.perf_counter() - started

    print(f"autosave a draft (changed)            {_percentiles(saves)}   ({ROUNDS} saves)")
    print(f"autosave repeated (same content)      {_percentiles(repeats)}")
    print(f"open an exam ({PAST_EXAMS} past exams on record)  {_percentiles(opens)}")
    print(f"finalise (GOC check, recall, booking) {finalise * 1000:6.2f} ms")
    database.dispose()
    owner.dispose()


if __name__ == "__main__":
    with harness.workdir("ils-bench-exams-") as folder:
        main(folder)
    sys.exit(0)
