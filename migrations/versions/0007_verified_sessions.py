"""Verified sessions: the company and user of every statement come from a signed-in session the
database checks, never from a setting the client chooses; accounts, roles, permissions and
settings change only through functions that check the session's permission.

Before this revision row-level security trusted ``app.company_id``, which any holder of the
application role's login can set to another company. Now:

- Signing in is ``ils_sign_in(email, proof, …)``. The client derives ``proof`` from the password with
  argon2id (salt and cost from ``ils_password_salt``); the database keeps only
  ``sha256(proof)``, so the password never reaches the server and what is stored cannot be replayed.
  On success it makes a session whose random token only that workstation learns; the table keeps the
  token's SHA-256.
- Each transaction starts with ``ils_bind_session(token)``; policies compare ``company_id`` with
  ``ils_current_company()``, which looks the token up again (once per statement, as an InitPlan)
  and returns nothing for a missing, ended or expired session. A login as the owner role (migrations,
  seeding) may still name its company with ``app.company_id``: the owner owns the tables anyway.
- The application role no longer writes users, user_roles, role_permissions, user_custom_permissions,
  sessions or organization_settings, nor reads password verifiers or session tokens. The
  ``SECURITY DEFINER`` functions below (owned by ``ils_auth``, which bypasses row-level security)
  do it after checking the session's permission.

Existing argon2id hashes are converted in place: the PHC string's raw hash is the proof, so the
verifier is its SHA-256 and every password keeps working. Open sessions are ended.

Revision ID: 0007_verified_sessions
Revises: 0006_phone_search
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

from ils_desktop.db import ddl

revision: str = "0007_verified_sessions"
down_revision: str | None = "0006_phone_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP = ddl.APP_ROLE
AUTH = ddl.AUTH_ROLE
OWNER = ddl.OWNER_ROLE

# Every function below is SECURITY DEFINER with a fixed search_path, so a caller's objects can
# never stand in for ours; each is owned by ils_auth and executable by the application role only.
DEFINER = "SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp"

# What an unknown email is told: the cost every new password gets (argon2-cffi's defaults, which
# ``domain.passwords.PASSWORD_COST`` uses), so it looks like any account's. The database refuses a
# record cheaper than OWASP's minimum for argon2id (m = 19 MiB, t = 2).
UNKNOWN_ACCOUNT_PARAMS = '{"alg": "argon2id", "v": 19, "m": 65536, "t": 3, "p": 4, "len": 32}'

SECURITY_SQL = f"""
CREATE TABLE ils_secrets (name text PRIMARY KEY, value bytea NOT NULL);
REVOKE ALL ON ils_secrets FROM PUBLIC;
INSERT INTO ils_secrets (name, value)
VALUES ('unknown_account_salt',
        sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text || clock_timestamp()::text,
                          'UTF8')));

-- The session a transaction runs for: the one whose token the client bound. Nothing for a
-- missing, ended or expired session.
CREATE FUNCTION ils_verified_session(OUT session_id uuid, OUT company_id uuid, OUT user_id uuid,
                                     OUT kind text)
RETURNS SETOF record
LANGUAGE sql STABLE PARALLEL SAFE {DEFINER}
AS $$
  SELECT s.id, s.company_id, s.user_id, s.kind FROM public.sessions s
   WHERE s.token_hash = sha256(convert_to(current_setting('app.session_token', true), 'UTF8'))
     AND s.ended_at IS NULL AND s.expires_at > now()
$$;

CREATE OR REPLACE FUNCTION ils_current_company() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN pg_has_role(session_user, '{OWNER}', 'MEMBER')
              THEN nullif(current_setting('app.company_id', true), '')::uuid
              ELSE (SELECT v.company_id FROM ils_verified_session() v) END
$$;

CREATE OR REPLACE FUNCTION ils_current_user() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN pg_has_role(session_user, '{OWNER}', 'MEMBER')
              THEN nullif(current_setting('app.user_id', true), '')::uuid
              ELSE (SELECT v.user_id FROM ils_verified_session() v) END
$$;

CREATE FUNCTION ils_session_ended(p_reason text) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION 'ILS session ended (%)', p_reason
        USING ERRCODE = 'invalid_authorization_specification';
END
$$;

-- Starts every transaction of a signed-in workstation: checks the token, then keeps it for the
-- statements of this transaction only.
CREATE FUNCTION ils_bind_session(p_token text, OUT company_id uuid, OUT user_id uuid)
LANGUAGE plpgsql VOLATILE {DEFINER}
AS $$
#variable_conflict use_column
DECLARE
    found_session record;
BEGIN
    SELECT s.company_id, s.user_id, s.ended_at, s.end_reason, s.expires_at INTO found_session
      FROM public.sessions s WHERE s.token_hash = sha256(convert_to(p_token, 'UTF8'));
    IF NOT FOUND THEN
        PERFORM ils_session_ended('unknown');
    ELSIF found_session.ended_at IS NOT NULL THEN
        PERFORM ils_session_ended(coalesce(found_session.end_reason, 'ended'));
    ELSIF found_session.expires_at <= now() THEN
        PERFORM ils_session_ended('expired');
    END IF;
    PERFORM set_config('app.session_token', p_token, true);
    company_id := found_session.company_id;
    user_id := found_session.user_id;
