"""Nidek serial block format: lensmeters (DLM), autorefractors (DRM), keratometry (DKM), tonometry
(DNT) and pachymetry (DPM).

Layout (docs/domain/equipment.md, "Serial: Nidek family")::

    SOH <block id> STX <record> ETB [CR] <record> ETB ... EOT [checksum] [CR]

* The first record is usually ``ID<maker>/<model>`` (``IDNIDEK/LM-1000P``). A frame without one (a
  keratometry frame right after the autorefraction frame of the same ARK) takes the device from the
  previous frame of the same read.
* Checksum, when sent: four upper-case hex digits after EOT, the low 16 bits of the byte sum from SOH
  through EOT with CR bytes left out. It was verified on published frames but no manual states it, so
  a mismatch is a warning on the measurement and the values are still read.
* Lensmeter (DLM): eye records ``" R"``, ``" L"`` or two spaces (a single lens) followed by
  SPH(6) CYL(6) AXIS(3), e.g. `` R-06.50-01.50010``; ``AR02.00`` add (a bare ``03.00`` record after it is
  the second add); ``NR+00.75`` near sphere; ``PR00.50I`` prism with base letter I/O/U/D, one PR record
  per meridian. Some models report 0.01 D steps; the fields are read as they come.
* Autorefractor (DRM): ``VD12.00`` vertex distance, ``WD35``, ``OR-04.50-00.75110`` / ``OL...`` one per
  reading (an optional trailing digit is the reading's confidence), ``CR``/``CL`` records of uncertain
  meaning (kept as text in ``extras``), ``PD64????60`` far PD, placeholder, near PD. The device sends no
  median here, so the representative value is the per-value median of the readings.
* Keratometry (DKM): `` R07.7607.7014007.73`` R1 mm(5) R2 mm(5) axis(3) average mm(5);
  ``DR43.5043.7514043.75-00.25`` R1 D(5) R2 D(5) axis(3) average D(5) corneal cylinder(6). The axis is
  R1's; R2 is taken as the perpendicular meridian.
* Tonometry (DNT): per eye the eye and the number of readings (`` R03``), that many readings
  ``mmHg[/kPa]`` or an error token (``APL``, ``OVR``, ``ERR``), then ``AV`` with the average (the
  representative value) and its deviation. NT-series units put all of it in one record per eye
  (`` R03 15/2.0 16/2.1 15/2.0 AV15.3/2.04 SD0.6``); others give the count, each reading and the
  average records of their own. Items are separated by spaces (or commas); the deviation is the
  number after the average, with or without ``SD``/``DV``. The kPa figure after a slash is the same
  value in other units and is not kept.
* Pachymetry (DPM): same shape with µm values and error tokens ``BLK``, ``ALM``, ``ERR``.
* Several blocks under one EOT (``SOH Drm STX … ETB SOH DRM STX … ETB SOH DKM STX … ETB EOT
  checksum``, a published ARK-1a transmission) are read block by block; the checksum covers them all
  and its warning goes on every measurement of the transmission. Block ids are read in either case
  (``Drm`` is DRM). A block with no reading beside blocks that have one (a header: ``ID``, the
  measurement number, date) gives its device and records to the measurements of its transmission
  (and, when each block has its own EOT, to those of the frames after it in the same input).
* Handshake frames (``SOH C** STX RS ETB EOT`` and the PC's ``SD`` answer) carry no reading and are
  skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal

from ils_desktop.devices.framing import EOT, ETB, SOH, STX, nidek_checksum, split_frames
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
    parse_axis,
    parse_decimal,
    prism_base,
    set_prism,
)

NAME = "nidek_serial"

_BLOCK_KINDS: dict[str, MeasurementKind] = {
    "DLM": MeasurementKind.LENSOMETRY,
    "DRM": MeasurementKind.AUTOREFRACTION,
    "DKM": MeasurementKind.KERATOMETRY,
    "DNT": MeasurementKind.TONOMETRY,
    "DPM": MeasurementKind.PACHYMETRY,
}
# SOH, a three-character block id (either case), STX: the start of a frame in this format (not the
# RT header).
_FRAME_START = re.compile(rb"\x01[A-Za-z*][A-Za-z0-9* ]{2}\x02")
_START_PREFIX = re.compile(rb"\x01(?:[A-Za-z*](?:[A-Za-z0-9* ](?:[A-Za-z0-9* ])?)?)?")
_BLOCK_ID = re.compile(r"[A-Za-z*][A-Za-z0-9* ]{2}", re.ASCII)
_EYE_CODES = {"R": Eye.RIGHT, "L": Eye.LEFT, " ": Eye.UNSIDED}

# A signed dioptric field, tolerant of zero or space padding: "-02.25", "+ 3.00", "  0.00", "+1.25".
_DIOPTRE = r"[+\- ]?[ \d]?\d\.\d{2}"
_SPH_CYL = re.compile(rf"(?P<sph>{_DIOPTRE})(?P<cyl>{_DIOPTRE})(?P<rest>[ \d]*)", re.ASCII)
_RADIUS = r"[ \d]\d\.\d{2}"
_KERATO_MM = re.compile(
    rf"(?P<r1>{_RADIUS})(?P<r2>{_RADIUS})(?P<axis>[ \d]{{3}})(?P<avg>{_RADIUS})?\s*", re.ASCII
)
_KERATO_D = re.compile(
    rf"(?P<p1>{_RADIUS})(?P<p2>{_RADIUS})(?P<axis>[ \d]{{3}})(?P<avg>{_RADIUS})?(?P<cyl>{_DIOPTRE})?\s*",
    re.ASCII,
)
# The eye and how many readings follow: " R03", "L3", " R 3" (the readings may follow in the record).
_SERIES_EYE = re.compile(r"\s?(?P<eye>[RL])\s*(?P<count>\d{2}|\d(?!\d))", re.ASCII)
_NUMBER_TEXT = r"[+-]?\d+(?:\.\d+)?"
_END = r"(?![A-Za-z0-9.])"
# One item of a tonometry/pachymetry eye: the AV average [/kPa], a deviation, a reading [/kPa] or a
# failed reading's error token.
_SERIES_ITEM = re.compile(
    rf"""[\s,;]*(?:
        AV\s*(?P<average>{_NUMBER_TEXT}){_END}(?:\s*/\s*{_NUMBER_TEXT}{_END})?
      | (?:SD|DV|DEV|\+-)\s*(?P<deviation>{_NUMBER_TEXT}){_END}
      | (?P<value>{_NUMBER_TEXT}){_END}(?:\s*/\s*{_NUMBER_TEXT}{_END})?
      | (?P<error>(?!AV|SD|DV|DEV)[A-Za-z]{{2,4}}){_END}
    )""",
    re.ASCII | re.VERBOSE,
)
_TONO_ERRORS = {"APL": "applanation not achieved", "OVR": "over range", "ERR": "measurement error"}
_PACHY_ERRORS = {"BLK": "blink", "ALM": "alignment error", "ERR": "measurement error"}


@dataclass
class _Device:
    maker: str | None = None
    model: str | None = None


@dataclass
class _Frame:
    block: str
    records: list[str]
    warnings: list[str] = field(default_factory=list)
    raw: bytes = b""


class NidekSerialProtocol(DeviceProtocol):
    name = NAME
    description = (
        "Nidek serial frames SOH <DLM|DRM|DKM|DNT|DPM> STX records ETB ... EOT [checksum]: "
        "lensmeters, ARK/AR autorefractors and keratometers, tonometers, pachymeters"
    )

    def sniff(self, data: bytes) -> bool:
        return _FRAME_START.search(data) is not None

    def _parse(self, data: bytes) -> list[Measurement]:
        frames, dropped, pending = split_frames(data)
        if dropped:
            raise ParseError(
                f"incomplete frame: {_describe(dropped[0])} was cut off (a new frame started before its EOT)"
            )
        if pending and (STX in pending or _START_PREFIX.fullmatch(pending)):
            raise ParseError(
                f"incomplete frame: {_describe(pending)} has no EOT - the transmission stopped part-way"
            )
        # Anything else left over is an SOH in line noise, not a frame.
        transmissions = [blocks for frame in frames if (blocks := _split_transmission(frame)) is not None]
        if not transmissions:
            raise ParseError("no Nidek frame found (expected SOH <block id> STX ... EOT)")
        device = _Device()
        header: dict[str, str] = {}
        measurements: list[Measurement] = []
        skipped: list[str] = []
        nothing: _NoReading | None = None
        for blocks in transmissions:
            found, empty = _read_transmission(blocks, device, header, skipped)
            measurements.extend(found)
            nothing = nothing or empty
        if nothing is not None and not measurements:
            raise nothing
        if skipped and not measurements:
            raise ParseError("; ".join(skipped))
        for m in measurements:
            m.warnings.extend(skipped)
        return measurements


class _NoReading(ParseError):
    """A block with no reading in it; in a transmission of several blocks, a header."""

    extras: dict[str, str]


def _describe(frame: bytes) -> str:
    """A short printable rendering of the start of a frame, for messages."""
    text = frame[:24].decode("ascii", "replace")
    text = text.replace("\x01", "<SOH>").replace("\x02", "<STX>").replace("\x17", "<ETB>")
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return repr(text + ("..." if len(frame) > 24 else ""))


def _split_transmission(frame: bytes) -> list[_Frame] | None:
    """The blocks of one SOH...EOT transmission (one, or several under a single EOT), each with the
    checksum's warnings; None if the frame is not this layout."""
    if not _FRAME_START.match(frame):
        return None
    eot = frame.index(EOT)
    warnings: list[str] = []
    trailer = frame[eot + 1 :].rstrip(b"\r").decode("ascii")
    if trailer:
        computed = nidek_checksum(frame[: eot + 1])
        if len(trailer) < 4:
            warnings.append(
                f"checksum incomplete: frame ends with {trailer!r}; values kept, "
                "please check them against the device"
            )
        elif trailer.upper() != computed:
            warnings.append(
                f"checksum mismatch: the frame says {trailer} but its bytes add up to {computed}; "
                "values kept, please check them against the device"
            )
    blocks: list[_Frame] = []
    # The framer joins blocks only where an SOH follows a block's ETB, so each part is one block.
    for part in frame[1:eot].split(bytes([SOH])):
        stx = part.find(STX)
        block = part[:stx].decode("ascii") if stx >= 0 else ""
        if not _BLOCK_ID.fullmatch(block):
            raise ParseError(f"Nidek block {_describe(bytes([SOH]) + part)} has no block id and STX")
        records = []
        for record in part[stx + 1 :].split(bytes([ETB])):
            # CR/LF after ETB and stray STX are framing, not data; spaces are data (" R" is an eye code).
            text = record.decode("ascii").strip("\r\n\x02\x03")
            if text:
                records.append(text)
        blocks.append(_Frame(block=block, records=records, warnings=list(warnings), raw=frame))
    return blocks


