"""The people named on clinical documents: the patient and the registered practitioner.

Shared by the prescription (Opticians Act 1989 s.26; Sight Testing (Examination and Prescription)
(No.2) Regulations 1989: patient name and address, practitioner name and GOC number) and the
referral letter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ils_desktop.domain.nhs_number import format_nhs_number


@dataclass(frozen=True)
class Patient:
    """The patient as printed. ``nhs_number`` may be typed with spaces or dashes.

    An NHS number is checked (modulus 11) on construction: a document must never carry a wrong
    NHS number, because the number is how the GP or hospital matches the letter to the patient.
    """

    name: str
    address_lines: tuple[str, ...] = ()
    date_of_birth: date | None = None
    nhs_number: str | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("the patient's name is needed")
        object.__setattr__(self, "address_lines",
                           tuple(line.strip() for line in self.address_lines if line and line.strip()))
        number = (self.nhs_number or "").strip() or None
        if number is not None:
            format_nhs_number(number)  # ValueError with a message naming the problem
        object.__setattr__(self, "nhs_number", number)

    @property
    def identifier(self) -> str:
        """``Margaret Hughes · born 14/07/1952 · NHS 943 476 5919``: the patient on a running header."""
        parts = [self.name]
        if self.date_of_birth is not None:
            parts.append(f"born {self.date_of_birth:%d/%m/%Y}")
        if self.nhs_number_text:
            parts.append(f"NHS {self.nhs_number_text}")
        return " · ".join(parts)

    @property
    def nhs_number_text(self) -> str | None:
        """The NHS number grouped 3 3 4 (``943 476 5919``), or None."""
        return format_nhs_number(self.nhs_number) if self.nhs_number else None


@dataclass(frozen=True)
class Practitioner:
    """The registered practitioner who signs: name, GOC registration number (shown as entered), role."""

    name: str
    goc_number: str
    role: str | None = None  # "Optometrist", "Dispensing optician", "Contact lens optician"
    qualifications: str | None = None  # "BSc (Hons) MCOptom"

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("the practitioner's name is needed")
        if not self.goc_number.strip():
            raise ValueError(f"{self.name}'s GOC registration number is needed on a clinical document")
        object.__setattr__(self, "goc_number", self.goc_number.strip())
