"""Equipment: the device register, calibration history, manuals, and device and DICOM readings.

Readings are never deleted (they are the raw clinical input behind accepted values); the app role
may change only their matching and handling columns' values through UPDATE.

Revision ID: 0003_equipment
Revises: 0002_clinical
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from ils_desktop.db import ddl

revision: str = "0003_equipment"
down_revision: str | None = "0002_clinical"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


TENANT_TABLES = {
    "equipment": "SELECT, INSERT, UPDATE",
    "calibration_records": "SELECT, INSERT",
    "technical_documents": "SELECT, INSERT",
    "device_readings": "SELECT, INSERT, UPDATE",
    "dicom_readings": "SELECT, INSERT, UPDATE",
}


def upgrade() -> None:
    op.create_table(
        "equipment",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("maker", sa.Text(), nullable=True),
        sa.Column("model", sa.Text(), nullable=True),
        sa.Column("serial_number", sa.Text(), nullable=True),
        sa.Column("room_id", sa.UUID(), nullable=True),
        sa.Column("connection_type", sa.Text(), server_default="none", nullable=False),
        sa.Column(
            "connection", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("last_test_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_test_raw", sa.LargeBinary(), nullable=True),
        sa.Column("last_test_result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "connection_type IN ('none', 'serial', 'folder', 'dicom')", name=op.f("ck_equipment_connection_type")
        ),
        sa.CheckConstraint(
            "kind IN ('autorefractor', 'keratometer', 'lensmeter', 'tonometer', 'pachymeter', "
            "'phoropter', 'oct', 'fundus_camera', 'visual_field_analyser', 'slit_lamp', 'other')",
            name=op.f("ck_equipment_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "room_id"],
            ["test_rooms.company_id", "test_rooms.id"],
            name=op.f("fk_equipment_company_id_room_id_test_rooms"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_equipment_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_equipment")),
    )
    op.create_table(
        "calibration_records",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("equipment_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("performed_on", sa.Date(), nullable=False),
        sa.Column("performed_by", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("next_due", sa.Date(), nullable=True),
        sa.Column("certificate_reference", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.UUID(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('calibration', 'service', 'repair', 'check')", name=op.f("ck_calibration_records_kind")
        ),
        sa.CheckConstraint("result IN ('pass', 'adjusted', 'fail')", name=op.f("ck_calibration_records_result")),
        sa.CheckConstraint(
            "next_due IS NULL OR next_due > performed_on", name=op.f("ck_calibration_records_next_due_after")
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "equipment_id"],
            ["equipment.company_id", "equipment.id"],
            name=op.f("fk_calibration_records_company_id_equipment_id_equipment"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "recorded_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_calibration_records_company_id_recorded_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_calibration_records_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_calibration_records")),
    )
    op.create_index(
        "ix_calibration_records_company_id_equipment_id",
        "calibration_records",
        ["company_id", "equipment_id"],
        unique=False,
    )
    op.create_table(
        "technical_documents",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("equipment_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.UUID(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("octet_length(content) <= 26214400", name=op.f("ck_technical_documents_content_size")),
        sa.ForeignKeyConstraint(
            ["company_id", "equipment_id"],
            ["equipment.company_id", "equipment.id"],
            name=op.f("fk_technical_documents_company_id_equipment_id_equipment"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "uploaded_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_technical_documents_company_id_uploaded_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_technical_documents_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_technical_documents")),
    )
    op.create_table(
        "device_readings",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_detail", sa.Text(), nullable=True),
        sa.Column("protocol", sa.Text(), nullable=True),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("equipment_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("measurement", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("warnings", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("device_patient_id", sa.Text(), nullable=True),
        sa.Column("device_patient_name", sa.Text(), nullable=True),
        sa.Column("device_patient_birth_date", sa.Date(), nullable=True),
        sa.Column("patient_id", sa.UUID(), nullable=True),
        sa.Column("match_method", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="unmatched", nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("accepted_exam_id", sa.UUID(), nullable=True),
        sa.Column("handled_by", sa.UUID(), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(patient_id IS NULL) = (status = 'unmatched') OR status = 'discarded'",
            name=op.f("ck_device_readings_matched_has_patient"),
        ),
        sa.CheckConstraint(
            "match_method IS NULL OR match_method IN ('device_id', 'worklist', 'name_dob', 'room', 'manual')",
            name=op.f("ck_device_readings_match_method"),
        ),
        sa.CheckConstraint("source IN ('serial', 'folder', 'manual')", name=op.f("ck_device_readings_source")),
        sa.CheckConstraint(
            "status IN ('unmatched', 'matched', 'accepted', 'discarded')", name=op.f("ck_device_readings_status")
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "accepted_exam_id"],
            ["eye_examinations.company_id", "eye_examinations.id"],
            name=op.f("fk_device_readings_company_id_accepted_exam_id_eye_examinations"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "equipment_id"],
            ["equipment.company_id", "equipment.id"],
            name=op.f("fk_device_readings_company_id_equipment_id_equipment"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "handled_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_device_readings_company_id_handled_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "patient_id"],
            ["patients.company_id", "patients.id"],
            name=op.f("fk_device_readings_company_id_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_device_readings_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_device_readings")),
    )
    op.create_index(
        "ix_device_readings_company_id_patient_id", "device_readings", ["company_id", "patient_id"], unique=False
    )
    op.create_index(
        "ix_device_readings_company_id_status_received_at",
        "device_readings",
        ["company_id", "status", "received_at"],
        unique=False,
    )
    op.create_table(
        "dicom_readings",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("sop_class_uid", sa.Text(), nullable=False),
        sa.Column("sop_instance_uid", sa.Text(), nullable=False),
        sa.Column("study_instance_uid", sa.Text(), nullable=True),
        sa.Column("modality", sa.Text(), nullable=True),
        sa.Column("calling_ae_title", sa.Text(), nullable=True),
        sa.Column("file_path", sa.Text(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("equipment_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("measurement", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("warnings", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("device_patient_id", sa.Text(), nullable=True),
        sa.Column("device_patient_name", sa.Text(), nullable=True),
        sa.Column("device_patient_birth_date", sa.Date(), nullable=True),
        sa.Column("patient_id", sa.UUID(), nullable=True),
        sa.Column("match_method", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="unmatched", nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("accepted_exam_id", sa.UUID(), nullable=True),
        sa.Column("handled_by", sa.UUID(), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(patient_id IS NULL) = (status = 'unmatched') OR status = 'discarded'",
            name=op.f("ck_dicom_readings_matched_has_patient"),
        ),
        sa.CheckConstraint(
            "match_method IS NULL OR match_method IN ('device_id', 'worklist', 'name_dob', 'room', 'manual')",
            name=op.f("ck_dicom_readings_match_method"),
        ),
        sa.CheckConstraint(
            "status IN ('unmatched', 'matched', 'accepted', 'discarded')", name=op.f("ck_dicom_readings_status")
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "accepted_exam_id"],
            ["eye_examinations.company_id", "eye_examinations.id"],
            name=op.f("fk_dicom_readings_company_id_accepted_exam_id_eye_examinations"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "equipment_id"],
            ["equipment.company_id", "equipment.id"],
            name=op.f("fk_dicom_readings_company_id_equipment_id_equipment"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "handled_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_dicom_readings_company_id_handled_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "patient_id"],
            ["patients.company_id", "patients.id"],
            name=op.f("fk_dicom_readings_company_id_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_dicom_readings_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_dicom_readings")),
        sa.UniqueConstraint(
            "company_id", "sop_instance_uid", name=op.f("uq_dicom_readings_company_id_sop_instance_uid")
        ),
    )
    op.create_index(
        "ix_dicom_readings_company_id_patient_id", "dicom_readings", ["company_id", "patient_id"], unique=False
    )
    op.create_index(
        "ix_dicom_readings_company_id_status_received_at",
        "dicom_readings",
        ["company_id", "status", "received_at"],
        unique=False,
    )

    for table, privileges in TENANT_TABLES.items():
        for statement in ddl.enable_tenancy(table):
            op.execute(statement)
        # Raw bytes are kept out of the audit rows: the readings table itself is the record.
        op.execute(ddl.attach_audit(table, "company_id,id", redacted="raw,content,last_test_raw"))
        op.execute(ddl.grant_app(table, privileges))


def downgrade() -> None:
    op.drop_index("ix_dicom_readings_company_id_status_received_at", table_name="dicom_readings")
    op.drop_index("ix_dicom_readings_company_id_patient_id", table_name="dicom_readings")
    op.drop_table("dicom_readings")
    op.drop_index("ix_device_readings_company_id_status_received_at", table_name="device_readings")
    op.drop_index("ix_device_readings_company_id_patient_id", table_name="device_readings")
    op.drop_table("device_readings")
    op.drop_table("technical_documents")
    op.drop_index("ix_calibration_records_company_id_equipment_id", table_name="calibration_records")
    op.drop_table("calibration_records")
    op.drop_table("equipment")
