"""Rules about the practice's equipment: calibration due dates, serial line settings, and how an
incoming reading is matched to a patient.

Calibration: manufacturers and the College of Optometrists' guidance expect devices to be
calibrated/serviced at the interval the maker states (commonly yearly); we warn from 30 days before
the due date and flag overdue after it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final

from ils_desktop.domain.exam import IOP_MAX, IOP_MIN, LOGMAR_MAX, LOGMAR_MIN
from ils_desktop.domain.rx import CYLINDER_MAX, CYLINDER_MIN, MAX_ADD, SPHERE_MAX, SPHERE_MIN

DUE_SOON_DAYS = 30

EQUIPMENT_KINDS: Final = ("autorefractor", "keratometer", "lensmeter", "tonometer", "pachymeter", "phoropter",
                          "oct", "fundus_camera", "visual_field_analyser", "slit_lamp", "other")
"""What a device on the Equipment screen may be (the database checks the same list)."""
CONNECTION_TYPES: Final = ("none", "serial", "folder", "dicom")
"""How a device reaches the practice: not at all, a serial line, an export folder, DICOM."""

STANDARD_BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)


class CalibrationState(enum.StrEnum):
    NEVER = "never"
    OK = "ok"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"

    @property
    def label(self) -> str:
        return {"never": "No calibration recorded", "ok": "Calibrated", "due_soon": "Calibration due soon",
                "overdue": "Calibration overdue"}[self.value]


def calibration_state(next_due: date | None, today: date, *, due_soon_days: int = DUE_SOON_DAYS) -> CalibrationState:
    """Where a device stands: overdue after ``next_due``, due soon within ``due_soon_days`` of it."""
    if next_due is None:
        return CalibrationState.NEVER
    if next_due < today:
        return CalibrationState.OVERDUE
    if next_due <= today + timedelta(days=due_soon_days):
        return CalibrationState.DUE_SOON
    return CalibrationState.OK


@dataclass(frozen=True)
class LineSettings:
    """RS-232 settings of a device port (docs/domain/equipment.md, "Line settings": e.g. Nidek ARK
    9600 8E1, Huvitz CLM 9600 7E1, Nidek RT phoropters 2400 7E2 with DTR asserted)."""

    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "E"  # N, E, O
    stopbits: int = 1
    rtscts: bool = False
    dtr: bool = True

    def problems(self) -> dict[str, str]:
        found: dict[str, str] = {}
        if self.baudrate not in STANDARD_BAUD_RATES:
            found["baudrate"] = f"{self.baudrate} is not a standard speed; the device manual gives it (often 9600)."
        if self.bytesize not in (7, 8):
            found["bytesize"] = "Data bits must be 7 or 8."
        if self.parity not in ("N", "E", "O"):
            found["parity"] = "Parity must be none (N), even (E) or odd (O)."
        if self.stopbits not in (1, 2):
            found["stopbits"] = "Stop bits must be 1 or 2."
        return found

    def label(self) -> str:
        return f"{self.baudrate} {self.bytesize}{self.parity}{self.stopbits}" + (" RTS/CTS" if self.rtscts else "")

    @classmethod
    def of(cls, connection: Mapping[str, Any]) -> LineSettings:
        """The line settings a device's serial connection holds (defaults: 9600 8E1, DTR asserted)."""
        return cls(
            baudrate=int(connection.get("baudrate", 9600)), bytesize=int(connection.get("bytesize", 8)),
            parity=str(connection.get("parity", "E")), stopbits=int(connection.get("stopbits", 1)),
            rtscts=bool(connection.get("rtscts", False)), dtr=bool(connection.get("dtr", True)),
        )


