"""What every device protocol provides, and the small helpers they share.

A protocol turns the bytes a device sent (a serial read, an exported file, an encoded DICOM object)
into :class:`~ils_desktop.devices.measurement.Measurement` objects. It never touches the database or
Qt; the transport that received the bytes decides what to do with the result.
"""

from __future__ import annotations

import re
import statistics
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import fields, replace
from datetime import date, datetime, time, tzinfo
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ils_desktop.devices.measurement import (
    EyeSide,
    EyeValues,
    HorizontalPrismBase,
    Measurement,
    ParseError,
    VerticalPrismBase,
)


class DeviceProtocol(ABC):
    """One wire or file format. Subclasses set :attr:`name` and :attr:`description`.

    :meth:`parse` always either returns measurements or raises :class:`ParseError` carrying the raw
    input; implementations put the work in :meth:`_parse`.
    """

    name: str = ""
    description: str = ""

    @abstractmethod
    def sniff(self, data: bytes) -> bool:
        """Cheap check: does ``data`` look like this format? Used for auto-detection."""

    @abstractmethod
    def _parse(self, data: bytes) -> list[Measurement]:
        """Parse ``data``; raise :class:`ParseError` for input that is not this format."""

    def parse(self, data: bytes) -> list[Measurement]:
        """Parse ``data`` into measurements (possibly several from one read)."""
        try:
            return self._parse(bytes(data))
        except ParseError as exc:
            raise exc.with_raw(bytes(data)) from None

    def __repr__(self) -> str:
        return f"<protocol {self.name}>"


# --- numbers -----------------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def parse_decimal(text: str, what: str) -> Decimal:
    """A device number as Decimal, tolerating the padding devices use.

    Accepts ``-02.25``, ``+ 3.00`` and ``  0.00`` (Nidek RT: a space for a zero tens digit and for a
    zero sign), `` +1.75`` (JOIA LM: space-padded), and a decimal comma.
    """
    cleaned = text.replace(" ", "").replace("\t", "").replace(",", ".")
    if not _NUMBER.fullmatch(cleaned):
        raise ParseError(f"{what}: {text.strip()!r} is not a number")
    try:
        return Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern above only lets numbers through
        raise ParseError(f"{what}: {text.strip()!r} is not a number") from None


def parse_optional_decimal(text: str | None, what: str) -> Decimal | None:
    """Like :func:`parse_decimal`, but blank or missing text means "not given"."""
    if text is None or not text.strip():
        return None
    return parse_decimal(text, what)


def parse_axis(text: str, what: str) -> int:
    """An axis in degrees: integer 0-180 (a device may pad it with zeros or spaces, or send ``90.0``)."""
    value = parse_decimal(text, what)
    if value != value.to_integral_value() or not 0 <= value <= 180:
        raise ParseError(f"{what}: axis {text.strip()!r} is not a whole number of degrees from 0 to 180")
    return int(value)


def parse_optional_axis(text: str | None, what: str) -> int | None:
    if text is None or not text.strip():
        return None
    return parse_axis(text, what)


def decimal_from_float(value: float) -> Decimal:
    """A binary float (DICOM FD/FL) as the Decimal the sender meant.

    ``repr`` gives the shortest text that reads back as the same float, so -2.25 becomes
    Decimal("-2.25"); float32 noise (``0.10000000149``) is rounded away at 4 decimals, finer than
    any ophthalmic instrument reports.
    """
    result = Decimal(repr(float(value)))
    if not result.is_finite():
        raise ParseError(f"value {value!r} is not a finite number")
    if result.as_tuple().exponent < -4:  # type: ignore[operator]
        result = result.quantize(Decimal("0.0001"))
        text = format(result, "f").rstrip("0")
        result = Decimal(text + "0" if text.endswith(".") else text)
    return result


# --- prism ---------------------------------------------------------------------------------------

_BASE_WORDS: dict[str, HorizontalPrismBase | VerticalPrismBase] = {
    "I": HorizontalPrismBase.IN,
    "IN": HorizontalPrismBase.IN,
    "BI": HorizontalPrismBase.IN,
    "O": HorizontalPrismBase.OUT,
    "OUT": HorizontalPrismBase.OUT,
    "BO": HorizontalPrismBase.OUT,
    "U": VerticalPrismBase.UP,
    "UP": VerticalPrismBase.UP,
    "BU": VerticalPrismBase.UP,
    "D": VerticalPrismBase.DOWN,
    "DOWN": VerticalPrismBase.DOWN,
    "DN": VerticalPrismBase.DOWN,
    "BD": VerticalPrismBase.DOWN,
}


def prism_base(text: str) -> HorizontalPrismBase | VerticalPrismBase | None:
    """A base word or letter (``I``, ``IN``, ``BO``, ``Up``...) as a base direction, else None."""
    return _BASE_WORDS.get(text.strip().upper().replace(".", "").replace(" ", ""))


