"""Fields of the examination record: typed values read from what the clinician types.

Every field keeps exactly what was typed until it can be read; when the clinician leaves a field it
is rewritten in canonical form (``-1.25/-0.50x180``, ``6/9-2``, ``+2.00``) or, if it cannot be read
or breaks a rule, marked with the reason — never cleared. ``value()`` is None while a field is blank
or invalid, so a draft only ever holds valid values; the typed text of an invalid field goes to the
local recovery copy instead (``raw()``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Generic, TypeVar

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QPlainTextEdit, QWidget

from ils_desktop.domain.exam import (
    format_iop_readings,
    format_va,
    grade_problem,
    normalise_time,
    parse_iop_readings,
    va_problem,
)
from ils_desktop.domain.rx import STANDARD_STEP, Prism, Sca, format_sca, parse_prism, parse_sca, validate_sca
from ils_desktop.ui.widgets.forms import mark_invalid

T = TypeVar("T")


class ExamLineEdit(QLineEdit):
    """A one-line field of the record. ``edited`` fires on every change the clinician makes."""

    edited = Signal()
    problem_changed = Signal()

    def __init__(self, key: str, label: str, *, placeholder: str = "", width: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(key)
        self.key = key
        self.label = label
        self.setPlaceholderText(placeholder)
        self.setAccessibleName(label)
        if width is not None:
            self.setMinimumWidth(width)
        self.textEdited.connect(lambda _text: self.edited.emit())

    def problem(self) -> str | None:
        return None

    def raw(self) -> str:
        return self.text().strip()

    def set_read_only(self, read_only: bool) -> None:
        self.setReadOnly(read_only)


class TextField(ExamLineEdit):
    """Free text (a line); None when blank."""

    def value(self) -> str | None:
        return self.text().strip() or None

    def set_value(self, value: str | None) -> None:
        self.setText(value or "")


class ParsedField(ExamLineEdit, Generic[T]):
    """A field read by ``parse`` (raising ``ValueError`` with a message) and written by ``show``.

    ``check`` adds rule problems for a value that was read (e.g. 0.25 D steps in an Rx).
    """

    def __init__(self, key: str, label: str, parse: Callable[[str], T], show: Callable[[T], str], *,
                 check: Callable[[T], str | None] | None = None, placeholder: str = "", width: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(key, label, placeholder=placeholder, width=width, parent=parent)
        self._parse, self._show, self._check = parse, show, check
        self._problem: str | None = None
        self.editingFinished.connect(self.tidy)
        self.textChanged.connect(self._recheck_quietly)

    def _read(self) -> tuple[T | None, str | None]:
        text = self.text().strip()
        if not text:
            return None, None
        try:
            value = self._parse(text)
        except (ValueError, InvalidOperation) as error:
            return None, str(error)
        problem = self._check(value) if self._check else None
        return (None, problem) if problem else (value, None)

    def value(self) -> T | None:
        return self._read()[0]

    def problem(self) -> str | None:
        return self._read()[1]

    def set_value(self, value: T | None) -> None:
        self.setText("" if value is None else self._show(value))
        self._update_mark(None if value is None else self.problem())

    def tidy(self) -> None:
        """Leaving the field: rewrite a readable value canonically, or show why it cannot be used."""
        value, problem = self._read()
        if value is not None:
            canonical = self._show(value)
            if canonical != self.text():
                self.setText(canonical)
        self._update_mark(problem)

    def _recheck_quietly(self, _text: str) -> None:
        # While typing, only clear a red mark once the text is right; marking waits for leaving.
        if self._problem and self.problem() is None:
            self._update_mark(None)

    def _update_mark(self, problem: str | None) -> None:
        if problem != self._problem:
            self._problem = problem
            mark_invalid(self, problem is not None)
            self.setToolTip(problem or "")
            self.problem_changed.emit()

    @property
    def shown_problem(self) -> str | None:
        """The problem currently marked on the field (set when the clinician left it)."""
        return self._problem


# --------------------------------------------------------------------------------------------------
# Field factories


def sca_field(key: str, label: str, *, prescription: bool) -> ParsedField[Sca]:
    """Sphere/cylinder × axis typed as one: ``-1.25/-0.50x180``, ``+2.00``, ``pl/-0.75x90``.

    A prescription (subjective) must be in 0.25 D steps; device-measured values may be 0.01 D.
    """
    step = STANDARD_STEP if prescription else Decimal("0.01")

    def check(sca: Sca) -> str | None:
        problems = validate_sca(sca, step=step)
        return "; ".join(problems) if problems else None

    field = ParsedField(key, label, parse_sca, format_sca, check=check, width=150)
    field.setToolTip("Sphere / cylinder × axis, e.g. -1.25/-0.50x180, +2.00DS or plano")
    return field


def _signed_power(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(" ", "").replace("D", "").replace("d", ""))
    except InvalidOperation:
        raise ValueError(f"'{text}' is not a power in dioptres (e.g. +2.00)") from None
    if not value.is_finite():
        raise ValueError(f"'{text}' is not a power in dioptres (e.g. +2.00)")
    return value


def add_field(key: str, label: str) -> ParsedField[Decimal]:
    """A reading or intermediate add: positive, 0.25 D steps, at most +4.00 (``2`` reads as +2.00)."""

    def check(add: Decimal) -> str | None:
        if not Decimal(0) < add <= Decimal(4):
            return f"An add is more than 0.00 and at most +4.00 D, not {add:+.2f}"
        if add % STANDARD_STEP:
            return f"Add {add:+.2f} is not a multiple of 0.25 D"
        return None

    return ParsedField(key, label, _signed_power, lambda v: f"{v:+.2f}", check=check, width=70)


def prism_field(key: str, label: str, *, horizontal: bool) -> ParsedField[Prism]:
    """A prism with its base: ``0.5 BI``, ``1 base up``; horizontal fields take IN/OUT, vertical UP/DOWN."""
    allowed = ("IN", "OUT") if horizontal else ("UP", "DOWN")

    def check(prism: Prism) -> str | None:
        if prism.base not in allowed:
            return f"Use base {' or '.join(allowed)} here"
        return None

    field = ParsedField(key, label, parse_prism, lambda p: f"{p.amount:.2f} {p.base}", check=check, width=80)
    example = "0.5 BI or 1 base out" if horizontal else "1 BU or 0.5 base down"
    field.setToolTip(f"Prism dioptres and base, e.g. {example}")
    return field


def va_field(key: str, label: str, *, near: bool = False) -> ParsedField[str]:
    """A visual acuity: Snellen 6/x (with letters, ``6/9-2``), logMAR, N-point for near, CF/HM/PL/NPL."""

    def check(text: str) -> str | None:
        return va_problem(text, near=near)

    field = ParsedField(key, label, format_va, lambda text: text, check=check, width=64)
    field.setToolTip("e.g. N5, N8 or logMAR" if near else "e.g. 6/6, 6/9-2, 0.10 (logMAR), CF, HM")
    return field


def decimal_field(key: str, label: str, low: Decimal, high: Decimal, *, places: int = 2, unit: str = "",
                  placeholder: str = "", width: int = 70, show: Callable[[Decimal], str] | None = None,
                  check: Callable[[Decimal], str | None] | None = None) -> ParsedField[Decimal]:
    """A number within a range (mm, cm, D, C/D ratio…), shown with ``places`` decimals."""

    def parse(text: str) -> Decimal:
        cleaned = text.lower().replace(unit.lower(), "").strip() if unit else text.strip()
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise ValueError(f"'{text}' is not a number") from None
        if not value.is_finite():
            raise ValueError(f"'{text}' is not a number")
        return value

    def in_range(value: Decimal) -> str | None:
        if not low <= value <= high:
            return f"{label} {value} is out of range ({low}–{high}{(' ' + unit) if unit else ''})"
        return None

    return ParsedField(key, label, parse, show or (lambda v: f"{v:.{places}f}"), check=check or in_range,
                       placeholder=placeholder, width=width)


def int_field(key: str, label: str, low: int, high: int, *, placeholder: str = "", width: int = 56
              ) -> ParsedField[int]:
    def parse(text: str) -> int:
        if not text.strip().isdigit():
            raise ValueError(f"'{text}' is not a whole number")
        return int(text)

    def check(value: int) -> str | None:
        return None if low <= value <= high else f"{label} {value} is out of range ({low}–{high})"

    return ParsedField(key, label, parse, str, check=check, placeholder=placeholder, width=width)


def grade_field(key: str, label: str) -> ParsedField[Decimal]:
    """An Efron/CCLRU grade 0–4 (whole or tenths)."""
    return decimal_field(key, label, Decimal(0), Decimal(4), width=52,
                         show=lambda v: format(v.normalize(), "f"),  # "1", "1.5": as graded
                         check=lambda v: grade_problem(label, v))


def iop_field(key: str, label: str) -> ParsedField[tuple[Decimal, ...]]:
    """Repeated IOP readings in mmHg: ``15 16 15``."""
    return ParsedField(key, label, parse_iop_readings, format_iop_readings, placeholder="e.g. 15 16 15", width=120)


def time_field(key: str, label: str) -> ParsedField[str]:
    def parse(text: str) -> str:
        value = normalise_time(text)
        if value is None:
            raise ValueError("Enter a time, e.g. 10:15")
        return value

    return ParsedField(key, label, parse, lambda v: v, placeholder="HH:MM", width=64)


# --------------------------------------------------------------------------------------------------
# Choices, ticks, notes


class ChoiceField(QComboBox):
    """A choice from a short list (first entry "—" for not recorded); type a letter to pick."""

    edited = Signal()

    def __init__(self, key: str, label: str, choices: dict[str, str], *, blank: str = "—",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(key)
        self.key, self.label = key, label
        self.setAccessibleName(label)
        self._loading = False
        self.addItem(blank, None)
        for value, text in choices.items():
            self.addItem(text, value)
        self.currentIndexChanged.connect(lambda _index: self._changed_by_user())

    def _changed_by_user(self) -> None:
        if not self._loading:
            self.edited.emit()

    def value(self) -> str | None:
        return self.currentData()

    def set_value(self, value: str | None) -> None:
        self._loading = True
        try:
            index = self.findData(value)
            self.setCurrentIndex(index if index >= 0 else 0)
        finally:
            self._loading = False

    def problem(self) -> str | None:
        return None

    def raw(self) -> str:
        return ""

    def set_read_only(self, read_only: bool) -> None:
        self.setEnabled(not read_only)


class TickField(QCheckBox):
    edited = Signal()

    def __init__(self, key: str, label: str, parent: QWidget | None = None) -> None:
        super().__init__(label, parent)
        self.setObjectName(key)
        self.key, self.label = key, label
        self.clicked.connect(lambda _checked: self.edited.emit())

    def value(self) -> bool:
        return self.isChecked()

    def set_value(self, value: bool | None) -> None:
        self.setChecked(bool(value))

    def problem(self) -> str | None:
        return None

    def raw(self) -> str:
        return ""

    def set_read_only(self, read_only: bool) -> None:
        self.setEnabled(not read_only)


class NotesField(QPlainTextEdit):
    """Free text over a few lines; Tab leaves the field (Enter starts a new line)."""

    edited = Signal()

    def __init__(self, key: str, label: str, *, lines: int = 2, placeholder: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(key)
        self.key, self.label = key, label
        self.setAccessibleName(label)
        self.setTabChangesFocus(True)
        self.setPlaceholderText(placeholder)
        line = self.fontMetrics().lineSpacing()
        self.setFixedHeight(line * lines + 18)
        self._loading = False
        self.textChanged.connect(self._changed)

    def _changed(self) -> None:
        if not self._loading:
            self.edited.emit()

    def value(self) -> str | None:
        return self.toPlainText().strip() or None

    def set_value(self, value: str | None) -> None:
        self._loading = True
        try:
            self.setPlainText(value or "")
        finally:
            self._loading = False

    def problem(self) -> str | None:
        return None

    def raw(self) -> str:
        return ""

    def set_read_only(self, read_only: bool) -> None:
        self.setReadOnly(read_only)


# --------------------------------------------------------------------------------------------------
# Keyboard: R/L grids


class GridNavigator(QObject):
    """Arrow keys in an R/L grid: Up/Down to the same column of the other row, Left/Right across cells
    when the cursor is at the edge of the text. Combo boxes keep Up/Down for their own choices."""

    def __init__(self, rows: Sequence[Sequence[QWidget | None]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows = [list(row) for row in rows]
        self.where: dict[QWidget, tuple[int, int]] = {}
        for r, row in enumerate(self.rows):
            for c, widget in enumerate(row):
                if widget is not None:
                    self.where[widget] = (r, c)
                    widget.installEventFilter(self)

    def _cell(self, row: int, column: int) -> QWidget | None:
        if 0 <= row < len(self.rows) and 0 <= column < len(self.rows[row]):
            return self.rows[row][column]
        return None

    def _move(self, widget: QWidget, d_row: int, d_column: int) -> bool:
        row, column = self.where[widget]
        row, column = row + d_row, column + d_column
        while 0 <= row < len(self.rows) and 0 <= column < len(self.rows[row]):
            target = self._cell(row, column)
            if target is not None and target.isEnabled() and target.isVisible():
                target.setFocus(Qt.FocusReason.OtherFocusReason)
                if isinstance(target, QLineEdit):
                    target.selectAll()
                return True
            row, column = row + d_row, column + d_column
        return False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or watched not in self.where:
            return False
        assert isinstance(event, QKeyEvent)
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        key = event.key()
        widget = watched
        assert isinstance(widget, QWidget)
        if isinstance(widget, QComboBox) and key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            return False
        if key == Qt.Key.Key_Up:
            return self._move(widget, -1, 0)
        if key == Qt.Key.Key_Down:
            return self._move(widget, 1, 0)
        if isinstance(widget, QLineEdit) and not widget.hasSelectedText():
            if key == Qt.Key.Key_Left and widget.cursorPosition() == 0:
                return self._move(widget, 0, -1)
            if key == Qt.Key.Key_Right and widget.cursorPosition() == len(widget.text()):
                return self._move(widget, 0, 1)
        return False
