"""Create the database and its three roles on a PostgreSQL server (needs a superuser once).

Used by the embedded server on first start, by ``ils-desktop db provision`` for a practice
server, and by the test suite. Safe to run again: it only adds what is missing.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from ils_desktop.db.ddl import APP_ROLE, AUTH_ROLE, OWNER_ROLE

#: pg_trgm's operator functions (``%``, ``<%``, ``%>``, ``<<%``, ``%>>`` on text). Row-level
#: security lets the planner use an index for a condition only if the condition's functions are
#: LEAKPROOF; otherwise patient search reads every row of the practice (120 ms instead of 10 ms
#: at 20,000 patients per practice, see bench/patient_search.py). These functions compare two
#: strings and return a boolean; they raise no error that depends on the row, so they reveal
#: nothing about rows the policy hides. Marking them needs a superuser, hence here.
TRIGRAM_OPERATOR_FUNCTIONS = (
    "similarity_op(text, text)",
    "word_similarity_op(text, text)",
    "word_similarity_commutator_op(text, text)",
    "strict_word_similarity_op(text, text)",
    "strict_word_similarity_commutator_op(text, text)",
)


#: The triggers that write and protect the audit trail, and the function each must run.
AUDIT_TRIGGERS = {
    "audit_row": "ils_audit_row",
    "audit_truncate": "ils_audit_refuse_truncate",
    "append_only": "ils_audit_append_only",
    "append_only_truncate": "ils_audit_append_only",
}

# The owner role owns the tables, so PostgreSQL lets it disable, replace or drop their triggers —
# and with the audit triggers off, change rows without a trace. An event trigger (only a
# superuser can make or remove one) refuses that for everyone but a superuser: after any DDL
# command the audit triggers must be enabled and run their own function, and none may be dropped
# while its table stays. Migrations replace the functions' bodies, which this cannot tell from
# tampering; ``audit verify`` compares every row with its trail and finds what changed unrecorded.
_GUARDED = ", ".join(f"'{name}'" for name in AUDIT_TRIGGERS)
AUDIT_TRIGGER_GUARD = f"""
CREATE OR REPLACE FUNCTION ils_guard_audit_triggers() RETURNS event_trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    bad text;
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) THEN
        RETURN;
    END IF;
    SELECT format('%s on %s', t.tgname, t.tgrelid::regclass) INTO bad
      FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
     WHERE t.tgname IN ({_GUARDED})
       AND (t.tgenabled NOT IN ('O', 'A')
            OR p.proname <> CASE t.tgname WHEN 'audit_row' THEN 'ils_audit_row'
                                          WHEN 'audit_truncate' THEN 'ils_audit_refuse_truncate'
                                          ELSE 'ils_audit_append_only' END)
     LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'the audit trigger % must stay enabled and unchanged', bad
            USING ERRCODE = 'insufficient_privilege';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION ils_guard_audit_trigger_drops() RETURNS event_trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    dropped record;
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) THEN
        RETURN;
    END IF;
    FOR dropped IN SELECT * FROM pg_event_trigger_dropped_objects() LOOP
        IF dropped.object_type = 'trigger' AND dropped.original
           AND split_part(dropped.object_identity, ' on ', 1) IN ({_GUARDED}) THEN
            RAISE EXCEPTION 'the audit trigger % cannot be dropped', dropped.object_identity
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END LOOP;
END
$$;
"""


def _role_exists(cur: psycopg.Cursor, role: str) -> bool:
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
    return cur.fetchone() is not None


def provision(
    superuser_conninfo: str,
    database: str,
    *,
    owner_password: str | None = None,
    app_password: str | None = None,
) -> None:
    """Ensure roles ``ils_owner`` (owns the schema), ``ils_app`` (workstations), ``ils_auth``
    (owns the sign-in lookup) and the database owned by ``ils_owner`` exist."""
    with psycopg.connect(superuser_conninfo, autocommit=True) as conn, conn.cursor() as cur:
        for role, password, attributes in (
            (OWNER_ROLE, owner_password, "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS"),
            (APP_ROLE, app_password, "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS"),
            (AUTH_ROLE, None, "NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE BYPASSRLS"),
        ):
            verb = "ALTER" if _role_exists(cur, role) else "CREATE"
            statement = sql.SQL("{} ROLE {} " + attributes).format(sql.SQL(verb), sql.Identifier(role))
            if password is not None:
                statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(password))
            cur.execute(statement)
        # The owner must be able to hand the sign-in function to ils_auth.
        cur.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(AUTH_ROLE), sql.Identifier(OWNER_ROLE)))
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        if cur.fetchone() is None:
            cur.execute(
                sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8' TEMPLATE template0").format(
                    sql.Identifier(database), sql.Identifier(OWNER_ROLE)
                )
            )
        cur.execute(
            sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database))
        )
        # Workstations connect and nothing more: no temporary tables or functions of their own.
        cur.execute(
            sql.SQL("REVOKE TEMPORARY ON DATABASE {} FROM {}").format(
                sql.Identifier(database), sql.Identifier(APP_ROLE)
            )
        )
        cur.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                sql.Identifier(database), sql.Identifier(APP_ROLE)
            )
        )
    # Inside the new database: the owner owns the public schema, nobody else may create in it.
    target = psycopg.conninfo.make_conninfo(superuser_conninfo, dbname=database)
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(OWNER_ROLE)))
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        # ils_auth must be able to own the sign-in function (ALTER FUNCTION ... OWNER needs CREATE).
        conn.execute(sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(sql.Identifier(AUTH_ROLE)))
        # Patient search under row-level security (see TRIGRAM_OPERATOR_FUNCTIONS).
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for function in TRIGRAM_OPERATOR_FUNCTIONS:
            conn.execute(f"ALTER FUNCTION {function} LEAKPROOF")
        # The audit trail's triggers stay on: refused for everyone but a superuser (see below).
        conn.execute(AUDIT_TRIGGER_GUARD)
        for name, event, function in (("ils_keep_audit_triggers_on", "ddl_command_end", "ils_guard_audit_triggers"),
                                       ("ils_keep_audit_triggers", "sql_drop", "ils_guard_audit_trigger_drops")):
            exists = conn.execute("SELECT 1 FROM pg_event_trigger WHERE evtname = %s", (name,)).fetchone()
            if exists is None:
                conn.execute(sql.SQL("CREATE EVENT TRIGGER {} ON {} EXECUTE FUNCTION {}()").format(
                    sql.Identifier(name), sql.SQL(event), sql.Identifier(function)))