def set_prism(
    values: EyeValues,
    amount: Decimal,
    base: HorizontalPrismBase | VerticalPrismBase | None,
    *,
    horizontal: bool | None = None,
) -> EyeValues:
    """Put a prism into ``values``.

    A zero prism is not recorded: it has no base, and "0.00 base UP" on a record card only confuses.
    With no base, ``horizontal`` says which meridian the (signed) amount belongs to.
    """
    if amount == 0:
        return values
    if isinstance(base, HorizontalPrismBase) or (base is None and horizontal):
        return replace(values, prism_h=abs(amount) if base else amount, prism_h_base=base)
    return replace(values, prism_v=abs(amount) if base else amount, prism_v_base=base)


# --- representative value ---------------------------------------------------------------------

_AXIS_FIELDS = frozenset({"axis", "k1_axis", "k2_axis", "corneal_cylinder_axis"})


def median_axis(axes: list[int]) -> int:
    """Median of axes, aware that 178 and 2 are 4 degrees apart, not 176.

    Each reading in turn is taken as the centre of a half-circle window; the other axes are unwrapped
    into that window and the window with the smallest spread gives the median. Result is 1-180 when
    the unwrapped median lands on 0 (the same meridian); otherwise as computed.
    """
    if len(axes) == 1:
        return axes[0]
    best: tuple[Decimal, Decimal] | None = None
    for centre in axes:
        unwrapped = [a + 180 if a - centre < -90 else a - 180 if a - centre > 90 else a for a in axes]
        middle = Decimal(statistics.median(unwrapped))
        spread = sum((abs(Decimal(a) - middle) for a in unwrapped), Decimal(0))
        if best is None or spread < best[0]:
            best = (spread, middle)
    assert best is not None
    rounded = int(best[1].quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    rounded %= 180
    if rounded == 0:
        # Keep the device's own spelling of the horizontal meridian if all readings agree on it.
        return 0 if all(a == 0 for a in axes) else 180
    return rounded


def median_of(readings: list[EyeValues]) -> EyeValues:
    """The representative of several readings when the device sends none: per-value median.

    Sphere, cylinder and axis are taken separately, as autorefractors do for their own median;
    axes use :func:`median_axis`; prism bases take the most common direction.
    """
    if not readings:
        return EyeValues()
    if len(readings) == 1:
        return readings[0]
    chosen: dict[str, object] = {}
    for f in fields(EyeValues):
        present = [getattr(r, f.name) for r in readings if getattr(r, f.name) is not None]
        if not present:
            continue
        if f.name in _AXIS_FIELDS:
            chosen[f.name] = median_axis(present)
        elif isinstance(present[0], Decimal):
            chosen[f.name] = statistics.median(present)
        else:
            chosen[f.name] = Counter(present).most_common(1)[0][0]
    return EyeValues(**chosen)  # type: ignore[arg-type]


def eye_side(readings: list[EyeValues], representative: EyeValues | None = None) -> EyeSide:
    """An :class:`EyeSide`: the device's representative if it sent one, else the median."""
    return EyeSide(
        representative=representative if representative is not None else median_of(readings),
        readings=list(readings),
    )


# --- time ------------------------------------------------------------------------------------------


def practice_timezone() -> tzinfo:
    """The zone device clocks are in: the practice's (UK) local time.

    Devices send wall-clock time without a zone. Europe/London is used when the zone database is
    available; otherwise (Windows without the tzdata package) the computer's own zone, which in a
    practice is the same wall clock as the device beside it.
    """
    try:
        return ZoneInfo("Europe/London")
    except ZoneInfoNotFoundError:  # pragma: no cover - depends on the platform
        local = datetime.now().astimezone().tzinfo
        assert local is not None
        return local


def local_datetime(day: date, at: time) -> datetime:
    """Attach the practice's zone to a device's wall-clock date and time."""
    return datetime.combine(day, at).replace(tzinfo=practice_timezone())


_DATE = re.compile(r"\s*(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*")
_COMPACT_DATE = re.compile(r"\s*(\d{4})(\d{2})(\d{2})\s*")
_TIME = re.compile(r"\s*(\d{1,2})\s*:\s*(\d{1,2})(?:\s*:\s*(\d{1,2}))?(?:\.\d+)?\s*")


def parse_date(text: str | None) -> date | None:
    """``2026-03-04``, ``2026/ 3/ 4``, ``20260304`` as a date; None when blank or not a real date."""
    if not text:
        return None
    match = _DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def parse_time(text: str | None) -> time | None:
    """``10:15:02`` or ``10:15`` as a time; None when blank or not a real time."""
    if not text:
        return None
    match = _TIME.fullmatch(text)
    if not match:
        return None
    try:
        return time(int(match[1]), int(match[2]), int(match[3] or 0))
    except ValueError:
        return None


# --- misc ----------------------------------------------------------------------------------------


def clean_text(value: str | None) -> str | None:
    """Stripped text, or None for blank (devices pad unused fields with spaces)."""
    if value is None:
        return None
    value = value.strip().strip("\x00")
    return value or None
