"""JOIA and Nidek XML files beyond the samples: other measure types, encodings, vendor quirks,
and files that must be refused."""

from decimal import Decimal

import pytest

from ils_desktop.devices.measurement import (
    HorizontalPrismBase,
    MeasurementKind,
    ParseError,
    VerticalPrismBase,
)
from ils_desktop.devices.protocols import detect, get_protocol, parse_auto

D = Decimal
joia = get_protocol("joia_xml")
nidek_xml = get_protocol("nidek_xml")
NS = "http://www.joia.or.jp/standardized/namespaces/"


def joia_file(measure_type: str, body: str, encoding: str = "UTF-8") -> bytes:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        f'<Ophthalmology xmlns:nsCommon="{NS}Common" xmlns:ns="{NS}{measure_type}">'
        "<nsCommon:Common><nsCommon:Company>TOPCON</nsCommon:Company><nsCommon:ModelName>X</nsCommon:ModelName>"
        "<nsCommon:Date>2026-03-04</nsCommon:Date></nsCommon:Common>"
        f'<ns:Measure type="{measure_type}">{body}</ns:Measure></Ophthalmology>'
    ).encode()


def test_joia_keratometry() -> None:
    meridians = (
        "<ns:R1><ns:Radius>7.80</ns:Radius><ns:Power>43.25</ns:Power><ns:Axis>180</ns:Axis></ns:R1>"
        "<ns:R2><ns:Radius>7.60</ns:Radius><ns:Power>44.50</ns:Power><ns:Axis>90</ns:Axis></ns:R2>"
        "<ns:Average><ns:Radius>7.70</ns:Radius><ns:Power>43.87</ns:Power></ns:Average>"
        "<ns:Cylinder><ns:Power>-1.25</ns:Power><ns:Axis>180</ns:Axis></ns:Cylinder>"
    )
    data = joia_file(
        "KM",
        f'<ns:KM><ns:R><ns:List No="1">{meridians}</ns:List>'
        f"<ns:Median>{meridians}</ns:Median></ns:R></ns:KM>",
    )
    [m] = joia.parse(data)
    assert m.kind is MeasurementKind.KERATOMETRY
    k = m.eye("R")
    assert k is not None
    assert (k.k1_radius_mm, k.k1_power, k.k1_axis) == (D("7.80"), D("43.25"), 180)
    assert (k.k2_radius_mm, k.k2_power, k.k2_axis) == (D("7.60"), D("44.50"), 90)
    assert (k.k_average_radius_mm, k.corneal_cylinder, k.corneal_cylinder_axis) == (
        D("7.70"),
        D("-1.25"),
        180,
    )
    assert m.taken_at is None and m.extras["date"] == "2026-03-04"  # a date without a time


def test_joia_lensmeter_prism_forms() -> None:
    body = (
        "<ns:LM><ns:R><ns:Sphere> -1.00</ns:Sphere><ns:H> 1.50</ns:H><ns:HBase>IN</ns:HBase>"
        "<ns:V> 0.75 U</ns:V></ns:R>"
        "<ns:L><ns:Sphere> -1.25</ns:Sphere><ns:Add2> +1.00</ns:Add2><ns:H> -0.50</ns:H></ns:L></ns:LM>"
    )
    [m] = joia.parse(joia_file("LM", body))
    right, left = m.eye("R"), m.eye("L")
    assert right is not None and left is not None
    assert (right.prism_h, right.prism_h_base) == (D("1.50"), HorizontalPrismBase.IN)
    assert (right.prism_v, right.prism_v_base) == (D("0.75"), VerticalPrismBase.UP)
    # A bare signed prism: kept as sent, no guessed base, and the user is told.
    assert (left.prism_h, left.prism_h_base, left.add2) == (D("-0.50"), None, D("1.00"))
    assert any("no stated base" in w for w in m.warnings)


