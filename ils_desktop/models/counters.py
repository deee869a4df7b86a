"""Per-company counters for human numbers (customer, invoice, order, claim numbers).

A counter row is taken with ``UPDATE ... RETURNING`` inside the business transaction: the row lock
queues concurrent takers, and a rolled-back transaction gives its number back, so invoice numbers
are gap-free (a UK VAT invoice must carry a unique sequential number).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Text
from sqlalchemy.orm import Mapped, mapped_column

from ils_desktop.models.base import Base, TenantMixin


class CompanyCounter(TenantMixin, Base):
    __tablename__ = "company_counters"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    last_value: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
