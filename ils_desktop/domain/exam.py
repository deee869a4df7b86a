"""The eye examination record: its typed blocks, visual acuity, IOP, and recall intervals.

Pure rules and shapes, no I/O. The ``eye_examinations`` table keeps each block as JSONB; the
dataclasses here are the only writers and readers of that JSON (``to_json`` / ``from_json``).

Rules and sources:

* **Record structure** — College of Optometrists guidance on the content of an eye examination
  record (docs/domain/optical-practice.md, "Clinical records"): reason for visit and symptoms;
  general health, medication, family ocular history; vision and visual acuity; objective and
  subjective refraction; binocular vision; anterior and posterior eye; IOP and visual fields where
  indicated; diagnosis; management, advice and recall; referral.
* **Refraction** — notation, ranges and 0.25 D steps are ``ils_desktop.domain.rx``'s. Device values
  (0.01 D) are kept as sent in the objective refraction, focimetry and keratometry blocks; only the
  subjective refraction (what becomes the prescription) must be in 0.25 D steps.
* **Visual acuity** — UK charts: Snellen in metres ``6/x`` (6/60 … 6/3, with letters gained or lost,
  ``6/9-2``; ``3/60`` … ``1/60`` at a reduced test distance), logMAR −0.30 … 1.30, near in N-point
  (N5 … N48), and the low-vision descriptions CF / HM / PL / NPL.
* **Recall** — ``RecallPolicy`` holds the NHS GOS minimum intervals between funded sight tests
  (England; the Memorandum of Understanding on the frequency of GOS sight tests agreed by the
  Department of Health and the optical bodies): under 16 — 1 year (6 months with a binocular vision
  anomaly); 16 to 69 — 2 years; 70 and over — 1 year; diabetes — 1 year; glaucoma or ocular
  hypertension, or aged 40+ with a close relative with glaucoma — 1 year. They are minimum funding
  intervals: the clinician may recall sooner on clinical grounds. The policy is configurable.

JSON contract of ``subjective_refraction`` (other helpers rely on it exactly)::

    {"R": {"sphere": "-1.25", "cylinder": "-0.50", "axis": 180, "prism_h": "0.50", "prism_h_base": "IN",
           "prism_v": null, "prism_v_base": null, "near_add": "+2.00", "intermediate_add": null, "va": "6/6"},
     "L": {...same keys...}, "binocular_va": "6/5",
     "pd": {"distance": "63.0", "near": "60.0", "R": "31.5", "L": "31.5"}}

Decimals are strings (powers signed with two decimals, prism unsigned, PD one decimal), axis an int
or null, missing values null. A sphere-only eye has ``"cylinder": null`` and ``"axis": null``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar, Final
from zoneinfo import ZoneInfo

from ils_desktop.domain.rx import (
    MAX_ADD,
    STANDARD_STEP,
    Prism,
    Sca,
    format_sca,
    validate_sca,
)

LONDON: Final = ZoneInfo("Europe/London")
EYES: Final = ("R", "L")

# --------------------------------------------------------------------------------------------------
# JSON value helpers


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


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _bool(value: object) -> bool | None:
    return None if value is None else bool(value)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}



# --------------------------------------------------------------------------------------------------
# Visual acuity

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


def _number_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def parse_va(text: str) -> VisualAcuity:
    """Read a visual acuity in any UK notation (the visual acuity rule in the module docstring).

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
                    f"6/{_number_text(denominator)} is not a line of a 6 m chart: use 6/3 to 6/60 "
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
        canonical = f"{_number_text(numerator)}/{_number_text(denominator)}"
        if letters:
            canonical += f"{sign}{letters}"
        return VisualAcuity("snellen", canonical, _logmar_of_snellen(numerator, denominator, signed_letters))
    near = _N_POINT.match(cleaned)
    if near:
        size = Decimal(near.group(1))
        if size != size.to_integral_value() or int(size) not in N_POINT_SIZES:
            raise ValueError(f"N{_number_text(size)} is not a near test type: use N5, N6, N8, N10, N12, N14, "
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


def canonical_va(text: str | None) -> str | None:
    """The canonical form of a valid acuity, the text as given if it cannot be read, None if blank."""
    if text is None or not text.strip():
        return None
    try:
        return format_va(text)
    except ValueError:
        return text.strip()


# --------------------------------------------------------------------------------------------------
# Device sources


DEVICE_FILLABLE_BLOCKS: Final[tuple[str, ...]] = (
    "objective_refraction", "current_spectacles", "keratometry", "iop",
)
"""Blocks a device reading can fill (issue 4): autorefractor, lensmeter, keratometer, tonometer."""

MEASUREMENT_BLOCKS: Final[dict[str, str]] = {
    "autorefraction": "objective_refraction",
    "objective_refraction": "objective_refraction",
    "lensometry": "current_spectacles",
    "focimetry": "current_spectacles",
    "current_spectacles": "current_spectacles",
    "keratometry": "keratometry",
    "tonometry": "iop",
    "iop": "iop",
}
"""Which block a device measurement kind fills (``devices.measurement.MeasurementKind`` values)."""

MEASUREMENT_NAMES: Final[dict[str, str]] = {
    "objective_refraction": "autorefraction",
    "current_spectacles": "focimetry",
    "keratometry": "keratometry",
    "iop": "tonometry",
}


def block_for_measurement(kind: str) -> str:
    """The exam block a device reading of ``kind`` fills; ``ValueError`` for kinds no block takes."""
    try:
        return MEASUREMENT_BLOCKS[kind.strip().lower()]
    except KeyError:
        raise ValueError(f"A {kind} reading cannot fill an examination block") from None


@dataclass(frozen=True)
class DeviceSource:
    """Where a device-filled block came from: the stored reading, the device, what and when.

    ``edited`` becomes True once the clinician changes a value the device gave: the record then
    shows that the values are the device's, corrected by hand.
    """

    device: str
    kind: str
    received_at: datetime
    reading_id: str | None = None
    edited: bool = False

    def label(self) -> str:
        """``From ARK-1 at 10:15`` (London time; the date too when not today)."""
        local = self.received_at.astimezone(LONDON)
        when = f"{local:%H:%M}" if local.date() == datetime.now(LONDON).date() else f"{local:%d/%m/%Y %H:%M}"
        return f"From {self.device} at {when}" + (" · edited" if self.edited else "")

    def to_json(self) -> dict[str, Any]:
        return {"reading_id": self.reading_id, "device": self.device, "kind": self.kind,
                "received_at": self.received_at.isoformat(), "edited": self.edited}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeviceSource:
        received = datetime.fromisoformat(str(data["received_at"]))
        if received.tzinfo is None:
            received = received.replace(tzinfo=LONDON)
        reading = data.get("reading_id")
        return cls(device=str(data.get("device") or "device"), kind=str(data.get("kind") or ""),
                   received_at=received, reading_id=None if reading is None else str(reading),
                   edited=bool(data.get("edited", False)))


# --------------------------------------------------------------------------------------------------
# Refraction blocks


def _sca_json(sca: Sca | None) -> dict[str, Any]:
    if sca is None:
        return {"sphere": None, "cylinder": None, "axis": None}
    return {
        "sphere": signed_text(sca.sphere),
        "cylinder": signed_text(sca.cylinder) if sca.has_cylinder else None,
        "axis": sca.axis if sca.has_cylinder else None,
    }


def _sca_from_json(data: Mapping[str, Any]) -> Sca | None:
    sphere, cylinder, axis = decimal_from(data.get("sphere")), decimal_from(data.get("cylinder")), \
        int_from(data.get("axis"))
    if sphere is None and cylinder is None:
        return None
    return Sca(sphere or Decimal(0), cylinder or Decimal(0), axis if cylinder else None)


def _prism_from_json(amount: object, base: object) -> Prism | None:
    """A prism from the JSON; None when there is no amount (``to_json`` never writes one without a base)."""
    value = decimal_from(amount)
    if value is None or value.is_zero() or not base:
        return None
    return Prism(value, str(base))


@dataclass(frozen=True)
class RefractionEye:
    """One eye of a refraction or of the current spectacles: sphere/cylinder × axis, prism, adds, VA."""

    sca: Sca | None = None
    prism_h: Prism | None = None
    prism_v: Prism | None = None
    near_add: Decimal | None = None
    intermediate_add: Decimal | None = None
    va: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            **_sca_json(self.sca),
            "prism_h": plain_text(self.prism_h.amount) if self.prism_h else None,
            "prism_h_base": self.prism_h.base if self.prism_h else None,
            "prism_v": plain_text(self.prism_v.amount) if self.prism_v else None,
            "prism_v_base": self.prism_v.base if self.prism_v else None,
            "near_add": signed_text(self.near_add),
            "intermediate_add": signed_text(self.intermediate_add),
            "va": self.va,
        }

    @classmethod
    def from_json(cls, data: object) -> RefractionEye:
        values = _mapping(data)
        return cls(
            sca=_sca_from_json(values),
            prism_h=_prism_from_json(values.get("prism_h"), values.get("prism_h_base")),
            prism_v=_prism_from_json(values.get("prism_v"), values.get("prism_v_base")),
            near_add=decimal_from(values.get("near_add")),
            intermediate_add=decimal_from(values.get("intermediate_add")),
            va=_text(values.get("va")),
        )

    @property
    def is_empty(self) -> bool:
        return self == RefractionEye()


