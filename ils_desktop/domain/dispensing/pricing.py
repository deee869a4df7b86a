"""Deposit and balance on a spectacle order (Decimal pounds; see ``domain.money``).

Practice default, not a legal rule: many practices take a deposit when the order is placed because
spectacles are made to the patient's prescription and cannot be resold. The suggested deposit is a
share of the price (50% unless the practice sets another share), rounded half-up to a whole pound,
never more than the price. The balance is taken at collection through the till.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from ils_desktop.domain.money import MoneyInput, as_decimal, require_pennies

DEFAULT_DEPOSIT_SHARE: Final = Decimal("0.50")
"""Share of the order price suggested as a deposit (practice setting)."""

WHOLE_POUND: Final = Decimal("1")


def suggested_deposit(price: MoneyInput, share: MoneyInput = DEFAULT_DEPOSIT_SHARE,
                      round_to: MoneyInput = WHOLE_POUND) -> Decimal:
    """``share`` of ``price`` rounded half-up to a multiple of ``round_to`` (a pound), at most the price.

    ``suggested_deposit(Decimal("249.00"))`` → ``Decimal("125.00")``; ``share`` 0 gives 0.00.
    """
    amount = require_pennies(price, what="price")
    fraction = as_decimal(share, what="deposit share")
    step = as_decimal(round_to, what="rounding step")
    if amount < 0:
        raise ValueError("the price cannot be negative")
    if not 0 <= fraction <= 1:
        raise ValueError(f"the deposit share must be between 0 and 1, not {fraction}")
    if step <= 0:
        raise ValueError("the rounding step must be positive")
    rounded = (amount * fraction / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
    return min(rounded, amount).quantize(Decimal("0.01"))


def balance_due(price: MoneyInput, deposit_paid: MoneyInput) -> Decimal:
    """What is left to pay at collection: price − deposit paid (both to the penny).

    ``ValueError`` when the deposit is negative or more than the price (a refund is a return, not a
    negative balance).
    """
    amount = require_pennies(price, what="price")
    deposit = require_pennies(deposit_paid, what="deposit")
    if deposit < 0:
        raise ValueError("the deposit paid cannot be negative")
    if deposit > amount:
        raise ValueError(f"the deposit paid ({deposit}) is more than the price ({amount})")
    return amount - deposit
