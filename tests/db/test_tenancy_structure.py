"""Every table in the metadata is either on the short shared allow-list or a proper tenant table.

It walks ``Base.metadata``, so a table added by any later migration is checked automatically.
"""

from __future__ import annotations

import pytest
from sqlalchemy import ForeignKeyConstraint, text

import ils_desktop.models  # noqa: F401
from ils_desktop.models.base import SHARED_TABLES, SYSTEM_TABLES, Base

TENANT_TABLES = sorted(set(Base.metadata.tables) - SHARED_TABLES - SYSTEM_TABLES)
#: Tables the audit trigger itself writes (auditing them would recurse), and the checkpoints of
#: the trail (signed records about it, checked against it by ``audit verify``).
NOT_AUDITED = {"audit_logs", "audit_chain_heads", "audit_checkpoints"}


def test_the_shared_allow_list_is_short_and_exists():
    assert len(SHARED_TABLES) <= 4
    assert set(Base.metadata.tables) >= SHARED_TABLES


@pytest.mark.parametrize("table_name", TENANT_TABLES)
def test_tenant_table_keys_start_with_company_id(table_name):
    table = Base.metadata.tables[table_name]
    assert "company_id" in table.c, f"{table_name} has no company_id"
    pk = [c.name for c in table.primary_key.columns]
    assert pk[0] == "company_id", f"{table_name} primary key {pk} does not start with company_id"
    for fk in table.constraints:
        if not isinstance(fk, ForeignKeyConstraint):
            continue
        referred = fk.referred_table.name
        if referred in SHARED_TABLES:
            continue
        local = [c.name for c in fk.columns]
        remote = [e.column.name for e in fk.elements]
        assert "company_id" in local and remote[local.index("company_id")] == "company_id", (
            f"{table_name} -> {referred} foreign key {local} does not carry company_id"
        )


@pytest.mark.parametrize("table_name", TENANT_TABLES)
def test_tenant_table_has_forced_row_level_security_and_a_policy(database, table_name):
    with database.engine.connect() as connection:
        rls = connection.execute(
            text("SELECT relrowsecurity, relforcerowsecurity FROM pg_class "
                 "WHERE oid = to_regclass(:t)"), {"t": f"public.{table_name}"}
        ).one()
        policies = connection.execute(
            text("SELECT qual, with_check FROM pg_policies WHERE tablename = :t"), {"t": table_name}
        ).all()
        audited = connection.execute(
            text("SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass(:t) "
                 "AND tgname = 'audit_row'"), {"t": f"public.{table_name}"}
        ).scalar_one()
    assert rls.relrowsecurity, f"{table_name}: row-level security not enabled"
    assert rls.relforcerowsecurity, f"{table_name}: row-level security not forced"
    assert policies, f"{table_name}: no policy"
    for qual, with_check in policies:
        # A read-only sharing policy (a lab reading the jobs addressed to it) has no WITH CHECK.
        assert "ils_current_company()" in qual and (with_check is None or "ils_current_company()" in with_check)
    assert any(with_check for _, with_check in policies), f"{table_name}: no policy checks what is written"
    if table_name not in NOT_AUDITED:
        assert audited == 1, f"{table_name}: no audit trigger"


def test_application_role_cannot_bypass_row_level_security(database):
    with database.engine.connect() as connection:
        row = connection.execute(
            text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        ).one()
        owns_tables = connection.execute(
            text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user")
        ).scalar_one()
    assert not row.rolsuper and not row.rolbypassrls
    assert owns_tables == 0
