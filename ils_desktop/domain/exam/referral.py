"""The referral letter's content: its urgency, and the findings it reports from the examination.

A referral (to the GP or the hospital eye service) carries its urgency — emergency, urgent or
routine — the addressee, the reason and the relevant findings (VA, refraction, IOP, anterior and
posterior eye, visual fields) pulled from the exam (College of Optometrists record structure,
docs/domain/optical-practice.md, "Clinical records"). Each finding is per eye with a note for both
eyes (the method, binocular values); empty parts are left out of the letter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Final

from ils_desktop.domain import text_input
from ils_desktop.domain.exam.history import History
from ils_desktop.domain.exam.ocular_health import (
    GRADED_FEATURES,
    GRADING_SCALES,
    POSTERIOR_METHODS,
    AnteriorEye,
    AnteriorSegment,
    PosteriorEye,
    PosteriorSegment,
)
from ils_desktop.domain.exam.pressures import FIELD_METHODS, IOP_MAX, IOP_METHODS, IOP_MIN, Iop, VisualFields
from ils_desktop.domain.exam.record import ExamContent
from ils_desktop.domain.exam.refraction import RefractionEye, SubjectiveRefraction, format_eye_rx
from ils_desktop.domain.exam.values import decimal_from, text_of
from ils_desktop.domain.exam.vision import VA_CONDITIONS, Vision
from ils_desktop.domain.rx import format_prism

URGENCIES: Final[dict[str, str]] = {
    "emergency": "Emergency (same day)",
    "urgent": "Urgent (within 1 week)",
    "routine": "Routine",
}
"""Urgency of a referral as the letter states it (College of Optometrists guidance on referral
urgency: emergency — same day; urgent — within a week; routine)."""

FINDING_SECTIONS: Final[dict[str, str]] = {
    "visual_acuity": "Visual acuity",
    "iop": "IOP (mmHg)",
    "anterior": "Anterior eye",
    "posterior": "Posterior eye",
    "fields": "Visual fields",
}
"""The per-eye findings of a referral, in letter order (the refraction is the exam's, as measured)."""


# --------------------------------------------------------------------------------------------------
# The findings a letter reports (stored in ``referrals.findings`` as JSON)


@dataclass(frozen=True)
class EyeFindings:
    """A finding per eye, with a note for both eyes (the method, binocular values)."""

    right: str | None = None
    left: str | None = None
    note: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"R": self.right, "L": self.left, "note": self.note}

    @classmethod
    def from_json(cls, data: object) -> EyeFindings:
        values = data if isinstance(data, Mapping) else {}
        return cls(*(text_of(values.get(key)) for key in ("R", "L", "note")))

    def cleaned(self) -> EyeFindings:
        return EyeFindings(text_of(self.right), text_of(self.left), text_of(self.note))


@dataclass(frozen=True)
class IopFindings:
    """Intraocular pressure per eye (the mean of the readings, mmHg), how and when it was measured."""

    right: Decimal | None = None
    left: Decimal | None = None
    method: str | None = None
    time: str | None = None
    note: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"R": None if self.right is None else str(self.right),
                "L": None if self.left is None else str(self.left),
                "method": self.method, "time": self.time, "note": self.note}

    @classmethod
    def from_json(cls, data: object) -> IopFindings:
        values = data if isinstance(data, Mapping) else {}
        return cls(decimal_from(values.get("R")), decimal_from(values.get("L")), text_of(values.get("method")),
                   text_of(values.get("time")), text_of(values.get("note")))


