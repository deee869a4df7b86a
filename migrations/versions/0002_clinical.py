"""Clinical: patients, test rooms and diary, eye examinations, prescriptions, referrals, recalls.

Also: per-company counters (customer numbers), accent- and typo-tolerant patient search (pg_trgm,
unaccent), the database-enforced "no double booking" rule (btree_gist exclusion constraint), and
read-only finalised examinations.

Revision ID: 0002_clinical
Revises: 0001_core
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from ils_desktop.db import ddl

revision: str = "0002_clinical"
down_revision: str | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


TENANT_TABLES = {
    # table: audit key columns
    "company_counters": "company_id,name",
    "patients": "company_id,id",
    "test_rooms": "company_id,id",
    "appointment_types": "company_id,code",
    "test_room_bookings": "company_id,id",
    "eye_examinations": "company_id,id",
    "consult_logs": "company_id,id",
    "prescriptions": "company_id,id",
    "prescription_templates": "company_id,id",
    "prescription_alerts": "company_id,id",
    "referrals": "company_id,id",
    "recalls": "company_id,id",
    "clinical_protocols": "company_id,id",
    "goc_compliance_checks": "company_id,id",
}

# Clinical rows are never hard-deleted (records retention); the app role gets no DELETE on them.
APP_PRIVILEGES = {
    "company_counters": "SELECT, INSERT, UPDATE",
    "patients": "SELECT, INSERT, UPDATE",
    "test_rooms": "SELECT, INSERT, UPDATE",
    "appointment_types": "SELECT, INSERT, UPDATE",
    "test_room_bookings": "SELECT, INSERT, UPDATE",
    "eye_examinations": "SELECT, INSERT, UPDATE",
    "consult_logs": "SELECT, INSERT",
    "prescriptions": "SELECT, INSERT, UPDATE",
    "prescription_templates": "SELECT, INSERT, UPDATE",
    "prescription_alerts": "SELECT, INSERT, UPDATE",
    "referrals": "SELECT, INSERT",
    "recalls": "SELECT, INSERT, UPDATE",
    "clinical_protocols": "SELECT, INSERT, UPDATE",
    "goc_compliance_checks": "SELECT, INSERT",
}


def upgrade() -> None:
    for extension in ("pg_trgm", "unaccent", "btree_gist"):
        op.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
    op.execute(ddl.SEARCH_TEXT_FUNCTION)
    op.create_table(
        "appointment_types",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("colour", sa.Text(), server_default="#0E7490", nullable=False),
        sa.Column("is_clinical", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.CheckConstraint("duration_minutes BETWEEN 5 AND 480", name=op.f("ck_appointment_types_duration")),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_appointment_types_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "code", name=op.f("pk_appointment_types")),
    )
    op.create_table(
        "clinical_protocols",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("appointment_type", sa.Text(), nullable=True),
        sa.Column("condition", sa.Text(), nullable=True),
        sa.Column("items", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_clinical_protocols_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_clinical_protocols")),
    )
    op.create_table(
        "company_counters",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("last_value", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_company_counters_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "name", name=op.f("pk_company_counters")),
    )
    op.create_table(
        "prescription_templates",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_prescription_templates_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_prescription_templates")),
    )
    op.create_table(
        "test_rooms",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("station_ae_title", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_test_rooms_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_test_rooms")),
    )
    op.create_table(
        "goc_compliance_checks",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("goc_number", sa.Text(), nullable=False),
        sa.Column("registrant_type", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("checked_by", sa.UUID(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('registered', 'suspended', 'removed', 'not_found')",
            name=op.f("ck_goc_compliance_checks_status"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "checked_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_goc_compliance_checks_company_id_checked_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "user_id"],
            ["users.company_id", "users.id"],
            name=op.f("fk_goc_compliance_checks_company_id_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_goc_compliance_checks_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_goc_compliance_checks")),
    )
    op.create_index(
        "ix_goc_compliance_checks_company_id_user_id", "goc_compliance_checks", ["company_id", "user_id"], unique=False
    )
    op.create_table(
        "patients",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("customer_number", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("first_name", sa.Text(), nullable=False),
        sa.Column("last_name", sa.Text(), nullable=False),
        sa.Column("preferred_name", sa.Text(), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("sex", sa.Text(), server_default="unknown", nullable=False),
        sa.Column("nhs_number", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("mobile_phone", sa.Text(), nullable=True),
        sa.Column("home_phone", sa.Text(), nullable=True),
        sa.Column("address_line1", sa.Text(), nullable=True),
        sa.Column("address_line2", sa.Text(), nullable=True),
        sa.Column("town", sa.Text(), nullable=True),
        sa.Column("county", sa.Text(), nullable=True),
        sa.Column("postcode", sa.Text(), nullable=True),
        sa.Column("gp_practice", sa.Text(), nullable=True),
        sa.Column("occupation", sa.Text(), nullable=True),
        sa.Column("is_driver", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("is_vdu_user", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("medical_history", sa.Text(), nullable=True),
        sa.Column("allergies", sa.Text(), nullable=True),
        sa.Column("medications", sa.Text(), nullable=True),
        sa.Column("family_ocular_history", sa.Text(), nullable=True),
        sa.Column(
            "communication_consent",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("status", sa.Text(), server_default="active", nullable=False),
        sa.Column("registered_by", sa.UUID(), nullable=True),
        sa.Column(
            "search_name",
            sa.Text(),
            sa.Computed(
                "ils_search_text(first_name || ' ' || coalesce(preferred_name, '') || ' ' || last_name)", persisted=True
            ),
            nullable=False,
        ),
        sa.Column(
            "postcode_key", sa.Text(), sa.Computed("upper(replace(postcode, ' ', ''))", persisted=True), nullable=True
        ),
        sa.Column(
            "phone_digits",
            sa.Text(),
            sa.Computed(
                "regexp_replace(coalesce(mobile_phone, ''), '[^0-9]', '', 'g') || ' ' || "
                "regexp_replace(coalesce(home_phone, ''), '[^0-9]', '', 'g')",
                persisted=True,
            ),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("nhs_number ~ '^[0-9]{10}$'", name=op.f("ck_patients_nhs_number_digits")),
        sa.CheckConstraint("sex IN ('female', 'male', 'other', 'unknown')", name=op.f("ck_patients_sex")),
        sa.CheckConstraint("status IN ('active', 'archived', 'deceased')", name=op.f("ck_patients_status")),
        sa.ForeignKeyConstraint(
            ["company_id", "registered_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_patients_company_id_registered_by_users"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_patients_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_patients")),
        sa.UniqueConstraint("company_id", "customer_number", name=op.f("uq_patients_company_id_customer_number")),
    )
    op.create_index("ix_patients_company_id_date_of_birth", "patients", ["company_id", "date_of_birth"], unique=False)
    op.create_index(
        "ix_patients_company_id_last_name_first_name",
        "patients",
        ["company_id", "last_name", "first_name"],
        unique=False,
    )
    op.create_index("ix_patients_company_id_nhs_number", "patients", ["company_id", "nhs_number"], unique=False)
    op.create_index("ix_patients_company_id_postcode_key", "patients", ["company_id", "postcode_key"], unique=False)
    op.create_index(
        "ix_patients_phone_digits_trgm",
        "patients",
        ["phone_digits"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"phone_digits": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_patients_search_name_trgm",
        "patients",
        ["search_name"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"search_name": "gin_trgm_ops"},
    )
    op.create_table(
        "test_room_bookings",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("room_id", sa.UUID(), nullable=False),
        sa.Column("patient_id", sa.UUID(), nullable=True),
        sa.Column("clinician_id", sa.UUID(), nullable=True),
        sa.Column("appointment_type", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text(), server_default="booked", nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("booked_by", sa.UUID(), nullable=True),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        postgresql.ExcludeConstraint(
            (sa.column("company_id"), "="),
            (sa.column("room_id"), "="),
            (sa.text("tstzrange(starts_at, ends_at)"), "&&"),
            where=sa.text("status NOT IN ('cancelled', 'did_not_attend')"),
            using="gist",
            name="no_double_booking",
        ),
        sa.CheckConstraint(
            "status IN ('booked', 'arrived', 'in_test', 'completed', 'did_not_attend', 'cancelled')",
            name=op.f("ck_test_room_bookings_status"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_test_room_bookings_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["company_id", "appointment_type"],
            ["appointment_types.company_id", "appointment_types.code"],
            name=op.f("fk_test_room_bookings_company_id_appointment_type_appointment_types"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "booked_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_test_room_bookings_company_id_booked_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "clinician_id"],
            ["users.company_id", "users.id"],
            name=op.f("fk_test_room_bookings_company_id_clinician_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "patient_id"],
            ["patients.company_id", "patients.id"],
            name=op.f("fk_test_room_bookings_company_id_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "room_id"],
            ["test_rooms.company_id", "test_rooms.id"],
            name=op.f("fk_test_room_bookings_company_id_room_id_test_rooms"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_test_room_bookings_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_test_room_bookings")),
    )
    op.create_index(
        "ix_test_room_bookings_company_id_patient_id", "test_room_bookings", ["company_id", "patient_id"], unique=False
    )
    op.create_index(
        "ix_test_room_bookings_company_id_starts_at", "test_room_bookings", ["company_id", "starts_at"], unique=False
    )
    op.create_table(
        "eye_examinations",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("patient_id", sa.UUID(), nullable=False),
        sa.Column("clinician_id", sa.UUID(), nullable=False),
        sa.Column("booking_id", sa.UUID(), nullable=True),
        sa.Column("appointment_type", sa.Text(), nullable=True),
        sa.Column("exam_date", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("status", sa.Text(), server_default="draft", nullable=False),
        sa.Column("reason_for_visit", sa.Text(), nullable=True),
        sa.Column("symptoms", sa.Text(), nullable=True),
        sa.Column("history", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("vision", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column(
            "current_spectacles",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "objective_refraction",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "subjective_refraction",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "binocular_vision", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column(
            "anterior_segment", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column(
            "posterior_segment", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("iop", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column(
            "visual_fields", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column(
            "keratometry", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column(
            "device_sources", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("diagnosis", sa.Text(), nullable=True),
        sa.Column("management", sa.Text(), nullable=True),
        sa.Column("advice", sa.Text(), nullable=True),
        sa.Column("recall_months", sa.Integer(), nullable=True),
        sa.Column("referral_made", sa.Boolean(), server_default="false", nullable=False),
        sa.Column(
            "protocol_checks", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("draft_saved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finalised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finalised_by", sa.UUID(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(status = 'finalised') = (finalised_at IS NOT NULL)", name=op.f("ck_eye_examinations_finalised_at")
        ),
        sa.CheckConstraint("status IN ('draft', 'finalised')", name=op.f("ck_eye_examinations_status")),
        sa.CheckConstraint(
            "recall_months IS NULL OR recall_months BETWEEN 1 AND 60", name=op.f("ck_eye_examinations_recall_months")
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "booking_id"],
            ["test_room_bookings.company_id", "test_room_bookings.id"],
            name=op.f("fk_eye_examinations_company_id_booking_id_test_room_bookings"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "clinician_id"],
            ["users.company_id", "users.id"],
            name=op.f("fk_eye_examinations_company_id_clinician_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "finalised_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_eye_examinations_company_id_finalised_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "patient_id"],
            ["patients.company_id", "patients.id"],
            name=op.f("fk_eye_examinations_company_id_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_eye_examinations_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_eye_examinations")),
    )
    op.create_index(
        "ix_eye_examinations_company_id_patient_id_exam_date",
        "eye_examinations",
        ["company_id", "patient_id", "exam_date"],
        unique=False,
    )
    op.create_table(
        "consult_logs",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("patient_id", sa.UUID(), nullable=False),
        sa.Column("exam_id", sa.UUID(), nullable=True),
        sa.Column("author_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind IN ('addendum', 'note', 'call', 'letter')", name=op.f("ck_consult_logs_kind")),
        sa.ForeignKeyConstraint(
            ["company_id", "author_id"],
            ["users.company_id", "users.id"],
            name=op.f("fk_consult_logs_company_id_author_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "exam_id"],
            ["eye_examinations.company_id", "eye_examinations.id"],
            name=op.f("fk_consult_logs_company_id_exam_id_eye_examinations"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "patient_id"],
            ["patients.company_id", "patients.id"],
            name=op.f("fk_consult_logs_company_id_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_consult_logs_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_consult_logs")),
    )
    op.create_index("ix_consult_logs_company_id_patient_id", "consult_logs", ["company_id", "patient_id"], unique=False)
    op.create_table(
        "prescriptions",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("patient_id", sa.UUID(), nullable=False),
        sa.Column("exam_id", sa.UUID(), nullable=True),
        sa.Column("issued_by", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), server_default="new", nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("expiry_date", sa.Date(), nullable=True),
        sa.Column("right_sphere", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("right_cylinder", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("right_axis", sa.Integer(), nullable=True),
        sa.Column("right_prism_h", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("right_prism_h_base", sa.Text(), nullable=True),
        sa.Column("right_prism_v", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("right_prism_v_base", sa.Text(), nullable=True),
        sa.Column("right_near_add", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("right_intermediate_add", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("right_va", sa.Text(), nullable=True),
        sa.Column("left_sphere", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("left_cylinder", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("left_axis", sa.Integer(), nullable=True),
        sa.Column("left_prism_h", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("left_prism_h_base", sa.Text(), nullable=True),
        sa.Column("left_prism_v", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("left_prism_v_base", sa.Text(), nullable=True),
        sa.Column("left_near_add", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("left_intermediate_add", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("left_va", sa.Text(), nullable=True),
        sa.Column("binocular_va", sa.Text(), nullable=True),
        sa.Column("pd_distance", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("pd_near", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("pd_right", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("pd_left", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("referral_made", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("supersedes_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind IN ('new', 'no_rx_needed', 'unchanged')", name=op.f("ck_prescriptions_kind")),
        sa.CheckConstraint(
            "left_prism_h_base IS NULL OR left_prism_h_base IN ('IN', 'OUT')",
            name=op.f("ck_prescriptions_left_prism_h_base"),
        ),
        sa.CheckConstraint(
            "left_prism_v_base IS NULL OR left_prism_v_base IN ('UP', 'DOWN')",
            name=op.f("ck_prescriptions_left_prism_v_base"),
        ),
        sa.CheckConstraint(
            "right_prism_h_base IS NULL OR right_prism_h_base IN ('IN', 'OUT')",
            name=op.f("ck_prescriptions_right_prism_h_base"),
        ),
        sa.CheckConstraint(
            "right_prism_v_base IS NULL OR right_prism_v_base IN ('UP', 'DOWN')",
            name=op.f("ck_prescriptions_right_prism_v_base"),
        ),
        sa.CheckConstraint(
            "(left_cylinder IS NULL OR left_cylinder = 0) = (left_axis IS NULL)",
            name=op.f("ck_prescriptions_left_axis_with_cylinder"),
        ),
        sa.CheckConstraint(
            "(right_cylinder IS NULL OR right_cylinder = 0) = (right_axis IS NULL)",
            name=op.f("ck_prescriptions_right_axis_with_cylinder"),
        ),
        sa.CheckConstraint(
            "left_axis IS NULL OR left_axis BETWEEN 1 AND 180", name=op.f("ck_prescriptions_left_axis_range")
        ),
        sa.CheckConstraint(
            "left_cylinder IS NULL OR mod(left_cylinder * 100, 25) = 0",
            name=op.f("ck_prescriptions_left_cylinder_quarter_step"),
        ),
        sa.CheckConstraint(
            "left_intermediate_add IS NULL OR mod(left_intermediate_add * 100, 25) = 0",
            name=op.f("ck_prescriptions_left_intermediate_add_quarter_step"),
        ),
        sa.CheckConstraint(
            "left_near_add IS NULL OR mod(left_near_add * 100, 25) = 0",
            name=op.f("ck_prescriptions_left_near_add_quarter_step"),
        ),
        sa.CheckConstraint(
            "left_sphere IS NULL OR mod(left_sphere * 100, 25) = 0",
            name=op.f("ck_prescriptions_left_sphere_quarter_step"),
        ),
        sa.CheckConstraint(
            "right_axis IS NULL OR right_axis BETWEEN 1 AND 180", name=op.f("ck_prescriptions_right_axis_range")
        ),
        sa.CheckConstraint(
            "right_cylinder IS NULL OR mod(right_cylinder * 100, 25) = 0",
            name=op.f("ck_prescriptions_right_cylinder_quarter_step"),
        ),
        sa.CheckConstraint(
            "right_intermediate_add IS NULL OR mod(right_intermediate_add * 100, 25) = 0",
            name=op.f("ck_prescriptions_right_intermediate_add_quarter_step"),
        ),
        sa.CheckConstraint(
            "right_near_add IS NULL OR mod(right_near_add * 100, 25) = 0",
            name=op.f("ck_prescriptions_right_near_add_quarter_step"),
        ),
        sa.CheckConstraint(
            "right_sphere IS NULL OR mod(right_sphere * 100, 25) = 0",
            name=op.f("ck_prescriptions_right_sphere_quarter_step"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "exam_id"],
            ["eye_examinations.company_id", "eye_examinations.id"],
            name=op.f("fk_prescriptions_company_id_exam_id_eye_examinations"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "issued_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_prescriptions_company_id_issued_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "patient_id"],
            ["patients.company_id", "patients.id"],
            name=op.f("fk_prescriptions_company_id_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "supersedes_id"],
            ["prescriptions.company_id", "prescriptions.id"],
            name=op.f("fk_prescriptions_company_id_supersedes_id_prescriptions"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_prescriptions_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_prescriptions")),
    )
    op.create_index(
        "ix_prescriptions_company_id_patient_id_issue_date",
        "prescriptions",
        ["company_id", "patient_id", "issue_date"],
        unique=False,
    )
    op.create_table(
        "recalls",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("patient_id", sa.UUID(), nullable=False),
        sa.Column("exam_id", sa.UUID(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="due", nullable=False),
        sa.Column("last_contacted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('due', 'contacted', 'booked', 'done', 'cancelled')", name=op.f("ck_recalls_status")
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "exam_id"],
            ["eye_examinations.company_id", "eye_examinations.id"],
            name=op.f("fk_recalls_company_id_exam_id_eye_examinations"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "patient_id"],
            ["patients.company_id", "patients.id"],
            name=op.f("fk_recalls_company_id_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_recalls_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_recalls")),
    )
    op.create_index("ix_recalls_company_id_due_date", "recalls", ["company_id", "due_date"], unique=False)
    op.create_table(
        "referrals",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("patient_id", sa.UUID(), nullable=False),
        sa.Column("exam_id", sa.UUID(), nullable=True),
        sa.Column("written_by", sa.UUID(), nullable=False),
        sa.Column("urgency", sa.Text(), nullable=False),
        sa.Column("addressee", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("findings", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("urgency IN ('emergency', 'urgent', 'routine')", name=op.f("ck_referrals_urgency")),
        sa.ForeignKeyConstraint(
            ["company_id", "exam_id"],
            ["eye_examinations.company_id", "eye_examinations.id"],
            name=op.f("fk_referrals_company_id_exam_id_eye_examinations"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "patient_id"],
            ["patients.company_id", "patients.id"],
            name=op.f("fk_referrals_company_id_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "written_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_referrals_company_id_written_by_users"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_referrals_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_referrals")),
    )
    op.create_table(
        "prescription_alerts",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("patient_id", sa.UUID(), nullable=False),
        sa.Column("prescription_id", sa.UUID(), nullable=False),
        sa.Column("previous_prescription_id", sa.UUID(), nullable=True),
        sa.Column("reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("acknowledged_by", sa.UUID(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id", "acknowledged_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_prescription_alerts_company_id_acknowledged_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "patient_id"],
            ["patients.company_id", "patients.id"],
            name=op.f("fk_prescription_alerts_company_id_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "prescription_id"],
            ["prescriptions.company_id", "prescriptions.id"],
            name=op.f("fk_prescription_alerts_company_id_prescription_id_prescriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "previous_prescription_id"],
            ["prescriptions.company_id", "prescriptions.id"],
            name=op.f("fk_prescription_alerts_company_id_previous_prescription_id_prescriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_prescription_alerts_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_prescription_alerts")),
    )

    op.execute(ddl.FINALISED_EXAM_FUNCTION)
    op.execute(
        "CREATE TRIGGER finalised_is_read_only BEFORE UPDATE ON eye_examinations "
        "FOR EACH ROW EXECUTE FUNCTION ils_finalised_exam_is_read_only()"
    )
    for table, key in TENANT_TABLES.items():
        for statement in ddl.enable_tenancy(table):
            op.execute(statement)
        op.execute(ddl.attach_audit(table, key))
        op.execute(ddl.grant_app(table, APP_PRIVILEGES[table]))


def downgrade() -> None:
    op.drop_table("prescription_alerts")
    op.drop_table("referrals")
    op.drop_index("ix_recalls_company_id_due_date", table_name="recalls")
    op.drop_table("recalls")
    op.drop_index("ix_prescriptions_company_id_patient_id_issue_date", table_name="prescriptions")
    op.drop_table("prescriptions")
    op.drop_index("ix_consult_logs_company_id_patient_id", table_name="consult_logs")
    op.drop_table("consult_logs")
    op.drop_index("ix_eye_examinations_company_id_patient_id_exam_date", table_name="eye_examinations")
    op.drop_table("eye_examinations")
    op.drop_index("ix_test_room_bookings_company_id_starts_at", table_name="test_room_bookings")
    op.drop_index("ix_test_room_bookings_company_id_patient_id", table_name="test_room_bookings")
    op.drop_table("test_room_bookings")
    op.drop_index(
        "ix_patients_search_name_trgm",
        table_name="patients",
        postgresql_using="gin",
        postgresql_ops={"search_name": "gin_trgm_ops"},
    )
    op.drop_index(
        "ix_patients_phone_digits_trgm",
        table_name="patients",
        postgresql_using="gin",
        postgresql_ops={"phone_digits": "gin_trgm_ops"},
    )
    op.drop_index("ix_patients_company_id_postcode_key", table_name="patients")
    op.drop_index("ix_patients_company_id_nhs_number", table_name="patients")
    op.drop_index("ix_patients_company_id_last_name_first_name", table_name="patients")
    op.drop_index("ix_patients_company_id_date_of_birth", table_name="patients")
    op.drop_table("patients")
    op.drop_index("ix_goc_compliance_checks_company_id_user_id", table_name="goc_compliance_checks")
    op.drop_table("goc_compliance_checks")
    op.drop_table("test_rooms")
    op.drop_table("prescription_templates")
    op.drop_table("company_counters")
    op.drop_table("clinical_protocols")
    op.drop_table("appointment_types")
    op.execute("DROP FUNCTION IF EXISTS ils_finalised_exam_is_read_only()")
    op.execute("DROP FUNCTION IF EXISTS ils_search_text(text)")
