"""Every sample file in tests/fixtures/devices parses to the values its README lists.

Each file is read twice: by the protocol it was written for, and by auto-detection; both must give
the same measurements (or the same error). A new sample file without an entry here fails the
coverage test, so the table cannot silently fall behind the folder.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ils_desktop.devices.measurement import (
    HorizontalPrismBase,
    Measurement,
    MeasurementKind,
    ParseError,
    PupillaryDistance,
    VerticalPrismBase,
)
from ils_desktop.devices.protocols import detect, get_protocol, parse_auto

D = Decimal
FIXTURES_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "devices"


@dataclass
class Expected:
    """What one measurement from a sample file must contain (representative values are a subset)."""

    kind: MeasurementKind
    eyes: dict[str, dict[str, object]]
    readings: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    pd: PupillaryDistance = field(default_factory=PupillaryDistance)
    maker: str | None = None
    model: str | None = None
    patient_id: str | None = None
    taken_at: str | None = None
    warnings: tuple[str, ...] = ()
    absent: dict[str, tuple[str, ...]] = field(default_factory=dict)


def sca(sphere: str, cylinder: str, axis: int) -> dict[str, object]:
    return {"sphere": D(sphere), "cylinder": D(cylinder), "axis": axis}


NIDEK_LM = Expected(
    kind=MeasurementKind.LENSOMETRY,
    maker="NIDEK",
    model="LM-1000P",
    eyes={
        "R": {
            **sca("-2.25", "-0.75", 95),
            "add": D("2.00"),
            "prism_h": D("0.50"),
            "prism_h_base": HorizontalPrismBase.IN,
        },
        "L": {
            **sca("-1.75", "-1.00", 80),
            "add": D("2.00"),
            "prism_v": D("1.00"),
            "prism_v_base": VerticalPrismBase.DOWN,
        },
    },
    # The zero prisms in the frame (PR00.00U, PL00.00O) are not recorded: a zero prism has no base.
    absent={"R": ("prism_v", "prism_v_base"), "L": ("prism_h", "prism_h_base")},
)

JOIA_REF = Expected(
    kind=MeasurementKind.AUTOREFRACTION,
    maker="TOPCON",
    model="KR-800S",
    patient_id="C000042",
    taken_at="2026-03-04T10:15:02",
    eyes={"R": sca("-2.50", "-0.75", 11), "L": sca("-2.25", "-1.00", 168)},
    readings={
        "R": [sca("-2.50", "-0.75", 12), sca("-2.50", "-0.50", 10)],
        "L": [sca("-2.25", "-1.00", 168)],
    },
    pd=PupillaryDistance(distance=D("62"), near=D("58")),
    warnings=("NO CENTER",),
)

# file name -> (protocol name, expected measurements in order) or (protocol name, error text)
CASES: dict[str, tuple[str, list[Expected] | str]] = {
    "nidek-lm-right-left.bin": ("nidek_serial", [NIDEK_LM]),
    "nidek-lm-bad-checksum.bin": ("nidek_serial", [replace(NIDEK_LM, warnings=("checksum mismatch",))]),
    "nidek-lm-truncated.bin": ("nidek_serial", "incomplete frame"),
    "nidek-lm-noise-then-frame.bin": ("nidek_serial", [NIDEK_LM]),
    "nidek-ark-refraction-kerato.bin": (
        "nidek_serial",
        [
            Expected(
                kind=MeasurementKind.AUTOREFRACTION,
                maker="NIDEK",
                model="ARK-1a",
                eyes={
                    "R": {**sca("1.25", "-0.50", 175), "vertex_distance": D("12.00")},
                    "L": {**sca("0.75", "-0.25", 10), "vertex_distance": D("12.00")},
                },
                readings={
                    "R": [sca("1.25", "-0.50", 175), sca("1.25", "-0.75", 178), sca("1.50", "-0.50", 175)],
                    "L": [sca("0.75", "-0.25", 10), sca("0.75", "-0.25", 5), sca("0.75", "-0.50", 10)],
                },
                pd=PupillaryDistance(distance=D("64"), near=D("60")),
            ),
            Expected(
                kind=MeasurementKind.KERATOMETRY,
                maker="NIDEK",
                model="ARK-1a",  # the kerato frame has no ID record: same device as the frame before
                eyes={
                    "R": {
                        "k1_radius_mm": D("7.80"),
                        "k2_radius_mm": D("7.65"),
                        "k1_axis": 90,
                        "k2_axis": 180,
                        "k1_power": D("43.27"),
                        "k2_power": D("44.12"),
                        "corneal_cylinder": D("-0.85"),
                    },
                    "L": {
                        "k1_radius_mm": D("7.82"),
                        "k2_radius_mm": D("7.70"),
                        "k1_axis": 85,
                        "k2_axis": 175,
                        "k1_power": D("43.16"),
                        "k2_power": D("43.83"),
                        "corneal_cylinder": D("-0.67"),
                    },
                },
            ),
        ],
    ),
    "nidek-tonometer.bin": (
        "nidek_serial",
        [
            Expected(
                kind=MeasurementKind.TONOMETRY,
                maker="NIDEK",
                eyes={"R": {"iop_mmhg": D("15.3")}, "L": {"iop_mmhg": D("18.0")}},
                readings={
                    "R": [{"iop_mmhg": D("15")}, {"iop_mmhg": D("16")}, {"iop_mmhg": D("15")}],
                    "L": [{"iop_mmhg": D("18")}],
                },
                warnings=("L reading 1: APL",),
            ),
        ],
    ),
    # Real Nidek NT-series transmissions: each eye's record carries the count, the readings, the
    # average and its deviation (the shape our own first sample did not have).
    "nidek-nt-tonometer-counts.bin": (
        "nidek_serial",
        [
            Expected(
                kind=MeasurementKind.TONOMETRY,
                maker="NIDEK",
                model="NT-510",
                eyes={"R": {"iop_mmhg": D("15.3"), "iop_deviation_mmhg": D("0.6")},
                      "L": {"iop_mmhg": D("18.5"), "iop_deviation_mmhg": D("0.7")}},
                readings={
                    "R": [{"iop_mmhg": D("15")}, {"iop_mmhg": D("16")}, {"iop_mmhg": D("15")}],
                    "L": [{"iop_mmhg": D("18")}, {"iop_mmhg": D("19")}],
                },
                warnings=("L reading 1: APL (applanation not achieved) - no value",),
            ),
        ],
    ),
    "nidek-nt530p-tono-pachy.bin": (
        "nidek_serial",
        [
            Expected(
                kind=MeasurementKind.TONOMETRY,
                maker="NIDEK",
                model="NT-530P",
                eyes={"R": {"iop_mmhg": D("14.5"), "iop_deviation_mmhg": D("0.7")},
                      "L": {"iop_mmhg": D("17.0"), "iop_deviation_mmhg": D("0.0")}},
                readings={"R": [{"iop_mmhg": D("14")}, {"iop_mmhg": D("15")}], "L": [{"iop_mmhg": D("17")}]},
                warnings=("L reading 2: OVR (over range) - no value",),
            ),
            Expected(
                kind=MeasurementKind.PACHYMETRY,
                maker="NIDEK",
                model="NT-530P",  # the DPM block has no ID record: the device of its transmission
                eyes={"R": {"pachymetry_um": D("547"), "pachymetry_deviation_um": D("2")},
                      "L": {"pachymetry_um": D("551"), "pachymetry_deviation_um": D("1")}},
                readings={"R": [{"pachymetry_um": D("545")}, {"pachymetry_um": D("548")}],
                          "L": [{"pachymetry_um": D("552")}, {"pachymetry_um": D("550")}]},
                warnings=("R reading 3: BLK (blink) - no value", "L reading 2: ALM (alignment error) - no value"),
            ),
        ],
    ),
    "nidek-ark1a-blocks-one-eot.bin": (
        "nidek_serial",
        [
            Expected(
                kind=MeasurementKind.AUTOREFRACTION,
                maker="NIDEK",
                model="ARK-1a",  # from the Drm header block
                eyes={
                    "R": {**sca("-1.75", "-0.50", 170), "vertex_distance": D("12.00")},
                    "L": {**sca("-1.25", "-0.25", 15), "vertex_distance": D("12.00")},
                },
                readings={
                    "R": [sca("-1.75", "-0.50", 170), sca("-1.75", "-0.75", 172), sca("-2.00", "-0.50", 170)],
                    "L": [sca("-1.25", "-0.25", 15), sca("-1.25", "-0.25", 10), sca("-1.50", "-0.25", 15)],
                },
                pd=PupillaryDistance(distance=D("62"), near=D("59")),
            ),
            Expected(
                kind=MeasurementKind.KERATOMETRY,
                maker="NIDEK",
                model="ARK-1a",
                eyes={
                    "R": {"k1_radius_mm": D("7.72"), "k2_radius_mm": D("7.61"), "k1_axis": 175, "k2_axis": 85,
                          "k1_power": D("43.72"), "k2_power": D("44.35"), "corneal_cylinder": D("-0.63")},
                    "L": {"k1_radius_mm": D("7.75"), "k2_radius_mm": D("7.66"), "k1_axis": 5, "k2_axis": 95,
                          "k1_power": D("43.55"), "k2_power": D("44.06"), "corneal_cylinder": D("-0.51")},
                },
            ),
        ],
    ),
    "nidek-rt5100-final.bin": (
        "nidek_rt",
        [
            Expected(
                kind=MeasurementKind.SUBJECTIVE_REFRACTION,
                maker="NIDEK",
                model="RT-5100",
                eyes={
                    "R": {**sca("-1.25", "-0.50", 180), "add": D("2.25")},
                    "L": {"sphere": D("-1.00"), "cylinder": D("0"), "add": D("2.25")},
                },
                pd=PupillaryDistance(distance=D("63"), near=D("60")),
            ),
            Expected(
                kind=MeasurementKind.VISUAL_ACUITY,
                maker="NIDEK",
                model="RT-5100",
                eyes={"R": {"va_decimal": D("1.0")}, "L": {"va_decimal": D("1.25")}},
            ),
        ],
    ),
    "joia-ref-topcon-kr800s.xml": ("joia_xml", [JOIA_REF]),
    "joia-ref-shift-jis.xml": ("joia_xml", [JOIA_REF]),
    "joia-tm-topcon-ct800a.xml": (
        "joia_xml",
        [
            Expected(
                kind=MeasurementKind.TONOMETRY,
                maker="TOPCON",
                model="CT-800A",
                patient_id="C000042",
                taken_at="2026-03-04T10:21:40",
                eyes={"R": {"iop_mmhg": D("17.5")}, "L": {"iop_mmhg": D("22.0")}},
                readings={"R": [{"iop_mmhg": D("17")}, {"iop_mmhg": D("18")}], "L": [{"iop_mmhg": D("22")}]},
            ),
        ],
    ),
    "joia-lm-topcon-cl300.xml": (
        "joia_xml",
        [
            Expected(
                kind=MeasurementKind.LENSOMETRY,
                maker="TOPCON",
                model="CL-300",
                taken_at="2026-03-04T09:58:11",
                eyes={
                    "R": {**sca("1.75", "-0.50", 90), "add": D("2.00")},
                    "L": {**sca("2.00", "-0.25", 5), "add": D("2.00")},
                },
                pd=PupillaryDistance(distance=D("63.5")),
            ),
        ],
    ),
    "joia-malformed.xml": ("joia_xml", "malformed XML"),
    "joia-km-sbj-topcon-cv5000.xml": (
        "joia_xml",
        [
            Expected(
                kind=MeasurementKind.KERATOMETRY,
                maker="TOPCON",
                model="CV-5000",
                patient_id="C000042",
                taken_at="2026-03-04T11:20:00",
                eyes={"R": {"k1_radius_mm": D("7.81"), "k1_axis": 180, "k2_radius_mm": D("7.61"), "k2_axis": 90}},
                readings={"R": [{"k1_radius_mm": D("7.80")}, {"k1_radius_mm": D("7.82")}]},
            ),
            Expected(
                kind=MeasurementKind.SUBJECTIVE_REFRACTION,
                patient_id="C000042",
                taken_at="2026-03-04T11:20:00",
                eyes={
                    "R": {**sca("-1.25", "-0.50", 180), "add": D("2.25"), "prism_h": D("1.00"),
                          "prism_h_base": HorizontalPrismBase.OUT},
                    "L": {**sca("-1.00", "0.00", 0), "add": D("2.25")},
                },
                pd=PupillaryDistance(distance=D("63.0")),
            ),
            Expected(
                kind=MeasurementKind.VISUAL_ACUITY,
                patient_id="C000042",
                taken_at="2026-03-04T11:20:00",
                eyes={"R": {"va_decimal": D("1.0")}, "L": {"va_decimal": D("0.8")}, "B": {"va_decimal": D("1.2")}},
            ),
            Expected(
                kind=MeasurementKind.VISUAL_ACUITY,
                patient_id="C000042",
                taken_at="2026-03-04T11:20:00",
                eyes={"R": {"va_decimal": D("0.50")}},
            ),
        ],
    ),
    "huvitz-lm-line.txt": (
        "huvitz_lm",
        [
            Expected(
                kind=MeasurementKind.LENSOMETRY,
                maker="HUVITZ",
                eyes={"R": {**sca("-4.50", "-0.50", 103), "add": D("2.00")},
                      "L": {**sca("-3.75", "-0.75", 80), "add": D("2.00")}},
                pd=PupillaryDistance(left=D("31.5")),
                warnings=("no stated base direction",),
            )
        ],
    ),
    "nidek-xml-ark-utf16.xml": (
        "nidek_xml",
        [
            Expected(
                kind=MeasurementKind.AUTOREFRACTION,
                maker="NIDEK",
                model="ARK-1s",
                patient_id="C000042",
                taken_at="2026-03-04T11:02:03",
                eyes={"R": {**sca("-2.00", "-0.50", 11), "vertex_distance": D("12.00")},
                      "L": sca("-1.50", "-0.25", 170)},
                readings={"R": [sca("-2.00", "-0.50", 10), sca("-2.25", "-0.50", 12)]},
                pd=PupillaryDistance(distance=D("64"), near=D("61")),
                warnings=("L reading 2: BLINK",),
            ),
            Expected(
                kind=MeasurementKind.KERATOMETRY,
                patient_id="C000042",
                taken_at="2026-03-04T11:02:03",
                eyes={"R": {"k1_radius_mm": D("7.75"), "k1_axis": 5, "k2_radius_mm": D("7.60"), "k2_axis": 95}},
            ),
            Expected(
                kind=MeasurementKind.TONOMETRY,
                patient_id="C000042",
                taken_at="2026-03-04T11:02:03",
                eyes={"R": {"iop_mmhg": D("15.0")}},
                readings={"R": [{"iop_mmhg": D("14")}, {"iop_mmhg": D("16")}]},
            ),
            Expected(
                kind=MeasurementKind.PACHYMETRY,
                patient_id="C000042",
                taken_at="2026-03-04T11:02:03",
                eyes={"R": {"pachymetry_um": D("545")}},
            ),
        ],
    ),
    # A Nidek ARK-1s export writing each value with its unit, and one value no unit explains.
    "nidek-xml-ark1s-units.xml": (
        "nidek_xml",
        [
            Expected(
                kind=MeasurementKind.AUTOREFRACTION,
                maker="NIDEK",
                model="ARK-1s",
                patient_id="C000057",
                taken_at="2026-03-05T09:41:27",
                eyes={"R": {**sca("1.25", "-0.50", 94), "spherical_equivalent": D("1.00"),
                            "vertex_distance": D("12.00")},
                      "L": {**sca("1.00", "-0.25", 80), "vertex_distance": D("12.00")}},
                readings={"R": [sca("1.25", "-0.50", 95), sca("1.25", "-0.75", 92)],
                          "L": [{**sca("1.00", "-0.25", 80), "spherical_equivalent": None}]},
                pd=PupillaryDistance(distance=D("63.5"), near=D("60.0")),
                warnings=("L reading 1 SE: '+0.8.8 D' is not a number in D; that value was not recorded",),
            ),
            Expected(
                kind=MeasurementKind.KERATOMETRY,
                patient_id="C000057",
                taken_at="2026-03-05T09:41:27",
                eyes={"R": {"k1_radius_mm": D("7.84"), "k1_power": D("43.05"), "k1_axis": 4,
                            "k2_radius_mm": D("7.70"), "k2_power": D("43.83"), "k2_axis": 94}},
            ),
            Expected(
                kind=MeasurementKind.TONOMETRY,
                patient_id="C000057",
                taken_at="2026-03-05T09:41:27",
                eyes={"R": {"iop_mmhg": D("16.5")}},
                readings={"R": [{"iop_mmhg": D("16")}, {"iop_mmhg": D("17")}]},
            ),
            Expected(
                kind=MeasurementKind.PACHYMETRY,
                patient_id="C000057",
                taken_at="2026-03-05T09:41:27",
                eyes={"L": {"pachymetry_um": D("552")}},
            ),
        ],
    ),
    "nidek-xml-lm.xml": (
        "nidek_xml",
        [
            Expected(
                kind=MeasurementKind.LENSOMETRY,
                maker="NIDEK",
                model="LM-7P",
                taken_at="2026-03-04T09:00:00",
                eyes={"R": {**sca("-3.00", "-0.75", 45), "add": D("2.50")},
                      "L": {**sca("-2.75", "-0.50", 135), "add": D("2.50")}},
                pd=PupillaryDistance(distance=D("62.5")),
            )
        ],
    ),
    "dicom-autorefraction.dcm": (
        "dicom_refractive",
        [
            Expected(
                kind=MeasurementKind.AUTOREFRACTION,
                maker="TOPCON",
                model="KR-800S",
                patient_id="C000042",
                taken_at="2026-03-04T10:30:00",
                eyes={"R": {**sca("-1.25", "-0.50", 180), "vertex_distance": D("12")},
                      "L": sca("-1.00", "-0.25", 5)},
                pd=PupillaryDistance(distance=D("63"), near=D("60")),
            )
        ],
    ),
    "dicom-lensometry.dcm": (
        "dicom_refractive",
        [
            Expected(
                kind=MeasurementKind.LENSOMETRY,
                maker="NIDEK",
                model="LM-1800P",
                patient_id="C000042",
                taken_at="2026-03-04T10:40:00",
                eyes={
                    "R": {**sca("-2.25", "-0.75", 95), "add": D("2.00"), "prism_h": D("0.5"),
                          "prism_h_base": HorizontalPrismBase.IN},
                    "L": {**sca("-1.75", "-1.00", 80), "add": D("2.00")},
                },
            )
        ],
    ),
}


def sample_files() -> list[str]:
    return sorted(p.name for p in FIXTURES_DIR.iterdir() if p.is_file() and p.name != "README.md")


def test_every_sample_file_has_an_expectation() -> None:
    assert sample_files(), f"no sample files in {FIXTURES_DIR}"
    assert set(sample_files()) == set(CASES)


def check(measurements: list[Measurement], expected: list[Expected], raw: bytes) -> None:
    assert [m.kind for m in measurements] == [e.kind for e in expected]
    for measurement, want in zip(measurements, expected, strict=True):
        assert set(measurement.eyes) == set(want.eyes)
        for eye, values in want.eyes.items():
            representative = measurement.eyes[eye].representative
            got = {name: getattr(representative, name) for name in values}
            assert got == values, f"{measurement.kind} {eye}"
            for name in want.absent.get(eye, ()):
                assert getattr(representative, name) is None, f"{eye} {name} should not be set"
        for eye, readings in want.readings.items():
            got_readings = [
                {name: getattr(r, name) for name in reading}
                for r, reading in zip(measurement.eyes[eye].readings, readings, strict=False)
            ]
            assert len(measurement.eyes[eye].readings) == len(readings)
            assert got_readings == readings
        assert measurement.pd == want.pd
        if want.maker is not None:
            assert measurement.maker == want.maker
        if want.model is not None:
            assert measurement.model == want.model
        assert measurement.patient_id == want.patient_id
        if want.taken_at is None:
            assert measurement.taken_at is None
        else:
            assert measurement.taken_at is not None
            assert measurement.taken_at.utcoffset() is not None
            assert measurement.taken_at.replace(tzinfo=None) == datetime.fromisoformat(want.taken_at)
        for text in want.warnings:
            assert any(text in w for w in measurement.warnings), (text, measurement.warnings)
        if not want.warnings:
            assert measurement.warnings == []
        # Each measurement keeps its own frame (or the whole file) for the audit trail.
        assert measurement.raw == raw or (measurement.raw != b"" and measurement.raw in raw)


@pytest.mark.parametrize("name", sorted(CASES))
def test_sample_parses_with_its_protocol(name: str, fixture_bytes: Callable[[str], bytes]) -> None:
    protocol_name, expected = CASES[name]
    data = fixture_bytes(name)
    protocol = get_protocol(protocol_name)
    if isinstance(expected, str):
        with pytest.raises(ParseError, match=expected) as info:
            protocol.parse(data)
        assert info.value.raw == data  # the input is kept for the quarantine / inbox
        return
    check(protocol.parse(data), expected, data)


@pytest.mark.parametrize("name", sorted(CASES))
def test_sample_is_detected_and_parses_the_same(name: str, fixture_bytes: Callable[[str], bytes]) -> None:
    protocol_name, expected = CASES[name]
    data = fixture_bytes(name)
    detected = detect(data)
    assert detected is not None and detected.name == protocol_name
    if isinstance(expected, str):
        with pytest.raises(ParseError, match=expected):
            parse_auto(data)
        return
    check(parse_auto(data), expected, data)


def test_shift_jis_name_is_decoded(fixture_bytes: Callable[[str], bytes]) -> None:
    """The Shift-JIS sample's first name is Japanese; reading it must not garble the file."""
    from ils_desktop.devices.protocols.xmlsupport import descendants, load_xml, text

    root, warnings = load_xml(fixture_bytes("joia-ref-shift-jis.xml"))
    assert [text(e) for e in descendants(root, "FirstName")] == ["太郎"]
    assert warnings == []


def test_bad_checksum_names_both_checksums(fixture_bytes: Callable[[str], bytes]) -> None:
    [measurement] = parse_auto(fixture_bytes("nidek-lm-bad-checksum.bin"))
    assert measurement.warnings == [
        "checksum mismatch: the frame says 0000 but its bytes add up to 16BF; values kept, "
        "please check them against the device"
    ]


def test_malformed_xml_message_says_where_and_why(fixture_bytes: Callable[[str], bytes]) -> None:
    with pytest.raises(ParseError) as info:
        parse_auto(fixture_bytes("joia-malformed.xml"))
    assert "line 10" in str(info.value)
    assert "cut off" in str(info.value)
