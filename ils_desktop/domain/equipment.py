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
    """RS-232 settings of a device port (equipment.md: e.g. Nidek ARK 9600 8E1, Huvitz CLM 9600 7E1,
    Nidek RT phoropters 2400 7E2 with DTR asserted)."""

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
    """How a reading found its patient, in the order they are tried (equipment.md, "Matching")."""

    DEVICE_ID = "device_id"  # the patient id the device sent is our customer number / patient id
    WORKLIST = "worklist"  # the id the modality worklist gave the device for today's booking
    NAME_DOB = "name_dob"  # exactly one patient with that name and date of birth
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
