"""What a transport hands over: the measurements it read, or why it could not read them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ils_desktop.devices.measurement import Measurement


@dataclass(frozen=True)
class Received:
    """One frame, file or DICOM object. ``raw`` is always kept, parsed or not."""

    raw: bytes
    source: str  # "serial:/dev/ttyUSB0", "folder:/exports/x.xml", "dicom:ARK1"
    measurements: list[Measurement] = field(default_factory=list)
    error: str | None = None
    protocol: str | None = None
    file_path: Path | None = None
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # What the device said about the patient (DICOM/JOIA headers), when known.
    patient_id: str | None = None
    patient_name: str | None = None
    patient_birth_date: Any = None
    dicom: dict[str, str] = field(default_factory=dict)  # SOP class/instance, study, modality, calling AE
    # A DICOM object in the content-addressed store: its header (devices.imaging.dicom_object.ObjectFacts),
    # the SHA-256 that names its file, and its size.
    facts: Any = None
    content_sha256: str = ""
    size: int = 0

    @property
    def kind(self) -> str:
        return self.source.split(":", 1)[0]
