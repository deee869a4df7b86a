"""Dispensing measurements: facial and frame measurements taken before ordering, and their checks.

The dispenser takes and records the facial, frame and other measurements before ordering (ABDO
guidance on the dispensing record; docs/domain/dispensing.md). Held here, all in millimetres except
the two angles in degrees:

* monocular distance and near PDs (right and left): from the centre of the bridge to each pupil;
* fitting heights (right and left): from the lowest point of the lens shape (the lower box tangent)
  up to the fitting point — the pupil centre for varifocals, the segment top for bifocals;
* vertex distance (back of the lens to the cornea), pantoscopic tilt (the lens plane's tilt from
  vertical, top forward positive) and face-form wrap (the frame front's curve round the face), which
  free-form lenses are computed for;
* frame boxing data: A (box width), B (box depth), DBL (distance between lenses) and ED (effective
  diameter: twice the longest radius from the box centre).

The ranges below are sense checks, wide enough for children and large adults; a value outside is
almost always a typing or reading error. They are practice conventions, not a standard's limits:

====================  ================  ===================================================
field                 accepted          also
====================  ================  ===================================================
distance mono PD      20 – 40 mm        required for every lens kind
near mono PD          18 – 38 mm        must be less than the same eye's distance PD
fitting height        10 – 40 mm        required for bifocal, varifocal and occupational;
                                        must be less than B when B is known
vertex distance       5 – 20 mm         required for free-form
pantoscopic tilt      −5 – 20°          required for free-form
face-form wrap        0 – 30°           required for free-form
A                     30 – 75 mm
B                     15 – 60 mm
DBL                   10 – 30 mm
ED                    30 – 85 mm        at least A (and B), at most the box diagonal √(A²+B²)
====================  ================  ===================================================
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Final

from ils_desktop.domain.dispensing.order_status import LensKind

D = Decimal


@dataclass(frozen=True)
class DispensingMeasurements:
    """What the dispenser measured (mm, angles in degrees); ``None`` when not taken."""

    right_distance_pd: Decimal | None = None
    left_distance_pd: Decimal | None = None
    right_near_pd: Decimal | None = None
    left_near_pd: Decimal | None = None
    right_fitting_height: Decimal | None = None
    left_fitting_height: Decimal | None = None
    vertex_distance: Decimal | None = None
    pantoscopic_tilt: Decimal | None = None
    face_form_wrap: Decimal | None = None
    box_a: Decimal | None = None
    box_b: Decimal | None = None
    dbl: Decimal | None = None
    ed: Decimal | None = None

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None:
                continue
            if isinstance(value, float | bool) or not isinstance(value, Decimal | int):
                raise TypeError(f"{item.name} must be a Decimal (mm or degrees), not {value!r}")
            number = Decimal(value)
            if not number.is_finite():
                raise ValueError(f"{item.name} must be a finite number, not {value}")
            object.__setattr__(self, item.name, number)

    @property
    def binocular_distance_pd(self) -> Decimal | None:
        """Right + left distance PD, when both are known."""
        if self.right_distance_pd is None or self.left_distance_pd is None:
            return None
        return self.right_distance_pd + self.left_distance_pd


FIELD_LABELS: Final = {
    "right_distance_pd": "Right distance PD",
    "left_distance_pd": "Left distance PD",
    "right_near_pd": "Right near PD",
    "left_near_pd": "Left near PD",
    "right_fitting_height": "Right fitting height",
    "left_fitting_height": "Left fitting height",
    "vertex_distance": "Vertex distance",
    "pantoscopic_tilt": "Pantoscopic tilt",
    "face_form_wrap": "Face-form wrap",
    "box_a": "Frame A (box width)",
    "box_b": "Frame B (box depth)",
    "dbl": "DBL",
    "ed": "ED",
}
"""Each field in the practice's words (for messages and forms)."""

RANGES: Final[dict[str, tuple[Decimal, Decimal, str]]] = {
    "right_distance_pd": (D(20), D(40), "mm"),
    "left_distance_pd": (D(20), D(40), "mm"),
    "right_near_pd": (D(18), D(38), "mm"),
    "left_near_pd": (D(18), D(38), "mm"),
    "right_fitting_height": (D(10), D(40), "mm"),
    "left_fitting_height": (D(10), D(40), "mm"),
    "vertex_distance": (D(5), D(20), "mm"),
    "pantoscopic_tilt": (D(-5), D(20), "°"),
    "face_form_wrap": (D(0), D(30), "°"),
    "box_a": (D(30), D(75), "mm"),
    "box_b": (D(15), D(60), "mm"),
    "dbl": (D(10), D(30), "mm"),
    "ed": (D(30), D(85), "mm"),
}
"""Accepted range (inclusive) and unit of every measurement (see the module docstring)."""