END
$$;

-- A company's integer setting, kept within the bounds the app allows whatever was stored.
CREATE FUNCTION ils_setting_int(p_company uuid, p_key text, p_default integer, p_min integer,
                                p_max integer) RETURNS integer
LANGUAGE plpgsql STABLE {DEFINER}
AS $$
DECLARE
    raw text;
    value integer := p_default;
BEGIN
    SELECT o.value #>> '{{}}' INTO raw FROM public.organization_settings o
     WHERE o.company_id = p_company AND o.key = p_key;
    IF raw ~ '^\\s*-?[0-9]{{1,9}}\\s*$' THEN
        value := raw::integer;
    END IF;
    RETURN least(greatest(value, p_min), p_max);
END
$$;

CREATE FUNCTION ils_new_session_token() RETURNS text
LANGUAGE sql VOLATILE
AS $$ SELECT replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '') $$;

-- What a client needs to derive its proof: the account's salt and argon2id cost. An unknown email
-- gets a salt derived from a secret, the same every time, so the answer does not tell who exists.
CREATE FUNCTION ils_password_salt(p_email text, OUT salt bytea, OUT params jsonb)
LANGUAGE plpgsql STABLE {DEFINER}
AS $$
BEGIN
    SELECT u.password_salt, u.password_params INTO salt, params
      FROM public.users u WHERE u.email = lower(btrim(p_email)) AND u.password_verifier IS NOT NULL;
    IF salt IS NULL THEN
        SELECT substring(sha256(s.value || convert_to(lower(btrim(coalesce(p_email, ''))), 'UTF8'))
                         FROM 1 FOR 16)
          INTO salt FROM public.ils_secrets s WHERE s.name = 'unknown_account_salt';
        params := '{UNKNOWN_ACCOUNT_PARAMS}'::jsonb;
    END IF;
END
$$;

-- A password record a client made: refused unless its cost is at least the minimum.
CREATE FUNCTION ils_check_password_record(p_salt bytea, p_params jsonb, p_verifier bytea) RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF p_salt IS NULL OR length(p_salt) NOT BETWEEN 16 AND 64
       OR p_verifier IS NULL OR length(p_verifier) <> 32
       OR p_params IS NULL OR jsonb_typeof(p_params) <> 'object'
       OR p_params ->> 'alg' IS DISTINCT FROM 'argon2id'
       OR (p_params ->> 'v') IS DISTINCT FROM '19'
       OR coalesce((p_params ->> 'm') ~ '^[0-9]{{1,8}}$', false) IS NOT TRUE
       OR coalesce((p_params ->> 't') ~ '^[0-9]{{1,2}}$', false) IS NOT TRUE
       OR coalesce((p_params ->> 'p') ~ '^[0-9]{{1,2}}$', false) IS NOT TRUE
       OR coalesce((p_params ->> 'len') ~ '^[0-9]{{1,3}}$', false) IS NOT TRUE
       OR (p_params ->> 'm')::integer NOT BETWEEN 19456 AND 4194304
       OR (p_params ->> 't')::integer NOT BETWEEN 2 AND 20
       OR (p_params ->> 'p')::integer NOT BETWEEN 1 AND 16
       OR (p_params ->> 'len')::integer NOT BETWEEN 16 AND 64 THEN
        RAISE EXCEPTION 'the password record is not acceptable' USING ERRCODE = 'check_violation';
    END IF;
END
$$;

-- One wrong password for an account: counted, and the account locked once it reaches the
-- practice's limit (its sessions end with it). While locked, nothing more is counted.
CREATE FUNCTION ils_count_failed_password(p_company uuid, p_user uuid) RETURNS void
LANGUAGE plpgsql VOLATILE {DEFINER}
AS $$
DECLARE
    max_failures integer := ils_setting_int(p_company, 'security.max_failed_sign_ins', 5, 3, 20);
    lock_minutes integer := ils_setting_int(p_company, 'security.lockout_minutes', 15, 1, 1440);
    now_locked boolean;
BEGIN
    UPDATE public.users u
       SET failed_login_count = u.failed_login_count + 1,
           locked_until = CASE WHEN u.failed_login_count + 1 >= max_failures
                               THEN now() + make_interval(mins => lock_minutes) ELSE u.locked_until END
     WHERE u.company_id = p_company AND u.id = p_user
       AND (u.locked_until IS NULL OR u.locked_until <= now())
    RETURNING u.locked_until > now() INTO now_locked;
    IF now_locked THEN
        UPDATE public.sessions s SET ended_at = now(), end_reason = 'locked_out'
         WHERE s.company_id = p_company AND s.user_id = p_user AND s.ended_at IS NULL;
    END IF;
END
$$;

-- Signing in. Nothing about the account is told until the password has been verified: an
-- unknown email, a wrong password, a suspended and a locked account all answer 'wrong' until then.
CREATE FUNCTION ils_sign_in(p_email text, p_proof bytea, p_workstation text, p_app_version text,
                            OUT outcome text, OUT session_token text, OUT session_id uuid,
                            OUT company_id uuid, OUT user_id uuid, OUT locked_until timestamptz)
