"""How the audit trail's list says what changed: in the practice's words, to the second when the
minute is the same, and named by what identifies the row."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from ils_desktop.services.audit_trail import AuditEntry
from ils_desktop.ui.screens.audit_trail import TABLE_WORDS, describe_change


@pytest.fixture(autouse=True)
def london_time():  # type: ignore[no-untyped-def]
    """The list shows local time; pin it so the expected text does not depend on the machine."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/London"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def _entry(action: str, old: dict[str, Any] | None, new: dict[str, Any] | None, table: str = "users") -> AuditEntry:
    return AuditEntry(1, datetime(2026, 12, 1, 12, tzinfo=UTC), None, "John Saunders", table, action, {}, old, new)


@pytest.mark.parametrize(("entry", "shown"), [
    (_entry("UPDATE", {"last_login_at": "2026-12-01T20:22:20+00:00"}, {"last_login_at": "2026-12-01T20:22:26+00:00"}),
     "last_login_at: 01 Dec 2026 20:22:20 → 01 Dec 2026 20:22:26"),  # same minute: to the second
    (_entry("UPDATE", {"last_login_at": "2026-12-01T09:00:00+00:00"}, {"last_login_at": "2026-12-01T10:30:05+00:00"}),
     "last_login_at: 01 Dec 2026 09:00 → 01 Dec 2026 10:30"),
    (_entry("UPDATE", {"mobile_phone": None}, {"mobile_phone": "07700 900123"}, "patients"),
     "mobile_phone: — → 07700 900123"),
    (_entry("INSERT", None, {"first_name": "Ada", "last_name": "Lovelace", "email": None}, "patients"),
     "last_name: Lovelace"),  # a missing email does not name the row
    (_entry("INSERT", None, {"number": 1042, "total": "120.00"}, "pos_transactions"), "number: 1042"),
    (_entry("DELETE", {"workstation": "vm"}, None, "sessions"), "workstation: vm"),
    (_entry("INSERT", None, {"on_hand": 3}, "stock_levels"), ""),
])
def test_what_changed_is_said_in_one_line(entry: AuditEntry, shown: str) -> None:
    assert describe_change(entry) == shown


def test_every_audited_table_has_a_name_in_the_practices_words(owner_engine) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with owner_engine.connect() as connection:
        audited = set(connection.execute(text(
            "SELECT DISTINCT event_object_table FROM information_schema.triggers WHERE trigger_name = 'audit_row'"
        )).scalars())
    assert audited and audited <= set(TABLE_WORDS), sorted(audited - set(TABLE_WORDS))
