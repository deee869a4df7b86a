"""Section 2: vision and visual acuity — unaided, habitual and best corrected, distance and near,
right, left and both eyes; Snellen or logMAR."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from ils_desktop.domain.exam import VA_CONDITIONS, VA_NOTATIONS, ExamContent, Vision
from ils_desktop.ui.screens.exam.sections.base import ExamSection, caption, labelled_field
from ils_desktop.ui.screens.exam.sections.fields import ChoiceField, ParsedField, TextField, va_field

EYES = ("R", "L", "B")


class VisionSection(ExamSection):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(2, "vision", "Vision & visual acuity", parent=parent)
        self.notation = self.add(ChoiceField("vaNotation", "VA notation", VA_NOTATIONS, blank="Snellen (6/x)"))
        self.notation.removeItem(1)  # the blank entry already says Snellen: it is the default
        self.acuity: dict[tuple[str, str, str], ParsedField[str]] = {}
        grids = QHBoxLayout()
        grids.setSpacing(28)
        for distance in ("distance", "near"):
            column = QVBoxLayout()
            column.setSpacing(4)
            column.addWidget(caption("Distance" if distance == "distance" else "Near"))
            # Clinicians measure one condition for R, L and both eyes before the next: column order.
            for condition, name in VA_CONDITIONS.items():
                for eye in EYES:
                    key = f"va_{distance}_{condition}_{eye}"
                    label = f"{'Distance' if distance == 'distance' else 'Near'} {name.lower()} VA {eye}"
                    self.acuity[(distance, condition, eye)] = self.add(va_field(key, label, near=distance == "near"))
            rows = [(eye, [self.acuity[(distance, c, eye)] for c in VA_CONDITIONS]) for eye in EYES]
            column.addLayout(self.grid(list(VA_CONDITIONS.values()), rows))
            grids.addLayout(column)
        grids.addStretch(1)
        self.notes = self.add(TextField("visionNotes", "Vision notes",
                                        placeholder="Pinhole, chart used, test distance…"))
        top = QHBoxLayout()
        top.addWidget(labelled_field("Chart", self.notation))
        top.addStretch(1)
        self.body.addLayout(top)
        self.body.addLayout(grids)
        self.body.addWidget(labelled_field("Notes", self.notes))

    def load(self, content: ExamContent) -> None:
        vision = content.vision
        self.notation.set_value(None if vision.notation == "snellen" else vision.notation)
        for key, field in self.acuity.items():
            field.set_value(vision.acuities.get(key))
        self.notes.set_value(vision.notes)

    def store(self, content: ExamContent) -> ExamContent:
        acuities = {key: value for key, field in self.acuity.items() if (value := field.value())}
        return replace(content, vision=Vision(self.notation.value() or "snellen", acuities, self.notes.value()))

    def is_recorded(self, content: ExamContent) -> bool:
        return content.vision.is_recorded