LANGUAGE plpgsql VOLATILE {DEFINER}
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
    UPDATE public.users u SET failed_login_count = 0, locked_until = NULL, last_login_at = now()
     WHERE u.company_id = account.company_id AND u.id = account.id;
    outcome := 'ok';
    company_id := account.company_id;
    user_id := account.id;
END
$$;

-- A password checked inside a signed-in session, for a member of the same practice: unlocking
-- an idle workstation, a manager approving at the till. Failures count as at sign-in.
CREATE FUNCTION ils_check_password(p_email text, p_proof bytea,
                                   OUT outcome text, OUT user_id uuid, OUT locked_until timestamptz)
LANGUAGE plpgsql VOLATILE {DEFINER}
AS $$
#variable_conflict use_column
DECLARE
    current_company uuid := (SELECT v.company_id FROM ils_verified_session() v);
    account record;
BEGIN
    outcome := 'wrong';
    IF current_company IS NULL THEN
        PERFORM ils_session_ended('not signed in');
    END IF;
    SELECT u.company_id, u.id, u.status, u.password_verifier, u.locked_until INTO account
      FROM public.users u WHERE u.email = lower(btrim(p_email)) AND u.company_id = current_company
       FOR UPDATE;
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
    IF account.status <> 'active' THEN
        outcome := 'inactive';
    ELSIF account.locked_until IS NOT NULL AND account.locked_until > now() THEN
        outcome := 'locked';
        locked_until := account.locked_until;
    ELSE
        UPDATE public.users u SET failed_login_count = 0
         WHERE u.company_id = account.company_id AND u.id = account.id;
        outcome := 'ok';
        user_id := account.id;
    END IF;
END
$$;

CREATE FUNCTION ils_sign_out(p_reason text) RETURNS void
LANGUAGE sql VOLATILE {DEFINER}
AS $$
  UPDATE public.sessions s SET ended_at = now(),
         end_reason = CASE WHEN p_reason IN ('signed_out', 'app_closed', 'idle', 'switch_user')
                           THEN p_reason ELSE 'signed_out' END
   WHERE s.id = (SELECT v.session_id FROM ils_verified_session() v)
     AND s.company_id = (SELECT v.company_id FROM ils_verified_session() v)
$$;

-- Whether the session's user holds a permission now (roles, extra roles, per-user overrides).
CREATE FUNCTION ils_session_can(p_permission text) RETURNS boolean
LANGUAGE sql STABLE {DEFINER}
AS $$
  WITH me AS (
      SELECT u.company_id, u.id, u.role FROM public.users u
        JOIN ils_verified_session() v ON v.company_id = u.company_id AND v.user_id = u.id
       WHERE u.status = 'active'),
  my_roles AS (
      SELECT me.role FROM me
      UNION SELECT r.role FROM public.user_roles r JOIN me ON r.company_id = me.company_id AND r.user_id = me.id)
  SELECT EXISTS (SELECT 1 FROM me) AND coalesce(
      (SELECT o.granted FROM public.user_custom_permissions o JOIN me
          ON o.company_id = me.company_id AND o.user_id = me.id WHERE o.permission_code = p_permission),
      EXISTS (SELECT 1 FROM public.role_permissions rp JOIN me ON rp.company_id = me.company_id
               WHERE rp.permission_code = p_permission AND rp.role IN (SELECT role FROM my_roles)))
$$;

CREATE FUNCTION ils_require(p_permission text) RETURNS uuid
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    current_company uuid := (SELECT v.company_id FROM ils_verified_session() v);
BEGIN
    IF current_company IS NULL THEN
        PERFORM ils_session_ended('not signed in');
    END IF;
    IF NOT ils_session_can(p_permission) THEN
        RAISE EXCEPTION 'ILS permission needed: %', p_permission USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN current_company;
END
$$;

CREATE FUNCTION ils_end_user_sessions(p_company uuid, p_user uuid, p_reason text) RETURNS void
LANGUAGE sql VOLATILE {DEFINER}
AS $$
  UPDATE public.sessions s SET ended_at = now(), end_reason = p_reason
   WHERE s.company_id = p_company AND s.user_id = p_user AND s.ended_at IS NULL
     AND s.id IS DISTINCT FROM (SELECT v.session_id FROM ils_verified_session() v)
$$;

CREATE FUNCTION ils_add_user(p_id uuid, p_email text, p_first_name text, p_last_name text, p_role text,
                             p_enhanced_role text, p_goc_number text, p_extra_roles text[],
                             p_salt bytea, p_params jsonb, p_verifier bytea, p_must_change boolean)
RETURNS uuid
LANGUAGE plpgsql VOLATILE {DEFINER}
AS $$
DECLARE
    current_company uuid := ils_require('users.manage');
BEGIN
    PERFORM ils_check_password_record(p_salt, p_params, p_verifier);
    INSERT INTO public.users (company_id, id, email, first_name, last_name, role, enhanced_role, goc_number,
                              password_salt, password_params, password_verifier, must_change_password,
                              password_changed_at)
    VALUES (current_company, p_id, lower(btrim(p_email)), p_first_name, p_last_name, p_role, p_enhanced_role,
            p_goc_number, p_salt, p_params, p_verifier, coalesce(p_must_change, true), now());
    INSERT INTO public.user_roles (company_id, user_id, role)
    SELECT DISTINCT current_company, p_id, r FROM unnest(coalesce(p_extra_roles, '{{}}')) r WHERE r <> p_role;
    RETURN p_id;
