"""What a receptionist typed into the patient search box, and what it means.

One box finds a patient by name, date of birth, NHS number, postcode, phone number or customer
number, so the text is classified before it reaches the database (each kind has its own index).
The rules, in order:

* **Digits only** (spaces, dashes, brackets and a leading ``+`` allowed, as numbers are written):
  - 8 digits that make a real ``ddmmyyyy`` date, not in the future → **date of birth**
    (UK order: day first);
  - starting ``0`` or ``+44`` / ``44`` with 4 or more digits → **phone** (UK numbers are written
    with the trunk ``0``; ``+44 7700…`` is the same as ``07700…``). The first digits of a number
    find it too (``07700 900`` finds ``07700 900123``): numbers match from their start;
  - 10 digits with a correct modulus 11 check digit → **NHS number** (docs/domain/optical-practice.md,
    "NHS number"; checked by ``domain.nhs_number``). 10 digits with a wrong check digit are
    reported as such rather than searched;
  - 1–7 digits → **customer number** (the practice's own number for the patient).
* **Words** (anything else), each word on its own, all of them must match:
  - ``12/3/1960``, ``12.03.60``, ``12-3-1960`` (``d/m/yy`` … ``dd/mm/yyyy``), 8 digits
    ``12031960`` or ISO ``1960-03-12`` → **date of birth**; two-digit years are this century when
    that is not in the future, else the last (``60`` → 1960, ``05`` → 2005);
  - a full postcode (``YO21 3PU``, ``yo213pu``) → **postcode**; an outward code alone (``YO21``)
    → **postcode district** (shape per ``domain.postcode``);
  - ``#1234`` or ``C1234`` → **customer number** (``C`` + number is what the modality worklist
    gives devices);
  - letters (with accents, apostrophes, hyphens, dots) → **name words**, matched accent- and
    case-insensitively and typo-tolerantly by the database;
  - other words with digits (``12/3`` half typed, ``31/02/1960``) are not searched: they are
    listed in ``unrecognised`` so the screen can say why.

So ``smith 12/3/1960`` finds the Smiths born that day and ``jones YO21`` the Joneses in YO21.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final

from ils_desktop.domain.nhs_number import is_valid_nhs_number
from ils_desktop.domain.postcode import is_valid_postcode

#: Fewer name letters than this find too many people to be useful (and defeat the trigram index).
MIN_NAME_LETTERS: Final = 2
#: The longest a customer number can be (longer digit strings are dates, phones or NHS numbers).
MAX_CUSTOMER_NUMBER_DIGITS: Final = 7
MIN_PHONE_DIGITS: Final = 4

_NUMBER_LIKE: Final = re.compile(r"^\+?[\d\s\-()]+$")
_DATE: Final = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_COMPACT_DATE: Final = re.compile(r"^(\d{2})(\d{2})(\d{4})$")
_ISO_DATE: Final = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_CUSTOMER_NUMBER: Final = re.compile(r"^[#cC](\d{1,9})$")
_OUTWARD: Final = re.compile(
    r"^[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPS-UW]|[A-HK-Y][0-9][ABEHMNPRV-Y])$")
_INWARD: Final = re.compile(r"^[0-9][ABD-HJLNP-UW-Z]{2}$")
# Letters of any alphabet, with the punctuation names carry: O'Brien, Smith-Jones, St. John.
_NAME_WORD: Final = re.compile(r"^[^\W\d_]+(?:['’.\-][^\W\d_]*)*\.?$")


@dataclass(frozen=True)
class PatientQuery:
    """The search box's text, classified. Every criterion that is set must match (AND)."""

    text: str
    name_words: tuple[str, ...] = ()
    date_of_birth: date | None = None
    nhs_number: str | None = None
    customer_number: int | None = None
    postcode: str | None = None  # full postcode, compact upper case: "YO213PU"
    postcode_district: str | None = None  # outward code alone: "YO21"
    phone_digits: str | None = None  # national form, digits only: "07700900123"
    unrecognised: tuple[str, ...] = ()
    problem: str | None = None  # e.g. an NHS number with a wrong check digit

    @property
    def name(self) -> str:
        """The name words as one string (what the database folds and matches)."""
        return " ".join(self.name_words)

    @property
    def has_name(self) -> bool:
        return len(self.name.replace(" ", "")) >= MIN_NAME_LETTERS

    @property
    def is_searchable(self) -> bool:
        """True when there is something the database can look for."""
        return bool(self.has_name or self.date_of_birth or self.nhs_number or self.customer_number is not None
                    or self.postcode or self.postcode_district or self.phone_digits)

    @property
    def kind(self) -> str:
        """``empty``, ``name``, ``date_of_birth``, ``nhs_number``, ``customer_number``, ``postcode``,
        ``phone`` or ``mixed`` (more than one kind of criterion, e.g. name and date of birth)."""
        kinds = [k for k, present in (
            ("name", bool(self.name_words)), ("date_of_birth", self.date_of_birth is not None),
            ("nhs_number", self.nhs_number is not None), ("customer_number", self.customer_number is not None),
            ("postcode", bool(self.postcode or self.postcode_district)), ("phone", self.phone_digits is not None),
        ) if present]
        if not kinds:
            return "empty"
        return kinds[0] if len(kinds) == 1 else "mixed"


