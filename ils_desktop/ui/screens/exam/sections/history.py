"""Section 1: reason for visit, symptoms, and history (general health, medication, family history)."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QWidget

from ils_desktop.domain.exam import ExamContent, History
from ils_desktop.ui.screens.exam.sections.base import ExamSection, hint, labelled_field
from ils_desktop.ui.screens.exam.sections.fields import NotesField, TextField, TickField


class ReasonHistorySection(ExamSection):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(1, "reason", "Reason for visit & history", parent=parent)
        self.reason = self.add(TextField("reasonForVisit", "Reason for visit",
                                         placeholder="e.g. Routine sight test; blurred distance vision"))
        self.symptoms = self.add(NotesField("symptoms", "Symptoms", lines=2,
                                            placeholder="Headaches, diplopia, flashes/floaters, eye pain…"))
        self.general_health = self.add(TextField("generalHealth", "General health"))
        self.medications = self.add(TextField("medications", "Medication"))
        self.allergies = self.add(TextField("allergies", "Allergies"))
        self.ocular_history = self.add(TextField("ocularHistory", "Ocular history",
                                                 placeholder="Previous eye conditions, surgery, injury"))
        self.family = self.add(TextField("familyOcularHistory", "Family ocular history",
                                         placeholder="Glaucoma, AMD, squint, lazy eye…"))
        self.occupation = self.add(TextField("occupation", "Occupation"))
        self.hobbies = self.add(TextField("hobbies", "Hobbies & visual tasks"))
        self.driver = self.add(TickField("driver", "Drives"))
        self.vdu = self.add(TickField("vduUser", "Uses a screen (VDU)"))

        self.body.addWidget(labelled_field("Reason for visit", self.reason))
        self.body.addWidget(labelled_field("Symptoms", self.symptoms))
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(8)
        grid.addWidget(labelled_field("General health", self.general_health), 0, 0)
        grid.addWidget(labelled_field("Medication", self.medications), 0, 1)
        grid.addWidget(labelled_field("Allergies", self.allergies), 1, 0)
        grid.addWidget(labelled_field("Ocular history", self.ocular_history), 1, 1)
        grid.addWidget(labelled_field("Family ocular history", self.family), 2, 0)
        grid.addWidget(labelled_field("Occupation", self.occupation), 2, 1)
        grid.addWidget(labelled_field("Hobbies & visual tasks", self.hobbies), 3, 0)
        ticks = QHBoxLayout()
        ticks.addWidget(self.driver)
        ticks.addWidget(self.vdu)
        ticks.addStretch(1)
        holder = QWidget()
        holder.setLayout(ticks)
        grid.addWidget(holder, 3, 1)
        self.body.addLayout(grid)
        self.prefilled = hint("History is prefilled from the patient record: confirm or update it.")
        self.body.addWidget(self.prefilled)

    def set_read_only(self, read_only: bool) -> None:
        super().set_read_only(read_only)
        self.prefilled.setVisible(not read_only)  # a finalised record is no longer confirmed or updated

    def load(self, content: ExamContent) -> None:
        h = content.history
        self.reason.set_value(content.reason_for_visit)
        self.symptoms.set_value(content.symptoms)
        for field, value in ((self.general_health, h.general_health), (self.medications, h.medications),
                             (self.allergies, h.allergies), (self.ocular_history, h.ocular_history),
                             (self.family, h.family_ocular_history), (self.occupation, h.occupation),
                             (self.hobbies, h.hobbies)):
            field.set_value(value)
        self.driver.set_value(h.driver)
        self.vdu.set_value(h.vdu_user)

    def store(self, content: ExamContent) -> ExamContent:
        history = History(
            general_health=self.general_health.value(), medications=self.medications.value(),
            allergies=self.allergies.value(), ocular_history=self.ocular_history.value(),
            family_ocular_history=self.family.value(), occupation=self.occupation.value(),
            driver=self.driver.value(), vdu_user=self.vdu.value(), hobbies=self.hobbies.value(),
            notes=content.history.notes,
        )
        return replace(content, reason_for_visit=self.reason.value(), symptoms=self.symptoms.value(), history=history)

    def is_recorded(self, content: ExamContent) -> bool:
        return bool(content.reason_for_visit or content.symptoms)
