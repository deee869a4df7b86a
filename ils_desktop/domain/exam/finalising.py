"""Finalising: what must be recorded before an examination becomes the read-only record.

Every exam records the reason for the visit, vision, the anterior eye, management and recall (the
College of Optometrists record structure). A sight test also records the subjective refraction (a
prescription or statement must follow, Opticians Act 1989 s.26) and the internal examination of
the eye (the Sight Testing (Examination and Prescription) (No.2) Regulations 1989). Whatever is
recorded must also be valid (``content_problems``).
"""

from __future__ import annotations

from typing import Final

from ils_desktop.domain.exam.record import ExamContent, content_problems

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
