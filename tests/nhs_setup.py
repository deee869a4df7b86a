"""A small NHS practice for the GOS tests: a contract, an optometrist on the performers list, a
manager, patients and a way to put an issued prescription or a past sight test on record.

Plain functions (not fixtures) so the service, GUI and bench code share them."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from PIL import Image, ImageDraw
from sqlalchemy import text
from sqlalchemy.engine import Engine

from ils_desktop.db.database import Database
from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.exam import LONDON
from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.models.clinical import EyeExamination, Prescription
from ils_desktop.models.patients import Patient
from ils_desktop.services.nhs import setup
from ils_desktop.services.onboarding import NewUser
from ils_desktop.services.seeding import add_user_as_owner
from ils_desktop.services.use_case import run
from tests.sessions import signed

ODS = "TP1A2"
GOC = "01-23456"


@dataclass(frozen=True)
class NhsPractice:
    company_id: uuid.UUID
    optometrist: TenantContext
    manager: TenantContext
    reception: TenantContext
    room_id: uuid.UUID


def _context(company_id: uuid.UUID, user_id: uuid.UUID, role: Role) -> TenantContext:
    return signed(company_id, user_id, frozenset({role.value}), DEFAULT_ROLE_PERMISSIONS[role])


def make_nhs_practice(database: Database, owner_engine: Engine, company_id: uuid.UUID) -> NhsPractice:
    from ils_desktop.models.diary import AppointmentType, TestRoom

    suffix = uuid.uuid4().hex[:8]
    ids = {role: add_user_as_owner(owner_engine, company_id, NewUser(
        first_name=first, last_name=last, email=f"{role.value}-{suffix}@example.test", password="correct horse battery",
        role=role.value, goc_number=GOC if role is Role.OPTOMETRIST else ""))
        for role, first, last in ((Role.OPTOMETRIST, "Priya", "Shah"), (Role.PRACTICE_MANAGER, "Morag", "Bell"),
                                  (Role.FRONT_DESK, "Rita", "Ford"))}
    room_id = uuid.uuid4()
    with TenantUnitOfWork(owner_engine, TenantContext(company_id)) as uow:
        uow.session.add(TestRoom(id=room_id, company_id=company_id, name="Test room 1"))
        if not uow.session.scalar(text("SELECT count(*) FROM appointment_types WHERE code = 'sight_test'")):
            uow.session.add(AppointmentType(company_id=company_id, code="sight_test", name="Sight test",
                                            duration_minutes=30))
        uow.session.execute(text("UPDATE companies SET address = :a WHERE id = :c"),
                            {"a": '{"line1": "4 Church Street", "town": "Whitby", "postcode": "YO22 4AE"}',
                             "c": company_id})
        uow.commit()
    practice = NhsPractice(company_id, _context(company_id, ids[Role.OPTOMETRIST], Role.OPTOMETRIST),
                           _context(company_id, ids[Role.PRACTICE_MANAGER], Role.PRACTICE_MANAGER),
                           _context(company_id, ids[Role.FRONT_DESK], Role.FRONT_DESK), room_id)
    run(database, practice.manager, setup.save_contract_details, setup.ContractDetails(ODS, "GOS-0042"))
    run(database, practice.manager, setup.save_performer, ids[Role.OPTOMETRIST], GOC, "included", date(2015, 9, 1))
    return practice


def add_patient(owner_engine: Engine, company_id: uuid.UUID, first: str, last: str, born: date,
                **details: object) -> uuid.UUID:
    patient_id = uuid.uuid4()
    with TenantUnitOfWork(owner_engine, TenantContext(company_id)) as uow:
        number = uow.session.execute(text("SELECT coalesce(max(customer_number), 0) + 1 FROM patients")).scalar_one()
        details = {"address_line1": "12 Bagdale", "town": "Whitby", "postcode": "YO21 1QL", **details}
        uow.session.add(Patient(id=patient_id, company_id=company_id, customer_number=number, first_name=first,
                                last_name=last, date_of_birth=born, **details))
        uow.commit()
    return patient_id


def add_past_sight_test(owner_engine: Engine, practice: NhsPractice, patient_id: uuid.UUID, on: date) -> None:
    """A finalised examination on ``on`` (history, as if migrated)."""
    at = datetime(on.year, on.month, on.day, 10, 0, tzinfo=LONDON)
    with TenantUnitOfWork(owner_engine, TenantContext(practice.company_id)) as uow:
        uow.session.add(EyeExamination(company_id=practice.company_id, patient_id=patient_id,
                                       clinician_id=practice.optometrist.user_id, exam_date=at, status="finalised",
                                       finalised_at=at, finalised_by=practice.optometrist.user_id, recall_months=24))
        uow.commit()


def add_prescription(owner_engine: Engine, practice: NhsPractice, patient_id: uuid.UUID, on: date, *,
                     right: tuple[str, str, int | None], left: tuple[str, str, int | None],
                     add: str | None = None, prism: str | None = None) -> uuid.UUID:
    rx_id = uuid.uuid4()
    with TenantUnitOfWork(owner_engine, TenantContext(practice.company_id)) as uow:
        uow.session.add(Prescription(
            id=rx_id, company_id=practice.company_id, patient_id=patient_id, issued_by=practice.optometrist.user_id,
            issue_date=on, expiry_date=on + timedelta(days=730), kind="new",
            right_sphere=Decimal(right[0]), right_cylinder=Decimal(right[1]), right_axis=right[2],
            left_sphere=Decimal(left[0]), left_cylinder=Decimal(left[1]), left_axis=left[2],
            right_near_add=Decimal(add) if add else None, left_near_add=Decimal(add) if add else None,
            right_prism_h=Decimal(prism) if prism else None, right_prism_h_base="IN" if prism else None))
        uow.commit()
    return rx_id


def signature_png(seed: int = 0) -> bytes:
    """A small drawn signature, as the pad saves it."""
    image = Image.new("RGBA", (360, 120), (255, 255, 255, 0))
    pen = ImageDraw.Draw(image)
    points = [(20 + i * 16, 60 + ((i * 37 + seed * 11) % 50) - 25) for i in range(20)]
    pen.line(points, fill=(20, 30, 60, 255), width=3)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