def _add_problems(what: str, value: Decimal | None) -> list[str]:
    if value is None:
        return []
    problems = []
    if not Decimal(0) < value <= MAX_ADD:
        problems.append(f"{what} {value:+.2f} is out of range: an add is more than 0.00 and at most {MAX_ADD:+.2f}")
    if value % STANDARD_STEP:
        problems.append(f"{what} {value:+.2f} is not a multiple of {STANDARD_STEP} D")
    return problems


def _prism_problems(prism: Prism | None, horizontal: bool) -> list[str]:
    if prism is None:
        return []
    allowed = ("IN", "OUT") if horizontal else ("UP", "DOWN")
    if prism.base not in allowed:
        kind = "horizontal" if horizontal else "vertical"
        return [f"A {kind} prism has base {' or '.join(allowed)}, not {prism.base}"]
    if prism.amount > Decimal("20"):
        return [f"Prism {prism.amount:.2f}Δ is implausibly large: check it"]
    return []


def refraction_eye_problems(eye: RefractionEye, *, prescription: bool) -> list[str]:
    """Problems with one eye's refraction. ``prescription`` applies the Rx rules (0.25 D steps);
    device-measured values (objective refraction, focimetry) are checked for range only."""
    problems: list[str] = []
    if eye.sca is not None:
        step = STANDARD_STEP if prescription else Decimal("0.01")
        problems += validate_sca(eye.sca, step=step)
    problems += _add_problems("Near add", eye.near_add) + _add_problems("Intermediate add", eye.intermediate_add)
    problems += _prism_problems(eye.prism_h, True) + _prism_problems(eye.prism_v, False)
    problem = va_problem(eye.va)
    if problem:
        problems.append(problem)
    return problems


@dataclass(frozen=True)
class PupillaryDistance:
    """Binocular distance and near PD and monocular (R/L) PDs, in mm to 0.5 mm."""

    distance: Decimal | None = None
    near: Decimal | None = None
    R: Decimal | None = None
    L: Decimal | None = None

    def to_json(self) -> dict[str, Any]:
        return {"distance": plain_text(self.distance, 1), "near": plain_text(self.near, 1),
                "R": plain_text(self.R, 1), "L": plain_text(self.L, 1)}

    @classmethod
    def from_json(cls, data: object) -> PupillaryDistance:
        values = _mapping(data)
        return cls(*(decimal_from(values.get(k)) for k in ("distance", "near", "R", "L")))

    def problems(self) -> list[str]:
        problems = []
        for what, value, low, high in (("Distance PD", self.distance, 40, 85), ("Near PD", self.near, 38, 82),
                                       ("Right PD", self.R, 20, 43), ("Left PD", self.L, 20, 43)):
            if value is not None and not low <= value <= high:
                problems.append(f"{what} {value} mm is out of range ({low}–{high} mm)")
        return problems


@dataclass(frozen=True)
class SubjectiveRefraction:
    """The subjective refraction — what the prescription is issued from (contract in module docstring)."""

    R: RefractionEye = field(default_factory=RefractionEye)
    L: RefractionEye = field(default_factory=RefractionEye)
    binocular_va: str | None = None
    pd: PupillaryDistance = field(default_factory=PupillaryDistance)

    def to_json(self) -> dict[str, Any]:
        return {"R": self.R.to_json(), "L": self.L.to_json(), "binocular_va": self.binocular_va,
                "pd": self.pd.to_json()}

    @classmethod
    def from_json(cls, data: object) -> SubjectiveRefraction:
        values = _mapping(data)
        return cls(RefractionEye.from_json(values.get("R")), RefractionEye.from_json(values.get("L")),
                   _text(values.get("binocular_va")), PupillaryDistance.from_json(values.get("pd")))

    def eye(self, side: str) -> RefractionEye:
        return self.R if side == "R" else self.L

    def problems(self) -> list[str]:
        problems = [f"{side}: {p}" for side in EYES for p in refraction_eye_problems(self.eye(side), prescription=True)]
        problem = va_problem(self.binocular_va)
        if problem:
            problems.append(f"Binocular VA: {problem}")
        return problems + self.pd.problems()

    @property
    def is_complete(self) -> bool:
        """Both eyes have a sphere (plano counts): enough to issue a prescription."""
        return self.R.sca is not None and self.L.sca is not None