END
$$;

-- Changing a member of staff. The practice always keeps an active administrator; someone who
-- stops being active is signed out everywhere.
CREATE FUNCTION ils_update_user(p_id uuid, p_first_name text, p_last_name text, p_role text, p_status text,
                                p_goc_number text, p_enhanced_role text, p_extra_roles text[])
RETURNS void
LANGUAGE plpgsql VOLATILE {DEFINER}
AS $$
DECLARE
    current_company uuid := ils_require('users.manage');
    before record;
BEGIN
    SELECT u.role, u.status INTO before FROM public.users u
     WHERE u.company_id = current_company AND u.id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ILS no such user' USING ERRCODE = 'no_data_found';
    END IF;
    IF before.role = 'admin' AND before.status = 'active' AND (p_role <> 'admin' OR p_status <> 'active')
       AND NOT EXISTS (SELECT 1 FROM public.users o WHERE o.company_id = current_company AND o.id <> p_id
                         AND o.role = 'admin' AND o.status = 'active') THEN
        RAISE EXCEPTION 'ILS last administrator' USING ERRCODE = 'check_violation';
    END IF;
    UPDATE public.users u SET first_name = p_first_name, last_name = p_last_name, role = p_role,
           status = p_status, goc_number = p_goc_number, enhanced_role = p_enhanced_role, updated_at = now()
     WHERE u.company_id = current_company AND u.id = p_id;
    DELETE FROM public.user_roles r WHERE r.company_id = current_company AND r.user_id = p_id
       AND (r.role <> ALL (coalesce(p_extra_roles, '{{}}')) OR r.role = p_role);
    INSERT INTO public.user_roles (company_id, user_id, role)
    SELECT DISTINCT current_company, p_id, r FROM unnest(coalesce(p_extra_roles, '{{}}')) r WHERE r <> p_role
    ON CONFLICT DO NOTHING;
    IF p_status <> 'active' THEN
        PERFORM ils_end_user_sessions(current_company, p_id, 'account_' || p_status);
    END IF;
END
$$;

-- A manager sets a temporary password: to be changed at next sign-in; any lock is cleared and the
-- person is signed out everywhere else.
CREATE FUNCTION ils_set_password(p_user uuid, p_salt bytea, p_params jsonb, p_verifier bytea) RETURNS void
LANGUAGE plpgsql VOLATILE {DEFINER}
AS $$
DECLARE
    current_company uuid := ils_require('users.manage');
BEGIN
    PERFORM ils_check_password_record(p_salt, p_params, p_verifier);
    UPDATE public.users u SET password_salt = p_salt, password_params = p_params, password_verifier = p_verifier,
           must_change_password = true, password_changed_at = now(), failed_login_count = 0,
           locked_until = NULL, updated_at = now()
     WHERE u.company_id = current_company AND u.id = p_user;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ILS no such user' USING ERRCODE = 'no_data_found';
    END IF;
    PERFORM ils_end_user_sessions(current_company, p_user, 'password_reset');
END
$$;

CREATE FUNCTION ils_change_own_password(p_current_proof bytea, p_salt bytea, p_params jsonb,
                                        p_verifier bytea) RETURNS text
LANGUAGE plpgsql VOLATILE {DEFINER}
AS $$
DECLARE
    me record;
BEGIN
    SELECT v.company_id, v.user_id INTO me FROM ils_verified_session() v;
    IF NOT FOUND THEN
        PERFORM ils_session_ended('not signed in');
    END IF;
    PERFORM ils_check_password_record(p_salt, p_params, p_verifier);
    IF NOT EXISTS (SELECT 1 FROM public.users u WHERE u.company_id = me.company_id AND u.id = me.user_id
                      AND u.password_verifier = sha256(p_current_proof)) THEN
        PERFORM ils_count_failed_password(me.company_id, me.user_id);
        RETURN 'wrong';
    END IF;
    UPDATE public.users u SET password_salt = p_salt, password_params = p_params, password_verifier = p_verifier,
           must_change_password = false, password_changed_at = now(), failed_login_count = 0, updated_at = now()
     WHERE u.company_id = me.company_id AND u.id = me.user_id;
    PERFORM ils_end_user_sessions(me.company_id, me.user_id, 'password_changed');
    RETURN 'ok';
END
$$;

CREATE FUNCTION ils_unlock_user(p_user uuid) RETURNS void
LANGUAGE plpgsql VOLATILE {DEFINER}
AS $$
DECLARE
    current_company uuid := ils_require('users.manage');
BEGIN
    UPDATE public.users u SET failed_login_count = 0, locked_until = NULL, updated_at = now()
     WHERE u.company_id = current_company AND u.id = p_user;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ILS no such user' USING ERRCODE = 'no_data_found';
    END IF;
END
$$;

