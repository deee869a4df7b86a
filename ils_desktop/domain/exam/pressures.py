"""Intraocular pressure and visual fields, measured where indicated.

IOP readings are 1–80 mmHg, repeated per eye and averaged to 0.1 mmHg (half up), with the method
and the time of day (IOP varies over the day). Visual fields record the method (confrontation,
Humphrey, FDT…) and the result per eye.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Final

from ils_desktop.domain.exam.values import decimal_from, mapping_of, number_text, plain_text, text_of

IOP_METHODS: Final[dict[str, str]] = {
    "non_contact": "Non-contact (air puff)", "goldmann": "Goldmann applanation", "perkins": "Perkins applanation",
    "icare": "iCare rebound", "tonopen": "Tono-Pen",
}
IOP_MIN: Final = Decimal(1)
IOP_MAX: Final = Decimal(80)
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]?([0-5]\d)$")


def parse_iop_readings(text: str) -> tuple[Decimal, ...]:
    """Repeated IOP readings typed as ``15 16 15``, ``15, 16, 15`` or ``15/16/15`` (mmHg).

    ``ValueError`` for anything that is not a reading between 1 and 80 mmHg.
    """
    parts = [p for p in re.split(r"[\s,;/]+", text.strip()) if p]
    readings = []
    for part in parts:
        try:
            value = Decimal(part)
        except InvalidOperation:
            raise ValueError(f"'{part}' is not an IOP reading: type readings in mmHg, e.g. 15 16 15") from None
        if not value.is_finite() or not IOP_MIN <= value <= IOP_MAX:
            raise ValueError(f"IOP {part} mmHg is out of range (1–80 mmHg)")
        readings.append(value)
    return tuple(readings)


def format_iop_readings(readings: Iterable[Decimal]) -> str:
    return "  ".join(number_text(r) for r in readings)


def iop_mean(readings: Iterable[Decimal]) -> Decimal | None:
    """The mean of the readings to 0.1 mmHg (half up), None if there are none."""
    values = list(readings)
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def normalise_time(text: str | None) -> str | None:
    """``1015``, ``10.15`` or ``10:15`` → ``10:15``; ``ValueError`` if it is not a time of day."""
    if text is None or not text.strip():
        return None
    match = _TIME.match(text.strip())
    if not match:
        raise ValueError(f"'{text.strip()}' is not a time: use 24-hour HH:MM, e.g. 10:15")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


@dataclass(frozen=True)
class Iop:
    """Intraocular pressure: method, time of day, repeated readings per eye (mean derived)."""

    method: str | None = None
    time: str | None = None
    R: tuple[Decimal, ...] = ()
    L: tuple[Decimal, ...] = ()
    notes: str | None = None

    def mean(self, side: str) -> Decimal | None:
        return iop_mean(self.R if side == "R" else self.L)

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "time": self.time,
                **{side: {"readings": [number_text(r) for r in readings], "mean": plain_text(iop_mean(readings), 1)}
                   for side, readings in (("R", self.R), ("L", self.L))},
                "notes": self.notes}

    @classmethod
    def from_json(cls, data: object) -> Iop:
        v = mapping_of(data)

        def readings(side: str) -> tuple[Decimal, ...]:
            raw = mapping_of(v.get(side)).get("readings") or []
            return tuple(d for d in (decimal_from(r) for r in raw) if d is not None)

        return cls(text_of(v.get("method")), text_of(v.get("time")), readings("R"), readings("L"),
                   text_of(v.get("notes")))

    def problems(self) -> list[str]:
        problems = [f"IOP {side} {r} mmHg is out of range (1–80 mmHg)"
                    for side, values in (("R", self.R), ("L", self.L)) for r in values if not IOP_MIN <= r <= IOP_MAX]
        if self.time:
            try:
                normalise_time(self.time)
            except ValueError as error:
                problems.append(str(error))
        if (self.R or self.L) and not self.method:
            problems.append("Record how the IOP was measured (method)")
        return problems


FIELD_METHODS: Final[dict[str, str]] = {
    "confrontation": "Confrontation", "humphrey_24_2": "Humphrey 24-2", "humphrey_10_2": "Humphrey 10-2",
    "fdt": "FDT (frequency doubling)", "henson": "Henson", "octopus": "Octopus", "esterman": "Esterman (driving)",
}


@dataclass(frozen=True)
class VisualFields:
    method: str | None = None
    R: str | None = None
    L: str | None = None
    notes: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "R": self.R, "L": self.L, "notes": self.notes}

    @classmethod
    def from_json(cls, data: object) -> VisualFields:
        v = mapping_of(data)
        return cls(text_of(v.get("method")), text_of(v.get("R")), text_of(v.get("L")), text_of(v.get("notes")))
