"""A workstation binds its session once per connection; a session that has ended says so.

Until now every transaction began with ``ils_bind_session`` — a round trip of its own on top of
BEGIN and the pool's ping: a search cost six round trips. A workstation now sets its token once per
connection (``app.session_token``, session-wide) and the policies keep checking it on every
statement, as before. So that an ended or expired session is noticed — not read as an empty
practice — ``ils_current_company()`` now raises "ILS session ended (reason)" when a token is set
but no longer valid (no token at all still reaches nothing, quietly). ``ils_current_user()``, which
the audit trigger asks, stays quiet: ending a session must itself be recorded.

Revision ID: 0010_session_per_connection
Revises: 0009_audit_complete
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

from ils_desktop.db import ddl

revision: str = "0010_session_per_connection"
down_revision: str | None = "0009_audit_complete"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWNER = ddl.OWNER_ROLE

SESSION_PROBLEM = """
CREATE FUNCTION ils_session_problem() RETURNS uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    token text := nullif(current_setting('app.session_token', true), '');
    found_session record;
BEGIN
    IF token IS NULL THEN
        RETURN NULL;  -- not signed in: nothing is reachable, quietly
    END IF;
    SELECT s.ended_at, s.end_reason, s.expires_at INTO found_session
      FROM public.sessions s WHERE s.token_hash = sha256(convert_to(token, 'UTF8'));
    IF NOT FOUND THEN
        PERFORM ils_session_ended('unknown');
    ELSIF found_session.ended_at IS NOT NULL THEN
        PERFORM ils_session_ended(coalesce(found_session.end_reason, 'ended'));
    END IF;
    PERFORM ils_session_ended('expired');
    RETURN NULL;
END
$$;
"""

CURRENT_COMPANY = f"""
CREATE OR REPLACE FUNCTION ils_current_company() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN pg_has_role(session_user, '{OWNER}', 'MEMBER')
              THEN nullif(current_setting('app.company_id', true), '')::uuid
              ELSE coalesce((SELECT v.company_id FROM ils_verified_session() v), ils_session_problem()) END
$$;
"""

CURRENT_COMPANY_0007 = f"""
CREATE OR REPLACE FUNCTION ils_current_company() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN pg_has_role(session_user, '{OWNER}', 'MEMBER')
              THEN nullif(current_setting('app.company_id', true), '')::uuid
              ELSE (SELECT v.company_id FROM ils_verified_session() v) END
$$;
"""


def upgrade() -> None:
    op.execute(SESSION_PROBLEM)
    op.execute(f"ALTER FUNCTION ils_session_problem() OWNER TO {ddl.AUTH_ROLE}")
    op.execute("REVOKE ALL ON FUNCTION ils_session_problem() FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION ils_session_problem() TO {ddl.APP_ROLE}, {ddl.AUTH_ROLE}")
    op.execute(CURRENT_COMPANY)


def downgrade() -> None:
    op.execute(CURRENT_COMPANY_0007)
    op.execute("DROP FUNCTION ils_session_problem()")
