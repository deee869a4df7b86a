"""Beside the record: the map of its ten sections (with a tick for each one recorded) and the
protocol checklist for this appointment and this patient."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.exam import ExamContent, ProtocolDefinition
from ils_desktop.ui.screens.exam.sections import ExamSection
from ils_desktop.ui.theme import icon
from ils_desktop.ui.widgets.patient_header import clear_layout, role_label

#: The sections in record order, as the map names them (Alt+1 … Alt+0 jump to them).
SECTION_MAP: tuple[tuple[str, str], ...] = (
    ("reason", "Reason & history"), ("vision", "Vision & VA"), ("current_spectacles", "Current specs"),
    ("objective", "Objective & K"), ("subjective", "Subjective Rx"), ("binocular", "Binocular vision"),
    ("anterior", "Anterior segment"), ("posterior", "Posterior segment"), ("iop", "IOP & fields"),
    ("outcome", "Diagnosis & recall"),
)
PANEL_WIDTH = 224


class ChecklistItem(QWidget):
    """A protocol item: a tick box with its text wrapped beside it (clicking the text ticks too)."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.box = QCheckBox()
        self.box.setObjectName("protocolItem")
        self.box.setAccessibleName(text)
        self.box.setToolTip(text)
        self.text = role_label(text, wrap=True)
        layout.addWidget(self.box, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.text, 1)

    def mouseReleaseEvent(self, event: Any) -> None:
        if self.box.isEnabled():
            self.box.toggle()
        super().mouseReleaseEvent(event)


class SidePanel(QWidget):
    section_chosen = Signal(str)
    ticked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedWidth(PANEL_WIDTH)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        self.section_list = QListWidget()
        self.section_list.setObjectName("sectionList")
        self.section_list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # jump with Alt+N; the list is a map
        for number, (key, title) in enumerate(SECTION_MAP, start=1):
            item = QListWidgetItem(f"{number % 10}   {title}")
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setToolTip(f"Alt+{number % 10}")
            self.section_list.addItem(item)
        self.section_list.itemClicked.connect(
            lambda item: self.section_chosen.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.section_list.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout.addWidget(self.section_list)

        checklist = QFrame()
        checklist.setProperty("role", "card")
        checklist.setObjectName("protocolChecklist")
        check_layout = QVBoxLayout(checklist)
        check_layout.setContentsMargins(14, 12, 14, 12)
        check_layout.setSpacing(6)
        self.checklist_title = role_label("Checklist", "section")
        check_layout.addWidget(self.checklist_title)
        self.checklist_body = QVBoxLayout()
        self.checklist_body.setSpacing(4)
        check_layout.addLayout(self.checklist_body)
        check_layout.addStretch(1)
        self.protocol_boxes: dict[tuple[str, str], QCheckBox] = {}
        holder = QScrollArea()
        holder.setWidgetResizable(True)
        holder.setWidget(checklist)
        holder.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout.addWidget(holder, 1)

    def fit_section_list(self) -> None:
        """Size the map to show every section: item heights come from the style sheet and are only
        known once the list has been laid out."""
        row = self.section_list.sizeHintForRow(0)
        if row > 0:
            self.section_list.setFixedHeight(row * self.section_list.count() + 2 * self.section_list.frameWidth() + 8)

    def mark_current(self, key: str) -> None:
        for row in range(self.section_list.count()):
            if self.section_list.item(row).data(Qt.ItemDataRole.UserRole) == key:
                self.section_list.blockSignals(True)
                self.section_list.setCurrentRow(row)
                self.section_list.blockSignals(False)
                return

    def show_progress(self, sections: Mapping[str, ExamSection], content: ExamContent) -> None:
        for row in range(self.section_list.count()):
            item = self.section_list.item(row)
            done = sections[item.data(Qt.ItemDataRole.UserRole)].is_recorded(content)
            item.setIcon(icon("check", "#15803D") if done else icon("chevron-right", "#A7B2BD"))

    # --- the checklist ------------------------------------------------------------------------
    def show_checklist(self, protocols: Sequence[ProtocolDefinition], checks: Mapping[str, Mapping[str, bool]],
                       *, read_only: bool) -> None:
        clear_layout(self.checklist_body)
        self.protocol_boxes.clear()
        if not protocols:
            self.checklist_body.addWidget(role_label("No protocol applies to this appointment.", "hint", wrap=True))
        for protocol in protocols:
            self.checklist_body.addWidget(role_label(protocol.title, "field-label", wrap=True))
            for text in protocol.items:
                row = ChecklistItem(text)
                row.box.setChecked(bool(checks.get(protocol.title, {}).get(text, False)))
                row.box.setEnabled(not read_only)
                row.box.toggled.connect(lambda _on: (self.update_title(), self.ticked.emit()))
                self.protocol_boxes[(protocol.title, text)] = row.box
                self.checklist_body.addWidget(row)
        self.update_title()

    def set_ticks(self, checks: Mapping[str, Mapping[str, bool]]) -> None:
        """Tick as ``checks`` says, quietly (restoring, not editing)."""
        for (title, item), box in self.protocol_boxes.items():
            box.blockSignals(True)
            box.setChecked(bool(checks.get(title, {}).get(item, False)))
            box.blockSignals(False)
        self.update_title()

    def ticks(self, before: Mapping[str, Mapping[str, bool]]) -> dict[str, dict[str, bool]]:
        """The ticks as shown, over ``before``. Unticked items that were never ticked stay out: an
        untouched checklist is no change."""
        checks = {title: dict(items) for title, items in before.items()}
        for (title, item), box in self.protocol_boxes.items():
            if box.isChecked() or item in checks.get(title, {}):
                checks.setdefault(title, {})[item] = box.isChecked()
        return checks

    def update_title(self) -> None:
        total = len(self.protocol_boxes)
        done = sum(1 for box in self.protocol_boxes.values() if box.isChecked())
        self.checklist_title.setText(f"Checklist  {done}/{total}" if total else "Checklist")