CREATE FUNCTION ils_end_session(p_session uuid) RETURNS void
LANGUAGE plpgsql VOLATILE {DEFINER}
AS $$
DECLARE
    current_company uuid := ils_require('users.manage');
BEGIN
    UPDATE public.sessions s SET ended_at = now(), end_reason = 'ended_by_manager'
     WHERE s.company_id = current_company AND s.id = p_session AND s.ended_at IS NULL;
END
$$;

-- The background service (`ils-desktop devices serve`) signs in once, as a practice, not as a
-- person: a manager who may manage equipment starts it; it lasts a year or until ended.
CREATE FUNCTION ils_start_service_session(p_workstation text, p_app_version text,
                                          OUT session_token text, OUT session_id uuid)
LANGUAGE plpgsql VOLATILE {DEFINER}
AS $$
#variable_conflict use_column
DECLARE
    current_company uuid := ils_require('equipment.manage');
BEGIN
    session_token := ils_new_session_token();
    INSERT INTO public.sessions AS s (company_id, id, user_id, kind, workstation, app_version, token_hash,
                                      expires_at, created_by)
    VALUES (current_company, gen_random_uuid(), NULL, 'service', left(coalesce(p_workstation, ''), 200),
            left(coalesce(p_app_version, ''), 50), sha256(convert_to(session_token, 'UTF8')),
            now() + interval '365 days', (SELECT v.user_id FROM ils_verified_session() v))
    RETURNING s.id INTO session_id;
END
$$;

CREATE FUNCTION ils_set_role_permissions(p_role text, p_codes text[]) RETURNS void
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

-- A practice setting. Security settings are kept within the bounds the app offers.
CREATE FUNCTION ils_put_setting(p_key text, p_value jsonb) RETURNS void
LANGUAGE plpgsql VOLATILE {DEFINER}
AS $$
DECLARE
    current_company uuid := ils_require('settings.manage');
    bounds constant jsonb := '{{"security.idle_lock_minutes": [1, 240], "security.max_failed_sign_ins": [3, 20],
                               "security.lockout_minutes": [1, 1440], "security.session_hours": [1, 24]}}';
BEGIN
    IF p_key IS NULL OR p_key !~ '^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)+$' OR length(p_key) > 100
       OR p_value IS NULL OR length(p_value::text) > 65536 THEN
        RAISE EXCEPTION 'ILS setting not acceptable' USING ERRCODE = 'check_violation';
    END IF;
    IF bounds ? p_key AND (jsonb_typeof(p_value) <> 'number'
            OR p_value::numeric <> trunc(p_value::numeric)
            OR p_value::numeric NOT BETWEEN (bounds -> p_key ->> 0)::numeric AND (bounds -> p_key ->> 1)::numeric)
    THEN
        RAISE EXCEPTION 'ILS setting out of range: %', p_key USING ERRCODE = 'check_violation';
    END IF;
    INSERT INTO public.organization_settings AS o (company_id, key, value, updated_at)
    VALUES (current_company, p_key, p_value, now())
    ON CONFLICT (company_id, key) DO UPDATE SET value = excluded.value, updated_at = now();
END
$$;

-- First run: while the database has no company, register the practice, its role permissions,
-- settings and first administrator, and sign the administrator in.
CREATE FUNCTION ils_register_first_practice(
    p_company_id uuid, p_name text, p_type text, p_goc text, p_ods text, p_address jsonb, p_phone text,
    p_email text, p_admin_id uuid, p_admin_email text, p_first_name text, p_last_name text,
    p_salt bytea, p_params jsonb, p_verifier bytea, p_role_permissions jsonb, p_settings jsonb,
    p_workstation text, p_app_version text,
    OUT session_token text, OUT session_id uuid)
LANGUAGE plpgsql VOLATILE {DEFINER}
AS $$
#variable_conflict use_column
DECLARE
    role_name text;
    codes jsonb;
BEGIN
    -- Serialise concurrent first runs on two workstations.
    PERFORM pg_advisory_xact_lock(hashtext('ils_register_first_practice'));
    IF EXISTS (SELECT 1 FROM public.companies) THEN
        RAISE EXCEPTION 'this database already has a practice registered' USING ERRCODE = 'unique_violation';
    END IF;
    PERFORM ils_check_password_record(p_salt, p_params, p_verifier);
    INSERT INTO public.companies (id, name, company_type, goc_number, ods_code, address, phone, email)
    VALUES (p_company_id, p_name, p_type, p_goc, p_ods, coalesce(p_address, '{{}}'), p_phone, p_email);
    FOR role_name, codes IN SELECT * FROM jsonb_each(coalesce(p_role_permissions, '{{}}')) LOOP
        INSERT INTO public.role_permissions (company_id, role, permission_code)
        SELECT p_company_id, role_name, c FROM jsonb_array_elements_text(codes) c;
    END LOOP;
    INSERT INTO public.organization_settings (company_id, key, value)
    SELECT p_company_id, s.key, s.value FROM jsonb_each(coalesce(p_settings, '{{}}')) s;
    INSERT INTO public.users (company_id, id, email, first_name, last_name, role, password_salt, password_params,
                              password_verifier, password_changed_at, last_login_at)
    VALUES (p_company_id, p_admin_id, lower(btrim(p_admin_email)), p_first_name, p_last_name, 'admin', p_salt,
            p_params, p_verifier, now(), now());
    session_token := ils_new_session_token();
    INSERT INTO public.sessions AS s (company_id, id, user_id, kind, workstation, app_version, token_hash,
                                      expires_at)
    VALUES (p_company_id, gen_random_uuid(), p_admin_id, 'workstation', left(coalesce(p_workstation, ''), 200),
            left(coalesce(p_app_version, ''), 50), sha256(convert_to(session_token, 'UTF8')),
            now() + make_interval(hours => ils_setting_int(p_company_id, 'security.session_hours', 12, 1, 24)))
    RETURNING s.id INTO session_id;
