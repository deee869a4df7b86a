"""Is a finished lens what was ordered? Mounted-lens tolerances of ISO 21987, checked on the lensmeter.

Source: **BS EN ISO 21987:2017** "Ophthalmic optics — Mounted spectacle lenses" (ISO 21987:2017,
second edition, July 2017, adopted unchanged as BS EN ISO 21987:2017, published by BSI on
30 September 2017; it replaced the 2009 first edition). Clause 5 sets the optical requirements for
mounted lenses relative to the prescription order; the values held here are:

* **Table 1 — dioptric power.** The row is chosen by the power of the principal meridian of
  highest absolute power of the *ordered* lens. Each principal meridian (sphere, and sphere +
  cylinder) must be within the meridian tolerance; the cylinder must be within the tolerance of the
  column for the ordered cylinder's size:

  ======================  =========  ==========  ===========  ===========  =======
  highest meridian (D)    meridian   cyl ≤0.75   cyl ≤4.00    cyl ≤6.00    cyl >6
  ======================  =========  ==========  ===========  ===========  =======
  0.00 to 3.00            ±0.12      ±0.09       ±0.12        ±0.18        ±0.25*
  over 3.00 to 6.00       ±0.12      ±0.12       ±0.18        ±0.18        ±0.25
  over 6.00 to 9.00       ±0.12      ±0.12       ±0.18        ±0.18        ±0.25
  over 9.00 to 12.00      ±0.18      ±0.12       ±0.18        ±0.25        ±0.25
  over 12.00 to 20.00     ±0.25      ±0.18       ±0.25        ±0.25        ±0.25
  over 20.00              ±0.37      ±0.25       ±0.25        ±0.37        ±0.37
  ======================  =========  ==========  ===========  ===========  =======

  (*) the standard leaves this cell empty — a cylinder over 6.00 D cannot have its strongest
  meridian at 3.00 D or less — and ±0.25 is used should a reading ever land there.

* **Table 2 — cylinder axis**, by the ordered cylinder's size: 0.12 to 0.25 D ±16°, over 0.25 to
  0.50 D ±9°, over 0.50 to 0.75 D ±6°, over 0.75 to 1.50 D ±4°, over 1.50 D ±3°. Under 0.12 D the
  axis is not checked (an axis means nothing on a cylinder that small).
* **Addition** (multifocal and progressive lenses): up to 4.00 D ±0.12 D, over 4.00 D ±0.18 D.

Prism and centration tolerances (the standard's prism-imbalance / horizontal and vertical
centration rules) are **not** checked here: a lensmeter reading of sphere / cylinder × axis does not
carry them. The values above are our transcription of the standard's tables (ISO's printed
"±0.12" and "±0.37" are its two-decimal forms of 1/8 and 3/8 D); check them against your copy of
the standard — they are data (``ISO_21987_2017``), so a correction is one row, and a later edition
is a new dated table (``table_in_force``).

How the check works (``check_mounted_lens``): the measured lens is transposed into the ordered
lens's cylinder form (minus-cylinder when the order has no cylinder), so either form on either side
gives the same verdict and the messages use the notation of the order the dispenser is holding.
Readings are compared as the lensmeter gives them (0.01 D); a value exactly at the tolerance passes.
The axis difference wraps round 180° (179 and 1 are 2° apart).

Example for integrators::

    >>> from decimal import Decimal as D
    >>> from ils_desktop.domain.rx import Sca
    >>> from ils_desktop.domain.dispensing import check_mounted_lens
    >>> check_mounted_lens(Sca(D("-2.25"), D("-1.00"), 180), Sca(D("-3.25"), D("+1.00"), 90))
    []
    >>> check_mounted_lens(Sca(D("-2.25"), D("-1.00"), 180), Sca(D("-2.50"), D("-1.00"), 5))
    ['Sphere -2.50 is 0.25 D off the ordered -2.25: the tolerance is ±0.12 D, so it is 0.13 D out', \
'Sphere + cylinder -3.50 is 0.25 D off the ordered -3.25: the tolerance is ±0.12 D, so it is 0.13 D out', \
'Axis 5 is 5° off the ordered 180: the tolerance for a 1.00 D cylinder is ±4°, so it is 1° out']
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from ils_desktop.domain.rx import Sca, axis_difference, to_minus_cylinder, to_plus_cylinder

D = Decimal


@dataclass(frozen=True)
class PowerRow:
    """One row of the dioptric power table: up to ``up_to`` D in the strongest ordered meridian
    (``None`` for the open top row), the meridian tolerance and the cylinder tolerance per column."""

    up_to: Decimal | None
    meridian: Decimal
    cylinder: tuple[Decimal, ...]


@dataclass(frozen=True)
class ToleranceTable:
    """A dated set of mounted-lens tolerances with the source they were taken from."""

    source: str
    valid_from: date
    power_rows: tuple[PowerRow, ...]
    cylinder_columns: tuple[Decimal | None, ...]
    """Upper bound (inclusive) of the ordered cylinder's size for each cylinder column."""
    axis_rows: tuple[tuple[Decimal | None, int], ...]
    """(cylinder size up to, inclusive; None = above) → axis tolerance in degrees."""
    axis_min_cylinder: Decimal
    """Below this ordered cylinder size the axis is not checked."""
    addition_rows: tuple[tuple[Decimal | None, Decimal], ...]
    """(addition up to, inclusive; None = above) → addition tolerance."""

    def power_row(self, strongest_meridian: Decimal) -> PowerRow:
        size = abs(strongest_meridian)
        return next(row for row in self.power_rows if row.up_to is None or size <= row.up_to)

    def cylinder_tolerance(self, strongest_meridian: Decimal, cylinder: Decimal) -> Decimal:
        row = self.power_row(strongest_meridian)
        size = abs(cylinder)
        column = next(i for i, top in enumerate(self.cylinder_columns) if top is None or size <= top)
        return row.cylinder[column]

    def axis_tolerance(self, cylinder: Decimal) -> int | None:
        """Degrees allowed for an ordered cylinder of this size, ``None`` when the axis is not checked."""
        size = abs(cylinder)
        if size < self.axis_min_cylinder:
            return None
        return next(degrees for top, degrees in self.axis_rows if top is None or size <= top)

    def addition_tolerance(self, addition: Decimal) -> Decimal:
        return next(tol for top, tol in self.addition_rows if top is None or abs(addition) <= top)