FREE_FORM_FIELDS: Final = ("vertex_distance", "pantoscopic_tilt", "face_form_wrap")
HEIGHT_FIELDS: Final = ("right_fitting_height", "left_fitting_height")
DISTANCE_PD_FIELDS: Final = ("right_distance_pd", "left_distance_pd")


def _show(value: Decimal, unit: str) -> str:
    text = f"{value.normalize():f}" if value == value.to_integral() else f"{value:.1f}"
    return f"{text}°" if unit == "°" else f"{text} {unit}"


def required_fields(lens_kind: LensKind | str | None, *, free_form: bool = False) -> tuple[str, ...]:
    """The measurements an order for this lens kind cannot be sent without.

    Every lens is centred on the PD (distance mono PDs); bifocals, varifocals and occupational lenses
    are fitted at a height (fitting heights); free-form lenses are computed for the as-worn position
    (vertex distance, pantoscopic tilt, face-form wrap). No lens kind: nothing is required yet.
    """
    if lens_kind is None:
        return FREE_FORM_FIELDS if free_form else ()
    kind = LensKind(lens_kind)
    needed = list(DISTANCE_PD_FIELDS)
    if kind.has_add:
        needed += HEIGHT_FIELDS
    if free_form:
        needed += FREE_FORM_FIELDS
    return tuple(needed)


def measurement_problems(m: DispensingMeasurements, lens_kind: LensKind | str | None = None, *,
                         free_form: bool = False) -> dict[str, str]:
    """Problems with the measurements, keyed by field name (empty when all is well).

    Checks, in order: required fields for ``lens_kind`` (and ``free_form``), each value's range
    (``RANGES``), then how values relate: near PD less than the distance PD of the same eye, fitting
    height less than B, ED at least A and B and at most the box diagonal. One message per field (the
    first problem found), so a form can show it beside the field.
    """
    problems: dict[str, str] = {}
    for name in required_fields(lens_kind, free_form=free_form):
        if getattr(m, name) is None:
            why = "for free-form lenses" if name in FREE_FORM_FIELDS else (
                f"for {LensKind(lens_kind).label.lower()} lenses" if lens_kind else "")
            problems[name] = f"{FIELD_LABELS[name]} is needed {why}".rstrip()
    for name, (low, high, unit) in RANGES.items():
        value = getattr(m, name)
        if name in problems or value is None:
            continue
        if not low <= value <= high:
            problems[name] = (f"{FIELD_LABELS[name]} {_show(value, unit)} is outside the usual range "
                              f"{_show(low, unit)} to {_show(high, unit)}: check the measurement")

    out_of_range = set(problems)

    def relate(name: str, message: str, *others: str) -> None:
        # A relation is judged only between values that are themselves in range.
        if not out_of_range.intersection((name, *others)):
            problems.setdefault(name, message)

    for side in ("right", "left"):
        near, distance = getattr(m, f"{side}_near_pd"), getattr(m, f"{side}_distance_pd")
        if near is not None and distance is not None and near >= distance:
            relate(f"{side}_near_pd", f"{side.capitalize()} near PD {_show(near, 'mm')} must be less than the "
                                      f"distance PD {_show(distance, 'mm')} (the eyes converge for near)",
                   f"{side}_distance_pd")
        height = getattr(m, f"{side}_fitting_height")
        if height is not None and m.box_b is not None and height >= m.box_b:
            relate(f"{side}_fitting_height",
                   f"{side.capitalize()} fitting height {_show(height, 'mm')} is not inside the frame's B of "
                   f"{_show(m.box_b, 'mm')}: the fitting point would be off the lens", "box_b")
    if m.ed is not None:
        for name in ("box_a", "box_b"):
            side = getattr(m, name)
            if side is not None and m.ed < side:
                relate("ed", f"ED {_show(m.ed, 'mm')} is less than {FIELD_LABELS[name].split(' (')[0]} "
                             f"{_show(side, 'mm')}: the ED is at least the box's longest side", name)
                break
        if m.box_a is not None and m.box_b is not None and "ed" not in problems:
            diagonal_squared = m.box_a * m.box_a + m.box_b * m.box_b
            if m.ed * m.ed > diagonal_squared:
                diagonal = diagonal_squared.sqrt().quantize(D("0.1"))
                relate("ed", f"ED {_show(m.ed, 'mm')} is more than the box diagonal ({diagonal} mm for "
                             f"A {_show(m.box_a, 'mm')} × B {_show(m.box_b, 'mm')}): check the frame data",
                       "box_a", "box_b")
    return problems
