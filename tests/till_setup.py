"""A small shop for till tests: staff at the front desk, a few catalogue items with stock, an open till.

Plain functions (not fixtures) so the service, database, printing and GUI tests share them.
"""

from __future__ import annotations

import functools
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.engine import Engine

from ils_desktop.db.database import Database
from ils_desktop.domain.passwords import PasswordRecord, new_password_record
from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.domain.vat import ApportionmentMethod, ApportionmentScheme
from ils_desktop.models.patients import Patient
from ils_desktop.services import catalogue, till
from ils_desktop.services.catalogue import ItemDetails
from ils_desktop.services.onboarding import NewUser
from ils_desktop.services.seeding import add_user_as_owner
from ils_desktop.services.use_case import run
from tests.sessions import signed

STAFF_PASSWORD = "front desk password 1"


@dataclass(frozen=True)
class Staff:
    user_id: uuid.UUID
    email: str
    context: TenantContext


@dataclass(frozen=True)
class Shop:
    admin: TenantContext
    reception: Staff
    manager: Staff
    frame: uuid.UUID  # spectacles package, stock 3
    last_frame: uuid.UUID  # stock 1
    solution: uuid.UUID  # goods, stock 50
    sight_test: uuid.UUID  # exempt service
    lens: uuid.UUID  # priced at the till
    patient_id: uuid.UUID
    session_id: uuid.UUID
    till_name: str


@functools.cache
def _staff_password() -> PasswordRecord:
    """Derived once: argon2 is slow on purpose, and every till test adds staff."""
    return new_password_record(STAFF_PASSWORD)


def add_staff(owner_engine: Engine, company_id: uuid.UUID, role: Role, first: str) -> Staff:
    email = f"{first.lower()}-{uuid.uuid4().hex[:8]}@example.test"
    user_id = add_user_as_owner(owner_engine, company_id, NewUser(
        first_name=first, last_name="Tester", email=email, password=STAFF_PASSWORD, role=role.value),
        password=_staff_password())
    return Staff(user_id, email, signed(company_id, user_id, frozenset({role.value}),
                                               DEFAULT_ROLE_PERMISSIONS[role]))


def open_shop(database: Database, owner_engine: Engine, practice, *, agreed_share: bool = True,  # type: ignore[no-untyped-def]
              till_name: str = "Till 1") -> Shop:
    admin = signed(practice.company_id, practice.admin_id, frozenset({"admin"}),
                          DEFAULT_ROLE_PERMISSIONS[Role.ADMIN])
    reception = add_staff(owner_engine, practice.company_id, Role.FRONT_DESK, "Rita")
    manager = add_staff(owner_engine, practice.company_id, Role.PRACTICE_MANAGER, "Manon")
    if agreed_share:
        run(database, admin, till.add_apportionment_scheme, ApportionmentScheme(
            method=ApportionmentMethod.AGREED_GOODS_SHARE, spectacles_goods_share=Decimal("0.55"),
            contact_lenses_goods_share=Decimal("0.70"), hmrc_reference="VAT/APP/2019/0457",
            valid_from=date(2019, 4, 1)))
    suffix = uuid.uuid4().hex[:6]

    def add(details: ItemDetails, stock: int = 0) -> uuid.UUID:
        return run(database, admin, catalogue.add_item, details, opening_stock=stock)

    frame = add(ItemDetails("frame", "Clubmaster", brand="Ray-Ban", colour="Tortoise", eye_size=51, bridge=21,
                            temple=145, barcode=f"50{suffix}0001", sku=f"RB-{suffix}-1",
                            retail_price=Decimal("120.00"), cost_price=Decimal("48.00")), 3)
    last = add(ItemDetails("frame", "Round Metal", brand="Ray-Ban", colour="Gold", eye_size=50, bridge=21,
                           temple=145, barcode=f"50{suffix}0002", retail_price=Decimal("135.00")), 1)
    solution = add(ItemDetails("solution", "Opti-Free Express 355ml", brand="Alcon", barcode=f"50{suffix}0003",
                               retail_price=Decimal("9.99")), 50)
    sight_test = add(ItemDetails("service", "Private sight test", barcode=f"50{suffix}0004",
                                 retail_price=Decimal("25.00"), track_stock=False))
    lens = add(ItemDetails("spectacle_lens", "Single vision 1.6 AR", brand="Essilor", barcode=f"50{suffix}0005",
                           retail_price=None, track_stock=False))
    with database.unit_of_work(admin) as uow:
        patient = Patient(id=uuid.uuid4(), company_id=practice.company_id,
                          customer_number=int(uuid.uuid4().int % 900000) + 100000, first_name="Ada",
                          last_name="Lovelace", date_of_birth=date(1990, 12, 10), address_line1="12 Harbour Road",
                          town="Whitby", postcode="YO21 1AA")
        uow.session.add(patient)
        uow.commit()
    session = run(database, reception.context, till.open_till, till_name, Decimal("100.00"))
    return Shop(admin, reception, manager, frame, last, solution, sight_test, lens, patient.id, session.id,
                till_name)


class PrinterListener:
    """A pretend receipt printer: accepts connections and keeps every byte of each job."""

    def __init__(self) -> None:
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.server.bind(("127.0.0.1", 9100))
        except OSError:
            self.server.bind(("127.0.0.1", 0))  # 9100 is taken on this machine: any free port
        self.port = self.server.getsockname()[1]
        self.server.listen(4)
        self.jobs: list[bytes] = []
        self.received = threading.Condition()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            chunks = []
            with connection:
                while data := connection.recv(65536):
                    chunks.append(data)
            with self.received:
                self.jobs.append(b"".join(chunks))
                self.received.notify_all()

    def job(self, number: int, timeout: float = 5.0) -> bytes:
        with self.received:
            self.received.wait_for(lambda: len(self.jobs) > number, timeout)
        return self.jobs[number]

    def close(self) -> None:
        self.server.close()


def give_practice_letterhead(owner_engine: Engine, company_id: uuid.UUID) -> None:
    """The address and VAT number every VAT receipt and invoice must show."""
    from ils_desktop.db.unit_of_work import TenantUnitOfWork

    with TenantUnitOfWork(owner_engine, TenantContext(company_id)) as uow:
        company = uow.companies.current()
        company.vat_number, company.phone = "GB123456782", "01947 600123"
        company.address = {"line1": "1 Pier Road", "town": "Whitby", "postcode": "YO21 3PU"}
        uow.commit()
