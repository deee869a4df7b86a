"""Equipment: the practice's devices, how they connect, calibration and manuals, and the inbox of
readings nobody could match to a patient.

The room's parts: ``device_form`` (one device's details and connection, the calibration dialog) and
``inbox`` (the unmatched readings, assigning one to a patient).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.devices.measurement import measurements_to_json
from ils_desktop.devices.transports.serial_listener import (
    ConnectionTest,
    SerialSettings,
    available_ports,
    listen_once,
)
from ils_desktop.domain.equipment import CalibrationState, LineSettings
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.services import device_readings, equipment, imaging
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.screens.equipment.device_form import (
    KIND_LABELS,
    CalibrationDialog,
    DeviceForm,
    connection_text,
    printable_frame,
)
from ils_desktop.ui.screens.equipment.inbox import AssignDialog, InboxPage, ReadingModel, summarise_measurement
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import icon, polish_table, set_style_property
from ils_desktop.ui.widgets.forms import say

__all__ = ["AssignDialog", "CalibrationDialog", "DeviceForm", "EquipmentScreen", "ReadingModel",
           "printable_frame", "summarise_measurement"]

BADGE_TONES = {CalibrationState.OK: "success", CalibrationState.DUE_SOON: "warning",
               CalibrationState.OVERDUE: "danger", CalibrationState.NEVER: "neutral"}


class DeviceListModel(RowsModel[equipment.DeviceSummary]):
    COLUMNS = ("Device", "Kind", "Calibration")

    def role_data(self, device: equipment.DeviceSummary, index: Index, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole:
            made = " ".join(p for p in (device.details.maker, device.details.model) if p)
            return " · ".join(p for p in (made, connection_text(device.details)) if p)
        if role == Qt.ItemDataRole.ForegroundRole:
            if not device.details.is_active:
                return QColor("#8A96A3")
            if index.column() == 2:
                return QColor({"overdue": "#B42318", "due_soon": "#B45309"}.get(device.calibration.value, "#1B2733"))
        return None

    def display(self, device: equipment.DeviceSummary, index: Index) -> Any:
        d = device.details
        name = d.name if d.is_active else f"{d.name} (not in use)"
        return (name, KIND_LABELS.get(d.kind, d.kind), _calibration_text(device))[index.column()]


def _calibration_text(device: equipment.DeviceSummary) -> str:
    due = device.next_calibration_due
    if due is None:
        return "Not recorded"
    return {"ok": f"Due {due:%d/%m/%Y}", "due_soon": f"Due soon · {due:%d/%m/%y}",
            "overdue": f"Overdue · {due:%d/%m/%y}"}.get(device.calibration.value, "")


class EquipmentScreen(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 24)
        layout.setSpacing(14)
        header = QHBoxLayout()
        titles = QVBoxLayout()
        title = QLabel("Equipment")
        title.setProperty("role", "title")
        self.summary = QLabel("Loading…")
        self.summary.setProperty("role", "subtitle")
        titles.addWidget(title)
        titles.addWidget(self.summary)
        header.addLayout(titles, 1)
        self.add_button = QPushButton(icon("add", "#ffffff"), "Add device")
        self.add_button.setObjectName("addDevice")
        self.add_button.setProperty("role", "primary")
        self.add_button.clicked.connect(self.new_device)
        header.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(header)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("equipmentTabs")
        self.tabs.addTab(self._devices_tab(), "Devices")
        self.inbox_page = InboxPage(workspace)
        self.inbox, self.inbox_model = self.inbox_page.table, self.inbox_page.model
        self.tabs.addTab(self.inbox_page, "Unmatched readings")
        layout.addWidget(self.tabs, 1)
        changes.changed.connect(self._on_change)
        run_op(available_ports, on_done=self.form.set_ports, parent=self)
        call = workspace.call
        run_op(lambda: call(equipment.rooms_for_devices), on_done=self.form.set_rooms, parent=self)
        self.refresh()

    # --- building -------------------------------------------------------------------------------
    def _devices_tab(self) -> QWidget:
        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.model = DeviceListModel()
        self.table = QTableView()
        self.table.setObjectName("deviceTable")
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        polish_table(self.table)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # the name takes what is left;
        for column in (1, 2):  # the kind and the calibration date are never cut short
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.table.setMinimumWidth(360)  # room for a device's name beside its kind and calibration
        splitter.addWidget(self.table)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        detail = QWidget()
        scroll.setWidget(detail)
        panel = QVBoxLayout(detail)
        panel.setContentsMargins(16, 0, 8, 0)
        panel.setSpacing(14)
        card = QFrame()
        card.setProperty("role", "card")
        inner = QVBoxLayout(card)
        inner.setContentsMargins(18, 14, 18, 16)
        inner.setSpacing(12)
        top = QHBoxLayout()
        self.detail_title = QLabel("Choose a device, or add one")
        self.detail_title.setProperty("role", "section")
        top.addWidget(self.detail_title)
        # Where the device's calibration stands, beside its name: seen without scrolling.
        self.calibration_state = QLabel()
        self.calibration_state.setObjectName("calibrationState")
        self.calibration_state.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.calibration_state.hide()
        top.addWidget(self.calibration_state, 0, Qt.AlignmentFlag.AlignVCenter)
        top.addStretch(1)
        # The actions sit with the device's name: in view whatever the height of the screen.
        self.test_button = QPushButton(icon("refresh"), "Test connection")
        self.test_button.setObjectName("testConnection")
        self.test_button.setToolTip("Listen on the serial port for 10 seconds while someone presses SEND/PRINT "
                                    "on the device, and show what arrives.")
        self.test_button.clicked.connect(self.test_connection)
        self.save_button = QPushButton("Save device")
        self.save_button.setObjectName("saveDevice")
        self.save_button.setProperty("role", "primary")
        self.save_button.clicked.connect(self.save)
        top.addWidget(self.test_button)
        top.addWidget(self.save_button)
        inner.addLayout(top)
        self.form_message = QLabel()
        self.form_message.setWordWrap(True)
        self.form_message.hide()
        inner.addWidget(self.form_message)
        self.form = DeviceForm(self.workspace.workstation)
        inner.addWidget(self.form)
        self.test_output = QPlainTextEdit()
        self.test_output.setObjectName("testOutput")
        self.test_output.setReadOnly(True)
        self.test_output.setPlaceholderText("Press “Test connection”, then SEND/PRINT on the device: the raw frame "
                                            "and what it was read as appear here.")
        self.test_output.setFixedHeight(64)  # grows when a test has something to show
        inner.addWidget(self.test_output)
        # Testing listens on a serial port: for other connections there is nothing to test here.
        self.form.connection_type.currentIndexChanged.connect(self._connection_kind_changed)
        self._connection_kind_changed()
        panel.addWidget(card)

        history = QFrame()
        history.setProperty("role", "card")
        hist = QVBoxLayout(history)
        hist.setContentsMargins(18, 14, 18, 14)
        top = QHBoxLayout()
        heading = QLabel("Calibration and service")
        heading.setProperty("role", "section")
        top.addWidget(heading, 1)
        self.calibrate_button = QPushButton("Record…")
        self.calibrate_button.setObjectName("recordCalibration")
        self.calibrate_button.clicked.connect(self.record_calibration)
        top.addWidget(self.calibrate_button)
        hist.addLayout(top)
        self.calibration_list = QListWidget()
        self.calibration_list.setObjectName("calibrationHistory")
        self.calibration_list.setMaximumHeight(110)
        hist.addWidget(self.calibration_list)
        top = QHBoxLayout()
        heading = QLabel("Manuals and documents")
        heading.setProperty("role", "section")
        top.addWidget(heading, 1)
        self.attach_button = QPushButton("Attach…")
        self.attach_button.clicked.connect(self.attach)
        top.addWidget(self.attach_button)
        hist.addLayout(top)
        self.document_list = QListWidget()
        self.document_list.setMaximumHeight(90)
        self.document_list.setToolTip("Double-click a document to save a copy.")
        self.document_list.itemDoubleClicked.connect(self.save_document_copy)
        hist.addWidget(self.document_list)
        panel.addWidget(history)
        panel.addStretch(1)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([400, 680])
        for widget in (self.calibrate_button, self.attach_button):
            widget.setEnabled(False)
        return splitter

    # --- loading --------------------------------------------------------------------------------
    def activated(self) -> None:
        self.refresh()

    def _on_change(self, what: str) -> None:
        if what in ("equipment", "readings"):
            self.refresh()

    def refresh(self) -> None:
        call = self.workspace.call
        run_op(lambda: (call(equipment.list_devices), sorted(
            call(device_readings.unmatched_readings) + call(imaging.unmatched_images),
            key=lambda r: r.received_at, reverse=True)), on_done=self._loaded, parent=self)

    def _loaded(self, loaded: tuple[list[equipment.DeviceSummary], list[device_readings.StoredReading]]) -> None:
        devices, unmatched = loaded
        keep = self.selected_device()
        self.model.set_rows(devices)
        self.inbox_page.set_readings(unmatched)
        attention = sum(1 for d in devices if d.calibration in (CalibrationState.OVERDUE, CalibrationState.DUE_SOON)
                        and d.details.is_active)
        self.summary.setText(
            f"{len(devices)} devices" + (f" · {attention} need calibration" if attention else "")
            + (f" · {len(unmatched)} unmatched readings" if unmatched else ""))
        self.tabs.setTabText(1, f"Unmatched readings ({len(unmatched)})" if unmatched else "Unmatched readings")
        if keep is not None:
            for row, device in enumerate(devices):
                if device.id == keep.id:
                    self.table.selectRow(row)
        elif devices and self.form.equipment_id is None and not self.form.name.text():
            self.table.selectRow(0)

    def selected_device(self) -> equipment.DeviceSummary | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.data(rows[0], Qt.ItemDataRole.UserRole) if rows else None

    def selected_reading(self) -> device_readings.StoredReading | None:
        return self.inbox_page.selected_reading()

    def _show_calibration(self, device: equipment.DeviceSummary | None) -> None:
        if device is None:
            self.calibration_state.hide()
            return
        due = device.next_calibration_due
        set_style_property(self.calibration_state, "role", "badge")
        set_style_property(self.calibration_state, "tone", BADGE_TONES[device.calibration])
        self.calibration_state.setText(device.calibration.label + (f" — next due {due:%d %b %Y}" if due else ""))
        self.calibration_state.show()

    def _selected(self, *_args: object) -> None:
        device = self.selected_device()
        if device is None:
            return
        self.form.load(device)
        self.detail_title.setText(device.details.name)
        self._show_calibration(device)
        self.form_message.hide()
        self.calibrate_button.setEnabled(True)
        self.attach_button.setEnabled(True)
        result = device.last_test_result
        if device.last_test_at and result is not None:
            self._show_test_output(
                f"Last test {device.last_test_at.astimezone():%d %b %Y %H:%M}\n"
                + (result.get("error") or json.dumps(result.get("parsed"), indent=1)[:2000]))
        else:
            self._show_test_output("")
        call = self.workspace.call
        run_op(lambda: call(equipment.device_history, device.id), on_done=self._history_loaded, parent=self)

    def _connection_kind_changed(self, *_args: object) -> None:
        serial = self.form.connection_type.currentData() == "serial"
        self.test_button.setVisible(serial)
        self.test_output.setVisible(serial)

    def _show_test_output(self, text: str) -> None:
        self.test_output.setPlainText(text)
        self.test_output.setFixedHeight(200 if text.count("\n") > 2 else 64)

    def _history_loaded(self, history: equipment.DeviceHistory) -> None:
        self.calibration_list.clear()
        for entry in history.calibrations:
            due = f" · next {entry.next_due:%d/%m/%Y}" if entry.next_due else ""
            self.calibration_list.addItem(
                f"{entry.performed_on:%d/%m/%Y}  {entry.kind.capitalize()} by {entry.performed_by} — "
                f"{entry.result}{due}")
        if not history.calibrations:
            self.calibration_list.addItem("No calibration recorded yet.")
        self.document_list.clear()
        for document in history.documents:
            item = QListWidgetItem(icon("audit"), f"{document.title}  ({document.file_name}, "
                                                  f"{document.size // 1024 + 1} KB)")
            item.setData(Qt.ItemDataRole.UserRole, document.id)
            self.document_list.addItem(item)
        if not history.documents:
            self.document_list.addItem("No manual or certificate attached yet.")

    # --- actions --------------------------------------------------------------------------------
    def new_device(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.table.clearSelection()
        self.form.load(None)
        self.detail_title.setText("New device")
        self._show_calibration(None)
        self.form_message.hide()
        self.calibration_list.clear()
        self.document_list.clear()
        self._show_test_output("")
        for widget in (self.calibrate_button, self.attach_button):
            widget.setEnabled(False)
        self.form.name.setFocus()

    def _say(self, text: str, role: str) -> None:
        say(self.form_message, text, role)

    def save(self) -> None:
        details, equipment_id = self.form.details(), self.form.equipment_id
        call = self.workspace.call
        self.form.show_problems({})

        def failed(error: BaseException) -> bool:
            if isinstance(error, ValidationFailed):
                unshown = self.form.show_problems(error.problems)
                if unshown:
                    self._say(" ".join(unshown), "error")
                return True
            if isinstance(error, UserFacingError):
                self._say(str(error), "error")
                return True
            return False

        def done(saved_id: uuid.UUID) -> None:
            self.form.equipment_id = saved_id
            self.detail_title.setText(details.name.strip())
            self._say(f"{details.name.strip()} saved.", "success")
            changes.changed.emit("equipment")

        run_op(lambda: call(equipment.save_device, details, equipment_id), on_done=done, on_error=failed,
               parent=self)

    def test_connection(self) -> None:
        details = self.form.details()
        if details.connection_type != "serial":
            self._say("Testing reads a serial port; for folders and DICOM, send a reading and watch the inbox.",
                      "info")
            return
        connection = details.connection
        line = LineSettings.of(connection)
        self.test_button.setEnabled(False)
        self._show_test_output(f"Listening on {connection['port']} ({line.label()}) for 10 seconds — "
                               "press SEND/PRINT on the device now…")
        call, equipment_id = self.workspace.call, self.form.equipment_id
        settings = SerialSettings(line.baudrate, line.bytesize, line.parity, line.stopbits, line.rtscts, line.dtr)

        def work() -> ConnectionTest:
            test = listen_once(connection["port"], settings, protocol=connection.get("protocol", "auto"))
            if equipment_id is not None:
                call(equipment.record_test, equipment_id, test)
            return test

        def done(test: ConnectionTest) -> None:
            self.test_button.setEnabled(True)
            lines = [test.summary]
            if test.raw:
                lines += ["", "Raw frame:", printable_frame(test.raw)]
            if test.parsed:
                lines += ["", "Read as:", measurements_to_json(test.parsed, indent=1)]
            self._show_test_output("\n".join(lines))

        def failed(_error: BaseException) -> bool:
            self.test_button.setEnabled(True)
            return False

        run_op(work, on_done=done, on_error=failed, parent=self)

    def record_calibration(self) -> None:
        device = self.selected_device()
        if device is None:
            return
        dialog = CalibrationDialog(self)
        call = self.workspace.call

        def save() -> None:
            record = dialog.record()
            dialog.show_problems({})

            def failed(error: BaseException) -> bool:
                if isinstance(error, ValidationFailed):
                    dialog.show_problems(error.problems)
                    return True
                return False

            def done(_result: None) -> None:
                dialog.accept()
                changes.changed.emit("equipment")

            run_op(lambda: call(equipment.record_calibration, device.id, record), on_done=done, on_error=failed,
                   parent=dialog)

        # Saved from the dialog, so a problem is shown on its field and the dialog stays open.
        dialog.buttons.accepted.disconnect()
        dialog.buttons.accepted.connect(save)
        dialog.exec()

    def attach(self) -> None:
        device = self.selected_device()
        if device is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, "Attach a manual or certificate", "",
                                              "Documents (*.pdf *.txt *.png *.jpg);;All files (*)")
        if not path:
            return
        file = Path(path)
        content_type = {"pdf": "application/pdf", "txt": "text/plain", "png": "image/png",
                        "jpg": "image/jpeg"}.get(file.suffix.lower().lstrip("."), "application/octet-stream")
        call = self.workspace.call
        run_op(lambda: call(equipment.attach_document, device.id, title=file.stem, file_name=file.name,
                            content_type=content_type, content=file.read_bytes()),
               on_done=lambda _r: self._selected(), parent=self)

    def save_document_copy(self, item: QListWidgetItem) -> None:
        document_id = item.data(Qt.ItemDataRole.UserRole)
        if document_id is None:
            return
        call = self.workspace.call

        def save(found: tuple[str, bytes]) -> None:
            name, content = found
            path, _ = QFileDialog.getSaveFileName(self, "Save a copy", name)
            if path:
                Path(path).write_bytes(content)

        run_op(lambda: call(equipment.document_content, document_id), on_done=save, parent=self)

    def assign_selected(self) -> None:
        self.inbox_page.assign_selected()

    def discard_selected(self) -> None:
        self.inbox_page.discard_selected()
