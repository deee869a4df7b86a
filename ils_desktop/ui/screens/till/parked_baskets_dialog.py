"""Parked baskets: the baskets put aside at any till, to recall one (Enter) and carry on."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from ils_desktop.domain.money import format_money
from ils_desktop.errors import UserFacingError
from ils_desktop.services import till
from ils_desktop.services.till import ParkedBasketView
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.session import Workspace


class ParkedBasketsDialog(QDialog):
    """``basket`` holds the recalled basket (the till's JSON form) once accepted."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.basket: dict[str, Any] | None = None
        self.setWindowTitle("Recall a parked basket")
        self.setModal(True)
        self.resize(560, 420)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        title = QLabel("Parked baskets")
        title.setProperty("role", "section")
        layout.addWidget(title)
        self.list = QListWidget()
        self.list.setObjectName("parkedBaskets")
        layout.addWidget(self.list, 1)
        self.message = QLabel("Loading…")
        self.message.setProperty("role", "hint")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.recall_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.recall_button.setObjectName("recallButton")
        self.recall_button.setText("Recall")
        self.recall_button.setProperty("role", "primary")
        buttons.accepted.connect(self._recall)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.list.itemActivated.connect(lambda _item: self._recall())
        call = workspace.call
        run_op(lambda: call(till.parked_baskets), on_done=self._show, parent=self)

    def _show(self, parked: list[ParkedBasketView]) -> None:
        self.list.clear()
        for basket in parked:
            item = QListWidgetItem(
                f"{basket.label} — {basket.item_count} item{'s' if basket.item_count != 1 else ''}, "
                f"{format_money(basket.total)}   ·   parked {basket.parked_at.astimezone():%H:%M} by "
                f"{basket.parked_by_name or 'someone'} on {basket.till_name}")
            item.setData(Qt.ItemDataRole.UserRole, basket)
            self.list.addItem(item)
        if parked:
            self.list.setCurrentRow(0)
            self.list.setFocus()
        self.message.setText("Enter recalls the highlighted basket." if parked else "No baskets are parked.")
        self.recall_button.setEnabled(bool(parked))

    def _recall(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        chosen: ParkedBasketView = item.data(Qt.ItemDataRole.UserRole)
        call = self.workspace.call

        def done(basket: dict[str, Any]) -> None:
            self.basket = basket
            self.accept()

        def failed(error: BaseException) -> bool:
            if isinstance(error, UserFacingError):
                self.message.setText(str(error))
                return True
            return False

        run_op(lambda: call(till.recall_basket, chosen.id), on_done=done, on_error=failed, parent=self)
