"""Webhooks: the systems subscribed to the practice's events, each delivery with its attempts, and
replay; a new subscription shows its signing secret once."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.exam import LONDON
from ils_desktop.errors import ValidationFailed
from ils_desktop.services.messaging import webhooks
from ils_desktop.services.messaging.events import EVENT_KINDS
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import PALETTE, polish_table

STATES = {"queued": "Waiting", "delivered": "Delivered", "needs_person": "Needs attention", "cancelled": "Cancelled"}


class SubscriptionModel(RowsModel[webhooks.SubscriptionLine]):
    COLUMNS = ("Receiver", "Address", "Events", "On")

    def display(self, line: webhooks.SubscriptionLine, index: Index) -> Any:
        return (line.name, line.url, ", ".join(line.events), "Yes" if line.is_active else "Off")[index.column()]


class DeliveryModel(RowsModel[webhooks.DeliveryLine]):
    COLUMNS = ("When", "Receiver", "Event", "State", "Tries", "Last answer")

    def role_data(self, line: webhooks.DeliveryLine, index: Index, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 3:
            return QColor(PALETTE.SUCCESS if line.state == "delivered" else
                          PALETTE.DANGER if line.state == "needs_person" else PALETTE.TEXT_MUTED)
        return None

    def display(self, line: webhooks.DeliveryLine, index: Index) -> Any:
        answer = f"HTTP {line.last_status}" if line.last_status else (line.last_error or "—")
        return (f"{line.created_at.astimezone(LONDON):%d/%m %H:%M}", line.subscription, line.event_kind,
                STATES.get(line.state, line.state), str(line.attempts), answer)[index.column()]


def _table(model: RowsModel[Any], name: str, stretch: int) -> QTableView:
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(False)
    polish_table(table)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


class WebhooksPanel(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 12, 0, 0)
        layout.setSpacing(10)
        top = QHBoxLayout()
        self.subscriptions = SubscriptionModel()
        self.subscription_table = _table(self.subscriptions, "webhookSubscriptions", 1)
        top.addWidget(self.subscription_table, 3)
        add = QGroupBox("Send events to another system")
        form = QGridLayout(add)
        self.name, self.url = QLineEdit(), QLineEdit()
        self.name.setPlaceholderText("e.g. Practice website")
        self.url.setPlaceholderText("https://…")
        form.addWidget(QLabel("Name"), 0, 0)
        form.addWidget(self.name, 0, 1, 1, 2)
        form.addWidget(QLabel("Address"), 1, 0)
        form.addWidget(self.url, 1, 1, 1, 2)
        self.events: dict[str, QCheckBox] = {}
        for i, (kind, text) in enumerate(EVENT_KINDS.items()):
            box = QCheckBox(kind)
            box.setToolTip(text)
            self.events[kind] = box
            form.addWidget(box, 2 + i // 2, 1 + i % 2)
        self.add_button = QPushButton("Subscribe")
        self.add_button.setObjectName("webhookSubscribe")
        self.add_button.setProperty("role", "primary")
        form.addWidget(self.add_button, 6, 2)
        top.addWidget(add, 2)
        layout.addLayout(top, 2)
        self.secret = QLabel()
        self.secret.setObjectName("webhookSecret")
        self.secret.setWordWrap(True)
        self.secret.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.secret)
        caption = QLabel("Deliveries")
        caption.setProperty("role", "section")
        layout.addWidget(caption)
        self.deliveries = DeliveryModel()
        self.delivery_table = _table(self.deliveries, "webhookDeliveries", 5)
        layout.addWidget(self.delivery_table, 3)
        actions = QHBoxLayout()
        self.attempts = QLabel()
        self.attempts.setObjectName("webhookAttempts")
        self.attempts.setProperty("role", "hint")
        self.replay = QPushButton("Send again")
        self.replay.setObjectName("webhookReplay")
        actions.addWidget(self.attempts, 1)
        actions.addWidget(self.replay)
        layout.addLayout(actions)
        self.add_button.clicked.connect(self.subscribe)
        self.replay.clicked.connect(self._replay)
        self.delivery_table.selectionModel().selectionChanged.connect(self._show_attempts)

    def refresh(self) -> None:
        call = self.workspace.call
        run_op(lambda: (call(webhooks.list_subscriptions), call(webhooks.list_deliveries)),
               on_done=lambda r: self._loaded(*r), parent=self)

    def _loaded(self, subscriptions: list[webhooks.SubscriptionLine], deliveries: list[webhooks.DeliveryLine]) -> None:
        self.subscriptions.set_rows(subscriptions)
        self.deliveries.set_rows(deliveries)
        self.replay.setEnabled(False)

    def _delivery(self) -> webhooks.DeliveryLine | None:
        rows = self.delivery_table.selectionModel().selectedRows()
        return self.deliveries.rows[rows[0].row()] if rows else None

    def _show_attempts(self, *_args: object) -> None:
        line = self._delivery()
        self.replay.setEnabled(line is not None)
        if line is None:
            return
        call = self.workspace.call

        def show(attempts: list[webhooks.AttemptLine]) -> None:
            text = "  ·  ".join(f"{a.attempted_at.astimezone(LONDON):%H:%M:%S} "
                                f"{('HTTP ' + str(a.status_code)) if a.status_code else (a.error or '')} "
                                f"({a.duration_ms} ms)" for a in attempts)
            self.attempts.setText(f"Attempts: {text}" if attempts else "Not tried yet.")

        run_op(lambda: call(webhooks.delivery_attempts, line.id), on_done=show, parent=self)

    def _replay(self) -> None:
        line = self._delivery()
        if line is not None:
            run_op(lambda: self.workspace.call(webhooks.replay_delivery, line.id), on_done=lambda _r: self.refresh(),
                   parent=self)

    def subscribe(self) -> None:
        new = webhooks.NewSubscription(self.name.text(), self.url.text(),
                                       tuple(k for k, box in self.events.items() if box.isChecked()))

        def done(made: webhooks.Subscribed) -> None:
            self.secret.setText(f"Give the receiving system this signing secret now — it is not shown again: "
                                f"<b>{made.secret}</b>")
            self.name.clear()
            self.url.clear()
            self.refresh()

        def failed(error: BaseException) -> bool:
            if isinstance(error, ValidationFailed):
                self.secret.setText(" ".join(error.problems.values()))
                return True
            return False

        run_op(lambda: self.workspace.call(webhooks.subscribe, new), on_done=done, on_error=failed, parent=self)
