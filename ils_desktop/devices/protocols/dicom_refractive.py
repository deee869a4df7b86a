"""DICOM ophthalmic refractive measurement objects (Lensometry, Autorefraction, Keratometry,
Subjective Refraction, Visual Acuity).

These arrive over the network (the practice's Storage SCP; bridges push them) or as ``.dcm`` files.
Attributes read (docs/domain/equipment.md, "DICOM"; tags from the DICOM standard as in pydicom's
dictionary):

=================================  ==============================  ====================================
SOP class                          per-eye sequences               values read inside an eye item
=================================  ==============================  ====================================
Lensometry ``…78.1`` (LEN)         RightLensSequence (0046,0014),  SpherePower (0046,0146),
                                   LeftLensSequence (0046,0015),   CylinderSequence (0046,0018) >
                                   UnspecifiedLaterality… (0046,   CylinderPower (0046,0147) +
                                   0016) -> eye ``U``              CylinderAxis (0022,0009);
Autorefraction ``…78.2`` (AR)      Autorefraction{Right,Left}Eye-  PrismSequence (0046,0028) >
                                   Sequence (0046,0050)/(0046,     Horizontal/VerticalPrismPower +
                                   0052)                           Base (IN/OUT, UP/DOWN);
Subjective Refraction ``…78.4``    SubjectiveRefraction{Right,     AddNearSequence (0046,0100) >
(SRF)                              Left}EyeSequence (0046,0097)/   AddPower (0046,0104) -> ``add``;
                                   (0046,0098)                     AddIntermediateSequence -> ``add2``;
                                                                   VertexDistance (0022,000F)
Keratometry ``…78.3`` (KER)        Keratometry{Right,Left}Eye-     Flat (0046,0080) / Steep (0046,0074)
                                   Sequence (0046,0070)/(0046,     KeratometricAxisSequence >
                                   0071)                           RadiusOfCurvature, Keratometric-
                                                                   Power, KeratometricAxis; flat = K1,
                                                                   steep = K2
Visual Acuity ``…78.5`` (VA)       VisualAcuity{Right,Left}Eye-    DecimalVisualAcuity (0046,0137)
                                   Sequence, …BothEyesOpen… -> B
=================================  ==============================  ====================================

PD: DistancePupillaryDistance (0046,0060) and NearPupillaryDistance (0046,0062) at the top level.
Device and patient: Manufacturer, ManufacturerModelName, DeviceSerialNumber, PatientID; time from
ContentDate/ContentTime (else AcquisitionDateTime, else StudyDate/StudyTime) with
TimezoneOffsetFromUTC when present. The values are binary floats (FD/FL) in DICOM; they become the
Decimal the sender meant (-2.25, not -2.2499999).

Several items in one eye sequence are kept as readings; the representative is the median for
autorefraction/keratometry and the first item otherwise (for VA the first distance item), because
items there are different conditions, not repeats. There is no IOP object; IOP arriving as Raw
Data is not read here.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from pydicom import dcmread, dcmwrite
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.uid import (
    AutorefractionMeasurementsStorage,
    KeratometryMeasurementsStorage,
    LensometryMeasurementsStorage,
    SubjectiveRefractionMeasurementsStorage,
    VisualAcuityMeasurementsStorage,
)

from ils_desktop.devices.measurement import (
    Eye,
    EyeSide,
    EyeValues,
    HorizontalPrismBase,
    Measurement,
    MeasurementKind,
    ParseError,
    PupillaryDistance,
    VerticalPrismBase,
)
from ils_desktop.devices.plausibility import MAX_INPUT_BYTES, plausible
from ils_desktop.devices.protocols.base import (
    DeviceProtocol,
    check_reading_count,
    clean_text,
    decimal_from_float,
    eye_side,
    local_datetime,
    prism_base,
)

NAME = "dicom_refractive"


@dataclass(frozen=True)
class _ObjectType:
    kind: MeasurementKind
    sequences: tuple[tuple[str, str], ...]  # (eye, keyword)


OBJECT_TYPES: dict[str, _ObjectType] = {
    LensometryMeasurementsStorage: _ObjectType(
        MeasurementKind.LENSOMETRY,
        (
            (Eye.RIGHT, "RightLensSequence"),
            (Eye.LEFT, "LeftLensSequence"),
            (Eye.UNSIDED, "UnspecifiedLateralityLensSequence"),
        ),
    ),
    AutorefractionMeasurementsStorage: _ObjectType(
        MeasurementKind.AUTOREFRACTION,
        ((Eye.RIGHT, "AutorefractionRightEyeSequence"), (Eye.LEFT, "AutorefractionLeftEyeSequence")),
    ),
    KeratometryMeasurementsStorage: _ObjectType(
        MeasurementKind.KERATOMETRY,
        ((Eye.RIGHT, "KeratometryRightEyeSequence"), (Eye.LEFT, "KeratometryLeftEyeSequence")),
    ),
    SubjectiveRefractionMeasurementsStorage: _ObjectType(
        MeasurementKind.SUBJECTIVE_REFRACTION,
        (
            (Eye.RIGHT, "SubjectiveRefractionRightEyeSequence"),
            (Eye.LEFT, "SubjectiveRefractionLeftEyeSequence"),
        ),
    ),
    VisualAcuityMeasurementsStorage: _ObjectType(
        MeasurementKind.VISUAL_ACUITY,
        (
            (Eye.RIGHT, "VisualAcuityRightEyeSequence"),
            (Eye.LEFT, "VisualAcuityLeftEyeSequence"),
            (Eye.BINOCULAR, "VisualAcuityBothEyesOpenSequence"),
        ),
    ),
}
"""The five refractive measurement SOP classes and their per-eye sequences."""


class DicomRefractiveProtocol(DeviceProtocol):
    name = NAME
    description = (
        "DICOM ophthalmic refractive measurements: Lensometry, Autorefraction, Keratometry, "
        "Subjective Refraction, Visual Acuity (Part 10 files or encoded datasets)"
    )

    def sniff(self, data: bytes) -> bool:
        return data[128:132] == b"DICM"

    def _parse(self, data: bytes) -> list[Measurement]:
        if len(data) < 8:
            raise ParseError("not a DICOM file: too short")
        try:
            # A Part 10 file has the DICM preamble; a bare dataset (as some bridges save it) is
            # read with force when it starts like one (group 0002 or 0008, little endian).
            force = data[128:132] != b"DICM" and data[:2] in (b"\x02\x00", b"\x08\x00")
            dataset = dcmread(io.BytesIO(data), force=force)
            _check_complete(dataset, len(data), data[-8:])
        except ParseError:
            raise
        except Exception as exc:  # pydicom raises many types for bad input; all mean "unreadable"
            raise ParseError(f"not a readable DICOM file: {exc}") from None
        return parse_dataset(dataset, raw=data)


def _check_complete(dataset: Dataset, size: int, tail: bytes | None = None) -> None:
    """Refuse a file that ends part-way through an element (copied while still being written).

    pydicom stops quietly at the end of the bytes, dropping a half-read element or keeping a short
    value, so the element positions it recorded are compared with the file size here. A file cut
    exactly between two elements cannot be told from a complete one; the folder watcher's
    "wait until the size is stable" rule covers that.
    """
    last_end = 0
    last_tag = last_raw_tag = -1
    for tag in sorted(dataset.keys()):
        element = dataset.get_item(tag)
        if not isinstance(element, RawDataElement) or element.length == 0xFFFFFFFF:
            last_tag = max(last_tag, int(tag))
            continue
        end = element.value_tell + element.length
        if end > size or (element.value is not None and len(element.value) < element.length):
            raise ParseError(f"incomplete DICOM file: element {tag} is cut off")
        if end >= last_end:
            last_end, last_raw_tag = end, int(tag)
            last_tag = max(last_tag, last_raw_tag)
    if last_end and last_tag == last_raw_tag and 0 < size - last_end < 8:
        raise ParseError("incomplete DICOM file: it ends part-way through an element header")
    if last_tag > last_raw_tag and tail is not None and tail not in _SEQUENCE_DELIMITERS:
        # The last element is an undefined-length sequence: the file must end with its delimiter.
        raise ParseError("incomplete DICOM file: the last sequence has no end marker")


# Sequence Delimitation Item (FFFE,E0DD) with zero length, little and big endian.
_SEQUENCE_DELIMITERS = (b"\xfe\xff\xdd\xe0\x00\x00\x00\x00", b"\xff\xfe\xe0\xdd\x00\x00\x00\x00")


def parse_dataset(dataset: Dataset, raw: bytes | None = None) -> list[Measurement]:
    """Measurements from a pydicom Dataset (e.g. ``event.dataset`` in a C-STORE handler).

    ``raw`` is the encoded object to keep for audit; when not given the dataset is encoded here.
    """
    if raw is None:
        raw = _encode(dataset)
    if len(raw) > MAX_INPUT_BYTES:
        raise ParseError(f"the DICOM object is {len(raw):,} bytes, more than a refractive measurement ever is", raw)
    try:
        return plausible([_measurement(dataset, raw)])
    except ParseError as exc:
        raise exc.with_raw(raw) from None
    except Exception as exc:
        # pydicom decodes element values lazily, so a corrupt value only fails here, with any type.
        raise ParseError(f"DICOM object could not be read: {exc}", raw) from None


def _encode(dataset: Dataset) -> bytes:
    buffer = io.BytesIO()
    try:
        dcmwrite(buffer, dataset)
    except Exception:  # an in-memory dataset without transfer syntax: audit copy is best effort
        return b""
    return buffer.getvalue()


def _sop_class(dataset: Dataset) -> str | None:
    sop_class = dataset.get("SOPClassUID")
    if sop_class is None and hasattr(dataset, "file_meta"):
        sop_class = dataset.file_meta.get("MediaStorageSOPClassUID")
    return str(sop_class) if sop_class is not None else None


def _measurement(dataset: Dataset, raw: bytes) -> Measurement:
    sop_class = _sop_class(dataset)
    object_type = OBJECT_TYPES.get(sop_class or "")
    if object_type is None:
        # No or another SOP class: recognise the object by which eye sequences it carries.
        object_type = next(
            (t for t in OBJECT_TYPES.values() if any(keyword in dataset for _, keyword in t.sequences)), None
        )
        if object_type is None:
            raise ParseError(
                f"DICOM object is not a refractive measurement (SOP class {sop_class or 'missing'})"
            )
    warnings: list[str] = []
    eyes: dict[str, EyeSide] = {}
    for eye, keyword in object_type.sequences:
        items: Sequence[Dataset] = dataset.get(keyword) or []
        check_reading_count(len(items), f"{eye} {keyword}")  # before decoding any of them
        readings = [
            _eye_values(item, object_type.kind, f"{eye} item {n}") for n, item in enumerate(items, start=1)
        ]
        readings = [r for r in readings if not r.is_empty()]
        if not readings:
            continue
        eyes[eye] = _side(object_type.kind, readings, list(items))
    if not eyes:
        raise ParseError(f"DICOM {object_type.kind} object has no eye values")
    pd = PupillaryDistance(
        distance=_decimal(dataset, "DistancePupillaryDistance"),
        near=_decimal(dataset, "NearPupillaryDistance"),
    )
    extras: dict[str, str] = {}
    for keyword, key in (
        ("SOPInstanceUID", "sop_instance_uid"),
        ("MeasurementLaterality", "laterality"),
        ("Modality", "modality"),
    ):
        value = dataset.get(keyword)
        if value not in (None, ""):
            extras[key] = str(value)
    return Measurement(
        kind=object_type.kind,
        protocol=NAME,
        maker=clean_text(_text(dataset, "Manufacturer")),
        model=clean_text(_text(dataset, "ManufacturerModelName")),
        serial=clean_text(_text(dataset, "DeviceSerialNumber")),
        patient_id=clean_text(_text(dataset, "PatientID")),
        taken_at=_taken_at(dataset),
        eyes=eyes,
        pd=pd,
        warnings=warnings,
        extras=extras,
        raw=raw,
    )


def _side(kind: MeasurementKind, readings: list[EyeValues], items: list[Dataset]) -> EyeSide:
    if kind in (MeasurementKind.AUTOREFRACTION, MeasurementKind.KERATOMETRY):
        return eye_side(readings)  # the median of the items
    if kind is MeasurementKind.VISUAL_ACUITY:
        distance = [
            r
            for r, item in zip(readings, items, strict=False)
            if str(item.get("ViewingDistanceType", "")).upper() == "DISTANCE"
        ]
        return eye_side(readings, (distance or readings)[0])
    return eye_side(readings, readings[0])


def _text(dataset: Dataset, keyword: str) -> str | None:
    value = dataset.get(keyword)
    return str(value) if value not in (None, "") else None


def _decimal(dataset: Dataset, keyword: str) -> Decimal | None:
    value = dataset.get(keyword)
    if value is None or value == "":
        return None
    if isinstance(value, list | tuple):  # multi-valued by mistake: the first value is the reading
        value = value[0]
    return decimal_from_float(float(value))


def _axis(dataset: Dataset, keyword: str, what: str) -> int | None:
    value = _decimal(dataset, keyword)
    if value is None:
        return None
    axis = int(value.to_integral_value())
    if not 0 <= axis <= 180:
        raise ParseError(f"{what}: axis {value} is not 0-180")
    return axis


def _first(dataset: Dataset, keyword: str) -> Dataset | None:
    items = dataset.get(keyword)
    return items[0] if items else None


def _eye_values(item: Dataset, kind: MeasurementKind, what: str) -> EyeValues:
    if kind is MeasurementKind.KERATOMETRY:
        flat = _first(item, "FlatKeratometricAxisSequence")
        steep = _first(item, "SteepKeratometricAxisSequence")
        values: dict[str, Any] = {}
        for prefix, meridian in (("k1", flat), ("k2", steep)):
            if meridian is None:
                continue
            values[f"{prefix}_radius_mm"] = _decimal(meridian, "RadiusOfCurvature")
            values[f"{prefix}_power"] = _decimal(meridian, "KeratometricPower")
            values[f"{prefix}_axis"] = _axis(meridian, "KeratometricAxis", f"{what} {prefix}")
        return EyeValues(**values)
    if kind is MeasurementKind.VISUAL_ACUITY:
        return EyeValues(va_decimal=_decimal(item, "DecimalVisualAcuity"))
    values = EyeValues(sphere=_decimal(item, "SpherePower"), vertex_distance=_decimal(item, "VertexDistance"))
    cylinder = _first(item, "CylinderSequence")
    if cylinder is not None:
        values = replace(
            values, cylinder=_decimal(cylinder, "CylinderPower"), axis=_axis(cylinder, "CylinderAxis", what)
        )
    prism = _first(item, "PrismSequence")
    if prism is not None:
        values = _prisms(values, prism, what)
    near = _first(item, "AddNearSequence")
    if near is not None:
        values = replace(values, add=_decimal(near, "AddPower"))
    intermediate = _first(item, "AddIntermediateSequence")
    if intermediate is not None:
        values = replace(values, add2=_decimal(intermediate, "AddPower"))
    return values


def _prisms(values: EyeValues, prism: Dataset, what: str) -> EyeValues:
    horizontal = _decimal(prism, "HorizontalPrismPower")
    if horizontal:
        base = prism_base(_text(prism, "HorizontalPrismBase") or "")
        if not isinstance(base, HorizontalPrismBase):
            raise ParseError(
                f"{what}: horizontal prism base {_text(prism, 'HorizontalPrismBase')!r} is not IN/OUT"
            )
        values = replace(values, prism_h=abs(horizontal), prism_h_base=base)
    vertical = _decimal(prism, "VerticalPrismPower")
    if vertical:
        base = prism_base(_text(prism, "VerticalPrismBase") or "")
        if not isinstance(base, VerticalPrismBase):
            raise ParseError(
                f"{what}: vertical prism base {_text(prism, 'VerticalPrismBase')!r} is not UP/DOWN"
            )
        values = replace(values, prism_v=abs(vertical), prism_v_base=base)
    return values


def _ascii_digits(text: str) -> bool:
    """Only 0-9: ``str.isdigit()`` also accepts "²" and "٣", which ``int()`` then refuses or misreads."""
    return bool(text) and all("0" <= ch <= "9" for ch in text)


def _dicom_date(value: object) -> date | None:
    text = str(value or "").strip()
    if len(text) < 8 or not _ascii_digits(text[:8]):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def _dicom_time(value: object) -> time | None:
    text = str(value or "").strip().split(".")[0].replace(":", "")
    if len(text) < 2 or not _ascii_digits(text):
        return None
    try:
        return time(int(text[:2]), int(text[2:4] or 0), int(text[4:6] or 0))
    except ValueError:
        return None


def _offset(value: object) -> timezone | None:
    text = str(value or "").strip()
    if len(text) != 5 or text[0] not in "+-" or not _ascii_digits(text[1:]):
        return None
    minutes = int(text[1:3]) * 60 + int(text[3:5])
    if minutes >= 24 * 60:
        return None
    return UTC if minutes == 0 else timezone(timedelta(minutes=minutes if text[0] == "+" else -minutes))


def _taken_at(dataset: Dataset) -> datetime | None:
    day = _dicom_date(dataset.get("ContentDate"))
    at = _dicom_time(dataset.get("ContentTime"))
    if day is None or at is None:
        acquisition = str(dataset.get("AcquisitionDateTime") or "")
        day, at = _dicom_date(acquisition[:8]), _dicom_time(acquisition[8:])
        if "+" in acquisition[8:] or "-" in acquisition[8:]:
            sign_at = max(acquisition.rfind("+"), acquisition.rfind("-"))
            zone = _offset(acquisition[sign_at:])
            if day and at and zone:
                return datetime.combine(day, at, tzinfo=zone)
    if day is None or at is None:
        day, at = _dicom_date(dataset.get("StudyDate")), _dicom_time(dataset.get("StudyTime"))
    if day is None or at is None:
        return None
    zone = _offset(dataset.get("TimezoneOffsetFromUTC"))
    if zone is not None:
        return datetime.combine(day, at, tzinfo=zone)
    return local_datetime(day, at)