def device_problems(name: str, kind: str, connection_type: str, connection: Mapping[str, Any]) -> dict[str, str]:
    """What is wrong with a device's details, by the form field that shows it.

    A device needs a short name and a kind; a serial device its port and standard line settings
    (docs/domain/equipment.md, "Line settings"); a folder device the folder its exports land in; a
    DICOM device its AE title, the only thing the practice's DICOM services let callers in by.
    """
    problems: dict[str, str] = {}
    if not name.strip():
        problems["name"] = "Give the device a short name the clinicians recognise, e.g. ARK-1."
    if kind not in EQUIPMENT_KINDS:
        problems["kind"] = "Choose what kind of device this is."
    if connection_type not in CONNECTION_TYPES:
        problems["connection_type"] = "Choose how the device connects."
    if connection_type == "serial":
        if not str(connection.get("port", "")).strip():
            problems["port"] = "Choose the serial port the device is plugged into."
        problems |= LineSettings.of(connection).problems()
    elif connection_type == "folder" and not str(connection.get("folder", "")).strip():
        problems["folder"] = "Choose the folder the device exports its files to."
    elif connection_type == "dicom" and not str(connection.get("ae_title", "")).strip():
        problems["ae_title"] = "Enter the device's DICOM AE title (from its network settings)."
    return problems


CALIBRATION_KINDS: Final = ("calibration", "service", "repair", "check")
CALIBRATION_RESULTS: Final = ("pass", "adjusted", "fail")


def calibration_problems(kind: str, result: str, performed_by: str, performed_on: date, next_due: date | None,
                         today: date) -> dict[str, str]:
    """What is wrong with a calibration or service record: a record of something that happened
    says what was done, by whom and with what result, never in the future, and the next one is due
    after it (the database checks the last two as well)."""
    problems: dict[str, str] = {}
    if kind not in CALIBRATION_KINDS:
        problems["kind"] = "Choose calibration, service, repair or check."
    if result not in CALIBRATION_RESULTS:
        problems["result"] = "Choose the result."
    if not performed_by.strip():
        problems["performed_by"] = "Who did it (engineer or company)?"
    if performed_on > today:
        problems["performed_on"] = "The date cannot be in the future."
    if next_due is not None and next_due <= performed_on:
        problems["next_due"] = "The next due date must be after the date it was done."
    return problems


class MatchMethod(enum.StrEnum):
    """How a reading found its patient (the rule is ``domain.patient_matching.match_patient``)."""

    DEVICE_ID = "device_id"  # an id the app issued (worklist C-number, patient UUID), not contradicted
    WORKLIST = "worklist"  # the booking UUID the modality worklist gave the device
    NAME_DOB = "name_dob"  # name and date of birth fit exactly one patient (alone, or confirming a bare number)
    ROOM = "room"  # the device sent no patient: the one patient "in test" in the device's room now
    MANUAL = "manual"  # a person assigned it from the unmatched inbox


# --- plausible device values ------------------------------------------------------------------


@dataclass(frozen=True)
class PlausibleRange:
    """The values of one quantity a working instrument can report, inclusive, and why."""

    low: Decimal
    high: Decimal
    unit: str
    why: str

    def holds(self, value: Decimal | int) -> bool:
        return self.low <= value <= self.high


def _decimal_va(logmar: Decimal) -> Decimal:
    """Decimal acuity of a logMAR value, to 0.01 (logMAR 1.30 -> 0.05, -0.30 -> 2.00)."""
    return (Decimal(10) ** -logmar).quantize(Decimal("0.01"))


_AXIS = PlausibleRange(Decimal(0), Decimal(180), "°", "axes are whole degrees 0-180 (0 and 180 are the same meridian)")
_K_RADIUS = PlausibleRange(Decimal(5), Decimal(11), "mm", "the exam record's keratometry range (5-11 mm)")
_K_POWER = PlausibleRange(Decimal(30), Decimal("67.5"), "D", "the exam record's keratometry range (30-67.5 D)")
_IOP = PlausibleRange(IOP_MIN, IOP_MAX, "mmHg", "the exam record's IOP range (1-80 mmHg)")

