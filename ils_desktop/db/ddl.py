"""SQL that the migrations use to enforce tenancy and the audit trail in PostgreSQL itself.

Migrations call these helpers, so they are part of the schema's history: never change what an
existing helper emits; add a new helper (or a new function version) instead.
"""

from __future__ import annotations

OWNER_ROLE = "ils_owner"
APP_ROLE = "ils_app"
#: A NOLOGIN role with BYPASSRLS that owns only the sign-in lookup function.
AUTH_ROLE = "ils_auth"

# 0001's definitions, kept as history: since 0007 both functions take the company and user from the
# verified session (``app.session_token``), and only an owner-role login may name them by setting.
CURRENT_COMPANY_FUNCTION = """
CREATE OR REPLACE FUNCTION ils_current_company() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT nullif(current_setting('app.company_id', true), '')::uuid $$;
"""

CURRENT_USER_FUNCTION = """
CREATE OR REPLACE FUNCTION ils_current_user() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;
"""

# The canonical text an audit row's hash covers. `ils_audit_hash_input` is used both by the
# trigger and by `audit verify` (which recomputes the hash in Python from this text), so the
# rendering of jsonb and timestamps is PostgreSQL's own and cannot drift between the two.
AUDIT_HASH_INPUT_FUNCTION = """
CREATE OR REPLACE FUNCTION ils_audit_hash_input(
    p_company uuid, p_seq bigint, p_table text, p_action text, p_row_key jsonb,
    p_old jsonb, p_new jsonb, p_user uuid, p_at timestamptz, p_prev text
) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
  SELECT p_company::text || '|' || p_seq::text || '|' || p_table || '|' || p_action || '|'
      || p_row_key::text || '|' || coalesce(p_old::text, '') || '|' || coalesce(p_new::text, '')
      || '|' || coalesce(p_user::text, '') || '|'
      || to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
      || '|' || coalesce(p_prev, '')
$$;
"""

AUDIT_ROW_FUNCTION = """
CREATE OR REPLACE FUNCTION ils_audit_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
    pk_columns text[] := string_to_array(TG_ARGV[0], ',');
    redacted text[] := coalesce(string_to_array(nullif(TG_ARGV[1], ''), ','), '{}'::text[]);
    company_column text := coalesce(nullif(TG_ARGV[2], ''), 'company_id');
    full_old jsonb;
    full_new jsonb;
    old_values jsonb;
    new_values jsonb;
    source jsonb;
    key jsonb := '{}'::jsonb;
    col text;
    company uuid;
    actor uuid := ils_current_user();
    at timestamptz := clock_timestamp();
    next_seq bigint;
    prev text;
    digest text;
BEGIN
    IF TG_OP <> 'INSERT' THEN full_old := to_jsonb(OLD); END IF;
    IF TG_OP <> 'DELETE' THEN full_new := to_jsonb(NEW); END IF;

    IF TG_OP = 'UPDATE' THEN
        -- Only what changed; a redacted column that changed shows as changed, never its value.
        SELECT jsonb_object_agg(n.key, CASE WHEN n.key = ANY (redacted) THEN '"(changed)"'::jsonb
                                            ELSE n.value END),
               jsonb_object_agg(n.key, CASE WHEN n.key = ANY (redacted) THEN '"(hidden)"'::jsonb
                                            ELSE full_old -> n.key END)
          INTO new_values, old_values
          FROM jsonb_each(full_new) AS n
         WHERE (full_old -> n.key) IS DISTINCT FROM n.value
           AND n.key NOT IN ('updated_at');
        IF new_values IS NULL THEN
            RETURN NULL;  -- nothing but a timestamp changed: nothing to record
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        new_values := full_new - redacted;
    ELSE
        old_values := full_old - redacted;
    END IF;

    source := coalesce(full_new, full_old);
    FOREACH col IN ARRAY pk_columns LOOP
        key := key || jsonb_build_object(col, source -> col);
    END LOOP;
    company := (source ->> company_column)::uuid;

    -- The head row lock queues concurrent writers of one company, keeping the chain linear.
    INSERT INTO audit_chain_heads AS h (company_id, last_seq, last_hash)
    VALUES (company, 1, NULL)
    ON CONFLICT (company_id) DO UPDATE SET last_seq = h.last_seq + 1
    RETURNING h.last_seq, h.last_hash INTO next_seq, prev;

    digest := encode(sha256(convert_to(ils_audit_hash_input(
        company, next_seq, TG_TABLE_NAME, TG_OP, key, old_values, new_values, actor, at, prev),
        'UTF8')), 'hex');

    INSERT INTO audit_logs (company_id, seq, user_id, table_name, row_key, action, old_values,
                            new_values, occurred_at, transaction_id, prev_hash, row_hash)
    VALUES (company, next_seq, actor, TG_TABLE_NAME, key, TG_OP, old_values, new_values, at,
            txid_current(), prev, digest);

    UPDATE audit_chain_heads SET last_hash = digest WHERE company_id = company;
    RETURN NULL;
END
$$;
"""

