"""Imaging: worklist identifiers kept per booking, stored DICOM objects, images attached to exams and
referrals.

- ``scheduled_procedure_steps``: each booking gets, when it is made, a StudyInstanceUID (``2.25.`` +
  a random UUID as a decimal, PS3.5 B.2), an accession number (``ILS`` + 10 digits) and a requested
  procedure id (``RP`` + digits) from the ``scheduled_procedure_step_numbers`` sequence. The
  ``ils_schedule_booking`` trigger makes them (as the role inserting the booking; the row passes the
  same row-level security), existing bookings are given theirs here, and nothing ever changes them:
  what a device was told by the Modality Worklist still finds the booking when its images come back.
- ``imaging_objects``: metadata of every object in the content-addressed store (the file is named by
  the SHA-256 of its bytes), with the device (calling AE title), booking and patient it belongs to.
- ``imaging_attachments``: an image or one frame of it attached to an exam section or a referral.

All three: tenant tables with forced row-level security on the verified session, the audit
trigger and the TRUNCATE guard, and least privilege for the application role (steps are only
inserted; objects inserted and updated when a person assigns one; attachments added and removed).

Revision ID: 0014_imaging
Revises: 0013_dispensing
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ils_desktop.db import ddl

revision: str = "0014_imaging"
down_revision: str | None = "0013_dispensing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID_DECIMAL = """
CREATE FUNCTION ils_uuid_decimal(p uuid) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    hex text := replace(p::text, '-', '');
    n numeric := 0;
    i integer;
BEGIN
    FOR i IN 1..32 LOOP
        n := n * 16 + ('x' || lpad(substr(hex, i, 1), 8, '0'))::bit(32)::integer;
    END LOOP;
    RETURN n::text;
END
$$;
"""

SCHEDULE_BOOKING = """
CREATE FUNCTION ils_schedule_booking() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    number bigint := nextval('public.scheduled_procedure_step_numbers');
BEGIN
    INSERT INTO public.scheduled_procedure_steps
        (company_id, booking_id, number, study_instance_uid, accession_number, requested_procedure_id)
    VALUES (NEW.company_id, NEW.id, number, '2.25.' || ils_uuid_decimal(gen_random_uuid()),
            'ILS' || lpad(number::text, 10, '0'), 'RP' || lpad(number::text, 8, '0'))
    ON CONFLICT DO NOTHING;
    RETURN NEW;
END
$$;
"""

BACKFILL = """
DO $$
DECLARE
    company record;
BEGIN
    FOR company IN SELECT id FROM public.companies LOOP
        PERFORM set_config('app.company_id', company.id::text, true);
        INSERT INTO public.scheduled_procedure_steps
            (company_id, booking_id, number, study_instance_uid, accession_number, requested_procedure_id)
        SELECT b.company_id, b.id, s.n, '2.25.' || ils_uuid_decimal(gen_random_uuid()),
               'ILS' || lpad(s.n::text, 10, '0'), 'RP' || lpad(s.n::text, 8, '0')
          FROM public.test_room_bookings b
          CROSS JOIN LATERAL (SELECT nextval('public.scheduled_procedure_step_numbers') AS n) s
         WHERE b.company_id = company.id;
    END LOOP;
    PERFORM set_config('app.company_id', '', true);
