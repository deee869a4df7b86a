"""Small building blocks shared by forms: labelled fields with inline error messages, the card a
settings form sits in, and the one-line message a form answers with."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ils_desktop.ui.theme import set_style_property


class FieldError(QLabel):
    """The red line under a field; hidden while there is nothing to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "field-error")
        self.setWordWrap(True)
        self.hide()

    def show_message(self, message: str) -> None:
        self.setText(message)
        self.setVisible(bool(message))


def labelled(label: str, field: QWidget, error: FieldError | None = None, hint: str = "") -> QWidget:
    """A caption above a field (and an optional hint and error below): easier to scan than a
    form layout's side labels on narrow test-room screens."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(4)
    caption = QLabel(label)
    caption.setProperty("role", "field-label")
    caption.setBuddy(field)
    layout.addWidget(caption)
    layout.addWidget(field)
    notes: list[QLabel] = [caption]
    if hint:
        hint_label = QLabel(hint)
        hint_label.setProperty("role", "hint")
        hint_label.setWordWrap(True)
        layout.addWidget(hint_label)
        notes.append(hint_label)
    if error is not None:
        layout.addWidget(error)
        notes.append(error)
    # In a grid row made taller by a neighbour's hint or error, stay at the top of the cell so the
    # captions of a row line up: the labels do not grow, and the layout keeps to the top. (A stretch
    # would do it too, but would make every labelled row of a form share out the spare height.)
    for note in notes:
        note.setSizePolicy(note.sizePolicy().horizontalPolicy(), QSizePolicy.Policy.Maximum)
    layout.setAlignment(Qt.AlignmentFlag.AlignTop)
    return box


def mark_invalid(field: QWidget, invalid: bool) -> None:
    set_style_property(field, "invalid", "true" if invalid else "false")


def form_card(heading: str, intro: str = "") -> tuple[QFrame, QVBoxLayout]:
    """A ``QFrame[role="card"]`` with a section heading (and an optional hint under it)."""
    card = QFrame()
    card.setProperty("role", "card")
    box = QVBoxLayout(card)
    box.setContentsMargins(20, 16, 20, 16)
    box.setSpacing(12)
    label = QLabel(heading)
    label.setProperty("role", "section")
    box.addWidget(label)
    if intro:
        hint = QLabel(intro)
        hint.setProperty("role", "hint")
        hint.setWordWrap(True)
        box.addWidget(hint)
    return card, box


def say(label: QLabel, text: str, role: str) -> None:
    """Show ``text`` in ``label`` styled as ``role`` ("success", "error", "hint", …)."""
    set_style_property(label, "role", role)
    label.setText(text)
    label.show()
