"""Can this lens be made in this prescription? A lens's available range, and the reason when not.

Lens makers publish each lens (design + material + index) with the powers it is made in. The usual
form, and the one held here, is in **minus-cylinder form**:

* a sphere range (``min_sphere`` .. ``max_sphere``), read on the Rx's sphere in minus-cylinder form;
* the strongest cylinder (``max_cylinder``, e.g. -4.00: any cylinder up to 4.00 D);
* optionally a limit on the **combined power** in the strongest minus meridian
  (``min_combined``: sphere + cylinder in minus-cylinder form, e.g. -10.00). Makers quote it as
  "sphere + cylinder to -10.00" for lenses whose blanks cannot reach a full-range sphere and a
  full-range cylinder together. Plus prescriptions are limited by ``max_sphere`` alone, because in
  minus-cylinder form the sphere *is* the most plus meridian;
* the add range for multifocals (``min_add`` .. ``max_add``), the minimum fitting height for
  varifocals and bifocals (``min_fitting_height``, mm), and the blank diameters made
  (``diameters``, mm).

The Rx is transposed to minus-cylinder form first, so a plus-cylinder Rx is judged the same as its
minus-cylinder twin. Messages name the value and the limit: "Cylinder -6.50 exceeds this lens's
range of -4.00".

Blank size: when the frame and PD are known, the smallest blank that will glaze is
ED + 2 × decentration + 2 mm (``minimum_blank_size``), where decentration per eye is half the frame
PD (A + DBL) less the monocular PD — the standard dispensing calculation (ABDO, *Dispensing
Optics*); the 2 mm allows for the edging bevel and chipping.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from ils_desktop.domain.rx import Sca, to_minus_cylinder

EDGING_ALLOWANCE_MM: Final = Decimal("2")


def _dec(value: Decimal | int | None, what: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float | bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{what} must be a Decimal, not {type(value).__name__}")
    return Decimal(value)


@dataclass(frozen=True)
class LensRange:
    """The powers (and sizes) a lens is made in. See the module docstring for how each is read.

    ``max_cylinder`` is the strongest cylinder in minus-cylinder form; a positive value is read as
    the same size in minus form (4.00 → -4.00). ``min_combined`` is the most minus power allowed in
    the strongest meridian (sphere + cylinder, minus form), ``None`` when the maker gives none.
    """

    min_sphere: Decimal
    max_sphere: Decimal
    max_cylinder: Decimal
    min_add: Decimal | None = None
    max_add: Decimal | None = None
    min_fitting_height: Decimal | None = None
    diameters: tuple[int, ...] = ()
    min_combined: Decimal | None = None

    def __post_init__(self) -> None:
        low, high = _dec(self.min_sphere, "min_sphere"), _dec(self.max_sphere, "max_sphere")
        cylinder = _dec(self.max_cylinder, "max_cylinder")
        assert low is not None and high is not None and cylinder is not None
        if low > high:
            raise ValueError(f"the sphere range runs from {low:+.2f} to {high:+.2f}: "
                             "the minimum is above the maximum")
        object.__setattr__(self, "min_sphere", low)
        object.__setattr__(self, "max_sphere", high)
        object.__setattr__(self, "max_cylinder", -abs(cylinder))
        add_low, add_high = _dec(self.min_add, "min_add"), _dec(self.max_add, "max_add")
        if add_low is not None and add_high is not None and add_low > add_high:
            raise ValueError(f"the add range runs from {add_low:+.2f} to {add_high:+.2f}: "
                             "the minimum is above the maximum")
        object.__setattr__(self, "min_add", add_low)
        object.__setattr__(self, "max_add", add_high)
        object.__setattr__(self, "min_fitting_height", _dec(self.min_fitting_height, "min_fitting_height"))
        object.__setattr__(self, "min_combined", _dec(self.min_combined, "min_combined"))
        object.__setattr__(self, "diameters", tuple(sorted(int(d) for d in self.diameters)))

    @property
    def is_multifocal(self) -> bool:
        """True when the lens has an add range (bifocal, varifocal, occupational)."""
        return self.min_add is not None or self.max_add is not None


def _mm(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:.1f}"


def lens_range_problems(rx: Sca, add: Decimal | None, lens: LensRange,
                        fitting_height: Decimal | None = None, *,
                        blank_size_needed: Decimal | None = None) -> list[str]:
    """Why ``lens`` cannot be made in ``rx`` (one eye), in plain words; empty when it can.

    ``add`` is the reading addition (``None`` for single vision): a multifocal lens needs one within
    its add range; a single-vision lens ignores it. ``fitting_height`` (mm) is checked against the
    lens's minimum when both are known (the measurements rules say when a height is required).
    ``blank_size_needed`` (mm, from ``minimum_blank_size``) is checked against the largest diameter
    made when the lens lists its diameters.
    """
    minus = to_minus_cylinder(rx)
    problems: list[str] = []
    if minus.sphere < lens.min_sphere:
        problems.append(f"Sphere {minus.sphere:+.2f} is beyond this lens's range of {lens.min_sphere:+.2f}")
    if minus.sphere > lens.max_sphere:
        problems.append(f"Sphere {minus.sphere:+.2f} is beyond this lens's range of {lens.max_sphere:+.2f}")
    if minus.cylinder < lens.max_cylinder:
        problems.append(f"Cylinder {minus.cylinder:+.2f} exceeds this lens's range of {lens.max_cylinder:+.2f}")
    combined = minus.sphere + minus.cylinder
    if lens.min_combined is not None and minus.has_cylinder and combined < lens.min_combined:
        problems.append(f"Sphere + cylinder {combined:+.2f} exceeds this lens's combined range of "
                        f"{lens.min_combined:+.2f}")
    if lens.is_multifocal:
        if add is None:
            problems.append("This is a multifocal lens: the prescription needs a reading add")
        else:
            amount = Decimal(add)
            if lens.min_add is not None and amount < lens.min_add:
                problems.append(f"Add {amount:+.2f} is below this lens's range of {lens.min_add:+.2f}")
            if lens.max_add is not None and amount > lens.max_add:
                problems.append(f"Add {amount:+.2f} exceeds this lens's range of {lens.max_add:+.2f}")
    if lens.min_fitting_height is not None and fitting_height is not None \
            and Decimal(fitting_height) < lens.min_fitting_height:
        problems.append(f"Fitting height {_mm(Decimal(fitting_height))} mm is below this lens's minimum of "
                        f"{_mm(lens.min_fitting_height)} mm")
    if lens.diameters and blank_size_needed is not None and Decimal(blank_size_needed) > max(lens.diameters):
        problems.append(f"This frame and PD need a {_mm(Decimal(blank_size_needed))} mm blank; this lens is made "
                        f"up to {max(lens.diameters)} mm")
    return problems


def minimum_blank_size(box_a: Decimal, dbl: Decimal, ed: Decimal, monocular_pd: Decimal) -> Decimal:
    """The smallest uncut blank that will glaze: ED + 2 × |decentration| + 2 mm.

    Decentration = (A + DBL) / 2 − monocular PD (how far the optical centre moves in from the box
    centre). ``minimum_blank_size(Decimal(52), Decimal(18), Decimal(55), Decimal(31))`` → 65 mm.
    """
    decentration = (Decimal(box_a) + Decimal(dbl)) / 2 - Decimal(monocular_pd)
    return Decimal(ed) + 2 * abs(decentration) + EDGING_ALLOWANCE_MM
