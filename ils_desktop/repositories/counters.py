"""Per-company human numbers: customer numbers, invoice numbers, order and claim numbers."""

from __future__ import annotations

from sqlalchemy import text

from ils_desktop.repositories.base import TenantRepository


class CounterRepository(TenantRepository):
    def next_value(self, name: str) -> int:
        """The next number of counter ``name`` (1, 2, 3…), inside the caller's transaction.

        The counter row stays locked until that transaction ends, so concurrent takers queue and
        a rolled-back transaction returns its number: no gaps, no duplicates (VAT invoices need
        unique sequential numbers).
        """
        return int(self.session.execute(
            text(
                "INSERT INTO company_counters AS c (company_id, name, last_value) VALUES (:company, :name, 1) "
                "ON CONFLICT (company_id, name) DO UPDATE SET last_value = c.last_value + 1 "
                "RETURNING c.last_value"
            ),
            {"company": self.company_id, "name": name},
        ).scalar_one())
