"""A card of Practice settings that looks after a list (rooms, appointment types, protocols, note
templates): the list on the left, the selected one's form on the right.

Keyboard first: arrows move in the list and show the row in the form; Ctrl+N (or *New…*) starts a new
one; Enter in a one-line field saves; *Retire* / *Bring back* and *Remove* act on the selected row.
Each field is checked by the same rule the use case applies (``domain.practice_setup``) as soon as it
is left, and the use case's answer is shown beside the field it is about.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import RowsModel
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import icon, polish_table
from ils_desktop.ui.widgets.forms import FieldError, form_card, labelled, mark_invalid, say

Row = TypeVar("Row")


class SetupCard(QWidget, Generic[Row]):
    """Subclasses build their fields (``add_field``) and say how to list, show, save and retire."""

    HEADING = ""
    INTRO = ""
    NOUN = "item"  # "room": the buttons say "New room", "Save room"
    CHANGED = "settings"  # what ``changes.changed`` announces after a change
    REMOVABLE = False
    #: Widths of the list's columns after the first (which takes the rest): {column: pixels}.
    COLUMN_WIDTHS: dict[int, int] = {}

    def __init__(self, workspace: Workspace, model: RowsModel[Row], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.model = model
        self.rows: list[Row] | None = None  # None until loaded
        self.current: Row | None = None  # the row in the form; None: a new one
        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, FieldError] = {}
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        card, box = form_card(self.HEADING, self.INTRO)
        outer.addWidget(card)

        # Side by side where there is room (1920 wide), the form under the list where there is not.
        self.body = body = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        body.setSpacing(20)
        self.table = QTableView()
        self.table.setObjectName(f"{self.NOUN.replace(' ', '')}List")
        self.table.setModel(model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the list for the form
        polish_table(self.table, row_height=30)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in self.COLUMN_WIDTHS.items():
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        header.setMinimumSectionSize(48)
        self.table.setMinimumHeight(200)
        self.table.selectionModel().currentRowChanged.connect(lambda current, _previous: self._picked(current.row()))
        list_side = QVBoxLayout()
        list_side.addWidget(self.table, 1)
        self.new_button = QPushButton(icon("add"), f"New {self.NOUN}")
        self.new_button.setObjectName("new" + self.NOUN.title().replace(" ", ""))
        self.new_button.setToolTip(f"Start a new {self.NOUN} (Ctrl+N)")
        self.new_button.clicked.connect(self.start_new)
        new_row = QHBoxLayout()
        new_row.addWidget(self.new_button)
        new_row.addStretch(1)
        list_side.addLayout(new_row)
        body.addLayout(list_side, 6)

        form_side = QVBoxLayout()
        form_side.setSpacing(8)
        self.form_title = QLabel()
        self.form_title.setProperty("role", "field-label")
        form_side.addWidget(self.form_title)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(14)
        self.grid.setVerticalSpacing(8)
        self.grid.setColumnStretch(0, 1)
        self.grid.setColumnStretch(1, 1)
        form_side.addLayout(self.grid)
        form_side.addStretch(1)
        self.message = QLabel()
        self.message.setObjectName(f"{self.NOUN.replace(' ', '')}Message")
        self.message.setWordWrap(True)
        self.message.hide()
        form_side.addWidget(self.message)
        buttons = QHBoxLayout()
        self.save_button = QPushButton(f"Save {self.NOUN}")
        self.save_button.setObjectName("save" + self.NOUN.title().replace(" ", ""))
        self.save_button.setProperty("role", "primary")
        self.save_button.clicked.connect(self.save)
        self.retire_button = QPushButton("Retire")
        self.retire_button.setObjectName("retire" + self.NOUN.title().replace(" ", ""))
        self.retire_button.clicked.connect(self.toggle_active)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setObjectName("remove" + self.NOUN.title().replace(" ", ""))
        self.remove_button.setProperty("role", "danger")
        self.remove_button.clicked.connect(self.remove)
        if not self.REMOVABLE:  # hide() only: showing a button with no parent yet opens a window
            self.remove_button.hide()
        buttons.addWidget(self.retire_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        form_side.addLayout(buttons)
        body.addLayout(form_side, 5)
        box.addLayout(body)
        QShortcut(QKeySequence("Ctrl+N"), self, context=Qt.ShortcutContext.WidgetWithChildrenShortcut
                  ).activated.connect(self.start_new)

    #: Below this width the form goes under the list.
    SIDE_BY_SIDE_FROM = 960

    def resizeEvent(self, event: QResizeEvent) -> None:
        wide = event.size().width() >= self.SIDE_BY_SIDE_FROM
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if self.body.direction() != direction:
            self.body.setDirection(direction)
        super().resizeEvent(event)

    # --- what a subclass provides --------------------------------------------------------------
    def list_case(self) -> Any:
        """The use case that lists the rows (called with no request)."""
        raise NotImplementedError

    def rows_of(self, loaded: Any) -> list[Row]:
        return list(loaded)

    def after_load(self, loaded: Any) -> None:
        """Anything else the list use case brought (choices for the form)."""

    def show_row(self, row: Row | None) -> None:
        """Fill the form from ``row`` (None: empty, for a new one)."""
        raise NotImplementedError

    def local_problems(self) -> dict[str, str]:
        """What the domain rule says of the form as it stands (checked as each field is left)."""
        return {}

    def save_work(self, call: Callable[..., Any]) -> Callable[[], Any]:
        """The save as work for ``run_op``: ``lambda: call(use_case, ...)`` (new or change)."""
        raise NotImplementedError

    def active_of(self, row: Row) -> bool:
        return bool(getattr(row, "active", True))

    def can_retire(self, row: Row) -> bool:
        return True

    def can_remove(self, row: Row) -> bool:
        return False

    def toggle_work(self, call: Callable[..., Any], row: Row, active: bool) -> Callable[[], Any]:
        raise NotImplementedError

    def remove_work(self, call: Callable[..., Any], row: Row) -> Callable[[], Any]:
        raise NotImplementedError

    def key_of(self, row: Row) -> Any:
        return getattr(row, "id", None)

    def saved_message(self, result: Any) -> str:
        return "Saved."

    # --- building the form -------------------------------------------------------------------------
    def add_field(self, name: str, label: str, field: QWidget, row: int, column: int = 0, span: int = 1,
                  hint: str = "", shown: QWidget | None = None) -> QWidget:
        """``field`` under ``label`` at (row, column) of the form; ``shown`` is what is laid out when
        the field has company (a colour swatch beside it)."""
        field.setObjectName(f"{self.NOUN.replace(' ', '_')}_{name}")  # e.g. room_name
        self.fields[name] = field
        self.errors[name] = FieldError()
        self.grid.addWidget(labelled(label, shown or field, self.errors[name], hint), row, column, 1, span)
        if isinstance(field, QLineEdit):
            field.returnPressed.connect(self.save)
            field.editingFinished.connect(lambda n=name: self._check(n))
        return field

    def add_error(self, name: str) -> FieldError:
        """An error line for a part of the form that is not one field (a list of choices)."""
        self.errors[name] = FieldError()
        return self.errors[name]

    # --- loading -----------------------------------------------------------------------------------
    def refresh(self) -> None:
        call, case = self.workspace.call, self.list_case()
        run_op(lambda: call(case), on_done=self._loaded, parent=self)

    def _loaded(self, loaded: Any, select: Any = None) -> None:
        self.after_load(loaded)
        key = select if select is not None else (self.key_of(self.current) if self.current is not None else None)
        self.rows = self.rows_of(loaded)
        self.model.set_rows(self.rows)
        index = next((i for i, r in enumerate(self.rows) if key is not None and self.key_of(r) == key), None)
        if index is None and self.rows and self.current is not None:
            index = 0
        if index is not None:
            self.table.selectRow(index)
            self._picked(index)
        elif not self.rows:
            self.start_new(focus=False)
        else:
            self.table.selectRow(0)
            self._picked(0)

    def _picked(self, index: int) -> None:
        if self.rows is None or not 0 <= index < len(self.rows):
            return
        self.current = self.rows[index]
        self._clear_problems()
        self.show_row(self.current)
        self.form_title.setText(f"Change this {self.NOUN}")
        self._update_buttons()

    def start_new(self, focus: bool = True) -> None:
        self.current = None
        self.table.clearSelection()
        self._clear_problems()
        self.message.hide()
        self.show_row(None)
        self.form_title.setText(f"A new {self.NOUN}")
        self._update_buttons()
        first = next(iter(self.fields.values()), None)
        if focus and first is not None:
            first.setFocus()

    def _update_buttons(self) -> None:
        row = self.current
        self.retire_button.setEnabled(row is not None and self.can_retire(row))
        self.retire_button.setText("Retire" if row is None or self.active_of(row) else "Bring back")
        self.remove_button.setEnabled(row is not None and self.can_remove(row))

    # --- checking and saving ---------------------------------------------------------------------
    def _clear_problems(self) -> None:
        for name, error in self.errors.items():
            error.show_message("")
            if name in self.fields:
                mark_invalid(self.fields[name], False)

    def _check(self, name: str) -> None:
        """The rule's word on one field, as it is left."""
        problem = self.local_problems().get(name, "")
        self.errors[name].show_message(problem)
        mark_invalid(self.fields[name], bool(problem))

    def show_problems(self, problems: dict[str, str]) -> None:
        for name, text in problems.items():
            if name in self.errors:
                self.errors[name].show_message(text)
                if name in self.fields:
                    mark_invalid(self.fields[name], True)
            else:
                say(self.message, text, "error")
        first = next((self.fields[n] for n in self.fields if n in problems), None)
        if first is not None:
            first.setFocus()

    def _failed(self, error: BaseException) -> bool:
        self.save_button.setEnabled(True)
        if isinstance(error, ValidationFailed):
            self.show_problems(error.problems)
            return True
        if isinstance(error, UserFacingError):
            say(self.message, str(error), "error")
            return True
        return False

    def save(self) -> None:
        if self.rows is None or not self.save_button.isEnabled():
            return
        self._clear_problems()
        self.message.hide()
        problems = self.local_problems()
        if problems:
            self.show_problems(problems)
            return
        self.save_button.setEnabled(False)
        run_op(self.save_work(self.workspace.call), on_done=self._saved, on_error=self._failed, parent=self)

    def _saved(self, result: Any) -> None:
        self.save_button.setEnabled(True)
        say(self.message, self.saved_message(result), "success")
        changes.changed.emit(self.CHANGED)
        self._reload(select=result if result is not None else None)

    def _reload(self, select: Any = None) -> None:
        call, case = self.workspace.call, self.list_case()
        run_op(lambda: call(case), on_done=lambda loaded: self._loaded(loaded, select), parent=self)

    def toggle_active(self) -> None:
        row = self.current
        if row is None:
            return
        active = not self.active_of(row)
        key = self.key_of(row)

        def done(_result: object) -> None:
            say(self.message, "Brought back." if active else "Retired: kept on record; Bring back undoes it.",
                "success")
            changes.changed.emit(self.CHANGED)
            self._reload(select=key)

        run_op(self.toggle_work(self.workspace.call, row, active), on_done=done, on_error=self._failed, parent=self)

    def remove(self) -> None:
        row = self.current
        if row is None:
            return

        def done(_result: object) -> None:
            say(self.message, "Removed.", "success")
            changes.changed.emit(self.CHANGED)
            self.current = None
            self._reload()

        run_op(self.remove_work(self.workspace.call, row), on_done=done, on_error=self._failed, parent=self)


def text_of(field: QWidget) -> str:
    if isinstance(field, QLineEdit):
        return field.text()
    if isinstance(field, QPlainTextEdit):
        return field.toPlainText()
    raise TypeError(field)
