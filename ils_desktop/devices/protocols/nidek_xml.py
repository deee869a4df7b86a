"""Nidek XML files: ``<Data>`` from ARK/AR autorefractors and TONOREF, and the lensmeters'
``<Ophthalmology>``-like file without namespaces.

Layout (docs/domain/equipment.md, "Files > Nidek XML"); the reference gives the element names but
not every nesting, so this reader finds them by name wherever they sit::

    <Data>                                   usually UTF-16 with a BOM
      <Common> Company, ModelName, MachineNo, Date, Time, Patient/ID </Common>
      <R>                                    and <L>
        <AR> <ARList No="n"> Sphere Cylinder Axis [SE] [ConfidenceIndex] </ARList> ...
             <ARMedian> Sphere Cylinder Axis [SE] </ARMedian> </AR>
        <KM> <KMList> R1/R2 (Radius Power Axis) Average Cylinder </KMList> ... <KMMedian>...</KMMedian> </KM>
        <NT> <NTList> IOP_mmHg|mmHg </NTList> ... <NTAverage>...</NTAverage> </NT>
        <PACHY> <PACHYList> Thickness </PACHYList> ... <PACHYAverage>...</PACHYAverage> </PACHY>
      </R>
      <PD> FarPD/Distance, NearPD/Near </PD>  (or <B><PD>..</PD></B>)
      <VD>12.00</VD>
    </Data>

``ARMedian``/``KMMedian``/``...Average`` are the device's representative values; without them the
median of the readings is used. A reading holding ``Error`` is reported as a warning.

The lensmeter variant is ``<Ophthalmology><Common/><Measure Type="LM"><LM><R>...`` with Sphere (one
model spells it ``Sphare``), Cylinder, Axis, ADD/Add1, ADD2/Add2, prism, and PD under ``LM/B/PD`` or
``LM/PD``. It has no JOIA namespace, which is how it is told apart from a JOIA file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
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
from ils_desktop.devices.protocols.base import DeviceProtocol
from ils_desktop.devices.protocols.joia_xml import (
    device_info,
    iop_values,
    kerato_values,
    lens_values,
    number_in,
    reading_series,
    refraction_values,
)
from ils_desktop.devices.protocols.xmlsupport import (
    attribute,
    child,
    child_text,
    descendants,
    first_of,
    load_xml,
    local_name,
    peek_text,
    text,
    unreadable_fields_as_warnings,
    xml_number,
)

NAME = "nidek_xml"

_SIDES = (Eye.RIGHT, Eye.LEFT)


class NidekXmlProtocol(DeviceProtocol):
    name = NAME
    description = (
        "Nidek XML files: <Data> (ARK/AR/TONOREF: AR, KM, NT, PACHY, PD) and the lensmeter <Ophthalmology>"
    )

    def sniff(self, data: bytes) -> bool:
        head = peek_text(data)
        body = re.sub(r"<\?.*?\?>|<!--.*?-->", "", head, flags=re.S).lstrip("\ufeff \t\r\n")
        if body.startswith("<Data") and body[5:6] in (" ", ">", "\r", "\n", "\t"):
            return True
        return body.startswith("<Ophthalmology") and "joia.or.jp" not in head

    def _parse(self, data: bytes) -> list[Measurement]:
        root, warnings = load_xml(data)
        root_name = local_name(root.tag)
        if root_name not in ("Data", "Ophthalmology"):
            raise ParseError(f"not a Nidek XML file: root element is <{root_name}>, expected <Data>")
        device = device_info(root)
        built: list[tuple[MeasurementKind, dict[str, EyeSide], PupillaryDistance, list[str]]] = []
        lm = _lensmeter_container(root)
        if lm is not None:
            with unreadable_fields_as_warnings() as dropped:
                kind, eyes, pd, lens_warnings = _lensometry(lm)
            built.append((kind, eyes, pd, [*lens_warnings, *dropped]))
        else:
            # The vertex distance and PD are the refraction's: what cannot be read of them is said there.
            with unreadable_fields_as_warnings() as refraction_dropped:
                vertex = number_in(root, ("VD",), "vertex distance", "mm")
                pd = _pd(root)
            sections = (
                (
                    MeasurementKind.AUTOREFRACTION,
                    ("AR", "REF"),
                    refraction_values,
                    ("ARMedian", "Median"),
                    ("ARList", "List"),
                ),
                (
                    MeasurementKind.KERATOMETRY,
                    ("KM",),
                    kerato_values,
                    ("KMMedian", "Median"),
                    ("KMList", "List"),
                ),
                (
                    MeasurementKind.TONOMETRY,
                    ("NT", "TM"),
                    iop_values,
                    ("NTAverage", "Average", "Median"),
                    ("NTList", "List"),
                ),
                (
                    MeasurementKind.PACHYMETRY,
                    ("PACHY", "Pachymetry"),
                    _pachy_values,
                    ("PACHYAverage", "Average", "Median"),
                    ("PACHYList", "List"),
                ),
            )
            for kind, names, read, rep_names, list_names in sections:
                eyes: dict[str, EyeSide] = {}
                section_warnings: list[str] = []
                for eye in _SIDES:
                    block = _eye_block(root, eye, names)
                    if block is None:
                        continue
                    with unreadable_fields_as_warnings() as dropped:
                        side = reading_series(block, eye, read, section_warnings, rep_names, list_names)
                    section_warnings.extend(dropped)
                    if side is None:
                        continue
                    if kind is MeasurementKind.AUTOREFRACTION and vertex is not None:
                        side = EyeSide(
                            representative=replace(side.representative, vertex_distance=vertex),
                            readings=side.readings,
                            computed=side.computed,
                        )
                    eyes[eye] = side
                if kind is MeasurementKind.AUTOREFRACTION and eyes:
                    section_warnings.extend(refraction_dropped)
                if eyes or section_warnings:
                    refraction_pd = pd if kind is MeasurementKind.AUTOREFRACTION else PupillaryDistance()
                    built.append((kind, eyes, refraction_pd, section_warnings))
        if not built:
            raise ParseError("Nidek XML file has no AR, KM, NT, PACHY or LM values")
        return [
            Measurement(
                kind=kind,
                protocol=NAME,
                maker=device.maker or "NIDEK",
                model=device.model,
                serial=device.serial,
                patient_id=device.patient_id,
                patient_name=device.patient_name,
                patient_birth_date=device.patient_birth_date,
                taken_at=device.taken_at,
                eyes=eyes,
                pd=pd,
                warnings=[*warnings, *more],
                extras=dict(device.extras),
                raw=data,
            )
            for kind, eyes, pd, more in built
        ]


def _eye_block(root: ET.Element, eye: str, names: tuple[str, ...]) -> ET.Element | None:
    """The ``<R><AR>`` (or ``<AR><R>``) element for one eye and one section, wherever it sits."""
    for eye_element in [e for e in root.iter() if local_name(e.tag) == eye]:
        found = child(eye_element, *names)
        if found is not None:
            return found
    for section in descendants(root, *names):
        found = child(section, eye)
        if found is not None:
            return found
    return None


def _pachy_values(element: ET.Element | None, what: str) -> EyeValues:
    value = number_in(element, ("Thickness", "CCT", "Value", "um"), f"{what} thickness", "um")
    if value is None and element is not None and len(element) == 0:
        value = xml_number(text(element), f"{what} thickness", "um")
    return EyeValues(pachymetry_um=value)


def _pd(root: ET.Element) -> PupillaryDistance:
    pd = child(root, "PD")
    both_pd = child(child(root, "B"), "PD")
    distance: Decimal | None = None
    near: Decimal | None = None
    if pd is not None:
        distance = number_in(pd, ("FarPD", "Distance", "Far"), "PD", "mm")
        near = number_in(pd, ("NearPD", "Near"), "near PD", "mm")
        if distance is None and len(pd) == 0:
            distance = xml_number(text(pd), "PD", "mm")
    if distance is None and both_pd is not None and len(both_pd) == 0:
        distance = xml_number(text(both_pd), "PD", "mm")
    return PupillaryDistance(distance=distance or None, near=near or None)


def _lensmeter_container(root: ET.Element) -> ET.Element | None:
    measure = next(
        (m for m in descendants(root, "Measure") if (attribute(m, "Type") or "").strip().upper() == "LM"),
        None,
    )
    if measure is not None:
        return first_of(child(measure, "LM"), measure)
    return next(descendants(root, "LM"), None) if local_name(root.tag) == "Ophthalmology" else None


def _lensometry(lm: ET.Element) -> tuple[MeasurementKind, dict[str, EyeSide], PupillaryDistance, list[str]]:
    warnings: list[str] = []
    eyes: dict[str, EyeSide] = {}
    for eye in _SIDES:
        element = child(lm, eye)
        if element is None:
            continue
        values = lens_values(element, f"lens {eye}", warnings)  # names match any case: ADD, Add1
        if not values.is_empty():
            eyes[eye] = EyeSide(representative=values, readings=[values])
    if not eyes:
        raise ParseError("Nidek lensmeter XML has no R or L lens")
    pd_text = child_text(child(lm, "B"), "PD") or child_text(lm, "PD")
    pd = PupillaryDistance(distance=xml_number(pd_text, "PD", "mm") or None)
    return (MeasurementKind.LENSOMETRY, eyes, pd, warnings)
