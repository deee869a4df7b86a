"""Section 6: binocular vision — cover test, motility, NPC, accommodation, stereopsis."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from PySide6.QtWidgets import QGridLayout, QWidget

from ils_desktop.domain.exam import BinocularVision, ExamContent
from ils_desktop.ui.screens.exam.sections.base import ExamSection, labelled_field
from ils_desktop.ui.screens.exam.sections.fields import TextField, decimal_field

D = Decimal


class BinocularSection(ExamSection):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(6, "binocular", "Binocular vision", parent=parent)
        self.cover_distance = self.add(TextField("coverDistance", "Cover test distance",
                                                 placeholder="e.g. Ortho, 2Δ XOP"))
        self.cover_near = self.add(TextField("coverNear", "Cover test near", placeholder="e.g. 4Δ XOP, good recovery"))
        self.motility = self.add(TextField("motility", "Motility", placeholder="e.g. Full, smooth, no diplopia"))
        self.npc = self.add(decimal_field("npc", "NPC", D(0), D(50), places=0, unit="cm", width=60))
        self.accommodation_r = self.add(decimal_field("accommodationR", "Accommodation R", D(0), D(25), unit="D",
                                                      width=60))
        self.accommodation_l = self.add(decimal_field("accommodationL", "Accommodation L", D(0), D(25), unit="D",
                                                      width=60))
        self.stereo = self.add(TextField("stereopsis", "Stereopsis", placeholder="e.g. 60\" (TNO)"))
        self.notes = self.add(TextField("bvNotes", "Binocular vision notes"))
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(8)
        grid.addWidget(labelled_field("Cover test — distance", self.cover_distance), 0, 0)
        grid.addWidget(labelled_field("Cover test — near", self.cover_near), 0, 1)
        grid.addWidget(labelled_field("Motility", self.motility), 0, 2)
        grid.addWidget(labelled_field("NPC (cm)", self.npc), 1, 0)
        grid.addWidget(labelled_field("Amplitude of accommodation R (D)", self.accommodation_r), 1, 1)
        grid.addWidget(labelled_field("Amplitude of accommodation L (D)", self.accommodation_l), 1, 2)
        grid.addWidget(labelled_field("Stereopsis", self.stereo), 2, 0)
        grid.addWidget(labelled_field("Notes", self.notes), 2, 1, 1, 2)
        self.body.addLayout(grid)

    def load(self, content: ExamContent) -> None:
        bv = content.binocular_vision
        self.cover_distance.set_value(bv.cover_test_distance)
        self.cover_near.set_value(bv.cover_test_near)
        self.motility.set_value(bv.motility)
        self.npc.set_value(bv.npc_cm)
        self.accommodation_r.set_value(bv.accommodation_R)
        self.accommodation_l.set_value(bv.accommodation_L)
        self.stereo.set_value(bv.stereopsis)
        self.notes.set_value(bv.notes)

    def store(self, content: ExamContent) -> ExamContent:
        return replace(content, binocular_vision=BinocularVision(
            self.cover_distance.value(), self.cover_near.value(), self.motility.value(), self.npc.value(),
            self.accommodation_r.value(), self.accommodation_l.value(), self.stereo.value(), self.notes.value()))

    def is_recorded(self, content: ExamContent) -> bool:
        return content.binocular_vision != BinocularVision()
