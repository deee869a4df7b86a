"""Section 9: intraocular pressure (method, time, repeated readings per eye → mean) and visual fields.
A tonometer can fill the IOP (issue 4); its source is shown and the values stay editable."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QWidget

from ils_desktop.domain.exam import FIELD_METHODS, IOP_METHODS, ExamContent, Iop, VisualFields, iop_mean
from ils_desktop.services import clock
from ils_desktop.ui.screens.exam.sections.base import ExamSection, caption, eye_label, labelled_field
from ils_desktop.ui.screens.exam.sections.fields import ChoiceField, GridNavigator, TextField, iop_field, time_field

EYES = ("R", "L")


class PressuresFieldsSection(ExamSection):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(9, "iop", "IOP & visual fields", "where indicated", parent=parent)
        self.source_badge("iop")
        self.method = self.add(ChoiceField("iopMethod", "IOP method", IOP_METHODS), "iop")
        self.time = self.add(time_field("iopTime", "IOP time"), "iop")
        self.readings = {e: self.add(iop_field(f"iop_{e}_readings", f"IOP {e}"), "iop") for e in EYES}
        self.means = {e: QLabel("—") for e in EYES}
        for eye, label in self.means.items():
            label.setObjectName(f"iop_{eye}_mean")
            label.setProperty("role", "card-value")
            self.readings[eye].textChanged.connect(lambda _t, e=eye: self._show_mean(e))
        self.iop_notes = self.add(TextField("iopNotes", "IOP notes", placeholder="e.g. CCT 545 µm"), "iop")
        self.readings["L"].setPlaceholderText("")
        for eye in EYES:
            self.readings[eye].editingFinished.connect(self._stamp_time)
        self.field_method = self.add(ChoiceField("fieldsMethod", "Visual fields method", FIELD_METHODS))
        self.field_result = {e: self.add(TextField(f"fields_{e}", f"Visual fields {e}",
                                                   placeholder="e.g. Full; no defects" if e == "R" else ""))
                             for e in EYES}
        self.field_notes = self.add(TextField("fieldsNotes", "Visual fields notes"))

        top = QHBoxLayout()
        top.setSpacing(14)
        top.addWidget(labelled_field("Method", self.method))
        top.addWidget(labelled_field("Time", self.time))
        top.addWidget(labelled_field("Notes", self.iop_notes), 1)
        self.body.addLayout(top)
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(6)
        grid.addWidget(caption("Readings (mmHg)"), 0, 1)
        grid.addWidget(caption("Mean"), 0, 2)
        for row, eye in enumerate(EYES, start=1):
            grid.addWidget(eye_label(eye), row, 0)
            grid.addWidget(self.readings[eye], row, 1)
            grid.addWidget(self.means[eye], row, 2)
        grid.setColumnStretch(3, 1)
        GridNavigator([[self.readings["R"]], [self.readings["L"]]], self)
        self.body.addLayout(grid)
        fields_heading = QHBoxLayout()
        fields_heading.addWidget(caption("Visual fields"))
        fields_heading.addStretch(1)
        self.body.addLayout(fields_heading)
        fields = QHBoxLayout()
        fields.setSpacing(14)
        fields.addWidget(labelled_field("Method", self.field_method))
        fields.addWidget(labelled_field("Right", self.field_result["R"]), 1)
        fields.addWidget(labelled_field("Left", self.field_result["L"]), 1)
        self.body.addLayout(fields)
        self.body.addWidget(labelled_field("Notes", self.field_notes))
        GridNavigator([[self.field_result["R"], self.field_result["L"]]], self)

    def _stamp_time(self) -> None:
        """The time of the first reading, so nobody has to type it (IOP varies over the day)."""
        if self.loading or self.time.isReadOnly() or self.time.text().strip():
            return
        if any(self.readings[e].value() for e in EYES):
            self.time.set_value(f"{clock.now():%H:%M}")
            self.time.edited.emit()

    def _show_mean(self, eye: str) -> None:
        readings = self.readings[eye].value() or ()
        mean = iop_mean(readings)
        self.means[eye].setText("—" if mean is None else
                                f"{mean} mmHg" + (f"  ({len(readings)} readings)" if len(readings) > 1 else ""))

    def load(self, content: ExamContent) -> None:
        iop, fields = content.iop, content.visual_fields
        self.method.set_value(iop.method)
        self.time.set_value(iop.time)
        self.iop_notes.set_value(iop.notes)
        for eye in EYES:
            self.readings[eye].set_value((iop.R if eye == "R" else iop.L) or None)
            self._show_mean(eye)
            self.field_result[eye].set_value(fields.R if eye == "R" else fields.L)
        self.field_method.set_value(fields.method)
        self.field_notes.set_value(fields.notes)

    def store(self, content: ExamContent) -> ExamContent:
        readings: dict[str, tuple[Decimal, ...]] = {e: self.readings[e].value() or () for e in EYES}
        return replace(
            content,
            iop=Iop(self.method.value(), self.time.value(), readings["R"], readings["L"], self.iop_notes.value()),
            visual_fields=VisualFields(self.field_method.value(), self.field_result["R"].value(),
                                       self.field_result["L"].value(), self.field_notes.value()))

    def is_recorded(self, content: ExamContent) -> bool:
        return bool(content.iop.R or content.iop.L or content.visual_fields.R or content.visual_fields.L)
