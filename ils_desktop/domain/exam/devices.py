"""Device readings in the record: which block a reading fills, where it came from, and accepting it.

An autorefractor, lensmeter, keratometer or tonometer can fill its block (objective refraction,
current spectacles, keratometry, IOP). Values are kept as the device sent them (0.01 D): rounding to
0.25 D happens only when a refraction becomes an Rx. The block remembers its source, and that the
clinician changed a value by hand since.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from ils_desktop.domain.exam.pressures import Iop, iop_mean
from ils_desktop.domain.exam.refraction import (
    CurrentSpectacles,
    Keratometry,
    KeratometryEye,
    ObjectiveRefraction,
    RefractionEye,
)
from ils_desktop.domain.exam.values import EYES, LONDON, decimal_from, int_from, mapping_of
from ils_desktop.domain.rx import Prism, Sca

if TYPE_CHECKING:
    from ils_desktop.domain.exam.record import ExamContent

MEASUREMENT_BLOCKS: Final[dict[str, str]] = {
    "autorefraction": "objective_refraction",
    "objective_refraction": "objective_refraction",
    "lensometry": "current_spectacles",
    "focimetry": "current_spectacles",
    "current_spectacles": "current_spectacles",
    "keratometry": "keratometry",
    "tonometry": "iop",
    "iop": "iop",
}
"""Which block a device measurement kind fills (``devices.measurement.MeasurementKind`` values)."""

MEASUREMENT_NAMES: Final[dict[str, str]] = {
    "objective_refraction": "autorefraction",
    "current_spectacles": "focimetry",
    "keratometry": "keratometry",
    "iop": "tonometry",
}


def block_for_measurement(kind: str) -> str:
    """The exam block a device reading of ``kind`` fills; ``ValueError`` for kinds no block takes."""
    try:
        return MEASUREMENT_BLOCKS[kind.strip().lower()]
    except KeyError:
        raise ValueError(f"A {kind} reading cannot fill an examination block") from None


@dataclass(frozen=True)
class DeviceSource:
    """Where a device-filled block came from: the stored reading, the device, what and when.

    ``edited`` becomes True once the clinician changes a value the device gave: the record then
    shows that the values are the device's, corrected by hand.
    """

    device: str
    kind: str
    received_at: datetime
    reading_id: str | None = None
    edited: bool = False

    def label(self, today: date) -> str:
        """``From ARK-1 at 10:15`` (London time; the date too when not ``today``)."""
        local = self.received_at.astimezone(LONDON)
        when = f"{local:%H:%M}" if local.date() == today else f"{local:%d/%m/%Y %H:%M}"
        return f"From {self.device} at {when}" + (" · edited" if self.edited else "")

    def to_json(self) -> dict[str, Any]:
        return {"reading_id": self.reading_id, "device": self.device, "kind": self.kind,
                "received_at": self.received_at.isoformat(), "edited": self.edited}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeviceSource:
        received = datetime.fromisoformat(str(data["received_at"]))
        if received.tzinfo is None:
            received = received.replace(tzinfo=LONDON)
        reading = data.get("reading_id")
        return cls(device=str(data.get("device") or "device"), kind=str(data.get("kind") or ""),
                   received_at=received, reading_id=None if reading is None else str(reading),
                   edited=bool(data.get("edited", False)))


def _eye_values(values: Mapping[str, Any], side: str) -> Mapping[str, Any]:
    eyes = values.get("eyes", values)
    return mapping_of(mapping_of(eyes).get(side))


def _device_sca(eye: Mapping[str, Any]) -> Sca | None:
    sphere, cylinder, axis = decimal_from(eye.get("sphere")), decimal_from(eye.get("cylinder")), \
        int_from(eye.get("axis"))
    if sphere is None and cylinder is None:
        return None
    if cylinder is None or cylinder.is_zero():
        return Sca(sphere or Decimal(0))
    return Sca(sphere or Decimal(0), cylinder, 180 if axis in (None, 0) else axis)


def _device_prism(eye: Mapping[str, Any], direction: str) -> Prism | None:
    amount, base = decimal_from(eye.get(f"prism_{direction}")), eye.get(f"prism_{direction}_base")
    if amount is None or amount.is_zero() or not base:
        return None
    return Prism(abs(amount), str(base))


def _device_iop(eye: Mapping[str, Any]) -> tuple[Decimal, ...]:
    readings = [decimal_from(mapping_of(r).get("iop_mmhg")) for r in eye.get("readings") or []]
    found = tuple(r for r in readings if r is not None)
    if found:
        return found
    single = decimal_from(eye.get("iop_mmhg"))
    return () if single is None else (single,)


def apply_device_reading(content: ExamContent, kind: str, values: Mapping[str, Any],
                         source: DeviceSource) -> ExamContent:
    """The content with a device reading accepted into its block, and the source recorded.

    ``values`` is one measurement of the device JSON contract (``ils-desktop devices parse``): the
    representative values per eye under ``eyes`` (or the eyes mapping itself), numbers as JSON
    numbers or strings. Values are kept as the device sent them (0.01 D): rounding to 0.25 D happens
    only when a refraction becomes an Rx. Fields the reading does not carry keep what was recorded
    (lens type, notes…). A tonometer's readings are all kept; its time becomes the IOP time.
    """
    block = block_for_measurement(kind)
    sides = {side: _eye_values(values, side) for side in EYES}
    if block == "objective_refraction":
        current = content.objective_refraction
        new: Any = ObjectiveRefraction("autorefraction", _device_sca(sides["R"]), _device_sca(sides["L"]),
                                       current.working_distance_cm, current.notes)
    elif block == "current_spectacles":
        current_specs = content.current_spectacles
        eyes = {side: RefractionEye(_device_sca(v), _device_prism(v, "h"), _device_prism(v, "v"),
                                    decimal_from(v.get("add")), None, None) for side, v in sides.items()}
        new = CurrentSpectacles(current_specs.lens_type, eyes["R"], eyes["L"], current_specs.age, current_specs.notes)
    elif block == "keratometry":
        names = ("k1_radius_mm", "k1_power", "k1_axis", "k2_radius_mm", "k2_power", "k2_axis")
        k_eyes = {side: KeratometryEye(**{n: (int_from(v.get(n)) if n.endswith("axis") else decimal_from(v.get(n)))
                                          for n in names}) for side, v in sides.items()}
        new = Keratometry(k_eyes["R"], k_eyes["L"], content.keratometry.notes)
    else:
        current_iop = content.iop
        new = Iop(current_iop.method or "non_contact", f"{source.received_at.astimezone(LONDON):%H:%M}",
                  _device_iop(sides["R"]), _device_iop(sides["L"]), current_iop.notes)
    sources = {**content.device_sources, block: replace(source, edited=False)}
    return replace(content, **{block: new}, device_sources=sources)


def describe_device_reading(kind: str, values: Mapping[str, Any]) -> str:
    """A one-line summary of a reading for the offer banner: ``R -1.25/-0.50x180 · L +0.25DS``."""
    block = block_for_measurement(kind)
    parts = []
    for side in EYES:
        eye = _eye_values(values, side)
        if not eye:
            continue
        if block in ("objective_refraction", "current_spectacles"):
            sca = _device_sca(eye)
            if sca is None:
                continue
            text = f"{sca.sphere:+.2f}/{sca.cylinder:+.2f}x{sca.axis}" if sca.has_cylinder else f"{sca.sphere:+.2f}DS"
            add = decimal_from(eye.get("add"))
            if add is not None:
                text += f" Add {add:+.2f}"
        elif block == "keratometry":
            k1, k2 = decimal_from(eye.get("k1_radius_mm")), decimal_from(eye.get("k2_radius_mm"))
            text = f"{k1} / {k2} mm @ {int_from(eye.get('k1_axis'))}"
        else:
            readings = _device_iop(eye)
            if not readings:
                continue
            mean = iop_mean(readings)
            text = f"{mean} mmHg" + (f" (mean of {len(readings)})" if len(readings) > 1 else "")
        parts.append(f"{side} {text}")
    return " · ".join(parts) or "no values for either eye"