DEVICE_VALUE_RANGES: Final[dict[str, PlausibleRange]] = {
    "sphere": PlausibleRange(SPHERE_MIN, SPHERE_MAX, "D", "the Rx sphere range (rx.SPHERE_MIN/MAX)"),
    "near_sphere": PlausibleRange(SPHERE_MIN, SPHERE_MAX, "D", "the Rx sphere range (rx.SPHERE_MIN/MAX)"),
    "cylinder": PlausibleRange(CYLINDER_MIN, CYLINDER_MAX, "D", "the Rx cylinder range (rx.CYLINDER_MIN/MAX)"),
    "corneal_cylinder": PlausibleRange(CYLINDER_MIN, CYLINDER_MAX, "D", "the Rx cylinder range"),
    "spherical_equivalent": PlausibleRange(SPHERE_MIN + CYLINDER_MIN / 2, SPHERE_MAX + CYLINDER_MAX / 2, "D",
                                           "sphere plus half the cylinder, each within its Rx range"),
    "axis": _AXIS,
    "k1_axis": _AXIS,
    "k2_axis": _AXIS,
    "corneal_cylinder_axis": _AXIS,
    # A device may report "no add" as 0.00; the Rx rule (more than 0) applies when it becomes an Rx.
    "add": PlausibleRange(Decimal(0), MAX_ADD, "D", "the Rx add limit (rx.MAX_ADD)"),
    "add2": PlausibleRange(Decimal(0), MAX_ADD, "D", "the Rx add limit (rx.MAX_ADD)"),
    # Signed when the device gave no base direction, hence the symmetric range.
    "prism_h": PlausibleRange(Decimal(-20), Decimal(20), "Δ", "the exam record's prism limit (20 Δ)"),
    "prism_v": PlausibleRange(Decimal(-20), Decimal(20), "Δ", "the exam record's prism limit (20 Δ)"),
    "k1_radius_mm": _K_RADIUS,
    "k2_radius_mm": _K_RADIUS,
    "k_average_radius_mm": _K_RADIUS,
    "k1_power": _K_POWER,
    "k2_power": _K_POWER,
    "k_average_power": _K_POWER,
    "iop_mmhg": _IOP,
    "iop_corrected_mmhg": _IOP,
    "pachymetry_um": PlausibleRange(Decimal(250), Decimal(1000), "µm",
                                    "thinnest keratoconic corneas (~250 µm) to marked corneal oedema (~1000 µm); "
                                    "normal is 500-600 µm"),
    "va_decimal": PlausibleRange(_decimal_va(LOGMAR_MAX), _decimal_va(LOGMAR_MIN), "",
                                 "the exam record's logMAR range (-0.30 to 1.30) in decimal notation"),
    "vertex_distance": PlausibleRange(Decimal(0), Decimal(25), "mm",
                                      "0 (contact lens) to 25 mm; spectacle vertex distances are 10-14 mm"),
    "confidence": PlausibleRange(Decimal(0), Decimal(100), "", "confidence indices are 0-9 or a percentage"),
    # The spread of one eye's readings cannot exceed half the width of the range they come from.
    "iop_deviation_mmhg": PlausibleRange(Decimal(0), (IOP_MAX - IOP_MIN) / 2, "mmHg",
                                         "half the exam record's IOP range: wider, the readings are not of one eye"),
    "pachymetry_deviation_um": PlausibleRange(Decimal(0), Decimal(375), "µm",
                                              "half the plausible corneal thickness range (250-1000 µm)"),
}
"""What a device may report for each value of a reading, by ``EyeValues`` field name.

Ranges are the ones the app already applies to a typed-in record wherever one exists (``domain.rx``
for sphere, cylinder and add; ``domain.exam`` for IOP, keratometry, prism, PD and VA) so that a device
reading never carries a value the examination record would refuse; pachymetry, vertex distance and
confidence, which have no exam rule, are given clinical bounds here. A value outside its range is
taken as a corrupt or misread field, not a finding: the device layer drops that value with a
warning (see ``devices.plausibility``).
"""

PD_RANGES: Final[dict[str, PlausibleRange]] = {
    "distance": PlausibleRange(Decimal(40), Decimal(85), "mm", "the exam record's distance PD range"),
    "near": PlausibleRange(Decimal(38), Decimal(82), "mm", "the exam record's near PD range"),
    "right": PlausibleRange(Decimal(20), Decimal(43), "mm", "the exam record's monocular PD range"),
    "left": PlausibleRange(Decimal(20), Decimal(43), "mm", "the exam record's monocular PD range"),
}
"""Pupillary distances a device may report (``PupillaryDistance`` field names), as the exam record's."""
