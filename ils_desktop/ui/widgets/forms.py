"""Small building blocks shared by forms: labelled fields with inline error messages."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

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
    if hint:
        hint_label = QLabel(hint)
        hint_label.setProperty("role", "hint")
        hint_label.setWordWrap(True)
        layout.addWidget(hint_label)
    if error is not None:
        layout.addWidget(error)
    return box


def mark_invalid(field: QWidget, invalid: bool) -> None:
    set_style_property(field, "invalid", "true" if invalid else "false")
