"""The patient a sale is for, found the way the rest of the practice finds patients (name, date of
birth, NHS number, postcode, phone or customer number: ``domain.patient_search``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.patient_search import classify
from ils_desktop.repositories.patients import PatientRepository
from ils_desktop.services import clock
from ils_desktop.services.permissions import require
from ils_desktop.services.use_case import use_case


@dataclass(frozen=True)
class Customer:
    """A patient as the till shows them when linking a sale."""

    patient_id: uuid.UUID
    name: str
    customer_number: int
    date_of_birth: date
    postcode: str


@use_case(permission="till.sell", read_only=True)
def find_customers(uow: TenantUnitOfWork, text: str, limit: int = 20) -> list[Customer]:
    """Patients to link a sale to, best first (one query)."""
    require(uow.context, "patients.view")
    query = classify(text_input.clean_search_text(text), clock.today())
    if not text.strip() or not query.is_searchable or query.problem:
        return []
    rows = uow.repository(PatientRepository).search(query, limit=limit)
    return [Customer(row.id, _name(row.first_name, row.last_name, row.preferred_name), row.customer_number,
                     row.date_of_birth, row.postcode or "") for row in rows]


def _name(first: str, last: str, preferred: str | None) -> str:
    """As the patient list writes it: a preferred name in brackets."""
    if preferred and preferred.strip() and preferred.strip() != first:
        return f"{first} ({preferred.strip()}) {last}"
    return f"{first} {last}"