OBJECTIVE_METHODS: Final[dict[str, str]] = {"autorefraction": "Autorefraction", "retinoscopy": "Retinoscopy"}


@dataclass(frozen=True)
class ObjectiveRefraction:
    """Autorefraction or retinoscopy per eye, held to 0.01 D as the device sent it."""

    method: str | None = None
    R: Sca | None = None
    L: Sca | None = None
    working_distance_cm: Decimal | None = None
    notes: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "R": _sca_json(self.R), "L": _sca_json(self.L),
                "working_distance_cm": plain_text(self.working_distance_cm, 0), "notes": self.notes}

    @classmethod
    def from_json(cls, data: object) -> ObjectiveRefraction:
        values = _mapping(data)
        return cls(_text(values.get("method")), _sca_from_json(_mapping(values.get("R"))),
                   _sca_from_json(_mapping(values.get("L"))), decimal_from(values.get("working_distance_cm")),
                   _text(values.get("notes")))

    def problems(self) -> list[str]:
        return [f"{side}: {p}" for side, sca in (("R", self.R), ("L", self.L)) if sca is not None
                for p in validate_sca(sca, step=Decimal("0.01"))]


LENS_TYPES: Final[dict[str, str]] = {
    "single_vision": "Single vision", "bifocal": "Bifocal", "varifocal": "Varifocal",
    "reading": "Reading only", "occupational": "Occupational", "none": "No spectacles",
}


@dataclass(frozen=True)
class CurrentSpectacles:
    """Focimetry of the spectacles the patient arrived in (a lensmeter can fill it)."""

    lens_type: str | None = None
    R: RefractionEye = field(default_factory=RefractionEye)
    L: RefractionEye = field(default_factory=RefractionEye)
    age: str | None = None
    notes: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"lens_type": self.lens_type, "age": self.age, "R": self.R.to_json(), "L": self.L.to_json(),
                "notes": self.notes}

    @classmethod
    def from_json(cls, data: object) -> CurrentSpectacles:
        values = _mapping(data)
        return cls(_text(values.get("lens_type")), RefractionEye.from_json(values.get("R")),
                   RefractionEye.from_json(values.get("L")), _text(values.get("age")), _text(values.get("notes")))

    def problems(self) -> list[str]:
        return [f"{side}: {p}" for side in EYES
                for p in refraction_eye_problems(self.R if side == "R" else self.L, prescription=False)]


# --------------------------------------------------------------------------------------------------
# History, vision, binocular vision


@dataclass(frozen=True)
class History:
    """General health, medication, allergies, ocular and family ocular history, lifestyle."""

    general_health: str | None = None
    medications: str | None = None
    allergies: str | None = None
    ocular_history: str | None = None
    family_ocular_history: str | None = None
    occupation: str | None = None
    driver: bool | None = None
    vdu_user: bool | None = None
    hobbies: str | None = None
    notes: str | None = None

    _TEXT: ClassVar[tuple[str, ...]] = ("general_health", "medications", "allergies", "ocular_history",
                                        "family_ocular_history", "occupation", "hobbies", "notes")

    def to_json(self) -> dict[str, Any]:
        return {**{name: getattr(self, name) for name in self._TEXT}, "driver": self.driver,
                "vdu_user": self.vdu_user}

    @classmethod
    def from_json(cls, data: object) -> History:
        values = _mapping(data)
        return cls(**{name: _text(values.get(name)) for name in cls._TEXT},
                   driver=_bool(values.get("driver")), vdu_user=_bool(values.get("vdu_user")))

    def text_for_matching(self) -> str:
        """Everything written in the history, for protocol and recall condition matching."""
        return "\n".join(v for v in (self.general_health, self.medications, self.ocular_history,
                                     self.family_ocular_history, self.notes) if v)


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
        values = _mapping(data)
        acuities: dict[tuple[str, str, str], str] = {}
        for distance in VA_DISTANCES:
            for condition, eyes in _mapping(values.get(distance)).items():
                for eye, text in _mapping(eyes).items():
                    if _text(text):
                        acuities[(distance, condition, eye)] = str(text).strip()
        return cls(str(values.get("notation") or "snellen"), acuities, _text(values.get("notes")))

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


@dataclass(frozen=True)
class BinocularVision:
    """Cover test, motility, near point of convergence, accommodation, stereopsis."""

    cover_test_distance: str | None = None
    cover_test_near: str | None = None
    motility: str | None = None
    npc_cm: Decimal | None = None
    accommodation_R: Decimal | None = None
    accommodation_L: Decimal | None = None
    stereopsis: str | None = None
    notes: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"cover_test_distance": self.cover_test_distance, "cover_test_near": self.cover_test_near,
                "motility": self.motility, "npc_cm": plain_text(self.npc_cm, 0) if self.npc_cm is not None
                and self.npc_cm == self.npc_cm.to_integral_value() else plain_text(self.npc_cm, 1),
                "accommodation_R": plain_text(self.accommodation_R, 2),
                "accommodation_L": plain_text(self.accommodation_L, 2),
                "stereopsis": self.stereopsis, "notes": self.notes}

    @classmethod
    def from_json(cls, data: object) -> BinocularVision:
        v = _mapping(data)
        return cls(_text(v.get("cover_test_distance")), _text(v.get("cover_test_near")), _text(v.get("motility")),
                   decimal_from(v.get("npc_cm")), decimal_from(v.get("accommodation_R")),
                   decimal_from(v.get("accommodation_L")), _text(v.get("stereopsis")), _text(v.get("notes")))

    def problems(self) -> list[str]:
        problems = []
        if self.npc_cm is not None and not Decimal(0) <= self.npc_cm <= Decimal(50):
            problems.append(f"NPC {self.npc_cm} cm is out of range (0–50 cm)")
        for side, value in (("R", self.accommodation_R), ("L", self.accommodation_L)):
            if value is not None and not Decimal(0) <= value <= Decimal(25):
                problems.append(f"Accommodation {side} {value} D is out of range (0–25 D)")
        return problems


# --------------------------------------------------------------------------------------------------
# Ocular health

