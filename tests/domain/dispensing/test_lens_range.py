"""Can a lens be made in this Rx? The lens range rule (minus-cylinder form)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ils_desktop.domain.dispensing import LensRange, lens_range_problems, minimum_blank_size
from ils_desktop.domain.rx import parse_sca, transpose

D = Decimal

STOCK_SV = LensRange(min_sphere=D("-6.00"), max_sphere=D("4.00"), max_cylinder=D("-2.00"), diameters=(65, 70))
SURFACED_SV = LensRange(min_sphere=D("-12.00"), max_sphere=D("8.00"), max_cylinder=D("-4.00"),
                        min_combined=D("-14.00"), diameters=(65, 70, 75))
VARIFOCAL = LensRange(min_sphere=D("-10.00"), max_sphere=D("6.00"), max_cylinder=D("4.00"),
                      min_add=D("0.75"), max_add=D("3.50"), min_fitting_height=D("16"))

CASES = [
    # (lens, rx, add, fitting height, expected problems)
    (STOCK_SV, "-2.00/-1.00x90", None, None, []),
    (STOCK_SV, "-6.00/-2.00x90", None, None, []),  # exactly at both limits
    (STOCK_SV, "+4.00DS", None, None, []),
    (STOCK_SV, "-6.25DS", None, None, ["Sphere -6.25 is beyond this lens's range of -6.00"]),
    (STOCK_SV, "+4.25DS", None, None, ["Sphere +4.25 is beyond this lens's range of +4.00"]),
    (STOCK_SV, "-1.00/-2.25x180", None, None, ["Cylinder -2.25 exceeds this lens's range of -2.00"]),
    # a plus-cylinder Rx is judged in minus form: +1.00/+2.25x90 = +3.25/-2.25x180
    (STOCK_SV, "+1.00/+2.25x90", None, None, ["Cylinder -2.25 exceeds this lens's range of -2.00"]),
    (STOCK_SV, "+3.00/+1.50x90", None, None, ["Sphere +4.50 is beyond this lens's range of +4.00"]),
    (SURFACED_SV, "-1.00/-6.50x90", None, None, ["Cylinder -6.50 exceeds this lens's range of -4.00"]),
    (SURFACED_SV, "-10.00/-4.00x90", None, None, []),  # combined -14.00: at the limit
    (SURFACED_SV, "-10.50/-4.00x90", None, None,
     ["Sphere + cylinder -14.50 exceeds this lens's combined range of -14.00"]),
    (SURFACED_SV, "-12.50/-4.50x90", None, None,
     ["Sphere -12.50 is beyond this lens's range of -12.00", "Cylinder -4.50 exceeds this lens's range of -4.00",
      "Sphere + cylinder -17.00 exceeds this lens's combined range of -14.00"]),
    (SURFACED_SV, "-2.00DS", D("2.00"), None, []),  # a single-vision lens ignores the add
    (VARIFOCAL, "-2.00/-0.50x90", D("2.00"), D("18"), []),
    (VARIFOCAL, "-2.00/-0.50x90", D("0.75"), D("16"), []),  # at the limits
    (VARIFOCAL, "-2.00/-0.50x90", D("3.50"), None, []),  # height not yet measured: not judged here
    (VARIFOCAL, "-2.00/-0.50x90", None, D("18"), ["This is a multifocal lens: the prescription needs a reading add"]),
    (VARIFOCAL, "-2.00/-0.50x90", D("3.75"), D("18"), ["Add +3.75 exceeds this lens's range of +3.50"]),
    (VARIFOCAL, "-2.00/-0.50x90", D("0.50"), D("18"), ["Add +0.50 is below this lens's range of +0.75"]),
    (VARIFOCAL, "-2.00/-0.50x90", D("2.00"), D("15.5"),
     ["Fitting height 15.5 mm is below this lens's minimum of 16 mm"]),
    (VARIFOCAL, "-2.00/-4.25x90", D("2.00"), D("14"),
     ["Cylinder -4.25 exceeds this lens's range of -4.00",
      "Fitting height 14 mm is below this lens's minimum of 16 mm"]),
]


@pytest.mark.parametrize(("lens", "rx", "add", "height", "expected"), CASES)
def test_lens_range_problems(lens: LensRange, rx: str, add: Decimal | None, height: Decimal | None,
                             expected: list[str]) -> None:
    assert lens_range_problems(parse_sca(rx), add, lens, height) == expected
    # the same Rx in the other cylinder form gets the same answer
    assert lens_range_problems(transpose(parse_sca(rx)), add, lens, height) == expected


def test_max_cylinder_may_be_given_as_a_size() -> None:
    assert LensRange(D("-6"), D("4"), D("2.00")).max_cylinder == D("-2.00")


def test_a_backwards_range_is_refused() -> None:
    with pytest.raises(ValueError, match="the minimum is above the maximum"):
        LensRange(D("4"), D("-6"), D("-2"))
    with pytest.raises(TypeError):
        LensRange(-6.0, D("4"), D("-2"))  # type: ignore[arg-type]


@pytest.mark.parametrize(("a", "dbl", "ed", "mono_pd", "expected"), [
    ("52", "18", "55", "31", "65"),  # decentration 4 mm in
    ("52", "18", "55", "35", "57"),  # centred
    ("50", "20", "54", "37", "60"),  # 2 mm out
    ("54", "16", "57.5", "30.5", "68.5"),
])
def test_minimum_blank_size(a: str, dbl: str, ed: str, mono_pd: str, expected: str) -> None:
    assert minimum_blank_size(D(a), D(dbl), D(ed), D(mono_pd)) == D(expected)


@pytest.mark.parametrize(("needed", "expected"), [
    ("70", []),
    ("71", ["This frame and PD need a 71 mm blank; this lens is made up to 70 mm"]),
])
def test_blank_size(needed: str, expected: list[str]) -> None:
    assert lens_range_problems(parse_sca("-1.00DS"), None, STOCK_SV, blank_size_needed=D(needed)) == expected
