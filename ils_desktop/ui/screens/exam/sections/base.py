"""What every section of the examination screen shares: a numbered card, its fields in keyboard
order, the problems of those fields, a device-source badge, and per-eye grids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from ils_desktop.domain.exam import DeviceSource, ExamContent
from ils_desktop.services import clock
from ils_desktop.ui.screens.exam.sections.fields import GridNavigator, ParsedField
from ils_desktop.ui.theme import set_style_property
from ils_desktop.ui.widgets.forms import FieldError


def caption(text: str) -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "field-label")
    return label


def hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "hint")
    label.setWordWrap(True)
    return label


def eye_label(eye: str) -> QLabel:
    """The R / L (or BE) marker at the start of a grid row."""
    label = QLabel({"R": "R", "L": "L", "B": "BE"}.get(eye, eye))
    label.setProperty("role", "badge")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setFixedWidth(34)
    label.setToolTip({"R": "Right eye", "L": "Left eye", "B": "Both eyes"}.get(eye, eye))
    return label


def labelled_field(text: str, field: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(3)
    label = caption(text.replace("&", "&&"))  # a buddy label reads & as a mnemonic
    label.setBuddy(field)
    layout.addWidget(label)
    layout.addWidget(field)
    return box


class ExamSection(QFrame):
    """One numbered part of the record. Subclasses build their fields with ``add`` (in keyboard
    order) and implement ``load`` / ``store`` between the widgets and an ``ExamContent``."""

    edited = Signal(str)  # the block that changed (for device sources), "" for non-device parts

    def __init__(self, number: int, key: str, title: str, subtitle: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "card")
        self.setObjectName(f"section_{key}")
        self.number, self.key, self.title = number, key, title
        self.fields: list[Any] = []
        self._field_blocks: dict[int, str] = {}
        self.loading = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 14, 18, 16)
        outer.setSpacing(10)
        header = QHBoxLayout()
        header.setSpacing(10)
        badge = QLabel(str(number))
        badge.setProperty("role", "badge")
        badge.setToolTip(f"Alt+{number % 10}" if number <= 10 else "")
        badge.setMinimumWidth(30)
        badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        header.addWidget(badge)
        heading = QLabel(title)
        heading.setProperty("role", "section")
        header.addWidget(heading)
        if subtitle:
            header.addWidget(hint(subtitle))
        header.addStretch(1)
        self.header_actions = QHBoxLayout()
        self.header_actions.setSpacing(6)
        header.addLayout(self.header_actions)
        self.sources: dict[str, QLabel] = {}
        outer.addLayout(header)
        self.body = QVBoxLayout()
        self.body.setSpacing(10)
        outer.addLayout(self.body)
        self.problems = FieldError()
        outer.addWidget(self.problems)

    # --- building ----------------------------------------------------------------------------
    def add(self, field: Any, block: str = "") -> Any:
        """Register a field (in keyboard order) and what block it belongs to."""
        self.fields.append(field)
        self._field_blocks[id(field)] = block
        field.edited.connect(lambda f=field: self._field_edited(f))
        if isinstance(field, ParsedField):
            field.problem_changed.connect(self.refresh_problems)
        return field

    def header_link(self, text: str, name: str, tooltip: str = "") -> QPushButton:
        """A small action in the section header (e.g. "Start from objective")."""
        button = QPushButton(text)
        button.setObjectName(name)
        button.setProperty("role", "link")
        button.setToolTip(tooltip)
        button.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # keyboard users have the shortcut
        self.header_actions.addWidget(button)
        return button

    def fill_healthy(self) -> bool:
        """Fill blank fields with the usual healthy findings (sections that have them); True if any."""
        return False

    def source_badge(self, block: str, layout: QHBoxLayout | None = None) -> QLabel:
        """A badge showing where a device-filled block came from (hidden until a device fills it)."""
        label = QLabel()
        label.setObjectName(f"source_{block}")
        label.setProperty("role", "badge")
        label.setProperty("tone", "success")
        label.hide()
        (layout or self.header_actions).insertWidget(0, label)
        self.sources[block] = label
        return label

    def grid(self, columns: Sequence[str], rows: Sequence[tuple[str, Sequence[QWidget | None]]],
             *, stretch_last: bool = False) -> QGridLayout:
        """A per-eye grid: a header of column captions, then one row per eye, arrow-key navigable."""
        layout = QGridLayout()
        layout.setHorizontalSpacing(8)
        layout.setVerticalSpacing(6)
        for column, text in enumerate(columns, start=1):
            layout.addWidget(caption(text), 0, column)
        for r, (eye, cells) in enumerate(rows, start=1):
            layout.addWidget(eye_label(eye), r, 0)
            for c, cell in enumerate(cells, start=1):
                if cell is not None:
                    layout.addWidget(cell, r, c)
        if stretch_last:
            layout.setColumnStretch(len(columns), 1)
        else:
            layout.setColumnStretch(len(columns) + 1, 1)
        GridNavigator([cells for _eye, cells in rows], self)
        return layout

    def feature_grid(self, rows: Sequence[tuple[str, Sequence[QWidget]]]) -> QGridLayout:
        """A record-card grid: one row per finding, right eye then left eye side by side."""
        layout = QGridLayout()
        layout.setHorizontalSpacing(10)
        layout.setVerticalSpacing(6)
        layout.addWidget(eye_label("R"), 0, 1)
        layout.addWidget(eye_label("L"), 0, 2)
        for r, (text, cells) in enumerate(rows, start=1):
            label = caption(text.replace("&", "&&"))
            label.setBuddy(cells[0])
            layout.addWidget(label, r, 0)
            for c, cell in enumerate(cells, start=1):
                layout.addWidget(cell, r, c)
                if c > 1 and isinstance(cell, QLineEdit):
                    cell.setPlaceholderText("")  # one example per row is enough
        layout.setColumnStretch(1, 1)
        layout.setColumnStretch(2, 1)
        GridNavigator([list(cells) for _text, cells in rows], self)
        return layout

    # --- state -------------------------------------------------------------------------------
    def _field_edited(self, field: Any) -> None:
        if not self.loading:
            self.edited.emit(self._field_blocks.get(id(field), ""))

    def load(self, content: ExamContent) -> None:
        raise NotImplementedError

    def store(self, content: ExamContent) -> ExamContent:
        raise NotImplementedError

    def fill(self, content: ExamContent) -> None:
        """``load`` with change signals held back (loading is not editing)."""
        self.loading = True
        try:
            for field in self.fields:
                field.blockSignals(True)
            self.load(content)
        finally:
            for field in self.fields:
                field.blockSignals(False)
            self.loading = False
        self.refresh_problems()

    def set_read_only(self, read_only: bool) -> None:
        for field in self.fields:
            field.set_read_only(read_only)

    def block_of(self, key: str) -> str:
        """The block a field (by its key) belongs to ("" for the non-device parts)."""
        return next((self._field_blocks.get(id(f), "") for f in self.fields if getattr(f, "key", None) == key), "")

    def unparsed(self) -> dict[str, str]:
        """Text typed into fields that cannot be read yet (kept in the local recovery copy)."""
        return {f.key: f.raw() for f in self.fields if isinstance(f, ParsedField) and f.raw() and f.problem()}

    def restore_unparsed(self, typed: dict[str, str]) -> None:
        for field in self.fields:
            if isinstance(field, ParsedField) and field.key in typed:
                field.setText(typed[field.key])
                field.tidy()

    def field_problems(self) -> list[str]:
        return [f"{f.label}: {f.problem()}" for f in self.fields if isinstance(f, ParsedField) and f.problem()]

    def refresh_problems(self) -> None:
        shown = [f"{f.label}: {f.shown_problem}" for f in self.fields
                 if isinstance(f, ParsedField) and f.shown_problem]
        self.problems.show_message("\n".join(shown))

    def set_source(self, block: str, source: DeviceSource | None) -> None:
        label = self.sources.get(block)
        if label is None:
            return
        label.setVisible(source is not None)
        if source is not None:
            label.setText(source.label(clock.today()))
            set_style_property(label, "tone", "warning" if source.edited else "success")
            label.setToolTip(f"{source.kind.capitalize()} received {source.received_at:%d/%m/%Y %H:%M}"
                             + (" — values changed by hand since" if source.edited else ""))

    def first_field(self) -> QWidget | None:
        return next((f for f in self.fields if f.isEnabled() and f.focusPolicy() != Qt.FocusPolicy.NoFocus), None)

    def is_recorded(self, content: ExamContent) -> bool:
        """Whether anything is recorded in this section (for the progress marks)."""
        return False
