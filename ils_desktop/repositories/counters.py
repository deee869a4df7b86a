"""Per-company human numbers: customer numbers, invoice numbers, order and claim numbers."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text

from ils_desktop.repositories.base import TenantRepository


class CounterRepository(TenantRepository):
    def next_value(self, name: str) -> int:
        """The next number of counter ``name`` (1, 2, 3…), inside the caller's transaction.

        The counter row stays locked until that transaction ends, so concurrent takers queue and
        a rolled-back transaction returns its number: no gaps, no duplicates (VAT invoices need
        unique sequential numbers).
        """
        return self.next_values([name])[name]

    def next_values(self, names: Sequence[str]) -> dict[str, int]:
        """The next number of each counter in ``names`` (distinct), taken in one statement, as
        ``next_value`` takes one."""
        rows = ", ".join(f"(:company, :name{i}, 1)" for i in range(len(names)))
        found = self.session.execute(
            text(
                f"INSERT INTO company_counters AS c (company_id, name, last_value) VALUES {rows} "
                "ON CONFLICT (company_id, name) DO UPDATE SET last_value = c.last_value + 1 "
                "RETURNING c.name, c.last_value"
            ),
            {"company": self.company_id, **{f"name{i}": name for i, name in enumerate(names)}},
        ).all()
        return {name: int(value) for name, value in found}
