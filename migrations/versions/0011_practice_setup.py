"""Practice setup: which rooms and clinicians an appointment type is for; a room added by mistake can
be removed; and the practice never loses the last person able to manage its staff.

- ``appointment_type_rooms`` / ``appointment_type_clinicians``: the Practice settings editor limits an
  appointment type to some rooms or people (contact lens aftercare in the CL room, with the contact
  lens optician). No rows: any room, anyone. Tenant tables with row-level security, the audit
  trigger, and SELECT, INSERT, DELETE for the application role (a link is set or unset, never
  edited).
- ``test_rooms``: the application role may DELETE a room. The foreign keys of bookings and
  equipment refuse to delete a room that was ever used; those are retired instead (``is_active``).
- ``ils_set_role_permissions`` now refuses a change after which no active member of staff would
  hold ``users.manage`` (by role, extra role or their own override): the practice would be locked
  out of its own staff list, and only a database superuser could put it right.

Revision ID: 0011_practice_setup
Revises: 0010_session_per_connection
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ils_desktop.db import ddl

revision: str = "0011_practice_setup"
down_revision: str | None = "0010_session_per_connection"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFINER = "SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp"
LINKS = {
    "appointment_type_rooms": ("room_id", "test_rooms"),
    "appointment_type_clinicians": ("user_id", "users"),
}

SET_ROLE_PERMISSIONS = f"""
CREATE OR REPLACE FUNCTION ils_set_role_permissions(p_role text, p_codes text[]) RETURNS void
LANGUAGE plpgsql VOLATILE {DEFINER}
AS $$
DECLARE
    current_company uuid := ils_require('users.manage');
BEGIN
    DELETE FROM public.role_permissions rp WHERE rp.company_id = current_company AND rp.role = p_role;
    INSERT INTO public.role_permissions (company_id, role, permission_code)
    SELECT DISTINCT current_company, p_role, c FROM unnest(coalesce(p_codes, '{{}}')) c;
    -- Someone active must still be able to manage staff (as ils_session_can decides it).
    IF NOT EXISTS (
        SELECT 1 FROM public.users u
         WHERE u.company_id = current_company AND u.status = 'active'
           AND coalesce(
               (SELECT o.granted FROM public.user_custom_permissions o
                 WHERE o.company_id = u.company_id AND o.user_id = u.id AND o.permission_code = 'users.manage'),
               EXISTS (SELECT 1 FROM public.role_permissions rp
                        WHERE rp.company_id = u.company_id AND rp.permission_code = 'users.manage'
                          AND (rp.role = u.role OR rp.role IN (
                               SELECT r.role FROM public.user_roles r
                                WHERE r.company_id = u.company_id AND r.user_id = u.id))))) THEN
        RAISE EXCEPTION 'ILS last administrator' USING ERRCODE = 'check_violation';
    END IF;
END
$$;
"""

PREVIOUS_SET_ROLE_PERMISSIONS = f"""
CREATE OR REPLACE FUNCTION ils_set_role_permissions(p_role text, p_codes text[]) RETURNS void
LANGUAGE plpgsql VOLATILE {DEFINER}
AS $$
DECLARE
    current_company uuid := ils_require('users.manage');
BEGIN
    DELETE FROM public.role_permissions rp WHERE rp.company_id = current_company AND rp.role = p_role;
    INSERT INTO public.role_permissions (company_id, role, permission_code)
    SELECT DISTINCT current_company, p_role, c FROM unnest(coalesce(p_codes, '{{}}')) c;
END
$$;
"""


def upgrade() -> None:
    for table, (column, target) in LINKS.items():
        op.create_table(
            table,
            sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
            sa.Column("appointment_type", sa.Text(), nullable=False),
            sa.Column(column, sa.UUID(), nullable=False),
            sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f(f"fk_{table}_company_id_companies")),
            sa.ForeignKeyConstraint(
                ["company_id", "appointment_type"], ["appointment_types.company_id", "appointment_types.code"],
                name=op.f(f"fk_{table}_company_id_appointment_type_appointment_types")),
            sa.ForeignKeyConstraint(
                ["company_id", column], [f"{target}.company_id", f"{target}.id"],
                name=op.f(f"fk_{table}_company_id_{column}_{target}")),
            sa.PrimaryKeyConstraint("company_id", "appointment_type", column, name=op.f(f"pk_{table}")),
        )
        for statement in ddl.enable_verified_tenancy(table):
            op.execute(statement)
        op.execute(ddl.attach_audit(table, f"company_id,appointment_type,{column}"))
        op.execute(ddl.grant_app(table, "SELECT, INSERT, DELETE"))
    op.execute(ddl.grant_app("test_rooms", "DELETE"))
    op.execute(SET_ROLE_PERMISSIONS)


def downgrade() -> None:
    op.execute(PREVIOUS_SET_ROLE_PERMISSIONS)
    op.execute(f"REVOKE DELETE ON test_rooms FROM {ddl.APP_ROLE}")
    for table in LINKS:
        op.drop_table(table)
