"""Limits on what device input may contain, and the check every parsed measurement goes through.

Device input comes from serial lines, USB sticks, network shares and the DICOM port: it may be
damaged, or written by someone meaning harm. Parsers read the format; this module decides what is
believable:

Caps (anything beyond is refused with a :class:`ParseError`, nothing stored but the raw input):

* :data:`MAX_INPUT_BYTES` - 4 MiB per frame, file or DICOM refractive object. A serial frame is under
  2 KB and a JOIA/Nidek export or a refractive DICOM object a few KB; 4 MiB is three orders of
  magnitude of headroom while bounding memory and parse time. (The DICOM Storage SCP has its own,
  larger, cap for images it only stores.)
* :data:`MAX_READINGS_PER_EYE` - 100 readings (or failed attempts) for one eye in one measurement.
  Autorefractors and tonometers take 3-10; 100 covers any continuous mode.
* :data:`MAX_MEASUREMENTS` - 100 measurements from one input. A day's capture file of a busy
  lensmeter is the largest legitimate case seen (tens of frames).

Values: each value of a reading is checked against ``domain.equipment.DEVICE_VALUE_RANGES`` (PD
against ``PD_RANGES``): the ranges the examination record already applies, so no device reading can
carry a value the record would refuse. A value outside its range - a sphere of ``1e308``, an IOP of
400 - is taken as a corrupt field: **that value is dropped and a warning says which and why**; the
rest of the reading is kept (the other eye, the cylinder of the same reading are still good). A
median the parser computed is recomputed from the readings that remain. An eye left with no value
is dropped; a measurement left with nothing is dropped (the other measurements of the input say
so); input left with no measurement at all is a :class:`ParseError`. Warnings are capped at
:data:`MAX_WARNINGS` per measurement and text fields at a sensible length.
"""

from __future__ import annotations

from dataclasses import fields, replace
from decimal import Decimal

from ils_desktop.devices.measurement import (
    EyeSide,
    EyeValues,
    Measurement,
    ParseError,
    PupillaryDistance,
    one_line,
)
from ils_desktop.domain.equipment import DEVICE_VALUE_RANGES, PD_RANGES, PlausibleRange

MAX_INPUT_BYTES = 4 * 1024 * 1024
MAX_READINGS_PER_EYE = 100
MAX_MEASUREMENTS = 100
MAX_WARNINGS = 50
MAX_EXTRAS = 50
MAX_TEXT_CHARS = 200
MAX_ID_CHARS = 64
"""Device, serial and patient ids: DICOM's LO limit (64 characters) is the longest any device uses."""

_LABELS = {
    "prism_h": "horizontal prism",
    "prism_v": "vertical prism",
    "k1_radius_mm": "K1 radius",
    "k2_radius_mm": "K2 radius",
    "k_average_radius_mm": "average K radius",
    "k1_power": "K1 power",
    "k2_power": "K2 power",
    "k_average_power": "average K power",
    "k1_axis": "K1 axis",
    "k2_axis": "K2 axis",
    "iop_mmhg": "IOP",
    "iop_corrected_mmhg": "corrected IOP",
    "pachymetry_um": "corneal thickness",
    "iop_deviation_mmhg": "IOP deviation",
    "pachymetry_deviation_um": "corneal thickness deviation",
    "va_decimal": "visual acuity",
}


_QUALIFIERS = {
    "axis": ("cylinder",),
    "k1_axis": ("k1_radius_mm", "k1_power"),
    "k2_axis": ("k2_radius_mm", "k2_power"),
    "corneal_cylinder_axis": ("corneal_cylinder",),
    "prism_h_base": ("prism_h",),
    "prism_v_base": ("prism_v",),
    # A deviation describes the average it came with; without that average it says nothing.
    "iop_deviation_mmhg": ("iop_mmhg",),
    "pachymetry_deviation_um": ("pachymetry_um",),
}


def _shown(value: Decimal | int) -> str:
    """A value for a message: as sent when short, else in scientific notation (``1.000E+5000``)."""
    text = str(value)
    return text if len(text) <= 12 else f"{Decimal(value):.3E}"


def _range_text(limits: PlausibleRange) -> str:
    unit = f" {limits.unit}" if limits.unit else ""
    return f"{limits.low} to {limits.high}{unit}"


def _problem(what: str, value: Decimal | int, limits: PlausibleRange) -> str:
    unit = f" {limits.unit}" if limits.unit else ""
    return (
        f"{what} {_shown(value)}{unit} is outside the plausible range ({_range_text(limits)}); "
        "that value was not recorded"
    )


def _is_out(value: Decimal | int, limits: PlausibleRange) -> bool:
    if isinstance(value, Decimal) and not value.is_finite():
        return True
    return not limits.holds(value)


def check_values(eye: str, values: EyeValues, warnings: dict[str, None]) -> EyeValues:
    """``values`` without the ones outside their range; a warning (deduplicated) for each dropped."""
    dropped: dict[str, None] = {}
    for f in fields(EyeValues):
        value = getattr(values, f.name)
        limits = DEVICE_VALUE_RANGES.get(f.name)
        if value is None or limits is None or not isinstance(value, Decimal | int):
            continue
        if _is_out(value, limits):
            warnings[_problem(f"{eye} {_LABELS.get(f.name, f.name.replace('_', ' '))}", value, limits)] = None
            dropped[f.name] = None
    if not dropped:
        return values
    # A value that only qualifies another goes with it: an axis without its cylinder, a K axis
    # without its radius or power, a base without its prism, means nothing on its own.
    for qualifier, owners in _QUALIFIERS.items():
        if any(o in dropped for o in owners) and all(o in dropped or getattr(values, o) is None for o in owners):
            dropped[qualifier] = None
    return replace(values, **dict.fromkeys(dropped))  # type: ignore[arg-type]