def _read_transmission(blocks: list[_Frame], device: _Device, header: dict[str, str], skipped: list[str]
                       ) -> tuple[list[Measurement], _NoReading | None]:
    """The measurements of one transmission's blocks, and why a block had none (see the module
    docstring on headers). A block without a reading is a header: its device and records go to the
    measurements of its transmission and of those after it in the same input (``device``,
    ``header``), as a frame without an ID record takes the device of the frame before it."""
    found: list[Measurement] = []
    nothing: _NoReading | None = None
    for block in blocks:
        block_id = block.block.upper()
        if block_id.startswith("C"):
            continue  # handshake request/answer: no reading in it
        kind = _BLOCK_KINDS.get(block_id)
        if kind is None:
            skipped.append(f"Nidek block {block.block!r} is not a known reading and was skipped")
            continue
        try:
            found.extend(_parse_block(kind, block, device))
        except _NoReading as empty:
            nothing = nothing or empty
            header.update(empty.extras)
    for measurement in found:
        for key, value in header.items():
            measurement.extras.setdefault(key, value)
    return found, nothing


def _parse_block(kind: MeasurementKind, frame: _Frame, device: _Device) -> list[Measurement]:
    records = list(frame.records)
    extras: dict[str, str] = {}
    rest: list[str] = []
    for record in records:
        if record.startswith("ID"):
            ident = record[2:].strip()
            maker, _, model = ident.partition("/")
            if model:
                device.maker, device.model = clean_text(maker), clean_text(model)
            else:
                device.maker, device.model = "NIDEK", clean_text(ident)
        else:
            rest.append(record)
    try:
        if kind is MeasurementKind.LENSOMETRY:
            built = [_lensometry(rest, extras)]
        elif kind is MeasurementKind.AUTOREFRACTION:
            built = _autorefraction(rest, extras)
        elif kind is MeasurementKind.KERATOMETRY:
            built = [_keratometry(rest, extras)]
        elif kind is MeasurementKind.TONOMETRY:
            built = [_series(rest, extras, kind, "iop_mmhg", "iop_deviation_mmhg", _TONO_ERRORS)]
        else:
            built = [_series(rest, extras, kind, "pachymetry_um", "pachymetry_deviation_um", _PACHY_ERRORS)]
    except _NoReading as nothing:
        nothing.extras = dict(extras)  # what a header block says, for the blocks beside it
        raise
    return [
        Measurement(
            kind=b_kind,
            protocol=NAME,
            maker=device.maker or "NIDEK",
            model=device.model,
            eyes=eyes,
            pd=pd,
            warnings=[*frame.warnings, *warnings],
            extras=dict(b_extras),
            raw=frame.raw,
        )
        for b_kind, eyes, pd, warnings, b_extras in built
    ]


