"""The examples in the integrators' docstrings stay true (run as doctests)."""

from __future__ import annotations

import doctest

import pytest

from ils_desktop.domain.dispensing import tolerances


@pytest.mark.parametrize("module", [tolerances])
def test_docstring_examples(module: object) -> None:
    result = doctest.testmod(module, raise_on_error=False)  # type: ignore[arg-type]
    assert result.attempted >= 3
    assert result.failed == 0