@dataclass(frozen=True)
class ReferralFindings:
    """What the letter reports from the examination; empty parts are left out of the letter."""

    visual_acuity: EyeFindings = field(default_factory=EyeFindings)
    refraction_right: RefractionEye = field(default_factory=RefractionEye)
    refraction_left: RefractionEye = field(default_factory=RefractionEye)
    iop: IopFindings = field(default_factory=IopFindings)
    anterior: EyeFindings = field(default_factory=EyeFindings)
    posterior: EyeFindings = field(default_factory=EyeFindings)
    fields: EyeFindings = field(default_factory=EyeFindings)

    def to_json(self) -> dict[str, Any]:
        return {"visual_acuity": self.visual_acuity.to_json(),
                "refraction": {"R": self.refraction_right.to_json(), "L": self.refraction_left.to_json()},
                "iop": self.iop.to_json(), "anterior": self.anterior.to_json(),
                "posterior": self.posterior.to_json(), "fields": self.fields.to_json()}

    @classmethod
    def from_json(cls, data: object) -> ReferralFindings:
        values = data if isinstance(data, Mapping) else {}
        refraction = values.get("refraction") if isinstance(values.get("refraction"), Mapping) else {}
        assert isinstance(refraction, Mapping)
        return cls(EyeFindings.from_json(values.get("visual_acuity")),
                   RefractionEye.from_json(refraction.get("R")), RefractionEye.from_json(refraction.get("L")),
                   IopFindings.from_json(values.get("iop")), EyeFindings.from_json(values.get("anterior")),
                   EyeFindings.from_json(values.get("posterior")), EyeFindings.from_json(values.get("fields")))

    def cleaned(self) -> ReferralFindings:
        iop = replace(self.iop, method=text_of(self.iop.method), time=text_of(self.iop.time),
                      note=text_of(self.iop.note))
        return replace(self, visual_acuity=self.visual_acuity.cleaned(), iop=iop, anterior=self.anterior.cleaned(),
                       posterior=self.posterior.cleaned(), fields=self.fields.cleaned())


# --------------------------------------------------------------------------------------------------
# Findings from the exam (what a GP or ophthalmologist reads, eye by eye)


def _joined(parts: Iterable[str | None], separator: str = "; ") -> str | None:
    text = separator.join(p for p in parts if p)
    return text or None


def va_findings(vision: Vision, subjective: SubjectiveRefraction) -> EyeFindings:
    """Acuities per eye by distance and condition; binocular ones in the note. The VA achieved with
    the subjective refraction is added when no best-corrected acuity was recorded."""

    def of(eye: str) -> list[str]:
        found = [f"{distance.capitalize()} {label.lower()} {value}"
                 for distance in ("distance", "near") for condition, label in VA_CONDITIONS.items()
                 if (value := vision.get(distance, condition, eye))]
        return found

    sides = {eye: of(eye) for eye in ("R", "L", "B")}
    achieved = {"R": subjective.R.va, "L": subjective.L.va, "B": subjective.binocular_va}
    for eye, value in achieved.items():
        if value and not any(item.startswith("Distance best corrected") for item in sides[eye]):
            sides[eye].append(f"With the refraction {value}")
    note = _joined(sides["B"])
    return EyeFindings(_joined(sides["R"]), _joined(sides["L"]), f"Both eyes: {note}" if note else None)


def iop_findings(iop: Iop) -> IopFindings:
    readings = _joined((f"{side} " + ", ".join(format(v.normalize(), "f") for v in values)
                        for side, values in (("R", iop.R), ("L", iop.L)) if len(values) > 1), " · ")
    return IopFindings(iop.mean("R"), iop.mean("L"), IOP_METHODS.get(iop.method or "", iop.method),
                       iop.time, _joined((f"Readings {readings}" if readings else None, iop.notes)))


