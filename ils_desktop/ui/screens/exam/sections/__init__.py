"""The sections of the eye examination screen, in record order (College of Optometrists structure)."""

from __future__ import annotations

from ils_desktop.ui.screens.exam.sections.base import ExamSection
from ils_desktop.ui.screens.exam.sections.binocular import BinocularSection
from ils_desktop.ui.screens.exam.sections.history import ReasonHistorySection
from ils_desktop.ui.screens.exam.sections.ocular_health import AnteriorSection, PosteriorSection
from ils_desktop.ui.screens.exam.sections.outcome import OutcomeSection
from ils_desktop.ui.screens.exam.sections.pressures import PressuresFieldsSection
from ils_desktop.ui.screens.exam.sections.refraction import (
    CurrentSpectaclesSection,
    ObjectiveSection,
    SubjectiveSection,
)
from ils_desktop.ui.screens.exam.sections.vision import VisionSection

__all__ = [
    "AnteriorSection", "BinocularSection", "CurrentSpectaclesSection", "ExamSection", "ObjectiveSection",
    "OutcomeSection", "PosteriorSection", "PressuresFieldsSection", "ReasonHistorySection", "SubjectiveSection",
    "VisionSection",
]
