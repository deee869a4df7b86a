"""The demo practice: realistic staff in every role with known passwords (Faker, en_GB).

``ils-desktop --demo`` runs on its own embedded database, so nothing here touches a real practice.
Later capabilities extend ``ensure_demo_practice`` with their own data (patients, diary, sales).
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.pool import NullPool

from ils_desktop.domain.roles import Role

log = logging.getLogger(__name__)

DEMO_PASSWORD = "demo-practice-2026"
DEMO_PRACTICE = "Harbour View Opticians"
SEED = 20261125


@dataclass(frozen=True)
class DemoAccount:
    email: str
    first_name: str
    last_name: str
    role: Role
    company: str
    goc_number: str = ""

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def _accounts() -> list[DemoAccount]:
    from faker import Faker

    fake = Faker("en_GB")
    fake.seed_instance(SEED)
    practice_roles = [
        (Role.ADMIN, "admin"), (Role.PRACTICE_MANAGER, "manager"), (Role.OPTOMETRIST, "optom"),
        (Role.CONTACT_LENS_OPTICIAN, "clo"), (Role.DISPENSING_OPTICIAN, "do"),
        (Role.FRONT_DESK, "reception"),
    ]
    accounts: list[DemoAccount] = []
    for role, handle in practice_roles:
        prefix = GOC_PREFIX.get(role)
        goc = f"{prefix}-{fake.random_number(digits=5, fix_len=True)}" if prefix else ""
        accounts.append(DemoAccount(f"{handle}@harbourview.demo", fake.first_name(), fake.last_name(),
                                    role, DEMO_PRACTICE, goc))
    accounts.append(DemoAccount("lab@lenscraft.demo", fake.first_name(), fake.last_name(),
                                Role.LAB_TECHNICIAN, "Lenscraft Optical Lab"))
    accounts.append(DemoAccount("orders@northernframes.demo", fake.first_name(), fake.last_name(),
                                Role.SUPPLIER, "Northern Frames Ltd"))
    return accounts


#: GOC numbers by role (docs/domain/optical-practice.md): optometrists ``01-``, dispensing opticians
#: ``D-`` — contact lens opticians too: they are dispensing opticians with a contact lens speciality.
GOC_PREFIX: dict[Role, str] = {Role.OPTOMETRIST: "01", Role.CONTACT_LENS_OPTICIAN: "D",
                               Role.DISPENSING_OPTICIAN: "D"}

DEMO_ACCOUNTS: list[DemoAccount] = []

#: Later capabilities add their demo data here, in order: "module:function", each called as
#: ``function(owner_engine, practice_company_id, rng)`` after the companies and staff exist.
DEMO_EXTENSIONS: tuple[str, ...] = (
    "ils_desktop.demo.clinical:seed_clinical",
    "ils_desktop.demo.till:seed_till",
    "ils_desktop.demo.equipment:seed_equipment",
    "ils_desktop.demo.dispensing:seed_dispensing",
    "ils_desktop.demo.imaging:seed_imaging",
    "ils_desktop.demo.inventory:seed_inventory",
    "ils_desktop.demo.nhs:seed_nhs",
    "ils_desktop.demo.messages:seed_messages",
)


def _load_extension(step: str) -> Callable[[Engine, uuid.UUID, random.Random], None]:
    import importlib

    module_name, _, function = step.partition(":")
    return getattr(importlib.import_module(module_name), function)  # type: ignore[no-any-return]


def demo_accounts() -> list[DemoAccount]:
    if not DEMO_ACCOUNTS:
        DEMO_ACCOUNTS.extend(_accounts())
    return DEMO_ACCOUNTS


def _address(rng: random.Random, town: str, postcode: str) -> dict[str, str]:
    return {"line1": f"{rng.randint(2, 180)} High Street", "town": town, "postcode": postcode}


def ensure_demo_practice(owner_url: URL | str) -> bool:
    """Create the demo companies and staff if the database has none. True if it created them."""
    from ils_desktop.domain.passwords import new_password_record
    from ils_desktop.services.onboarding import NewUser
    from ils_desktop.services.seeding import add_user_as_owner, create_company

    engine = create_engine(owner_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            if connection.execute(text("SELECT count(*) FROM companies")).scalar_one():
                return False
        rng = random.Random(SEED)
        companies = {
            DEMO_PRACTICE: create_company(
                engine, name=DEMO_PRACTICE, company_type="ecp", goc_number="B-00123", ods_code="TP1A2",
                address=_address(rng, "Whitby", "YO21 3PU"), phone="01947 600123",
                email="hello@harbourview.demo", vat_number="GB123456782",
            ),
            "Lenscraft Optical Lab": create_company(
                engine, name="Lenscraft Optical Lab", company_type="lab",
                address=_address(rng, "Leeds", "LS1 4AP"), phone="0113 496 0000",
            ),
            "Northern Frames Ltd": create_company(
                engine, name="Northern Frames Ltd", company_type="supplier",
                address=_address(rng, "Manchester", "M1 1AE"), phone="0161 496 0123",
            ),
        }
        password = new_password_record(DEMO_PASSWORD)
        for account in demo_accounts():
            add_user_as_owner(engine, companies[account.company], NewUser(
                first_name=account.first_name, last_name=account.last_name, email=account.email,
                password=DEMO_PASSWORD, role=account.role.value, goc_number=account.goc_number,
            ), password=password)
        for step in DEMO_EXTENSIONS:
            log.info("demo data: %s", step)
            _load_extension(step)(engine, companies[DEMO_PRACTICE], rng)
        log.info("demo practice created")
        return True
    finally:
        engine.dispose()
