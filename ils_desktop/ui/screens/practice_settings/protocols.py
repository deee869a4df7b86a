"""The "Clinical protocols" card: the checklists the examination shows for an appointment type or a
condition in the patient's history, and the "Prescription note templates" card: wording a
prescription can carry ("Suitable for driving")."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit, QWidget

from ils_desktop.domain.practice_setup import protocol_problems, template_problems
from ils_desktop.services import practice_setup
from ils_desktop.services.practice_setup import ProtocolChanges, ProtocolSetup, ProtocolsSetup, TemplateSetup
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.screens.practice_settings.setup_card import SetupCard
from ils_desktop.ui.session import Workspace

RETIRED = QBrush(QColor("#6B7785"))


class ProtocolsModel(RowsModel[ProtocolSetup]):
    COLUMNS = ("Protocol", "Shown for", "Checks")

    def __init__(self) -> None:
        super().__init__()
        self.type_names: dict[str, str] = {}

    def display(self, protocol: ProtocolSetup, index: Index) -> Any:
        if index.column() == 0:
            return protocol.title if protocol.active else f"{protocol.title} (retired)"
        if index.column() == 1:
            return shown_for(protocol, self.type_names)
        return len(protocol.items)

    def role_data(self, protocol: ProtocolSetup, index: Index, role: int) -> Any:
        return RETIRED if not protocol.active and role == Qt.ItemDataRole.ForegroundRole else None


def shown_for(protocol: ProtocolSetup, type_names: dict[str, str]) -> str:
    parts = []
    if protocol.appointment_type:
        parts.append(type_names.get(protocol.appointment_type, protocol.appointment_type))
    if protocol.condition:
        parts.append(f"history mentions “{protocol.condition}”")
    return " · ".join(parts) or "Every examination"


class ProtocolsCard(SetupCard[ProtocolSetup]):
    HEADING = "Clinical protocols"
    INTRO = ("Checklists the examination shows: for an appointment type, when the patient's history mentions a "
             "word (diabet, glaucoma…), or both. A retired protocol is no longer shown; exams that ticked it "
             "keep their ticks.")
    NOUN = "protocol"
    COLUMN_WIDTHS = {1: 190, 2: 70}

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        self.protocols_model = ProtocolsModel()
        super().__init__(workspace, self.protocols_model, parent)
        self.title, self.condition = QLineEdit(), QLineEdit()
        self.title.setPlaceholderText("e.g. Myopia control")
        self.condition.setPlaceholderText("e.g. myopia")
        self.kind = QComboBox()
        self.items = QPlainTextEdit()
        self.items.setTabChangesFocus(True)
        self.items.setPlaceholderText("One check a line, e.g.\nAxial length measured\nCycloplegic refraction")
        self.items.setMinimumHeight(110)
        self.add_field("title", "Title", self.title, 0, 0, 2)
        self.add_field("appointment_type", "For appointment type", self.kind, 1)
        self.add_field("condition", "When the history mentions", self.condition, 1, 1,
                       hint="Part of a word is enough: diabet finds diabetes and diabetic.")
        self.add_field("items", "Checks, one a line", self.items, 2, 0, 2)

    def list_case(self) -> Any:
        return practice_setup.list_protocols

    def rows_of(self, loaded: ProtocolsSetup) -> list[ProtocolSetup]:
        return loaded.protocols

    def after_load(self, loaded: ProtocolsSetup) -> None:
        self.protocols_model.type_names = dict(loaded.appointment_types)
        chosen = self.kind.currentData()
        self.kind.clear()
        self.kind.addItem("Any appointment", None)
        for code, name in loaded.appointment_types:
            self.kind.addItem(name, code)
        self.kind.setCurrentIndex(max(0, self.kind.findData(chosen)))

    def key_of(self, row: ProtocolSetup) -> Any:
        return row.id or row.title

    def show_row(self, row: ProtocolSetup | None) -> None:
        self.title.setText(row.title if row else "")
        self.condition.setText(row.condition if row else "")
        self.items.setPlainText("\n".join(row.items) if row else "")
        kind = row.appointment_type if row else None
        if kind and self.kind.findData(kind) < 0:
            self.kind.addItem(kind, kind)  # a type retired since: still shown as it is
        self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))

    def _changes(self) -> ProtocolChanges:
        items = tuple(line for line in self.items.toPlainText().splitlines() if line.strip())
        return ProtocolChanges(self.title.text(), items, self.kind.currentData(), self.condition.text())

    def local_problems(self) -> dict[str, str]:
        changes, current = self._changes(), self.current
        others = [p.title for p in self.rows or [] if current is None or self.key_of(p) != self.key_of(current)]
        return protocol_problems(changes.title, changes.items, changes.condition, others)

    def save_work(self, call: Callable[..., Any]) -> Callable[[], Any]:
        changes, current = self._changes(), self.current
        if current is None:
            return lambda: call(practice_setup.add_protocol, changes)
        return lambda: call(practice_setup.update_protocol, current.id, changes, built_in_title=current.title)

    def saved_message(self, result: Any) -> str:
        return "Saved. Examinations started from now on show it."

    def toggle_work(self, call: Callable[..., Any], row: ProtocolSetup, active: bool) -> Callable[[], Any]:
        return lambda: call(practice_setup.set_protocol_active, row.id, active, built_in_title=row.title)


class TemplatesModel(RowsModel[TemplateSetup]):
    COLUMNS = ("Template", "Wording")

    def display(self, template: TemplateSetup, index: Index) -> Any:
        if index.column() == 0:
            return template.name if template.active else f"{template.name} (retired)"
        first = template.notes.splitlines()[0] if template.notes else ""
        return first if len(first) <= 48 else first[:47] + "…"

    def role_data(self, template: TemplateSetup, index: Index, role: int) -> Any:
        return RETIRED if not template.active and role == Qt.ItemDataRole.ForegroundRole else None


class TemplatesCard(SetupCard[TemplateSetup]):
    HEADING = "Prescription note templates"
    INTRO = ("Wording a prescription can carry, picked when it is issued (“Suitable for driving”, “For screen "
             "use only”). A retired template is no longer offered; prescriptions keep the words they were given.")
    NOUN = "template"
    COLUMN_WIDTHS = {1: 200}

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(workspace, TemplatesModel(), parent)
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. For driving")
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setMinimumHeight(110)
        self.add_field("name", "Name", self.name, 0)
        self.add_field("notes", "Wording on the prescription", self.notes, 1)

    def list_case(self) -> Any:
        return practice_setup.list_templates

    def show_row(self, row: TemplateSetup | None) -> None:
        self.name.setText(row.name if row else "")
        self.notes.setPlainText(row.notes if row else "")

    def local_problems(self) -> dict[str, str]:
        others = [t.name for t in self.rows or [] if self.current is None or t.id != self.current.id]
        return template_problems(self.name.text(), self.notes.toPlainText(), others)

    def save_work(self, call: Callable[..., Any]) -> Callable[[], Any]:
        name, notes = self.name.text(), self.notes.toPlainText()
        if self.current is None:
            return lambda: call(practice_setup.add_template, name, notes)
        template_id = self.current.id
        return lambda: call(practice_setup.update_template, template_id, name, notes)

    def saved_message(self, result: Any) -> str:
        return "Template added." if isinstance(result, uuid.UUID) else "Saved."

    def toggle_work(self, call: Callable[..., Any], row: TemplateSetup, active: bool) -> Callable[[], Any]:
        return lambda: call(practice_setup.set_template_active, row.id, active)
