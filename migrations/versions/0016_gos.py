"""NHS General Ophthalmic Services: the practice's contract and performers, dated GOS fees, patients'
exemptions, claims (GOS 1, 3, 4, 6) with their dated signatures, vouchers, submission batches and
imported payment schedules.

Every table is a tenant table with forced row-level security on the verified session's company, the
audit trigger (a drawn signature's image is redacted from the trail: the row keeps it, the trail
records that it changed), and least-privilege grants: claims, vouchers and payments are money and
clinical records and are never deleted (no DELETE for the application role); fees, submissions and
payment lines are only ever added. ``nhs_claims.order_id`` names the dispensing order a GOS 3
claim pays towards (migration 0013's ``orders``).

Revision ID: 0016_gos
Revises: 0015_inventory
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from ils_desktop.db import ddl

revision: str = "0016_gos"
down_revision: str | None = "0015_inventory"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table: (audit key columns, redacted columns, app role privileges)
TABLES: dict[str, tuple[str, str, str]] = {
    "nhs_contract_details": ("company_id", "", "SELECT, INSERT, UPDATE"),
    "nhs_practitioners": ("company_id,id", "", "SELECT, INSERT, UPDATE"),
    "nhs_fees": ("company_id,id", "", "SELECT, INSERT"),
    "nhs_patient_exemptions": ("company_id,id", "", "SELECT, INSERT, UPDATE"),
    "nhs_vouchers": ("company_id,id", "", "SELECT, INSERT, UPDATE"),
    "nhs_claim_submissions": ("company_id,id", "", "SELECT, INSERT"),
    "nhs_claims": ("company_id,id", "", "SELECT, INSERT, UPDATE"),
    "nhs_claim_signatures": ("company_id,claim_id,signer", "image", "SELECT, INSERT, UPDATE"),
    "nhs_payments": ("company_id,id", "", "SELECT, INSERT"),
    "nhs_payment_lines": ("company_id,payment_id,line_number", "", "SELECT, INSERT"),
}


def upgrade() -> None:
    op.create_table(
        "nhs_contract_details",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("ods_code", sa.Text(), nullable=False),
        sa.Column("contract_number", sa.Text(), nullable=False),
        sa.Column("nation", sa.Text(), server_default="england", nullable=False),
        sa.Column("contractor_name", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "nation IN ('england', 'wales', 'scotland', 'northern_ireland')",
            name=op.f("ck_nhs_contract_details_nation"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_nhs_contract_details_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_nhs_contract_details")),
    )
    op.create_table(
        "nhs_practitioners",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("goc_number", sa.Text(), nullable=False),
        sa.Column("list_status", sa.Text(), server_default="included", nullable=False),
        sa.Column("listed_from", sa.Date(), nullable=True),
        sa.Column("listed_to", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "list_status IN ('included', 'conditionally_included', 'suspended', 'removed')",
            name=op.f("ck_nhs_practitioners_list_status"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "user_id"],
            ["users.company_id", "users.id"],
            name=op.f("fk_nhs_practitioners_company_id_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_nhs_practitioners_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_nhs_practitioners")),
        sa.UniqueConstraint("company_id", "user_id", name=op.f("uq_nhs_practitioners_company_id_user_id")),
    )
    op.create_table(
        "nhs_fees",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("value", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.CheckConstraint("value >= 0", name=op.f("ck_nhs_fees_value")),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_nhs_fees_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_nhs_fees")),
        sa.UniqueConstraint("company_id", "code", "valid_from", name=op.f("uq_nhs_fees_company_id_code_valid_from")),
    )
    op.create_table(
        "nhs_patient_exemptions",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("patient_id", sa.UUID(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("evidence_seen", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("evidence_note", sa.Text(), nullable=True),
        sa.Column("beneficiary_name", sa.Text(), nullable=True),
        sa.Column("beneficiary_date_of_birth", sa.Date(), nullable=True),
        sa.Column("establishment_name", sa.Text(), nullable=True),
        sa.Column("establishment_town", sa.Text(), nullable=True),
        sa.Column("hc3_contribution", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("recorded_by", sa.UUID(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "hc3_contribution IS NULL OR hc3_contribution >= 0",
            name=op.f("ck_nhs_patient_exemptions_hc3_contribution"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "patient_id"],
            ["patients.company_id", "patients.id"],
            name=op.f("fk_nhs_patient_exemptions_company_id_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "recorded_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_nhs_patient_exemptions_company_id_recorded_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_nhs_patient_exemptions_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_nhs_patient_exemptions")),
    )
    op.create_index(
        "ix_nhs_patient_exemptions_company_id_patient_id",
        "nhs_patient_exemptions",
        ["company_id", "patient_id"],
        unique=False,
    )
    op.create_table(
        "nhs_vouchers",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("patient_id", sa.UUID(), nullable=False),
        sa.Column("prescription_id", sa.UUID(), nullable=True),
        sa.Column("form", sa.Text(), server_default="GOS3", nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("band", sa.Text(), nullable=False),
        sa.Column(
            "eligibility", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'"), nullable=False
        ),
        sa.Column(
            "supplements", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'"), nullable=False
        ),
        sa.Column("face_value", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("hc3_contribution", sa.Numeric(precision=12, scale=2), server_default="0", nullable=False),
        sa.Column("value", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issued_by", sa.UUID(), nullable=True),
        sa.Column("state", sa.Text(), server_default="issued", nullable=False),
        sa.Column("redeemed_on", sa.Date(), nullable=True),
        sa.Column("redeemed_transaction_id", sa.UUID(), nullable=True),
        sa.CheckConstraint(
            "reason IN ('with_prescription', 'fair_wear_and_tear', 'became_eligible', 'repair')",
            name=op.f("ck_nhs_vouchers_reason"),
        ),
        sa.CheckConstraint("state IN ('issued', 'redeemed', 'cancelled')", name=op.f("ck_nhs_vouchers_state")),
        sa.CheckConstraint(
            "value >= 0 AND face_value >= 0 AND hc3_contribution >= 0", name=op.f("ck_nhs_vouchers_values")
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "issued_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_nhs_vouchers_company_id_issued_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "patient_id"],
            ["patients.company_id", "patients.id"],
            name=op.f("fk_nhs_vouchers_company_id_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "prescription_id"],
            ["prescriptions.company_id", "prescriptions.id"],
            name=op.f("fk_nhs_vouchers_company_id_prescription_id_prescriptions"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_nhs_vouchers_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_nhs_vouchers")),
        sa.UniqueConstraint("company_id", "number", name=op.f("uq_nhs_vouchers_company_id_number")),
    )
    op.create_index(
        "ix_nhs_vouchers_company_id_patient_id", "nhs_vouchers", ["company_id", "patient_id"], unique=False
    )
    op.create_table(
        "nhs_claim_submissions",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("submitted_by", sa.UUID(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("claim_count", sa.Integer(), nullable=False),
        sa.Column("total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("batch_file", sa.Text(), nullable=False),
        sa.Column("batch_file_sha256", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id", "submitted_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_nhs_claim_submissions_company_id_submitted_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_nhs_claim_submissions_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_nhs_claim_submissions")),
        sa.UniqueConstraint("company_id", "number", name=op.f("uq_nhs_claim_submissions_company_id_number")),
    )
    op.create_table(
        "nhs_claims",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("form", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), server_default="draft", nullable=False),
        sa.Column("patient_id", sa.UUID(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("parts", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("early_retest_code", sa.Text(), nullable=True),
        sa.Column("exam_id", sa.UUID(), nullable=True),
        sa.Column("prescription_id", sa.UUID(), nullable=True),
        sa.Column("booking_id", sa.UUID(), nullable=True),
        sa.Column("order_id", sa.UUID(), nullable=True),
        sa.Column("voucher_id", sa.UUID(), nullable=True),
        sa.Column("performer_id", sa.UUID(), nullable=True),
        sa.Column("pre_authorisation_code", sa.Text(), nullable=True),
        sa.Column("pre_authorised_on", sa.Date(), nullable=True),
        sa.Column("pre_visit_notified_on", sa.Date(), nullable=True),
        sa.Column("pre_visit_reference", sa.Text(), nullable=True),
        sa.Column("visit_setting", sa.Text(), nullable=True),
        sa.Column("visit_address", sa.Text(), nullable=True),
        sa.Column("amount_claimed", sa.Numeric(precision=12, scale=2), server_default="0", nullable=False),
        sa.Column("amount_paid", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("submission_id", sa.UUID(), nullable=True),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("form IN ('GOS1', 'GOS3', 'GOS4', 'GOS6')", name=op.f("ck_nhs_claims_form")),
        sa.CheckConstraint(
            "state <> 'rejected' OR btrim(coalesce(rejection_reason, '')) <> ''",
            name=op.f("ck_nhs_claims_rejection_reason"),
        ),
        sa.CheckConstraint(
            "state IN ('draft', 'ready', 'submitted', 'accepted', 'rejected', 'paid')",
            name=op.f("ck_nhs_claims_state"),
        ),
        sa.CheckConstraint(
            "state NOT IN ('submitted', 'accepted', 'paid') OR submission_id IS NOT NULL",
            name=op.f("ck_nhs_claims_submitted_in_a_batch"),
        ),
        sa.CheckConstraint("amount_claimed >= 0", name=op.f("ck_nhs_claims_amount_claimed")),
        sa.ForeignKeyConstraint(
            ["company_id", "booking_id"],
            ["test_room_bookings.company_id", "test_room_bookings.id"],
            name=op.f("fk_nhs_claims_company_id_booking_id_test_room_bookings"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "created_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_nhs_claims_company_id_created_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "exam_id"],
            ["eye_examinations.company_id", "eye_examinations.id"],
            name=op.f("fk_nhs_claims_company_id_exam_id_eye_examinations"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "order_id"],
            ["orders.company_id", "orders.id"],
            name=op.f("fk_nhs_claims_company_id_order_id_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "patient_id"],
            ["patients.company_id", "patients.id"],
            name=op.f("fk_nhs_claims_company_id_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "performer_id"],
            ["users.company_id", "users.id"],
            name=op.f("fk_nhs_claims_company_id_performer_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "prescription_id"],
            ["prescriptions.company_id", "prescriptions.id"],
            name=op.f("fk_nhs_claims_company_id_prescription_id_prescriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "submission_id"],
            ["nhs_claim_submissions.company_id", "nhs_claim_submissions.id"],
            name=op.f("fk_nhs_claims_company_id_submission_id_nhs_claim_submissions"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "voucher_id"],
            ["nhs_vouchers.company_id", "nhs_vouchers.id"],
            name=op.f("fk_nhs_claims_company_id_voucher_id_nhs_vouchers"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_nhs_claims_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_nhs_claims")),
        sa.UniqueConstraint("company_id", "number", name=op.f("uq_nhs_claims_company_id_number")),
    )
    op.create_index(
        "ix_nhs_claims_company_id_state_deadline", "nhs_claims", ["company_id", "state", "deadline"], unique=False
    )
    op.create_index("ix_nhs_claims_company_id_patient_id", "nhs_claims", ["company_id", "patient_id"], unique=False)
    op.create_index("ix_nhs_claims_company_id_reference", "nhs_claims", ["company_id", "reference"], unique=False)
    op.create_table(
        "nhs_claim_signatures",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("claim_id", sa.UUID(), nullable=False),
        sa.Column("signer", sa.Text(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("printed_name", sa.Text(), nullable=True),
        sa.Column("signed_by_user", sa.UUID(), nullable=True),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("attestation", sa.Text(), nullable=True),
        sa.Column("image", sa.LargeBinary(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "method <> 'pad' OR image IS NOT NULL", name=op.f("ck_nhs_claim_signatures_pad_has_image")
        ),
        sa.CheckConstraint("method IN ('pad', 'attestation')", name=op.f("ck_nhs_claim_signatures_method")),
        sa.CheckConstraint(
            "signer IN ('patient', 'parent_guardian_carer', 'performer', 'contractor')",
            name=op.f("ck_nhs_claim_signatures_signer"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "claim_id"],
            ["nhs_claims.company_id", "nhs_claims.id"],
            name=op.f("fk_nhs_claim_signatures_company_id_claim_id_nhs_claims"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "signed_by_user"],
            ["users.company_id", "users.id"],
            name=op.f("fk_nhs_claim_signatures_company_id_signed_by_user_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_nhs_claim_signatures_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "claim_id", "signer", name=op.f("pk_nhs_claim_signatures")),
    )
    op.create_table(
        "nhs_payments",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("payment_date", sa.Date(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.Text(), nullable=False),
        sa.Column("total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("imported_by", sa.UUID(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id", "imported_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_nhs_payments_company_id_imported_by_users"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_nhs_payments_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_nhs_payments")),
        sa.UniqueConstraint("company_id", "file_sha256", name=op.f("uq_nhs_payments_company_id_file_sha256")),
    )
    op.create_table(
        "nhs_payment_lines",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("payment_id", sa.UUID(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("form", sa.Text(), nullable=False),
        sa.Column("surname", sa.Text(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("claim_id", sa.UUID(), nullable=True),
        sa.Column("claimed", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('paid', 'short_paid', 'over_paid', 'unexpected')", name=op.f("ck_nhs_payment_lines_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "claim_id"],
            ["nhs_claims.company_id", "nhs_claims.id"],
            name=op.f("fk_nhs_payment_lines_company_id_claim_id_nhs_claims"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "payment_id"],
            ["nhs_payments.company_id", "nhs_payments.id"],
            name=op.f("fk_nhs_payment_lines_company_id_payment_id_nhs_payments"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_nhs_payment_lines_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "payment_id", "line_number", name=op.f("pk_nhs_payment_lines")),
    )
    op.create_index(
        "ix_nhs_payment_lines_company_id_claim_id", "nhs_payment_lines", ["company_id", "claim_id"], unique=False
    )
    for table, (key_columns, redacted, privileges) in TABLES.items():
        for statement in ddl.enable_verified_tenancy(table):
            op.execute(statement)
        op.execute(ddl.attach_audit(table, key_columns, redacted=redacted))
        op.execute(ddl.grant_app(table, privileges))


def downgrade() -> None:
    for table in reversed(list(TABLES)):
        op.drop_table(table)
