"""The sections of the eye examination screen, in record order (College of Optometrists structure)."""

from __future__ import annotations

from ils_desktop.ui.widgets.exam_sections.base import ExamSection
from ils_desktop.ui.widgets.exam_sections.binocular import BinocularSection
from ils_desktop.ui.widgets.exam_sections.history import ReasonHistorySection
from ils_desktop.ui.widgets.exam_sections.ocular_health import AnteriorSection, PosteriorSection
from ils_desktop.ui.widgets.exam_sections.outcome import OutcomeSection
from ils_desktop.ui.widgets.exam_sections.pressures import PressuresFieldsSection
from ils_desktop.ui.widgets.exam_sections.refraction import (
    CurrentSpectaclesSection,
    ObjectiveSection,
    SubjectiveSection,
)
from ils_desktop.ui.widgets.exam_sections.vision import VisionSection

__all__ = [
    "AnteriorSection", "BinocularSection", "CurrentSpectaclesSection", "ExamSection", "ObjectiveSection",
    "OutcomeSection", "PosteriorSection", "PressuresFieldsSection", "ReasonHistorySection", "SubjectiveSection",
    "VisionSection",
]
