"""How the examination's JSON blocks hold their values: numbers as strings, blanks as null.

Every block's ``to_json`` / ``from_json`` goes through these, so a value reads back exactly as it
was written (``-1.25`` stays ``-1.25``, never a float) and a half-filled block never raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from zoneinfo import ZoneInfo

LONDON: Final = ZoneInfo("Europe/London")
"""The practice's clock: what a date on the record means."""
EYES: Final = ("R", "L")


def decimal_from(value: object) -> Decimal | None:
    """A Decimal from a JSON value (string, int, float as its shortest text) or None; never raises
    for ``None``/blank, ``ValueError`` for anything that is not a number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    text = repr(value) if isinstance(value, float) else str(value).strip()
    try:
        number = Decimal(text.replace("+", "", 1) if text.startswith("+") else text)
    except InvalidOperation:
        raise ValueError(f"'{value}' is not a number") from None
    if not number.is_finite():
        raise ValueError(f"'{value}' is not a number")
    return number


def int_from(value: object) -> int | None:
    """An int from a JSON value (``180``, ``"180"``, ``180.0``) or None."""
    number = decimal_from(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise ValueError(f"'{value}' is not a whole number")
    return int(number)


def signed_text(value: Decimal | None) -> str | None:
    """A power for the JSON: explicit sign, two decimals (``-1.25``, ``+2.00``)."""
    return None if value is None else f"{value:+.2f}"


def plain_text(value: Decimal | None, places: int = 2) -> str | None:
    """An unsigned quantity for the JSON (prism ``0.50``, PD ``63.0``, radius ``7.76``)."""
    if value is None:
        return None
    return f"{value:.{places}f}"


def text_of(value: object) -> str | None:
    """Stripped text, None when blank."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def bool_of(value: object) -> bool | None:
    return None if value is None else bool(value)


def mapping_of(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def number_text(value: Decimal) -> str:
    """A number as written by hand: ``1.5``, ``15`` (no trailing zeros, no exponent)."""
    return format(value.normalize(), "f")
