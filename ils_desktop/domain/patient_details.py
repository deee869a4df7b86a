"""A patient's details as the register/edit form holds them, and the rules they must meet before
they are stored: what is wrong with them field by field, names in their usual capitals, and the
short medical flags a clinical header shows."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from ils_desktop.domain import text_input
from ils_desktop.domain.exam import age_on, mentions
from ils_desktop.domain.nhs_number import normalise_nhs_number
from ils_desktop.domain.passwords import looks_like_email
from ils_desktop.domain.postcode import is_valid_postcode
from ils_desktop.domain.text_input import TextRule

OLDEST_AGE: Final = 120
TITLES: Final = ("Mr", "Mrs", "Miss", "Ms", "Mx", "Dr", "Master", "Prof", "Rev")
#: The sexes the record keeps (``patients.sex``), as the form says them.
SEX_LABELS: Final = {"female": "Female", "male": "Male", "other": "Other", "unknown": "Not recorded"}
CONSENT_CHANNELS: Final = {"email": "Email", "sms": "Text message", "phone": "Phone", "post": "Post",
                           "recall_reminders": "Recall reminders"}
STATUS_LABELS: Final = {"active": "Active", "archived": "Archived", "deceased": "Deceased"}
_PHONE: Final = re.compile(r"^\+?[\d\s\-()]+$")


@dataclass(frozen=True)
class PatientDetails:
    """Everything the register/edit form holds, as typed. ``nhs_number`` and ``postcode`` may
    carry spaces; the service normalises them."""

    first_name: str = ""
    last_name: str = ""
    date_of_birth: date | None = None
    title: str = ""
    preferred_name: str = ""
    sex: str = "unknown"
    nhs_number: str = ""
    email: str = ""
    mobile_phone: str = ""
    home_phone: str = ""
    address_line1: str = ""
    address_line2: str = ""
    town: str = ""
    county: str = ""
    postcode: str = ""
    gp_practice: str = ""
    occupation: str = ""
    is_driver: bool = False
    is_vdu_user: bool = False
    medical_history: str = ""
    allergies: str = ""
    medications: str = ""
    family_ocular_history: str = ""
    communication_consent: Mapping[str, bool] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.first_name.strip()} {self.last_name.strip()}".strip()


#: The rule for each text field of the form (``domain.text_input``).
TEXT_RULES: Final[dict[str, TextRule]] = {
    "title": text_input.NAME, "first_name": text_input.NAME, "last_name": text_input.NAME,
    "preferred_name": text_input.NAME, "nhs_number": text_input.CODE, "email": text_input.EMAIL,
    "mobile_phone": text_input.PHONE, "home_phone": text_input.PHONE, "address_line1": text_input.ADDRESS_LINE,
    "address_line2": text_input.ADDRESS_LINE, "town": text_input.ADDRESS_LINE, "county": text_input.ADDRESS_LINE,
    "postcode": text_input.POSTCODE, "gp_practice": text_input.LABEL, "occupation": text_input.LABEL,
    "medical_history": text_input.CLINICAL_TEXT, "allergies": text_input.CLINICAL_TEXT,
    "medications": text_input.CLINICAL_TEXT, "family_ocular_history": text_input.CLINICAL_TEXT,
}


def patient_problems(details: PatientDetails, today: date) -> dict[str, str]:
    """What is wrong with the form, field by field (empty when it can be saved).

    Rules: every text field within its length and free of characters that cannot be stored
    (``domain.text_input``, ``TEXT_RULES``); first and last name required; date of birth required,
    not in the future and not more than 120 years ago; NHS number, if given, 10 digits with a
    correct check digit (python-stdnum); postcode, if given, a UK postcode shape; email and phone
    numbers, if given, plausible. A field with text that cannot be stored gets only that message.
    """
    problems = text_input.text_problems({name: (getattr(details, name), rule) for name, rule in TEXT_RULES.items()})
    consent = text_input.nested_text_problem(dict(details.communication_consent), text_input.LABEL)
    if consent:
        problems["communication_consent"] = consent

    def fine(name: str) -> bool:
        return name not in problems

    if fine("first_name") and not details.first_name.strip():
        problems["first_name"] = "Enter the patient's first name."
    if fine("last_name") and not details.last_name.strip():
        problems["last_name"] = "Enter the patient's last name."
    born = details.date_of_birth
    if born is None:
        problems["date_of_birth"] = "Enter the date of birth, e.g. 12/03/1960."
    elif born > today:
        problems["date_of_birth"] = "The date of birth is in the future."
    elif age_on(born, today) > OLDEST_AGE:
        problems["date_of_birth"] = f"The date of birth is more than {OLDEST_AGE} years ago: check the year."
    if details.sex not in SEX_LABELS:
        problems["sex"] = "Choose female, male, other or not recorded."
    if fine("nhs_number") and details.nhs_number.strip():
        try:
            normalise_nhs_number(details.nhs_number)
        except ValueError as error:
            problems["nhs_number"] = str(error) + "."
    if fine("postcode") and details.postcode.strip() and not is_valid_postcode(details.postcode):
        problems["postcode"] = (f"'{details.postcode.strip()}' is not a UK postcode: it should look like "
                                "YO21 3PU or M1 1AE.")
    if fine("email") and details.email.strip() and not looks_like_email(details.email.strip()):
        problems["email"] = "The email address does not look right (it should be like name@example.com)."
    for name, label in (("mobile_phone", "mobile"), ("home_phone", "home phone")):
        problem = phone_problem(getattr(details, name), label) if fine(name) else None
        if problem:
            problems[name] = problem
    return problems


def phone_problem(number: str, label: str) -> str | None:
    """UK numbers have 10 or 11 digits with the leading 0 (Ofcom numbering plan); international
    ones start with + (or 00) and have at most 15 digits (ITU-T E.164)."""
    number = number.strip()
    if not number:
        return None
    digits = re.sub(r"\D", "", number)
    if not _PHONE.match(number):
        return f"The {label} number does not look right: use digits, e.g. 07700 900123."
    if number.startswith("+") or digits.startswith("00"):
        if not 8 <= len(digits.removeprefix("00")) <= 15:
            return f"The {label} number does not look right: an international number has 8 to 15 digits."
        return None
    if not digits.startswith("0"):
        return f"The {label} number needs its area code, e.g. 01947 600123."
    if len(digits) not in (10, 11):
        return (f"The {label} number does not look right: it has {len(digits)} digits, a UK number has "
                "10 or 11 (e.g. 07700 900123).")
    return None


def tidy_name_case(name: str) -> str:
    """A name typed all in lower or all in upper case, in the usual capitals: ``hughes`` → Hughes,
    ``O'BRIEN`` → O'Brien, ``smith-jones`` → Smith-Jones, ``mcdonald`` → McDonald. A name typed in
    mixed case is kept exactly as typed (de la Cruz, MacKenzie, van der Berg know best)."""
    name = " ".join(name.split())
    if not name or (name != name.lower() and name != name.upper()):
        return name

    def part(word: str) -> str:
        word = word[:1].upper() + word[1:].lower()
        if word.startswith("Mc") and len(word) > 2:
            word = "Mc" + word[2].upper() + word[3:]
        return word

    return re.sub(r"[^\s'’\-]+", lambda m: part(m.group(0)), name)


_MEDICAL_FLAGS: Final = (
    ("diabet", "Diabetic"), ("glaucoma", "Glaucoma"), ("ocular hypertension", "Ocular hypertension"),
    ("epilep", "Epilepsy"), ("pregnan", "Pregnant"), ("anticoag", "Anticoagulants"),
    ("warfarin", "Anticoagulants"), ("insulin", "Diabetic"), ("metformin", "Diabetic"))


def medical_flags(medical_history: str | None, medications: str | None,
                  family_ocular_history: str | None) -> tuple[str, ...]:
    """Short header flags from the history text (negation-aware, ``domain.exam.mentions``): a
    prompt for the clinician, not a diagnosis. Diabetes and glaucoma matter for GOS eligibility
    and for what the examination must include."""
    text = "\n".join(t for t in (medical_history, medications) if t)
    flags: list[str] = []
    for stem, label in _MEDICAL_FLAGS:
        if label not in flags and mentions(text, stem):
            flags.append(label)
    if mentions(family_ocular_history, "glaucoma"):
        flags.append("FH glaucoma")
    return tuple(flags)


def nhs_display(number: str | None) -> str | None:
    """An NHS number as people read it: ``943 476 5919``."""
    return f"{number[:3]} {number[3:6]} {number[6:]}" if number and len(number) == 10 else number


def display_name(first: str, last: str, preferred: str | None, title: str | None = None) -> str:
    """``Margaret (Peggy) Hughes``: the preferred name in brackets when it differs; the title first
    when given."""
    name = f"{first} {last}"
    if preferred and preferred.strip() and preferred.strip() != first:
        name = f"{first} ({preferred.strip()}) {last}"
    return f"{title} {name}" if title else name
