"""The common model every device reading becomes.

Whatever the transport (serial frame, exported file, DICOM object), a reading from an autorefractor,
keratometer, lensmeter, tonometer, pachymeter or phoropter ends up as one :class:`Measurement`: the
kind of measurement, the device (maker/model/serial), when it was taken, the patient id the device
was given (if any), and per eye the representative values plus the individual readings. The raw
bytes are kept for audit.

Values are :class:`~decimal.Decimal`, never float: a "-2.25" from the device stays exactly -2.25 all
the way to the record card and the JSON output. Axes are integers 0-180 (0 and 180 mean the same; the
value is kept as the device sent it). Cylinder is kept in the sign the device used.

This module is pure: no database, no Qt.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any


class MeasurementKind(StrEnum):
    """What was measured, in the words the practice uses."""

    AUTOREFRACTION = "autorefraction"
    KERATOMETRY = "keratometry"
    LENSOMETRY = "lensometry"
    TONOMETRY = "tonometry"
    PACHYMETRY = "pachymetry"
    SUBJECTIVE_REFRACTION = "subjective_refraction"
    VISUAL_ACUITY = "visual_acuity"


class HorizontalPrismBase(StrEnum):
    """Base direction of a horizontal prism."""

    IN = "IN"
    OUT = "OUT"


class VerticalPrismBase(StrEnum):
    """Base direction of a vertical prism."""

    UP = "UP"
    DOWN = "DOWN"


class Eye(StrEnum):
    """Which eye (or lens) a set of values belongs to.

    ``B`` is binocular (both eyes open, e.g. a binocular VA); ``U`` is an unsided value, e.g. a single
    lens read on a lensmeter without saying which side of the spectacles it came from.
    """

    RIGHT = "R"
    LEFT = "L"
    BINOCULAR = "B"
    UNSIDED = "U"


EYE_ORDER: tuple[str, ...] = (Eye.RIGHT, Eye.LEFT, Eye.BINOCULAR, Eye.UNSIDED)


MAX_MESSAGE_CHARS = 300
"""Longest error or warning text kept: messages quote device text, which may be anything."""


def one_line(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` as one printable line of at most ``limit`` characters.

    Messages quote what the device sent; a hostile file could otherwise put line breaks, terminal
    escapes or megabytes into the inbox, a log line or the ``devices parse`` output.
    """
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text)
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 3].rstrip() + "..."


class ParseError(ValueError):
    """Input a device parser could not turn into measurements.

    The offending input is kept in :attr:`raw` so the caller can store it for a person to look at
    (quarantine folder, "unmatched readings" inbox) - nothing is thrown away.
    """

    def __init__(self, message: str, raw: bytes = b"") -> None:
        message = one_line(message)
        super().__init__(message)
        self.message = message
        self.raw = raw

    def with_raw(self, raw: bytes) -> ParseError:
        """Return this error carrying ``raw`` (used where the parser only knows the input late)."""
        if not self.raw:
            self.raw = raw
        return self


# Keys of the public JSON contract, in the order they are written (see parse_command's docstring).
CONTRACT_EYE_KEYS: tuple[str, ...] = (
    "sphere",
    "cylinder",
    "axis",
    "add",
    "add2",
    "prism_h",
    "prism_h_base",
    "prism_v",
    "prism_v_base",
    "k1_radius_mm",
    "k1_power",
    "k1_axis",
    "k2_radius_mm",
    "k2_power",
    "k2_axis",
    "iop_mmhg",
    "pachymetry_um",
    "va_decimal",
)


