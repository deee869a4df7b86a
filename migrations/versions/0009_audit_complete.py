"""An audit trail that proves it is complete: every column in the hash, TRUNCATE refused, and
signed checkpoints of each company's chain.

- ``hash_version`` 2 hashes every column of an entry, ``transaction_id`` and the version included
  (version 1 left the transaction out). Entries written before this revision keep version 1 and
  are checked as they were written.
- TRUNCATE of an audited table is refused by a statement trigger: it would remove rows without a
  row-level trigger seeing them. (The application role has no TRUNCATE privilege at all; this
  stops the owner.) ``db provision`` adds an event trigger that refuses disabling or dropping any
  of these triggers.
- ``audit_checkpoints`` keeps each checkpoint taken by ``ils-desktop audit verify`` or the audit
  trail screen: the chain's length and head, signed with a key in the checkpointing computer's OS
  keyring. The same checkpoints are written to a file outside the database; ``audit verify``
  compares the chain with both, so truncating, rewinding or rehashing the chain is caught.

Revision ID: 0009_audit_complete
Revises: 0008_device_input
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

from ils_desktop.db import ddl

revision: str = "0009_audit_complete"
down_revision: str | None = "0008_device_input"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HASH_INPUT_V2 = """
CREATE FUNCTION ils_audit_hash_input_v2(
    p_company uuid, p_seq bigint, p_table text, p_action text, p_row_key jsonb, p_old jsonb, p_new jsonb,
    p_user uuid, p_at timestamptz, p_transaction bigint, p_version smallint, p_prev text
) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
  SELECT 'v' || p_version::text || '|' || p_company::text || '|' || p_seq::text || '|' || p_table || '|'
      || p_action || '|' || p_row_key::text || '|' || coalesce(p_old::text, '') || '|'
      || coalesce(p_new::text, '') || '|' || coalesce(p_user::text, '') || '|'
      || to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '|'
      || p_transaction::text || '|' || coalesce(p_prev, '')
$$;
"""

# As 0001's, but writing version 2: the transaction id and the version are hashed too.
AUDIT_ROW_V2 = """
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
    transaction bigint := txid_current();
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

    digest := encode(sha256(convert_to(ils_audit_hash_input_v2(
        company, next_seq, TG_TABLE_NAME, TG_OP, key, old_values, new_values, actor, at, transaction,
        2::smallint, prev), 'UTF8')), 'hex');

    INSERT INTO audit_logs (company_id, seq, user_id, table_name, row_key, action, old_values,
                            new_values, occurred_at, transaction_id, hash_version, prev_hash, row_hash)
    VALUES (company, next_seq, actor, TG_TABLE_NAME, key, TG_OP, old_values, new_values, at,
            transaction, 2, prev, digest);

    UPDATE audit_chain_heads SET last_hash = digest WHERE company_id = company;
    RETURN NULL;
END
$$;
"""

REFUSE_TRUNCATE = """
CREATE FUNCTION ils_audit_refuse_truncate() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION 'TRUNCATE of % is not allowed: the audit trail would not record the rows removed',
        TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

# Every table that has the row-level audit trigger gets the TRUNCATE guard.
GUARD_TRUNCATE = """
DO $$
DECLARE
    t regclass;
BEGIN
    FOR t IN SELECT tgrelid::regclass FROM pg_trigger WHERE tgname = 'audit_row' LOOP
        EXECUTE format('CREATE TRIGGER audit_truncate BEFORE TRUNCATE ON %s '
                       'FOR EACH STATEMENT EXECUTE FUNCTION ils_audit_refuse_truncate()', t);
    END LOOP;
END
$$;
"""


def upgrade() -> None:
    op.add_column("audit_logs", sa.Column("hash_version", sa.SmallInteger(), server_default="1", nullable=False))
    op.execute(HASH_INPUT_V2)
    op.execute(AUDIT_ROW_V2)
    op.execute(REFUSE_TRUNCATE)
    op.execute(GUARD_TRUNCATE)

    op.create_table(
        "audit_checkpoints",
        sa.Column("company_id", UUID(as_uuid=True), sa.ForeignKey("companies.id"),
                  server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.Text(), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.Text(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("company_id", "id"),
    )
    for statement in ddl.enable_verified_tenancy("audit_checkpoints"):
        op.execute(statement)
    op.execute(ddl.grant_app("audit_checkpoints", "SELECT, INSERT"))


def downgrade() -> None:
    op.drop_table("audit_checkpoints")
    op.execute("""
DO $$
DECLARE
    t regclass;
BEGIN
    FOR t IN SELECT tgrelid::regclass FROM pg_trigger WHERE tgname = 'audit_truncate' LOOP
        EXECUTE format('DROP TRIGGER audit_truncate ON %s', t);
    END LOOP;
END
$$""")
    op.execute("DROP FUNCTION ils_audit_refuse_truncate()")
    op.execute(ddl.AUDIT_ROW_FUNCTION)
    op.execute("DROP FUNCTION ils_audit_hash_input_v2(uuid, bigint, text, text, jsonb, jsonb, jsonb, uuid, "
               "timestamptz, bigint, smallint, text)")
    op.drop_column("audit_logs", "hash_version")
