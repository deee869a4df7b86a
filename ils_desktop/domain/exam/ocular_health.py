"""The anterior and posterior eye: slit-lamp grading and ophthalmoscopy findings.

Anterior features (lids, conjunctiva, cornea) are graded 0 (normal) … 4 (severe) on the Efron or
CCLRU scale, in whole grades or tenths; the anterior chamber angle by Van Herick, 1 (narrow) … 4
(open). Posterior findings per eye: C/D ratio (0.0 … 1.0), disc, macula, vessels, periphery,
vitreous and a diabetic retinopathy grade.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar, Final

from ils_desktop.domain.exam.values import decimal_from, int_from, mapping_of, number_text, plain_text, text_of

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
        v = mapping_of(data)
        return cls(decimal_from(v.get("lids")), decimal_from(v.get("conjunctiva")), decimal_from(v.get("cornea")),
                   int_from(v.get("van_herick")), text_of(v.get("lens")), text_of(v.get("notes")))

    def problems(self) -> list[str]:
        problems = [p for name, label in GRADED_FEATURES.items()
                    if (p := grade_problem(label, getattr(self, name)))]
        if self.van_herick is not None and not 1 <= self.van_herick <= 4:
            problems.append(f"Van Herick grade {self.van_herick} is out of range: 1 (narrow) to 4 (open)")
        return problems


def _grade_text(value: Decimal | None) -> str | None:
    return None if value is None else number_text(value)


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
        v = mapping_of(data)
        return cls(text_of(v.get("method")), str(v.get("scale") or "efron"), AnteriorEye.from_json(v.get("R")),
                   AnteriorEye.from_json(v.get("L")), text_of(v.get("pupils")), text_of(v.get("notes")))

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
        v = mapping_of(data)
        return cls(decimal_from(v.get("cd_ratio")), **{n: text_of(v.get(n)) for n in cls._TEXT})

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
        v = mapping_of(data)
        return cls(text_of(v.get("method")), bool(v.get("dilated", False)), text_of(v.get("drug")),
                   PosteriorEye.from_json(v.get("R")), PosteriorEye.from_json(v.get("L")), text_of(v.get("notes")))

    def problems(self) -> list[str]:
        return [f"{side}: {p}" for side, eye in (("R", self.R), ("L", self.L)) for p in eye.problems()]

    @property
    def is_recorded(self) -> bool:
        return not (PosteriorEye() == self.R and PosteriorEye() == self.L and not self.notes)
