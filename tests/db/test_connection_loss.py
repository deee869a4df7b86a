"""The app survives the database dropping connections under it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ils_desktop.errors import ConnectionLost
from tests.sessions import signed


def _kill_my_backend(uow, superuser) -> None:  # type: ignore[no-untyped-def]
    pid = uow.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    superuser.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_safe_work_is_retried_once_on_a_new_connection(database, practice, superuser):
    context = signed(practice.company_id, practice.admin_id)
    attempts = []

    def work(uow):  # type: ignore[no-untyped-def]
        attempts.append(1)
        if len(attempts) == 1:
            _kill_my_backend(uow, superuser)
        return uow.session.execute(text("SELECT count(*) FROM users")).scalar_one()

    assert database.run(context, work, retry_safe=True) >= 1
    assert len(attempts) == 2


def test_unsafe_work_is_not_repeated_and_says_so_plainly(database, practice, superuser):
    context = signed(practice.company_id, practice.admin_id)
    attempts = []

    def work(uow):  # type: ignore[no-untyped-def]
        attempts.append(1)
        uow.settings.put("test.unsafe", 1)
        _kill_my_backend(uow, superuser)
        uow.commit()

    with pytest.raises(ConnectionLost, match="not confirmed"):
        database.run(context, work)
    assert len(attempts) == 1
    with database.unit_of_work(context) as uow:  # nothing half-saved, and the pool recovered
        assert uow.settings.get("test.unsafe") is None


def test_idle_connections_killed_by_a_server_restart_are_replaced(database, practice, superuser):
    context = signed(practice.company_id, practice.admin_id)
    database.run(context, lambda uow: uow.users.list())
    superuser.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'ils_app' "
        "AND datname = current_database()")
    assert database.ping()
    assert database.run(context, lambda uow: len(uow.users.list())) >= 1
