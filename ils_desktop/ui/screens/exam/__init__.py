"""The eye examination room: the screen (``screen``), its two pages (``clinic_page``,
``record_page``), the record's sections (``sections``), keeping and finalising the record
(``saving``, ``finalising``), and the dialogs that serve only the exam (the prescription, the
referral letter, and the PDF both are printed as)."""

from __future__ import annotations

from ils_desktop.ui.screens.exam.screen import ExamScreen

__all__ = ["ExamScreen"]