_Built = tuple[MeasurementKind, dict[str, EyeSide], PupillaryDistance, list[str], dict[str, str]]


def _keep(extras: dict[str, str], record: str) -> None:
    """Keep a record the model has no place for, under its two-letter code."""
    key, value = record[:2].strip() or record[:2], record[2:].strip()
    extras[key] = f"{extras[key]} | {value}" if key in extras else value


def sph_cyl_axis(text: str, what: str) -> EyeValues:
    """SPH(6) CYL(6) AXIS(3) [confidence digit] as EyeValues."""
    match = _SPH_CYL.fullmatch(text)
    if not match:
        raise ParseError(f"{what}: {text.strip()!r} is not SPH(6) CYL(6) AXIS(3)")
    rest = match["rest"]
    # AXIS is three characters; a fourth is the reading's confidence digit (some ARK readings).
    axis_text, confidence_text = (rest[:3], rest[3:]) if len(rest) > 3 else (rest, "")
    return EyeValues(
        sphere=parse_decimal(match["sph"], f"{what} sphere"),
        cylinder=parse_decimal(match["cyl"], f"{what} cylinder"),
        axis=parse_axis(axis_text, f"{what} axis") if axis_text.strip() else None,
        confidence=parse_decimal(confidence_text, f"{what} confidence") if confidence_text.strip() else None,
    )


