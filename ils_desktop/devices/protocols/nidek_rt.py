"""Nidek RT-2100/3100/5100 phoropter output: final Rx, adds, VA, PD.

Layout (docs/domain/equipment.md, "Nidek RT phoropters"; line 2400 baud 7E2 or 9600 8O1, DTR
asserted)::

    SOH NIDEK RT-5100 ID<12 chars> DAyyyy/ m/ d CR      header (month/day space-padded)
    STX @RT CR                                          source: @LM lensmeter, @RM autorefractor,
                                                        @RT refractor, @KM kerato, @NT tono
                                                        (lower case: night/near variants)
    STX <c1><c2><data> CR                                one value per line, c2 = eye R/L (B both)
    ...
    EOT CR

Values use a *space* for a zero tens digit and for a zero sign (``+ 3.00``, ``- 1.00``, ``  0.00``);
axes are space-padded (`` 30``). Codes read here:

* ``FR``/``FL`` final far sphere/cylinder/axis, ``NR``/``NL`` final near (its sphere is kept as
  ``near_sphere``), ``AR``/``AL`` add, ``fR``/``fL`` subjective far (used when no final is sent) - these
  make a ``subjective_refraction`` measurement with the ``PD`` (far) and ``Pd`` (near) PDs;
* ``vR``/``vL``/``vB`` and ``uR``/``uL``/``uB`` visual acuity in decimal notation (a Snellen fraction
  such as ``6/6`` is converted) - a ``visual_acuity`` measurement per letter; which condition each
  letter stands for is not documented, so the letter is kept in ``extras["rt_va_code"]``;
* ``OR``/``OL`` objective refraction in an ``@RM`` section (``autorefraction``), `` R``/`` L``
  lensmeter readings in an ``@LM`` section (``lensometry``);
* ``WD``/``wd`` working distance, ``TT`` test time and anything else are kept as text in ``extras``.

The header carries only a date, so ``taken_at`` is left empty and the date is kept in
``extras["date"]``; a non-blank ID becomes ``patient_id``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TypeVar

from ils_desktop.devices.framing import CR, EOT, STX, split_frames
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
    clean_text,
    eye_side,
    parse_date,
    parse_decimal,
)
from ils_desktop.devices.protocols.nidek_serial import sph_cyl_axis

NAME = "nidek_rt"

_HEADER = re.compile(
    r"\s*(?P<maker>[A-Za-z]+)\s+(?P<model>RT-?\w+)\s*"
    r"(?:ID(?P<id>.*?))?\s*(?:DA(?P<date>\d{4}\s*/\s*\d{1,2}\s*/\s*\d{1,2}))?\s*",
    re.ASCII,
)
_SNIFF = re.compile(rb"\x01\s*[A-Za-z]*\s*RT-?\d{3,4}|\x02@(?:RT|LM|RM|KM|NT|rt|lm|rm|km|nt)\r")
_EYES = {"R": Eye.RIGHT, "L": Eye.LEFT, "B": Eye.BINOCULAR}
_NUMBER = re.compile(r"\d+(?:\.\d+)?", re.ASCII)


@dataclass
class _Section:
    """What one ``@<source>`` section of a frame said."""

    source: str
    final: dict[str, EyeValues] = field(default_factory=dict)
    subjective: dict[str, EyeValues] = field(default_factory=dict)
    near: dict[str, EyeValues] = field(default_factory=dict)
    adds: dict[str, Decimal] = field(default_factory=dict)
    objective: dict[str, list[EyeValues]] = field(default_factory=dict)
    lensmeter: dict[str, EyeValues] = field(default_factory=dict)
    va: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    pd: PupillaryDistance = field(default_factory=PupillaryDistance)
    extras: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class NidekRtProtocol(DeviceProtocol):
    name = NAME
    description = "Nidek RT-2100/3100/5100 phoropter output (SOH NIDEK RT-xxxx header, STX lines, EOT)"

    def sniff(self, data: bytes) -> bool:
        return _SNIFF.search(data) is not None

    def _parse(self, data: bytes) -> list[Measurement]:
        frames, dropped, pending = split_frames(data)
        if dropped:
            raise ParseError("incomplete frame: an RT frame was cut off before its EOT")
        if pending and (CR in pending or STX in pending or _SNIFF.search(pending)):
            raise ParseError("incomplete frame: the RT output has no EOT - the transmission stopped part-way")
        measurements: list[Measurement] = []
        for frame in frames:
            measurements.extend(_parse_frame(frame))
        if not measurements:
            raise ParseError("no Nidek RT frame found (expected SOH NIDEK RT-xxxx ... EOT)")
        return measurements


def _parse_frame(frame: bytes) -> list[Measurement]:
    text = frame[1 : frame.index(EOT)].decode("ascii")
    # Each line is STX + text + CR; leading spaces are data (" R" is the lensmeter's right lens).
    lines = [line.lstrip("\x02") for line in re.split(r"[\r\n]+", text)]
    header_text, body = lines[0], lines[1:]
    if "\x02" in header_text:
        return []  # a block-format frame (nidek_serial), not RT output
    header = _HEADER.fullmatch(header_text)
    if header is None:
        return []
    maker = header["maker"].upper()
    model = header["model"]
    patient_id = clean_text(header["id"])
    day = parse_date(header["date"])
    sections: list[_Section] = []
    for line in body:
        if not line.strip():
            continue
        if line.startswith("@"):
            sections.append(_Section(source=line[1:].strip()))
            continue
        if not sections:
            sections.append(_Section(source="RT"))
        _read_line(sections[-1], line)
    common_extras = {"date": day.isoformat()} if day else {}
    measurements: list[Measurement] = []
    for section in sections:
        for kind, eyes, pd, extras in _section_measurements(section):
            measurements.append(
                Measurement(
                    kind=kind,
                    protocol=NAME,
                    maker=maker,
                    model=model,
                    patient_id=patient_id,
                    eyes=eyes,
                    pd=pd,
                    warnings=list(section.warnings),
                    extras={
                        **common_extras,
                        **({"source": "@" + section.source} if section.source != "RT" else {}),
                        **extras,
                    },
                    raw=frame,
                )
            )
    return measurements


def _read_line(section: _Section, line: str) -> None:
    code, data = line[:2], line[2:]
    c1, c2 = code[:1], code[1:2]
    eye = _EYES.get(c2)
    what = f"RT {code.strip() or 'line'}"
    source = section.source.upper()
    if code == "PD":
        numbers = _NUMBER.findall(data)
        if numbers:
            right = parse_decimal(numbers[1], "PD right") if len(numbers) == 3 else None
            left = parse_decimal(numbers[2], "PD left") if len(numbers) == 3 else None
            section.pd = replace(section.pd, distance=parse_decimal(numbers[0], "PD"), right=right, left=left)
        return
    if code == "Pd":
        numbers = _NUMBER.findall(data)
        if numbers:
            section.pd = replace(section.pd, near=parse_decimal(numbers[0], "near PD"))
        return
    if eye is None or not data.strip():
        _keep(section, code, data)
        return
    if source == "RT" and c1 == "F":
        section.final[eye] = sph_cyl_axis(data, what)
    elif source == "RT" and c1 == "f":
        section.subjective[eye] = sph_cyl_axis(data, what)
    elif source == "RT" and c1 == "N":
        section.near[eye] = sph_cyl_axis(data, what)
    elif c1 == "A" and source in ("RT", "LM"):
        section.adds[eye] = parse_decimal(data, what)
    elif c1 in ("v", "u"):
        value = _visual_acuity(data, what, section)
        if value is not None:
            section.va.setdefault(c1, {})[eye] = value
    elif source == "RM" and c1 == "O":
        section.objective.setdefault(eye, []).append(sph_cyl_axis(data, what))
    elif source == "LM" and c1 == " ":
        section.lensmeter[eye] = sph_cyl_axis(data, what)
    else:
        _keep(section, code, data)


def _keep(section: _Section, code: str, data: str) -> None:
    key = code.strip() or code
    value = data.strip()
    section.extras[key] = f"{section.extras[key]} | {value}" if key in section.extras else value


def _visual_acuity(text: str, what: str, section: _Section) -> Decimal | None:
    """Decimal VA; a Snellen fraction (6/6, 20/40) is converted to decimal, rounded to 0.01."""
    cleaned = text.strip()
    fraction = re.fullmatch(r"(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)", cleaned, re.ASCII)
    if fraction:
        denominator = Decimal(fraction[2])
        if denominator == 0:
            raise ParseError(f"{what}: {cleaned!r} is not a visual acuity")
        return (Decimal(fraction[1]) / denominator).quantize(Decimal("0.01"))
    if re.fullmatch(r"[+-]?\d*\.?\d+", cleaned, re.ASCII):
        return parse_decimal(cleaned, what)
    section.warnings.append(f"{what}: visual acuity {cleaned!r} not understood; kept as text")
    _keep(section, what[3:], cleaned)
    return None


_Built = tuple[MeasurementKind, dict[str, EyeSide], PupillaryDistance, dict[str, str]]
_V = TypeVar("_V")


def _single(values: dict[str, EyeValues]) -> dict[str, EyeSide]:
    return {eye: EyeSide(representative=v, readings=[v]) for eye, v in _ordered(values).items()}


def _ordered(values: dict[str, _V]) -> dict[str, _V]:
    return {eye: values[eye] for eye in sorted(values, key="RLBU".index)}


def _section_measurements(section: _Section) -> list[_Built]:
    built: list[_Built] = []
    rx_eyes = set(section.final) | set(section.subjective) | set(section.near) | set(section.adds)
    if section.source.upper() == "RT" and rx_eyes:
        eyes: dict[str, EyeValues] = {}
        for eye in rx_eyes:
            values = section.final.get(eye) or section.subjective.get(eye) or EyeValues()
            if eye in section.adds:
                values = replace(values, add=section.adds[eye])
            if eye in section.near:
                values = replace(values, near_sphere=section.near[eye].sphere)
            eyes[eye] = values
        extras = dict(section.extras)
        if section.final and section.subjective:
            for eye, values in _ordered(section.subjective).items():
                extras[f"subjective_{eye}"] = _sca_text(values)
        built.append((MeasurementKind.SUBJECTIVE_REFRACTION, _single(eyes), section.pd, extras))
    for letter in sorted(section.va, key="vu".index):
        va_eyes = {eye: EyeValues(va_decimal=value) for eye, value in section.va[letter].items()}
        built.append(
            (MeasurementKind.VISUAL_ACUITY, _single(va_eyes), PupillaryDistance(), {"rt_va_code": letter})
        )
    if section.objective:
        objective = {eye: eye_side(readings) for eye, readings in _ordered(section.objective).items()}
        built.append((MeasurementKind.AUTOREFRACTION, objective, section.pd, dict(section.extras)))
    if section.lensmeter:
        lenses = dict(section.lensmeter)
        for eye, add in section.adds.items():
            if eye in lenses:
                lenses[eye] = replace(lenses[eye], add=add)
        built.append((MeasurementKind.LENSOMETRY, _single(lenses), section.pd, dict(section.extras)))
    if not built and section.extras:
        section.warnings.append(f"@{section.source} section not interpreted; its lines are kept as text")
        built.append((_kind_for_source(section.source), {}, section.pd, dict(section.extras)))
    return built


def _kind_for_source(source: str) -> MeasurementKind:
    return {
        "LM": MeasurementKind.LENSOMETRY,
        "RM": MeasurementKind.AUTOREFRACTION,
        "KM": MeasurementKind.KERATOMETRY,
        "NT": MeasurementKind.TONOMETRY,
    }.get(source.upper(), MeasurementKind.SUBJECTIVE_REFRACTION)


def _sca_text(values: EyeValues) -> str:
    return f"{values.sphere}/{values.cylinder}x{values.axis}"