def parse_uk_date(text: str, today: date, *, allow_future: bool = False) -> date | None:
    """A date written the UK way (day first): ``12/3/1960``, ``12.03.60``, ``12-3-60``, ``12031960``.

    Two-digit years fall in this century unless that would be after ``today``. ISO ``1960-03-12``
    (pasted from other systems) is accepted too: a four-digit year first cannot be misread.
    Returns None when the text is not a real date or — unless ``allow_future`` (a form that wants
    to say so itself) — is in the future: nobody is born tomorrow.
    """
    iso = _ISO_DATE.match(text)
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if iso is not None:
        year, month, day = (int(part) for part in iso.groups())
    elif match is not None:
        day, month, year = (int(part) for part in match.groups())
    else:
        return None
    if match is not None and len(match.group(3)) == 2:
        year += 2000 if 2000 + year <= today.year else 1900
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    return found if allow_future or found <= today else None


def _digits_only(text: str, today: date) -> PatientQuery:
    digits = re.sub(r"\D", "", text)
    international = text.lstrip().startswith("+") or (digits.startswith("44") and len(digits) > 10)
    if international and digits.startswith("44"):
        digits = "0" + digits[2:].lstrip("0")
    born = parse_uk_date(digits, today) if len(digits) == 8 else None
    if born is not None:
        return PatientQuery(text, date_of_birth=born)
    if digits.startswith("0"):
        if len(digits) >= MIN_PHONE_DIGITS:
            return PatientQuery(text, phone_digits=digits)
        return PatientQuery(text, unrecognised=(text,))
    if len(digits) == 10:
        if is_valid_nhs_number(digits):
            return PatientQuery(text, nhs_number=digits)
        return PatientQuery(text, problem=f"{digits[:3]} {digits[3:6]} {digits[6:]} is not a valid NHS number "
                                          "(the check digit is wrong).")
    if len(digits) <= MAX_CUSTOMER_NUMBER_DIGITS:
        return PatientQuery(text, customer_number=int(digits))
    return PatientQuery(text, phone_digits=digits)


def classify(text: str, today: date | None = None) -> PatientQuery:
    """Classify the search box's text (rules in the module docstring)."""
    today = today or date.today()
    stripped = " ".join(text.split())
    if not stripped:
        return PatientQuery("")
    written_date = parse_uk_date(stripped, today)
    if written_date is not None:
        return PatientQuery(stripped, date_of_birth=written_date)
    if _NUMBER_LIKE.match(stripped) and any(c.isdigit() for c in stripped):
        return _digits_only(stripped, today)

    tokens = [t for t in re.split(r"[\s,;]+", stripped) if t]
    names: list[str] = []
    unrecognised: list[str] = []
    born: date | None = None
    postcode: str | None = None
    district: str | None = None
    customer: int | None = None
    i = 0
    while i < len(tokens):
        token = tokens[i]
        upper = token.upper()
        following = tokens[i + 1].upper() if i + 1 < len(tokens) else ""
        if _OUTWARD.match(upper) and _INWARD.match(following) and is_valid_postcode(upper + following):
            postcode = upper + following
            i += 2
            continue
        i += 1
        if len(upper) >= 5 and is_valid_postcode(upper) and any(c.isdigit() for c in upper):
            postcode = upper.replace(" ", "")
        elif (number := _CUSTOMER_NUMBER.match(token)) is not None:
            customer = int(number.group(1))
        elif any(c.isdigit() for c in token):
            as_date = parse_uk_date(token, today)
            if as_date is not None:
                born = as_date
            elif _OUTWARD.match(upper):
                district = upper
            else:
                unrecognised.append(token)
        elif _NAME_WORD.match(token):
            names.append(token)
        else:
            # Stray punctuation ("smith," "&") is not part of a name; the letters in it may be.
            letters = re.sub(r"[^\w'’\-]|[\d_]", "", token)
            if letters:
                names.append(letters)
    return PatientQuery(
        stripped, name_words=tuple(names), date_of_birth=born, customer_number=customer, postcode=postcode,
        postcode_district=district, unrecognised=tuple(unrecognised),
    )