GRADING_SCALES: Final[dict[str, str]] = {"efron": "Efron (0–4)", "cclru": "CCLRU (0–4)"}
GRADED_FEATURES: Final[dict[str, str]] = {"lids": "Lids & lashes", "conjunctiva": "Conjunctiva",
                                          "cornea": "Cornea"}
"""Anterior eye features graded 0 (normal) … 4 (severe) on the Efron or CCLRU scale."""

GRADE_MIN: Final = Decimal(0)
GRADE_MAX: Final = Decimal(4)


def grade_problem(what: str, value: Decimal | None) -> str | None:
    """A 0–4 grade (Efron whole grades, CCLRU to 0.1); None if fine or blank."""
    if value is None:
        return None
    if not GRADE_MIN <= value <= GRADE_MAX:
        return f"{what} grade {value} is out of range: grade 0 (normal) to 4 (severe)"
    if value != value.quantize(Decimal("0.1")):
        return f"{what} grade {value}: use whole or tenth grades (e.g. 1 or 1.5)"
    return None


@dataclass(frozen=True)
class AnteriorEye:
    lids: Decimal | None = None
    conjunctiva: Decimal | None = None
    cornea: Decimal | None = None
    van_herick: int | None = None  # anterior chamber angle, grade 1 (narrow) … 4 (open)
    lens: str | None = None
    notes: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"lids": _grade_text(self.lids), "conjunctiva": _grade_text(self.conjunctiva),
                "cornea": _grade_text(self.cornea), "van_herick": self.van_herick, "lens": self.lens,
                "notes": self.notes}

    @classmethod
    def from_json(cls, data: object) -> AnteriorEye:
        v = _mapping(data)
        return cls(decimal_from(v.get("lids")), decimal_from(v.get("conjunctiva")), decimal_from(v.get("cornea")),
                   int_from(v.get("van_herick")), _text(v.get("lens")), _text(v.get("notes")))

    def problems(self) -> list[str]:
        problems = [p for name, label in GRADED_FEATURES.items()
                    if (p := grade_problem(label, getattr(self, name)))]
        if self.van_herick is not None and not 1 <= self.van_herick <= 4:
            problems.append(f"Van Herick grade {self.van_herick} is out of range: 1 (narrow) to 4 (open)")
        return problems


def _grade_text(value: Decimal | None) -> str | None:
    return None if value is None else _number_text(value)


@dataclass(frozen=True)
class AnteriorSegment:
    """Slit-lamp findings per eye with graded features, pupils, and free text."""

    method: str | None = None
    scale: str = "efron"
    R: AnteriorEye = field(default_factory=AnteriorEye)
    L: AnteriorEye = field(default_factory=AnteriorEye)
    pupils: str | None = None
    notes: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "scale": self.scale, "R": self.R.to_json(), "L": self.L.to_json(),
                "pupils": self.pupils, "notes": self.notes}

    @classmethod
    def from_json(cls, data: object) -> AnteriorSegment:
        v = _mapping(data)
        return cls(_text(v.get("method")), str(v.get("scale") or "efron"), AnteriorEye.from_json(v.get("R")),
                   AnteriorEye.from_json(v.get("L")), _text(v.get("pupils")), _text(v.get("notes")))

    def problems(self) -> list[str]:
        return [f"{side}: {p}" for side, eye in (("R", self.R), ("L", self.L)) for p in eye.problems()]

    @property
    def is_recorded(self) -> bool:
        return not (AnteriorEye() == self.R and AnteriorEye() == self.L and not self.pupils and not self.notes)


POSTERIOR_METHODS: Final[dict[str, str]] = {
    "direct": "Direct ophthalmoscopy", "volk": "Slit lamp + Volk lens", "indirect": "Indirect (BIO)",
    "photo": "Fundus photography", "oct": "OCT",
}


@dataclass(frozen=True)
class PosteriorEye:
    cd_ratio: Decimal | None = None
    disc: str | None = None
    macula: str | None = None
    vessels: str | None = None
    periphery: str | None = None
    vitreous: str | None = None
    retinopathy: str | None = None  # diabetic retinopathy grade, e.g. R0 M0

    _TEXT: ClassVar[tuple[str, ...]] = ("disc", "macula", "vessels", "periphery", "vitreous", "retinopathy")

    def to_json(self) -> dict[str, Any]:
        return {"cd_ratio": plain_text(self.cd_ratio, 2), **{n: getattr(self, n) for n in self._TEXT}}

    @classmethod
    def from_json(cls, data: object) -> PosteriorEye:
        v = _mapping(data)
        return cls(decimal_from(v.get("cd_ratio")), **{n: _text(v.get(n)) for n in cls._TEXT})

    def problems(self) -> list[str]:
        if self.cd_ratio is not None and not Decimal(0) <= self.cd_ratio <= Decimal(1):
            return [f"C/D ratio {self.cd_ratio} is out of range: 0.0 to 1.0"]
        return []


@dataclass(frozen=True)
class PosteriorSegment:
    """Ophthalmoscopy: method, dilation, per-eye disc (C/D), macula, vessels, periphery; free text."""

    method: str | None = None
    dilated: bool = False
    drug: str | None = None
    R: PosteriorEye = field(default_factory=PosteriorEye)
    L: PosteriorEye = field(default_factory=PosteriorEye)
    notes: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "dilated": self.dilated, "drug": self.drug, "R": self.R.to_json(),
                "L": self.L.to_json(), "notes": self.notes}

    @classmethod
    def from_json(cls, data: object) -> PosteriorSegment:
        v = _mapping(data)
        return cls(_text(v.get("method")), bool(v.get("dilated", False)), _text(v.get("drug")),
                   PosteriorEye.from_json(v.get("R")), PosteriorEye.from_json(v.get("L")), _text(v.get("notes")))

    def problems(self) -> list[str]:
        return [f"{side}: {p}" for side, eye in (("R", self.R), ("L", self.L)) for p in eye.problems()]

    @property
    def is_recorded(self) -> bool:
        return not (PosteriorEye() == self.R and PosteriorEye() == self.L and not self.notes)


# --------------------------------------------------------------------------------------------------
# IOP, visual fields, keratometry

IOP_METHODS: Final[dict[str, str]] = {
    "non_contact": "Non-contact (air puff)", "goldmann": "Goldmann applanation", "perkins": "Perkins applanation",
    "icare": "iCare rebound", "tonopen": "Tono-Pen",
}
IOP_MIN: Final = Decimal(1)
IOP_MAX: Final = Decimal(80)
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]?([0-5]\d)$")


