"""Reorder rules by category: the reorder point and quantity for every item of a category that has
none of its own (an item's own point, set on the Stock tab, wins). Saving a rule raises or clears the
category's low-stock alerts at once. A point of 0 removes the category's rule."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QSpinBox, QWidget

from ils_desktop.services import inventory
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.screens.inventory.common import CATEGORY_LABELS
from ils_desktop.ui.screens.inventory.dialogs import FormDialog
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.widgets.forms import FieldError, mark_invalid

#: Categories whose stock is counted (services and lens options are not kept on a shelf).
STOCKED = ("frame", "sunglasses", "spectacle_lens", "contact_lens", "solution", "accessory")


class ReorderRulesDialog(FormDialog):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__("Reorder rules by category", "When an item without its own reorder point falls to its "
                         "category's point, a low-stock alert is raised for the category's quantity. "
                         "A point of 0 means no rule.", parent)
        self.workspace = workspace
        self.rules: dict[str, tuple[int, int]] | None = None
        self.setMinimumWidth(560)
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(8)
        for column, title in enumerate(("Category", "Reorder point", "Reorder quantity")):
            heading = QLabel(title)
            heading.setProperty("role", "field-label")
            grid.addWidget(heading, 0, column)
        self.fields: dict[str, tuple[QSpinBox, QSpinBox, FieldError]] = {}
        for row, category in enumerate(STOCKED, start=1):
            level, quantity, error = QSpinBox(), QSpinBox(), FieldError()
            for spin, name in ((level, "level"), (quantity, "quantity")):
                spin.setRange(0, 9999)
                spin.setObjectName(f"rule_{category}_{name}")
                spin.setAlignment(Qt.AlignmentFlag.AlignRight)
                spin.setMinimumWidth(110)
                spin.valueChanged.connect(lambda _v, c=category: self._clear(c))
            grid.addWidget(QLabel(CATEGORY_LABELS[category]), row * 2 - 1, 0)
            grid.addWidget(level, row * 2 - 1, 1)
            grid.addWidget(quantity, row * 2 - 1, 2)
            grid.addWidget(error, row * 2, 0, 1, 3)
            self.fields[category] = (level, quantity, error)
        grid.setColumnStretch(0, 1)
        self.form.addRow(grid)
        self.save_button.setEnabled(False)
        call = workspace.call
        run_op(lambda: call(inventory.category_rules), on_done=self._show, parent=self)

    def _show(self, rules: dict[str, tuple[int, int]]) -> None:
        self.rules = rules
        for category, (level, quantity, _error) in self.fields.items():
            level.setValue(rules.get(category, (0, 0))[0])
            quantity.setValue(rules.get(category, (0, 0))[1])
        self.save_button.setEnabled(True)
        self.fields[STOCKED[0]][0].setFocus()
        self.fields[STOCKED[0]][0].selectAll()

    def _clear(self, category: str) -> None:
        _level, quantity, error = self.fields[category]
        error.show_message("")
        mark_invalid(quantity, False)

    def save(self) -> None:
        if self.rules is None:
            return
        changed: list[tuple[str, int, int]] = []
        problem = False
        for category, (level, quantity, error) in self.fields.items():
            wanted = (level.value(), quantity.value() if level.value() else 0)
            if level.value() > 0 and quantity.value() == 0:
                error.show_message(f"{CATEGORY_LABELS[category]}: say how many to order at the reorder point.")
                mark_invalid(quantity, True)
                problem = True
            elif wanted != self.rules.get(category, (0, 0)):
                changed.append((category, *wanted))
        if problem:
            return
        if not changed:
            self.accept()
            return
        call = self.workspace.call

        def work() -> Any:
            for category, level, quantity in changed:
                call(inventory.set_category_rule, category, level, quantity)
            return len(changed)

        self.run(work)
