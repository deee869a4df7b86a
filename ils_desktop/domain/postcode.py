"""UK postcodes.

Format per the Royal Mail / BS 7666 pattern: an outward code (area letters, district digits,
optional letter) and an inward code (digit + two letters), e.g. ``SW1A 1AA``, ``M1 1AE``,
``B33 8TH``, ``CR2 6XH``, ``DN55 1PT``, ``EC1A 1BB``; plus the special ``GIR 0AA``. This checks the
shape, not that the postcode exists (that needs the Postcode Address File).
"""

from __future__ import annotations

import re

_POSTCODE = re.compile(
    r"^(GIR ?0AA|[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPS-UW]|[A-HK-Y][0-9][ABEHMNPRV-Y])"
    r" ?[0-9][ABD-HJLNP-UW-Z]{2})$"
)


def normalise_postcode(text: str) -> str:
    """Upper case with one space before the inward code: ``sw1a1aa`` → ``SW1A 1AA``."""
    compact = re.sub(r"\s+", "", text).upper()
    if len(compact) < 5:
        return compact
    return f"{compact[:-3]} {compact[-3:]}"


def is_valid_postcode(text: str) -> bool:
    return bool(_POSTCODE.match(normalise_postcode(text)))
