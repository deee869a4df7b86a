"""A small stocked practice for the inventory tests (the till's shop plus locations and costs)."""

from __future__ import annotations

import pytest

from tests.till_setup import Shop, give_practice_letterhead, open_shop


@pytest.fixture
def shop(database, owner_engine, practice) -> Shop:  # type: ignore[no-untyped-def]
    give_practice_letterhead(owner_engine, practice.company_id)
    return open_shop(database, owner_engine, practice)