def test_joia_subjective_refraction_blocks() -> None:
    def rx(sph: str, cyl: str, axis: str) -> str:
        return f"<ns:Sph>{sph}</ns:Sph><ns:Cyl>{cyl}</ns:Cyl><ns:Axis>{axis}</ns:Axis>"

    body = (
        '<ns:RefractionTest><ns:Type No="1"><ns:TypeName>Final Prescription</ns:TypeName>'
        '<ns:ExamDistance No="1"><ns:Distance unit="cm">500</ns:Distance><ns:RefractionData>'
        f"<ns:R>{rx('-1.25', '-0.50', '180')}<ns:HPri>1.00</ns:HPri><ns:HBase>OUT</ns:HBase></ns:R>"
        f"<ns:L>{rx('-1.00', '0.00', '0')}</ns:L></ns:RefractionData>"
        "<ns:VA><ns:R>1.0</ns:R><ns:L>0.8</ns:L><ns:B>1.2</ns:B></ns:VA>"
        "<ns:PD><ns:B>63.0</ns:B></ns:PD></ns:ExamDistance>"
        '<ns:ExamDistance No="2"><ns:RefractionData>'
        f"<ns:R>{rx('+1.00', '-0.50', '180')}</ns:R><ns:L>{rx('+1.25', '0.00', '0')}</ns:L>"
        "</ns:RefractionData></ns:ExamDistance></ns:Type>"
        '<ns:Type No="2"><ns:TypeName>Objective Data</ns:TypeName><ns:ExamDistance No="1"><ns:RefractionData>'
        f"<ns:R>{rx('-1.50', '-0.75', '178')}</ns:R></ns:RefractionData></ns:ExamDistance></ns:Type>"
        '<ns:Type No="3"><ns:TypeName>Unaided</ns:TypeName><ns:ExamDistance No="1">'
        "<ns:VA><ns:R>6/12</ns:R></ns:VA></ns:ExamDistance></ns:Type></ns:RefractionTest>"
    )
    measurements = joia.parse(joia_file("SBJ", body))
    assert [(m.kind, m.extras["joia_type"]) for m in measurements] == [
        (MeasurementKind.SUBJECTIVE_REFRACTION, "Final Prescription"),
        (MeasurementKind.VISUAL_ACUITY, "Final Prescription"),
        (MeasurementKind.AUTOREFRACTION, "Objective Data"),
        (MeasurementKind.VISUAL_ACUITY, "Unaided"),
    ]
    final, va, objective, unaided = measurements
    assert final.eye("R").add == D("2.25")  # near sphere minus far sphere
    assert final.eye("L").add == D("2.25")
    assert (final.eye("R").prism_h, final.eye("R").prism_h_base) == (D("1.00"), HorizontalPrismBase.OUT)
    assert final.pd.distance == D("63.0")
    assert {eye: side.representative.va_decimal for eye, side in va.eyes.items()} == {
        "R": D("1.0"),
        "L": D("0.8"),
        "B": D("1.2"),
    }
    assert objective.eye("R").axis == 178
    assert unaided.eye("R").va_decimal == D("0.50")


def test_joia_utf16_with_bom_and_declaration() -> None:
    text = joia_file(
        "TM",
        "<ns:TM><ns:L><ns:List No='1'><ns:IOP_mmHg>14</ns:IOP_mmHg></ns:List></ns:L></ns:TM>",
        encoding="UTF-16",
    ).decode("utf-8")
    data = text.encode("utf-16")  # with BOM
    assert detect(data) is joia
    [m] = parse_auto(data)
    assert m.eye("L").iop_mmhg == D(14)


