"""Huvitz / Visionix one-line lensmeter format."""

from decimal import Decimal

import pytest

from ils_desktop.devices.measurement import MeasurementKind, ParseError
from ils_desktop.devices.protocols import detect, get_protocol, parse_auto

D = Decimal
huvitz = get_protocol("huvitz_lm")

LINE = (
    b"LM2RK No=00036 R: S=-04.50 C=-00.50 A=103 PX=+00.25 PY=+04.00 PD=00.0 ADD=+2.00 UV=12 "
    b"L: S=-03.75 C=-00.75 A=080 PX=+00.00 PY=-00.50 PD=31.5 ADD=+2.00\r\n"
)


def test_one_line_both_lenses() -> None:
    assert detect(LINE) is huvitz
    [m] = parse_auto(LINE)
    assert m.kind is MeasurementKind.LENSOMETRY and m.maker == "HUVITZ"
    right, left = m.eye("R"), m.eye("L")
    assert right is not None and left is not None
    assert (right.sphere, right.cylinder, right.axis, right.add) == (D("-4.50"), D("-0.50"), 103, D("2.00"))
    # Signed X/Y prism: kept as sent, base not guessed.
    assert (right.prism_h, right.prism_h_base, right.prism_v, right.prism_v_base) == (
        D("0.25"),
        None,
        D("4.00"),
        None,
    )
    assert (left.prism_h, left.prism_v) == (None, D("-0.50"))
    assert len(m.warnings) == 3
    assert m.pd.right is None and m.pd.left == D("31.5")  # 00.0 means not measured
    assert m.extras == {"header": "LM2RK", "No": "00036", "R.UV": "12"}


def test_several_lines_with_framing_characters() -> None:
    measurements = huvitz.parse(b"\x02" + LINE + b"\x03\x02" + LINE.replace(b"00036", b"00037") + b"\x03")
    assert [m.extras["No"] for m in measurements] == ["00036", "00037"]


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"nothing here", "no Huvitz"), (b"LM R: S=abc C=0", "not a number"), (b"LM R: S=-1.00 A=200", "axis")],
)
def test_refusals(data: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        huvitz.parse(data)