def _lensometry(records: list[str], extras: dict[str, str]) -> _Built:
    lenses: dict[str, EyeValues] = {}
    warnings: list[str] = []
    pd = PupillaryDistance()
    last_add_eye: str | None = None
    for record in records:
        head, body = record[:2], record[2:]
        if head in (" R", " L", "  ") and body.strip():
            eye = _EYE_CODES[head[1]]
            values = sph_cyl_axis(body, f"lens {eye}")
            current = lenses.get(eye, EyeValues())
            lenses[eye] = replace(current, sphere=values.sphere, cylinder=values.cylinder, axis=values.axis)
        elif head[:1] == "A" and head[1:] in ("R", "L", " ") and body.strip():
            eye = _EYE_CODES[head[1]]
            lenses[eye] = replace(lenses.get(eye, EyeValues()), add=parse_decimal(body, f"add {eye}"))
            last_add_eye = eye
        elif head[:1] == "N" and head[1:] in ("R", "L", " ") and body.strip():
            eye = _EYE_CODES[head[1]]
            lenses[eye] = replace(
                lenses.get(eye, EyeValues()), near_sphere=parse_decimal(body, f"near sphere {eye}")
            )
        elif head[:1] == "P" and head[1:] in ("R", "L", " ") and body.strip():
            eye = _EYE_CODES[head[1]]
            match = re.fullmatch(r"(?P<amount>[+\- ]?[ \d]*\d(?:\.\d+)?)\s*(?P<base>[A-Za-z]*)\s*", body, re.ASCII)
            if not match:
                raise ParseError(f"prism {eye}: {body.strip()!r} is not an amount and base letter")
            amount = parse_decimal(match["amount"], f"prism {eye}")
            base = prism_base(match["base"]) if match["base"] else None
            if match["base"] and base is None:
                raise ParseError(f"prism {eye}: base {match['base']!r} is not I, O, U or D")
            if base is None and amount != 0:
                warnings.append(f"prism {eye} {amount} sent without a base direction; kept as sent")
            lenses[eye] = set_prism(lenses.get(eye, EyeValues()), amount, base, horizontal=True)
        elif re.fullmatch(r"\s*[+\-]?\d{1,2}\.\d{2}\s*", record, re.ASCII) and last_add_eye is not None:
            # A bare number after an add record is that lens's second add (docs/domain/equipment.md).
            lenses[last_add_eye] = replace(lenses[last_add_eye], add2=parse_decimal(record, "second add"))
        elif record.startswith("PD"):
            pd = _pd_record(record[2:])
        else:
            _keep(extras, record)
    if not lenses:
        raise _NoReading("lensmeter frame has no lens record (' R', ' L' or a single lens)")
    eyes = {eye: EyeSide(representative=values, readings=[values]) for eye, values in lenses.items()}
    return (MeasurementKind.LENSOMETRY, eyes, pd, warnings, extras)


