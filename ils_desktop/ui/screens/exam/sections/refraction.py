"""Sections 3–5: current spectacles (focimetry), objective refraction with keratometry, and the
subjective refraction the prescription is issued from.

Sphere, cylinder and axis are typed into one field (``-1.25/-0.50x180``) and rewritten canonically
on leaving it. Focimetry, autorefraction and keratometry can be filled from a device (issue 4);
their values stay editable and the source badge shows where they came from.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from ils_desktop.domain.exam import (
    LENS_TYPES,
    OBJECTIVE_METHODS,
    CurrentSpectacles,
    ExamContent,
    Keratometry,
    KeratometryEye,
    ObjectiveRefraction,
    PupillaryDistance,
    RefractionEye,
    SubjectiveRefraction,
)
from ils_desktop.domain.rx import Sca, round_sca
from ils_desktop.ui.screens.exam.sections.base import ExamSection, caption, hint, labelled_field
from ils_desktop.ui.screens.exam.sections.fields import (
    ChoiceField,
    ParsedField,
    TextField,
    add_field,
    decimal_field,
    int_field,
    prism_field,
    sca_field,
    va_field,
)

D = Decimal


class CurrentSpectaclesSection(ExamSection):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(3, "current_spectacles", "Current spectacles", "focimetry", parent=parent)
        self.source_badge("current_spectacles")
        block = "current_spectacles"
        self.lens_type = self.add(ChoiceField("specsType", "Lens type", LENS_TYPES), block)
        self.age = self.add(TextField("specsAge", "Age of spectacles", placeholder="e.g. 2 years", width=110), block)
        self.sca: dict[str, ParsedField[Sca]] = {}
        self.near_add: dict[str, ParsedField[Decimal]] = {}
        self.prism_h: dict[str, ParsedField] = {}
        self.prism_v: dict[str, ParsedField] = {}
        for eye in ("R", "L"):
            self.sca[eye] = self.add(sca_field(f"specs_{eye}_sca", f"Spectacles {eye}", prescription=False), block)
            self.near_add[eye] = self.add(decimal_field(
                f"specs_{eye}_add", f"Spectacles add {eye}", D(0), D(4), width=70,
                show=lambda v: f"{v:+.2f}"), block)
            self.prism_h[eye] = self.add(prism_field(f"specs_{eye}_prism_h", f"Spectacles prism H {eye}",
                                                     horizontal=True), block)
            self.prism_v[eye] = self.add(prism_field(f"specs_{eye}_prism_v", f"Spectacles prism V {eye}",
                                                     horizontal=False), block)
        self.notes = self.add(TextField("specsNotes", "Spectacles notes", placeholder="Condition, use, tint…"),
                              block)
        top = QHBoxLayout()
        top.setSpacing(14)
        top.addWidget(labelled_field("Lens type", self.lens_type))
        top.addWidget(labelled_field("Age", self.age))
        top.addWidget(labelled_field("Notes", self.notes), 1)
        self.body.addLayout(top)
        self.body.addLayout(self.grid(
            ["Sph / Cyl × Axis", "Add", "Prism H", "Prism V"],
            [(eye, [self.sca[eye], self.near_add[eye], self.prism_h[eye], self.prism_v[eye]]) for eye in ("R", "L")]))

    def load(self, content: ExamContent) -> None:
        specs = content.current_spectacles
        self.lens_type.set_value(specs.lens_type)
        self.age.set_value(specs.age)
        self.notes.set_value(specs.notes)
        for eye, values in (("R", specs.R), ("L", specs.L)):
            self.sca[eye].set_value(values.sca)
            self.near_add[eye].set_value(values.near_add)
            self.prism_h[eye].set_value(values.prism_h)
            self.prism_v[eye].set_value(values.prism_v)

    def store(self, content: ExamContent) -> ExamContent:
        eyes = {eye: RefractionEye(self.sca[eye].value(), self.prism_h[eye].value(), self.prism_v[eye].value(),
                                   self.near_add[eye].value(), None, None) for eye in ("R", "L")}
        return replace(content, current_spectacles=CurrentSpectacles(
            self.lens_type.value(), eyes["R"], eyes["L"], self.age.value(), self.notes.value()))

    def is_recorded(self, content: ExamContent) -> bool:
        specs = content.current_spectacles
        return specs.lens_type is not None or not (specs.R.is_empty and specs.L.is_empty)


class ObjectiveSection(ExamSection):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(4, "objective", "Objective refraction & keratometry", parent=parent)
        self.source_badge("objective_refraction")
        self.method = self.add(ChoiceField("objectiveMethod", "Objective method", OBJECTIVE_METHODS),
                               "objective_refraction")
        self.sca = {eye: self.add(sca_field(f"objective_{eye}_sca", f"Objective {eye}", prescription=False),
                                  "objective_refraction") for eye in ("R", "L")}
        self.notes = self.add(TextField("objectiveNotes", "Objective notes", placeholder="Reflex, fixation…"),
                              "objective_refraction")
        self.k: dict[tuple[str, str], ParsedField] = {}
        for eye in ("R", "L"):
            for k in ("k1", "k2"):
                self.k[(eye, f"{k}_radius_mm")] = self.add(decimal_field(
                    f"kerato_{eye}_{k}_mm", f"{k.upper()} radius {eye}", D(5), D(11), unit="mm", width=62),
                    "keratometry")
                self.k[(eye, f"{k}_power")] = self.add(decimal_field(
                    f"kerato_{eye}_{k}_d", f"{k.upper()} power {eye}", D(30), D("67.5"), unit="D", width=66),
                    "keratometry")
                self.k[(eye, f"{k}_axis")] = self.add(int_field(
                    f"kerato_{eye}_{k}_axis", f"{k.upper()} axis {eye}", 0, 180, width=52),
                    "keratometry")
        top = QHBoxLayout()
        top.setSpacing(14)
        top.addWidget(labelled_field("Method", self.method))
        top.addWidget(labelled_field("Notes", self.notes), 1)
        self.body.addLayout(top)
        self.body.addLayout(self.grid(["Sph / Cyl × Axis"], [(eye, [self.sca[eye]]) for eye in ("R", "L")]))
        k_heading = QHBoxLayout()
        k_heading.addWidget(caption("Keratometry"))
        k_heading.addStretch(1)
        self.source_badge("keratometry", k_heading)
        self.body.addLayout(k_heading)
        names = ("k1_radius_mm", "k1_power", "k1_axis", "k2_radius_mm", "k2_power", "k2_axis")
        self.body.addLayout(self.grid(["K1 mm", "K1 D", "Axis", "K2 mm", "K2 D", "Axis"],
                                      [(eye, [self.k[(eye, n)] for n in names]) for eye in ("R", "L")]))

    def load(self, content: ExamContent) -> None:
        objective = content.objective_refraction
        self.method.set_value(objective.method)
        self.notes.set_value(objective.notes)
        self.sca["R"].set_value(objective.R)
        self.sca["L"].set_value(objective.L)
        for (eye, name), field in self.k.items():
            field.set_value(getattr(content.keratometry.R if eye == "R" else content.keratometry.L, name))

    def store(self, content: ExamContent) -> ExamContent:
        objective = ObjectiveRefraction(self.method.value(), self.sca["R"].value(), self.sca["L"].value(),
                                        content.objective_refraction.working_distance_cm, self.notes.value())
        eyes = {eye: KeratometryEye(**{name: self.k[(eye, name)].value() for (e, name) in self.k if e == eye})
                for eye in ("R", "L")}
        return replace(content, objective_refraction=objective,
                       keratometry=Keratometry(eyes["R"], eyes["L"], content.keratometry.notes))

    def is_recorded(self, content: ExamContent) -> bool:
        return content.objective_refraction.R is not None or content.objective_refraction.L is not None


class SubjectiveSection(ExamSection):
    """The subjective refraction: per eye Rx, prism, adds and VA; binocular VA and PDs."""

    copy_requested = Signal(str)  # "objective" or "spectacles"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(5, "subjective", "Subjective refraction", "the prescription", parent=parent)
        self.previous = QLabel()
        self.previous.setObjectName("previousRx")
        self.previous.setProperty("role", "hint")
        self.previous.setWordWrap(True)
        self.previous.hide()
        for name, text in (("objective", "Start from objective"), ("spectacles", "Start from spectacles")):
            button = self.header_link(text, f"copy_{name}", "Fill the blank Rx fields, rounded to 0.25 D")
            button.clicked.connect(lambda _checked=False, n=name: self.copy_requested.emit(n))
        self.sca: dict[str, ParsedField[Sca]] = {}
        self.prism_h: dict[str, ParsedField] = {}
        self.prism_v: dict[str, ParsedField] = {}
        self.near_add: dict[str, ParsedField[Decimal]] = {}
        self.intermediate_add: dict[str, ParsedField[Decimal]] = {}
        self.va: dict[str, ParsedField[str]] = {}
        for eye in ("R", "L"):
            self.sca[eye] = self.add(sca_field(f"subjective_{eye}_sca", f"Subjective {eye}", prescription=True))
            self.prism_h[eye] = self.add(prism_field(f"subjective_{eye}_prism_h", f"Prism H {eye}", horizontal=True))
            self.prism_v[eye] = self.add(prism_field(f"subjective_{eye}_prism_v", f"Prism V {eye}", horizontal=False))
            self.near_add[eye] = self.add(add_field(f"subjective_{eye}_near_add", f"Near add {eye}"))
            self.intermediate_add[eye] = self.add(add_field(f"subjective_{eye}_int_add", f"Intermediate add {eye}"))
            self.va[eye] = self.add(va_field(f"subjective_{eye}_va", f"VA {eye}"))
        self.binocular_va = self.add(va_field("subjective_B_va", "Binocular VA"))
        self.pd = {name: self.add(decimal_field(f"pd_{name}", label, low, high, places=1, unit="mm",
                                                width=62))
                   for name, label, low, high in (("distance", "Distance PD", D(40), D(85)),
                                                  ("near", "Near PD", D(38), D(82)),
                                                  ("R", "Right PD", D(20), D(43)), ("L", "Left PD", D(20), D(43)))}
        # The same add for both eyes is the usual case: copy an add across when the other is blank.
        for eye, other in (("R", "L"), ("L", "R")):
            for adds in (self.near_add, self.intermediate_add):
                adds[eye].editingFinished.connect(lambda a=adds, e=eye, o=other: self._copy_add(a, e, o))
        self.body.addWidget(self.previous)
        self.body.addLayout(self.grid(
            ["Sph / Cyl × Axis", "Prism H", "Prism V", "Near add", "Int add", "VA"],
            [(eye, [self.sca[eye], self.prism_h[eye], self.prism_v[eye], self.near_add[eye],
                    self.intermediate_add[eye], self.va[eye]]) for eye in ("R", "L")]))
        bottom = QHBoxLayout()
        bottom.setSpacing(14)
        bottom.addWidget(labelled_field("Binocular VA", self.binocular_va))
        for name, text in (("distance", "PD distance"), ("near", "PD near"), ("R", "PD R"), ("L", "PD L")):
            bottom.addWidget(labelled_field(text, self.pd[name]))
        bottom.addStretch(1)
        self.body.addLayout(bottom)
        self.body.addWidget(hint("Type the Rx in one go, e.g. -1.25/-0.50x180 or +2.00; it is written canonically "
                                 "when you leave the field. Prism as 0.5 BI, 1 BU."))

    def _copy_add(self, adds: dict[str, ParsedField[Decimal]], eye: str, other: str) -> None:
        value = adds[eye].value()
        if value is not None and not adds[other].text().strip() and not adds[other].isReadOnly():
            adds[other].set_value(value)
            adds[other].edited.emit()

    def show_previous(self, text: str | None) -> None:
        self.previous.setVisible(bool(text))
        self.previous.setText(text or "")

    def load(self, content: ExamContent) -> None:
        subjective = content.subjective_refraction
        for eye in ("R", "L"):
            values = subjective.eye(eye)
            self.sca[eye].set_value(values.sca)
            self.prism_h[eye].set_value(values.prism_h)
            self.prism_v[eye].set_value(values.prism_v)
            self.near_add[eye].set_value(values.near_add)
            self.intermediate_add[eye].set_value(values.intermediate_add)
            self.va[eye].set_value(values.va)
        self.binocular_va.set_value(subjective.binocular_va)
        for name, field in self.pd.items():
            field.set_value(getattr(subjective.pd, name))

    def store(self, content: ExamContent) -> ExamContent:
        eyes = {eye: RefractionEye(self.sca[eye].value(), self.prism_h[eye].value(), self.prism_v[eye].value(),
                                   self.near_add[eye].value(), self.intermediate_add[eye].value(),
                                   self.va[eye].value()) for eye in ("R", "L")}
        pd = PupillaryDistance(*(self.pd[name].value() for name in ("distance", "near", "R", "L")))
        return replace(content, subjective_refraction=SubjectiveRefraction(
            eyes["R"], eyes["L"], self.binocular_va.value(), pd))

    def start_from(self, scas: dict[str, Sca | None]) -> bool:
        """Fill blank sphere/cylinder fields from another block, rounded to 0.25 D (an Rx starting point)."""
        filled = False
        for eye, sca in scas.items():
            if sca is not None and not self.sca[eye].text().strip() and not self.sca[eye].isReadOnly():
                self.sca[eye].set_value(round_sca(sca))
                filled = True
        if filled:
            self.sca["R"].edited.emit()
        return filled

    def is_recorded(self, content: ExamContent) -> bool:
        return content.subjective_refraction.is_complete
