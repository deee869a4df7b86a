"""One device's details and connection (also for a new one), and the calibration record dialog."""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.equipment import (
    CALIBRATION_KINDS,
    CONNECTION_TYPES,
    EQUIPMENT_KINDS,
    STANDARD_BAUD_RATES,
    LineSettings,
)
from ils_desktop.domain.imaging import modality_for
from ils_desktop.services import equipment
from ils_desktop.ui.widgets.forms import FieldError, labelled, mark_invalid

KIND_LABELS = {k: k.replace("_", " ").capitalize() for k in EQUIPMENT_KINDS} | {"oct": "OCT"}
CONNECTION_LABELS = {"none": "Not connected", "serial": "Serial port (RS-232 / USB adapter)",
                     "folder": "Export folder (XML / files)", "dicom": "DICOM (network)"}
CONTROL_NAMES = {1: "<SOH>", 2: "<STX>", 3: "<ETX>", 4: "<EOT>", 6: "<ACK>", 13: "<CR>\n", 10: "<LF>",
                 21: "<NAK>", 23: "<ETB>"}
ANY_COMPUTER = ""


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


def connection_text(details: equipment.DeviceDetails) -> str:
    c = details.connection
    where = f" · on {c['workstation']}" if c.get("workstation") else ""
    if details.connection_type == "serial":
        return f"{c.get('port', '?')} · {LineSettings.of(c).label()} · {c.get('protocol', 'auto')}{where}"
    if details.connection_type == "folder":
        return f"Folder {c.get('folder', '?')}{where}"
    if details.connection_type == "dicom":
        return f"DICOM {c.get('ae_title', '?')}" + (f" @ {c['host']}" if c.get("host") else "")
    return "Not connected"


