"""The outbox: every message queued, sent, delivered or failed, with what went wrong; a person
retries or cancels what waits for them."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.exam import LONDON
from ils_desktop.domain.messages.consent import CHANNEL_LABELS, KIND_LABELS
from ils_desktop.services.messaging import outbox
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import PALETTE, icon, polish_table

COLUMNS = ("Queued", "To", "Message", "By", "State", "Tries", "Note")
QUEUED, TO, KIND, CHANNEL, STATE, TRIES, NOTE = range(len(COLUMNS))
FILTERS = (("Everything", ()), ("Needs attention", ("needs_person", "failed")), ("Waiting", ("queued",)),
           ("Sent", ("sent", "delivered", "printed")))
STATE_COLOURS = {"needs_person": PALETTE.DANGER, "failed": PALETTE.DANGER, "delivered": PALETTE.SUCCESS,
                 "sent": PALETTE.SUCCESS}


class OutboxModel(RowsModel[outbox.OutboxLine]):
    COLUMNS = COLUMNS

    def role_data(self, line: outbox.OutboxLine, index: Index, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole:
            if index.column() == STATE and line.state in STATE_COLOURS:
                return QColor(STATE_COLOURS[line.state])
            if index.column() in (QUEUED, TRIES, NOTE):
                return QColor(PALETTE.TEXT_MUTED)
        if role == Qt.ItemDataRole.ToolTipRole:
            return line.last_error or line.subject
        return None

    def display(self, line: outbox.OutboxLine, index: Index) -> Any:
        column = index.column()
        if column == QUEUED:
            return f"{line.queued_at.astimezone(LONDON):%d/%m %H:%M}"
        if column == TO:
            return f"{line.recipient_name} · {line.recipient}"
        if column == KIND:
            return KIND_LABELS.get(line.kind, line.kind)
        if column == CHANNEL:
            return CHANNEL_LABELS.get(line.channel, line.channel)
        if column == STATE:
            return outbox.STATE_LABELS.get(line.state, line.state)
        if column == TRIES:
            return str(line.attempts)
        if line.last_error:
            return line.last_error
        if line.state == "queued" and line.channel == "letter":
            return "Waiting to be printed"
        if line.sent_at:
            return f"Sent {line.sent_at.astimezone(LONDON):%d/%m %H:%M}"
        return ""


class OutboxPanel(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 12, 0, 0)
        layout.setSpacing(10)
        bar = QHBoxLayout()
        self.filter = QComboBox()
        self.filter.setObjectName("outboxFilter")
        for label, _states in FILTERS:
            self.filter.addItem(label)
        bar.addWidget(self.filter)
        bar.addStretch(1)
        self.counts = QLabel()
        self.counts.setObjectName("outboxCounts")
        self.counts.setProperty("role", "hint")
        bar.addWidget(self.counts)
        layout.addLayout(bar)
        self.model = OutboxModel()
        self.table = QTableView()
        self.table.setObjectName("outboxTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        polish_table(self.table)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(NOTE, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        actions = QHBoxLayout()
        self.retry = QPushButton(icon("refresh"), "Try again now")
        self.retry.setObjectName("outboxRetry")
        self.cancel = QPushButton(icon("close"), "Cancel message")
        self.cancel.setObjectName("outboxCancel")
        self.message = QLabel()
        self.message.setProperty("role", "hint")
        actions.addWidget(self.message, 1)
        actions.addWidget(self.cancel)
        actions.addWidget(self.retry)
        layout.addLayout(actions)
        self.filter.currentIndexChanged.connect(self.refresh)
        self.table.selectionModel().selectionChanged.connect(self._selection)
        self.retry.clicked.connect(lambda: self._act(outbox.retry_message, "will be tried again"))
        self.cancel.clicked.connect(lambda: self._act(outbox.cancel_message, "cancelled"))
        self._selection()

    def selected(self) -> outbox.OutboxLine | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.rows[rows[0].row()] if rows else None

    def show_message(self, message_id: object) -> None:
        self.filter.setCurrentIndex(0)
        self._focus = message_id
        self.refresh()

    def refresh(self) -> None:
        call, states = self.workspace.call, FILTERS[self.filter.currentIndex()][1]
        run_op(lambda: (call(outbox.list_outbox, states=states), call(outbox.outbox_counts)),
               on_done=lambda r: self._loaded(*r), parent=self)

    def _loaded(self, lines: list[outbox.OutboxLine], counts: dict[str, int]) -> None:
        self.model.set_rows(lines)
        waiting = counts.get("queued", 0)
        attention = counts.get("needs_person", 0) + counts.get("failed", 0)
        sent = sum(counts.get(s, 0) for s in ("sent", "delivered", "printed"))
        self.counts.setText(f"{waiting} waiting · {sent} sent · {attention} need attention")
        focus = getattr(self, "_focus", None)
        for row, line in enumerate(lines):
            if line.id == focus:
                self.table.selectRow(row)
                break
        self._selection()

    def _selection(self, *_args: object) -> None:
        line = self.selected()
        self.retry.setEnabled(line is not None and line.state in ("needs_person", "failed"))
        self.cancel.setEnabled(line is not None and line.state in ("queued", "needs_person", "failed"))

    def _act(self, case: Any, what: str) -> None:
        line = self.selected()
        if line is None:
            return
        call = self.workspace.call

        def done(_result: object) -> None:
            self.message.setText(f"The message to {line.recipient_name} {what}.")
            self.refresh()

        run_op(lambda: call(case, line.id), on_done=done, parent=self)
