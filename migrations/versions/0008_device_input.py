"""Readings keep why they could not be matched to a patient (shown in the unmatched inbox).

The matching rule (``domain.patient_matching``) now refuses to guess: a reading whose device id
points at a patient whose name or date of birth differs, a bare number without a name and date of
birth to confirm it, or a file the folder watcher quarantined, goes to the inbox, and the person
there needs to know why. ``unmatched_reason`` is that sentence; it never repeats the patient's
details. Both reading tables already have row-level security, audit and grants (0003); a new
column inherits them.

Revision ID: 0008_device_input
Revises: 0007_verified_sessions
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_device_input"
down_revision: str | None = "0007_verified_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("device_readings", "dicom_readings")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("unmatched_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "unmatched_reason")
