"""Addenda: a finalised record is never changed; corrections and later notes are added under it
with their author and time."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from ils_desktop.domain.exam import LONDON
from ils_desktop.services import exams
from ils_desktop.ui.theme import icon
from ils_desktop.ui.widgets.patient_header import clear_layout, role_label


class AddendaCard(QFrame):
    """The addenda written so far, and a box to write the next (the screen saves it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "card")
        self.setObjectName("addendaCard")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 16)
        layout.setSpacing(10)
        layout.addWidget(role_label("Addenda", "section"))
        layout.addWidget(role_label("A finalised record is never changed: corrections and later notes are added "
                                    "here with their author and time.", "hint", wrap=True))
        self.entries = QVBoxLayout()
        self.entries.setSpacing(8)
        layout.addLayout(self.entries)
        self.text = QPlainTextEdit()
        self.text.setObjectName("addendumText")
        self.text.setTabChangesFocus(True)
        self.text.setPlaceholderText("Write an addendum…")
        self.text.setFixedHeight(self.text.fontMetrics().lineSpacing() * 3 + 18)
        layout.addWidget(self.text)
        self.button = QPushButton(icon("add"), "Add addendum")
        self.button.setObjectName("addAddendumButton")
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignLeft)
        self.hide()

    def show_addenda(self, addenda: tuple[exams.Addendum, ...]) -> None:
        clear_layout(self.entries)
        for addendum in addenda:
            self.entries.addWidget(self._entry(addendum))
        if not addenda:
            self.entries.addWidget(role_label("No addenda.", "hint"))

    @staticmethod
    def _entry(addendum: exams.Addendum) -> QWidget:
        box = QWidget()
        box.setObjectName("addendum")
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        written = f"{addendum.created_at.astimezone(LONDON):%d/%m/%Y %H:%M}"
        layout.addWidget(role_label(f"{addendum.author_name}  ·  {written}", "field-label"))
        layout.addWidget(role_label(addendum.body, "card-value", wrap=True))
        return box
