"""The tenant's own company row (companies is shared; RLS lets a company change only itself)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import JSONB

from ils_desktop.models.core import Company
from ils_desktop.repositories.base import TenantRepository


class CompanyRepository(TenantRepository):
    def current(self) -> Company:
        company = self.session.get(Company, self.company_id)
        if company is None:
            raise LookupError("the company of this session no longer exists")
        return company

    def get(self, company_id: uuid.UUID) -> Company | None:
        return self.session.get(Company, company_id)

    def trading_partners(self, company_type: str) -> Sequence[Company]:
        return self.session.scalars(
            select(Company).where(Company.company_type == company_type, Company.id != self.company_id)
            .order_by(Company.name)
        ).all()

    def register_first(self, *, company_id: uuid.UUID, name: str, company_type: str, goc_number: str | None,
                       ods_code: str | None, address: dict[str, str], phone: str | None,
                       email: str | None) -> None:
        """Calls the database's first-run function, which refuses once any company exists."""
        if company_id != self.company_id:
            raise ValueError("register the company this unit of work was opened for")
        self.session.execute(
            select(func.ils_register_first_company(
                company_id, name, company_type, goc_number, ods_code, bindparam("address", address, type_=JSONB),
                phone, email,
            ))
        )