def parse_iop_readings(text: str) -> tuple[Decimal, ...]:
    """Repeated IOP readings typed as ``15 16 15``, ``15, 16, 15`` or ``15/16/15`` (mmHg).

    ``ValueError`` for anything that is not a reading between 1 and 80 mmHg.
    """
    parts = [p for p in re.split(r"[\s,;/]+", text.strip()) if p]
    readings = []
    for part in parts:
        try:
            value = Decimal(part)
        except InvalidOperation:
            raise ValueError(f"'{part}' is not an IOP reading: type readings in mmHg, e.g. 15 16 15") from None
        if not value.is_finite() or not IOP_MIN <= value <= IOP_MAX:
            raise ValueError(f"IOP {part} mmHg is out of range (1–80 mmHg)")
        readings.append(value)
    return tuple(readings)


def format_iop_readings(readings: Iterable[Decimal]) -> str:
    return "  ".join(_number_text(r) for r in readings)


def iop_mean(readings: Iterable[Decimal]) -> Decimal | None:
    """The mean of the readings to 0.1 mmHg (half up), None if there are none."""
    values = list(readings)
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def normalise_time(text: str | None) -> str | None:
    """``1015``, ``10.15`` or ``10:15`` → ``10:15``; ``ValueError`` if it is not a time of day."""
    if text is None or not text.strip():
        return None
    match = _TIME.match(text.strip())
    if not match:
        raise ValueError(f"'{text.strip()}' is not a time: use 24-hour HH:MM, e.g. 10:15")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


@dataclass(frozen=True)
class Iop:
    """Intraocular pressure: method, time of day, repeated readings per eye (mean derived)."""

    method: str | None = None
    time: str | None = None
    R: tuple[Decimal, ...] = ()
    L: tuple[Decimal, ...] = ()
    notes: str | None = None

    def mean(self, side: str) -> Decimal | None:
        return iop_mean(self.R if side == "R" else self.L)

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "time": self.time,
                **{side: {"readings": [_number_text(r) for r in readings], "mean": plain_text(iop_mean(readings), 1)}
                   for side, readings in (("R", self.R), ("L", self.L))},
                "notes": self.notes}

    @classmethod
    def from_json(cls, data: object) -> Iop:
        v = _mapping(data)

        def readings(side: str) -> tuple[Decimal, ...]:
            raw = _mapping(v.get(side)).get("readings") or []
            return tuple(d for d in (decimal_from(r) for r in raw) if d is not None)

        return cls(_text(v.get("method")), _text(v.get("time")), readings("R"), readings("L"), _text(v.get("notes")))

    def problems(self) -> list[str]:
        problems = [f"IOP {side} {r} mmHg is out of range (1–80 mmHg)"
                    for side, values in (("R", self.R), ("L", self.L)) for r in values if not IOP_MIN <= r <= IOP_MAX]
        if self.time:
            try:
                normalise_time(self.time)
            except ValueError as error:
                problems.append(str(error))
        if (self.R or self.L) and not self.method:
            problems.append("Record how the IOP was measured (method)")
        return problems


FIELD_METHODS: Final[dict[str, str]] = {
    "confrontation": "Confrontation", "humphrey_24_2": "Humphrey 24-2", "humphrey_10_2": "Humphrey 10-2",
    "fdt": "FDT (frequency doubling)", "henson": "Henson", "octopus": "Octopus", "esterman": "Esterman (driving)",
}


@dataclass(frozen=True)
class VisualFields:
    method: str | None = None
    R: str | None = None
    L: str | None = None
    notes: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "R": self.R, "L": self.L, "notes": self.notes}

    @classmethod
    def from_json(cls, data: object) -> VisualFields:
        v = _mapping(data)
        return cls(_text(v.get("method")), _text(v.get("R")), _text(v.get("L")), _text(v.get("notes")))


@dataclass(frozen=True)
class KeratometryEye:
    """Two principal meridians: radius (mm), power (D) and axis of each."""

    k1_radius_mm: Decimal | None = None
    k1_power: Decimal | None = None
    k1_axis: int | None = None
    k2_radius_mm: Decimal | None = None
    k2_power: Decimal | None = None
    k2_axis: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"k1_radius_mm": plain_text(self.k1_radius_mm), "k1_power": plain_text(self.k1_power),
                "k1_axis": self.k1_axis, "k2_radius_mm": plain_text(self.k2_radius_mm),
                "k2_power": plain_text(self.k2_power), "k2_axis": self.k2_axis}

    @classmethod
    def from_json(cls, data: object) -> KeratometryEye:
        v = _mapping(data)
        return cls(decimal_from(v.get("k1_radius_mm")), decimal_from(v.get("k1_power")), int_from(v.get("k1_axis")),
                   decimal_from(v.get("k2_radius_mm")), decimal_from(v.get("k2_power")), int_from(v.get("k2_axis")))

    def problems(self) -> list[str]:
        problems = []
        for k in ("k1", "k2"):
            radius, power, axis = (getattr(self, f"{k}_radius_mm"), getattr(self, f"{k}_power"),
                                   getattr(self, f"{k}_axis"))
            if radius is not None and not Decimal(5) <= radius <= Decimal(11):
                problems.append(f"{k.upper()} radius {radius} mm is out of range (5–11 mm)")
            if power is not None and not Decimal(30) <= power <= Decimal("67.5"):
                problems.append(f"{k.upper()} power {power} D is out of range (30–67.5 D)")
            if axis is not None and not 0 <= axis <= 180:
                problems.append(f"{k.upper()} axis {axis} is out of range (0–180)")
        return problems


@dataclass(frozen=True)
class Keratometry:
    R: KeratometryEye = field(default_factory=KeratometryEye)
    L: KeratometryEye = field(default_factory=KeratometryEye)
    notes: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"R": self.R.to_json(), "L": self.L.to_json(), "notes": self.notes}

    @classmethod
    def from_json(cls, data: object) -> Keratometry:
        v = _mapping(data)
        return cls(KeratometryEye.from_json(v.get("R")), KeratometryEye.from_json(v.get("L")), _text(v.get("notes")))

    def problems(self) -> list[str]:
        return [f"{side}: {p}" for side, eye in (("R", self.R), ("L", self.L)) for p in eye.problems()]


# --------------------------------------------------------------------------------------------------
# The whole record

BLOCKS: Final[tuple[str, ...]] = (
    "history", "vision", "current_spectacles", "objective_refraction", "subjective_refraction",
    "binocular_vision", "anterior_segment", "posterior_segment", "iop", "visual_fields", "keratometry",
)
"""The JSONB columns of ``eye_examinations``, in record order."""

