"""Practice-wide settings (organization_settings) and each user's preferences."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB, insert

from ils_desktop.models.core import OrganizationSetting, UserPreference
from ils_desktop.repositories.base import TenantRepository


class SettingsRepository(TenantRepository):
    def get(self, key: str, default: Any = None) -> Any:
        row = self.session.get(OrganizationSetting, (self.company_id, key))
        return default if row is None else row.value

    def put(self, key: str, value: Any) -> None:
        """Change a practice setting (the database checks ``settings.manage`` and security bounds)."""
        self.session.execute(
            text("SELECT ils_put_setting(:key, :value)").bindparams(bindparam("value", type_=JSONB)),
            {"key": key, "value": value},
        )

    def seed(self, key: str, value: Any) -> None:
        """A new company's default (owner role only: the application role cannot write settings)."""
        self.session.add(OrganizationSetting(company_id=self.company_id, key=key, value=value))

    def preference(self, user_id: uuid.UUID, key: str, default: Any = None) -> Any:
        row = self.session.get(UserPreference, (self.company_id, user_id, key))
        return default if row is None else row.value

    def set_preference(self, user_id: uuid.UUID, key: str, value: Any) -> None:
        statement = insert(UserPreference).values(
            company_id=self.company_id, user_id=user_id, key=key, value=value
        )
        self.session.execute(statement.on_conflict_do_update(
            index_elements=["company_id", "user_id", "key"], set_={"value": value}
        ))
