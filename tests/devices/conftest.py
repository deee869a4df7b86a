"""Shared helpers for the device-layer tests.

The sample device files live in ``tests/fixtures/devices`` (its README says what each one holds).
"""

from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "devices"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    assert FIXTURES_DIR.is_dir(), f"device fixtures not found at {FIXTURES_DIR}"
    return FIXTURES_DIR


@pytest.fixture(scope="session")
def fixture_bytes(fixtures_dir: Path) -> Callable[[str], bytes]:
    def read(name: str) -> bytes:
        return (fixtures_dir / name).read_bytes()

    return read
