"""Building realistic device output from values: the other direction of the parsers.

Pure functions used by the round-trip tests now and by device simulators (demo mode, a fake serial
port for training) later. Each builder writes the layout its parser reads (see the protocol modules
and docs/domain/equipment.md), with a correct Nidek checksum unless told otherwise.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from pydicom import dcmwrite
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from ils_desktop.devices.framing import CR, EOT, ETB, SOH, STX, nidek_checksum
from ils_desktop.devices.measurement import (
    Eye,
    EyeValues,
    HorizontalPrismBase,
    MeasurementKind,
    VerticalPrismBase,
)
from ils_desktop.devices.protocols.dicom_refractive import OBJECT_TYPES

# --- Nidek block frames ----------------------------------------------------------------------------


def nidek_frame(
    block_id: str,
    records: Sequence[str],
    *,
    checksum: bool = True,
    cr_after_records: bool = False,
    trailing_cr: bool = False,
    wrong_checksum: bool = False,
) -> bytes:
    """``SOH <block id> STX <record> ETB [CR] ... EOT [checksum] [CR]``.

    ``wrong_checksum`` writes a checksum that does not match (for testing the warning).
    """
    body = bytearray([SOH]) + block_id.encode("ascii") + bytes([STX])
    for record in records:
        body += record.encode("ascii") + bytes([ETB])
        if cr_after_records:
            body.append(CR)
    body.append(EOT)
    if checksum:
        value = nidek_checksum(bytes(body))
        if wrong_checksum:
            value = f"{(int(value, 16) + 1) & 0xFFFF:04X}"
        body += value.encode("ascii")
    if trailing_cr:
        body.append(CR)
    return bytes(body)


def nidek_dioptre(value: Decimal, *, signed: bool = True) -> str:
    """Sign + ``DD.DD`` with a leading zero (``-02.25``, ``+00.00``); unsigned ``DD.DD`` for adds."""
    value = Decimal(value).quantize(Decimal("0.01"))
    if abs(value) >= 100:
        raise ValueError(f"{value} does not fit the DD.DD field")
    digits = f"{abs(value):05.2f}"
    if not signed:
        if value < 0:
            raise ValueError(f"unsigned field cannot hold {value}")
        return digits
    return ("-" if value < 0 else "+") + digits


def nidek_axis(axis: int) -> str:
    """Axis zero-padded to three digits (``095``)."""
    if not 0 <= axis <= 180:
        raise ValueError(f"axis {axis} is not 0-180")
    return f"{axis:03d}"


def _eye_code(eye: str) -> str:
    return {"R": "R", "L": "L", "U": " "}[eye]


def _id_record(maker: str, model: str | None) -> list[str]:
    return [f"ID{maker}/{model}"] if model else []


def nidek_lensmeter_frame(
    lenses: Mapping[str, EyeValues],
    *,
    maker: str = "NIDEK",
    model: str | None = "LM-1000P",
    checksum: bool = True,
    cr_after_records: bool = False,
    trailing_cr: bool = False,
    wrong_checksum: bool = False,
) -> bytes:
    """A DLM frame: per lens (R, L or U) SPH CYL AXIS, add, second add, near sphere and prisms."""
    records = _id_record(maker, model)
    for eye in (Eye.RIGHT, Eye.LEFT, Eye.UNSIDED):
        lens = lenses.get(eye)
        if lens is None:
            continue
        code = _eye_code(eye)
        records.append(
            f" {code}{nidek_dioptre(lens.sphere or Decimal(0))}"
            f"{nidek_dioptre(lens.cylinder or Decimal(0))}{nidek_axis(lens.axis or 0)}"
        )
        if lens.add is not None:
            records.append(f"A{code}{nidek_dioptre(lens.add, signed=False)}")
            if lens.add2 is not None:
                records.append(nidek_dioptre(lens.add2, signed=False))
        if lens.near_sphere is not None:
            records.append(f"N{code}{nidek_dioptre(lens.near_sphere)}")
        if lens.prism_h is not None and lens.prism_h_base is not None:
            records.append(f"P{code}{nidek_dioptre(lens.prism_h, signed=False)}{lens.prism_h_base.value[0]}")
        if lens.prism_v is not None and lens.prism_v_base is not None:
            records.append(f"P{code}{nidek_dioptre(lens.prism_v, signed=False)}{lens.prism_v_base.value[0]}")
    return nidek_frame(
        "DLM",
        records,
        checksum=checksum,
        cr_after_records=cr_after_records,
        trailing_cr=trailing_cr,
        wrong_checksum=wrong_checksum,
    )


def nidek_ark_frame(
    readings: Mapping[str, Sequence[EyeValues]],
    *,
    model: str | None = "ARK-1a",
    vertex_distance: Decimal | None = Decimal("12.00"),
    pd_distance: int | None = None,
    pd_near: int | None = None,
    number: str = "0001",
    checksum: bool = True,
    cr_after_records: bool = False,
) -> bytes:
    """A DRM frame: ``OR``/``OL`` per reading (confidence digit when set), VD, WD, PD."""
    records = [*_id_record("NIDEK", model), f"NO{number}"]
    if vertex_distance is not None:
        records.append(f"VD{nidek_dioptre(vertex_distance, signed=False)}")
    records.append("WD35")
    for eye in (Eye.RIGHT, Eye.LEFT):
        for reading in readings.get(eye, ()):
            confidence = "" if reading.confidence is None else str(int(reading.confidence))
            records.append(
                f"O{eye}{nidek_dioptre(reading.sphere or Decimal(0))}"
                f"{nidek_dioptre(reading.cylinder or Decimal(0))}{nidek_axis(reading.axis or 0)}"
                f"{confidence}"
            )
    if pd_distance is not None:
        near = f"{pd_near:02d}" if pd_near is not None else ""
        records.append(f"PD{pd_distance:02d}????{near}")
    return nidek_frame("DRM", records, checksum=checksum, cr_after_records=cr_after_records)


def nidek_kerato_frame(
    readings: Mapping[str, Sequence[EyeValues]], *, model: str | None = None, checksum: bool = True
) -> bytes:
    """A DKM frame: `` R`` R1 R2 AXIS AVERAGE (mm) and ``DR`` R1 R2 AXIS AVERAGE CYL (D) per reading."""
    records = _id_record("NIDEK", model)
    for eye in (Eye.RIGHT, Eye.LEFT):
        for k in readings.get(eye, ()):
            assert k.k1_radius_mm is not None and k.k2_radius_mm is not None and k.k1_axis is not None
            average = (
                k.k_average_radius_mm
                if k.k_average_radius_mm is not None
                else ((k.k1_radius_mm + k.k2_radius_mm) / 2)
            )
            records.append(
                f" {eye}{nidek_dioptre(k.k1_radius_mm, signed=False)}"
                f"{nidek_dioptre(k.k2_radius_mm, signed=False)}{nidek_axis(k.k1_axis)}"
                f"{nidek_dioptre(average, signed=False)}"
            )
            if k.k1_power is not None and k.k2_power is not None:
                average_power = (
                    k.k_average_power if k.k_average_power is not None else ((k.k1_power + k.k2_power) / 2)
                )
                cylinder = (
                    k.corneal_cylinder if k.corneal_cylinder is not None else -abs(k.k2_power - k.k1_power)
                )
                records.append(
                    f"D{eye}{nidek_dioptre(k.k1_power, signed=False)}"
                    f"{nidek_dioptre(k.k2_power, signed=False)}{nidek_axis(k.k1_axis)}"
                    f"{nidek_dioptre(average_power, signed=False)}{nidek_dioptre(cylinder)}"
                )
    return nidek_frame("DKM", records, checksum=checksum)


def nidek_tonometer_frame(
    readings: Mapping[str, Sequence[Decimal | str]],
    averages: Mapping[str, Decimal] | None = None,
    *,
    checksum: bool = True,
) -> bytes:
    """A DNT frame: per eye a count, readings ``mmHg/kPa`` (or error tokens such as ``APL``), ``AV``.

    Without ``averages`` the average of the valid readings is written, to one decimal like the device.
    """
    records: list[str] = []
    for eye in (Eye.RIGHT, Eye.LEFT):
        series = readings.get(eye)
        if series is None:
            continue
        records.append(f" {eye}{len(series):02d}")
        values = [v for v in series if isinstance(v, Decimal)]
        for value in series:
            records.append(value if isinstance(value, str) else f"{value}/{_kpa(value)}")
        average = (averages or {}).get(eye)
        if average is None and values:
            average = (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.1"))
        if average is not None:
            records.append(f"AV{average}/{_kpa(average, places='0.01')}")
    return nidek_frame("DNT", records, checksum=checksum)


def _kpa(mmhg: Decimal, places: str = "0.1") -> Decimal:
    return (mmhg * Decimal("0.133322")).quantize(Decimal(places))


# --- Nidek RT phoropter ----------------------------------------------------------------------------


def rt_dioptre(value: Decimal) -> str:
    """RT style: a space for a zero sign and for a zero tens digit (``+ 3.00``, ``-12.50``, ``  0.00``)."""
    value = Decimal(value).quantize(Decimal("0.01"))
    if abs(value) >= 100:
        raise ValueError(f"{value} does not fit the RT field")
    sign = " " if value == 0 else "-" if value < 0 else "+"
    return sign + f"{abs(value):5.2f}"


def nidek_rt_frame(
    final: Mapping[str, EyeValues],
    *,
    va: Mapping[str, Decimal] | None = None,
    pd_distance: Decimal | None = None,
    pd_near: Decimal | None = None,
    model: str = "RT-5100",
    patient_id: str = "",
    when: datetime | None = None,
) -> bytes:
    """RT output: header, ``@RT``, ``FR``/``FL`` final Rx, ``AR``/``AL`` adds, ``vR``/``vL``/``vB`` VA, PD."""
    day = when or datetime(2026, 3, 4)
    lines = [
        f"\x01NIDEK {model} ID{patient_id[:12]:<12} DA{day.year:04d}/{day.month:>2}/{day.day:>2}",
        "\x02@RT",
    ]
    for eye in (Eye.RIGHT, Eye.LEFT):
        rx = final.get(eye)
        if rx is None:
            continue
        lines.append(
            f"\x02F{eye}{rt_dioptre(rx.sphere or Decimal(0))}"
            f"{rt_dioptre(rx.cylinder or Decimal(0))}{rx.axis or 0:>3}"
        )
    for eye in (Eye.RIGHT, Eye.LEFT):
        rx = final.get(eye)
        if rx is not None and rx.add is not None:
            lines.append(f"\x02A{eye}{rt_dioptre(rx.add)}")
    for eye, value in (va or {}).items():
        lines.append(f"\x02v{eye} {value!s:<4}")
    if pd_distance is not None:
        lines.append(f"\x02PD{pd_distance:<12}")
    if pd_near is not None:
        lines.append(f"\x02Pd{pd_near:<12}")
    lines.append("\x02WD40")
    return ("\r".join(lines) + "\r\x04\r").encode("ascii")


# --- JOIA XML --------------------------------------------------------------------------------------

_NS = "http://www.joia.or.jp/standardized/namespaces/"


def joia_ref_xml(
    readings: Mapping[str, Sequence[EyeValues]],
    medians: Mapping[str, EyeValues] | None = None,
    *,
    patient_id: str | None = None,
    first_name: str | None = None,
    company: str = "TOPCON",
    model: str = "KR-800S",
    taken_at: datetime | None = None,
    vertex_distance: Decimal = Decimal("12.00"),
    pd_distance: Decimal | None = None,
    pd_near: Decimal | None = None,
    encoding: str = "UTF-8",
) -> bytes:
    """A JOIA REF file: ``List No=n`` readings and ``Median`` per eye, PD block, in ``encoding``."""
    when = taken_at or datetime(2026, 3, 4, 10, 15, 2)
    patient = ""
    if patient_id is not None or first_name is not None:
        patient = (
            f"<nsCommon:Patient><nsCommon:ID>{escape(patient_id or '')}</nsCommon:ID>"
            f"<nsCommon:FirstName>{escape(first_name or '')}</nsCommon:FirstName></nsCommon:Patient>"
        )
    eyes_xml = []
    for eye in (Eye.RIGHT, Eye.LEFT):
        items = []
        for number, reading in enumerate(readings.get(eye, ()), start=1):
            items.append(f'<nsREF:List No="{number}">{_joia_sca(reading)}</nsREF:List>')
        median = (medians or {}).get(eye)
        if median is not None:
            items.append(f"<nsREF:Median>{_joia_sca(median)}</nsREF:Median>")
        if items:
            eyes_xml.append(f"<nsREF:{eye}>{''.join(items)}</nsREF:{eye}>")
    pd = ""
    if pd_distance is not None or pd_near is not None:
        pd = "<nsREF:PD>"
        if pd_distance is not None:
            pd += f'<nsREF:Distance unit="mm">{pd_distance}</nsREF:Distance>'
        if pd_near is not None:
            pd += f'<nsREF:Near unit="mm">{pd_near}</nsREF:Near>'
        pd += "</nsREF:PD>"
    document = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        f'<Ophthalmology xmlns:nsCommon="{_NS}Common" xmlns:nsREF="{_NS}REF">\n'
        f"<nsCommon:Common><nsCommon:Company>{escape(company)}</nsCommon:Company>"
        f"<nsCommon:ModelName>{escape(model)}</nsCommon:ModelName>"
        f"<nsCommon:Date>{when:%Y-%m-%d}</nsCommon:Date><nsCommon:Time>{when:%H:%M:%S}</nsCommon:Time>"
        f"{patient}</nsCommon:Common>\n"
        f'<nsREF:Measure type="REF"><nsREF:VD unit="mm">{vertex_distance}</nsREF:VD>'
        f"<nsREF:CylinderMode>-</nsREF:CylinderMode><nsREF:REF>{''.join(eyes_xml)}</nsREF:REF>{pd}"
        "</nsREF:Measure>\n</Ophthalmology>\n"
    )
    codec = "cp932" if encoding.lower().replace("-", "_") == "shift_jis" else encoding
    # Characters the encoding lacks (a "ë" in a Shift-JIS file) become character references, as an
    # XML writer does; the text reads back the same.
    return document.encode(codec, errors="xmlcharrefreplace")


def _joia_sca(values: EyeValues) -> str:
    parts = []
    if values.sphere is not None:
        parts.append(f'<nsREF:Sphere unit="D">{values.sphere:+.2f}</nsREF:Sphere>')
    if values.cylinder is not None:
        parts.append(f'<nsREF:Cylinder unit="D">{values.cylinder:+.2f}</nsREF:Cylinder>')
    if values.axis is not None:
        parts.append(f'<nsREF:Axis unit="deg">{values.axis}</nsREF:Axis>')
    if values.spherical_equivalent is not None:
        parts.append(f'<nsREF:SE unit="D">{values.spherical_equivalent:+.2f}</nsREF:SE>')
    if values.confidence is not None:
        parts.append(f"<nsREF:ConfidenceIndex>{values.confidence}</nsREF:ConfidenceIndex>")
    return "".join(parts)


# --- DICOM -----------------------------------------------------------------------------------------

_MODALITIES = {
    MeasurementKind.LENSOMETRY: "LEN",
    MeasurementKind.AUTOREFRACTION: "AR",
    MeasurementKind.KERATOMETRY: "KER",
    MeasurementKind.SUBJECTIVE_REFRACTION: "SRF",
    MeasurementKind.VISUAL_ACUITY: "VA",
}


def dicom_measurement_dataset(
    kind: MeasurementKind,
    eyes: Mapping[str, EyeValues],
    *,
    pd_distance: Decimal | None = None,
    pd_near: Decimal | None = None,
    patient_id: str | None = None,
    patient_name: str = "TEST^PATIENT",
    manufacturer: str = "ILS SIMULATOR",
    model: str = "SIM-1",
    serial: str | None = None,
    taken_at: datetime | None = None,
) -> Dataset:
    """A refractive measurement object of ``kind`` with one item per eye, ready for C-STORE or a file.

    DICOM stores these values as binary floats (FD/FL); the Decimals are converted at this boundary
    only, and the parser turns them back into the same Decimals.
    """
    sop_class = next(uid for uid, t in OBJECT_TYPES.items() if t.kind is kind)
    sequences = dict((eye, keyword) for eye, keyword in OBJECT_TYPES[sop_class].sequences)
    when = taken_at or datetime(2026, 3, 4, 10, 30, 0)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = sop_class
    ds.Modality = _MODALITIES[kind]
    ds.PatientName = patient_name
    ds.PatientID = patient_id or ""
    ds.Manufacturer = manufacturer
    ds.ManufacturerModelName = model
    if serial:
        ds.DeviceSerialNumber = serial
    ds.ContentDate = f"{when:%Y%m%d}"
    ds.ContentTime = f"{when:%H%M%S}"
    if when.utcoffset() is not None:
        offset = int(when.utcoffset().total_seconds() // 60)  # type: ignore[union-attr]
        ds.TimezoneOffsetFromUTC = (
            f"{'+' if offset >= 0 else '-'}{abs(offset) // 60:02d}{abs(offset) % 60:02d}"
        )
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    for eye, values in eyes.items():
        keyword = sequences.get(eye)
        if keyword is None:
            raise ValueError(f"{kind} objects have no sequence for eye {eye!r}")
        setattr(ds, keyword, [_eye_item(kind, values)])
    if pd_distance is not None:
        ds.DistancePupillaryDistance = float(pd_distance)
    if pd_near is not None:
        ds.NearPupillaryDistance = float(pd_near)
    return ds


def dicom_autorefraction_dataset(eyes: Mapping[str, EyeValues], **kwargs: object) -> Dataset:
    """An Autorefraction Measurements object (see :func:`dicom_measurement_dataset`)."""
    return dicom_measurement_dataset(MeasurementKind.AUTOREFRACTION, eyes, **kwargs)  # type: ignore[arg-type]


def dicom_to_bytes(dataset: Dataset) -> bytes:
    """The object as a DICOM Part 10 file (preamble, ``DICM``, file meta), as bytes."""
    buffer = io.BytesIO()
    dcmwrite(buffer, dataset, enforce_file_format=True)
    return buffer.getvalue()


def _item(**values: object) -> Dataset:
    item = Dataset()
    for keyword, value in values.items():
        setattr(item, keyword, value)
    return item


def _eye_item(kind: MeasurementKind, values: EyeValues) -> Dataset:
    if kind is MeasurementKind.KERATOMETRY:
        item = Dataset()
        for prefix, keyword in (
            ("k1", "FlatKeratometricAxisSequence"),
            ("k2", "SteepKeratometricAxisSequence"),
        ):
            radius = getattr(values, f"{prefix}_radius_mm")
            power = getattr(values, f"{prefix}_power")
            axis = getattr(values, f"{prefix}_axis")
            if radius is None and power is None:
                continue
            meridian = Dataset()
            if radius is not None:
                meridian.RadiusOfCurvature = float(radius)
            if power is not None:
                meridian.KeratometricPower = float(power)
            if axis is not None:
                meridian.KeratometricAxis = float(axis)
            setattr(item, keyword, [meridian])
        return item
    if kind is MeasurementKind.VISUAL_ACUITY:
        return _item(DecimalVisualAcuity=float(values.va_decimal or 0), ViewingDistanceType="DISTANCE")
    item = Dataset()
    if values.sphere is not None:
        item.SpherePower = float(values.sphere)
    if values.cylinder is not None:
        item.CylinderSequence = [
            _item(CylinderPower=float(values.cylinder), CylinderAxis=float(values.axis or 0))
        ]
    if values.vertex_distance is not None:
        item.VertexDistance = float(values.vertex_distance)
    prism = Dataset()
    if values.prism_h is not None and isinstance(values.prism_h_base, HorizontalPrismBase):
        prism.HorizontalPrismPower = float(values.prism_h)
        prism.HorizontalPrismBase = values.prism_h_base.value
    if values.prism_v is not None and isinstance(values.prism_v_base, VerticalPrismBase):
        prism.VerticalPrismPower = float(values.prism_v)
        prism.VerticalPrismBase = values.prism_v_base.value
    if len(prism):
        item.PrismSequence = [prism]
    if values.add is not None:
        item.AddNearSequence = [_item(AddPower=float(values.add))]
    if values.add2 is not None:
        item.AddIntermediateSequence = [_item(AddPower=float(values.add2))]
    return item
