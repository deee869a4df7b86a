"""The lab order data file (Vision Council DCS records), field by field against docs/domain/lab-orders.md."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ils_desktop.domain.dispensing import DispensingMeasurements, JobType, LensKind
from ils_desktop.domain.rx import Prism, Sca, resolve_prism, to_minus_cylinder
from ils_desktop.reports.lab_order_file import (
    EdgeType,
    FrameSpec,
    FrameType,
    LabOrderData,
    LensRx,
    dcs_text,
    lab_order_records,
    parse_records,
    prism_resultant,
    records_by_label,
    write_to_drop_folder,
)

D = Decimal
DOC = Path(__file__).resolve().parents[2] / "docs/domain/lab-orders.md"

MEASURED = DispensingMeasurements(
    right_distance_pd=D("32.5"), left_distance_pd=D("31.5"), right_near_pd=D("30.5"), left_near_pd=D("29.5"),
    right_fitting_height=D("22"), left_fitting_height=D("22.5"), vertex_distance=D("12"),
    pantoscopic_tilt=D("8"), face_form_wrap=D("5"), box_a=D("52"), box_b=D("38"), dbl=D("18"), ed=D("55"),
)

FULL = LabOrderData(
    order_number="ORD-000123",
    job_type=JobType.FULL_JOB,
    lens_kind=LensKind.VARIFOCAL,
    right=LensRx(Sca(D("-2.25"), D("-0.50"), 180), D("2.00"), prism_h=Prism(D("1.00"), "IN")),
    left=LensRx(Sca(D("-1.50"), D("+0.75"), 90), D("2.00"), prism_v=Prism(D("0.50"), "UP")),
    measurements=MEASURED,
    account_number="HUG001",
    lens_name="Varilux Comfort Max®",
    lens_index=D("1.6"),
    material_id=16,
    coating="Crizal Sapphire",
    tint="Grey 85%",
    frame=FrameSpec("Ray-Ban", "RB5154 Clubmaster", "Tortoise", "51□21 145", FrameType.PLASTIC),
    edge=EdgeType.BEVEL,
)

# Every record written for FULL, in order, exactly as in the file.
EXPECTED = [
    ("JOB", "ORD-000123"),
    ("DO", "B"),
    ("ACCN", "HUG001"),
    ("LTYP", "PR;PR"),
    ("LNAM", "Varilux Comfort Max;Varilux Comfort Max"),
    ("LIND", "1.600;1.600"),
    ("LMATID", "16;16"),
    ("SPH", "-2.25;-0.75"),  # left +0.75 cyl transposed: -1.50/+0.75x90 = -0.75/-0.75x180
    ("CYL", "-0.50;-0.75"),
    ("AX", "180;180"),
    ("ADD", "2.00;2.00"),
    ("PRVM", "1.00;0.50"),
    ("PRVA", "0;90"),  # right base IN = 0°, left base UP = 90°
    ("IPD", "32.50;31.50"),
    ("NPD", "30.50;29.50"),
    ("SEGHT", "22.00;22.50"),
    ("HBOX", "52.00;52.00"),
    ("VBOX", "38.00;38.00"),
    ("DBL", "18.00"),
    ("FED", "55.00;55.00"),
    ("BVD", "12.00;12.00"),
    ("PANTO", "8.00;8.00"),
    ("ZTILT", "5.00;5.00"),
    ("TINT", "Grey 85%;Grey 85%"),
    ("ACOAT", "Crizal Sapphire;Crizal Sapphire"),
    ("FMFR", "Ray-Ban"),
    ("FRAM", "RB5154 Clubmaster"),
    ("FCOL", "Tortoise"),
    ("FTYP", "1"),
    ("ETYP", "1"),
]


def documented_labels() -> list[str]:
    """The records listed in docs/domain/lab-orders.md, in the documented order."""
    text = DOC.read_text(encoding="utf-8")
    table = text.split("## The records, in the order they are written", 1)[1]
    return re.findall(r"^\| `([A-Z_]+)` \|", table, flags=re.MULTILINE)


def test_the_file_is_exactly_the_expected_records_with_crlf() -> None:
    text = lab_order_records(FULL)
    assert text == "".join(f"{label}={value}\r\n" for label, value in EXPECTED)
    text.encode("ascii")  # plain ASCII


@pytest.mark.parametrize(("label", "value"), EXPECTED)
def test_each_record(label: str, value: str) -> None:
    assert f"{label}={value}\r\n" in lab_order_records(FULL)


def test_every_record_is_documented_in_the_documented_order() -> None:
    documented = documented_labels()
    written = [label for label, _ in parse_records(lab_order_records(FULL))]
    single_vision = LabOrderData("SV1", JobType.FULL_JOB, LensKind.SINGLE_VISION, LensRx(Sca(D(-1))), None,
                                 MEASURED)
    written_sv = [label for label, _ in parse_records(lab_order_records(single_vision))]
    assert set(written) | set(written_sv) == set(documented)  # every documented record is written by some order
    for labels in (written, written_sv):
        assert labels == sorted(labels, key=documented.index)


@pytest.mark.parametrize(("order", "expected"), [
    # one eye only: DO says which, the other side is empty
    (LabOrderData("R-ONLY", JobType.LENSES_ONLY, LensKind.SINGLE_VISION, LensRx(Sca(D("+1.00"))), None,
                  DispensingMeasurements(right_distance_pd=D("31"), right_fitting_height=D("20"))),
     ["JOB=R-ONLY", "DO=R", "LTYP=SV;", "SPH=+1.00;", "CYL=+0.00;", "AX=0;", "IPD=31.00;", "OCHT=20.00;"]),
    (LabOrderData("L-ONLY", JobType.GLAZE_OWN_FRAME, LensKind.BIFOCAL, None,
                  LensRx(Sca(D("0"), D("-1.25"), 45), D("2.50")), DispensingMeasurements(left_fitting_height=D("18"))),
     ["JOB=L-ONLY", "DO=L", "LTYP=;BI", "SPH=;+0.00", "CYL=;-1.25", "AX=;45", "ADD=;2.50", "SEGHT=;18.00"]),
    # plus-cylinder in, minus-cylinder out
    (LabOrderData("PLUS", JobType.FULL_JOB, LensKind.SINGLE_VISION, LensRx(Sca(D("+1.00"), D("+0.50"), 90)),
                  LensRx(Sca(D("-3.00"), D("+1.25"), 170))),
     ["DO=B", "SPH=+1.50;-1.75", "CYL=-0.50;-1.25", "AX=180;80"]),
    # prism: base OUT right = 180°, base IN left = 180°, base DOWN = 270°, combined H + V resultant
    (LabOrderData("PRISM", JobType.FULL_JOB, LensKind.SINGLE_VISION,
                  LensRx(Sca(D(0)), prism_h=Prism(D("2"), "OUT")), LensRx(Sca(D(0)), prism_h=Prism(D("2"), "IN"))),
     ["PRVM=2.00;2.00", "PRVA=180;180"]),
    (LabOrderData("PRISM2", JobType.FULL_JOB, LensKind.SINGLE_VISION,
                  LensRx(Sca(D(0)), prism_v=Prism(D("1.5"), "DOWN")),
                  LensRx(Sca(D(0)), prism_h=Prism(D("3"), "IN"), prism_v=Prism(D("4"), "UP"))),
     ["PRVM=1.50;5.00", "PRVA=270;127"]),
    (LabOrderData("PRISM3", JobType.FULL_JOB, LensKind.SINGLE_VISION,
                  LensRx(Sca(D(0)), prism_h=Prism(D("1"), "IN")), LensRx(Sca(D(0)))),
     ["PRVM=1.00;0.00", "PRVA=0;0"]),
])
def test_shapes_of_order(order: LabOrderData, expected: list[str]) -> None:
    lines = lab_order_records(order).split("\r\n")
    for line in expected:
        assert line in lines, (line, lines)


def test_no_prism_no_prism_records_and_nothing_about_the_patient() -> None:
    order = LabOrderData("NP", JobType.FULL_JOB, LensKind.SINGLE_VISION, LensRx(Sca(D(-1))), LensRx(Sca(D(-1))))
    labels = [label for label, _ in parse_records(lab_order_records(order))]
    assert labels == ["JOB", "DO", "LTYP", "SPH", "CYL", "AX"]


@pytest.mark.parametrize(("changes", "message"), [
    ({"order_number": "../etc/passwd"}, "order number"),
    ({"order_number": "A" * 33}, "order number"),
    ({"order_number": ""}, "order number"),
    ({"right": None, "left": None}, "at least one eye"),
    ({"lens_name": "Progressive;DROP"}, "cannot go in a lab file"),
    ({"tint": "Brown\r\nJOB=OTHER"}, "cannot go in a lab file"),
    ({"coating": "A=B"}, "cannot go in a lab file"),
    ({"lens_name": "x" * 41}, "longer than the 40 characters"),
    ({"lens_index": D("2.5")}, "not a spectacle lens index"),
    ({"material_id": -1}, "material id"),
    ({"right": LensRx(Sca(D(-1)))}, "needs a reading add"),
])
def test_orders_a_file_could_not_carry_are_refused(changes: dict[str, object], message: str) -> None:
    values = {name: getattr(FULL, name) for name in FULL.__dataclass_fields__}
    values.update(changes)
    with pytest.raises(ValueError, match=message):
        LabOrderData(**values)  # type: ignore[arg-type]


def test_a_float_index_is_refused() -> None:
    with pytest.raises(TypeError, match="must be a Decimal"):
        LabOrderData("X1", JobType.FULL_JOB, LensKind.SINGLE_VISION, LensRx(Sca(D(-1))), None,
                     lens_index=1.6)  # type: ignore[arg-type]


def test_text_is_written_in_ascii() -> None:
    assert dcs_text("Café Crème®  Pro") == "Cafe Creme Pro"
    assert dcs_text("Zeiss™ Smart") == "ZeissTM Smart"  # compatibility decomposition spells ™ out


@pytest.mark.parametrize(("eye", "h", "v", "expected"), [
    ("R", Prism(D(1), "IN"), None, (D("1.00"), 0)),
    ("R", Prism(D(1), "OUT"), None, (D("1.00"), 180)),
    ("L", Prism(D(1), "IN"), None, (D("1.00"), 180)),
    ("L", Prism(D(1), "OUT"), None, (D("1.00"), 0)),
    ("R", None, Prism(D(1), "UP"), (D("1.00"), 90)),
    ("L", None, Prism(D(1), "DOWN"), (D("1.00"), 270)),
    ("R", Prism(D(3), "IN"), Prism(D(4), "DOWN"), (D("5.00"), 307)),
    ("R", Prism(D(1), "OUT"), Prism(D(1), "UP"), (D("1.41"), 135)),
    ("R", None, None, None),
])
def test_prism_resultant(eye: str, h: Prism | None, v: Prism | None, expected: tuple[Decimal, int] | None) -> None:
    assert prism_resultant(eye, h, v) == expected


# --- the drop folder --------------------------------------------------------------------------------


def test_write_to_drop_folder(tmp_path: Path) -> None:
    path = write_to_drop_folder(tmp_path, FULL)
    assert path == tmp_path / "ORD-000123.vca"
    assert path.read_bytes() == lab_order_records(FULL).encode("ascii")
    assert b"\r\n" in path.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["ORD-000123.vca"]  # no temporary file left behind
    # sent again: the same file is already there, nothing changes
    assert write_to_drop_folder(tmp_path, FULL) == path
    assert [p.name for p in tmp_path.iterdir()] == ["ORD-000123.vca"]


def test_a_different_order_is_never_overwritten(tmp_path: Path) -> None:
    path = write_to_drop_folder(tmp_path, FULL)
    before = path.read_bytes()
    changed = LabOrderData(**{**{n: getattr(FULL, n) for n in FULL.__dataclass_fields__}, "tint": None})
    with pytest.raises(FileExistsError, match="different order"):
        write_to_drop_folder(tmp_path, changed)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ORD-000123.vca"]


def test_missing_folder_and_unsafe_suffix(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_to_drop_folder(tmp_path / "nowhere", FULL)
    with pytest.raises(ValueError, match="unsafe file name"):
        write_to_drop_folder(tmp_path, FULL, suffix="/../x")
    assert write_to_drop_folder(tmp_path, FULL, suffix=".oma").name == "ORD-000123.oma"


# --- reading records back ----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "message"), [
    ("JOB=1\r\nNOEQUALS\r\n", "line 2 is not a LABEL=value record"),
    ("=value\n", "line 1 has no valid record label"),
    ("job=1\n", "line 1 has no valid record label"),
])
def test_parse_records_refuses_malformed_lines(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_records(text)


def test_records_by_label_refuses_duplicates() -> None:
    assert records_by_label("JOB=1\nSPH=-1.00;+2.00\n\n") == {"JOB": ("1",), "SPH": ("-1.00", "+2.00")}
    with pytest.raises(ValueError, match="SPH record appears more than once"):
        records_by_label("SPH=1;1\r\nSPH=2;2\r\n")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_parse_records_only_ever_refuses_with_a_clear_error(text: str) -> None:
    try:
        records = parse_records(text)
    except ValueError as error:
        assert str(error).startswith("line ")
    else:
        assert all(label and values for label, values in records)


# --- any order the domain accepts reads back as the same values --------------------------------------

quarter_power = st.integers(min_value=-80, max_value=80).map(lambda q: D(q) / 4)
quarter_cylinder = st.integers(min_value=-24, max_value=24).map(lambda q: D(q) / 4)
mm = st.one_of(st.none(), st.integers(min_value=100, max_value=700).map(lambda t: D(t) / 10))
prism_amount = st.integers(min_value=25, max_value=1000).map(lambda h: D(h) / 100)
words = st.one_of(st.none(), st.text(st.characters(codec="utf-8", exclude_categories=("C",)), min_size=1,
                                     max_size=30))


@st.composite
def lens_rx(draw: st.DrawFn, with_add: bool) -> LensRx:
    cylinder = draw(quarter_cylinder)
    sca = Sca(draw(quarter_power), cylinder, draw(st.integers(min_value=1, max_value=180)) if cylinder else None)
    add = draw(st.integers(min_value=3, max_value=16).map(lambda q: D(q) / 4)) if with_add else None
    prism_h = draw(st.one_of(st.none(), st.builds(Prism, prism_amount, st.sampled_from(["IN", "OUT"]))))
    prism_v = draw(st.one_of(st.none(), st.builds(Prism, prism_amount, st.sampled_from(["UP", "DOWN"]))))
    return LensRx(sca, add, prism_h, prism_v)


@st.composite
def orders(draw: st.DrawFn) -> LabOrderData:
    kind = draw(st.sampled_from(list(LensKind)))
    eyes = draw(st.sampled_from(["B", "R", "L"]))
    right = draw(lens_rx(kind.has_add)) if eyes in "BR" else None
    left = draw(lens_rx(kind.has_add)) if eyes in "BL" else None
    measured = DispensingMeasurements(**{name: draw(mm) for name in (
        "right_distance_pd", "left_distance_pd", "right_near_pd", "left_near_pd", "right_fitting_height",
        "left_fitting_height", "vertex_distance", "pantoscopic_tilt", "face_form_wrap", "box_a", "box_b", "dbl",
        "ed")})
    frame = draw(st.one_of(st.none(), st.builds(FrameSpec, words, words, words, st.none(),
                                                st.one_of(st.none(), st.sampled_from(list(FrameType))))))
    try:
        return LabOrderData(
            order_number=draw(st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_-]{0,31}\Z")),
            job_type=draw(st.sampled_from(list(JobType))), lens_kind=kind, right=right, left=left,
            measurements=measured, account_number=draw(words), lens_name=draw(words),
            lens_index=draw(st.one_of(st.none(), st.sampled_from([D("1.5"), D("1.6"), D("1.67"), D("1.74")]))),
            material_id=draw(st.one_of(st.none(), st.integers(min_value=0, max_value=9999))),
            coating=draw(words), tint=draw(words), frame=frame,
            edge=draw(st.one_of(st.none(), st.sampled_from(list(EdgeType)))),
        )
    except ValueError:
        assume(False)  # an order the domain refuses is not written
        raise


def _side(values: tuple[str, ...], eye: str) -> str:
    return values[0 if eye == "R" else 1]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(orders())
def test_any_accepted_order_reads_back_as_the_same_values(order: LabOrderData) -> None:
    text = lab_order_records(order)
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    records = records_by_label(text)
    assert records["JOB"] == (order.order_number,)
    assert records["DO"] == (order.eyes,)
    for eye, rx in (("R", order.right), ("L", order.left)):
        if rx is None:
            assert all(_side(values, eye) == "" for values in records.values() if len(values) == 2)
            continue
        minus = to_minus_cylinder(rx.sca)
        assert D(_side(records["SPH"], eye)) == minus.sphere
        assert D(_side(records["CYL"], eye)) == minus.cylinder <= 0
        assert int(_side(records["AX"], eye)) == (minus.axis if minus.has_cylinder else 0)
        if rx.add is not None:
            assert D(_side(records["ADD"], eye)) == rx.add
        if rx.prism_h or rx.prism_v:
            amount, angle = D(_side(records["PRVM"], eye)), D(_side(records["PRVA"], eye))
            horizontal, vertical = resolve_prism(amount, angle, eye)  # type: ignore[arg-type]
            for wanted, got in ((rx.prism_h, horizontal), (rx.prism_v, vertical)):
                wanted_amount = wanted.amount if wanted else D(0)
                got_amount = got.amount if got else D(0)
                # whole-degree angle: within 1% of the resultant plus rounding
                assert abs(wanted_amount - got_amount) <= amount * D("0.01") + D("0.01")
                if wanted and wanted.amount > amount * D("0.05"):
                    assert got is not None and got.base == wanted.base
    m = order.measurements
    for label, right, left in (("IPD", m.right_distance_pd, m.left_distance_pd),
                               ("NPD", m.right_near_pd, m.left_near_pd),
                               ("SEGHT" if order.lens_kind.has_add else "OCHT",
                                m.right_fitting_height, m.left_fitting_height)):
        for eye, value in (("R", right), ("L", left)):
            if value is not None and (order.right if eye == "R" else order.left) is not None:
                assert D(_side(records[label], eye)) == value
    for label, value in (("HBOX", m.box_a), ("VBOX", m.box_b), ("FED", m.ed), ("BVD", m.vertex_distance),
                         ("PANTO", m.pantoscopic_tilt), ("ZTILT", m.face_form_wrap)):
        if value is not None:
            assert {D(v) for v in records[label] if v} == {value}
    if m.dbl is not None:
        assert D(records["DBL"][0]) == m.dbl
    for label, value in (("LNAM", order.lens_name), ("TINT", order.tint), ("ACOAT", order.coating)):
        if value:
            assert {v for v in records[label] if v} <= {dcs_text(value)}
    if order.frame is not None:
        for label, value in (("FMFR", order.frame.supplier), ("FRAM", order.frame.model),
                             ("FCOL", order.frame.colour)):
            if value:
                assert records[label] == (dcs_text(value),)
