"""The unmatched readings inbox: readings whose patient could not be recognised, why each is
there, and assigning one to the right patient (or discarding it)."""

from __future__ import annotations

import html
import uuid
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.devices.measurement import EYE_ORDER, EyeValues, Measurement
from ils_desktop.errors import UserFacingError
from ils_desktop.services import device_readings, imaging
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import polish_table
from ils_desktop.ui.widgets.forms import say
from ils_desktop.ui.widgets.patient_finder import PatientFinder

WHY_COLUMN = 5


def _eye_text(values: EyeValues) -> str:
    if values.sphere is not None:
        if values.cylinder:
            return f"{values.sphere:+.2f}/{values.cylinder:+.2f}x{values.axis}"
        return f"{values.sphere:+.2f} DS"
    if values.iop_mmhg is not None:
        return f"{values.iop_mmhg} mmHg"
    if values.k1_radius_mm is not None:
        return f"K {values.k1_radius_mm}/{values.k2_radius_mm} mm"
    if values.pachymetry_um is not None:
        return f"{values.pachymetry_um} µm"
    if values.va_decimal is not None:
        return f"VA {values.va_decimal}"
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in values.to_json_dict().items())[:40]


def summarise_measurement(measurement: Measurement | None) -> str:
    """One line a clinician can recognise: R -1.25/-0.50x180 · L -1.00 DS, or R 15.3 mmHg · L 18 mmHg."""
    if measurement is None:
        return ""
    return " · ".join(f"{eye} {_eye_text(measurement.eyes[eye].representative)}"
                      for eye in EYE_ORDER if eye in measurement.eyes)


def _from(reading: device_readings.StoredReading) -> str:
    detail = reading.source_detail or ""
    if reading.device_name and reading.device_name != detail:
        return f"{reading.device_name} ({detail})" if detail else reading.device_name
    return f"{reading.source} {detail}".strip()


