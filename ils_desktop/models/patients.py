"""Patients of a practice (the ILS 2.0 ``patients`` table)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from ils_desktop.models.base import Base, TenantMixin, Timestamps, new_id

SEXES = ("female", "male", "other", "unknown")


class Patient(TenantMixin, Timestamps, Base):
    """A patient. Names, NHS number, postcode, phone and customer number are searched, so they
    are real columns; ``search_name`` is the accent-free lower-case name that pg_trgm indexes."""

    __tablename__ = "patients"
    __table_args__ = (
        UniqueConstraint("company_id", "customer_number"),
        CheckConstraint("sex IN ('female', 'male', 'other', 'unknown')", name="sex"),
        CheckConstraint("nhs_number ~ '^[0-9]{10}$'", name="nhs_number_digits"),
        CheckConstraint("status IN ('active', 'archived', 'deceased')", name="status"),
        ForeignKeyConstraint(["company_id", "registered_by"], ["users.company_id", "users.id"]),
        # The practice first (btree_gin), so one index scan finds one practice's matches under RLS.
        Index("ix_patients_company_id_search_name_trgm", "company_id", "search_name", postgresql_using="gin",
              postgresql_ops={"search_name": "gin_trgm_ops"}),
        Index("ix_patients_company_id_last_name_first_name", "company_id", "last_name", "first_name"),
        Index("ix_patients_company_id_date_of_birth", "company_id", "date_of_birth"),
        Index("ix_patients_company_id_nhs_number", "company_id", "nhs_number"),
        Index("ix_patients_company_id_postcode_key", "company_id", "postcode_key"),
        # A phone search is a range from the typed digits (text_pattern_ops: LEAKPROOF, so usable under RLS).
        Index("ix_patients_company_id_mobile_national", "company_id", "mobile_national",
              postgresql_ops={"mobile_national": "text_pattern_ops"}),
        Index("ix_patients_company_id_home_national", "company_id", "home_national",
              postgresql_ops={"home_national": "text_pattern_ops"}),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    customer_number: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str | None] = mapped_column(Text)
    first_name: Mapped[str] = mapped_column(Text, nullable=False)
    last_name: Mapped[str] = mapped_column(Text, nullable=False)
    preferred_name: Mapped[str | None] = mapped_column(Text)
    date_of_birth: Mapped[date] = mapped_column(Date, nullable=False)
    sex: Mapped[str] = mapped_column(Text, nullable=False, server_default="unknown")
    nhs_number: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    mobile_phone: Mapped[str | None] = mapped_column(Text)
    home_phone: Mapped[str | None] = mapped_column(Text)
    address_line1: Mapped[str | None] = mapped_column(Text)
    address_line2: Mapped[str | None] = mapped_column(Text)
    town: Mapped[str | None] = mapped_column(Text)
    county: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(Text)
    gp_practice: Mapped[str | None] = mapped_column(Text)
    occupation: Mapped[str | None] = mapped_column(Text)
    is_driver: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    is_vdu_user: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    medical_history: Mapped[str | None] = mapped_column(Text)
    allergies: Mapped[str | None] = mapped_column(Text)
    medications: Mapped[str | None] = mapped_column(Text)
    family_ocular_history: Mapped[str | None] = mapped_column(Text)
    # e.g. {"email": true, "sms": true, "post": false, "phone": true, "recall_reminders": true}
    communication_consent: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'"))
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="active")
    registered_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    search_name: Mapped[str] = mapped_column(
        Text, Computed("ils_search_text(first_name || ' ' || coalesce(preferred_name, '') || ' ' || last_name)",
                       persisted=True))
    postcode_key: Mapped[str | None] = mapped_column(
        Text, Computed("upper(replace(postcode, ' ', ''))", persisted=True))
    # Each number's digits in national form ("+44 (0)7700 900123" → "07700900123"), for phone search.
    mobile_national: Mapped[str | None] = mapped_column(Text, Computed(
        "nullif(regexp_replace(regexp_replace(mobile_phone, '[^0-9]', '', 'g'), '^(00)?440*', '0'), '')",
        persisted=True))
    home_national: Mapped[str | None] = mapped_column(Text, Computed(
        "nullif(regexp_replace(regexp_replace(home_phone, '[^0-9]', '', 'g'), '^(00)?440*', '0'), '')",
        persisted=True))

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"
