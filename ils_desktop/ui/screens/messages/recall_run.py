"""The recall run: who is due this month (and overdue), the reminder and channel each would get,
a preview of the patient's own message, then send — emails and texts to the background sender,
letters to one PDF for the post."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.messages.consent import CHANNEL_LABELS
from ils_desktop.services import clock
from ils_desktop.services.messaging import letters, recall_runs
from ils_desktop.services.pdf_files import save_pdf
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import PALETTE, icon, polish_table

COLUMNS = ("", "Patient", "Due", "Reminder", "Channel", "Note")
CHECK, PATIENT, DUE, STAGE, CHANNEL, NOTE = range(len(COLUMNS))


class CandidateModel(RowsModel[recall_runs.RecallCandidate]):
    COLUMNS = COLUMNS

    def __init__(self) -> None:
        super().__init__()
        self.chosen: set[uuid.UUID] = set()

    def row_at(self, row: int) -> recall_runs.RecallCandidate | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def set_candidates(self, rows: list[recall_runs.RecallCandidate]) -> None:
        """New rows are chosen; a row shown before keeps the manager's choice."""
        known = {c.recall_id for c in self.rows}
        self.chosen = {c.recall_id for c in rows
                       if c.sendable and (c.recall_id not in known or c.recall_id in self.chosen)}
        self.set_rows(rows)

    def flags(self, index: Any) -> Qt.ItemFlag:
        flags = super().flags(index)
        entry = self.row_at(index.row())
        if index.column() == CHECK and entry is not None and entry.sendable:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def setData(self, index: Any, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        entry = self.row_at(index.row())
        if role != Qt.ItemDataRole.CheckStateRole or entry is None or not entry.sendable:
            return False
        if Qt.CheckState(value) == Qt.CheckState.Checked:
            self.chosen.add(entry.recall_id)
        else:
            self.chosen.discard(entry.recall_id)
        self.dataChanged.emit(index, index)
        return True

    def role_data(self, entry: recall_runs.RecallCandidate, index: Index, role: int) -> Any:
        column = index.column()
        if role == Qt.ItemDataRole.CheckStateRole and column == CHECK:
            if not entry.sendable:
                return None
            return Qt.CheckState.Checked if entry.recall_id in self.chosen else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ForegroundRole:
            if not entry.sendable:
                return QColor(PALETTE.TEXT_MUTED)
            if column == DUE and entry.due_date < clock.today():
                return QColor(PALETTE.DANGER)
        if role == Qt.ItemDataRole.ToolTipRole and column == NOTE:
            return entry.why if not entry.sendable else entry.reason
        return None

    def display(self, entry: recall_runs.RecallCandidate, index: Index) -> Any:
        column = index.column()
        if column == PATIENT:
            return entry.patient_name
        if column == DUE:
            return f"{entry.due_date:%d/%m/%Y}"
        if column == STAGE:
            return recall_runs.STAGE_LABELS.get(entry.stage, "—") if entry.sendable and entry.stage else "—"
        if column == CHANNEL:
            return CHANNEL_LABELS.get(entry.channel, "No message") if entry.channel else "No message"
        if column == NOTE:
            if entry.sendable:
                return f"{entry.reminders_sent} sent before" if entry.reminders_sent else "Not reminded yet"
            return entry.why[:1].upper() + entry.why[1:]
        return ""


class RecallRunPanel(QWidget):
    sent = Signal()

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.last_run: recall_runs.RunSummary | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 12, 0, 0)
        layout.setSpacing(10)

        bar = QHBoxLayout()
        self.month = QComboBox()
        self.month.setObjectName("recallRunMonth")
        today = clock.today().replace(day=1)
        for offset in range(3):
            month = date(today.year + (today.month - 1 + offset) // 12, (today.month - 1 + offset) % 12 + 1, 1)
            self.month.addItem(f"Due in {month:%B %Y}", month)
        self.overdue = QCheckBox("Include overdue")
        self.overdue.setObjectName("recallRunOverdue")
        self.overdue.setChecked(True)
        bar.addWidget(self.month)
        bar.addWidget(self.overdue)
        bar.addStretch(1)
        self.counts = QLabel()
        self.counts.setObjectName("recallRunCounts")
        self.counts.setProperty("role", "hint")
        bar.addWidget(self.counts)
        layout.addLayout(bar)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.model = CandidateModel()
        self.table = QTableView()
        self.table.setObjectName("recallRunTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        polish_table(self.table)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(NOTE, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(40)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        split.addWidget(self.table)
        preview_box = QWidget()
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.setContentsMargins(12, 0, 0, 0)
        caption = QLabel("Preview")
        caption.setProperty("role", "section")
        self.preview = QTextBrowser()
        self.preview.setObjectName("recallRunPreview")
        self.preview.setOpenLinks(False)
        preview_layout.addWidget(caption)
        preview_layout.addWidget(self.preview, 1)
        split.addWidget(preview_box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([780, 420])
        layout.addWidget(split, 1)

        actions = QHBoxLayout()
        self.select_all = QPushButton("Select all")
        self.select_none = QPushButton("Select none")
        self.send_button = QPushButton(icon("mail", "#ffffff"), "Send reminders")
        self.send_button.setObjectName("sendRecallRunButton")
        self.send_button.setProperty("role", "primary")
        self.letters_button = QPushButton("Save letters for printing…")
        self.letters_button.setObjectName("recallLettersButton")
        self.letters_button.setEnabled(False)
        self.message = QLabel()
        self.message.setObjectName("recallRunMessage")
        self.message.setProperty("role", "hint")
        actions.addWidget(self.select_all)
        actions.addWidget(self.select_none)
        actions.addWidget(self.message, 1)
        actions.addWidget(self.letters_button)
        actions.addWidget(self.send_button)
        layout.addLayout(actions)

        self.month.currentIndexChanged.connect(self.refresh)
        self.overdue.toggled.connect(self.refresh)
        self.select_all.clicked.connect(lambda: self._choose(True))
        self.select_none.clicked.connect(lambda: self._choose(False))
        self.model.dataChanged.connect(self._update_counts)
        self.table.selectionModel().selectionChanged.connect(self._show_preview)
        self.send_button.clicked.connect(self.send)
        self.letters_button.clicked.connect(lambda: self.save_letters())

    def refresh(self) -> None:
        call, month, overdue = self.workspace.call, self.month.currentData(), self.overdue.isChecked()
        run_op(lambda: call(recall_runs.recall_candidates, month, include_overdue=overdue),
               on_done=self._loaded, parent=self)

    def _loaded(self, rows: list[recall_runs.RecallCandidate]) -> None:
        current = self.table.selectionModel().selectedRows()
        selected = self.model.row_at(current[0].row()) if current else None
        self.model.set_candidates(rows)
        self._update_counts()
        again = next((i for i, c in enumerate(rows) if selected and c.recall_id == selected.recall_id), 0)
        if rows:
            self.table.selectRow(again)
        else:
            self.preview.setHtml("<p>Nobody is due for a reminder in this month.</p>")

    def _choose(self, on: bool) -> None:
        self.model.chosen = {c.recall_id for c in self.model.rows if c.sendable} if on else set()
        last = max(0, self.model.rowCount() - 1)
        self.model.dataChanged.emit(self.model.index(0, CHECK), self.model.index(last, CHECK))

    def chosen(self) -> list[recall_runs.RecallCandidate]:
        return [c for c in self.model.rows if c.recall_id in self.model.chosen]

    def _update_counts(self, *_args: object) -> None:
        chosen = self.chosen()
        by = {ch: sum(1 for c in chosen if c.channel == ch) for ch in ("email", "sms", "letter")}
        blocked = sum(1 for c in self.model.rows if not c.sendable)
        self.counts.setText(f"{len(chosen)} chosen: {by['email']} email · {by['sms']} text · {by['letter']} letter"
                            + (f"  ·  {blocked} without a message" if blocked else ""))
        self.send_button.setEnabled(bool(chosen))

    def _show_preview(self, *_args: object) -> None:
        rows = self.table.selectionModel().selectedRows()
        entry = self.model.row_at(rows[0].row()) if rows else None
        if entry is None:
            return
        if not entry.sendable:
            self.preview.setHtml(f"<p><b>{_escape(entry.patient_name)}</b> gets no message in this run: "
                                 f"{_escape(entry.why)}.</p>")
            return
        call = self.workspace.call

        def show(rendered: Any) -> None:
            now = self.table.selectionModel().selectedRows()
            if not now or self.model.row_at(now[0].row()) != entry:
                return  # another patient was chosen while this one's preview was made
            label = CHANNEL_LABELS[entry.channel or ""]
            head = f"<p style='color:{PALETTE.TEXT_MUTED}'>{label} to {entry.patient_name}</p>"
            subject = f"<h3>{rendered.subject}</h3>" if rendered.subject and entry.channel != "sms" else ""
            body = rendered.html or "".join(f"<p>{p}</p>" for p in _escape(rendered.text).split("\n\n"))
            self.preview.setHtml(head + subject + body)

        run_op(lambda: call(recall_runs.preview_recall_message, entry.recall_id, entry.channel), on_done=show,
               parent=self)

    def send(self) -> None:
        chosen = [c.recall_id for c in self.chosen()]
        if not chosen:
            return
        call, month, overdue = self.workspace.call, self.month.currentData(), self.overdue.isChecked()
        self.send_button.setEnabled(False)

        def done(summary: recall_runs.RunSummary) -> None:
            self.last_run = summary
            parts = [f"{summary.emails} email{'s' if summary.emails != 1 else ''}",
                     f"{summary.texts} text{'s' if summary.texts != 1 else ''}"]
            self.message.setText(f"Sent to the outbox: {' and '.join(parts)}; {summary.letters} letter"
                                 f"{'s' if summary.letters != 1 else ''} to print.")
            self.letters_button.setEnabled(summary.letters > 0)
            changes.changed.emit("recalls")
            self.sent.emit()
            self.refresh()

        run_op(lambda: call(recall_runs.send_recall_run, month, chosen, include_overdue=overdue), on_done=done,
               on_error=lambda _e: (self._update_counts(), False)[1], parent=self)

    def save_letters(self, path: str | None = None) -> None:
        if self.last_run is None:
            return
        call, run_id = self.workspace.call, self.last_run.run_id

        def done(made: letters.LetterFile) -> None:
            target = path or QFileDialog.getSaveFileName(self, "Save the letters", str(Path.home() / made.file_name),
                                                         "PDF (*.pdf)")[0]
            if target:
                save_pdf(made.pdf, Path(target))
                self.message.setText(f"{made.letters} letters saved to {Path(target).name}: print, fold and post.")

        run_op(lambda: call(letters.recall_run_letters, run_id), on_done=done, parent=self)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br>").replace(
        "<br><br>", "\n\n")
