"""Vision and visual acuity: reading an acuity in any UK notation, and the vision block.

* **Visual acuity** — UK charts: Snellen in metres ``6/x`` (6/60 … 6/3, with letters gained or lost,
  ``6/9-2``; ``3/60`` … ``1/60`` at a reduced test distance), logMAR −0.30 … 1.30, near in N-point
  (N5 … N48), and the low-vision descriptions CF / HM / PL / NPL.
* **The vision block** — distance and near acuities, unaided / habitual / best corrected, for each
  eye and both together (College of Optometrists record structure).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from ils_desktop.domain.exam.values import EYES, mapping_of, number_text, text_of

SNELLEN_DENOMINATORS: Final[tuple[Decimal, ...]] = tuple(Decimal(d) for d in (
    "3", "3.8", "4", "4.8", "5", "6", "7.5", "9", "9.5", "12", "15", "18", "19", "24", "30", "36", "38",
    "48", "60",
))
"""Lines of UK 6 m Snellen and logMAR-spaced charts (6/3 … 6/60)."""

N_POINT_SIZES: Final[tuple[int, ...]] = (5, 6, 8, 10, 12, 14, 18, 24, 36, 48)
"""Near test types in N-point (Faculty of Ophthalmologists / Times New Roman print sizes)."""

LOGMAR_MIN: Final = Decimal("-0.30")
LOGMAR_MAX: Final = Decimal("1.30")
LOGMAR_PER_LETTER: Final = Decimal("0.02")
"""Each letter on a five-letter logMAR line is worth 0.02 log units; Snellen ``6/9-2`` is read the same way."""

LOW_VISION: Final[dict[str, str]] = {
    "CF": "Counting fingers",
    "HM": "Hand movements",
    "PL": "Perception of light",
    "NPL": "No perception of light",
}
_LOW_VISION_ALIASES: Final = {"LP": "PL", "NLP": "NPL", "HMS": "HM", "CFS": "CF"}

_SNELLEN = re.compile(r"^(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*(?:([+-])\s*(\d))?$")
_LOGMAR = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_N_POINT = re.compile(r"^N\s*(\d+(?:\.\d+)?)$", re.IGNORECASE)
_VA_EXAMPLES: Final = "e.g. 6/6, 6/9-2, 0.10 (logMAR), N5 or CF"


@dataclass(frozen=True)
class VisualAcuity:
    """One acuity as recorded: its notation, canonical text and logMAR equivalent (for comparing).

    ``notation`` is ``snellen``, ``logmar``, ``n_point`` or ``low_vision``; ``logmar`` is None for
    N-point and low-vision descriptions, which have no agreed logMAR equivalent.
    """

    notation: str
    text: str
    logmar: Decimal | None


def _logmar_of_snellen(numerator: Decimal, denominator: Decimal, letters: int) -> Decimal:
    """log10(denominator / numerator), then 0.02 worse per letter missed (``letters`` > 0) or better
    per letter read on the next line (``letters`` < 0)."""
    value = (denominator / numerator).log10() + LOGMAR_PER_LETTER * letters
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def parse_va(text: str) -> VisualAcuity:
    """Read a visual acuity in any UK notation (the module docstring's rule).

    ``6/6``, ``6/9-2`` (two letters missed), ``6/5+1``, ``3/60``, ``0.10`` / ``-0.08`` (logMAR),
    ``N5`` / ``n8``, ``CF`` / ``HM`` / ``PL`` / ``NPL``. Raises ``ValueError`` with a message fit to
    show the user.
    """
    cleaned = " ".join(text.strip().split())
    if not cleaned:
        raise ValueError(f"Visual acuity is empty: enter it, {_VA_EXAMPLES}")
    upper = cleaned.upper()
    code = _LOW_VISION_ALIASES.get(upper.replace(" ", ""), upper.replace(" ", ""))
    if code in LOW_VISION:
        return VisualAcuity("low_vision", code, None)
    snellen = _SNELLEN.match(cleaned)
    if snellen:
        numerator, denominator = Decimal(snellen.group(1)), Decimal(snellen.group(2))
        sign, letters_text = snellen.group(3), snellen.group(4)
        letters = int(letters_text) if letters_text else 0
        if numerator == 6:
            if denominator not in SNELLEN_DENOMINATORS:
                raise ValueError(
                    f"6/{number_text(denominator)} is not a line of a 6 m chart: use 6/3 to 6/60 "
                    "(e.g. 6/5, 6/6, 6/9, 6/12)")
        elif 1 <= numerator < 6 and numerator == numerator.to_integral_value() and denominator == 60:
            pass  # the 6/60 letter read at a reduced test distance: 3/60, 2/60, 1/60
        else:
            raise ValueError(
                f"Cannot read '{text.strip()}': write Snellen acuity in metres as 6/x (6/3 to 6/60), "
                "or 3/60 … 1/60 at a shorter distance")
        if letters > 4:
            raise ValueError(f"'{text.strip()}': at most 4 letters can be gained or lost on a line")
        signed_letters = letters if sign == "-" else -letters
        canonical = f"{number_text(numerator)}/{number_text(denominator)}"
        if letters:
            canonical += f"{sign}{letters}"
        return VisualAcuity("snellen", canonical, _logmar_of_snellen(numerator, denominator, signed_letters))
    near = _N_POINT.match(cleaned)
    if near:
        size = Decimal(near.group(1))
        if size != size.to_integral_value() or int(size) not in N_POINT_SIZES:
            raise ValueError(f"N{number_text(size)} is not a near test type: use N5, N6, N8, N10, N12, N14, "
                             "N18, N24, N36 or N48")
        return VisualAcuity("n_point", f"N{int(size)}", None)
    if _LOGMAR.match(cleaned):
        value = Decimal(cleaned)
        if not LOGMAR_MIN <= value <= LOGMAR_MAX:
            raise ValueError(f"logMAR {cleaned} is out of range: use -0.30 to 1.30")
        value = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if value.is_zero():
            value = abs(value)
        return VisualAcuity("logmar", f"{value:.2f}", value)
    raise ValueError(f"Cannot read visual acuity '{text.strip()}' ({_VA_EXAMPLES})")


def format_va(text: str) -> str:
    """The canonical text of an acuity (``6/9-2``, ``0.10``, ``N5``, ``CF``); ``ValueError`` if unreadable."""
    return parse_va(text).text


def va_problem(text: str | None, *, near: bool = False) -> str | None:
    """What is wrong with an acuity entry for a distance (default) or near test, or None if fine.

    Near acuity is N-point or logMAR (reading charts); distance acuity is Snellen or logMAR.
    Low-vision descriptions are accepted for both.
    """
    if text is None or not text.strip():
        return None
    try:
        va = parse_va(text)
    except ValueError as error:
        return str(error)
    if near and va.notation == "snellen":
        return f"{va.text} is a distance acuity: record near vision in N-point (e.g. N5) or logMAR"
    if not near and va.notation == "n_point":
        return f"{va.text} is a near acuity: record distance vision as 6/x or logMAR"
    return None


VA_DISTANCES: Final = ("distance", "near")
VA_CONDITIONS: Final[dict[str, str]] = {"unaided": "Unaided", "habitual": "Habitual",
                                        "best_corrected": "Best corrected"}
VA_EYES: Final = ("R", "L", "B")
VA_NOTATIONS: Final[dict[str, str]] = {"snellen": "Snellen (6/x)", "logmar": "logMAR"}


@dataclass(frozen=True)
class Vision:
    """Visual acuities: distance and near × unaided / habitual / best corrected × R / L / binocular.

    ``acuities`` maps ``(distance, condition, eye)`` to the canonical acuity text.
    """

    notation: str = "snellen"
    acuities: Mapping[tuple[str, str, str], str] = field(default_factory=dict)
    notes: str | None = None

    def get(self, distance: str, condition: str, eye: str) -> str | None:
        return self.acuities.get((distance, condition, eye))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"notation": self.notation}
        for distance in VA_DISTANCES:
            data[distance] = {condition: {eye: self.acuities.get((distance, condition, eye)) for eye in VA_EYES}
                              for condition in VA_CONDITIONS}
        data["notes"] = self.notes
        return data

    @classmethod
    def from_json(cls, data: object) -> Vision:
        values = mapping_of(data)
        acuities: dict[tuple[str, str, str], str] = {}
        for distance in VA_DISTANCES:
            for condition, eyes in mapping_of(values.get(distance)).items():
                for eye, text in mapping_of(eyes).items():
                    if text_of(text):
                        acuities[(distance, condition, eye)] = str(text).strip()
        return cls(str(values.get("notation") or "snellen"), acuities, text_of(values.get("notes")))

    def problems(self) -> list[str]:
        problems = []
        for (distance, condition, eye), text in self.acuities.items():
            problem = va_problem(text, near=distance == "near")
            if problem:
                problems.append(f"{distance.capitalize()} {VA_CONDITIONS.get(condition, condition).lower()} "
                                f"{eye}: {problem}")
        return problems

    @property
    def is_recorded(self) -> bool:
        """At least a distance acuity for each eye, in any condition."""
        return all(any(self.get("distance", c, eye) for c in VA_CONDITIONS) for eye in EYES)
