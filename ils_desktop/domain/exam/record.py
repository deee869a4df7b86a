"""The whole examination record: its blocks in record order, and what makes a draft wrong.

The structure follows the College of Optometrists guidance on the content of an eye examination
record (docs/domain/optical-practice.md, "Clinical records"): reason for visit and symptoms;
general health, medication, family ocular history; vision and visual acuity; objective and
subjective refraction; binocular vision; anterior and posterior eye; IOP and visual fields where
indicated; diagnosis; management, advice and recall; referral. The ``eye_examinations`` table keeps
each block as JSONB; the dataclasses of this package are the only writers and readers of that JSON.

A draft may be incomplete but never wrong: ``content_problems`` and ``content_text_problems`` are
checked on every save, and again on finalising.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ils_desktop.domain import text_input
from ils_desktop.domain.exam.binocular import BinocularVision
from ils_desktop.domain.exam.devices import DeviceSource
from ils_desktop.domain.exam.history import History
from ils_desktop.domain.exam.ocular_health import AnteriorSegment, PosteriorSegment
from ils_desktop.domain.exam.pressures import Iop, VisualFields
from ils_desktop.domain.exam.refraction import (
    CurrentSpectacles,
    Keratometry,
    ObjectiveRefraction,
    SubjectiveRefraction,
)
from ils_desktop.domain.exam.values import mapping_of, text_of
from ils_desktop.domain.exam.vision import Vision

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
                   for block, data in mapping_of(columns.get("device_sources")).items()
                   if isinstance(data, Mapping) and data.get("received_at")}
        checks = {str(title): {str(item): bool(done) for item, done in mapping_of(items).items()}
                  for title, items in mapping_of(columns.get("protocol_checks")).items()}
        recall = columns.get("recall_months")
        return cls(
            reason_for_visit=text_of(columns.get("reason_for_visit")), symptoms=text_of(columns.get("symptoms")),
            diagnosis=text_of(columns.get("diagnosis")), management=text_of(columns.get("management")),
            advice=text_of(columns.get("advice")), recall_months=None if recall is None else int(recall),
            referral_made=bool(columns.get("referral_made", False)), device_sources=sources,
            protocol_checks=checks, **blocks,
        )

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


#: The exam's own text columns: the section the screen shows their problems in (it lists problems
#: by section) and the name the message starts with.
_TEXT_COLUMNS: Final[dict[str, tuple[str, str]]] = {
    "reason_for_visit": ("reason_for_visit", "Reason for visit"), "symptoms": ("reason_for_visit", "Symptoms"),
    "diagnosis": ("management", "Diagnosis"), "management": ("management", "Management"),
    "advice": ("management", "Advice"),
}


def content_text_problems(content: ExamContent) -> dict[str, str]:
    """Text in an exam that cannot be stored or is too long, by the section the screen shows it in.

    Every text of the record, the JSON blocks' nested ones included, is clinical free text
    (``domain.text_input.CLINICAL_TEXT``); values with their own notation (VA, Rx…) are checked
    by ``content_problems`` as well.
    """
    problems: dict[str, str] = {}
    for name, (section, label) in _TEXT_COLUMNS.items():
        problem = text_input.text_problem(getattr(content, name), text_input.CLINICAL_TEXT)
        if problem:
            problems.setdefault(section, f"{label}: {problem}")
    nested = {block: getattr(content, block).to_json() for block in BLOCKS}
    nested["device_sources"] = {block: source.to_json() for block, source in content.device_sources.items()}
    nested["protocol_checks"] = {title: dict(items) for title, items in content.protocol_checks.items()}
    for section, value in nested.items():
        problem = text_input.nested_text_problem(value, text_input.CLINICAL_TEXT)
        if problem:
            problems.setdefault(section, problem)
    return problems