def test_joia_tonometry_corrected_iop_and_error() -> None:
    body = (
        "<ns:TM><ns:R><ns:List No='1'><ns:Error>ERR</ns:Error></ns:List>"
        "<ns:List No='2'><ns:IOP_mmHg>19</ns:IOP_mmHg></ns:List>"
        "<ns:Average><ns:IOP_mmHg>19.0</ns:IOP_mmHg><ns:CorrectedIOP><ns:IOP_mmHg>17.5</ns:IOP_mmHg>"
        "</ns:CorrectedIOP><ns:CCT>540</ns:CCT></ns:Average></ns:R></ns:TM>"
    )
    [m] = joia.parse(joia_file("TM", body))
    right = m.eye("R")
    assert (right.iop_mmhg, right.iop_corrected_mmhg, right.pachymetry_um) == (D("19.0"), D("17.5"), D(540))
    assert m.warnings == ["R reading 1: ERR - no value"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"<Ophthalmology><Common/></Ophthalmology>", "no <Measure>"),
        (b'<?xml version="1.0" encoding="x-klingon"?><Ophthalmology/>', "not known"),
        (b'<!DOCTYPE x [<!ENTITY a "aaaa">]><Ophthalmology>&a;</Ophthalmology>', "entities"),
        (b"<Other/>", "root element is <Other>"),
        (
            f'<Ophthalmology xmlns:n="{NS}REF"><n:Measure type="REF"><n:REF><n:R><n:List No="1">'
            "<n:Sphere>abc</n:Sphere></n:List></n:R></n:REF></n:Measure></Ophthalmology>".encode(),
            "not a number",
        ),
        (
            f'<Ophthalmology xmlns:n="{NS}XX"><n:Measure type="XX"/></Ophthalmology>'.encode(),
            "'XX' is not read",
        ),
    ],
)
def test_joia_refusals(data: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message) as info:
        joia.parse(data)
    assert info.value.raw == data


# --- Nidek XML -----------------------------------------------------------------------------------

NIDEK_DATA = """<?xml version="1.0" encoding="UTF-16"?>
<Data>
  <Common><Company>NIDEK</Company><ModelName>ARK-1s</ModelName><MachineNo>77</MachineNo>
    <Date>2026/03/04</Date><Time>11:02:03</Time><Patient><ID>C000042</ID></Patient></Common>
  <VD>12.00</VD>
  <R>
    <AR><ARList No="1"><Sphere>-2.00</Sphere><Cylinder>-0.50</Cylinder><Axis>10</Axis></ARList>
        <ARList No="2"><Sphere>-2.25</Sphere><Cylinder>-0.50</Cylinder><Axis>12</Axis></ARList>
        <ARMedian><Sphere>-2.00</Sphere><Cylinder>-0.50</Cylinder><Axis>11</Axis></ARMedian></AR>
    <KM><KMList No="1"><R1><Radius>7.75</Radius><Power>43.50</Power><Axis>5</Axis></R1>
        <R2><Radius>7.60</Radius><Power>44.50</Power><Axis>95</Axis></R2></KMList></KM>
    <NT><NTList No="1"><mmHg>14</mmHg></NTList><NTList No="2"><mmHg>16</mmHg></NTList>
        <NTAverage><mmHg>15.0</mmHg></NTAverage></NT>
    <PACHY><PACHYList No="1"><Thickness>545</Thickness></PACHYList></PACHY>
  </R>
  <L>
    <AR><ARList No="1"><Sphere>-1.50</Sphere><Cylinder>-0.25</Cylinder><Axis>170</Axis></ARList>
        <ARList No="2"><Error>BLINK</Error></ARList></AR>
  </L>
  <PD><FarPD>64</FarPD><NearPD>61</NearPD></PD>
</Data>
"""


