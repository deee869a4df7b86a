"""SQLAlchemy models, one module per domain of the ILS 2.0 schema.

Importing this package registers every table on ``Base.metadata`` (Alembic and the tenancy tests
walk it), so each new domain module must be imported here.
"""

from ils_desktop.models import (
    audit,
    catalogue,
    clinical,
    core,
    counters,
    diary,
    dispensing,
    equipment,
    imaging,
    inventory,
    messages,
    nhs,
    patients,
    practice_setup,
    till,
)
from ils_desktop.models.base import SHARED_TABLES, Base

__all__ = [
    "SHARED_TABLES", "Base", "audit", "catalogue", "clinical", "core", "counters", "diary", "dispensing",
    "equipment", "imaging", "inventory", "messages", "nhs", "patients", "practice_setup", "till",
]