END
$$;
"""

GRANTS = {
    "scheduled_procedure_steps": "SELECT, INSERT",
    "imaging_objects": "SELECT, INSERT, UPDATE",
    "imaging_attachments": "SELECT, INSERT, DELETE",
}
AUDIT_KEYS = {
    "scheduled_procedure_steps": "company_id,booking_id",
    "imaging_objects": "company_id,id",
    "imaging_attachments": "company_id,id",
}


def _company(table: str) -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False)]


def _fk(table: str, column: str, target: str, **options: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["company_id", column], [f"{target}.company_id", f"{target}.id"],
                                   name=op.f(f"fk_{table}_company_id_{column}_{target}"), **options)


def _company_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f(f"fk_{table}_company_id_companies"))


def upgrade() -> None:
    op.execute("CREATE SEQUENCE scheduled_procedure_step_numbers AS bigint")
    op.execute(UUID_DECIMAL)
    t = "scheduled_procedure_steps"
    op.create_table(
        t, *_company(t),
        sa.Column("booking_id", sa.UUID(), nullable=False),
        sa.Column("number", sa.BigInteger(), server_default=sa.text("nextval('scheduled_procedure_step_numbers')"),
                  nullable=False),
        sa.Column("study_instance_uid", sa.Text(), nullable=False),
        sa.Column("accession_number", sa.Text(), nullable=False),
        sa.Column("requested_procedure_id", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("length(accession_number) <= 16 AND length(requested_procedure_id) <= 14 "
                           "AND length(study_instance_uid) <= 64", name=op.f(f"ck_{t}_dicom_lengths")),
        _company_fk(t),
        _fk(t, "booking_id", "test_room_bookings", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("company_id", "booking_id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("company_id", "study_instance_uid", name=op.f(f"uq_{t}_company_id_study_instance_uid")),
        sa.UniqueConstraint("company_id", "accession_number", name=op.f(f"uq_{t}_company_id_accession_number")),
        sa.UniqueConstraint("company_id", "requested_procedure_id",
                            name=op.f(f"uq_{t}_company_id_requested_procedure_id")),
    )
    t = "imaging_objects"
    op.create_table(
        t, *_company(t),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("sop_class_uid", sa.Text(), nullable=False),
        sa.Column("sop_instance_uid", sa.Text(), nullable=False),
        sa.Column("study_instance_uid", sa.Text(), nullable=True),
        sa.Column("series_instance_uid", sa.Text(), nullable=True),
        sa.Column("accession_number", sa.Text(), nullable=True),
        sa.Column("modality", sa.Text(), nullable=True),
        sa.Column("laterality", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("content_sha256", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("transfer_syntax_uid", sa.Text(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("columns", sa.Integer(), nullable=True),
        sa.Column("frames", sa.Integer(), nullable=True),
        sa.Column("bits_allocated", sa.Integer(), nullable=True),
        sa.Column("bits_stored", sa.Integer(), nullable=True),
        sa.Column("samples_per_pixel", sa.Integer(), nullable=True),
        sa.Column("photometric", sa.Text(), nullable=True),
        sa.Column("calling_ae_title", sa.Text(), nullable=True),
        sa.Column("equipment_id", sa.UUID(), nullable=True),
        sa.Column("booking_id", sa.UUID(), nullable=True),
        sa.Column("device_patient_id", sa.Text(), nullable=True),
        sa.Column("device_patient_name", sa.Text(), nullable=True),
        sa.Column("device_patient_birth_date", sa.Date(), nullable=True),
        sa.Column("patient_id", sa.UUID(), nullable=True),
        sa.Column("match_method", sa.Text(), nullable=True),
        sa.Column("unmatched_reason", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="unmatched", nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("handled_by", sa.UUID(), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('matched', 'unmatched')", name=op.f(f"ck_{t}_status")),
        sa.CheckConstraint("(patient_id IS NULL) = (status = 'unmatched')", name=op.f(f"ck_{t}_matched_has_patient")),
        sa.CheckConstraint("match_method IS NULL OR match_method IN "
                           "('device_id', 'worklist', 'name_dob', 'room', 'manual')",
                           name=op.f(f"ck_{t}_match_method")),
        sa.CheckConstraint("content_sha256 ~ '^[0-9a-f]{64}$'", name=op.f(f"ck_{t}_content_sha256")),
        sa.CheckConstraint("size_bytes >= 0", name=op.f(f"ck_{t}_size")),
        sa.CheckConstraint("kind IN ('photograph', 'tomography', 'document', 'visual_field', 'measurement', "
                           "'other')", name=op.f(f"ck_{t}_kind")),
        _company_fk(t),
        _fk(t, "booking_id", "test_room_bookings"),
        _fk(t, "equipment_id", "equipment"),
        _fk(t, "handled_by", "users"),
        _fk(t, "patient_id", "patients"),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("company_id", "sop_instance_uid", name=op.f(f"uq_{t}_company_id_sop_instance_uid")),
    )
    op.create_index(op.f("ix_imaging_objects_company_id_patient_id_acquired_at"), t,
                    ["company_id", "patient_id", "acquired_at"])
    op.create_index(op.f("ix_imaging_objects_company_id_status_received_at"), t,
                    ["company_id", "status", "received_at"])
    t = "imaging_attachments"
    op.create_table(
        t, *_company(t),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("imaging_object_id", sa.UUID(), nullable=False),
        sa.Column("exam_id", sa.UUID(), nullable=True),
        sa.Column("exam_section", sa.Text(), nullable=True),
        sa.Column("referral_id", sa.UUID(), nullable=True),
        sa.Column("frame", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("attached_by", sa.UUID(), nullable=False),
        sa.Column("attached_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("exam_id IS NOT NULL OR referral_id IS NOT NULL", name=op.f(f"ck_{t}_attached_somewhere")),
        sa.CheckConstraint("frame IS NULL OR frame >= 0", name=op.f(f"ck_{t}_frame")),
        _company_fk(t),
        _fk(t, "attached_by", "users"),
        _fk(t, "exam_id", "eye_examinations"),
        _fk(t, "imaging_object_id", "imaging_objects"),
        _fk(t, "referral_id", "referrals"),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f(f"pk_{t}")),
    )
    op.create_index(op.f("ix_imaging_attachments_company_id_imaging_object_id"), t,
                    ["company_id", "imaging_object_id"])
    op.create_index(op.f("ix_imaging_attachments_company_id_exam_id"), t, ["company_id", "exam_id"])

    for table, privileges in GRANTS.items():
        for statement in ddl.enable_verified_tenancy(table):
            op.execute(statement)
        op.execute(ddl.attach_audit(table, AUDIT_KEYS[table]))
        op.execute(f"CREATE TRIGGER audit_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION ils_audit_refuse_truncate()")
        op.execute(ddl.grant_app(table, privileges))
    op.execute(f"GRANT USAGE ON SEQUENCE scheduled_procedure_step_numbers TO {ddl.APP_ROLE}")
    op.execute(f"GRANT EXECUTE ON FUNCTION ils_uuid_decimal(uuid) TO {ddl.APP_ROLE}")
    op.execute(SCHEDULE_BOOKING)
    op.execute("CREATE TRIGGER schedule_booking AFTER INSERT ON test_room_bookings "
               "FOR EACH ROW EXECUTE FUNCTION ils_schedule_booking()")
    op.execute(BACKFILL)


def downgrade() -> None:
    op.execute("DROP TRIGGER schedule_booking ON test_room_bookings")
    op.execute("DROP FUNCTION ils_schedule_booking()")
    for table in reversed(list(GRANTS)):
        op.drop_table(table)
    op.execute("DROP FUNCTION ils_uuid_decimal(uuid)")
    op.execute("DROP SEQUENCE scheduled_procedure_step_numbers")
