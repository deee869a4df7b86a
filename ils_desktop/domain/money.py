"""Money for ILS Desktop: pounds sterling held as ``decimal.Decimal``, never ``float``.

Amounts are Decimals with two places (pennies). Floats are refused with ``TypeError`` everywhere,
because binary floating point cannot hold 0.10 exactly and VAT figures must agree to the penny.

Display rule: ``format_money`` writes ``£1,234.50``; a negative amount (a refund) is written with an
ASCII hyphen-minus before the pound sign, ``-£3.00``. The hyphen-minus is used instead of the
typographic minus "−" because every receipt printer and PDF font has it and ``parse_money`` reads it
back; ``parse_money`` also accepts "−" when a user types or pastes one.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final, TypeAlias

PENNY: Final = Decimal("0.01")
"""One penny: the quantum every money amount is rounded to."""

CURRENCY_SYMBOL: Final = "£"
NEGATIVE_SIGN: Final = "-"
"""The sign ``format_money`` puts before the pound sign of a negative amount."""

MoneyInput: TypeAlias = Decimal | int
"""What the money functions accept: a Decimal or an int (whole pounds); never a float."""

_MONEY_TEXT = re.compile(
    r"""
    ^(?P<sign_before>-)?\s*
    £?\s*
    (?P<sign_after>-)?\s*
    (?P<pounds>\d[\d,]*)?
    (?:\.(?P<pence>\d*))?$
    """,
    re.VERBOSE | re.ASCII,
)
_GROUPED_POUNDS = re.compile(r"^\d{1,3}(?:,\d{3})*$", re.ASCII)
_EXAMPLES = "e.g. £12.50, 12.5 or 1,234.00"


def as_decimal(value: MoneyInput, *, what: str = "amount") -> Decimal:
    """Return ``value`` as a finite Decimal; refuse floats and other types (``TypeError``).

    ``what`` names the value in error messages ("gross", "discount", ...).
    """
    if isinstance(value, float):
        raise TypeError(f"{what} must be a Decimal, not a float ({value!r}); use Decimal('...')")
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{what} must be a Decimal or int, not {type(value).__name__} ({value!r})")
    result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"{what} must be a finite number, not {value}")
    return result


def to_pennies(value: MoneyInput) -> Decimal:
    """Round ``value`` to the penny, half-up (a half penny goes away from zero, so -0.005 → -0.01).

    A result of minus zero (-0.001 → -0.00) is returned as 0.00.
    """
    return as_decimal(value).quantize(PENNY, rounding=ROUND_HALF_UP) + 0


def require_pennies(value: MoneyInput, *, what: str = "amount") -> Decimal:
    """Return ``value`` with two places, or raise ``ValueError`` if it holds a fraction of a penny.

    Used where silently rounding would hide a mistake (a price of 9.999 is a bug, not 10.00).
    """
    amount = as_decimal(value, what=what)
    pennies = amount.quantize(PENNY, rounding=ROUND_HALF_UP)
    if pennies != amount:
        raise ValueError(f"{what} must be a whole number of pennies, got {amount}; round it with to_pennies")
    return pennies


def parse_money(text: str, *, allow_negative: bool = False) -> Decimal:
    """Read an amount typed by a user: "£12.50", "12.5", "1,234.00", " £ 7 " → Decimal with 2 places.

    A leading "-" (or "−") makes the amount negative, and is accepted only with
    ``allow_negative=True`` (refunds). More than two decimal places, misplaced thousands separators
    and anything else raise ``ValueError`` with a message fit to show the user.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_money reads text, not {type(text).__name__} ({text!r})")
    shown = text.strip()
    match = _MONEY_TEXT.match(shown.replace("−", "-"))
    if not shown:
        raise ValueError(f"Enter an amount, {_EXAMPLES}.")
    if match is None or (match["sign_before"] and match["sign_after"]):
        raise ValueError(f"{shown!r} is not an amount of money; expected {_EXAMPLES}.")
    pounds, pence = match["pounds"] or "", match["pence"] or ""
    if not (pounds or pence):
        raise ValueError(f"{shown!r} is not an amount of money; expected {_EXAMPLES}.")
    if "," in pounds and not _GROUPED_POUNDS.match(pounds):
        raise ValueError(f"{shown!r}: commas must separate thousands, e.g. 1,234.00.")
    if len(pence) > 2:
        raise ValueError(f"{shown!r} has more than two decimal places; amounts are in pennies.")
    try:
        amount = Decimal(f"{pounds.replace(',', '') or '0'}.{pence or '0'}").quantize(PENNY)
    except InvalidOperation:
        raise ValueError(f"{shown!r} is too large an amount.") from None
    if match["sign_before"] or match["sign_after"]:
        if amount and not allow_negative:
            raise ValueError(f"{shown!r}: a negative amount is not allowed here.")
        amount = -amount
    return amount + 0  # + 0 turns minus zero into 0.00


def format_money(value: MoneyInput) -> str:
    """Show an amount as "£1,234.50", negatives as "-£3.00" (hyphen-minus), rounded half-up first."""
    amount = to_pennies(value)
    sign = NEGATIVE_SIGN if amount < 0 else ""
    return f"{sign}{CURRENCY_SYMBOL}{abs(amount):,.2f}"