def _pd_record(text: str) -> PupillaryDistance:
    """``64????60`` far PD, a 4-character placeholder, near PD; or a single far PD."""
    text = text.strip()
    if re.fullmatch(r"\d{8}", text, re.ASCII):
        far, near = text[:2], text[6:]
    else:
        numbers = re.findall(r"\d+(?:\.\d+)?", text.replace("?", " "), re.ASCII)
        if not numbers or len(numbers) > 2:
            raise ParseError(f"PD: {text!r} is not far PD [placeholder] near PD")
        far, near = numbers[0], numbers[1] if len(numbers) > 1 else None
    distance = parse_decimal(far, "far PD")
    near_pd = parse_decimal(near, "near PD") if near else None
    return PupillaryDistance(distance=distance or None, near=near_pd or None)


def _autorefraction(records: list[str], extras: dict[str, str]) -> list[_Built]:
    readings: dict[str, list[EyeValues]] = {}
    kerato_records: list[str] = []
    vertex: Decimal | None = None
    pd = PupillaryDistance()
    for record in records:
        head = record[:2]
        if head in ("OR", "OL"):
            eye = _EYE_CODES[head[1]]
            values = sph_cyl_axis(record[2:], f"reading {eye}")
            readings.setdefault(eye, []).append(values)
        elif head == "VD":
            vertex = parse_decimal(record[2:], "vertex distance")
        elif head == "PD":
            pd = _pd_record(record[2:])
        elif head in (" R", " L", "DR", "DL"):
            kerato_records.append(record)  # an ARK may send kerato inside the refraction block
        else:
            _keep(extras, record)  # NO (measurement number), WD, CR/CL (meaning uncertain)...
    if not readings and not kerato_records:
        raise _NoReading("autorefraction frame has no reading (OR/OL records)")
    built: list[_Built] = []
    if readings:
        eyes: dict[str, EyeSide] = {}
        for eye, series in readings.items():
            side = eye_side(series)
            if vertex is not None:
                side = EyeSide(
                    representative=replace(side.representative, vertex_distance=vertex),
                    readings=side.readings,
                    computed=side.computed,
                )
            eyes[eye] = side
        built.append((MeasurementKind.AUTOREFRACTION, eyes, pd, [], extras))
    if kerato_records:
        built.append(_keratometry(kerato_records, {}))
    return built


