"""Sections 7–8: anterior segment (graded Efron/CCLRU 0–4, Van Herick) and posterior segment
(ophthalmoscopy: C/D ratio, disc, macula, vessels, periphery), each with free text."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QWidget

from ils_desktop.domain.exam import (
    GRADING_SCALES,
    POSTERIOR_METHODS,
    AnteriorEye,
    AnteriorSegment,
    ExamContent,
    PosteriorEye,
    PosteriorSegment,
)
from ils_desktop.ui.screens.exam.sections.base import ExamSection, hint, labelled_field
from ils_desktop.ui.screens.exam.sections.fields import (
    ChoiceField,
    TextField,
    TickField,
    decimal_field,
    grade_field,
    int_field,
)

EYES = ("R", "L")


def _fill_blanks(normal: list[tuple[object, str]]) -> bool:
    """Type the usual findings into blank, editable fields (as if the clinician had)."""
    filled = False
    for field, text in normal:
        assert isinstance(field, QLineEdit)
        if not field.text().strip() and not field.isReadOnly():
            field.setText(text)
            if hasattr(field, "tidy"):
                field.tidy()
            filled = True
    if filled:
        field.edited.emit()  # type: ignore[attr-defined]
    return filled


class AnteriorSection(ExamSection):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(7, "anterior", "Anterior segment", parent=parent)
        self.method = self.add(TextField("anteriorMethod", "Anterior method", placeholder="Slit lamp", width=140))
        self.scale = self.add(ChoiceField("gradingScale", "Grading scale", GRADING_SCALES, blank="Efron (0–4)"))
        self.scale.removeItem(1)
        self.lids = {e: self.add(grade_field(f"anterior_{e}_lids", f"Lids & lashes {e}")) for e in EYES}
        self.conjunctiva = {e: self.add(grade_field(f"anterior_{e}_conjunctiva", f"Conjunctiva {e}")) for e in EYES}
        self.cornea = {e: self.add(grade_field(f"anterior_{e}_cornea", f"Cornea {e}")) for e in EYES}
        self.van_herick = {e: self.add(int_field(f"anterior_{e}_van_herick", f"Van Herick {e}", 1, 4)) for e in EYES}
        self.lens = {e: self.add(TextField(f"anterior_{e}_lens", f"Lens {e}", placeholder="e.g. Clear, early NS"))
                     for e in EYES}
        self.eye_notes = {e: self.add(TextField(f"anterior_{e}_notes", f"Anterior notes {e}")) for e in EYES}
        self.pupils = self.add(TextField("pupils", "Pupils", placeholder="e.g. PERRL, no RAPD"))
        self.notes = self.add(TextField("anteriorNotes", "Anterior segment notes"))
        top = QHBoxLayout()
        top.setSpacing(14)
        top.addWidget(labelled_field("Method", self.method))
        top.addWidget(labelled_field("Grading scale", self.scale))
        top.addWidget(labelled_field("Pupils", self.pupils), 1)
        self.body.addLayout(top)
        self.body.addLayout(self.feature_grid([
            ("Lids & lashes (0–4)", [self.lids["R"], self.lids["L"]]),
            ("Conjunctiva (0–4)", [self.conjunctiva["R"], self.conjunctiva["L"]]),
            ("Cornea (0–4)", [self.cornea["R"], self.cornea["L"]]),
            ("Van Herick (1–4)", [self.van_herick["R"], self.van_herick["L"]]),
            ("Lens", [self.lens["R"], self.lens["L"]]),
            ("Other findings", [self.eye_notes["R"], self.eye_notes["L"]]),
        ]))
        self.body.addWidget(labelled_field("Notes", self.notes))
        # Pupils are examined before the slit lamp; keep the keyboard order of the form.
        self.fields.remove(self.pupils)
        self.fields.insert(2, self.pupils)
        for field in (*self.lids.values(), *self.conjunctiva.values(), *self.cornea.values(),
                      *self.van_herick.values()):
            field.setMaximumWidth(110)
        self.healthy_button = self.header_link("Healthy (Ctrl+Shift+H)", "anteriorHealthy",
                                               "Fill the blank fields with healthy findings")
        self.healthy_button.clicked.connect(self.fill_healthy)

    def fill_healthy(self) -> bool:
        normal: list[tuple[object, str]] = [(self.pupils, "PERRL, no RAPD"), (self.method, "Slit lamp")]
        for eye in EYES:
            normal += [(self.lids[eye], "0"), (self.conjunctiva[eye], "0"), (self.cornea[eye], "0"),
                       (self.van_herick[eye], "4"), (self.lens[eye], "Clear")]
        return _fill_blanks(normal)

    def load(self, content: ExamContent) -> None:
        a = content.anterior_segment
        self.method.set_value(a.method)
        self.scale.set_value(None if a.scale == "efron" else a.scale)
        self.pupils.set_value(a.pupils)
        self.notes.set_value(a.notes)
        for eye, values in (("R", a.R), ("L", a.L)):
            self.lids[eye].set_value(values.lids)
            self.conjunctiva[eye].set_value(values.conjunctiva)
            self.cornea[eye].set_value(values.cornea)
            self.van_herick[eye].set_value(values.van_herick)
            self.lens[eye].set_value(values.lens)
            self.eye_notes[eye].set_value(values.notes)

    def store(self, content: ExamContent) -> ExamContent:
        eyes = {e: AnteriorEye(self.lids[e].value(), self.conjunctiva[e].value(), self.cornea[e].value(),
                               self.van_herick[e].value(), self.lens[e].value(), self.eye_notes[e].value())
                for e in EYES}
        return replace(content, anterior_segment=AnteriorSegment(
            self.method.value(), self.scale.value() or "efron", eyes["R"], eyes["L"], self.pupils.value(),
            self.notes.value()))

    def is_recorded(self, content: ExamContent) -> bool:
        return content.anterior_segment.is_recorded


class PosteriorSection(ExamSection):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(8, "posterior", "Posterior segment", "ophthalmoscopy", parent=parent)
        self.method = self.add(ChoiceField("posteriorMethod", "Posterior method", POSTERIOR_METHODS))
        self.dilated = self.add(TickField("dilated", "Dilated"))
        self.drug = self.add(TextField("dilatingDrug", "Drug", placeholder="e.g. Tropicamide 1%", width=180))
        self.cd = {e: self.add(decimal_field(f"posterior_{e}_cd", f"C/D ratio {e}", Decimal(0), Decimal(1)))
                   for e in EYES}
        texts = (("disc", "Disc", "e.g. Pink, distinct margins"), ("macula", "Macula", "e.g. Healthy, foveal reflex"),
                 ("vessels", "Vessels", "e.g. A/V 2:3, no nipping"), ("periphery", "Periphery", "e.g. Flat, no breaks"),
                 ("vitreous", "Vitreous", "e.g. Clear"), ("retinopathy", "Retinopathy grade", "e.g. R0 M0"))
        self.text: dict[tuple[str, str], TextField] = {}
        for name, label, placeholder in texts:
            for eye in EYES:
                self.text[(name, eye)] = self.add(TextField(f"posterior_{eye}_{name}", f"{label} {eye}",
                                                            placeholder=placeholder))
        self.notes = self.add(TextField("posteriorNotes", "Posterior segment notes"))
        top = QHBoxLayout()
        top.setSpacing(14)
        top.addWidget(labelled_field("Method", self.method))
        top.addWidget(self.dilated)
        top.addWidget(labelled_field("Drug & time", self.drug))
        top.addStretch(1)
        self.body.addLayout(top)
        rows = [("C/D ratio", [self.cd["R"], self.cd["L"]])]
        rows += [(label, [self.text[(name, "R")], self.text[(name, "L")]]) for name, label, _p in texts]
        self.body.addLayout(self.feature_grid(rows))
        self.body.addWidget(labelled_field("Notes", self.notes))
        self.body.addWidget(hint("Diabetic patients: record the retinopathy grade (R0–R3, M0/M1) and whether dilated."))
        # Keyboard order follows the card: C/D R, C/D L, disc R, disc L…
        order = [self.method, self.dilated, self.drug, self.cd["R"], self.cd["L"]]
        order += [self.text[(name, eye)] for name, _l, _p in texts for eye in EYES]
        order.append(self.notes)
        self.fields[:] = order
        for field in self.cd.values():
            field.setMaximumWidth(110)
        self.healthy_button = self.header_link("Healthy (Ctrl+Shift+H)", "posteriorHealthy",
                                               "Fill the blank fields with healthy findings")
        self.healthy_button.clicked.connect(self.fill_healthy)

    def fill_healthy(self) -> bool:
        normal: list[tuple[object, str]] = []
        for eye in EYES:
            normal += [(self.text[("disc", eye)], "Healthy, distinct margins"),
                       (self.text[("macula", eye)], "Healthy, foveal reflex present"),
                       (self.text[("vessels", eye)], "Healthy, A/V 2:3"),
                       (self.text[("periphery", eye)], "Flat, no breaks seen"),
                       (self.text[("vitreous", eye)], "Clear")]
        return _fill_blanks(normal)

    def load(self, content: ExamContent) -> None:
        p = content.posterior_segment
        self.method.set_value(p.method)
        self.dilated.set_value(p.dilated)
        self.drug.set_value(p.drug)
        self.notes.set_value(p.notes)
        for eye, values in (("R", p.R), ("L", p.L)):
            self.cd[eye].set_value(values.cd_ratio)
            for (name, e), field in self.text.items():
                if e == eye:
                    field.set_value(getattr(values, name))

    def store(self, content: ExamContent) -> ExamContent:
        eyes = {e: PosteriorEye(self.cd[e].value(), **{n: f.value() for (n, eye), f in self.text.items() if eye == e})
                for e in EYES}
        return replace(content, posterior_segment=PosteriorSegment(
            self.method.value(), self.dilated.value(), self.drug.value(), eyes["R"], eyes["L"], self.notes.value()))

    def is_recorded(self, content: ExamContent) -> bool:
        return content.posterior_segment.is_recorded