def _check_side(eye: str, side: EyeSide, warnings: dict[str, None]) -> EyeSide | None:
    from ils_desktop.devices.protocols.base import median_of  # base imports this module

    before = len(warnings)
    readings = [checked for r in side.readings if not (checked := check_values(eye, r, warnings)).is_empty()]
    if len(warnings) == before:
        # Nothing dropped from the readings; the representative can still be off — the device's own
        # summary, or what the parser set on a computed median alone (a vertex distance).
        representative = check_values(eye, side.representative, warnings)
        if representative is side.representative:
            return side
    elif side.computed:
        representative = _carry_over(eye, median_of(readings), side.representative, readings, warnings)
    else:
        representative = check_values(eye, side.representative, warnings)
    if representative.is_empty() and readings:
        representative = median_of(readings)
        warnings[f"{eye}: the device's own summary value was implausible; the median of its readings is used"] = None
    if representative.is_empty():
        return None
    return EyeSide(representative=representative, readings=readings, computed=side.computed)


def _carry_over(
    eye: str, median: EyeValues, previous: EyeValues, readings: list[EyeValues], warnings: dict[str, None]
) -> EyeValues:
    """The recomputed median plus what the parser set on the representative alone (vertex distance)."""
    extra = {
        f.name: getattr(previous, f.name)
        for f in fields(EyeValues)
        if getattr(previous, f.name) is not None and all(getattr(r, f.name) is None for r in readings)
    }
    if not extra:
        return median
    checked = check_values(eye, EyeValues(**extra), warnings)
    return replace(median, **{name: getattr(checked, name) for name in extra})


def _check_pd(pd: PupillaryDistance, warnings: dict[str, None]) -> PupillaryDistance:
    changes: dict[str, None] = {}
    for name, limits in PD_RANGES.items():
        value = getattr(pd, name)
        if value is not None and _is_out(value, limits):
            label = {"distance": "PD", "near": "near PD", "right": "right PD", "left": "left PD"}[name]
            warnings[_problem(label, value, limits)] = None
            changes[name] = None
    return replace(pd, **changes) if changes else pd  # type: ignore[arg-type]


def _short(text: str | None, limit: int) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 3] + "..."


def _capped(warnings: list[str]) -> list[str]:
    unique = list(dict.fromkeys(one_line(w) for w in warnings))
    if len(unique) <= MAX_WARNINGS:
        return unique
    return [*unique[: MAX_WARNINGS - 1], f"... and {len(unique) - MAX_WARNINGS + 1} more warnings"]


def check_measurement(measurement: Measurement) -> tuple[Measurement | None, list[str]]:
    """The measurement with implausible values dropped and text fields capped (None if nothing is
    left), and the warnings about what was dropped."""
    found: dict[str, None] = {}
    eyes: dict[str, EyeSide] = {}
    for eye, side in measurement.eyes.items():
        kept = _check_side(eye, side, found)
        if kept is not None:
            eyes[eye] = kept
    pd = _check_pd(measurement.pd, found)
    if found and not eyes and pd.is_empty() and (measurement.eyes or not measurement.pd.is_empty()):
        return None, list(found)
    patient_id = measurement.patient_id
    patient_name = _short(measurement.patient_name, MAX_TEXT_CHARS)
    if patient_id is not None and len(patient_id) > MAX_ID_CHARS:
        found[f"the patient id sent is {len(patient_id)} characters long, more than any device uses; ignored"] = None
        patient_id = None
    extras = {
        _short(key, 40) or "": _short(value, MAX_TEXT_CHARS) or ""
        for key, value in list(measurement.extras.items())[:MAX_EXTRAS]
    }
    checked = replace(
        measurement,
        eyes=eyes,
        pd=pd,
        patient_id=patient_id,
        patient_name=patient_name,
        maker=_short(measurement.maker, MAX_ID_CHARS),
        model=_short(measurement.model, MAX_ID_CHARS),
        serial=_short(measurement.serial, MAX_ID_CHARS),
        warnings=_capped([*measurement.warnings, *found]),
        extras=extras,
    )
    return checked, list(found)


def plausible(measurements: list[Measurement]) -> list[Measurement]:
    """Apply the caps and value ranges above to what a parser produced (see the module docstring)."""
    if len(measurements) > MAX_MEASUREMENTS:
        raise ParseError(
            f"{len(measurements)} measurements in one input, more than the {MAX_MEASUREMENTS} any device "
            "sends at once; refused as damaged or hostile input"
        )
    kept: list[Measurement] = []
    dropped: list[str] = []
    reason = "no plausible value"
    for measurement in measurements:
        checked, found = check_measurement(measurement)
        if checked is None:
            dropped.append(str(measurement.kind).replace("_", " "))
            reason = found[0] if found else reason
        else:
            kept.append(checked)
    if measurements and not kept:
        raise ParseError(f"nothing plausible was read: {reason}")
    if dropped:
        note = f"{', '.join(dropped)} from the same input had no plausible value and was not recorded ({reason})"
        kept = [replace(m, warnings=_capped([*m.warnings, note])) for m in kept]
    return kept
