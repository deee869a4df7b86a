"""What every device protocol provides, and the small helpers they share.

A protocol turns the bytes a device sent (a serial read, an exported file, an encoded DICOM object)
into :class:`~ils_desktop.devices.measurement.Measurement` objects. It never touches the database or
Qt; the transport that received the bytes decides what to do with the result.
"""

from __future__ import annotations

import re
import statistics
from abc import ABC, abstractmethod
from bisect import bisect_left, bisect_right
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
from ils_desktop.devices.plausibility import MAX_INPUT_BYTES, MAX_READINGS_PER_EYE, plausible


class DeviceProtocol(ABC):
    """One wire or file format. Subclasses set :attr:`name` and :attr:`description`.

    :meth:`parse` always either returns measurements or raises :class:`ParseError` carrying the raw
    input; implementations put the work in :meth:`_parse`.
    """

    name: str = ""
    description: str = ""
    max_input_bytes: int = MAX_INPUT_BYTES

    @abstractmethod
    def sniff(self, data: bytes) -> bool:
        """Cheap check: does ``data`` look like this format? Used for auto-detection."""

    @abstractmethod
    def _parse(self, data: bytes) -> list[Measurement]:
        """Parse ``data``; raise :class:`ParseError` for input that is not this format."""

    def parse(self, data: bytes) -> list[Measurement]:
        """Parse ``data`` into measurements (possibly several from one read).

        Input over :attr:`max_input_bytes` is refused before it is read; what comes out has passed
        :func:`~ils_desktop.devices.plausibility.plausible` (implausible values dropped with a
        warning, the caps on readings and measurements applied).
        """
        data = bytes(data)
        if len(data) > self.max_input_bytes:
            raise ParseError(
                f"the input is {len(data):,} bytes, more than the {self.max_input_bytes:,} a device ever "
                "sends; refused without reading it",
                data,
            )
        try:
            return plausible(self._parse(data))
        except ParseError as exc:
            raise exc.with_raw(data) from None

    def __repr__(self) -> str:
        return f"<protocol {self.name}>"


# --- numbers -----------------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)


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


def parse_axis(text: str, what: str) -> int:
    """An axis in degrees: integer 0-180 (a device may pad it with zeros or spaces, or send ``90.0``)."""
    value = parse_decimal(text, what)
    if value != value.to_integral_value() or not 0 <= value <= 180:
        raise ParseError(f"{what}: axis {text.strip()!r} is not a whole number of degrees from 0 to 180")
    return int(value)


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
    into that window and the window with the smallest spread (sum of distances from its median) gives
    the median; on a tie the earlier reading's window wins. Result is 1-180 when the unwrapped median
    lands on 0 (the same meridian); otherwise as computed.

    O(n log n): the axes are sorted once. Unwrapping into any window is a rotation of the sorted
    list with 180 added to the wrapped part, so each window's median and spread come from prefix
    sums over that rotation instead of a fresh sort per window (which made 8,000 readings take
    seconds).
    """
    if len(axes) == 1:
        return axes[0]
    # Every parser keeps axes within 0-180; anything else is brought onto the circle first.
    values = sorted(a if 0 <= a <= 180 else a % 180 for a in axes)
    n = len(values)
    extended = values + [a + 180 for a in values]  # the circle laid out twice
    prefix = [0]
    for a in extended:
        prefix.append(prefix[-1] + a)
    half = n // 2
    best: tuple[int, int] | None = None  # (spread, twice the median)
    for centre in (a if 0 <= a <= 180 else a % 180 for a in axes):
        if centre < 90:
            # Axes above centre+90 wrap below zero: the window is extended[j:j+n] minus 180.
            start, shift = bisect_right(values, centre + 90), -180
        else:
            # Axes below centre-90 wrap above 180: the window is extended[j:j+n] as it is.
            start, shift = bisect_left(values, centre - 90), 0
        # Spread about the median = sum of the upper half - sum of the lower half (the shift cancels).
        low_sum = prefix[start + half] - prefix[start]
        high_sum = prefix[start + n] - prefix[start + n - half]
        spread = high_sum - low_sum
        twice_median = extended[start + (n - 1) // 2] + extended[start + n // 2] + 2 * shift
        if best is None or spread < best[0]:
            best = (spread, twice_median)
    assert best is not None
    rounded = int((Decimal(best[1]) / 2).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
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


def check_reading_count(count: int, what: str) -> None:
    """Refuse more than :data:`MAX_READINGS_PER_EYE` readings (or attempts) for one eye."""
    if count > MAX_READINGS_PER_EYE:
        raise ParseError(
            f"{what}: {count} readings for one eye, more than the {MAX_READINGS_PER_EYE} any device "
            "takes; refused as damaged or hostile input"
        )


def eye_side(readings: list[EyeValues], representative: EyeValues | None = None) -> EyeSide:
    """An :class:`EyeSide`: the device's representative if it sent one, else the median."""
    check_reading_count(len(readings), "readings")
    return EyeSide(
        representative=representative if representative is not None else median_of(readings),
        readings=list(readings),
        computed=representative is None,
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


_DATE = re.compile(r"\s*(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*", re.ASCII)
_COMPACT_DATE = re.compile(r"\s*(\d{4})(\d{2})(\d{2})\s*", re.ASCII)
_TIME = re.compile(r"\s*(\d{1,2})\s*:\s*(\d{1,2})(?:\s*:\s*(\d{1,2}))?(?:\.\d+)?\s*", re.ASCII)


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
