"""What a stored DICOM object says about itself (read from its header, never its pixels), and its
pixels decoded within the pixel budget.

Every value here came from a device on the network or a file someone imported: text is cut to one
line of a sane length, UIDs must pass the UID grammar, numbers must be in range, and an image whose
header asks for more memory than the pixel budget (``domain.imaging.pixel_problem``) is refused
before a decoder sees it. Compressed pixel data (JPEG baseline/extended/lossless, JPEG-LS, JPEG 2000,
RLE) is decoded by pydicom's pixel handlers with the pylibjpeg plugins (libjpeg, OpenJPEG, RLE).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from pydicom import dcmread
from pydicom.dataset import Dataset

from ils_desktop.devices.measurement import one_line
from ils_desktop.devices.transports.dicom_access import valid_uid
from ils_desktop.domain.imaging import PixelGeometry, object_kind, pixel_problem

PDF = "1.2.840.10008.5.1.4.1.1.104.1"
MAX_PDF_BYTES = 32 * 1024 * 1024


class ObjectProblem(ValueError):
    """The object cannot be stored or shown; the message says why (never a patient detail)."""


@dataclass(frozen=True)
class ObjectFacts:
    """The header of one object, as the store's metadata table keeps it."""

    kind: str
    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax_uid: str
    study_instance_uid: str | None = None
    series_instance_uid: str | None = None
    accession_number: str | None = None
    requested_procedure_id: str | None = None
    step_id: str | None = None
    modality: str | None = None
    laterality: str | None = None
    description: str | None = None
    acquired_at: datetime | None = None  # naive when the object gave no offset (then practice time)
    rows: int | None = None
    columns: int | None = None
    frames: int | None = None
    bits_allocated: int | None = None
    bits_stored: int | None = None
    samples_per_pixel: int | None = None
    photometric: str | None = None
    patient_id: str | None = None
    patient_name: str | None = None
    patient_birth_date: date | None = None

    @property
    def geometry(self) -> PixelGeometry | None:
        if not self.rows or not self.columns:
            return None
        return PixelGeometry(self.rows, self.columns, 1 if self.frames is None else self.frames,
                             self.samples_per_pixel or 1, self.bits_allocated or 8)


def _text(ds: Dataset, keyword: str, limit: int = 64) -> str | None:
    try:
        value = ds.get(keyword)
    except Exception:
        return None
    text = one_line(str(value or ""), limit).strip()
    return text or None


def _uid(ds: Dataset, keyword: str) -> str | None:
    value = _text(ds, keyword, 64)
    return value if valid_uid(value) else None


def _int(ds: Dataset, keyword: str, low: int = 0, high: int = 1 << 31) -> int | None:
    try:
        value = ds.get(keyword)
        number = int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
    return number if number is not None and low <= number <= high else None


def _date(value: object) -> date | None:
    text = str(value or "").strip()
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def _time(value: object) -> time | None:
    text = str(value or "").strip().replace(":", "").split(".")[0]
    if len(text) < 4 or not text[:6].isdigit():
        return None
    try:
        return time(int(text[:2]), int(text[2:4]), int(text[4:6]) if len(text) >= 6 else 0)
    except ValueError:
        return None


def _offset(value: object) -> timezone | None:
    text = str(value or "").strip()
    if len(text) != 5 or text[0] not in "+-" or not text[1:].isdigit():
        return None
    minutes = int(text[1:3]) * 60 + int(text[3:5])
    if minutes > 14 * 60:
        return None
    return timezone(timedelta(minutes=minutes if text[0] == "+" else -minutes))


def acquired_at(ds: Dataset) -> datetime | None:
    """When the image was taken: AcquisitionDateTime, else Acquisition/Content/Study date and time
    (PS3.3 C.7.6.1, C.8.17.1). Aware when the object gives an offset, else naive (device's clock)."""
    zone = _offset(ds.get("TimezoneOffsetFromUTC"))
    moment = str(ds.get("AcquisitionDateTime", "") or "").strip()
    if len(moment) >= 12:
        day, at = _date(moment[:8]), _time(moment[8:14])
        zone = _offset(moment[-5:]) if moment[-5:-4] in "+-" else zone
        if day and at:
            return datetime.combine(day, at, zone)
    for day_key, time_key in (("AcquisitionDate", "AcquisitionTime"), ("ContentDate", "ContentTime"),
                              ("StudyDate", "StudyTime")):
        day = _date(ds.get(day_key))
        if day:
            return datetime.combine(day, _time(ds.get(time_key)) or time(0, 0), zone)
    return None


def facts_of(ds: Dataset, transfer_syntax_uid: str) -> ObjectFacts:
    """Read an object's header. Raises :class:`ObjectProblem` for an object that may not be stored:
    invalid UIDs, an image whose size is outside the pixel budget, or a header pydicom cannot read
    (it decodes lazily, so a damaged element may fail on any access)."""
    try:
        return _facts_of(ds, transfer_syntax_uid)
    except ObjectProblem:
        raise
    except Exception as error:
        raise ObjectProblem(f"its header could not be read ({type(error).__name__})") from error


