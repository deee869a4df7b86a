"""Rules about the practice's equipment: calibration due dates, serial line settings, and how an
incoming reading is matched to a patient.

Calibration: manufacturers and the College of Optometrists' guidance expect devices to be
calibrated/serviced at the interval the maker states (commonly yearly); we warn from 30 days before
the due date and flag overdue after it.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from ils_desktop.domain.exam import IOP_MAX, IOP_MIN, LOGMAR_MAX, LOGMAR_MIN
from ils_desktop.domain.rx import CYLINDER_MAX, CYLINDER_MIN, MAX_ADD, SPHERE_MAX, SPHERE_MIN

DUE_SOON_DAYS = 30

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


class MatchMethod(enum.StrEnum):
    """How a reading found its patient (the rule is ``domain.patient_matching.match_patient``)."""

    DEVICE_ID = "device_id"  # an id the app issued (worklist C-number, patient UUID), not contradicted
    WORKLIST = "worklist"  # the booking UUID the modality worklist gave the device
    NAME_DOB = "name_dob"  # name and date of birth fit exactly one patient (alone, or confirming a bare number)
    ROOM = "room"  # the device sent no patient: the one patient "in test" in the device's room now
    MANUAL = "manual"  # a person assigned it from the unmatched inbox


def customer_number_from_device_id(device_patient_id: str | None) -> int | None:
    """Devices echo the id we gave them (worklist) or a typed one: ``C000042``, ``42``, ``P-42``."""
    if not device_patient_id:
        return None
    digits = re.sub(r"^[A-Za-z-]*0*", "", device_patient_id.strip())
    return int(digits) if digits.isdigit() and len(digits) <= 9 else None


def split_device_name(name: str | None) -> tuple[str, str] | None:
    """(family, given) from a device's patient name: DICOM ``FAMILY^GIVEN``, ``Family, Given`` or
    ``Given Family``."""
    if not name or not name.strip():
        return None
    text = name.strip()
    if "^" in text:
        family, _, given = text.partition("^")
        return family.strip(), given.split("^")[0].strip()
    if "," in text:
        family, _, given = text.partition(",")
        return family.strip(), given.strip()
    parts = text.split()
    if len(parts) < 2:
        return None
    return parts[-1], " ".join(parts[:-1])


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
