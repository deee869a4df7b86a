"""Patients' phone numbers are searched from their start, in national form, on two btree indexes
that begin with the practice; the digits-anywhere column and its trigram index go.

A phone search is what the receptionist types as the patient says the number: it starts with the
trunk ``0`` (``07700 900…``). Before, it was ``phone_digits LIKE '%…%'`` over both numbers run
together, which under row-level security may not use an index (``LIKE`` is not LEAKPROOF), so each
keystroke read every patient of the practice: 75 ms at 20,000 patients (bench/patient_search.py).
Now ``mobile_national`` and ``home_national`` hold each number's digits with an international
``+44`` / ``0044`` (and a bracketed ``(0)``) turned back into the ``0``, and a search is the range
``~>=~ digits AND ~<~ digits || ':'`` (text_pattern_ops, LEAKPROOF) on each: an index range scan.

Revision ID: 0006_phone_search
Revises: 0005_practice_search_indexes
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_phone_search"
down_revision: str | None = "0005_practice_search_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def national(column: str) -> str:
    """The SQL of a number's national digits: ``+44 (0)7700 900123`` → ``07700900123``."""
    return f"nullif(regexp_replace(regexp_replace({column}, '[^0-9]', '', 'g'), '^(00)?440*', '0'), '')"


def upgrade() -> None:
    op.drop_index("ix_patients_phone_digits_trgm", table_name="patients")
    op.drop_column("patients", "phone_digits")
    for number in ("mobile", "home"):
        op.add_column("patients", sa.Column(f"{number}_national", sa.Text(),
                                            sa.Computed(national(f"{number}_phone"), persisted=True), nullable=True))
        op.create_index(f"ix_patients_company_id_{number}_national", "patients", ["company_id", f"{number}_national"],
                        postgresql_ops={f"{number}_national": "text_pattern_ops"})


def downgrade() -> None:
    for number in ("mobile", "home"):
        op.drop_index(f"ix_patients_company_id_{number}_national", table_name="patients")
        op.drop_column("patients", f"{number}_national")
    op.add_column("patients", sa.Column("phone_digits", sa.Text(), sa.Computed(
        "regexp_replace(coalesce(mobile_phone, ''), '[^0-9]', '', 'g') || ' ' || "
        "regexp_replace(coalesce(home_phone, ''), '[^0-9]', '', 'g')", persisted=True), nullable=True))
    op.create_index("ix_patients_phone_digits_trgm", "patients", ["phone_digits"],
                    postgresql_using="gin", postgresql_ops={"phone_digits": "gin_trgm_ops"})
