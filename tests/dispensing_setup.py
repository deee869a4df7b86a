"""A practice ready to dispense: the till's shop, a dispensing optician and an optometrist (both
GOC-registered), lenses with their ranges, a patient with a prescription, and a lab company —
connected through the use cases (request, then the lab accepts) — with its own technician.

Plain functions, shared by the service and GUI tests.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.engine import Engine

from ils_desktop.db.database import Database
from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.models.clinical import Prescription
from ils_desktop.models.patients import Patient
from ils_desktop.services import catalogue
from ils_desktop.services.catalogue import ItemDetails
from ils_desktop.services.dispensing import connections
from ils_desktop.services.dispensing.lenses import LensRangeDetails, save_lens_range
from ils_desktop.services.onboarding import NewUser
from ils_desktop.services.seeding import add_user_as_owner, create_company_with_admin
from ils_desktop.services.use_case import run
from tests.sessions import signed
from tests.till_setup import STAFF_PASSWORD, Shop, _staff_password, open_shop


@dataclass(frozen=True)
class Dispensary:
    shop: Shop
    do: TenantContext  # dispensing optician
    do_id: uuid.UUID
    do_email: str
    optom_id: uuid.UUID  # an optometrist (registrant) who can supervise
    lab: uuid.UUID
    lab_tech: TenantContext
    lab_tech_email: str
    sv_lens: uuid.UUID  # single vision, sphere -8..+6, cyl to -4.00
    vari_lens: uuid.UUID  # varifocal, add +0.75..+3.50, min height 16
    frame_barcode: str
    patient_id: uuid.UUID
    rx_id: uuid.UUID
    child_id: uuid.UUID  # 12 years old, with an Rx
    child_rx_id: uuid.UUID


def _user(owner_engine: Engine, company: uuid.UUID, role: Role, first: str,
          goc: str = "") -> tuple[uuid.UUID, TenantContext, str]:
    email = f"{first.lower()}-{uuid.uuid4().hex[:8]}@example.test"
    user_id = add_user_as_owner(owner_engine, company, NewUser(first_name=first, last_name="Tester", email=email,
                                                               password=STAFF_PASSWORD, role=role.value,
                                                               goc_number=goc), password=_staff_password())
    return user_id, signed(company, user_id, frozenset({role.value}), DEFAULT_ROLE_PERMISSIONS[role]), email


def _patient(database: Database, context: TenantContext, first: str, last: str, born: date,
             rx: dict[str, object]) -> tuple[uuid.UUID, uuid.UUID]:
    with database.unit_of_work(context) as uow:
        patient = Patient(id=uuid.uuid4(), company_id=context.company_id,
                          customer_number=int(uuid.uuid4().int % 900000) + 100000, first_name=first,
                          last_name=last, date_of_birth=born, postcode="YO21 1AA")
        uow.session.add(patient)
        uow.session.flush()
        prescription = Prescription(id=uuid.uuid4(), company_id=context.company_id, patient_id=patient.id,
                                    issued_by=context.user_id, kind="new", issue_date=date(2026, 11, 20), **rx)
        uow.session.add(prescription)
        uow.commit()
    return patient.id, prescription.id


D = Decimal


def open_dispensary(database: Database, owner_engine: Engine, practice) -> Dispensary:  # type: ignore[no-untyped-def]
    shop = open_shop(database, owner_engine, practice)
    with owner_engine.begin() as connection:
        from sqlalchemy import text
        connection.execute(text("UPDATE companies SET address = :a WHERE id = :c"), {
            "c": practice.company_id,
            "a": '{"line1": "12 Harbour Road", "town": "Whitby", "postcode": "YO21 1AA"}'})
    do_id, do, do_email = _user(owner_engine, practice.company_id, Role.DISPENSING_OPTICIAN, "Dora", "D-12345")
    optom_id, optom, _ = _user(owner_engine, practice.company_id, Role.OPTOMETRIST, "Otto", "01-54321")
    suffix = uuid.uuid4().hex[:6]
    sv = run(database, shop.admin, catalogue.add_item, ItemDetails(
        "spectacle_lens", "Stellest 1.6 single vision", brand="Essilor", barcode=f"LN{suffix}01",
        retail_price=None, track_stock=False))
    vari = run(database, shop.admin, catalogue.add_item, ItemDetails(
        "spectacle_lens", "Varilux Comfort 1.6", brand="Essilor", barcode=f"LN{suffix}02",
        retail_price=None, track_stock=False))
    product = {}
    with database.unit_of_work(shop.admin) as uow:
        from sqlalchemy import text
        for variant in (sv, vari):
            product[variant] = uow.session.execute(text("SELECT product_id FROM product_variants WHERE id = :v"),
                                                   {"v": variant}).scalar_one()
    run(database, shop.admin, save_lens_range, product[sv], LensRangeDetails(
        "single_vision", D("-8.00"), D("6.00"), D("-4.00"), material="1.6", lens_index=D("1.600"),
        turnaround_working_days=4))
    run(database, shop.admin, save_lens_range, product[vari], LensRangeDetails(
        "varifocal", D("-8.00"), D("6.00"), D("-4.00"), D("0.75"), D("3.50"), D("16"), material="1.6",
        lens_index=D("1.600"), turnaround_working_days=6))
    with database.unit_of_work(shop.admin) as uow:
        from sqlalchemy import text
        frame_barcode = uow.session.execute(text("SELECT barcode FROM product_variants WHERE id = :v"),
                                            {"v": shop.frame}).scalar_one()
    patient_id, rx_id = _patient(database, optom, "Grace", "Hopper", date(1958, 4, 2), {
        "right_sphere": D("-2.50"), "right_cylinder": D("-0.75"), "right_axis": 90, "right_near_add": D("2.00"),
        "left_sphere": D("-2.25"), "left_cylinder": D("-0.50"), "left_axis": 85, "left_near_add": D("2.00")})
    child_id, child_rx = _patient(database, optom, "Tom", "Thumb", date(2014, 6, 1), {
        "right_sphere": D("-1.00"), "left_sphere": D("-1.25")})
    lab, _ = create_company_with_admin(
        owner_engine, name=f"Prism Lens Lab {suffix}", company_type="lab", admin_email=f"lab-{suffix}@example.test",
        admin_password=STAFF_PASSWORD, admin_first_name="Lab", admin_last_name="Admin")
    _, tech, tech_email = _user(owner_engine, lab, Role.LAB_TECHNICIAN, "Terry")
    request = run(database, do, connections.request_connection, lab, "Please take our glazing")
    run(database, tech, connections.answer_request, practice.company_id, request, True, 4)
    return Dispensary(shop, do, do_id, do_email, optom_id, lab, tech, tech_email, product[sv], product[vari],
                      frame_barcode, patient_id, rx_id, child_id, child_rx)