AUDIT_APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION ils_audit_append_only() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on audit_logs is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

# Sign-in must find a user before a company is known. This function is owned by AUTH_ROLE
# (BYPASSRLS, SELECT on four columns only) and returns nothing but the keys for one email.
SIGN_IN_LOOKUP_FUNCTION = """
CREATE OR REPLACE FUNCTION ils_sign_in_lookup(p_email text)
RETURNS TABLE (company_id uuid, user_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT u.company_id, u.id FROM users u WHERE u.email = lower(btrim(p_email)) $$;
"""

# First run: a practice may be registered from the app only while the database has no company.
REGISTER_FIRST_COMPANY_FUNCTION = """
CREATE OR REPLACE FUNCTION ils_register_first_company(
    p_id uuid, p_name text, p_type text, p_goc text, p_ods text, p_address jsonb, p_phone text, p_email text
) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
BEGIN
    -- Serialise concurrent first runs on two workstations.
    LOCK TABLE companies IN SHARE ROW EXCLUSIVE MODE;
    IF EXISTS (SELECT 1 FROM companies) THEN
        RAISE EXCEPTION 'this database already has a practice registered'
            USING ERRCODE = 'unique_violation';
    END IF;
    PERFORM set_config('app.company_id', p_id::text, true);
    INSERT INTO companies (id, name, company_type, goc_number, ods_code, address, phone, email)
    VALUES (p_id, p_name, p_type, p_goc, p_ods, p_address, p_phone, p_email);
    RETURN p_id;
END
$$;
"""


# unaccent() is only STABLE (its dictionary could change), so it cannot feed a generated column
# directly; naming the dictionary explicitly makes the wrapper safe to declare IMMUTABLE.
SEARCH_TEXT_FUNCTION = """
CREATE OR REPLACE FUNCTION ils_search_text(p text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT lower(regexp_replace(public.unaccent('public.unaccent'::regdictionary, p), '\\s+', ' ', 'g')) $$;
"""

FINALISED_EXAM_FUNCTION = """
CREATE OR REPLACE FUNCTION ils_finalised_exam_is_read_only() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF OLD.status = 'finalised' THEN
        RAISE EXCEPTION 'a finalised examination cannot be changed: add an addendum instead'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
"""


def enable_tenancy(table: str) -> list[str]:
    """Row-level security on a tenant table: enabled, forced, one policy on app.company_id.

    Used by migrations 0001–0006; 0007 rewrote their policies. New tables use
    ``enable_verified_tenancy``."""
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} "
        "USING (company_id = ils_current_company()) "
        "WITH CHECK (company_id = ils_current_company())",
    ]


def enable_verified_tenancy(table: str) -> list[str]:
    """Row-level security on a tenant table: enabled, forced, one policy on the company of the
    verified session. ``(SELECT ils_current_company())`` is an InitPlan: the session is looked up
    once per statement, not once per row."""
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} "
        "USING (company_id = (SELECT ils_current_company())) "
        "WITH CHECK (company_id = (SELECT ils_current_company()))",
    ]


def attach_audit(table: str, key_columns: str, *, redacted: str = "", company_column: str = "") -> str:
    """The row-level trigger that records every insert, update and delete of ``table``."""
    return (
        f"CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION ils_audit_row('{key_columns}', '{redacted}', "
        f"'{company_column}')"
    )


def grant_app(table: str, privileges: str) -> str:
    return f"GRANT {privileges} ON {table} TO {APP_ROLE}"