_BLOCK_TYPES: Final[dict[str, Any]] = {
    "history": History, "vision": Vision, "current_spectacles": CurrentSpectacles,
    "objective_refraction": ObjectiveRefraction, "subjective_refraction": SubjectiveRefraction,
    "binocular_vision": BinocularVision, "anterior_segment": AnteriorSegment,
    "posterior_segment": PosteriorSegment, "iop": Iop, "visual_fields": VisualFields, "keratometry": Keratometry,
}

SECTION_TITLES: Final[dict[str, str]] = {
    "reason_for_visit": "Reason for visit & symptoms",
    "history": "History",
    "vision": "Vision & visual acuity",
    "current_spectacles": "Current spectacles",
    "objective_refraction": "Objective refraction",
    "subjective_refraction": "Subjective refraction",
    "binocular_vision": "Binocular vision",
    "anterior_segment": "Anterior segment",
    "posterior_segment": "Posterior segment",
    "iop": "Intraocular pressure",
    "visual_fields": "Visual fields",
    "keratometry": "Keratometry",
    "management": "Diagnosis, management & recall",
    "recall": "Recall",
}


@dataclass(frozen=True)
class ExamContent:
    """Everything the clinician records in an examination (the editable columns of ``eye_examinations``)."""

    reason_for_visit: str | None = None
    symptoms: str | None = None
    history: History = field(default_factory=History)
    vision: Vision = field(default_factory=Vision)
    current_spectacles: CurrentSpectacles = field(default_factory=CurrentSpectacles)
    objective_refraction: ObjectiveRefraction = field(default_factory=ObjectiveRefraction)
    subjective_refraction: SubjectiveRefraction = field(default_factory=SubjectiveRefraction)
    binocular_vision: BinocularVision = field(default_factory=BinocularVision)
    anterior_segment: AnteriorSegment = field(default_factory=AnteriorSegment)
    posterior_segment: PosteriorSegment = field(default_factory=PosteriorSegment)
    iop: Iop = field(default_factory=Iop)
    visual_fields: VisualFields = field(default_factory=VisualFields)
    keratometry: Keratometry = field(default_factory=Keratometry)
    device_sources: Mapping[str, DeviceSource] = field(default_factory=dict)
    diagnosis: str | None = None
    management: str | None = None
    advice: str | None = None
    recall_months: int | None = None
    referral_made: bool = False
    protocol_checks: Mapping[str, Mapping[str, bool]] = field(default_factory=dict)

    def to_columns(self) -> dict[str, Any]:
        """The column values of ``eye_examinations`` (JSON-ready dicts for the JSONB blocks)."""
        columns: dict[str, Any] = {name: getattr(self, name).to_json() for name in BLOCKS}
        columns.update(
            reason_for_visit=self.reason_for_visit, symptoms=self.symptoms, diagnosis=self.diagnosis,
            management=self.management, advice=self.advice, recall_months=self.recall_months,
            referral_made=self.referral_made,
            device_sources={block: source.to_json() for block, source in self.device_sources.items()},
            protocol_checks={title: dict(items) for title, items in self.protocol_checks.items()},
        )
        return columns

    @classmethod
    def from_columns(cls, columns: Mapping[str, Any]) -> ExamContent:
        """Read the columns back (tolerant: a block that is missing or ``{}`` is an empty block)."""
        blocks = {name: _BLOCK_TYPES[name].from_json(columns.get(name) or {}) for name in BLOCKS}
        sources = {block: DeviceSource.from_json(data)
                   for block, data in _mapping(columns.get("device_sources")).items()
                   if isinstance(data, Mapping) and data.get("received_at")}
        checks = {str(title): {str(item): bool(done) for item, done in _mapping(items).items()}
                  for title, items in _mapping(columns.get("protocol_checks")).items()}
        recall = columns.get("recall_months")
        return cls(
            reason_for_visit=_text(columns.get("reason_for_visit")), symptoms=_text(columns.get("symptoms")),
            diagnosis=_text(columns.get("diagnosis")), management=_text(columns.get("management")),
            advice=_text(columns.get("advice")), recall_months=None if recall is None else int(recall),
            referral_made=bool(columns.get("referral_made", False)), device_sources=sources,
            protocol_checks=checks, **blocks,
        )

    def with_block(self, name: str, block: Any) -> ExamContent:
        return replace(self, **{name: block})

    def text_for_matching(self) -> str:
        """History, reason and symptoms together: what protocol conditions are matched against."""
        return "\n".join(t for t in (self.history.text_for_matching(), self.reason_for_visit, self.symptoms) if t)


def content_problems(content: ExamContent) -> dict[str, str]:
    """Values that break a rule, by section (Rx ranges and steps, VA notation, grades, IOP…).

    Checked on every save as well as on finalising: a draft may be incomplete, never wrong.
    """
    problems: dict[str, str] = {}
    for name in BLOCKS:
        found = getattr(getattr(content, name), "problems", lambda: [])()
        if found:
            problems[name] = "; ".join(found)
    if content.recall_months is not None and not 1 <= content.recall_months <= 60:
        problems["recall"] = "Recall is between 1 and 60 months"
    return problems


SIGHT_TEST_TYPES: Final = frozenset({"sight_test", "domiciliary", "gos_sight_test", "private_sight_test"})
"""Appointment types that are sight tests (Opticians Act s.26: a prescription or statement follows)."""

_ALWAYS_REQUIRED: Final = ("reason_for_visit", "vision", "anterior_segment", "management", "recall")


def required_sections(appointment_type: str | None) -> tuple[str, ...]:
    """What must be recorded before an exam can be finalised, by appointment type.

    Every exam: reason for visit, vision, anterior eye, management and recall (the College record
    structure). A sight test also needs the subjective refraction (a prescription or statement must
    follow, Opticians Act 1989 s.26) and the internal examination of the eye (posterior segment, the
    Sight Testing (Examination and Prescription) (No.2) Regulations 1989). Unknown or missing
    appointment types are treated as sight tests: the stricter rule is the safer default.
    """
    code = (appointment_type or "sight_test").lower()
    if code.startswith("cl_") or code in ("collection", "contact_lens_aftercare"):
        return _ALWAYS_REQUIRED
    return (*_ALWAYS_REQUIRED[:3], "subjective_refraction", "posterior_segment", *_ALWAYS_REQUIRED[3:])


def _section_present(content: ExamContent, section: str) -> bool:
    return {
        "reason_for_visit": bool(content.reason_for_visit or content.symptoms),
        "vision": content.vision.is_recorded,
        "subjective_refraction": content.subjective_refraction.is_complete,
        "anterior_segment": content.anterior_segment.is_recorded,
        "posterior_segment": content.posterior_segment.is_recorded,
        "management": bool(content.management or content.advice or content.diagnosis),
        "recall": content.recall_months is not None,
    }[section]


