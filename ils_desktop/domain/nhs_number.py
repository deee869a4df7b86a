"""NHS numbers: validate, normalise and display (docs/domain/optical-practice.md, "NHS number").

Rule: an NHS number is 10 digits, shown grouped 3 3 4 (``943 476 5919``). The last digit is a
modulus 11 check digit over the first nine (weights 10…2; 11 → 0; a result of 10 means the number
cannot be valid). The check is done by python-stdnum (``stdnum.gb.nhs``), not re-implemented here.

Input may contain spaces (any whitespace) or dashes between digits, as typed or pasted from letters.
"""

from __future__ import annotations

import re
from typing import Final

from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.gb import nhs

NHS_NUMBER_LENGTH: Final = 10
_SEPARATORS: Final = re.compile(r"[\s\-‐–—]+")
_DIGITS: Final = re.compile(r"[0-9]+", re.ASCII)


def normalise_nhs_number(text: str) -> str:
    """Return the NHS number in ``text`` as 10 digits, or raise ``ValueError`` saying why not.

    Spaces and dashes are removed first. Rule: 10 digits whose last digit is the modulus 11 check
    digit (checked with ``stdnum.gb.nhs``). Messages name the problem: not digits, wrong length,
    or a wrong check digit.
    """
    if not isinstance(text, str):
        raise TypeError(f"NHS number must be text, not {type(text).__name__}")
    digits = _SEPARATORS.sub("", text)
    if not digits:
        raise ValueError("NHS number is empty: enter 10 digits, e.g. 943 476 5919")
    if not _DIGITS.fullmatch(digits):
        raise ValueError(f"NHS number '{text.strip()}' must contain only digits (spaces and dashes allowed)")
    if len(digits) != NHS_NUMBER_LENGTH:
        raise ValueError(
            f"NHS number '{text.strip()}' has {len(digits)} digits: an NHS number has exactly "
            f"{NHS_NUMBER_LENGTH}"
        )
    try:
        return str(nhs.validate(digits))
    except InvalidChecksum:
        raise ValueError(
            f"NHS number '{text.strip()}' is not valid: the check digit is wrong (check for a typing error)"
        ) from None
    except ValidationError as error:  # pragma: no cover - format and length are checked above
        raise ValueError(f"NHS number '{text.strip()}' is not valid: {error}") from None


def is_valid_nhs_number(text: str) -> bool:
    """Return True when ``text`` is a valid NHS number (10 digits, correct modulus 11 check digit).

    Spaces and dashes are ignored; never raises.
    """
    try:
        normalise_nhs_number(text)
    except (TypeError, ValueError):
        return False
    return True


def format_nhs_number(text: str) -> str:
    """Return the NHS number grouped 3 3 4 for display, e.g. ``943 476 5919``.

    Rule: NHS numbers are shown ``3 3 4``. The number is validated first (``ValueError`` as in
    ``normalise_nhs_number``), so only valid numbers are displayed grouped.
    """
    return str(nhs.format(normalise_nhs_number(text)))
