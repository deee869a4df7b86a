"""As the application role, company A cannot touch company B's rows — even with hand-written SQL
that forgets the company filter, and whatever it sets: only a session the database verified
decides the company. (The attack suite in ``tests/security`` tries far more.)"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ils_desktop.domain.tenant import TenantContext
from ils_desktop.errors import SessionEnded
from tests.sessions import signed


def _as(database, practice):
    return database.unit_of_work(signed(practice.company_id, practice.admin_id))


def _preference(database, practice, key: str) -> None:
    with _as(database, practice) as uow:
        uow.settings.set_preference(practice.admin_id, key, "mine")
        uow.commit()


def test_select_without_filter_sees_only_own_rows(database, practice, other_practice):
    with _as(database, practice) as uow:
        companies_of_users = set(uow.session.execute(text("SELECT company_id FROM users")).scalars())
        emails = set(uow.session.execute(text("SELECT email FROM users")).scalars())
        settings = set(uow.session.execute(text("SELECT company_id FROM organization_settings")).scalars())
        audit = set(uow.session.execute(text("SELECT company_id FROM audit_logs")).scalars())
    assert companies_of_users == {practice.company_id}
    assert other_practice.admin_email not in emails
    assert settings == {practice.company_id}
    assert audit == {practice.company_id}


def test_update_and_delete_of_other_company_rows_touch_nothing(database, practice, other_practice):
    _preference(database, other_practice, "theme")
    with _as(database, practice) as uow:
        updated = uow.session.execute(
            text("UPDATE user_preferences SET value = '\"hacked\"' WHERE user_id = :id"),
            {"id": other_practice.admin_id},
        ).rowcount
        deleted = uow.session.execute(
            text("DELETE FROM user_preferences WHERE company_id = :c"), {"c": other_practice.company_id}
        ).rowcount
        company_updated = uow.session.execute(
            text("UPDATE companies SET name = 'Hacked' WHERE id = :c"), {"c": other_practice.company_id}
        ).rowcount
        uow.commit()
    assert (updated, deleted, company_updated) == (0, 0, 0)
    with _as(database, other_practice) as uow:
        assert uow.settings.preference(other_practice.admin_id, "theme") == "mine"
        assert "Hacked" not in uow.companies.current().name


def test_insert_into_other_company_is_refused(database, practice, other_practice):
    with _as(database, practice) as uow, pytest.raises(DBAPIError, match="row-level security"):
        uow.session.execute(
            text("INSERT INTO user_preferences (company_id, user_id, key, value) VALUES (:c, :u, 'x', '1')"),
            {"c": other_practice.company_id, "u": other_practice.admin_id},
        )


def test_moving_a_row_into_another_company_is_refused(database, practice, other_practice):
    _preference(database, practice, "layout")
    with _as(database, practice) as uow, pytest.raises(DBAPIError, match=r"row-level security|foreign key"):
        uow.session.execute(
            text("UPDATE user_preferences SET company_id = :other"), {"other": other_practice.company_id},
        )


def test_no_session_means_no_rows_whatever_the_client_sets(database, practice):
    with database.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM users")).scalar_one() == 0
        connection.execute(text("SELECT set_config('app.company_id', :c, false), set_config('app.user_id', :u, false)"),
                           {"c": str(practice.company_id), "u": str(practice.admin_id)})
        assert connection.execute(text("SELECT count(*) FROM users")).scalar_one() == 0
        with pytest.raises(DBAPIError, match="row-level security"):
            connection.execute(
                text("INSERT INTO user_preferences (company_id, user_id, key, value) VALUES (:c, :u, 'x', '1')"),
                {"c": practice.company_id, "u": practice.admin_id},
            )


def test_the_session_does_not_leak_to_the_next_transaction(database, practice):
    context = signed(practice.company_id, practice.admin_id)
    with database.connect() as connection:
        connection.exec_driver_sql("BEGIN")
        connection.execute(text("SELECT ils_bind_session(:t)"), {"t": context.session_token})
        assert connection.execute(text("SELECT count(*) FROM users")).scalar_one() >= 1
        connection.exec_driver_sql("COMMIT")
        assert connection.execute(text("SELECT count(*) FROM users")).scalar_one() == 0


def test_work_without_a_signed_in_session_is_refused_before_it_starts(database, practice):
    with pytest.raises(SessionEnded):
        database.unit_of_work(TenantContext(practice.company_id, practice.admin_id))


def test_a_repository_cannot_be_built_without_a_tenant_context(database):
    from ils_desktop.repositories.users import UserRepository

    with pytest.raises(TypeError):
        UserRepository(None, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        database.unit_of_work({"company_id": uuid.uuid4()})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        TenantContext(company_id="not-a-uuid")  # type: ignore[arg-type]
