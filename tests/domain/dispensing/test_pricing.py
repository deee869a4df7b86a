"""Deposit and balance on an order (Decimal pounds)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ils_desktop.domain.dispensing import balance_due, suggested_deposit

D = Decimal


@pytest.mark.parametrize(("price", "share", "deposit"), [
    ("249.00", None, "125.00"),  # 124.50 rounds half-up to the pound
    ("199.00", None, "100.00"),
    ("198.00", None, "99.00"),
    ("0.00", None, "0.00"),
    ("0.80", None, "0.00"),  # 0.40 rounds to £0
    ("1.50", None, "1.00"),  # 0.75 rounds up to £1
    ("0.60", "1", "0.60"),  # rounding up never asks for more than the price
    ("120.00", "0.25", "30.00"),
    ("120.00", "1", "120.00"),
    ("120.00", "0", "0.00"),
])
def test_suggested_deposit(price: str, share: str | None, deposit: str) -> None:
    args = (D(price),) if share is None else (D(price), D(share))
    assert suggested_deposit(*args) == D(deposit)


@pytest.mark.parametrize(("price", "paid", "balance"), [
    ("249.00", "125.00", "124.00"),
    ("249.00", "0.00", "249.00"),
    ("249.00", "249.00", "0.00"),
])
def test_balance_due(price: str, paid: str, balance: str) -> None:
    assert balance_due(D(price), D(paid)) == D(balance)


@pytest.mark.parametrize(("price", "paid", "error", "message"), [
    ("100.00", "100.01", ValueError, "is more than the price"),
    ("100.00", "-1.00", ValueError, "cannot be negative"),
    ("100.005", "0", ValueError, "whole number of pennies"),
    (100.0, "0", TypeError, "float"),
])
def test_balance_due_refuses(price: object, paid: str, error: type[Exception], message: str) -> None:
    amount = price if isinstance(price, float) else D(str(price))
    with pytest.raises(error, match=message):
        balance_due(amount, D(paid))  # type: ignore[arg-type]