def test_nidek_data_file_utf16() -> None:
    data = NIDEK_DATA.encode("utf-16")
    assert detect(data) is nidek_xml
    measurements = nidek_xml.parse(data)
    assert [m.kind for m in measurements] == [
        MeasurementKind.AUTOREFRACTION,
        MeasurementKind.KERATOMETRY,
        MeasurementKind.TONOMETRY,
        MeasurementKind.PACHYMETRY,
    ]
    ar, km, nt, pachy = measurements
    assert (ar.maker, ar.model, ar.serial, ar.patient_id) == ("NIDEK", "ARK-1s", "77", "C000042")
    assert ar.taken_at is not None and ar.taken_at.isoformat() == "2026-03-04T11:02:03+00:00"
    assert (ar.eye("R").sphere, ar.eye("R").axis, ar.eye("R").vertex_distance) == (D("-2.00"), 11, D("12.00"))
    assert len(ar.eyes["R"].readings) == 2
    assert ar.eye("L").axis == 170  # no ARMedian: the only good reading
    assert ar.warnings == ["L reading 2: BLINK - no value"]
    assert (ar.pd.distance, ar.pd.near) == (D(64), D(61))
    assert km.eye("R").k1_radius_mm == D("7.75") and km.eye("R").k2_axis == 95
    assert nt.eye("R").iop_mmhg == D("15.0") and [r.iop_mmhg for r in nt.eyes["R"].readings] == [D(14), D(16)]
    assert pachy.eye("R").pachymetry_um == D(545)
    assert km.pd.distance is None  # PD belongs to the refraction


NIDEK_LM = """<?xml version="1.0" encoding="UTF-8"?>
<Ophthalmology>
  <Common><Company>NIDEK</Company><ModelName>LM-7P</ModelName><Date>2026-03-04</Date><Time>09:00:00</Time></Common>
  <Measure Type="LM"><LM>
    <R><Sphare>-3.00</Sphare><Cylinder>-0.75</Cylinder><Axis>45</Axis><ADD>2.50</ADD></R>
    <L><Sphare>-2.75</Sphare><Cylinder>-0.50</Cylinder><Axis>135</Axis><ADD>2.50</ADD></L>
    <B><PD>62.5</PD></B>
  </LM></Measure>
</Ophthalmology>
"""


def test_nidek_lensmeter_with_sphare_misspelling() -> None:
    data = NIDEK_LM.encode()
    assert detect(data) is nidek_xml  # no JOIA namespace: Nidek's variant
    [m] = parse_auto(data)
    assert m.kind is MeasurementKind.LENSOMETRY and m.model == "LM-7P"
    assert (m.eye("R").sphere, m.eye("R").add) == (D("-3.00"), D("2.50"))
    assert (m.eye("L").sphere, m.eye("L").axis) == (D("-2.75"), 135)
    assert m.pd.distance == D("62.5")


def test_nidek_xml_without_values() -> None:
    with pytest.raises(ParseError, match="no AR, KM, NT, PACHY or LM"):
        nidek_xml.parse(b"<Data><Common><Company>NIDEK</Company></Common></Data>")