@dataclass(frozen=True, slots=True)
class EyeValues:
    """One eye's values from one reading (or the representative of several readings).

    Every field is optional: a tonometer fills ``iop_mmhg`` only, a lensmeter the sphero-cylinder,
    adds and prism. Dioptric values are in dioptres, radii in mm, IOP in mmHg, thickness in µm.
    """

    sphere: Decimal | None = None
    cylinder: Decimal | None = None
    axis: int | None = None
    add: Decimal | None = None
    add2: Decimal | None = None
    prism_h: Decimal | None = None
    prism_h_base: HorizontalPrismBase | None = None
    prism_v: Decimal | None = None
    prism_v_base: VerticalPrismBase | None = None
    k1_radius_mm: Decimal | None = None
    k1_power: Decimal | None = None
    k1_axis: int | None = None
    k2_radius_mm: Decimal | None = None
    k2_power: Decimal | None = None
    k2_axis: int | None = None
    iop_mmhg: Decimal | None = None
    pachymetry_um: Decimal | None = None
    va_decimal: Decimal | None = None
    # Beyond the core contract keys: written to JSON only when present.
    near_sphere: Decimal | None = None
    k_average_radius_mm: Decimal | None = None
    k_average_power: Decimal | None = None
    corneal_cylinder: Decimal | None = None
    corneal_cylinder_axis: int | None = None
    iop_corrected_mmhg: Decimal | None = None
    spherical_equivalent: Decimal | None = None
    confidence: Decimal | None = None
    vertex_distance: Decimal | None = None
    # The spread a tonometer or pachymeter reports with its average (same unit as the value).
    iop_deviation_mmhg: Decimal | None = None
    pachymetry_deviation_um: Decimal | None = None

    def is_empty(self) -> bool:
        """True when no value at all is set."""
        return all(getattr(self, f.name) is None for f in fields(self))

    def to_json_dict(self) -> dict[str, Any]:
        """The values that are present, contract keys first (Decimals stay Decimals)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            out[f.name] = str(value) if isinstance(value, StrEnum) else value
        return out


@dataclass(frozen=True, slots=True)
class EyeSide:
    """Everything one eye got in one measurement: the representative value and the readings."""

    representative: EyeValues
    readings: list[EyeValues] = field(default_factory=list)
    # True when the representative is the median the parser computed (the device sent none), so it
    # can be recomputed if a reading is later dropped as implausible.
    computed: bool = field(default=False, compare=False)

    def to_json_dict(self) -> dict[str, Any]:
        out = self.representative.to_json_dict()
        out["readings"] = [reading.to_json_dict() for reading in self.readings]
        return out


@dataclass(frozen=True, slots=True)
class PupillaryDistance:
    """PD in mm: binocular distance and near, and monocular right/left where the device gives them."""

    distance: Decimal | None = None
    near: Decimal | None = None
    right: Decimal | None = None
    left: Decimal | None = None

    def is_empty(self) -> bool:
        return self.distance is None and self.near is None and self.right is None and self.left is None

    def to_json_dict(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for key, value in (
            ("distance", self.distance),
            ("near", self.near),
            ("R", self.right),
            ("L", self.left),
        ):
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True, slots=True)
class Measurement:
    """One measurement from one device, ready to be matched to a patient and stored.

    ``eyes`` maps ``"R"``, ``"L"`` (and ``"B"``/``"U"``) to the eye's values. ``warnings`` tell the
    user what was odd about the input (a checksum mismatch, a failed reading) without losing the
    values. ``extras`` keeps device fields the model has no place for (working distance, the
    device's measurement number, records whose meaning is not known), as text. ``raw`` is the input
    this measurement came from, for audit.
    """

    kind: MeasurementKind
    protocol: str
    maker: str | None = None
    model: str | None = None
    serial: str | None = None
    patient_id: str | None = None
    taken_at: datetime | None = None
    eyes: dict[str, EyeSide] = field(default_factory=dict)
    pd: PupillaryDistance = field(default_factory=PupillaryDistance)
    warnings: list[str] = field(default_factory=list)
    extras: dict[str, str] = field(default_factory=dict)
    raw: bytes = b""
    # What the device said about the patient besides the id (JOIA/Nidek XML <Common>): used to
    # match the reading to a patient, deliberately not part of the JSON contract.
    patient_name: str | None = None  # FAMILY^GIVEN, as DICOM writes names
    patient_birth_date: date | None = None

    def __post_init__(self) -> None:
        if self.taken_at is not None and self.taken_at.utcoffset() is None:
            # A naive time is ambiguous across the clock change; parsers must attach the zone.
            raise ValueError("Measurement.taken_at must be timezone-aware")

    def eye(self, code: str) -> EyeValues | None:
        """The representative values for ``code`` ("R", "L", "B", "U"), or None."""
        side = self.eyes.get(code)
        return side.representative if side is not None else None

    def to_json_dict(self) -> dict[str, Any]:
        """The public JSON contract for this measurement (numbers as Decimal; see :func:`dumps_json`)."""
        eyes = {code: self.eyes[code].to_json_dict() for code in EYE_ORDER if code in self.eyes}
        for code, side in self.eyes.items():  # any other key a future device might use
            if code not in eyes:
                eyes[code] = side.to_json_dict()
        return {
            "kind": str(self.kind),
            "protocol": self.protocol,
            "maker": self.maker,
            "model": self.model,
            "serial": self.serial,
            "patient_id": self.patient_id,
            "taken_at": self.taken_at.isoformat() if self.taken_at is not None else None,
            "warnings": list(self.warnings),
            "eyes": eyes,
            "pd": self.pd.to_json_dict(),
            "extras": dict(self.extras),
        }


def decimal_to_json_number(value: Decimal) -> str:
    """Decimal as JSON number text, digit for digit (no float rounding: -2.25 stays ``-2.25``)."""
    if not value.is_finite():
        raise ValueError(f"{value} cannot be written as a JSON number")
    text = format(value, "f")  # never exponent notation: JSON readers all take plain decimals
    return text


def dumps_json(value: Any, indent: int | None = 2) -> str:
    """Serialise JSON-ready data in which numbers may be :class:`Decimal`.

    ``json.dumps`` can only write Decimals by going through float, which turns some values into
    ``-2.2499999...`` style artefacts in other languages' readers and drops the device's digits; this
    writer emits the Decimal's own digits instead. Everything else is delegated to ``json.dumps``.
    """
    parts: list[str] = []
    _write_json(value, parts, indent, 0)
    return "".join(parts)


def _write_json(value: Any, parts: list[str], indent: int | None, level: int) -> None:
    if isinstance(value, Decimal):
        parts.append(decimal_to_json_number(value))
    elif isinstance(value, Mapping):
        _write_container(
            [(json.dumps(str(k), ensure_ascii=False) + ": ", v) for k, v in value.items()],
            "{",
            "}",
            parts,
            indent,
            level,
        )
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        _write_container([("", v) for v in value], "[", "]", parts, indent, level)
    else:
        parts.append(json.dumps(value, ensure_ascii=False))


def _write_container(
    items: list[tuple[str, Any]], opener: str, closer: str, parts: list[str], indent: int | None, level: int
) -> None:
    if not items:
        parts.append(opener + closer)
        return
    parts.append(opener)
    for index, (prefix, item) in enumerate(items):
        if index:
            parts.append(",")
        if indent is not None:
            parts.append("\n" + " " * (indent * (level + 1)))
        elif index:
            parts.append(" ")
        parts.append(prefix)
        _write_json(item, parts, indent, level + 1)
    if indent is not None:
        parts.append("\n" + " " * (indent * level))
    parts.append(closer)


def measurements_to_json(measurements: Sequence[Measurement], indent: int | None = 2) -> str:
    """The JSON array the ``devices parse`` command prints."""
    return dumps_json([m.to_json_dict() for m in measurements], indent=indent)


# --- back from storage -------------------------------------------------------------------------

_PRISM_BASES: dict[str, type[StrEnum]] = {"prism_h_base": HorizontalPrismBase, "prism_v_base": VerticalPrismBase}
_WHOLE_DEGREES = frozenset({"axis", "k1_axis", "k2_axis", "corneal_cylinder_axis"})


def stored_decimal(value: Any) -> Decimal | None:
    """A number of the contract as storage gives it back: a JSON number read as a float becomes the
    Decimal of its shortest text (``-2.25`` stays ``-2.25``); anything else that is not a finite
    number is None."""
    if value is None or isinstance(value, bool):
        return None
    text = repr(value) if isinstance(value, float) else str(value)
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _eye_values_from(data: Mapping[str, Any]) -> EyeValues:
    values: dict[str, Any] = {}
    for f in fields(EyeValues):
        stored = data.get(f.name)
        if stored is None:
            continue
        if f.name in _PRISM_BASES:
            try:
                values[f.name] = _PRISM_BASES[f.name](str(stored))
            except ValueError:
                continue
            continue
        number = stored_decimal(stored)
        if number is None:
            continue
        if f.name in _WHOLE_DEGREES:
            if number == number.to_integral_value():
                values[f.name] = int(number)
        else:
            values[f.name] = number
    return EyeValues(**values)


def measurement_from_json(data: Mapping[str, Any], raw: bytes = b"") -> Measurement:
    """A measurement back from the JSON contract it was stored as (:meth:`Measurement.to_json_dict`).

    Raises ``ValueError`` for a ``kind`` this model does not know; every other field is read as far
    as it can be (a value that is not a number is left out), since what is stored came from a parser.
    """
    eyes: dict[str, EyeSide] = {}
    stored_eyes = data.get("eyes")
    for code, side in (stored_eyes.items() if isinstance(stored_eyes, Mapping) else ()):
        if not isinstance(side, Mapping):
            continue
        readings = [_eye_values_from(r) for r in side.get("readings") or () if isinstance(r, Mapping)]
        eyes[str(code)] = EyeSide(representative=_eye_values_from(side), readings=readings)
    pd = data.get("pd") if isinstance(data.get("pd"), Mapping) else {}
    taken = data.get("taken_at")
    taken_at = datetime.fromisoformat(taken) if isinstance(taken, str) else None
    if taken_at is not None and taken_at.utcoffset() is None:
        taken_at = None

    def text(key: str) -> str | None:
        value = data.get(key)
        return None if value is None else str(value)

    extras = data.get("extras")
    return Measurement(
        kind=MeasurementKind(str(data.get("kind"))),
        protocol=text("protocol") or "",
        maker=text("maker"),
        model=text("model"),
        serial=text("serial"),
        patient_id=text("patient_id"),
        taken_at=taken_at,
        eyes=eyes,
        pd=PupillaryDistance(distance=stored_decimal(pd.get("distance")), near=stored_decimal(pd.get("near")),
                             right=stored_decimal(pd.get("R")), left=stored_decimal(pd.get("L"))),
        warnings=[str(w) for w in data.get("warnings") or ()],
        extras={str(k): str(v) for k, v in extras.items()} if isinstance(extras, Mapping) else {},
        raw=raw,
    )
