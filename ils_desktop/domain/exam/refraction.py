"""Refraction: the current spectacles, the objective and subjective refraction, keratometry.

Notation, ranges and 0.25 D steps are ``ils_desktop.domain.rx``'s. Device values (0.01 D) are kept
as sent in the objective refraction, focimetry and keratometry blocks; only the subjective
refraction (what becomes the prescription) must be in 0.25 D steps.

JSON contract of ``subjective_refraction`` (other helpers rely on it exactly)::

    {"R": {"sphere": "-1.25", "cylinder": "-0.50", "axis": 180, "prism_h": "0.50", "prism_h_base": "IN",
           "prism_v": null, "prism_v_base": null, "near_add": "+2.00", "intermediate_add": null, "va": "6/6"},
     "L": {...same keys...}, "binocular_va": "6/5",
     "pd": {"distance": "63.0", "near": "60.0", "R": "31.5", "L": "31.5"}}

Decimals are strings (powers signed with two decimals, prism unsigned, PD one decimal), axis an int
or null, missing values null. A sphere-only eye has ``"cylinder": null`` and ``"axis": null``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from ils_desktop.domain.exam.values import (
    EYES,
    decimal_from,
    int_from,
    mapping_of,
    plain_text,
    signed_text,
    text_of,
)
from ils_desktop.domain.exam.vision import va_problem
from ils_desktop.domain.rx import MAX_ADD, STANDARD_STEP, Prism, Sca, format_sca, validate_sca


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
        values = mapping_of(data)
        return cls(
            sca=_sca_from_json(values),
            prism_h=_prism_from_json(values.get("prism_h"), values.get("prism_h_base")),
            prism_v=_prism_from_json(values.get("prism_v"), values.get("prism_v_base")),
            near_add=decimal_from(values.get("near_add")),
            intermediate_add=decimal_from(values.get("intermediate_add")),
            va=text_of(values.get("va")),
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
        values = mapping_of(data)
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
        values = mapping_of(data)
        return cls(RefractionEye.from_json(values.get("R")), RefractionEye.from_json(values.get("L")),
                   text_of(values.get("binocular_va")), PupillaryDistance.from_json(values.get("pd")))

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
        values = mapping_of(data)
        return cls(text_of(values.get("method")), _sca_from_json(mapping_of(values.get("R"))),
                   _sca_from_json(mapping_of(values.get("L"))), decimal_from(values.get("working_distance_cm")),
                   text_of(values.get("notes")))

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
        values = mapping_of(data)
        return cls(text_of(values.get("lens_type")), RefractionEye.from_json(values.get("R")),
                   RefractionEye.from_json(values.get("L")), text_of(values.get("age")), text_of(values.get("notes")))

    def problems(self) -> list[str]:
        return [f"{side}: {p}" for side in EYES
                for p in refraction_eye_problems(self.R if side == "R" else self.L, prescription=False)]


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
        v = mapping_of(data)
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
        v = mapping_of(data)
        return cls(KeratometryEye.from_json(v.get("R")), KeratometryEye.from_json(v.get("L")), text_of(v.get("notes")))

    def problems(self) -> list[str]:
        return [f"{side}: {p}" for side, eye in (("R", self.R), ("L", self.L)) for p in eye.problems()]


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
