"""The card across the top of a patient's screens (the record, the eye examination): the name with
its badges (allergy, archived, …), a line of facts, a quieter line under it, and the screen's own
actions on the right. Also the two small helpers those screens build their labels with."""

from __future__ import annotations

from PySide6.QtWidgets import QBoxLayout, QFrame, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget


def role_label(text: str = "", role: str | None = None, name: str | None = None, *, wrap: bool = False) -> QLabel:
    """A label styled by the theme's ``role`` ("title", "hint", "badge", …), found in tests by ``name``."""
    label = QLabel(text)
    if role:
        label.setProperty("role", role)
    if name:
        label.setObjectName(name)
    label.setWordWrap(wrap)
    return label


def clear_layout(layout: QBoxLayout | QGridLayout) -> None:
    """Remove and delete a layout's widgets now (hidden at once; deleted when the event loop turns)."""
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget() if item is not None else None
        if widget is not None:
            widget.hide()
            widget.setParent(None)
            widget.deleteLater()


class PatientHeader(QFrame):
    """``name`` (with ``badges`` beside it), ``facts`` and ``more`` under it; the screen puts its
    buttons into ``actions``."""

    def __init__(self, object_name: str, *, facts_name: str, more_name: str, more_wraps: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "card")
        self.setObjectName(object_name)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(20, 12, 16, 12)
        layout.setSpacing(16)
        who = QVBoxLayout()
        who.setSpacing(4)
        name_row = QHBoxLayout()
        name_row.setSpacing(8)
        self.name = role_label("", "title", "patientName")
        name_row.addWidget(self.name)
        self.badges = QHBoxLayout()
        self.badges.setSpacing(6)
        name_row.addLayout(self.badges)
        name_row.addStretch(1)
        who.addLayout(name_row)
        self.facts = role_label("", "subtitle", facts_name)
        self.more = role_label("", "hint", more_name, wrap=more_wraps)
        who.addWidget(self.facts)
        who.addWidget(self.more)
        layout.addLayout(who, 1)
        self.actions = QVBoxLayout()
        self.actions.setSpacing(8)
        layout.addLayout(self.actions)