def _facts_of(ds: Dataset, transfer_syntax_uid: str) -> ObjectFacts:
    sop_class = _text(ds, "SOPClassUID", 64) or ""
    instance = str(ds.get("SOPInstanceUID", "") or "")
    if not valid_uid(instance):
        raise ObjectProblem("its SOP Instance UID is not a valid DICOM UID")
    if not valid_uid(sop_class):
        raise ObjectProblem("its SOP Class UID is not valid")
    request = None
    try:
        sequence = ds.get("RequestAttributesSequence")
        request = sequence[0] if sequence else None
    except Exception:
        request = None
    facts = ObjectFacts(
        kind=object_kind(sop_class), sop_class_uid=sop_class, sop_instance_uid=instance,
        transfer_syntax_uid=transfer_syntax_uid if valid_uid(transfer_syntax_uid) else "",
        study_instance_uid=_uid(ds, "StudyInstanceUID"), series_instance_uid=_uid(ds, "SeriesInstanceUID"),
        accession_number=_text(ds, "AccessionNumber", 16),
        requested_procedure_id=_text(request, "RequestedProcedureID", 16) if request is not None else None,
        step_id=_text(request, "ScheduledProcedureStepID", 16) if request is not None else None,
        modality=_text(ds, "Modality", 16),
        laterality=_text(ds, "ImageLaterality", 4) or _text(ds, "Laterality", 4),
        description=(_text(ds, "DocumentTitle", 120) or _text(ds, "SeriesDescription", 120)
                     or _text(ds, "StudyDescription", 120)),
        acquired_at=acquired_at(ds),
        rows=_int(ds, "Rows", 0, 65535), columns=_int(ds, "Columns", 0, 65535),
        frames=_int(ds, "NumberOfFrames", 0, 1 << 20) if "NumberOfFrames" in ds else (1 if "Rows" in ds else None),
        bits_allocated=_int(ds, "BitsAllocated", 0, 64), bits_stored=_int(ds, "BitsStored", 0, 64),
        samples_per_pixel=_int(ds, "SamplesPerPixel", 0, 8), photometric=_text(ds, "PhotometricInterpretation", 16),
        patient_id=_text(ds, "PatientID", 64), patient_name=_text(ds, "PatientName", 200),
        patient_birth_date=_date(ds.get("PatientBirthDate")),
    )
    if "PixelData" in ds:
        geometry = facts.geometry
        if geometry is None:
            raise ObjectProblem("it has pixel data but no image size")
        problem = pixel_problem(geometry)
        if problem:
            raise ObjectProblem(f"the image is refused: {problem}")
    if sop_class == PDF:
        document_problem(ds)
    return facts


def document_problem(ds: Dataset) -> None:
    mime = _text(ds, "MIMETypeOfEncapsulatedDocument", 64) or ""
    if mime.lower() != "application/pdf":
        raise ObjectProblem("an encapsulated document that is not a PDF")
    data = ds.get("EncapsulatedDocument")
    if not isinstance(data, bytes) or not data.lstrip(b"\0 \r\n\t")[:5] == b"%PDF-":
        raise ObjectProblem("its encapsulated document is not a PDF")
    if len(data) > MAX_PDF_BYTES:
        raise ObjectProblem("its encapsulated document is too large")


# --- reading a stored object ---------------------------------------------------------------------

@dataclass
class OpenedObject:
    """A stored object opened for viewing: its header facts and the means to decode its frames."""

    facts: ObjectFacts
    dataset: Dataset
    _frames: dict[int, Any] = field(default_factory=dict)

    def frame(self, index: int = 0) -> Any:
        """The pixels of frame ``index`` as a numpy array (rows, columns[, 3]), decoded once."""
        from pydicom.pixels import pixel_array

        frames = self.facts.frames or 1
        if not 0 <= index < frames:
            raise ObjectProblem("there is no such frame")
        if index not in self._frames:
            try:
                array = pixel_array(self.dataset, index=index, raw=False)
            except Exception as error:
                raise ObjectProblem(f"its pixels could not be decoded ({type(error).__name__})") from error
            if array.ndim == 3 and self.facts.samples_per_pixel == 1:
                array = array[0]
            self._frames[index] = array
        return self._frames[index]

    def pdf(self) -> bytes:
        try:
            document_problem(self.dataset)
            return bytes(self.dataset.EncapsulatedDocument)
        except ObjectProblem:
            raise
        except Exception as error:
            raise ObjectProblem(f"its document could not be read ({type(error).__name__})") from error

    def field_points(self) -> list[tuple[float, float, float | None]]:
        """Visual field test points (x, y in degrees, sensitivity in dB or None when not seen) of an
        80.1 object (PS3.3 C.8.26.5: Visual Field Test Point Sequence)."""
        try:
            return self._field_points()
        except Exception as error:
            raise ObjectProblem(f"its field results could not be read ({type(error).__name__})") from error

    def _field_points(self) -> list[tuple[float, float, float | None]]:
        points = []
        for item in self.dataset.get("VisualFieldTestPointSequence", []) or []:
            try:
                x = float(item.VisualFieldTestPointXCoordinate)
                y = float(item.VisualFieldTestPointYCoordinate)
            except (AttributeError, TypeError, ValueError):
                continue
            value = item.get("SensitivityValue")
            try:
                sensitivity = float(value) if value not in (None, "") else None
            except (TypeError, ValueError):
                sensitivity = None
            if abs(x) <= 90 and abs(y) <= 90:
                points.append((x, y, sensitivity))
        return points[:2000]


def open_object(data: bytes) -> OpenedObject:
    """Parse a stored Part 10 file (header checked against the pixel budget before any decoding)."""
    try:
        ds = dcmread(io.BytesIO(data), force=False)
    except Exception as error:
        raise ObjectProblem(f"the file is not a DICOM object ({type(error).__name__})") from error
    transfer = str(getattr(ds.file_meta, "TransferSyntaxUID", "") or "")
    return OpenedObject(facts_of(ds, transfer), ds)