END
$$;
"""

#: Functions the application role may call (everything else it reaches is a table under RLS).
APP_FUNCTIONS = (
    "ils_bind_session(text)",
    "ils_password_salt(text)",
    "ils_sign_in(text, bytea, text, text)",
    "ils_check_password(text, bytea)",
    "ils_sign_out(text)",
    "ils_session_can(text)",
    "ils_add_user(uuid, text, text, text, text, text, text, text[], bytea, jsonb, bytea, boolean)",
    "ils_update_user(uuid, text, text, text, text, text, text, text[])",
    "ils_set_password(uuid, bytea, jsonb, bytea)",
    "ils_change_own_password(bytea, bytea, jsonb, bytea)",
    "ils_unlock_user(uuid)",
    "ils_end_session(uuid)",
    "ils_start_service_session(text, text)",
    "ils_set_role_permissions(text, text[])",
    "ils_put_setting(text, jsonb)",
    "ils_register_first_practice(uuid, text, text, text, text, jsonb, text, text, uuid, text, text, text, "
    "bytea, jsonb, bytea, jsonb, jsonb, text, text)",
)
#: Run as ils_auth, which bypasses row-level security (it must find an account before any company is
#: known); each checks the session or the password itself.
AUTH_OWNED = (
    "ils_verified_session()",
    "ils_bind_session(text)",
    "ils_setting_int(uuid, text, integer, integer, integer)",
    "ils_password_salt(text)",
    "ils_count_failed_password(uuid, uuid)",
    "ils_sign_in(text, bytea, text, text)",
    "ils_check_password(text, bytea)",
    "ils_sign_out(text)",
    "ils_session_can(text)",
    "ils_end_user_sessions(uuid, uuid, text)",
    "ils_add_user(uuid, text, text, text, text, text, text, text[], bytea, jsonb, bytea, boolean)",
    "ils_update_user(uuid, text, text, text, text, text, text, text[])",
    "ils_set_password(uuid, bytea, jsonb, bytea)",
    "ils_change_own_password(bytea, bytea, jsonb, bytea)",
    "ils_unlock_user(uuid)",
    "ils_end_session(uuid)",
    "ils_start_service_session(text, text)",
    "ils_set_role_permissions(text, text[])",
    "ils_put_setting(text, jsonb)",
    "ils_register_first_practice(uuid, text, text, text, text, jsonb, text, text, uuid, text, text, text, "
    "bytea, jsonb, bytea, jsonb, jsonb, text, text)",
    # The audit trigger writes the trail of a row in that row's company: it must reach the trail even
    # when the change was made by one of the functions above, before a session exists.
    "ils_audit_row()",
)

# The raw hash inside a PHC string is unpadded standard base64; PostgreSQL's decoder wants padding.
_PHC_B64 = "rpad({part}, (length({part}) + 3) / 4 * 4, '=')"
CONVERT_HASHES = f"""
DO $$
DECLARE
    company uuid;
BEGIN
    FOR company IN SELECT id FROM companies LOOP
        PERFORM set_config('app.company_id', company::text, true);
        UPDATE users SET
            password_salt = decode({_PHC_B64.format(part="split_part(password_hash, '$', 5)")}, 'base64'),
            password_verifier = sha256(decode({_PHC_B64.format(part="split_part(password_hash, '$', 6)")},
                                              'base64')),
            password_params = jsonb_build_object(
                'alg', 'argon2id', 'v', 19,
                'm', substring(split_part(password_hash, '$', 4) FROM 'm=([0-9]+)')::integer,
                't', substring(split_part(password_hash, '$', 4) FROM 't=([0-9]+)')::integer,
                'p', substring(split_part(password_hash, '$', 4) FROM 'p=([0-9]+)')::integer,
                'len', length(decode({_PHC_B64.format(part="split_part(password_hash, '$', 6)")}, 'base64')))
         WHERE company_id = company AND password_hash LIKE '$argon2id$v=19$%';
        UPDATE sessions SET ended_at = now(), end_reason = 'upgraded' WHERE company_id = company AND ended_at IS NULL;
    END LOOP;
    PERFORM set_config('app.company_id', '', true);
