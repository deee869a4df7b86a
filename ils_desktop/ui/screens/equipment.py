"""Equipment: the practice's devices, how they connect, calibration and manuals, and the inbox of
readings nobody could match to a patient."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.equipment import CalibrationState
from ils_desktop.errors import UserFacingError, ValidationFailed
from ils_desktop.models.equipment import EQUIPMENT_KINDS
from ils_desktop.services import device_readings, equipment
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import icon, polish_table, set_style_property
from ils_desktop.ui.widgets.forms import FieldError, labelled, mark_invalid, say

KIND_LABELS = {k: k.replace("_", " ").capitalize() for k in EQUIPMENT_KINDS} | {"oct": "OCT"}
CONNECTION_LABELS = {"none": "Not connected", "serial": "Serial port (RS-232 / USB adapter)",
                     "folder": "Export folder (XML / files)", "dicom": "DICOM (network)"}
BADGE_TONES = {CalibrationState.OK: "success", CalibrationState.DUE_SOON: "warning",
               CalibrationState.OVERDUE: "danger", CalibrationState.NEVER: "neutral"}
CONTROL_NAMES = {1: "<SOH>", 2: "<STX>", 3: "<ETX>", 4: "<EOT>", 6: "<ACK>", 13: "<CR>\n", 10: "<LF>",
                 21: "<NAK>", 23: "<ETB>"}


def printable_frame(raw: bytes) -> str:
    """Raw device bytes as a person can read them: control characters named, others escaped."""
    out = []
    for byte in raw:
        if byte in CONTROL_NAMES:
            out.append(CONTROL_NAMES[byte])
        elif 32 <= byte < 127:
            out.append(chr(byte))
        else:
            out.append(f"<{byte:02X}>")
    return "".join(out)


class DeviceListModel(RowsModel[equipment.DeviceSummary]):
    COLUMNS = ("Device", "Kind", "Calibration")

    def role_data(self, device: equipment.DeviceSummary, index: Index, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{' '.join(p for p in (device.details.maker, device.details.model) if p)} · " \
                   f"{_connection_text(device.details)}"
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 2:
            return QColor({"overdue": "#B42318", "due_soon": "#B45309"}.get(device.calibration.value, "#1B2733"))
        return None

    def display(self, device: equipment.DeviceSummary, index: Index) -> Any:
        d = device.details
        return (d.name, KIND_LABELS.get(d.kind, d.kind), _calibration_text(device))[index.column()]

def _calibration_text(device: equipment.DeviceSummary) -> str:
    due = device.next_calibration_due
    if due is None:
        return "Not recorded"
    return {"ok": f"Due {due:%d/%m/%Y}", "due_soon": f"Due soon · {due:%d/%m/%y}",
            "overdue": f"Overdue · {due:%d/%m/%y}"}.get(device.calibration.value, "")


def _connection_text(details: equipment.DeviceDetails) -> str:
    c = details.connection
    if details.connection_type == "serial":
        return f"{c.get('port', '?')} · {equipment.line_settings(c).label()} · {c.get('protocol', 'auto')}"
    if details.connection_type == "folder":
        return f"Folder {c.get('folder', '?')}"
    if details.connection_type == "dicom":
        return f"DICOM {c.get('ae_title', '?')}" + (f" @ {c['host']}" if c.get("host") else "")
    return "Not connected"


class DeviceForm(QWidget):
    """Details and connection of one device; also used for a new one."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.equipment_id: uuid.UUID | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        self.name = QLineEdit()
        self.name.setObjectName("deviceName")
        self.name.setPlaceholderText("e.g. ARK-1")
        self.kind = QComboBox()
        self.kind.setObjectName("deviceKind")
        for kind, label in KIND_LABELS.items():
            self.kind.addItem(label, kind)
        self.maker, self.model, self.serial_number = QLineEdit(), QLineEdit(), QLineEdit()
        self.room = QComboBox()
        self.room.addItem("Not in a room", None)
        self.connection_type = QComboBox()
        self.connection_type.setObjectName("connectionType")
        for value, label in CONNECTION_LABELS.items():
            self.connection_type.addItem(label, value)
        self.errors = {k: FieldError() for k in ("name", "kind", "port", "baudrate", "bytesize", "parity",
                                                 "stopbits", "folder", "ae_title", "connection_type")}
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(8)
        grid.addWidget(labelled("Name", self.name, self.errors["name"]), 0, 0)
        grid.addWidget(labelled("Kind", self.kind, self.errors["kind"]), 0, 1)
        grid.addWidget(labelled("Maker", self.maker), 1, 0)
        grid.addWidget(labelled("Model", self.model), 1, 1)
        grid.addWidget(labelled("Serial number", self.serial_number), 2, 0)
        grid.addWidget(labelled("Room", self.room), 2, 1)
        grid.addWidget(labelled("Connection", self.connection_type, self.errors["connection_type"]), 3, 0, 1, 2)
        layout.addLayout(grid)

        self.connection_pages = QStackedWidget()
        self.connection_pages.addWidget(QWidget())
        self.connection_pages.addWidget(self._serial_page())
        self.connection_pages.addWidget(self._folder_page())
        self.connection_pages.addWidget(self._dicom_page())
        layout.addWidget(self.connection_pages)
        self.connection_type.currentIndexChanged.connect(self.connection_pages.setCurrentIndex)
        for combo in self.findChildren(QComboBox):
            # Long protocol names must not widen the form beyond the panel.
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(6)

    def _serial_page(self) -> QWidget:
        page = QWidget()
        grid = QGridLayout(page)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(14)
        self.port = QComboBox()
        self.port.setObjectName("serialPort")
        self.port.setEditable(True)
        self.baudrate = QComboBox()
        for rate in (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200):
            self.baudrate.addItem(str(rate), rate)
        self.bytesize = QComboBox()
        self.bytesize.addItem("8", 8)
        self.bytesize.addItem("7", 7)
        self.parity = QComboBox()
        for value, label in (("E", "Even"), ("N", "None"), ("O", "Odd")):
            self.parity.addItem(label, value)
        self.stopbits = QComboBox()
        self.stopbits.addItem("1", 1)
        self.stopbits.addItem("2", 2)
        self.rtscts = QCheckBox("RTS/CTS flow control")
        self.dtr = QCheckBox("Assert DTR")
        self.dtr.setChecked(True)
        self.protocol = QComboBox()
        self.protocol.setObjectName("protocol")
        self.protocol.addItem("Recognise automatically", "auto")
        from ils_desktop.devices.protocols import PROTOCOLS

        for protocol in PROTOCOLS:
            self.protocol.addItem(protocol.description or protocol.name, protocol.name)
        self.mode = QComboBox()
        self.mode.addItem("Sends on PRINT", "listen")
        self.mode.addItem("NIDEK handshake", "nidek-handshake")
        grid.addWidget(labelled("Port", self.port, self.errors["port"],
                                "The ports present on this computer; type another if needed."), 0, 0, 1, 2)
        grid.addWidget(labelled("Speed (baud)", self.baudrate, self.errors["baudrate"]), 0, 2)
        grid.addWidget(labelled("Data bits", self.bytesize, self.errors["bytesize"]), 1, 0)
        grid.addWidget(labelled("Parity", self.parity, self.errors["parity"]), 1, 1)
        grid.addWidget(labelled("Stop bits", self.stopbits, self.errors["stopbits"]), 1, 2)
        grid.addWidget(labelled("Protocol", self.protocol), 2, 0, 1, 2)
        grid.addWidget(labelled("Mode", self.mode), 2, 2)
        grid.addWidget(self.rtscts, 3, 0)
        grid.addWidget(self.dtr, 3, 1)
        return page

    def _folder_page(self) -> QWidget:
        page = QWidget()
        row = QHBoxLayout(page)
        row.setContentsMargins(0, 0, 0, 0)
        self.folder = QLineEdit()
        self.folder.setObjectName("exportFolder")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._choose_folder)
        row.addWidget(labelled("Export folder", self.folder, self.errors["folder"],
                               "Where the device (or its network share) writes its XML files."), 1)
        row.addWidget(browse, 0, Qt.AlignmentFlag.AlignBottom)
        return page

    def _dicom_page(self) -> QWidget:
        page = QWidget()
        grid = QGridLayout(page)
        grid.setContentsMargins(0, 0, 0, 0)
        self.ae_title = QLineEdit()
        self.ae_title.setObjectName("aeTitle")
        self.ae_title.setMaxLength(16)
        self.host = QLineEdit()
        grid.addWidget(labelled("Device AE title", self.ae_title, self.errors["ae_title"]), 0, 0)
        grid.addWidget(labelled("Device host (optional)", self.host), 0, 1)
        return page

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export folder", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def set_ports(self, ports: list[tuple[str, str]]) -> None:
        current = self.port.currentText()
        self.port.clear()
        for device, description in ports:
            self.port.addItem(f"{device}" if description == device else f"{device} — {description}", device)
        self.port.setEditText(current)

    def set_rooms(self, rooms: list[tuple[uuid.UUID, str]]) -> None:
        for room_id, name in rooms:
            self.room.addItem(name, room_id)

    def load(self, device: equipment.DeviceSummary | None) -> None:
        self.equipment_id = device.id if device else None
        d = device.details if device else equipment.DeviceDetails(name="", kind="autorefractor")
        self.name.setText(d.name)
        self.kind.setCurrentIndex(max(0, self.kind.findData(d.kind)))
        self.maker.setText(d.maker)
        self.model.setText(d.model)
        self.serial_number.setText(d.serial_number)
        self.room.setCurrentIndex(max(0, self.room.findData(d.room_id)))
        self.connection_type.setCurrentIndex(max(0, self.connection_type.findData(d.connection_type)))
        c = d.connection
        self.port.setEditText(str(c.get("port", "")))
        self.baudrate.setCurrentIndex(max(0, self.baudrate.findData(int(c.get("baudrate", 9600)))))
        self.bytesize.setCurrentIndex(max(0, self.bytesize.findData(int(c.get("bytesize", 8)))))
        self.parity.setCurrentIndex(max(0, self.parity.findData(c.get("parity", "E"))))
        self.stopbits.setCurrentIndex(max(0, self.stopbits.findData(int(c.get("stopbits", 1)))))
        self.rtscts.setChecked(bool(c.get("rtscts", False)))
        self.dtr.setChecked(bool(c.get("dtr", True)))
        self.protocol.setCurrentIndex(max(0, self.protocol.findData(c.get("protocol", "auto"))))
        self.mode.setCurrentIndex(max(0, self.mode.findData(c.get("mode", "listen"))))
        self.folder.setText(str(c.get("folder", "")))
        self.ae_title.setText(str(c.get("ae_title", "")))
        self.host.setText(str(c.get("host", "")))
        self.show_problems({})

    def details(self) -> equipment.DeviceDetails:
        kind = self.connection_type.currentData()
        connection: dict[str, Any] = {}
        if kind == "serial":
            port = self.port.currentData() if self.port.currentText() == self.port.itemText(
                self.port.currentIndex()) else self.port.currentText()
            connection = {
                "port": (port or self.port.currentText()).strip(), "baudrate": self.baudrate.currentData(),
                "bytesize": self.bytesize.currentData(), "parity": self.parity.currentData(),
                "stopbits": self.stopbits.currentData(), "rtscts": self.rtscts.isChecked(),
                "dtr": self.dtr.isChecked(), "protocol": self.protocol.currentData(), "mode": self.mode.currentData(),
            }
        elif kind == "folder":
            connection = {"folder": self.folder.text().strip()}
        elif kind == "dicom":
            connection = {"ae_title": self.ae_title.text().strip(), "host": self.host.text().strip()}
        return equipment.DeviceDetails(
            name=self.name.text(), kind=self.kind.currentData(), maker=self.maker.text(), model=self.model.text(),
            serial_number=self.serial_number.text(), room_id=self.room.currentData(), connection_type=kind,
            connection=connection,
        )

    def show_problems(self, problems: dict[str, str]) -> None:
        fields = {"name": self.name, "port": self.port, "folder": self.folder, "ae_title": self.ae_title}
        for name, error in self.errors.items():
            error.show_message(problems.get(name, ""))
            if name in fields:
                mark_invalid(fields[name], name in problems)


class CalibrationDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record calibration or service")
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        self.kind = QComboBox()
        for value in ("calibration", "service", "repair", "check"):
            self.kind.addItem(value.capitalize(), value)
        self.result = QComboBox()
        for value, label in (("pass", "Passed"), ("adjusted", "Adjusted and passed"), ("fail", "Failed")):
            self.result.addItem(label, value)
        self.performed_on = QDateEdit(QDate.currentDate())
        self.performed_on.setCalendarPopup(True)
        self.performed_on.setDisplayFormat("dd/MM/yyyy")
        self.next_due = QDateEdit(QDate.currentDate().addYears(1))
        self.next_due.setCalendarPopup(True)
        self.next_due.setDisplayFormat("dd/MM/yyyy")
        self.performed_by = QLineEdit()
        self.performed_by.setPlaceholderText("Engineer or company")
        self.certificate = QLineEdit()
        self.notes = QLineEdit()
        self.errors = {k: FieldError() for k in ("performed_on", "performed_by", "next_due", "kind", "result")}
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.addWidget(labelled("What", self.kind, self.errors["kind"]), 0, 0)
        grid.addWidget(labelled("Result", self.result, self.errors["result"]), 0, 1)
        grid.addWidget(labelled("Done on", self.performed_on, self.errors["performed_on"]), 1, 0)
        grid.addWidget(labelled("Next due", self.next_due, self.errors["next_due"]), 1, 1)
        grid.addWidget(labelled("Done by", self.performed_by, self.errors["performed_by"]), 2, 0, 1, 2)
        grid.addWidget(labelled("Certificate reference", self.certificate), 3, 0)
        grid.addWidget(labelled("Notes", self.notes), 3, 1)
        layout.addLayout(grid)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Save).setProperty("role", "primary")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def record(self) -> equipment.NewCalibration:
        return equipment.NewCalibration(
            kind=self.kind.currentData(), performed_on=self.performed_on.date().toPython(),
            performed_by=self.performed_by.text(), result=self.result.currentData(),
            next_due=self.next_due.date().toPython(), certificate_reference=self.certificate.text(),
            notes=self.notes.text(),
        )


