"""Lab work queue: the lab technician's room. Jobs practices have sent to this lab, the soonest due
first; the chosen job's ticket (what to make: Rx, lens, frame, measurements); and the step it has
reached — acknowledged, in production, dispatched, on hold — which the practice sees on its order's
timeline at once. Connection requests from practices are answered here too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt, QUrl
from PySide6.QtGui import QColor, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.dispensing import JobType, LensKind, OrderStatus, next_statuses
from ils_desktop.domain.rx import Sca, format_sca
from ils_desktop.services import clock
from ils_desktop.services.dispensing import connections, documents, lab_queue
from ils_desktop.services.pdf_files import save_pdf
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import PALETTE, icon, polish_table
from ils_desktop.ui.widgets.forms import labelled, say

COLUMNS = ("Due", "Practice", "Job", "Patient", "Lens", "Status")
DUE, PRACTICE, JOB, PATIENT, LENS, STATUS = range(len(COLUMNS))
STEPS = (("acknowledged", "&Acknowledge"), ("in_production", "In &production"), ("dispatched", "&Dispatched"),
         ("on_hold", "On &hold"))


class QueueModel(RowsModel[Any]):
    COLUMNS = COLUMNS

    def __init__(self) -> None:
        super().__init__()
        self.overdue: frozenset[Any] = frozenset()

    def display(self, job: Any, index: Index) -> Any:
        column = index.column()
        if column == DUE:
            return f"{job.due_date:%a %d/%m}" if job.due_date else "—"
        if column == PRACTICE:
            return job.practice_name
        if column == JOB:
            return f"{job.number}" + (f" · {job.lab_reference}" if job.lab_reference else "")
        if column == PATIENT:
            return job.patient_reference or "—"
        if column == LENS:
            return job.lens_description or "—"
        return OrderStatus(job.status).label

    def role_data(self, job: Any, index: Index, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole:
            if index.column() == DUE and job.order_id in self.overdue:
                return QColor(PALETTE.DANGER)
            if index.column() == STATUS and job.status == "on_hold":
                return QColor(PALETTE.WARNING)
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == LENS:
            return f"{job.lens_description or '—'} · {LensKind(job.lens_kind).label} · {JobType(job.job_type).label}"
        if role == Qt.ItemDataRole.EditRole:
            return (job.due_date.toordinal() if job.due_date else 10**7, job.practice_name, job.number,
                    job.patient_reference or "", job.lens_description or "", job.status)[index.column()]
        return None


def _rx_text(job: Any, side: str) -> str:
    sphere = getattr(job, f"{side}_sphere")
    if sphere is None:
        return "—"
    cylinder = getattr(job, f"{side}_cylinder") or 0
    text = format_sca(Sca(sphere, cylinder, getattr(job, f"{side}_axis") if cylinder else None))
    add = getattr(job, f"{side}_add")
    return text + (f"  add {add:+.2f}" if add else "")


def _mm(value: Any) -> str:
    return "—" if value is None else f"{value}"


class LabQueueScreen(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.job: Any = None
        self.requests: list[Any] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 24)
        layout.setSpacing(12)
        header = QHBoxLayout()
        titles = QVBoxLayout()
        title = QLabel("Lab work queue")
        title.setProperty("role", "title")
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("labSummary")
        self.summary.setProperty("role", "subtitle")
        titles.addWidget(title)
        titles.addWidget(self.summary)
        header.addLayout(titles, 1)
        self.search = QLineEdit()
        self.search.setObjectName("labSearch")
        self.search.setPlaceholderText("Filter by practice, job, patient or lens")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setFixedWidth(300)
        header.addWidget(self.search)
        refresh = QPushButton(icon("refresh"), "Refresh")
        refresh.setObjectName("refreshLabQueue")
        refresh.clicked.connect(self.refresh)
        header.addWidget(refresh)
        layout.addLayout(header)

        self.requests_bar = QFrame()
        self.requests_bar.setProperty("role", "card")
        bar = QHBoxLayout(self.requests_bar)
        bar.setContentsMargins(16, 10, 16, 10)
        self.request_text = QLabel("")
        self.request_text.setObjectName("connectionRequest")
        bar.addWidget(self.request_text, 1)
        self.accept_button = QPushButton(icon("check"), "Accept")
        self.accept_button.setObjectName("acceptConnection")
        self.accept_button.setProperty("role", "primary")
        self.accept_button.clicked.connect(lambda: self.answer(True))
        self.decline_button = QPushButton("Decline")
        self.decline_button.setObjectName("declineConnection")
        self.decline_button.clicked.connect(lambda: self.answer(False))
        bar.addWidget(self.accept_button)
        bar.addWidget(self.decline_button)
        self.requests_bar.hide()
        layout.addWidget(self.requests_bar)

        body = QHBoxLayout()
        body.setSpacing(18)
        self.model = QueueModel()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.ItemDataRole.EditRole)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.table = QTableView()
        self.table.setObjectName("labQueueTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(DUE, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        polish_table(self.table)
        heads = self.table.horizontalHeader()
        # Sized to the contents of the first rows only: measuring thousands of jobs would stall the screen.
        heads.setResizeContentsPrecision(60)
        heads.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        heads.setSectionResizeMode(LENS, QHeaderView.ResizeMode.Stretch)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selected())
        body.addWidget(self.table, 3)

        card = QFrame()
        card.setProperty("role", "card")
        card.setMinimumWidth(340)
        card.setMaximumWidth(480)
        box = QVBoxLayout(card)
        box.setContentsMargins(20, 16, 20, 16)
        box.setSpacing(8)
        self.job_title = QLabel("Choose a job")
        self.job_title.setObjectName("labJobTitle")
        self.job_title.setProperty("role", "section")
        box.addWidget(self.job_title)
        self.job_sub = QLabel("")
        self.job_sub.setObjectName("labJobSub")
        self.job_sub.setProperty("role", "hint")
        self.job_sub.setWordWrap(True)
        box.addWidget(self.job_sub)
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(4)
        self.cells: dict[str, QLabel] = {}
        rows = (("Right", "rx_right"), ("Left", "rx_left"), ("Lens", "lens"), ("Coatings / tint", "coatings"),
                ("Frame", "frame"), ("PD (R / L)", "pd"), ("Near PD", "npd"), ("Heights", "heights"),
                ("Box A × B, DBL, ED", "box"))
        for row, (caption, key) in enumerate(rows):
            label = QLabel(caption)
            label.setProperty("role", "field-label")
            value = QLabel("—")
            value.setObjectName(f"labJob_{key}")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(label, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(value, row, 1)
            self.cells[key] = value
        grid.setColumnStretch(1, 1)
        box.addLayout(grid)
        self.note = QLineEdit()
        self.note.setObjectName("labNote")
        self.note.setPlaceholderText("Note for the practice (optional)")
        self.reference = QLineEdit()
        self.reference.setObjectName("labReference")
        self.reference.setPlaceholderText("Your job number")
        fields = QHBoxLayout()
        fields.addWidget(labelled("Note", self.note), 2)
        fields.addWidget(labelled("Lab ref.", self.reference), 1)
        box.addLayout(fields)
        steps = QGridLayout()
        steps.setHorizontalSpacing(8)
        steps.setVerticalSpacing(8)
        self.step_buttons: dict[str, QPushButton] = {}
        for number, (status, text) in enumerate(STEPS):
            button = QPushButton(text)
            button.setObjectName(f"step_{status}")
            button.clicked.connect(lambda _checked=False, s=status: self.move(s))
            self.step_buttons[status] = button
            steps.addWidget(button, number // 2, number % 2)
        box.addLayout(steps)
        self.ticket_button = QPushButton(icon("backoffice"), "Job &ticket (PDF)…")
        self.ticket_button.setObjectName("jobTicket")
        self.ticket_button.clicked.connect(self.ask_ticket)
        box.addWidget(self.ticket_button, 0, Qt.AlignmentFlag.AlignLeft)
        box.addStretch(1)
        self.message = QLabel("")
        self.message.setObjectName("labMessage")
        self.message.setWordWrap(True)
        self.message.setProperty("role", "hint")
        box.addWidget(self.message)
        body.addWidget(card, 2)
        layout.addLayout(body, 1)

        QShortcut(QKeySequence("F5"), self).activated.connect(self.refresh)
        QShortcut(QKeySequence("Ctrl+F"), self).activated.connect(self.search.setFocus)
        changes.changed.connect(lambda what: self.refresh() if what == "lab-jobs" else None)
        self._show(None)
        self.refresh()

    def activated(self) -> None:
        self.refresh()
        self.table.setFocus()

    def refresh(self) -> None:
        call = self.workspace.call

        def work() -> tuple[lab_queue.LabQueue, connections.LabConnections]:
            return call(lab_queue.lab_queue), call(connections.lab_connections)

        run_op(work, on_done=lambda found: self._loaded(*found), parent=self)

    def _loaded(self, queue: lab_queue.LabQueue, links: connections.LabConnections) -> None:
        keep = self.job.order_id if self.job else None
        self.model.overdue = queue.overdue
        self.model.set_rows(queue.jobs)
        practices = len({j.practice_id for j in queue.jobs})
        self.table.setColumnHidden(PRACTICE, practices <= 1)  # one practice: named in the summary above
        sender = (f"{practices} practices" if practices != 1 else
                  queue.jobs[0].practice_name if queue.jobs else "no practice")
        self.summary.setText(f"{len(queue.jobs)} open jobs from {sender}"
                             f"  ·  {queue.count('sent_to_lab')} new  ·  {queue.count('in_production')} in production"
                             f"  ·  {len(queue.overdue)} overdue")
        self.requests = [r for r in links.received if r.status == "pending"]
        if self.requests:
            first = self.requests[0]
            more = f" (and {len(self.requests) - 1} more)" if len(self.requests) > 1 else ""
            self.request_text.setText(f"{first.practice_name} asks to send you jobs{more}."
                                      + (f" “{first.message}”" if first.message else ""))
            self.requests_bar.show()
        else:
            self.requests_bar.hide()
        row = next((r for r in range(self.proxy.rowCount())
                    if self.proxy.data(self.proxy.index(r, 0), Qt.ItemDataRole.UserRole).order_id == keep), None)
        if row is None and self.proxy.rowCount():
            row = 0
        if row is not None:
            self.table.selectRow(row)
        else:
            self._show(None)

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        line = self.proxy.data(rows[0], Qt.ItemDataRole.UserRole)
        call = self.workspace.call
        run_op(lambda: call(lab_queue.lab_job, line.practice_id, line.order_id), on_done=self._show, parent=self)

    def _show(self, job: Any) -> None:
        self.job = job
        for button in self.step_buttons.values():
            button.setEnabled(False)
        self.ticket_button.setEnabled(job is not None)
        if job is None:
            self.job_title.setText("No job chosen")
            self.job_sub.setText("")
            for cell in self.cells.values():
                cell.setText("—")
            return
        allowed = {s.value for s in next_statuses(job.status)}
        for status, button in self.step_buttons.items():
            button.setEnabled(status in allowed)
        self.job_title.setText(f"Job {job.number}  ·  {OrderStatus(job.status).label}")
        due = f"due {job.due_date:%A %d %B}" if job.due_date else "no due date"
        self.job_sub.setText(f"{job.practice_name}  ·  {job.patient_reference or '—'}  ·  {due}")
        self.reference.setText(job.lab_reference or "")
        self.cells["rx_right"].setText(_rx_text(job, "right"))
        self.cells["rx_left"].setText(_rx_text(job, "left"))
        lens = " · ".join(p for p in (job.lens_description, LensKind(job.lens_kind).label,
                                      f"index {job.lens_index}" if job.lens_index else None) if p)
        self.cells["lens"].setText(lens or "—")
        self.cells["coatings"].setText(" · ".join([*job.coatings, *job.tints]) or "None")
        frame = job.frame_description or "—"
        self.cells["frame"].setText(f"{frame}  (patient's own)" if job.own_frame else frame)
        self.cells["pd"].setText(f"{_mm(job.right_distance_pd)} / {_mm(job.left_distance_pd)} mm")
        self.cells["npd"].setText(f"{_mm(job.right_near_pd)} / {_mm(job.left_near_pd)} mm")
        self.cells["heights"].setText(f"{_mm(job.right_fitting_height)} / {_mm(job.left_fitting_height)} mm")
        self.cells["box"].setText(f"{_mm(job.box_a)} × {_mm(job.box_b)}, {_mm(job.dbl)}, {_mm(job.ed)} mm")

    def move(self, status: str) -> None:
        if self.job is None:
            return
        call, job = self.workspace.call, self.job
        note, reference = self.note.text(), self.reference.text()

        def done(updated: Any) -> None:
            self.note.clear()
            say(self.message, f"Job {updated.number}: {OrderStatus(updated.status).label.lower()} — the practice "
                              "sees it now.", "success")
            self.refresh()

        run_op(lambda: call(lab_queue.update_lab_job, job.practice_id, job.order_id, status, note, reference),
               on_done=done, parent=self)

    def answer(self, accept: bool) -> None:
        if not self.requests:
            return
        request = self.requests[0]
        call = self.workspace.call

        def done(_none: Any) -> None:
            say(self.message, f"{request.practice_name}: {'connected' if accept else 'declined'}.", "success")
            self.refresh()

        run_op(lambda: call(connections.answer_request, request.practice_id, request.request_id, accept, 5),
               on_done=done, parent=self)

    def ask_ticket(self) -> None:
        if self.job is None:
            return
        suggested = str(Path.home() / f"job-{self.job.number}-{clock.today():%Y%m%d}.pdf")
        path, _filter = QFileDialog.getSaveFileName(self, "Save the job ticket", suggested, "PDF (*.pdf)")
        if path:
            self.save_ticket(Path(path), open_after=True)

    def save_ticket(self, path: Path, *, open_after: bool = False) -> None:
        call, job = self.workspace.call, self.job

        def work() -> Path:
            return save_pdf(call(documents.lab_job_ticket, job.practice_id, job.order_id), path)

        def done(saved: Path) -> None:
            say(self.message, f"Job ticket saved: {saved.name}", "success")
            if open_after:
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(saved)))

        run_op(work, on_done=done, parent=self)