END
$$;
"""

#: What the application role keeps of users and sessions: everything but the secrets.
USER_COLUMNS = (
    "company_id, id, email, first_name, last_name, role, enhanced_role, status, goc_number, "
    "must_change_password, password_changed_at, failed_login_count, locked_until, last_login_at, "
    "created_at, updated_at"
)
SESSION_COLUMNS = (
    "company_id, id, user_id, kind, workstation, app_version, started_at, ended_at, end_reason, expires_at, "
    "created_by"
)
COMPANY_PROFILE_COLUMNS = "name, goc_number, ods_code, vat_number, address, phone, email, branding, updated_at"


POLICIES_EVALUATED_ONCE = """
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN SELECT tablename FROM pg_policies WHERE schemaname = 'public' AND policyname = 'tenant_isolation' LOOP
        EXECUTE format('ALTER POLICY tenant_isolation ON %I USING (company_id = (SELECT ils_current_company())) '
                       'WITH CHECK (company_id = (SELECT ils_current_company()))', t);
    END LOOP;
END
$$;
"""


def upgrade() -> None:
    # --- accounts: a salt, a cost and the SHA-256 of the proof instead of a PHC hash ----------------
    op.execute("ALTER TABLE users ADD COLUMN password_salt bytea, ADD COLUMN password_params jsonb, "
               "ADD COLUMN password_verifier bytea")
    op.execute("ALTER TABLE sessions ALTER COLUMN user_id DROP NOT NULL, "
               "ADD COLUMN kind text NOT NULL DEFAULT 'workstation', ADD COLUMN token_hash bytea, "
               "ADD COLUMN expires_at timestamptz, ADD COLUMN created_by uuid")
    op.execute(CONVERT_HASHES)
    op.execute("ALTER TABLE users DROP COLUMN password_hash")
    op.execute("UPDATE sessions SET expires_at = coalesce(ended_at, started_at) WHERE expires_at IS NULL")
    op.execute("ALTER TABLE sessions ALTER COLUMN expires_at SET NOT NULL, "
               "ADD CONSTRAINT ck_sessions_kind CHECK (kind IN ('workstation', 'service')), "
               "ADD CONSTRAINT ck_sessions_person CHECK ((kind = 'workstation') = (user_id IS NOT NULL)), "
               "ADD CONSTRAINT fk_sessions_company_id_created_by_users FOREIGN KEY (company_id, created_by) "
               "REFERENCES users (company_id, id)")
    op.execute("CREATE UNIQUE INDEX uq_sessions_token_hash ON sessions (token_hash)")
    # The audit trail must never hold a secret: the new columns are recorded as "(changed)" only.
    op.execute("CREATE OR REPLACE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON users FOR EACH ROW "
               "EXECUTE FUNCTION ils_audit_row('company_id,id', "
               "'password_salt,password_params,password_verifier', '')")
    op.execute("CREATE OR REPLACE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON sessions FOR EACH ROW "
               "EXECUTE FUNCTION ils_audit_row('company_id,id', 'token_hash', '')")

    # --- the verified session and the functions that act on accounts --------------------------------
    op.execute(SECURITY_SQL)
    op.execute(f"GRANT SELECT ON ils_secrets TO {AUTH}")
    for table, privileges in (
        ("users", "SELECT, INSERT, UPDATE"), ("user_roles", "SELECT, INSERT, DELETE"),
        ("role_permissions", "SELECT, INSERT, DELETE"), ("user_custom_permissions", "SELECT"),
        ("sessions", "SELECT, INSERT, UPDATE"), ("organization_settings", "SELECT, INSERT, UPDATE"),
        ("companies", "SELECT, INSERT"), ("permissions", "SELECT"),
        ("audit_logs", "INSERT"), ("audit_chain_heads", "SELECT, INSERT, UPDATE"),
    ):
        op.execute(f"GRANT {privileges} ON {table} TO {AUTH}")
    op.execute(f"REVOKE ALL ON users FROM {AUTH}")  # the column grant of the old sign-in lookup
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON users TO {AUTH}")
    for function in AUTH_OWNED:
        op.execute(f"ALTER FUNCTION {function} OWNER TO {AUTH}")
    op.execute("DROP FUNCTION ils_sign_in_lookup(text)")
    op.execute("DROP FUNCTION ils_register_first_company(uuid, text, text, text, text, jsonb, text, text)")
    for function in ("ils_verified_session()", "ils_bind_session(text)", "ils_session_ended(text)",
                     "ils_setting_int(uuid, text, integer, integer, integer)", "ils_new_session_token()",
                     "ils_password_salt(text)", "ils_check_password_record(bytea, jsonb, bytea)",
                     "ils_count_failed_password(uuid, uuid)", "ils_require(text)",
                     "ils_end_user_sessions(uuid, uuid, text)", *APP_FUNCTIONS):
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
    for function in APP_FUNCTIONS:
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {APP}")
    # Policies and definer functions call these on the application role's behalf.
    for function in ("ils_verified_session()", "ils_session_ended(text)", "ils_require(text)"):
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {APP}, {AUTH}")
    op.execute(f"GRANT EXECUTE ON FUNCTION ils_setting_int(uuid, text, integer, integer, integer), "
               f"ils_new_session_token(), ils_check_password_record(bytea, jsonb, bytea), "
               f"ils_count_failed_password(uuid, uuid), ils_end_user_sessions(uuid, uuid, text) TO {AUTH}")

    # --- least privilege for the application role ---------------------------------------------------
    op.execute(f"REVOKE ALL ON users, user_roles, role_permissions, user_custom_permissions, sessions, "
               f"organization_settings, companies FROM {APP}")
    op.execute(f"GRANT SELECT ({USER_COLUMNS}) ON users TO {APP}")
    op.execute(f"GRANT SELECT ({SESSION_COLUMNS}) ON sessions TO {APP}")
    op.execute(f"GRANT SELECT ON user_roles, role_permissions, user_custom_permissions, organization_settings, "
               f"companies TO {APP}")
    op.execute(f"GRANT UPDATE ({COMPANY_PROFILE_COLUMNS}) ON companies TO {APP}")
    op.execute("DROP POLICY companies_update_own ON companies")
    op.execute("CREATE POLICY companies_update_own ON companies FOR UPDATE "
               "USING (id = (SELECT ils_current_company()) AND ils_session_can('settings.manage')) "
               "WITH CHECK (id = (SELECT ils_current_company()))")
    op.execute(f"GRANT EXECUTE ON FUNCTION ils_session_can(text) TO {APP}")

    # --- every tenant policy evaluates the session once per statement (an InitPlan), not per row ----
    op.execute(POLICIES_EVALUATED_ONCE)


def downgrade() -> None:
    """Back to 0006's shape. Passwords cannot be turned back into PHC hashes: every account gets an
    unusable hash and must be given a new password by someone with direct database access."""
    op.execute("""
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN SELECT tablename FROM pg_policies WHERE schemaname = 'public' AND policyname = 'tenant_isolation' LOOP
        EXECUTE format('ALTER POLICY tenant_isolation ON %I USING (company_id = ils_current_company()) '
                       'WITH CHECK (company_id = ils_current_company())', t);
    END LOOP;