def _perpendicular(axis: int) -> int:
    return axis + 90 if axis <= 90 else axis - 90


def _keratometry(records: list[str], extras: dict[str, str]) -> _Built:
    readings: dict[str, list[EyeValues]] = {}
    for record in records:
        head, body = record[:2], record[2:]
        if head in (" R", " L"):
            eye = _EYE_CODES[head[1]]
            match = _KERATO_MM.fullmatch(body)
            if not match:
                raise ParseError(f"keratometry {eye}: {body!r} is not R1 R2 AXIS AVERAGE (mm)")
            axis = parse_axis(match["axis"], f"keratometry {eye} axis")
            readings.setdefault(eye, []).append(
                EyeValues(
                    k1_radius_mm=parse_decimal(match["r1"], f"keratometry {eye} R1"),
                    k1_axis=axis,
                    k2_radius_mm=parse_decimal(match["r2"], f"keratometry {eye} R2"),
                    k2_axis=_perpendicular(axis),
                    k_average_radius_mm=parse_decimal(match["avg"], f"keratometry {eye} average")
                    if match["avg"]
                    else None,
                )
            )
        elif head in ("DR", "DL"):
            eye = _EYE_CODES[head[1]]
            match = _KERATO_D.fullmatch(body)
            if not match:
                raise ParseError(f"keratometry {eye}: {body!r} is not R1 R2 AXIS AVERAGE CYL (D)")
            axis = parse_axis(match["axis"], f"keratometry {eye} axis")
            powers = EyeValues(
                k1_power=parse_decimal(match["p1"], f"keratometry {eye} R1 power"),
                k1_axis=axis,
                k2_power=parse_decimal(match["p2"], f"keratometry {eye} R2 power"),
                k2_axis=_perpendicular(axis),
                k_average_power=parse_decimal(match["avg"], f"keratometry {eye} average power")
                if match["avg"]
                else None,
                corneal_cylinder=parse_decimal(match["cyl"], f"keratometry {eye} cylinder")
                if match["cyl"]
                else None,
            )
            series = readings.setdefault(eye, [])
            # The dioptre record belongs to the radius record just before it (same reading).
            if series and series[-1].k1_power is None:
                series[-1] = replace(
                    series[-1],
                    k1_power=powers.k1_power,
                    k2_power=powers.k2_power,
                    k_average_power=powers.k_average_power,
                    corneal_cylinder=powers.corneal_cylinder,
                )
            else:
                series.append(powers)
        else:
            _keep(extras, record)
    if not readings:
        raise _NoReading("keratometry frame has no reading (' R', ' L', 'DR', 'DL' records)")
    eyes = {eye: eye_side(series) for eye, series in readings.items()}
    return (MeasurementKind.KERATOMETRY, eyes, PupillaryDistance(), [], extras)