ISO_21987_2017: Final = ToleranceTable(
    source="BS EN ISO 21987:2017 Ophthalmic optics — Mounted spectacle lenses, clause 5 (Tables 1 and 2; "
           "addition tolerance)",
    valid_from=date(2017, 9, 30),
    cylinder_columns=(D("0.75"), D("4.00"), D("6.00"), None),
    power_rows=(
        PowerRow(D("3.00"), D("0.12"), (D("0.09"), D("0.12"), D("0.18"), D("0.25"))),
        PowerRow(D("6.00"), D("0.12"), (D("0.12"), D("0.18"), D("0.18"), D("0.25"))),
        PowerRow(D("9.00"), D("0.12"), (D("0.12"), D("0.18"), D("0.18"), D("0.25"))),
        PowerRow(D("12.00"), D("0.18"), (D("0.12"), D("0.18"), D("0.25"), D("0.25"))),
        PowerRow(D("20.00"), D("0.25"), (D("0.18"), D("0.25"), D("0.25"), D("0.25"))),
        PowerRow(None, D("0.37"), (D("0.25"), D("0.25"), D("0.37"), D("0.37"))),
    ),
    axis_rows=((D("0.25"), 16), (D("0.50"), 9), (D("0.75"), 6), (D("1.50"), 4), (None, 3)),
    axis_min_cylinder=D("0.12"),
    addition_rows=((D("4.00"), D("0.12")), (None, D("0.18"))),
)
"""The tolerances of BS EN ISO 21987:2017 (see the module docstring for the table and its caveats)."""

TOLERANCE_TABLES: Final = (ISO_21987_2017,)
"""Every table held, oldest first; a new edition of the standard is added here with its date."""


def table_in_force(on: date) -> ToleranceTable:
    """The newest table whose ``valid_from`` is on or before ``on`` (the oldest before any of them)."""
    usable = [table for table in TOLERANCE_TABLES if table.valid_from <= on]
    return usable[-1] if usable else TOLERANCE_TABLES[0]


@dataclass(frozen=True)
class LensTolerances:
    """The tolerances that apply to one ordered lens (for showing beside the reading)."""

    meridian: Decimal
    cylinder: Decimal
    axis_degrees: int | None


def _checked_axis(sca: Sca, what: str) -> Sca:
    if not sca.has_cylinder:
        return Sca(sca.sphere)
    if sca.axis is None:
        raise ValueError(f"The {what} lens has a cylinder ({sca.cylinder:+.2f}) but no axis")
    if sca.axis == 0:
        return Sca(sca.sphere, sca.cylinder, 180)
    if not 1 <= sca.axis <= 180:
        raise ValueError(f"The {what} lens's axis {sca.axis} is out of range: use 1 to 180")
    return sca


def _strongest_meridian(sca: Sca) -> Decimal:
    return max(abs(sca.sphere), abs(sca.sphere + sca.cylinder))