def _grade(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _anterior_eye(eye: AnteriorEye) -> str | None:
    graded = _joined((f"{label.lower()} {grade}" for name, label in (("lids", "Lids"), ("conjunctiva", "Conjunctiva"),
                                                                     ("cornea", "Cornea"))
                      if (grade := _grade(getattr(eye, name))) is not None), ", ")
    return _joined((f"Grades: {graded}" if graded else None,
                    f"Van Herick {eye.van_herick}" if eye.van_herick is not None else None,
                    f"Lens: {eye.lens}" if eye.lens else None, eye.notes))


def anterior_findings(anterior: AnteriorSegment) -> EyeFindings:
    scale = GRADING_SCALES.get(anterior.scale, anterior.scale)
    has_grades = any(getattr(e, n) is not None for e in (anterior.R, anterior.L) for n in GRADED_FEATURES)
    return EyeFindings(_anterior_eye(anterior.R), _anterior_eye(anterior.L), _joined((
        f"Grading scale {scale}" if has_grades else None, anterior.method and f"Method: {anterior.method}",
        f"Pupils: {anterior.pupils}" if anterior.pupils else None, anterior.notes)))


_POSTERIOR_LABELS: Final = (("disc", "Disc"), ("macula", "Macula"), ("vessels", "Vessels"),
                            ("periphery", "Periphery"), ("vitreous", "Vitreous"), ("retinopathy", "Retinopathy grade"))


def _posterior_eye(eye: PosteriorEye) -> str | None:
    parts = [f"C/D {eye.cd_ratio:.2f}"] if eye.cd_ratio is not None else []
    parts += [f"{label}: {value}" for name, label in _POSTERIOR_LABELS if (value := getattr(eye, name))]
    return _joined((part.rstrip(".") for part in parts), ". ")


def posterior_findings(posterior: PosteriorSegment) -> EyeFindings:
    how = POSTERIOR_METHODS.get(posterior.method or "", posterior.method)
    dilation = (f"dilated with {posterior.drug}" if posterior.drug else "dilated") if posterior.dilated else None
    return EyeFindings(_posterior_eye(posterior.R), _posterior_eye(posterior.L),
                       _joined((_joined((how, dilation), ", "), posterior.notes)))


def fields_findings(fields: VisualFields) -> EyeFindings:
    how = FIELD_METHODS.get(fields.method or "", fields.method)
    return EyeFindings(fields.R, fields.L, _joined((how, fields.notes)))


def refraction_text(eye: RefractionEye) -> str | None:
    """One eye's refraction as the letter gives it: ``-1.25/-0.50x180 Add +2.00 1.00Δ IN (6/6)``."""
    if eye.sca is None:
        return None
    parts = [format_eye_rx(eye)]
    if eye.intermediate_add is not None:
        parts.append(f"Int add {eye.intermediate_add:+.2f}")
    parts += [format_prism(prism) for prism in (eye.prism_h, eye.prism_v) if prism is not None]
    if eye.va:
        parts.append(f"({eye.va})")
    return " ".join(parts)



def findings_from_content(content: ExamContent) -> ReferralFindings:
    """The findings of a referral, from the exam's blocks (empty where nothing was recorded)."""
    subjective = content.subjective_refraction
    return ReferralFindings(
        visual_acuity=va_findings(content.vision, subjective),
        refraction_right=subjective.R, refraction_left=subjective.L,
        iop=iop_findings(content.iop), anterior=anterior_findings(content.anterior_segment),
        posterior=posterior_findings(content.posterior_segment), fields=fields_findings(content.visual_fields),
    )


def history_text(history: History) -> str | None:
    """The relevant history for the letter: general health, medication, ocular and family history."""
    return _joined((f"{label}: {value.rstrip('.')}" for label, value in (
        ("General health", history.general_health), ("Medication", history.medications),
        ("Allergies", history.allergies), ("Ocular history", history.ocular_history),
        ("Family ocular history", history.family_ocular_history)) if value), ". ")


def reason_text(diagnosis: str | None, management: str | None) -> str:
    """The diagnosis, and the management lines that speak of referring, as a start for the reason."""
    referring = [line.strip() for line in (management or "").splitlines() if "refer" in line.lower()]
    return "\n".join(t for t in (diagnosis, *referring) if t)


def letter_problems(urgency: str, addressee: str, reason: str, history: str | None,
                    findings: ReferralFindings) -> dict[str, str]:
    """What stops the letter being saved, by field. The addressee is a one-line label; the reason,
    history and every finding are clinical free text (``domain.text_input``); an IOP is 1–80 mmHg."""
    problems = text_input.text_problems({
        "addressee": (addressee, text_input.LABEL), "reason": (reason, text_input.CLINICAL_TEXT),
        "history": (history, text_input.CLINICAL_TEXT)})
    found = text_input.nested_text_problem(findings.to_json(), text_input.CLINICAL_TEXT)
    if found:
        problems["findings"] = found
    if urgency not in URGENCIES:
        problems["urgency"] = "Choose how urgent the referral is: emergency, urgent or routine."
    if "addressee" not in problems and not addressee.strip():
        problems["addressee"] = "Say who the letter is to (the GP practice or the hospital eye service)."
    if "reason" not in problems and not reason.strip():
        problems["reason"] = "Give the reason for the referral."
    for side, value in (("right", findings.iop.right), ("left", findings.iop.left)):
        if value is not None and not IOP_MIN <= value <= IOP_MAX:
            problems[f"iop_{side}"] = f"IOP {value} mmHg is out of range (1–80 mmHg)."
    return problems

