"""JOIA XML (Japan Ophthalmic Instruments Association common format, ISO/TS 22218-1).

Written by Topcon and others to a USB export folder or a network share. Layout
(docs/domain/equipment.md, "Files > JOIA XML")::

    <Ophthalmology>
      <Common> Company, ModelName, MachineNo, Date, Time, Patient/ID, names, DOB </Common>
      <Measure type="REF|KM|TM|LM|SBJ"> ... </Measure>   (one or more)
    </Ophthalmology>

Namespaces ``http://www.joia.or.jp/standardized/namespaces/{Common,REF,KM,TM,LM,SBJ}`` with vendor
prefixes (``nsREF:``); elements are matched by local name so prefixes and their absence do not
matter. Encoding is whatever the XML declaration says (UTF-8, Shift-JIS...).

* REF (autorefraction): ``VD``, ``CylinderMode``; per eye ``List No=n`` readings with Sphere, Cylinder,
  Axis, SE, ConfidenceIndex (or ``Error``, which becomes a warning), and ``Median`` - the device's
  representative value; a ``PD`` block (Distance, Near, WorkingDistance).
* KM (keratometry): per eye ``List`` readings and ``Median`` with ``R1``/``R2`` (Radius, Power, Axis),
  ``Average`` (Radius, Power) and ``Cylinder`` (Power, Axis). R1 becomes K1, R2 K2.
* TM (tonometry): per eye ``List`` readings of ``IOP_mmHg`` and an ``Average``; a corrected IOP
  (an element named ``Corrected...``) and a CCT/pachymetry value when given.
* LM (lensmeter): per eye Sphere, Cylinder, Axis, Add1, Add2 and ``H``/``V`` prism (space-padded with
  explicit signs); a base is read from a ``HBase``/``VBase`` sibling, a ``base`` attribute or a letter
  in the value; a bare signed value is kept as sent with a warning. ``PD`` block.
* SBJ (phoropter): ``Type No=n`` blocks named by ``TypeName`` (unaided, objective, current spectacles,
  subjective/full correction, final/prescription...), each with ``ExamDistance No=1`` (far) / ``No=2``
  (near) holding ``RefractionData`` R/L (Sph, Cyl, Axis, HPri/HBase, VPri/VBase, Add), ``VA`` R/L/B and
  ``PD``. Each block becomes a measurement of the matching kind (objective -> autorefraction,
  spectacles -> lensometry, otherwise subjective_refraction; an add not sent is the near sphere
  minus the far sphere), and its VA a visual_acuity measurement; ``extras["joia_type"]`` names the
  block.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from ils_desktop.devices.measurement import (
    Eye,
    EyeSide,
    EyeValues,
    Measurement,
    MeasurementKind,
    ParseError,
    PupillaryDistance,
)
from ils_desktop.devices.protocols.base import (
    DeviceProtocol,
    check_reading_count,
    clean_text,
    eye_side,
    local_datetime,
    parse_date,
    parse_decimal,
    parse_time,
    prism_base,
    set_prism,
)
from ils_desktop.devices.protocols.xmlsupport import (
    attribute,
    child,
    child_text,
    children,
    descendants,
    first_of,
    load_xml,
    local_name,
    peek_text,
    text,
    unreadable,
    unreadable_fields_as_warnings,
    xml_axis,
    xml_number,
)

NAME = "joia_xml"
JOIA_NAMESPACE_ROOT = "http://www.joia.or.jp/standardized/namespaces/"

_SIDES = (Eye.RIGHT, Eye.LEFT)
_SPHERE = ("Sphere", "Sph", "Sphare")  # one Nidek lensmeter spells it "Sphare"
_READING_NUMBER = re.compile(r"[0-9]{1,6}")


class JoiaXmlProtocol(DeviceProtocol):
    name = NAME
    description = "JOIA / ISO 22218 XML files (<Ophthalmology> with Measure type REF, KM, TM, LM, SBJ)"

    def sniff(self, data: bytes) -> bool:
        head = peek_text(data)
        # The namespace is what makes it JOIA; an <Ophthalmology> file without it is Nidek's variant.
        return "joia.or.jp/standardized" in head

    def _parse(self, data: bytes) -> list[Measurement]:
        root, warnings = load_xml(data)
        if local_name(root.tag) != "Ophthalmology":
            raise ParseError(
                f"not a JOIA file: root element is <{local_name(root.tag)}>, expected <Ophthalmology>"
            )
        device = device_info(root)
        measures = list(descendants(root, "Measure"))
        if not measures:
            raise ParseError("JOIA file has no <Measure> element")
        measurements: list[Measurement] = []
        for measure in measures:
            kind = (attribute(measure, "type") or "").strip().upper()
            reader = _READERS.get(kind)
            if reader is None:
                warnings.append(f"JOIA Measure type {kind!r} is not read; the file is kept")
                continue
            with unreadable_fields_as_warnings() as dropped:
                try:
                    read = reader(measure)
                except ParseError as error:
                    # Nothing left to record: say why, with the values that could not be read.
                    raise ParseError(f"{error.message}: {dropped[0]}" if dropped else error.message) from None
            for built in read:
                built.warnings.extend(dropped)
                measurements.append(_finish(built, device, warnings, data))
        if not measurements:
            raise ParseError("; ".join(warnings) or "JOIA file has no measurement this program reads")
        return measurements


@dataclass
class _Built:
    """A measurement before the device/patient details common to the file are added."""

    kind: MeasurementKind
    eyes: dict[str, EyeSide]
    pd: PupillaryDistance = field(default_factory=PupillaryDistance)
    warnings: list[str] = field(default_factory=list)
    extras: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeviceInfo:
    """The ``<Common>`` block: who made the file, when, for which patient."""

    maker: str | None
    model: str | None
    serial: str | None
    patient_id: str | None
    taken_at: datetime | None
    extras: dict[str, str]
    patient_name: str | None = None  # FAMILY^GIVEN
    patient_birth_date: date | None = None


def device_info(root: ET.Element) -> DeviceInfo:
    """Read ``<Common>`` (Company, ModelName, MachineNo, Date, Time, Patient/ID) wherever it sits.

    A date without a time is not a moment, so it goes to ``extras["date"]`` and ``taken_at`` stays empty.
    """
    common = first_of(child(root, "Common"), next(descendants(root, "Common"), None))
    day = parse_date(child_text(common, "Date"))
    at = parse_time(child_text(common, "Time"))
    patient = child(common, "Patient")
    family = clean_text(child_text(patient, "LastName", "FamilyName"))
    given = clean_text(child_text(patient, "FirstName", "GivenName"))
    return DeviceInfo(
        patient_name=f"{family}^{given or ''}".rstrip("^") if family else None,
        patient_birth_date=parse_date(child_text(patient, "DOB", "BirthDate", "DateOfBirth")),
        maker=clean_text(child_text(common, "Company")),
        model=clean_text(child_text(common, "ModelName")),
        serial=clean_text(child_text(common, "MachineNo")),
        patient_id=clean_text(child_text(child(common, "Patient"), "ID")),
        taken_at=local_datetime(day, at) if day and at else None,
        extras={"date": day.isoformat()} if day and not at else {},
    )


def _finish(built: _Built, device: DeviceInfo, file_warnings: list[str], raw: bytes) -> Measurement:
    return Measurement(
        kind=built.kind,
        protocol=NAME,
        maker=device.maker,
        model=device.model,
        serial=device.serial,
        patient_id=device.patient_id,
        patient_name=device.patient_name,
        patient_birth_date=device.patient_birth_date,
        taken_at=device.taken_at,
        eyes=built.eyes,
        pd=built.pd,
        warnings=[*file_warnings, *built.warnings],
        extras={**device.extras, **built.extras},
        raw=raw,
    )


# --- value helpers -------------------------------------------------------------------------------


def number_in(element: ET.Element | None, names: tuple[str, ...], what: str, unit: str) -> Decimal | None:
    """The number in the first child named like ``names``, in ``unit`` (see ``xmlsupport.xml_number``)."""
    return xml_number(child_text(element, *names), what, unit)


def axis_in(element: ET.Element | None, names: tuple[str, ...], what: str) -> int | None:
    return xml_axis(child_text(element, *names), what)


def sphero_cylinder(values: EyeValues, element: ET.Element | None, sphere_names: tuple[str, ...],
                    what: str) -> EyeValues:
    """``values`` without its sphere, cylinder and axis when one of them was sent but could not be
    read: they mean nothing apart (a cylinder without its sphere would be taken as plano, one
    without its axis as 180)."""
    sent = {"sphere": child_text(element, *sphere_names), "cylinder": child_text(element, "Cylinder", "Cyl"),
            "axis": child_text(element, "Axis")}
    lost = [name for name, text_sent in sent.items() if text_sent is not None and getattr(values, name) is None]
    if not lost or all(getattr(values, name) is None for name in sent):
        return values
    unreadable(ParseError(f"{what}: the {' and '.join(lost)} could not be read"),
               "the sphere, cylinder and axis of this reading were not recorded")
    return replace(values, sphere=None, cylinder=None, axis=None)


def _lenient_num(element: ET.Element | None, names: tuple[str, ...]) -> Decimal | None:
    """A number that is informative only (confidence index): unreadable means absent, not an error."""
    value = child_text(element, *names)
    if value is None:
        return None
    try:
        return parse_decimal(value, "")
    except ParseError:
        return None


def refraction_values(element: ET.Element | None, what: str) -> EyeValues:
    values = EyeValues(
        sphere=number_in(element, _SPHERE, f"{what} sphere", "D"),
        cylinder=number_in(element, ("Cylinder", "Cyl"), f"{what} cylinder", "D"),
        axis=axis_in(element, ("Axis",), f"{what} axis"),
        spherical_equivalent=number_in(element, ("SE",), f"{what} SE", "D"),
        confidence=_lenient_num(element, ("ConfidenceIndex", "Confidence")),
    )
    values = sphero_cylinder(values, element, _SPHERE, what)
    # A confidence index alone, its values lost, is not a reading.
    return values if replace(values, confidence=None) != EyeValues() else EyeValues()


def _reading_lists(eye_element: ET.Element | None, list_names: tuple[str, ...]) -> list[ET.Element]:
    lists = children(eye_element, *list_names)

    def number(element: ET.Element) -> int:
        no = attribute(element, "No") or ""
        # ASCII digits only (str.isdigit() also takes "²" and "٣"), and a sane length.
        return int(no.strip()) if _READING_NUMBER.fullmatch(no.strip()) else 0

    return sorted(lists, key=number)


def _reading_error(element: ET.Element) -> str | None:
    return child_text(element, "Error", "ErrorMessage")


def reading_series(
    eye_element: ET.Element | None,
    eye: str,
    read: Callable[[ET.Element | None, str], EyeValues],
    warnings: list[str],
    representative_names: tuple[str, ...],
    list_names: tuple[str, ...] = ("List",),
) -> EyeSide | None:
    """Readings (``List``) and the representative (``Median``/``Average``) of one eye.

    A reading with an ``Error`` element instead of values becomes a warning.
    """
    readings: list[EyeValues] = []
    items = _reading_lists(eye_element, list_names)
    check_reading_count(len(items), f"{eye} readings")  # before reading any of them
    for index, item in enumerate(items, start=1):
        error = _reading_error(item)
        no = attribute(item, "No") or str(index)
        if error is not None:
            warnings.append(f"{eye} reading {no}: {error} - no value")
            continue
        values = read(item, f"{eye} reading {no}")
        if not values.is_empty():
            readings.append(values)
    rep_element = child(eye_element, *representative_names)
    representative = (
        read(rep_element, f"{eye} {local_name(rep_element.tag)}") if rep_element is not None else None
    )
    if representative is not None and representative.is_empty():
        representative = None
    if not readings and representative is None:
        return None
    return eye_side(readings, representative)


def pd_block(element: ET.Element | None) -> PupillaryDistance:
    """A PD block: Distance/Near directly or under ``B``; ``R``/``L`` monocular."""
    if element is None:
        return PupillaryDistance()
    both = first_of(child(element, "B"), element)
    right = child(element, "R")
    left = child(element, "L")
    distance = number_in(both, ("Distance", "FarPD", "Far", "PD"), "PD", "mm")
    if distance is None and both is not element and len(both) == 0:
        distance = xml_number(text(both), "PD", "mm")
    if distance is None and len(element) == 0:
        distance = xml_number(text(element), "PD", "mm")
    return PupillaryDistance(
        distance=distance or None,
        near=number_in(both, ("Near", "NearPD"), "near PD", "mm") or None,
        right=_monocular_pd(right, "PD right"),
        left=_monocular_pd(left, "PD left"),
    )


def _monocular_pd(element: ET.Element | None, what: str) -> Decimal | None:
    if element is None:
        return None
    value = number_in(element, ("Distance", "PD"), what, "mm")
    if value is None and len(element) == 0:
        value = xml_number(text(element), what, "mm")
    return value or None


def _extras_from(measure: ET.Element, names: tuple[str, ...]) -> dict[str, str]:
    extras: dict[str, str] = {}
    for name in names:
        value = child_text(measure, name)
        if value is not None:
            extras[_snake(name)] = value
    return extras


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z][a-z])", "_", name).lower()


# --- REF -----------------------------------------------------------------------------------------


def _read_ref(measure: ET.Element) -> list[_Built]:
    container = first_of(child(measure, "REF"), measure)
    vertex = number_in(measure, ("VD",), "vertex distance", "mm") or number_in(
        container, ("VD",), "vertex distance", "mm"
    )
    warnings: list[str] = []
    eyes: dict[str, EyeSide] = {}
    for eye in _SIDES:
        side = reading_series(
            child(container, eye), eye, refraction_values, warnings, ("Median", "Representative")
        )
        if side is None:
            continue
        if vertex is not None:
            side = EyeSide(
                representative=replace(side.representative, vertex_distance=vertex),
                readings=side.readings,
                computed=side.computed,
            )
        eyes[eye] = side
    if not eyes:
        raise ParseError("JOIA REF measure has no R or L values")
    pd_element = first_of(child(measure, "PD"), child(container, "PD"))
    extras = _extras_from(measure, ("CylinderMode", "DiopterStep"))
    working = child_text(pd_element, "WorkingDistance")
    if working is not None:
        extras["working_distance_cm"] = working
    return [
        _Built(
            MeasurementKind.AUTOREFRACTION, eyes, pd=pd_block(pd_element), warnings=warnings, extras=extras
        )
    ]


# --- KM ------------------------------------------------------------------------------------------


def kerato_values(element: ET.Element | None, what: str) -> EyeValues:
    r1 = child(element, "R1")
    r2 = child(element, "R2")
    average = child(element, "Average", "Ave")
    cylinder = child(element, "Cylinder", "KMCylinder")
    return EyeValues(
        k1_radius_mm=number_in(r1, ("Radius",), f"{what} R1 radius", "mm"),
        k1_power=number_in(r1, ("Power",), f"{what} R1 power", "D"),
        k1_axis=axis_in(r1, ("Axis",), f"{what} R1 axis"),
        k2_radius_mm=number_in(r2, ("Radius",), f"{what} R2 radius", "mm"),
        k2_power=number_in(r2, ("Power",), f"{what} R2 power", "D"),
        k2_axis=axis_in(r2, ("Axis",), f"{what} R2 axis"),
        k_average_radius_mm=number_in(average, ("Radius",), f"{what} average radius", "mm"),
        k_average_power=number_in(average, ("Power",), f"{what} average power", "D"),
        corneal_cylinder=number_in(cylinder, ("Power",), f"{what} corneal cylinder", "D"),
        corneal_cylinder_axis=axis_in(cylinder, ("Axis",), f"{what} corneal cylinder axis"),
    )


def _read_km(measure: ET.Element) -> list[_Built]:
    container = first_of(child(measure, "KM"), measure)
    warnings: list[str] = []
    eyes: dict[str, EyeSide] = {}
    for eye in _SIDES:
        side = reading_series(
            child(container, eye), eye, kerato_values, warnings, ("Median", "Representative")
        )
        if side is not None:
            eyes[eye] = side
    if not eyes:
        raise ParseError("JOIA KM measure has no R or L values")
    return [_Built(MeasurementKind.KERATOMETRY, eyes, warnings=warnings)]


# --- TM ------------------------------------------------------------------------------------------


def iop_values(element: ET.Element | None, what: str) -> EyeValues:
    corrected = next((d for d in descendants(element, *_CORRECTED_NAMES)), None)
    corrected_value = None
    if corrected is not None:
        corrected_value = number_in(corrected, ("IOP_mmHg", "mmHg"), f"{what} corrected IOP", "mmHg")
        if corrected_value is None and len(corrected) == 0:
            corrected_value = xml_number(text(corrected), f"{what} corrected IOP", "mmHg")
    iop = number_in(element, ("IOP_mmHg", "IOP", "mmHg"), f"{what} IOP", "mmHg")
    if iop is None and element is not None and len(element) == 0:
        iop = xml_number(text(element), f"{what} IOP", "mmHg")  # <NTList>15</NTList> style
    return EyeValues(
        iop_mmhg=iop,
        iop_corrected_mmhg=corrected_value,
        pachymetry_um=number_in(element, ("CCT", "Pachy", "Thickness"), f"{what} CCT", "um"),
    )


_CORRECTED_NAMES = ("CorrectedIOP", "CorrectedIOP_mmHg", "Corrected_IOP", "IOP_Corrected", "Corrected")


def _read_tm(measure: ET.Element) -> list[_Built]:
    container = first_of(child(measure, "TM"), measure)
    warnings: list[str] = []
    eyes: dict[str, EyeSide] = {}
    for eye in _SIDES:
        side = reading_series(child(container, eye), eye, iop_values, warnings, ("Average", "Median"))
        if side is not None:
            eyes[eye] = side
    if not eyes and not warnings:
        raise ParseError("JOIA TM measure has no R or L values")
    return [_Built(MeasurementKind.TONOMETRY, eyes, warnings=warnings)]


# --- LM ------------------------------------------------------------------------------------------

_PRISM_VALUE = re.compile(r"\s*(?P<amount>[+-]?\s*\d+(?:\.\d+)?)\s*(?P<base>[A-Za-z.]*)\s*", re.ASCII)


def _prism(
    values: EyeValues,
    element: ET.Element | None,
    value_names: tuple[str, ...],
    base_names: tuple[str, ...],
    horizontal: bool,
    what: str,
    warnings: list[str],
) -> EyeValues:
    prism_element = child(element, *value_names)
    raw_value = text(prism_element)
    if raw_value is None:
        return values
    match = _PRISM_VALUE.fullmatch(raw_value)
    if not match:
        unreadable(ParseError(f"{what}: prism {raw_value!r} is not an amount [and base]"))
        return values
    amount = parse_decimal(match["amount"], f"{what} prism")
    base_text = match["base"] or child_text(element, *base_names) or attribute(prism_element, "base", "Base")
    base = prism_base(base_text) if base_text else None
    if base_text and base is None:
        unreadable(ParseError(f"{what}: prism base {base_text!r} is not IN, OUT, UP or DOWN"),
                   "that prism was not recorded")
        return values
    if base is None and amount != 0:
        warnings.append(
            f"{what} {'horizontal' if horizontal else 'vertical'} prism {amount} has no stated base "
            "direction; kept as the signed value sent - confirm the base on the lens"
        )
    return set_prism(values, amount, base, horizontal=horizontal)


def lens_values(element: ET.Element | None, what: str, warnings: list[str]) -> EyeValues:
    values = EyeValues(
        sphere=number_in(element, _SPHERE, f"{what} sphere", "D"),
        cylinder=number_in(element, ("Cylinder", "Cyl"), f"{what} cylinder", "D"),
        axis=axis_in(element, ("Axis",), f"{what} axis"),
        add=number_in(element, ("Add1", "Add", "ADD1"), f"{what} add", "D"),
        add2=number_in(element, ("Add2",), f"{what} second add", "D"),
    )
    values = sphero_cylinder(values, element, _SPHERE, what)
    values = _prism(
        values,
        element,
        ("H", "HPrism", "PrismH", "HPri", "PrismX"),
        ("HBase", "BaseH", "PrismXBase"),
        True,
        what,
        warnings,
    )
    return _prism(
        values,
        element,
        ("V", "VPrism", "PrismV", "VPri", "PrismY"),
        ("VBase", "BaseV", "PrismYBase"),
        False,
        what,
        warnings,
    )


def _read_lm(measure: ET.Element) -> list[_Built]:
    container = first_of(child(measure, "LM"), measure)
    warnings: list[str] = []
    eyes: dict[str, EyeSide] = {}
    for eye in _SIDES:
        element = child(container, eye)
        if element is None:
            continue
        values = lens_values(element, f"lens {eye}", warnings)
        if not values.is_empty():
            eyes[eye] = EyeSide(representative=values, readings=[values])
    if not eyes:
        raise ParseError("JOIA LM measure has no R or L lens")
    pd = pd_block(first_of(child(container, "PD"), child(measure, "PD")))
    extras = _extras_from(measure, ("CylinderMode", "LensType"))
    return [_Built(MeasurementKind.LENSOMETRY, eyes, pd=pd, warnings=warnings, extras=extras)]


# --- SBJ -----------------------------------------------------------------------------------------


def _sbj_kind(type_name: str) -> MeasurementKind | None:
    name = type_name.lower()
    if "unaided" in name or "naked" in name:
        return None  # VA only
    if "objective" in name or "auto" in name or re.search(r"\bar\b", name):
        return MeasurementKind.AUTOREFRACTION
    if "spectacle" in name or "lensmeter" in name or "habitual" in name or "current" in name:
        return MeasurementKind.LENSOMETRY
    return MeasurementKind.SUBJECTIVE_REFRACTION


def _exam_distances(type_element: ET.Element) -> tuple[ET.Element, ET.Element | None]:
    distances = children(type_element, "ExamDistance")
    by_no = {(attribute(d, "No") or "").strip(): d for d in distances}
    far = first_of(by_no.get("1"), distances[0] if distances else None, type_element)
    near = by_no.get("2")
    assert far is not None
    return far, near


def _read_sbj(measure: ET.Element) -> list[_Built]:
    types = list(descendants(measure, "Type"))
    if not types:
        raise ParseError("JOIA SBJ measure has no <Type> block")
    built: list[_Built] = []
    for type_element in types:
        type_name = child_text(type_element, "TypeName") or f"Type {attribute(type_element, 'No') or '?'}"
        extras = {"joia_type": type_name}
        if attribute(type_element, "No"):
            extras["joia_type_no"] = (attribute(type_element, "No") or "").strip()
        far, near = _exam_distances(type_element)
        warnings: list[str] = []
        kind = _sbj_kind(type_name)
        far_data = first_of(child(far, "RefractionData"), far)
        near_data = child(near, "RefractionData") if near is not None else None
        eyes: dict[str, EyeSide] = {}
        if kind is not None:
            for eye in _SIDES:
                element = child(far_data, eye)
                if element is None:
                    continue
                values = lens_values(element, f"{type_name} {eye}", warnings)
                near_element = child(near_data, eye)
                near_sphere = number_in(near_element, ("Sph", "Sphere"), f"{type_name} near {eye} sphere", "D")
                if near_sphere is not None:
                    values = replace(values, near_sphere=near_sphere)
                    if values.add is None and values.sphere is not None and near_sphere > values.sphere:
                        values = replace(values, add=near_sphere - values.sphere)
                if not values.is_empty():
                    eyes[eye] = EyeSide(representative=values, readings=[values])
        pd = pd_block(first_of(child(far, "PD"), child(type_element, "PD")))
        if eyes and kind is not None:
            built.append(_Built(kind, eyes, pd=pd, warnings=warnings, extras=dict(extras)))
        va_eyes: dict[str, EyeSide] = {}
        va_element = child(far, "VA")
        for eye in (Eye.RIGHT, Eye.LEFT, Eye.BINOCULAR):
            va_text = child_text(va_element, eye)
            if va_text is None:
                continue
            va = _decimal_va(va_text, f"{type_name} VA {eye}", warnings)
            if va is not None:
                values = EyeValues(va_decimal=va)
                va_eyes[eye] = EyeSide(representative=values, readings=[values])
        if va_eyes:
            built.append(
                _Built(MeasurementKind.VISUAL_ACUITY, va_eyes, warnings=list(warnings), extras=dict(extras))
            )
    if not built:
        raise ParseError("JOIA SBJ measure has no refraction or visual acuity values")
    return built


def _decimal_va(value: str, what: str, warnings: list[str]) -> Decimal | None:
    fraction = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*", value, re.ASCII)
    if fraction and Decimal(fraction[2]) != 0:
        return (Decimal(fraction[1]) / Decimal(fraction[2])).quantize(Decimal("0.01"))
    try:
        return parse_decimal(value, what)
    except ParseError:
        warnings.append(f"{what}: {value!r} is not a decimal visual acuity; not recorded")
        return None


_READERS = {
    "REF": _read_ref,
    "KM": _read_km,
    "TM": _read_tm,
    "LM": _read_lm,
    "SBJ": _read_sbj,
}