def tolerances_for(ordered: Sca, *, table: ToleranceTable = ISO_21987_2017) -> LensTolerances:
    """The meridian, cylinder and axis tolerances for ``ordered`` (axis ``None`` when not checked)."""
    lens = _checked_axis(ordered, "ordered")
    strongest = _strongest_meridian(lens)
    return LensTolerances(
        meridian=table.power_row(strongest).meridian,
        cylinder=table.cylinder_tolerance(strongest, lens.cylinder),
        axis_degrees=table.axis_tolerance(lens.cylinder) if lens.has_cylinder else None,
    )


def _same_form(ordered: Sca, measured: Sca) -> Sca:
    """``measured`` in the ordered lens's cylinder form (minus when the order has no cylinder)."""
    return to_plus_cylinder(measured) if ordered.cylinder > 0 else to_minus_cylinder(measured)


def _power_problem(what: str, measured: Decimal, ordered: Decimal, tolerance: Decimal) -> list[str]:
    off = abs(measured - ordered)
    if off <= tolerance:
        return []
    return [f"{what} {measured:+.2f} is {off:.2f} D off the ordered {ordered:+.2f}: "
            f"the tolerance is ±{tolerance:.2f} D, so it is {off - tolerance:.2f} D out"]


def check_mounted_lens(ordered: Sca, measured: Sca, *, table: ToleranceTable = ISO_21987_2017) -> list[str]:
    """Compare a lensmeter reading of a mounted lens with the lens ordered; the problems in plain words.

    Either lens may be in either cylinder form (the reading is transposed into the order's form).
    Checked against ``table`` (default BS EN ISO 21987:2017, see the module docstring): the sphere
    and the sphere + cylinder meridian against the meridian tolerance, the cylinder against the
    cylinder tolerance, and the axis — only when the ordered cylinder is at least 0.12 D and the
    reading has a cylinder — against the axis tolerance for the ordered cylinder's size, wrapping
    round 180°. An empty list means the lens is within tolerance.

    ``ValueError`` when a lens with a cylinder has no axis or an axis outside 0–180 (0 is read as 180).
    """
    order = _checked_axis(ordered, "ordered")
    reading = _checked_axis(_same_form(order, _checked_axis(measured, "measured")), "measured")
    strongest = _strongest_meridian(order)
    meridian_tolerance = table.power_row(strongest).meridian
    problems = [
        *_power_problem("Sphere", reading.sphere, order.sphere, meridian_tolerance),
        *_power_problem("Sphere + cylinder", reading.sphere + reading.cylinder,
                        order.sphere + order.cylinder, meridian_tolerance),
    ]
    cylinder_tolerance = table.cylinder_tolerance(strongest, order.cylinder)
    if order.has_cylinder:
        problems += _power_problem("Cylinder", reading.cylinder, order.cylinder, cylinder_tolerance)
    elif abs(reading.cylinder) > cylinder_tolerance:
        off = abs(reading.cylinder)
        problems.append(f"Cylinder {reading.cylinder:+.2f} found where none was ordered: the tolerance is "
                        f"±{cylinder_tolerance:.2f} D, so it is {off - cylinder_tolerance:.2f} D out")
    axis_tolerance = table.axis_tolerance(order.cylinder) if order.has_cylinder else None
    if axis_tolerance is not None and reading.has_cylinder:
        assert order.axis is not None and reading.axis is not None  # _checked_axis guarantees both
        rotation = axis_difference(order.axis, reading.axis)
        if rotation > axis_tolerance:
            problems.append(
                f"Axis {reading.axis} is {rotation}° off the ordered {order.axis}: the tolerance for a "
                f"{abs(order.cylinder):.2f} D cylinder is ±{axis_tolerance}°, so it is "
                f"{rotation - axis_tolerance}° out"
            )
    return problems


def check_addition(ordered_add: Decimal, measured_add: Decimal, *,
                   table: ToleranceTable = ISO_21987_2017) -> list[str]:
    """Compare a measured reading addition with the add ordered (±0.12 D up to 4.00, ±0.18 D above).

    ``check_addition(Decimal("2.00"), Decimal("2.25"))`` →
    ``['Addition +2.25 is 0.25 D off the ordered +2.00: the tolerance is ±0.12 D, so it is 0.13 D out']``.
    """
    ordered = Sca(ordered_add).sphere
    measured = Sca(measured_add).sphere
    if ordered <= 0:
        raise ValueError(f"an ordered addition must be positive, not {ordered:+.2f}")
    return _power_problem("Addition", measured, ordered, table.addition_tolerance(ordered))