class ReadingModel(RowsModel[device_readings.StoredReading]):
    COLUMNS = ("Received", "From", "Reading", "Patient the device gave", "Values", "Why it is here")

    def role_data(self, r: device_readings.StoredReading, index: Index, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 5:
            return r.unmatched_reason or None  # the reason may be longer than the column
        return None

    def display(self, r: device_readings.StoredReading, index: Index) -> Any:
        who = " · ".join(p for p in (r.device_patient_id, r.device_patient_name) if p) or "—"
        return (
            r.received_at.astimezone().strftime("%d %b %H:%M"),
            f"{r.source} {r.source_detail or ''}".strip(),
            (r.kind or "unreadable").replace("_", " ").capitalize(),
            who,
            r.error or summarise_measurement(r.measurement),
            r.unmatched_reason or "",
        )[index.column()]


def summarise_measurement(measurement: dict[str, Any] | None) -> str:
    """One line a clinician can recognise: R -1.25/-0.50x180 · L -1.00 DS, or IOP R 15 L 18."""
    if not measurement:
        return ""
    parts = []
    for eye in ("R", "L", "B", "U"):
        values = measurement.get("eyes", {}).get(eye)
        if not values:
            continue
        if "sphere" in values:
            cyl = values.get("cylinder")
            text = f"{values['sphere']:+.2f}" + (f"/{cyl:+.2f}x{values.get('axis')}" if cyl else " DS")
        elif "iop_mmhg" in values:
            text = f"{values['iop_mmhg']} mmHg"
        elif "k1_radius_mm" in values:
            text = f"K {values['k1_radius_mm']}/{values.get('k2_radius_mm')} mm"
        else:
            text = ", ".join(f"{k} {v}" for k, v in values.items() if k != "readings")[:40]
        parts.append(f"{eye} {text}")
    return " · ".join(parts)


class AssignDialog(QDialog):
    """Choose the patient an unmatched reading belongs to."""

    def __init__(self, workspace: Workspace, reading: device_readings.StoredReading, parent: QWidget | None = None):
        super().__init__(parent)
        self.workspace = workspace
        self.setWindowTitle("Whose reading is this?")
        self.setMinimumSize(520, 420)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        about = QLabel(f"{(reading.kind or 'Reading').replace('_', ' ').capitalize()} received "
                       f"{reading.received_at.astimezone():%d %b %H:%M}: {summarise_measurement(reading.measurement)}")
        about.setWordWrap(True)
        about.setProperty("role", "subtitle")
        layout.addWidget(about)
        self.search = QLineEdit()
        self.search.setObjectName("assignSearch")
        self.search.setPlaceholderText("Type the patient's name")
        self.search.textChanged.connect(self._search)
        layout.addWidget(labelled("Patient", self.search))
        self.results = QListWidget()
        self.results.setObjectName("assignResults")
        self.results.itemDoubleClicked.connect(lambda _item: self.accept())
        layout.addWidget(self.results, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Assign")
        buttons.button(QDialogButtonBox.StandardButton.Ok).setProperty("role", "primary")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._latest = ""

    def _search(self, text: str) -> None:
        self._latest = text
        database, context = self.workspace.database, self.workspace.context

        def shown(choices: list[device_readings.PatientChoice], asked: str = text) -> None:
            if asked != self._latest:
                return  # an older search finished after a newer one started
            self.results.clear()
            for choice in choices:
                item = QListWidgetItem(choice.label)
                item.setData(Qt.ItemDataRole.UserRole, choice.id)
                self.results.addItem(item)
            if choices:
                self.results.setCurrentRow(0)

        run_op(lambda: device_readings.patients_to_assign(database, context, text), on_done=shown, parent=self)

    def chosen(self) -> uuid.UUID | None:
        item = self.results.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None


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
        header.addWidget(self.add_button)
        layout.addLayout(header)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("equipmentTabs")
        self.tabs.addTab(self._devices_tab(), "Devices")
        self.tabs.addTab(self._inbox_tab(), "Unmatched readings")
        layout.addWidget(self.tabs, 1)
        changes.changed.connect(self._on_change)
        run_op(equipment.available_serial_ports, on_done=self.form.set_ports, parent=self)
        run_op(lambda: equipment.rooms_for_devices(workspace.database, workspace.context),
               on_done=self.form.set_rooms, parent=self)
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
        splitter.addWidget(self.table)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        detail = QWidget()
        scroll.setWidget(detail)
        panel = QVBoxLayout(detail)
        panel.setContentsMargins(16, 0, 4, 0)
        panel.setSpacing(14)
        card = QFrame()
        card.setProperty("role", "card")
        inner = QVBoxLayout(card)
        inner.setContentsMargins(18, 14, 18, 14)
        self.detail_title = QLabel("New device")
        self.detail_title.setProperty("role", "section")
        inner.addWidget(self.detail_title)
        self.form = DeviceForm(self.workspace)
        inner.addWidget(self.form)
        self.form_message = QLabel()
        self.form_message.hide()
        inner.addWidget(self.form_message)
        row = QHBoxLayout()
        self.test_button = QPushButton(icon("refresh"), "Test connection")
        self.test_button.setObjectName("testConnection")
        self.test_button.clicked.connect(self.test_connection)
        self.save_button = QPushButton("Save device")
        self.save_button.setObjectName("saveDevice")
        self.save_button.setProperty("role", "primary")
        self.save_button.clicked.connect(self.save)
        row.addWidget(self.test_button)
        row.addStretch(1)
        row.addWidget(self.save_button)
        inner.addLayout(row)
        self.test_output = QPlainTextEdit()
        self.test_output.setObjectName("testOutput")
        self.test_output.setReadOnly(True)
        self.test_output.setPlaceholderText("Press “Test connection”, then SEND/PRINT on the device: the raw frame "
                                            "and what it was read as appear here.")
        self.test_output.setMaximumHeight(160)
        inner.addWidget(self.test_output)
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
        self.calibration_state = QLabel()
        self.calibration_state.setObjectName("calibrationState")
        hist.addWidget(self.calibration_state)
        self.calibration_list = QListWidget()
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

    def _inbox_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 12, 0, 0)
        hint = QLabel("Readings whose patient could not be recognised wait here. Assign each to the right "
                      "patient; it is then offered in that patient's open examination.")
        hint.setProperty("role", "hint")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.inbox_model = ReadingModel()
        self.inbox = QTableView()
        self.inbox.setObjectName("inboxTable")
        self.inbox.setModel(self.inbox_model)
        self.inbox.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        polish_table(self.inbox)
        self.inbox.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.inbox.horizontalHeader().setStretchLastSection(True)
        self.inbox.doubleClicked.connect(lambda _i: self.assign_selected())
        layout.addWidget(self.inbox, 1)
        row = QHBoxLayout()
        assign = QPushButton("Assign to patient…")
        assign.setObjectName("assignReading")
        assign.setProperty("role", "primary")
        assign.clicked.connect(self.assign_selected)
        discard = QPushButton("Discard")
        discard.setObjectName("discardReading")
        discard.clicked.connect(self.discard_selected)
        row.addWidget(assign)
        row.addWidget(discard)
        row.addStretch(1)
        layout.addLayout(row)
        return page

    # --- loading --------------------------------------------------------------------------------
    def activated(self) -> None:
        self.refresh()

    def _on_change(self, what: str) -> None:
        if what in ("equipment", "readings"):
            self.refresh()

    def refresh(self) -> None:
        database, context = self.workspace.database, self.workspace.context
        run_op(lambda: (equipment.list_devices(database, context),
                        device_readings.unmatched_readings(database, context)),
               on_done=self._loaded, parent=self)

    def _loaded(self, loaded: tuple[list[equipment.DeviceSummary], list[device_readings.StoredReading]]) -> None:
        devices, unmatched = loaded
        keep = self.selected_device()
        self.model.set_rows(devices)
        self.inbox_model.set_rows(unmatched)
        attention = sum(1 for d in devices if d.calibration in (CalibrationState.OVERDUE, CalibrationState.DUE_SOON))
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

    def _selected(self, *_args: object) -> None:
        device = self.selected_device()
        if device is None:
            return
        self.form.load(device)
        self.detail_title.setText(device.details.name)
        self.form_message.hide()
        self.calibrate_button.setEnabled(True)
        self.attach_button.setEnabled(True)
        due = device.next_calibration_due
        set_style_property(self.calibration_state, "role", "badge")
        set_style_property(self.calibration_state, "tone", BADGE_TONES[device.calibration])
        self.calibration_state.setText(device.calibration.label + (f" — next due {due:%d %b %Y}" if due else ""))
        result = device.last_test_result
        if device.last_test_at and result is not None:
            self.test_output.setPlainText(
                f"Last test {device.last_test_at.astimezone():%d %b %Y %H:%M}\n"
                + (result.get("error") or json.dumps(result.get("parsed"), indent=1)[:2000]))
        else:
            self.test_output.clear()
        database, context = self.workspace.database, self.workspace.context
        run_op(lambda: (equipment.calibration_history(database, context, device.id),
                        equipment.documents(database, context, device.id)),
               on_done=self._history_loaded, parent=self)

    def _history_loaded(self, loaded: tuple[list[equipment.CalibrationEntry], list[tuple[Any, ...]]]) -> None:
        history, docs = loaded
        self.calibration_list.clear()
        for entry in history:
            due = f" · next {entry.next_due:%d/%m/%Y}" if entry.next_due else ""
            self.calibration_list.addItem(
                f"{entry.performed_on:%d/%m/%Y}  {entry.kind.capitalize()} by {entry.performed_by} — "
                f"{entry.result}{due}")
        if not history:
            self.calibration_list.addItem("No calibration recorded yet.")
        self.document_list.clear()
        for document_id, title, file_name, _kind, size in docs:
            item = QListWidgetItem(icon("audit"), f"{title}  ({file_name}, {size // 1024 + 1} KB)")
            item.setData(Qt.ItemDataRole.UserRole, document_id)
            self.document_list.addItem(item)

    # --- actions --------------------------------------------------------------------------------
    def new_device(self) -> None:
        self.table.clearSelection()
        self.form.load(None)
        self.detail_title.setText("New device")
        self.calibration_list.clear()
        self.document_list.clear()
        self.calibration_state.clear()
        self.test_output.clear()
        for widget in (self.calibrate_button, self.attach_button):
            widget.setEnabled(False)
        self.form.name.setFocus()

    def _say(self, text: str, role: str) -> None:
        say(self.form_message, text, role)

    def save(self) -> None:
        details, equipment_id = self.form.details(), self.form.equipment_id
        database, context = self.workspace.database, self.workspace.context
        self.form.show_problems({})

        def failed(error: BaseException) -> bool:
            if isinstance(error, ValidationFailed):
                self.form.show_problems(error.problems)
                return True
            if isinstance(error, UserFacingError):
                self._say(str(error), "error")
                return True
            return False

        def done(saved_id: uuid.UUID) -> None:
            self.form.equipment_id = saved_id
            self._say(f"{details.name} saved.", "success")
            changes.changed.emit("equipment")

        run_op(lambda: equipment.save_device(database, context, details, equipment_id), on_done=done,
               on_error=failed, parent=self)

    def test_connection(self) -> None:
        details = self.form.details()
        if details.connection_type != "serial":
            self._say("Testing reads a serial port; for folders and DICOM, send a reading and watch the inbox.",
                      "info")
            return
        connection = details.connection
        settings = equipment.line_settings(connection)
        self.test_button.setEnabled(False)
        self.test_output.setPlainText(f"Listening on {connection['port']} ({settings.label()}) for 10 seconds — "
                                      "press SEND/PRINT on the device now…")
        database, context, equipment_id = self.workspace.database, self.workspace.context, self.form.equipment_id

        def work() -> equipment.ConnectionTest:
            test = equipment.listen_once(connection["port"], settings, protocol=connection.get("protocol", "auto"))
            if equipment_id is not None:
                equipment.record_test(database, context, equipment_id, test)
            return test

        def done(test: equipment.ConnectionTest) -> None:
            self.test_button.setEnabled(True)
            lines = [test.summary]
            if test.raw:
                lines += ["", "Raw frame:", printable_frame(test.raw)]
            if test.parsed:
                lines += ["", "Read as:", json.dumps(test.parsed, indent=1)]
            self.test_output.setPlainText("\n".join(lines))

        def failed(_error: BaseException) -> bool:
            self.test_button.setEnabled(True)
            return False

        run_op(work, on_done=done, on_error=failed, parent=self)

    def record_calibration(self) -> None:
        device = self.selected_device()
        if device is None:
            return
        dialog = CalibrationDialog(self)
        if not dialog.exec():
            return
        record = dialog.record()
        database, context = self.workspace.database, self.workspace.context
        run_op(lambda: equipment.record_calibration(database, context, device.id, record),
               on_done=lambda _r: changes.changed.emit("equipment"), parent=self)

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
        database, context = self.workspace.database, self.workspace.context
        run_op(lambda: equipment.attach_document(database, context, device.id, title=file.stem, file_name=file.name,
                                                 content_type=content_type, content=file.read_bytes()),
               on_done=lambda _r: self._selected(), parent=self)

    def save_document_copy(self, item: QListWidgetItem) -> None:
        document_id = item.data(Qt.ItemDataRole.UserRole)
        if document_id is None:
            return
        database, context = self.workspace.database, self.workspace.context

        def save(found: tuple[str, bytes]) -> None:
            name, content = found
            path, _ = QFileDialog.getSaveFileName(self, "Save a copy", name)
            if path:
                Path(path).write_bytes(content)

        run_op(lambda: equipment.document_content(database, context, document_id), on_done=save, parent=self)

    def selected_reading(self) -> device_readings.StoredReading | None:
        rows = self.inbox.selectionModel().selectedRows()
        return self.inbox_model.data(rows[0], Qt.ItemDataRole.UserRole) if rows else None

    def assign_selected(self) -> None:
        reading = self.selected_reading()
        if reading is None:
            return
        dialog = AssignDialog(self.workspace, reading, self)
        if not dialog.exec() or dialog.chosen() is None:
            return
        patient_id = dialog.chosen()
        database, context = self.workspace.database, self.workspace.context
        run_op(lambda: device_readings.assign_reading(database, context, reading.id, patient_id),
               on_done=lambda _r: changes.changed.emit("readings"), parent=self)

    def discard_selected(self) -> None:
        reading = self.selected_reading()
        if reading is None:
            return
        if QMessageBox.question(self, "Discard reading", "Discard this reading? It stays in the record as "
                                "discarded and is not offered to any examination.") != QMessageBox.StandardButton.Yes:
            return
        database, context = self.workspace.database, self.workspace.context
        run_op(lambda: device_readings.settle_reading(database, context, reading.id, accepted=False),
               on_done=lambda _r: changes.changed.emit("readings"), parent=self)