def _series(
    records: list[str],
    extras: dict[str, str],
    kind: MeasurementKind,
    value_field: str,
    deviation_field: str,
    error_tokens: dict[str, str],
) -> _Built:
    """Tonometry/pachymetry: per eye the count, the readings (or error tokens), the AV average and
    its deviation, in one record or several (see the module docstring)."""
    readings: dict[str, list[EyeValues]] = {}
    averages: dict[str, EyeValues] = {}
    expected: dict[str, int] = {}
    attempts: dict[str, int] = {}
    warnings: list[str] = []
    eye: str | None = None
    unit_name = "IOP" if value_field == "iop_mmhg" else "thickness"
    for record in records:
        start = _SERIES_EYE.match(record)
        if start:
            eye = _EYE_CODES[start["eye"]]
            expected[eye] = int(start["count"])
            attempts.setdefault(eye, 0)
            readings.setdefault(eye, [])
            rest = record[start.end() :]
        elif eye is None:
            _keep(extras, record)  # NO, DA, TI... before the first eye
            continue
        else:
            rest = record
        position = 0
        while rest[position:].strip(" ,;"):
            item = _SERIES_ITEM.match(rest, position)
            if item is None or item.end() == position:
                raise ParseError(
                    f"{eye} {unit_name}: {rest[position:].strip()!r} is not a reading, an AV average or a deviation"
                )
            position = item.end()
            if item["average"] is not None:
                value = parse_decimal(item["average"], f"{eye} average {unit_name}")
                averages[eye] = EyeValues(**{value_field: value})
            elif item["deviation"] is not None or (item["value"] is not None and eye in averages):
                # The number after the average is its deviation, whether or not it is labelled SD.
                if eye not in averages or getattr(averages[eye], deviation_field) is not None:
                    raise ParseError(f"{eye} {unit_name}: a deviation without an average before it")
                deviation = parse_decimal(item["deviation"] or item["value"], f"{eye} {unit_name} deviation")
                averages[eye] = replace(averages[eye], **{deviation_field: deviation})
            elif item["error"] is not None:
                attempts[eye] += 1
                check_reading_count(attempts[eye], f"{eye} {unit_name} readings")
                token = item["error"]
                meaning = error_tokens.get(token.upper(), "device error code")
                warnings.append(f"{eye} reading {attempts[eye]}: {token} ({meaning}) - no value")
            else:
                attempts[eye] += 1
                check_reading_count(attempts[eye], f"{eye} {unit_name} readings")
                value = parse_decimal(item["value"], f"{eye} reading {attempts[eye]} {unit_name}")
                readings[eye].append(EyeValues(**{value_field: value}))
    eyes: dict[str, EyeSide] = {}
    for eye_code in sorted(set(readings) | set(averages), key=lambda e: "RLBU".index(e)):
        if eye_code in expected and attempts.get(eye_code, 0) != expected[eye_code]:
            warnings.append(
                f"{eye_code}: device announced {expected[eye_code]} readings "
                f"but sent {attempts.get(eye_code, 0)}"
            )
        series = readings.get(eye_code, [])
        if not series and eye_code not in averages:
            continue  # every reading failed: nothing to record for this eye (the warning says why)
        eyes[eye_code] = eye_side(series, averages.get(eye_code))
    if not eyes and not warnings:
        raise _NoReading(f"{kind} frame has no reading")
    return (kind, eyes, PupillaryDistance(), warnings, extras)


def handshake_reply(device_id: str) -> bytes:
    """The PC's answer in "NIDEK" handshake mode: ``SOH <id> STX SD ETB EOT CR``.

    ``device_id`` is ``CLM`` (lensmeter), ``CRK``/``CRM`` (autorefractor with/without kerato) or
    ``CRL`` (phoropter), per docs/domain/equipment.md ("Handshake").
    """
    if not re.fullmatch(r"C[A-Z]{2}", device_id):
        raise ValueError(f"handshake id must be C + two letters, got {device_id!r}")
    return bytes([SOH]) + device_id.encode("ascii") + bytes([STX]) + b"SD" + bytes([ETB, EOT]) + b"\r"


def is_handshake_request(frame: bytes) -> bool:
    """True for the device's ``SOH C** STX RS ETB EOT`` ("ready to send?") frame."""
    match = re.match(rb"\x01C(?:\*\*|  )\x02RS\x17\x04", frame)
    return match is not None