_MISSING: Final[dict[str, str]] = {
    "reason_for_visit": "Record the reason for the visit or the symptoms.",
    "vision": "Record a distance visual acuity for each eye.",
    "subjective_refraction": "Record the subjective refraction for both eyes (plano counts).",
    "anterior_segment": "Record the anterior segment findings.",
    "posterior_segment": "Record the posterior segment (ophthalmoscopy) findings.",
    "management": "Record the diagnosis or management and advice.",
    "recall": "Set the recall interval.",
}


def finalising_problems(content: ExamContent, appointment_type: str | None) -> dict[str, str]:
    """Why an exam cannot be finalised yet: sections missing for its type, then wrong values."""
    problems = {s: _MISSING[s] for s in required_sections(appointment_type) if not _section_present(content, s)}
    for section, message in content_problems(content).items():
        problems.setdefault(section, message)
    return problems


# --------------------------------------------------------------------------------------------------
# Conditions, protocols, recall

_NEGATION = re.compile(r"\b(no|nil|not|denies|denied|negative|without|never|none)\b", re.IGNORECASE)
_CLAUSE = re.compile(r"[.;,\n]+")


def mentions(text: str | None, stem: str) -> bool:
    """True when ``text`` mentions ``stem`` (case-insensitive) other than in a negated clause.

    "Type 2 diabetes" → True for "diabet"; "No diabetes" and "FH glaucoma: nil" read as not
    mentioned. Deliberately simple: a prompt for the clinician, never a diagnosis.
    """
    if not text or not stem:
        return False
    needle = stem.lower()
    for clause in _CLAUSE.split(text.lower()):
        position = clause.find(needle)
        if position < 0:
            continue
        if _NEGATION.search(clause[:position]) or re.search(r":\s*(nil|none|no)\b", clause[position:]):
            continue
        return True
    return False


@dataclass(frozen=True)
class PatientConditions:
    """What the recall and protocol rules need to know about a patient."""

    diabetes: bool = False
    glaucoma: bool = False
    ocular_hypertension: bool = False
    family_glaucoma: bool = False
    binocular_vision_anomaly: bool = False


def conditions_from_history(history: History, extra_text: str | None = None) -> PatientConditions:
    """Conditions mentioned in the history (negation-aware keyword match, see ``mentions``)."""
    own = "\n".join(t for t in (history.general_health, history.medications, history.ocular_history,
                                history.notes, extra_text) if t)
    return PatientConditions(
        diabetes=mentions(own, "diabet") or mentions(own, "metformin") or mentions(own, "insulin"),
        glaucoma=mentions(own, "glaucoma"),
        ocular_hypertension=mentions(own, "ocular hypertension") or mentions(own, "oht"),
        family_glaucoma=mentions(history.family_ocular_history, "glaucoma"),
    )


@dataclass(frozen=True)
class RecallPolicy:
    """Recall intervals in months (defaults: NHS GOS minimum intervals, see the module docstring).

    A practice may shorten them; keep ``adult_months`` ≤ 24 for NHS patients.
    """

    adult_months: int = 24
    child_months: int = 12
    child_bv_anomaly_months: int = 6
    child_under: int = 16
    older_from: int = 70
    older_months: int = 12
    diabetes_months: int = 12
    glaucoma_months: int = 12
    family_glaucoma_from: int = 40
    family_glaucoma_months: int = 12


DEFAULT_RECALL_POLICY: Final = RecallPolicy()


@dataclass(frozen=True)
class RecallSuggestion:
    months: int
    reason: str


def suggest_recall(age: int, conditions: PatientConditions = PatientConditions(),
                   policy: RecallPolicy = DEFAULT_RECALL_POLICY) -> RecallSuggestion:
    """The default recall interval for a patient: the shortest interval of every rule that applies.

    Rules (``RecallPolicy``): under 16 (with a BV anomaly sooner), 70 and over, diabetes, glaucoma
    or ocular hypertension, 40+ with family history of glaucoma; otherwise the adult interval.
    """
    # Conditions first: when several rules give the same interval, the reason names them in that order.
    candidates: list[RecallSuggestion] = []
    if conditions.diabetes:
        candidates.append(RecallSuggestion(policy.diabetes_months, "Diabetic patient: annual eye examination"))
    if conditions.glaucoma or conditions.ocular_hypertension:
        candidates.append(RecallSuggestion(policy.glaucoma_months, "Glaucoma / ocular hypertension: annual review"))
    if conditions.family_glaucoma and age >= policy.family_glaucoma_from:
        candidates.append(RecallSuggestion(policy.family_glaucoma_months,
                                           "Family history of glaucoma (40 or over): annual sight test"))
    if age < policy.child_under:
        if conditions.binocular_vision_anomaly:
            candidates.append(RecallSuggestion(policy.child_bv_anomaly_months, "Child with a binocular vision anomaly"))
        candidates.append(RecallSuggestion(policy.child_months, f"Under {policy.child_under}: annual sight test"))
    if age >= policy.older_from:
        candidates.append(RecallSuggestion(policy.older_months, f"Aged {policy.older_from} or over: annual sight test"))
    candidates.append(RecallSuggestion(policy.adult_months, "Routine adult sight test"))
    shortest = min(c.months for c in candidates)
    return RecallSuggestion(shortest, " · ".join(c.reason for c in candidates if c.months == shortest))


def age_on(born: date, on: date) -> int:
    """Age in whole years on a date."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def add_months(start: date, months: int) -> date:
    """``start`` plus whole months, the day clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    import calendar

    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ProtocolDefinition:
    """A checklist shown in the exam: applies to an appointment type and/or a patient condition."""

    title: str
    items: tuple[str, ...]
    appointment_type: str | None = None
    condition: str | None = None


DEFAULT_PROTOCOLS: Final[tuple[ProtocolDefinition, ...]] = (
    ProtocolDefinition("Sight test", (
        "External examination of the eye", "Internal examination (ophthalmoscopy)",
        "Prescription or statement given", "Driving vision standard discussed (drivers)",
    ), appointment_type="sight_test"),
    ProtocolDefinition("Diabetic patient", (
        "Dilated fundus examination", "Document retinopathy grade (R/M)", "Ask about diabetic eye screening",
    ), condition="diabet"),
    ProtocolDefinition("Glaucoma risk", (
        "IOP measured", "Visual fields", "Optic disc assessed with C/D ratio", "Anterior chamber angle (Van Herick)",
    ), condition="glaucoma"),
    ProtocolDefinition("Flashes and floaters", (
        "Dilated examination of the peripheral retina", "Advice on retinal detachment symptoms given",
    ), condition="floater"),
    ProtocolDefinition("Contact lens aftercare", (
        "Wearing time and schedule", "Lens fit and condition", "Corneal staining graded",
        "Care system and compliance discussed",
    ), appointment_type="cl_aftercare"),
)
"""Protocols a practice starts with (installed into ``clinical_protocols``; editable there)."""