class DeviceForm(QWidget):
    """Details and connection of one device; also used for a new one."""

    def __init__(self, workstation: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workstation = workstation
        self.equipment_id: uuid.UUID | None = None
        self._connection: dict[str, Any] = {}
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
        self.notes = QLineEdit()
        self.notes.setPlaceholderText("e.g. which cable, who services it")
        self.room = QComboBox()
        self.room.addItem("Not in a room", None)
        self.active = QCheckBox("In use")
        self.active.setToolTip("A device no longer in use keeps its history; nothing listens to it.")
        self.connection_type = QComboBox()
        self.connection_type.setObjectName("connectionType")
        for value in CONNECTION_TYPES:
            self.connection_type.addItem(CONNECTION_LABELS[value], value)
        self.errors = {k: FieldError() for k in ("name", "kind", "maker", "model", "serial_number", "notes", "port",
                                                 "baudrate", "bytesize", "parity", "stopbits", "folder", "ae_title",
                                                 "connection_type")}
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(8)
        # Three columns, so the whole device fits a 1366x768 screen with its Save button in view.
        grid.addWidget(labelled("Name", self.name, self.errors["name"]), 0, 0)
        grid.addWidget(labelled("Kind", self.kind, self.errors["kind"]), 0, 1)
        grid.addWidget(labelled("Room", self.room), 0, 2)
        grid.addWidget(labelled("Maker", self.maker, self.errors["maker"]), 1, 0)
        grid.addWidget(labelled("Model", self.model, self.errors["model"]), 1, 1)
        grid.addWidget(labelled("Serial number", self.serial_number, self.errors["serial_number"]), 1, 2)
        grid.addWidget(labelled("Notes", self.notes, self.errors["notes"]), 2, 0, 1, 2)
        grid.addWidget(self.active, 2, 2, Qt.AlignmentFlag.AlignBottom)
        grid.addWidget(labelled("Connection", self.connection_type, self.errors["connection_type"]), 3, 0, 1, 2)
        for column in range(3):
            grid.setColumnStretch(column, 1)
        layout.addLayout(grid)

        self.connection_pages = QStackedWidget()
        self.connection_pages.addWidget(QWidget())
        self.connection_pages.addWidget(self._serial_page())
        self.connection_pages.addWidget(self._folder_page())
        self.connection_pages.addWidget(self._dicom_page())
        layout.addWidget(self.connection_pages)
        self.connection_type.currentIndexChanged.connect(self._connection_changed)
        for combo in self.findChildren(QComboBox):
            # Long protocol names must not widen the form beyond the panel.
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(6)
        self._connection_changed(0)

    def _connection_changed(self, index: int) -> None:
        self.connection_pages.setCurrentIndex(index)
        # A stacked widget is as tall as its tallest page: size it to the page shown.
        for page_index in range(self.connection_pages.count()):
            page = self.connection_pages.widget(page_index)
            page.setVisible(page_index == index)
        self.connection_pages.setMaximumHeight(max(0, self.connection_pages.currentWidget().sizeHint().height()))

    def _computer_field(self) -> QComboBox:
        field = QComboBox()
        field.setEditable(True)
        field.addItem("Any computer it is plugged into", ANY_COMPUTER)
        field.addItem(f"This computer ({self.workstation})", self.workstation)
        field.setToolTip("In a practice with several test rooms, name the computer the device is plugged into, "
                         "so no other computer listens on a port of the same name.")
        return field

    def _serial_page(self) -> QWidget:
        page = QWidget()
        grid = QGridLayout(page)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(8)
        self.port = QComboBox()
        self.port.setObjectName("serialPort")
        self.port.setEditable(True)
        self.baudrate = QComboBox()
        for rate in STANDARD_BAUD_RATES:
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
            self.protocol.setItemData(self.protocol.count() - 1, protocol.description, Qt.ItemDataRole.ToolTipRole)
        self.mode = QComboBox()
        self.mode.addItem("Sends on PRINT", "listen")
        self.mode.addItem("NIDEK handshake", "nidek-handshake")
        self.serial_computer = self._computer_field()
        grid.addWidget(labelled("Port", self.port, self.errors["port"],
                                "The ports present on this computer; type another if needed."), 0, 0, 1, 2)
        grid.addWidget(labelled("Speed (baud)", self.baudrate, self.errors["baudrate"]), 0, 2)
        grid.addWidget(labelled("Data bits", self.bytesize, self.errors["bytesize"]), 1, 0)
        grid.addWidget(labelled("Parity", self.parity, self.errors["parity"]), 1, 1)
        grid.addWidget(labelled("Stop bits", self.stopbits, self.errors["stopbits"]), 1, 2)
        grid.addWidget(labelled("Protocol", self.protocol), 2, 0, 1, 2)
        grid.addWidget(labelled("Mode", self.mode), 2, 2)
        grid.addWidget(labelled("Listened to by", self.serial_computer), 3, 0, 1, 2)
        checks = QVBoxLayout()
        checks.setSpacing(4)
        checks.addWidget(self.rtscts)
        checks.addWidget(self.dtr)
        grid.addLayout(checks, 3, 2, Qt.AlignmentFlag.AlignBottom)
        for column in range(3):
            grid.setColumnStretch(column, 1)
        return page

    def _folder_page(self) -> QWidget:
        page = QWidget()
        grid = QGridLayout(page)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(14)
        self.folder = QLineEdit()
        self.folder.setObjectName("exportFolder")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._choose_folder)
        self.folder_computer = self._computer_field()
        grid.addWidget(labelled("Export folder", self.folder, self.errors["folder"],
                                "Where the device (or its network share) writes its XML files."), 0, 0)
        grid.addWidget(browse, 0, 1, Qt.AlignmentFlag.AlignVCenter)
        grid.addWidget(labelled("Watched by", self.folder_computer), 1, 0)
        grid.setColumnStretch(0, 1)
        return page

    def _dicom_page(self) -> QWidget:
        page = QWidget()
        grid = QGridLayout(page)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(14)
        self.ae_title = QLineEdit()
        self.ae_title.setObjectName("aeTitle")
        self.ae_title.setMaxLength(16)
        self.host = QLineEdit()
        grid.addWidget(labelled("Device AE title", self.ae_title, self.errors["ae_title"],
                                "Only devices registered here may send readings or ask for the worklist."), 0, 0)
        grid.addWidget(labelled("Device address (optional)", self.host), 0, 1, Qt.AlignmentFlag.AlignTop)
        self.dicom_hint = QLabel()
        self.dicom_hint.setObjectName("dicomWorklistHint")
        self.dicom_hint.setProperty("role", "hint")
        self.dicom_hint.setWordWrap(True)
        grid.addWidget(self.dicom_hint, 1, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        self.kind.currentIndexChanged.connect(self._update_dicom_hint)
        self.room.currentIndexChanged.connect(self._update_dicom_hint)
        self._update_dicom_hint()
        return page

    def _update_dicom_hint(self) -> None:
        """What the worklist will offer this device, and where it sends to (docs/dicom-conformance.md)."""
        room = self.room.currentText() if self.room.currentData() is not None else None
        self.dicom_hint.setText(
            f"Worklist: {'the bookings of ' + room if room else 'the bookings of every room'}, as modality "
            f"{modality_for(self.kind.currentData())}. Set the device to send to the practice server's AE title "
            "(ILS unless changed), storage port 11112 and worklist port 11113; images it sends are filed on "
            "the booking.")

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

    @staticmethod
    def _set_computer(field: QComboBox, name: str) -> None:
        index = field.findData(name)
        if index < 0:
            field.addItem(name, name)
            index = field.count() - 1
        field.setCurrentIndex(index)

    @staticmethod
    def _computer(field: QComboBox) -> str:
        typed = field.currentText().strip()
        if field.currentIndex() >= 0 and typed == field.itemText(field.currentIndex()):
            return str(field.currentData() or "")
        return typed

    def load(self, device: equipment.DeviceSummary | None) -> None:
        self.equipment_id = device.id if device else None
        d = device.details if device else equipment.DeviceDetails(name="", kind="autorefractor")
        self.name.setText(d.name)
        self.kind.setCurrentIndex(max(0, self.kind.findData(d.kind)))
        self.maker.setText(d.maker)
        self.model.setText(d.model)
        self.serial_number.setText(d.serial_number)
        self.notes.setText(d.notes)
        self.active.setChecked(d.is_active)
        self.room.setCurrentIndex(max(0, self.room.findData(d.room_id)))
        self.connection_type.setCurrentIndex(max(0, self.connection_type.findData(d.connection_type)))
        c = d.connection
        self._connection = dict(c)
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
        for field in (self.serial_computer, self.folder_computer):
            self._set_computer(field, str(c.get("workstation") or ANY_COMPUTER))
        self.show_problems({})

    def details(self) -> equipment.DeviceDetails:
        kind = self.connection_type.currentData()
        connection: dict[str, Any] = {}
        if kind == "serial":
            port = self.port.currentData() if self.port.currentText() == self.port.itemText(
                self.port.currentIndex()) else self.port.currentText()
            # Settings the form does not show (a handshake id) are kept as they were.
            kept = {k: v for k, v in self._connection.items() if k == "handshake_id"}
            connection = kept | {
                "port": (port or self.port.currentText()).strip(), "baudrate": self.baudrate.currentData(),
                "bytesize": self.bytesize.currentData(), "parity": self.parity.currentData(),
                "stopbits": self.stopbits.currentData(), "rtscts": self.rtscts.isChecked(),
                "dtr": self.dtr.isChecked(), "protocol": self.protocol.currentData(), "mode": self.mode.currentData(),
            }
            if self._computer(self.serial_computer):
                connection["workstation"] = self._computer(self.serial_computer)
        elif kind == "folder":
            connection = {"folder": self.folder.text().strip()}
            if self._computer(self.folder_computer):
                connection["workstation"] = self._computer(self.folder_computer)
        elif kind == "dicom":
            connection = {"ae_title": self.ae_title.text().strip(), "host": self.host.text().strip()}
        return equipment.DeviceDetails(
            name=self.name.text(), kind=self.kind.currentData(), maker=self.maker.text(), model=self.model.text(),
            serial_number=self.serial_number.text(), room_id=self.room.currentData(), connection_type=kind,
            connection=connection, notes=self.notes.text(), is_active=self.active.isChecked(),
        )

    def show_problems(self, problems: dict[str, str]) -> list[str]:
        """Show each problem on its field; returns those no field of this form shows."""
        fields = {"name": self.name, "port": self.port, "folder": self.folder, "ae_title": self.ae_title,
                  "maker": self.maker, "model": self.model, "serial_number": self.serial_number, "notes": self.notes}
        for name, error in self.errors.items():
            error.show_message(problems.get(name, ""))
            if name in fields:
                mark_invalid(fields[name], name in problems)
        return [message for name, message in problems.items() if name not in self.errors]


class CalibrationDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record calibration or service")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        self.kind = QComboBox()
        for value in CALIBRATION_KINDS:
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
        self.errors = {k: FieldError() for k in ("performed_on", "performed_by", "next_due", "kind", "result",
                                                 "certificate_reference", "notes")}
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(8)
        grid.addWidget(labelled("What", self.kind, self.errors["kind"]), 0, 0)
        grid.addWidget(labelled("Result", self.result, self.errors["result"]), 0, 1)
        grid.addWidget(labelled("Done on", self.performed_on, self.errors["performed_on"]), 1, 0)
        grid.addWidget(labelled("Next due", self.next_due, self.errors["next_due"]), 1, 1)
        grid.addWidget(labelled("Done by", self.performed_by, self.errors["performed_by"]), 2, 0, 1, 2)
        grid.addWidget(labelled("Certificate reference", self.certificate, self.errors["certificate_reference"]), 3, 0)
        grid.addWidget(labelled("Notes", self.notes, self.errors["notes"]), 3, 1)
        layout.addLayout(grid)
        layout.addSpacing(8)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setProperty("role", "primary")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def record(self) -> equipment.NewCalibration:
        return equipment.NewCalibration(
            kind=self.kind.currentData(), performed_on=self.performed_on.date().toPython(),
            performed_by=self.performed_by.text(), result=self.result.currentData(),
            next_due=self.next_due.date().toPython(), certificate_reference=self.certificate.text(),
            notes=self.notes.text(),
        )

    def show_problems(self, problems: dict[str, str]) -> None:
        for name, error in self.errors.items():
            error.show_message(problems.get(name, ""))
        mark_invalid(self.performed_by, "performed_by" in problems)
