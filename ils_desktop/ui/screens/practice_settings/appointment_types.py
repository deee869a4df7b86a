"""The "Appointment types" card: what can be booked, how long it takes, its colour in the diary, and
which rooms and clinicians it is for (none ticked: any)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.practice_setup import (
    LONGEST_APPOINTMENT,
    SHORTEST_APPOINTMENT,
    AppointmentTypeText,
    appointment_type_problems,
    code_for,
)
from ils_desktop.services import practice_setup
from ils_desktop.services.practice_setup import AppointmentTypeChanges, AppointmentTypeSetup, AppointmentTypesSetup
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.screens.practice_settings.setup_card import SetupCard
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.widgets.forms import labelled

DEFAULT_COLOUR = "#0E7490"


class TypesModel(RowsModel[AppointmentTypeSetup]):
    COLUMNS = ("Appointment type", "Length", "For")

    def __init__(self) -> None:
        super().__init__()
        self.names: dict[uuid.UUID, str] = {}

    def display(self, kind: AppointmentTypeSetup, index: Index) -> Any:
        if index.column() == 0:
            return kind.name if kind.active else f"{kind.name} (retired)"
        if index.column() == 1:
            return f"{kind.duration_minutes} min"
        limits = [", ".join(sorted(self.names.get(i, "?") for i in ids))
                  for ids in (kind.room_ids, kind.clinician_ids) if ids]
        return " · ".join(limits) or "Any room, anyone"

    def role_data(self, kind: AppointmentTypeSetup, index: Index, role: int) -> Any:
        if index.column() == 0 and role == Qt.ItemDataRole.DecorationRole:
            return QColor(kind.colour)
        if not kind.active and role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor("#6B7785"))
        return None


class ChoiceBoxes(QWidget):
    """Tick boxes for rooms or clinicians; none ticked means any."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_ = QGridLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setHorizontalSpacing(12)
        self.boxes: dict[uuid.UUID, QCheckBox] = {}

    def set_choices(self, choices: list[practice_setup.Choice]) -> None:
        for box in self.boxes.values():
            box.setParent(None)  # type: ignore[call-overload]
            box.deleteLater()
        self.boxes = {}
        for i, choice in enumerate(choices):
            box = QCheckBox(choice.name)
            self.boxes[choice.id] = box
            self.layout_.addWidget(box, i // 2, i % 2)

    def ticked(self) -> frozenset[uuid.UUID]:
        return frozenset(i for i, box in self.boxes.items() if box.isChecked())

    def tick(self, ids: frozenset[uuid.UUID]) -> None:
        for i, box in self.boxes.items():
            box.setChecked(i in ids)


class AppointmentTypesCard(SetupCard[AppointmentTypeSetup]):
    HEADING = "Appointment types"
    INTRO = ("What the diary books, how long it takes and its colour. Limit a type to some rooms or clinicians "
             "(contact lens aftercare in the CL room, with the contact lens optician); none ticked means any. "
             "A retired type is no longer offered; bookings made with it keep it.")
    NOUN = "appointment type"
    CHANGED = "diary"
    COLUMN_WIDTHS = {1: 72, 2: 150}

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        self.types_model = TypesModel()
        super().__init__(workspace, self.types_model, parent)
        self.name, self.code = QLineEdit(), QLineEdit()
        self.name.setPlaceholderText("e.g. Child sight test")
        self.name.textEdited.connect(self._name_typed)
        self.code.setToolTip("What bookings store; chosen when the type is added, then fixed.")
        self.length = QSpinBox()
        self.length.setRange(SHORTEST_APPOINTMENT, LONGEST_APPOINTMENT)
        self.length.setSingleStep(5)
        self.length.setSuffix(" minutes")
        self.colour = QLineEdit()
        self.colour.setMaxLength(7)
        self.colour.textChanged.connect(self._show_colour)
        colour_row = QWidget()
        row = QHBoxLayout(colour_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.swatch = QLabel()
        self.swatch.setFixedSize(28, 28)
        self.pick_colour = QPushButton("Choose…")
        self.pick_colour.clicked.connect(self._choose_colour)
        row.addWidget(self.colour, 1)
        row.addWidget(self.swatch)
        row.addWidget(self.pick_colour)
        self.add_field("name", "Name", self.name, 0)
        self.add_field("code", "Code", self.code, 0, 1)
        self.add_field("duration_minutes", "Length", self.length, 1)
        self.add_field("colour", "Colour in the diary", self.colour, 1, 1, shown=colour_row)
        self.clinical = QCheckBox("Clinical: goes to the clinician's clinic and the test room worklist")
        self.grid.addWidget(self.clinical, 2, 0, 1, 2)
        self.rooms, self.clinicians = ChoiceBoxes(), ChoiceBoxes()
        for column, (caption, boxes, name) in enumerate((("Rooms (none ticked: any)", self.rooms, "rooms"),
                                                         ("Clinicians (none ticked: anyone)", self.clinicians,
                                                          "clinicians"))):
            holder = QWidget()
            inner = QVBoxLayout(holder)
            inner.setContentsMargins(0, 0, 0, 0)
            inner.addWidget(labelled(caption, boxes, self.add_error(name)))
            self.grid.addWidget(holder, 3, column)
        self.setup: AppointmentTypesSetup | None = None

    # --- loading -----------------------------------------------------------------------------------
    def list_case(self) -> Any:
        return practice_setup.list_appointment_types

    def rows_of(self, loaded: AppointmentTypesSetup) -> list[AppointmentTypeSetup]:
        return loaded.types

    def after_load(self, loaded: AppointmentTypesSetup) -> None:
        self.setup = loaded
        self.types_model.names = {c.id: c.name for c in (*loaded.rooms, *loaded.clinicians)}
        self.rooms.set_choices(loaded.rooms)
        self.clinicians.set_choices(loaded.clinicians)

    def key_of(self, row: AppointmentTypeSetup) -> Any:
        return row.code

    def show_row(self, row: AppointmentTypeSetup | None) -> None:
        self.name.setText(row.name if row else "")
        self.code.setText(row.code if row else "")
        self.code.setReadOnly(row is not None)
        self.length.setValue(row.duration_minutes if row else 30)
        self.colour.setText(row.colour if row else DEFAULT_COLOUR)
        self.clinical.setChecked(row.is_clinical if row else True)
        self.clinical.setEnabled(not (row and row.protected))
        self.rooms.tick(row.room_ids if row else frozenset())
        self.clinicians.tick(row.clinician_ids if row else frozenset())

    def _name_typed(self, text: str) -> None:
        if self.current is None:  # a new type's code follows its name until the code is typed
            self.code.setText(code_for(text))

    def _show_colour(self, text: str) -> None:
        colour = text if QColor.isValidColorName(text) and len(text) == 7 else "transparent"
        self.swatch.setStyleSheet(f"background: {colour}; border: 1px solid #CBD5E1; border-radius: 6px;")

    def _choose_colour(self) -> None:
        chosen = QColorDialog.getColor(QColor(self.colour.text() or DEFAULT_COLOUR), self, "Colour in the diary")
        if chosen.isValid():
            self.colour.setText(chosen.name().upper())

    # --- checking and saving -------------------------------------------------------------------------
    def _text(self) -> AppointmentTypeText:
        return AppointmentTypeText(self.code.text().strip(), self.name.text(), self.length.value(),
                                   self.colour.text())

    def local_problems(self) -> dict[str, str]:
        others = [t for t in self.rows or [] if self.current is None or t.code != self.current.code]
        return appointment_type_problems(self._text(), other_codes={t.code for t in others},
                                         other_names=[t.name for t in others], new=self.current is None)

    def save_work(self, call: Callable[..., Any]) -> Callable[[], Any]:
        typed = self._text()
        changes = AppointmentTypeChanges(typed.code, typed.name, typed.duration_minutes, typed.colour,
                                         self.clinical.isChecked(), self.rooms.ticked(), self.clinicians.ticked())
        new = self.current is None
        return lambda: call(practice_setup.save_appointment_type, changes, new=new)

    def saved_message(self, result: Any) -> str:
        return "Saved. The diary offers it from now on."

    def can_retire(self, row: AppointmentTypeSetup) -> bool:
        return not row.protected

    def toggle_work(self, call: Callable[..., Any], row: AppointmentTypeSetup, active: bool) -> Callable[[], Any]:
        return lambda: call(practice_setup.set_appointment_type_active, row.code, active)