def protocol_applies(protocol_type: str | None, protocol_condition: str | None, appointment_type: str | None,
                     patient_text: str) -> bool:
    """A protocol applies when its appointment type (if any) is this one and its condition (if any)
    is mentioned in the patient's history, reason or symptoms (``mentions``). One with neither
    applies to every exam."""
    if protocol_type and protocol_type != (appointment_type or "sight_test"):
        return False
    return not protocol_condition or mentions(patient_text, protocol_condition)


def outstanding_items(protocols: Iterable[ProtocolDefinition], checks: Mapping[str, Mapping[str, bool]]
                      ) -> list[str]:
    """Protocol items not ticked yet, as ``Title: item``."""
    return [f"{p.title}: {item}" for p in protocols for item in p.items
            if not checks.get(p.title, {}).get(item, False)]


def _eye_values(values: Mapping[str, Any], side: str) -> Mapping[str, Any]:
    eyes = values.get("eyes", values)
    return _mapping(_mapping(eyes).get(side))


def _device_sca(eye: Mapping[str, Any]) -> Sca | None:
    sphere, cylinder, axis = decimal_from(eye.get("sphere")), decimal_from(eye.get("cylinder")), \
        int_from(eye.get("axis"))
    if sphere is None and cylinder is None:
        return None
    if cylinder is None or cylinder.is_zero():
        return Sca(sphere or Decimal(0))
    return Sca(sphere or Decimal(0), cylinder, 180 if axis in (None, 0) else axis)


def _device_prism(eye: Mapping[str, Any], direction: str) -> Prism | None:
    amount, base = decimal_from(eye.get(f"prism_{direction}")), eye.get(f"prism_{direction}_base")
    if amount is None or amount.is_zero() or not base:
        return None
    return Prism(abs(amount), str(base))


def _device_iop(eye: Mapping[str, Any]) -> tuple[Decimal, ...]:
    readings = [decimal_from(_mapping(r).get("iop_mmhg")) for r in eye.get("readings") or []]
    found = tuple(r for r in readings if r is not None)
    if found:
        return found
    single = decimal_from(eye.get("iop_mmhg"))
    return () if single is None else (single,)


def apply_device_reading(content: ExamContent, kind: str, values: Mapping[str, Any],
                         source: DeviceSource) -> ExamContent:
    """The content with a device reading accepted into its block, and the source recorded.

    ``values`` is one measurement of the device JSON contract (``ils-desktop devices parse``): the
    representative values per eye under ``eyes`` (or the eyes mapping itself), numbers as JSON
    numbers or strings. Values are kept as the device sent them (0.01 D): rounding to 0.25 D happens
    only when a refraction becomes an Rx. Fields the reading does not carry keep what was recorded
    (lens type, notes…). A tonometer's readings are all kept; its time becomes the IOP time.
    """
    block = block_for_measurement(kind)
    sides = {side: _eye_values(values, side) for side in EYES}
    if block == "objective_refraction":
        current = content.objective_refraction
        new: Any = ObjectiveRefraction("autorefraction", _device_sca(sides["R"]), _device_sca(sides["L"]),
                                       current.working_distance_cm, current.notes)
    elif block == "current_spectacles":
        current_specs = content.current_spectacles
        eyes = {side: RefractionEye(_device_sca(v), _device_prism(v, "h"), _device_prism(v, "v"),
                                    decimal_from(v.get("add")), None, None) for side, v in sides.items()}
        new = CurrentSpectacles(current_specs.lens_type, eyes["R"], eyes["L"], current_specs.age, current_specs.notes)
    elif block == "keratometry":
        names = ("k1_radius_mm", "k1_power", "k1_axis", "k2_radius_mm", "k2_power", "k2_axis")
        k_eyes = {side: KeratometryEye(**{n: (int_from(v.get(n)) if n.endswith("axis") else decimal_from(v.get(n)))
                                          for n in names}) for side, v in sides.items()}
        new = Keratometry(k_eyes["R"], k_eyes["L"], content.keratometry.notes)
    else:
        current_iop = content.iop
        new = Iop(current_iop.method or "non_contact", f"{source.received_at.astimezone(LONDON):%H:%M}",
                  _device_iop(sides["R"]), _device_iop(sides["L"]), current_iop.notes)
    sources = {**content.device_sources, block: replace(source, edited=False)}
    return replace(content, **{block: new}, device_sources=sources)


def describe_device_reading(kind: str, values: Mapping[str, Any]) -> str:
    """A one-line summary of a reading for the offer banner: ``R -1.25/-0.50x180 · L +0.25DS``."""
    block = block_for_measurement(kind)
    parts = []
    for side in EYES:
        eye = _eye_values(values, side)
        if not eye:
            continue
        if block in ("objective_refraction", "current_spectacles"):
            sca = _device_sca(eye)
            if sca is None:
                continue
            text = f"{sca.sphere:+.2f}/{sca.cylinder:+.2f}x{sca.axis}" if sca.has_cylinder else f"{sca.sphere:+.2f}DS"
            add = decimal_from(eye.get("add"))
            if add is not None:
                text += f" Add {add:+.2f}"
        elif block == "keratometry":
            k1, k2 = decimal_from(eye.get("k1_radius_mm")), decimal_from(eye.get("k2_radius_mm"))
            text = f"{k1} / {k2} mm @ {int_from(eye.get('k1_axis'))}"
        else:
            readings = _device_iop(eye)
            if not readings:
                continue
            mean = iop_mean(readings)
            text = f"{mean} mmHg" + (f" (mean of {len(readings)})" if len(readings) > 1 else "")
        parts.append(f"{side} {text}")
    return " · ".join(parts) or "no values for either eye"


def format_eye_rx(eye: RefractionEye) -> str:
    """A one-line summary of one eye for headers and comparisons: ``-1.25/-0.50x180 Add +2.00``."""
    if eye.sca is None:
        return "—"
    try:
        text = format_sca(eye.sca)
    except ValueError:
        text = f"{eye.sca.sphere:+.2f}/{eye.sca.cylinder:+.2f}"
    if eye.near_add is not None:
        text += f" Add {eye.near_add:+.2f}"
    return text

