"""Signing in is recorded as the person who signed in, not as "System".

``ils_sign_in`` updates the account (last sign-in, failures cleared) after it has made the session;
it now binds that session for the rest of its own transaction first, so the audit trail's entry for
the change names the person. The old body is 0007's.

Revision ID: 0012_sign_in_actor
Revises: 0011_practice_setup
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_sign_in_actor"
down_revision: str | None = "0011_practice_setup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGN_IN = """
CREATE OR REPLACE FUNCTION ils_sign_in(p_email text, p_proof bytea, p_workstation text, p_app_version text,
                            OUT outcome text, OUT session_token text, OUT session_id uuid,
                            OUT company_id uuid, OUT user_id uuid, OUT locked_until timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    account record;
    company_status text;
    hours integer;
BEGIN
    outcome := 'wrong';
    SELECT u.company_id, u.id, u.status, u.password_verifier, u.locked_until INTO account
      FROM public.users u WHERE u.email = lower(btrim(p_email)) FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF account.password_verifier IS NULL OR p_proof IS NULL THEN
        RETURN;
    END IF;
    IF sha256(p_proof) <> account.password_verifier THEN
        PERFORM ils_count_failed_password(account.company_id, account.id);
        RETURN;
    END IF;
    SELECT c.status INTO company_status FROM public.companies c WHERE c.id = account.company_id;
    IF company_status IS DISTINCT FROM 'active' THEN
        outcome := 'company_inactive';
        RETURN;
    ELSIF account.status <> 'active' THEN
        outcome := 'inactive';
        RETURN;
    ELSIF account.locked_until IS NOT NULL AND account.locked_until > now() THEN
        outcome := 'locked';
        locked_until := account.locked_until;
        RETURN;
    END IF;
    hours := ils_setting_int(account.company_id, 'security.session_hours', 12, 1, 24);
    session_token := ils_new_session_token();
    INSERT INTO public.sessions AS s (company_id, id, user_id, kind, workstation, app_version,
                                      token_hash, expires_at)
    VALUES (account.company_id, gen_random_uuid(), account.id, 'workstation',
            left(coalesce(p_workstation, ''), 200), left(coalesce(p_app_version, ''), 50),
            sha256(convert_to(session_token, 'UTF8')), now() + make_interval(hours => hours))
    RETURNING s.id INTO session_id;
    -- From here the new session is who acts: the audit trail names the person signing in.
    PERFORM set_config('app.session_token', session_token, true);
    UPDATE public.users u SET failed_login_count = 0, locked_until = NULL, last_login_at = now()
     WHERE u.company_id = account.company_id AND u.id = account.id;
    outcome := 'ok';
    company_id := account.company_id;
    user_id := account.id;
END
$$;
"""

SIGN_IN_0007 = SIGN_IN.replace(
    "    -- From here the new session is who acts: the audit trail names the person signing in.\n"
    "    PERFORM set_config('app.session_token', session_token, true);\n", "")


def upgrade() -> None:
    op.execute(SIGN_IN)


def downgrade() -> None:
    op.execute(SIGN_IN_0007)