END
$$""")
    op.execute("DROP POLICY companies_update_own ON companies")
    op.execute("CREATE POLICY companies_update_own ON companies FOR UPDATE "
               "USING (id = ils_current_company()) WITH CHECK (id = ils_current_company())")
    for function in reversed(AUTH_OWNED[:-1]):
        op.execute(f"DROP FUNCTION {function}")
    op.execute(f"ALTER FUNCTION ils_audit_row() OWNER TO {OWNER}")
    for function in ("ils_new_session_token()", "ils_check_password_record(bytea, jsonb, bytea)",
                     "ils_require(text)", "ils_session_ended(text)"):
        op.execute(f"DROP FUNCTION {function}")
    op.execute(ddl.CURRENT_COMPANY_FUNCTION)
    op.execute(ddl.CURRENT_USER_FUNCTION)
    op.execute("DROP TABLE ils_secrets")
    op.execute("ALTER TABLE users ADD COLUMN password_hash text NOT NULL DEFAULT '!'")
    op.execute("ALTER TABLE users ALTER COLUMN password_hash DROP DEFAULT")
    op.execute("ALTER TABLE users DROP COLUMN password_salt, DROP COLUMN password_params, "
               "DROP COLUMN password_verifier")
    op.execute("DELETE FROM sessions WHERE user_id IS NULL")
    op.execute("DROP INDEX uq_sessions_token_hash")
    op.execute("ALTER TABLE sessions DROP CONSTRAINT fk_sessions_company_id_created_by_users, "
               "DROP COLUMN created_by, DROP COLUMN expires_at, DROP COLUMN token_hash, DROP COLUMN kind, "
               "ALTER COLUMN user_id SET NOT NULL")
    op.execute(ddl.attach_audit("users", "company_id,id", redacted="password_hash").replace(
        "CREATE TRIGGER", "CREATE OR REPLACE TRIGGER"))
    op.execute(ddl.attach_audit("sessions", "company_id,id").replace("CREATE TRIGGER", "CREATE OR REPLACE TRIGGER"))
    op.execute(f"REVOKE ALL ON users, user_roles, role_permissions, user_custom_permissions, sessions, "
               f"organization_settings, companies, permissions, audit_logs, audit_chain_heads FROM {AUTH}")
    op.execute(ddl.SIGN_IN_LOOKUP_FUNCTION)
    op.execute(f"GRANT SELECT (company_id, id, email) ON users TO {AUTH}")
    op.execute(f"ALTER FUNCTION ils_sign_in_lookup(text) OWNER TO {AUTH}")
    op.execute("REVOKE ALL ON FUNCTION ils_sign_in_lookup(text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION ils_sign_in_lookup(text) TO {APP}")
    op.execute(ddl.REGISTER_FIRST_COMPANY_FUNCTION)
    signature = "ils_register_first_company(uuid, text, text, text, text, jsonb, text, text)"
    op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {APP}")
    op.execute(f"REVOKE ALL ON users, sessions, companies FROM {APP}")
    for table, privileges in (
        ("companies", "SELECT, UPDATE"), ("users", "SELECT, INSERT, UPDATE"), ("user_roles", "SELECT, INSERT, DELETE"),
        ("role_permissions", "SELECT, INSERT, DELETE"), ("user_custom_permissions", "SELECT, INSERT, UPDATE, DELETE"),
        ("sessions", "SELECT, INSERT, UPDATE"), ("organization_settings", "SELECT, INSERT, UPDATE"),
    ):
        op.execute(ddl.grant_app(table, privileges))
