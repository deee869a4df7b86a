"""A small stocked practice for the inventory tests (the till's shop plus locations and costs)."""

from __future__ import annotations

import pytest

from tests.till_setup import Shop, open_shop


@pytest.fixture
def shop(database, owner_engine, practice) -> Shop:  # type: ignore[no-untyped-def]
    return open_shop(database, owner_engine, practice)
