"""The tenant's own company row (companies is shared; RLS lets a company change only itself)."""

from __future__ import annotations

import uuid

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
