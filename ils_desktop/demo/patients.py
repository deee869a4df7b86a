"""Demo patients: thousands of realistic UK patients for the demo practice (and the benchmark).

Names follow British frequencies (Faker's en_GB lists) with the spellings a real register holds —
accents (Zoë, José, Siân), apostrophes (O'Brien), double-barrelled surnames (Smith-Jones) — so the
search's accent and punctuation handling shows. NHS numbers carry a correct modulus 11 check digit;
postcodes have a valid shape around the practice; phone numbers are Ofcom's drama ranges, so a demo
never prints a real person's number. Rows are generated from a seeded ``random.Random`` (no Faker
call per row): the same seed gives the same practice, and a million rows take seconds.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.models.core import User
from ils_desktop.models.patients import Patient
from ils_desktop.repositories.patients import PatientRepository

log = logging.getLogger(__name__)

DEMO_PATIENTS = 3000

_EXTRA_FEMALE = ("Zoë", "Chloé", "Siân", "Niamh", "Aoife", "Renée", "Anaïs", "Saoirse", "Bethan", "Seren",
                 "Priya", "Aisha", "Fatima", "Agnieszka", "Maria", "Noémie", "Eilidh", "Mairéad")
_EXTRA_MALE = ("José", "Seán", "Rhys", "Dafydd", "Ciarán", "Eoghan", "Rónán", "Jürgen", "Łukasz", "Mohammed",
               "Arjun", "Oluwaseun", "Tomás", "Björn", "Hamish", "Iestyn")
_EXTRA_SURNAMES = {"Smith-Jones": 0.04, "Hughes-Williams": 0.02, "Fox-Pitt": 0.01, "Lloyd-Webber": 0.01,
                   "D'Souza": 0.03, "McAllister": 0.04, "MacDonald": 0.06, "Núñez": 0.02, "García": 0.03,
                   "Müller": 0.02, "Brontë": 0.01, "Patel": 0.3, "Khan": 0.25, "Begum": 0.1, "Singh": 0.15,
                   "Chowdhury": 0.05, "Nowak": 0.04, "Kowalski": 0.03, "Nguyen": 0.03, "Ó Briain": 0.01,
                   "Le Brun": 0.01, "Øvergaard": 0.01}
_PREFERRED = {"Elizabeth": "Liz", "Margaret": "Peggy", "Katherine": "Kate", "Catherine": "Cathy", "William": "Bill",
              "Robert": "Bob", "Richard": "Rick", "Christopher": "Chris", "Alexander": "Alex", "Jennifer": "Jen",
              "Anthony": "Tony", "Rebecca": "Becky", "Samantha": "Sam", "Thomas": "Tom", "James": "Jim"}

#: Around Whitby, where the demo practice is: (outward code, town).
DEMO_AREA = (("YO21", "Whitby"), ("YO21", "Sleights"), ("YO21", "Ruswarp"), ("YO22", "Whitby"),
             ("YO22", "Robin Hood's Bay"), ("YO11", "Scarborough"), ("YO12", "Scarborough"),
             ("YO13", "Burniston"), ("TS13", "Staithes"), ("TS13", "Loftus"), ("TS12", "Saltburn-by-the-Sea"),
             ("YO18", "Pickering"), ("YO62", "Egton"))
#: Across Great Britain, for the many-company benchmark.
NATIONAL_AREA = (("SW1A", "London"), ("EC1A", "London"), ("N1", "London"), ("SE15", "London"), ("M1", "Manchester"),
                 ("M20", "Manchester"), ("B33", "Birmingham"), ("LS1", "Leeds"), ("LS6", "Leeds"),
                 ("L18", "Liverpool"), ("S10", "Sheffield"), ("NE1", "Newcastle upon Tyne"), ("BS8", "Bristol"),
                 ("CF10", "Cardiff"), ("EH3", "Edinburgh"), ("G12", "Glasgow"), ("CR2", "Croydon"),
                 ("DN55", "Doncaster"), ("YO21", "Whitby"), ("PL4", "Plymouth"), ("NR2", "Norwich"),
                 ("CB2", "Cambridge"), ("OX1", "Oxford"), ("BT9", "Belfast"), ("AB10", "Aberdeen"))
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_STREETS = ("High Street", "Church Lane", "Station Road", "Mill Lane", "Victoria Road", "Park Avenue",
            "The Crescent", "Harbour View", "Bagdale", "Flowergate", "Skinner Street", "Cliff Street",
            "Back Lane", "Moorland Road", "Esk Terrace", "Abbey Close", "Castle Road", "Green Lane",
            "Westfield Avenue", "St Hilda's Terrace", "Chapel Street", "North Promenade", "Coach Road")
_HOUSE_NAMES = ("Rose Cottage", "Sea View", "The Old Forge", "Ivy House", "Fern Bank", "Low Farm")
_OCCUPATIONS = ("Retired", "Teacher", "Nurse", "Student", "Fisherman", "HGV driver", "Software developer",
                "Shop assistant", "Accountant", "Electrician", "Care worker", "Chef", "Farmer", "Civil servant",
                "Taxi driver", "Hairdresser", "Receptionist", "Engineer", "Pupil", "Self-employed", "Unemployed",
                "Office administrator", "Police officer", "Pharmacist", "Joiner")
_DRIVING = {"HGV driver", "Taxi driver", "Police officer", "Farmer", "Engineer", "Electrician", "Joiner"}
_SCREEN = {"Software developer", "Accountant", "Civil servant", "Office administrator", "Receptionist",
           "Student", "Engineer", "Pharmacist"}
_HISTORY = (("Good general health", None), ("Hypertension", "Amlodipine 5 mg daily"),
            ("Type 2 diabetes, diet controlled", None), ("Type 2 diabetes", "Metformin 500 mg twice daily"),
            ("Type 1 diabetes", "Insulin (basal-bolus)"), ("Asthma", "Salbutamol inhaler as needed"),
            ("Primary open-angle glaucoma", "Latanoprost 0.005% eye drops at night"),
            ("Ocular hypertension, monitored", None), ("High cholesterol", "Atorvastatin 20 mg"),
            ("Atrial fibrillation", "Warfarin"), ("Hypothyroidism", "Levothyroxine 75 micrograms"),
            ("Migraine", "Sumatriptan as needed"), ("Rheumatoid arthritis", "Hydroxychloroquine 200 mg"))
_ALLERGIES = ("Penicillin", "Latex", "Sulfonamides", "Chloramphenicol eye drops", "Nuts", "Aspirin",
              "Sticking plasters")
_FAMILY = ("Mother: glaucoma", "Father: glaucoma", "Grandmother: macular degeneration", "Father: cataract",
           "Sibling: squint as a child", "Mother: diabetic retinopathy")
_GP = ("Whitby Group Practice", "Egton Surgery", "Sleights & Sandsend Medical Practice",
       "Danby Surgery", "Scarborough Medical Group", "Staithes Surgery")


def _weighted(names: dict[str, float]) -> tuple[list[str], list[float]]:
    cumulative: list[float] = []
    total = 0.0
    for weight in names.values():
        total += weight
        cumulative.append(total)
    return list(names), cumulative


def _faker_lists() -> tuple[tuple[str, ...], tuple[str, ...], dict[str, float]]:
    from faker.providers.person.en_GB import Provider

    return (tuple(Provider.first_names_female) + _EXTRA_FEMALE, tuple(Provider.first_names_male) + _EXTRA_MALE,
            dict(Provider.last_names) | _EXTRA_SURNAMES)


def valid_nhs_number(rng: random.Random) -> str:
    """A random 10-digit NHS number with a correct modulus 11 check digit (see
    docs/domain/optical-practice.md, "NHS number")."""
    while True:
        body = [rng.randint(4, 7)] + [rng.randint(0, 9) for _ in range(8)]
        remainder = sum(d * w for d, w in zip(body, range(10, 1, -1), strict=True)) % 11
        check = 11 - remainder
        if check == 11:
            check = 0
        if check != 10:  # 10 means no valid number has these nine digits
            return "".join(map(str, body)) + str(check)


class PatientGenerator:
    """Makes patient rows (dicts of ``patients`` columns) from a seeded RNG."""

    def __init__(self, rng: random.Random, area: tuple[tuple[str, str], ...] = DEMO_AREA, *,
                 today: date | None = None, clinical_detail: bool = True) -> None:
        self.rng = rng
        self.area = area
        self.today = today or date.today()
        self.clinical_detail = clinical_detail
        female, male, surnames = _faker_lists()
        self.female, self.male = female, male
        self.surnames, self.surname_weights = _weighted(surnames)

    def postcode(self) -> tuple[str, str]:
        outward, town = self.rng.choice(self.area)
        letters = self.rng.choice(_INWARD_LETTERS) + self.rng.choice(_INWARD_LETTERS)
        return f"{outward} {self.rng.randint(0, 9)}{letters}", town

    def date_of_birth(self) -> date:
        # An optical register skews older: presbyopes and retired people visit most.
        age_days = int(abs(self.rng.gauss(52, 22)) * 365.25) % (100 * 365) + 200
        return self.today - timedelta(days=age_days)

    def row(self, company_id: uuid.UUID, customer_number: int, registered_by: uuid.UUID | None = None
            ) -> dict[str, Any]:
        rng = self.rng
        sex = "female" if rng.random() < 0.54 else "male"
        first = rng.choice(self.female if sex == "female" else self.male)
        last = rng.choices(self.surnames, cum_weights=self.surname_weights)[0]
        born = self.date_of_birth()
        age = (self.today - born).days // 365
        if age >= 25 and rng.random() < 0.03:
            title = "Dr"
        elif sex == "female":
            title = "Miss" if age < 18 else rng.choice(("Mrs", "Mrs", "Ms", "Miss"))
        else:
            title = "Master" if age < 18 else "Mr"
        postcode, town = self.postcode()
        mobile = f"07700 900{rng.randint(0, 999):03d}" if rng.random() < 0.85 else None
        home = f"01632 960{rng.randint(0, 999):03d}" if rng.random() < 0.35 else None
        row: dict[str, Any] = {
            "company_id": company_id, "id": uuid.UUID(int=rng.getrandbits(128), version=4),
            "customer_number": customer_number, "title": title, "first_name": first, "last_name": last,
            "preferred_name": _PREFERRED.get(first) if rng.random() < 0.3 else None,
            "date_of_birth": born, "sex": sex,
            "nhs_number": valid_nhs_number(rng) if rng.random() < 0.8 else None,
            "email": (f"{first}.{last}{rng.randint(1, 99)}@example.com".lower().replace("'", "").replace(" ", "")
                      if rng.random() < 0.6 else None),
            "mobile_phone": mobile, "home_phone": home,
            "address_line1": (f"{rng.choice(_HOUSE_NAMES)}, {rng.randint(1, 40)} {rng.choice(_STREETS)}"
                              if rng.random() < 0.1 else f"{rng.randint(1, 180)} {rng.choice(_STREETS)}"),
            "address_line2": None, "town": town, "county": None, "postcode": postcode,
            "registered_by": registered_by,
        }
        if self.clinical_detail:
            occupation = "Pupil" if age < 16 else ("Retired" if age >= 67 else rng.choice(_OCCUPATIONS))
            history, medication = rng.choice(_HISTORY) if rng.random() < 0.55 else (None, None)
            row |= {
                "gp_practice": rng.choice(_GP),
                "occupation": occupation,
                "is_driver": age >= 17 and (occupation in _DRIVING or rng.random() < 0.7),
                "is_vdu_user": occupation in _SCREEN or (16 <= age < 67 and rng.random() < 0.3),
                "medical_history": history,
                "medications": medication,
                "allergies": rng.choice(_ALLERGIES) if rng.random() < 0.12 else None,
                "family_ocular_history": rng.choice(_FAMILY) if rng.random() < 0.15 else None,
                "communication_consent": {"email": row["email"] is not None, "sms": mobile is not None,
                                          "post": rng.random() < 0.7, "phone": True, "recall_reminders": True},
            }
        return row

    def rows(self, company_id: uuid.UUID, count: int, first_number: int = 1,
             registered_by: uuid.UUID | None = None) -> Iterator[dict[str, Any]]:
        for offset in range(count):
            yield self.row(company_id, first_number + offset, registered_by)


def seed_patients(owner_engine: Engine, company_id: uuid.UUID, rng: random.Random,
                  count: int = DEMO_PATIENTS) -> int:
    """Register ``count`` demo patients in the practice (one bulk insert; customer numbers from the
    company's counter, so patients registered later continue the sequence). Returns how many."""
    started = time.perf_counter()
    generator = PatientGenerator(random.Random(rng.random()))
    with TenantUnitOfWork(owner_engine, TenantContext(company_id)) as uow:
        registrar = uow.session.scalars(
            select(User.id).where(User.company_id == company_id, User.role == "front_desk").limit(1)
        ).first()
        patients = uow.repository(PatientRepository)
        first = patients.reserve_customer_numbers(count)
        rows = list(generator.rows(company_id, count, first, registrar))
        # A register built up over the years, the newest patients last.
        now = datetime.now(UTC)
        for row in rows:
            since = now - timedelta(days=int((count - row["customer_number"] + first) / count * 12 * 365))
            row["created_at"] = row["updated_at"] = max(since, datetime.combine(
                row["date_of_birth"], datetime.min.time(), UTC) + timedelta(days=30))
        uow.session.execute(insert(Patient), rows)
        uow.commit()
    log.info("demo patients: %s in %.1f s", count, time.perf_counter() - started)
    return count