class ReadingModel(RowsModel[device_readings.StoredReading]):
    COLUMNS = ("Received", "From", "Reading", "Patient the device gave", "Values", "Why it is here")

    def role_data(self, r: device_readings.StoredReading, index: Index, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 1:
            return _from(r)
        if role == Qt.ItemDataRole.ToolTipRole and index.column() in (4, WHY_COLUMN):
            return self.display(r, index) or None  # in case the column is narrower than the text
        return None

    def display(self, r: device_readings.StoredReading, index: Index) -> Any:
        who = " · ".join(p for p in (r.device_patient_id, r.device_patient_name) if p) or "—"
        return (
            r.received_at.astimezone().strftime("%d %b %H:%M"),
            r.device_name or f"{r.source} {r.source_detail or ''}".strip(),
            _kind_text(r),
            who,
            r.error or summarise_measurement(r.measurement),
            r.unmatched_reason or "",
        )[index.column()]


IMAGE_KINDS = {"photograph": "Photograph", "tomography": "OCT scan", "document": "Report (PDF)",
               "visual_field": "Visual field", "measurement": "Measurement object", "other": "DICOM object"}


def _kind_text(reading: device_readings.StoredReading) -> str:
    if reading.source == imaging.IMAGE_SOURCE:
        return IMAGE_KINDS.get(reading.kind or "", "DICOM object")
    return (reading.kind or "unreadable").replace("_", " ").capitalize()


def _reading_details(reading: device_readings.StoredReading) -> str:
    """What the details card says of one reading, in full (rich text; what the device sent is escaped)."""
    kind = _kind_text(reading) if reading.kind else "Unreadable reading"
    lines = [f"<b>{kind}</b> from {html.escape(_from(reading))}, received "
             f"{reading.received_at.astimezone():%d %b %Y %H:%M}"]
    if reading.measurement is not None:
        for eye in EYE_ORDER:
            side = reading.measurement.eyes.get(eye)
            if side is not None:
                count = len(side.readings)
                lines.append(html.escape(f"{eye}: {_eye_text(side.representative)}"
                                         + (f" ({count} readings)" if count > 1 else "")))
    if reading.error:
        lines.append(html.escape(f"Could not be read: {reading.error}"))
    who = " · ".join(p for p in (reading.device_patient_id, reading.device_patient_name) if p)
    lines.append(html.escape(f"The device gave: {who or 'nothing about the patient'}"))
    if reading.unmatched_reason:
        lines.append(f"<b>Why it is here:</b> {html.escape(reading.unmatched_reason)}")
    lines += [html.escape(f"Note: {w}") for w in reading.warnings[:5]]
    return "<br>".join(lines)


class InboxPage(QWidget):
    """The tab: the table of waiting readings, the selected one in full, Assign and Discard."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(10)
        hint = QLabel("Readings and images whose patient could not be recognised wait here. Assign each to the "
                      "right patient: a reading is then offered in that patient's open examination, an image "
                      "appears in their images.")
        hint.setProperty("role", "hint")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.model = ReadingModel()
        self.table = QTableView()
        self.table.setObjectName("inboxTable")
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        polish_table(self.table)
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        for column in (0, 1, 2, 3):  # short: the time, the device, the kind, the id it gave
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(4, 220)  # the values: every reading is in the card below
        # Why a reading is here is what the person needs most: it takes the room left, and wraps.
        header.setSectionResizeMode(WHY_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.sectionResized.connect(lambda *_: self.table.resizeRowsToContents())
        # Rows grow to fit a wrapped reason, never below the theme's row height.
        self.table.verticalHeader().setMinimumSectionSize(self.table.verticalHeader().defaultSectionSize())
        self.table.doubleClicked.connect(lambda _i: self.assign_selected())
        self.table.selectionModel().selectionChanged.connect(self._selected)
        layout.addWidget(self.table, 1)

        self.details = QLabel("Choose a reading to see it in full.")
        self.details.setObjectName("readingDetails")
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        card = QFrame()
        card.setProperty("role", "card")
        inner = QVBoxLayout(card)
        inner.setContentsMargins(18, 12, 18, 12)
        inner.addWidget(self.details)
        layout.addWidget(card)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        row = QHBoxLayout()
        self.assign_button = QPushButton("Assign to patient…")
        self.assign_button.setObjectName("assignReading")
        self.assign_button.setProperty("role", "primary")
        self.assign_button.clicked.connect(self.assign_selected)
        self.discard_button = QPushButton("Discard")
        self.discard_button.setObjectName("discardReading")
        self.discard_button.clicked.connect(self.discard_selected)
        row.addWidget(self.assign_button)
        row.addWidget(self.discard_button)
        row.addStretch(1)
        layout.addLayout(row)
        self._enable(False)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # The reason column stretches with the page: the rows fit its wrapped text once laid out.
        QTimer.singleShot(0, self.table.resizeRowsToContents)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        QTimer.singleShot(0, self.table.resizeRowsToContents)

    def _enable(self, on: bool) -> None:
        can_edit = self.workspace.can("patients.edit")
        self.assign_button.setEnabled(on and can_edit)
        # An image is never discarded: a wrong one is assigned to the right patient instead.
        reading = self.selected_reading() if on else None
        self.discard_button.setEnabled(on and can_edit and not (reading and reading.source == imaging.IMAGE_SOURCE))

    def set_readings(self, readings: list[device_readings.StoredReading]) -> None:
        keep = self.selected_reading()
        self.model.set_rows(readings)
        self.table.resizeRowsToContents()
        if not readings:
            self.details.setText("No readings are waiting: every reading found its patient.")
            self._enable(False)
            return
        # The one chosen before, else the newest: its details show at once.
        row = next((i for i, r in enumerate(readings) if keep is not None and r.id == keep.id), 0)
        self.table.selectRow(row)

    def selected_reading(self) -> device_readings.StoredReading | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.data(rows[0], Qt.ItemDataRole.UserRole) if rows else None

    def _selected(self, *_args: object) -> None:
        reading = self.selected_reading()
        self.message.hide()
        if reading is None:
            self._enable(False)
            return
        self.details.setText(_reading_details(reading))
        self._enable(True)

    def _failed(self, error: BaseException) -> bool:
        if isinstance(error, UserFacingError):
            say(self.message, str(error), "error")
            return True
        return False

    def assign_selected(self) -> None:
        reading = self.selected_reading()
        if reading is None or not self.workspace.can("patients.edit"):
            return
        dialog = AssignDialog(self.workspace, reading, self)
        if not dialog.exec() or dialog.chosen() is None:
            return
        patient_id = dialog.chosen()
        call = self.workspace.call
        assign = imaging.assign_image if reading.source == imaging.IMAGE_SOURCE else device_readings.assign_reading
        run_op(lambda: call(assign, reading.id, patient_id),
               on_done=lambda _r: changes.changed.emit("readings"), on_error=self._failed, parent=self)

    def discard_selected(self) -> None:
        reading = self.selected_reading()
        if reading is None or not self.workspace.can("patients.edit") or reading.source == imaging.IMAGE_SOURCE:
            return
        if QMessageBox.question(self, "Discard reading", "Discard this reading? It stays in the record as "
                                "discarded and is not offered to any examination.") != QMessageBox.StandardButton.Yes:
            return
        call = self.workspace.call
        run_op(lambda: call(device_readings.discard_reading, reading.id),
               on_done=lambda _r: changes.changed.emit("readings"), on_error=self._failed, parent=self)


class AssignDialog(QDialog):
    """Choose the patient an unmatched reading belongs to."""

    def __init__(self, workspace: Workspace, reading: device_readings.StoredReading,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.setWindowTitle("Whose reading is this?")
        self.setMinimumSize(560, 460)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        about = QLabel(f"{(reading.kind or 'Reading').replace('_', ' ').capitalize()} received "
                       f"{reading.received_at.astimezone():%d %b %H:%M}: {summarise_measurement(reading.measurement)}")
        about.setWordWrap(True)
        about.setProperty("role", "subtitle")
        layout.addWidget(about)
        gave = " · ".join(p for p in (reading.device_patient_id, reading.device_patient_name) if p)
        if gave or reading.unmatched_reason:
            why = QLabel(" ".join(filter(None, (f"The device gave: {gave}." if gave else "",
                                                reading.unmatched_reason or ""))))
            why.setWordWrap(True)
            why.setProperty("role", "hint")
            layout.addWidget(why)
        self.finder = PatientFinder(workspace, visible_rows=6)
        self.finder.setObjectName("assignPatientFinder")
        self.finder.chosen.connect(lambda _patient: self.accept())
        layout.addWidget(self.finder, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Assign")
        buttons.button(QDialogButtonBox.StandardButton.Ok).setProperty("role", "primary")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        if reading.device_patient_name:
            self.finder.set_text(reading.device_patient_name)  # what the device was told, to start from
        self.finder.focus()

    def chosen(self) -> uuid.UUID | None:
        patient = self.finder.current()
        return patient.id if patient is not None else None