def test_nidek_xml_cut_off() -> None:
    data = NIDEK_DATA.encode("utf-16")
    with pytest.raises(ParseError, match="malformed XML"):
        parse_auto(data[: len(data) // 2])


# --- values written with their units; one value that cannot be read --------------------------------


def _nidek_with(old: str, new: str) -> list:  # type: ignore[type-arg]
    assert old in NIDEK_DATA
    return nidek_xml.parse(NIDEK_DATA.replace(old, new, 1).encode("utf-16"))


@pytest.mark.parametrize(
    ("old", "new", "section", "field", "value"),
    [
        ("<VD>12.00</VD>", "<VD>12.00 mm</VD>", 0, "vertex_distance", D("12.00")),  # the ARK-1s export
        ("<VD>12.00</VD>", "<VD>12.00mm</VD>", 0, "vertex_distance", D("12.00")),
        ("<Sphere>-2.00</Sphere><Cylinder>-0.50</Cylinder><Axis>11</Axis>",
         "<Sphere>-2.00 D</Sphere><Cylinder>-0.50 DC</Cylinder><Axis>11°</Axis>", 0, "sphere", D("-2.00")),
        ("<Sphere>-2.00</Sphere><Cylinder>-0.50</Cylinder><Axis>11</Axis>",
         "<Sphere>-2.00 dpt</Sphere><Cylinder>-0.50D</Cylinder><Axis>11 deg</Axis>", 0, "axis", 11),
        ("<Radius>7.75</Radius><Power>43.50</Power>", "<Radius>7.75 mm</Radius><Power>43.50 D</Power>", 1,
         "k1_radius_mm", D("7.75")),
        ("<NTAverage><mmHg>15.0</mmHg>", "<NTAverage><mmHg>15.0 mmHg</mmHg>", 2, "iop_mmhg", D("15.0")),
        ("<Thickness>545</Thickness>", "<Thickness>545 µm</Thickness>", 3, "pachymetry_um", D(545)),
        ("<Thickness>545</Thickness>", "<Thickness>545um</Thickness>", 3, "pachymetry_um", D(545)),
    ],
)
def test_a_value_written_with_its_unit_is_read(old: str, new: str, section: int, field: str, value: object) -> None:
    measurement = _nidek_with(old, new)[section]
    assert getattr(measurement.eyes["R"].representative, field) == value
    assert measurement.warnings == ([] if section else ["L reading 2: BLINK - no value"])


@pytest.mark.parametrize(
    ("old", "new", "section", "lost", "warning"),
    [
        # A unit the field is not in: that value (only) is left out, and the warning says which and why.
        ("<VD>12.00</VD>", "<VD>12.00 cm</VD>", 0, ("vertex_distance",),
         "vertex distance: '12.00 cm' is not a number in mm; that value was not recorded"),
        ("<NTAverage><mmHg>15.0</mmHg>", "<NTAverage><mmHg>2.0 kPa</mmHg>", 2, (),  # the median stands in
         "R NTAverage IOP: '2.0 kPa' is not a number in mmHg; that value was not recorded"),
        ("<Radius>7.75</Radius>", "<Radius>7.75 in</Radius>", 1, ("k1_radius_mm",),
         "R reading 1 R1 radius: '7.75 in' is not a number in mm"),
        # A sphero-cylinder is all or nothing: an unreadable axis takes the sphere and cylinder with it.
        ("<Sphere>-2.00</Sphere><Cylinder>-0.50</Cylinder><Axis>11</Axis>",
         "<Sphere>-2.00</Sphere><Cylinder>-0.50</Cylinder><Axis>eleven</Axis>", 0, (),
         "R ARMedian: the axis could not be read; the sphere, cylinder and axis of this reading were not recorded"),
    ],
)
def test_one_unreadable_value_costs_that_value_not_the_file(
    old: str, new: str, section: int, lost: tuple[str, ...], warning: str
) -> None:
    measurements = _nidek_with(old, new)
    assert len(measurements) == 4  # every section is still read
    measurement = measurements[section]
    assert any(warning in w for w in measurement.warnings), measurement.warnings
    for field in lost:
        assert getattr(measurement.eyes["R"].representative, field) is None
    if section == 0 and not lost:
        # The device's median lost its sphero-cylinder: the median of the readings is used instead.
        assert (measurement.eye("R").sphere, measurement.eye("R").axis) == (D("-2.125"), 11)
    if section == 2:
        assert measurement.eye("R").iop_mmhg == D(15)  # median of 14 and 16


def test_a_file_with_nothing_readable_is_refused_saying_why() -> None:
    body = ('<ns:REF><ns:R><ns:List No="1"><ns:Sphere>-2.5x</ns:Sphere><ns:Cylinder>-0.75</ns:Cylinder>'
            "<ns:Axis>10</ns:Axis></ns:List></ns:R></ns:REF>")
    with pytest.raises(ParseError, match=r"no R or L values: R reading 1 sphere: '-2.5x' is not a number in D"):
        joia.parse(joia_file("REF", body))
