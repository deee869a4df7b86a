"""Clinical protocols: checklists shown beside the record, by appointment type and condition."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from ils_desktop.domain.exam.history import mentions


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
