"""Property tests: parsers never crash on junk, and what the simulators build reads back exactly."""

import contextlib
import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ils_desktop.devices import simulated_frames as sim
from ils_desktop.devices.framing import NidekFramer
from ils_desktop.devices.measurement import (
    EyeValues,
    HorizontalPrismBase,
    MeasurementKind,
    ParseError,
    VerticalPrismBase,
)
from ils_desktop.devices.protocols import PROTOCOLS, get_protocol, parse_auto
from ils_desktop.devices.protocols.base import median_of

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROUND_TRIP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def hundredths(low: int, high: int) -> st.SearchStrategy[Decimal]:
    """Dioptric values in 0.01 D steps (some lensmeters report them), as exact Decimals."""
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-2))


# --- never crash ---------------------------------------------------------------------------------

# Pieces of real formats, so random input gets deep into the parsers rather than failing at byte 0.
FRAGMENTS = [
    b"\x01",
    b"\x02",
    b"\x03",
    b"\x04",
    b"\x17",
    b"\r",
    b"\n",
    b" ",
    b"DLM",
    b"DRM",
    b"DKM",
    b"DNT",
    b"DPM",
    b"C**",
    b"ID",
    b"NIDEK/LM-1000P",
    b" R",
    b" L",
    b"  ",
    b"-02.25",
    b"+01.50",
    b"095",
    b"180",
    b"999",
    b"AR",
    b"AL",
    b"PR",
    b"00.50I",
    b"PD64????60",
    b"OR",
    b"VD12.00",
    b"07.80",
    b"AV15.3/2.04",
    b"APL",
    b"15/2.0",
    b"16BF",
    b"0000",
    b"NIDEK RT-5100 ID",
    b"DA2026/ 3/ 4",
    b"@RT",
    b"@RM",
    b"FR",
    b"vR",
    b"6/0",
    b"- 1.25",
    b"  0.00",
    b"R: S=",
    b"C=",
    b"A=",
    b"PX=",
    b"L:",
    b'<?xml version="1.0"?>',
    b"<Ophthalmology>",
    b"</Ophthalmology>",
    b"<Data>",
    b"</Data>",
    b'<Measure type="REF">',
    b"<R>",
    b"</R>",
    b'<List No="1">',
    b"<Sphere>",
    b"</Sphere>",
    b"<Axis>",
    b"</Axis>",
    b"joia.or.jp/standardized",
    b"\xff\xfe",
    b"\x00",
    b"\x93\xfa",
    b"&lt;",
    b"<!ENTITY",
]
framed_noise = st.lists(st.sampled_from(FRAGMENTS) | st.binary(max_size=4), max_size=40).map(b"".join)
junk = st.binary(max_size=400) | framed_noise


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("protocol_name", [p.name for p in PROTOCOLS])
@FUZZ
@given(data=junk)
def test_protocols_never_crash(protocol_name: str, data: bytes) -> None:
    protocol = get_protocol(protocol_name)
    protocol.sniff(data)
    try:
        measurements = protocol.parse(data)
    except ParseError as exc:
        assert exc.raw == data
        return
    assert all(m.kind in MeasurementKind for m in measurements)


@pytest.mark.filterwarnings("ignore::UserWarning")
@FUZZ
@given(data=junk)
def test_auto_detection_never_crashes(data: bytes) -> None:
    try:
        parse_auto(data)
    except ParseError as exc:
        assert exc.raw == data


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydicom warns about each odd element it meets
@settings(max_examples=60, deadline=None)
@given(body=st.binary(max_size=300))
def test_dicom_with_preamble_never_crashes(body: bytes) -> None:
    data = b"\x00" * 128 + b"DICM" + body
    with contextlib.suppress(ParseError):
        get_protocol("dicom_refractive").parse(data)


@pytest.mark.filterwarnings("ignore::UserWarning")
@settings(max_examples=40, deadline=None)
@given(cut=st.integers(1, 2000), flip=st.integers(0, 2000), byte=st.integers(0, 255))
def test_damaged_dicom_never_crashes(cut: int, flip: int, byte: int) -> None:
    ds = sim.dicom_autorefraction_dataset(
        {"R": EyeValues(sphere=Decimal("-1.25"), cylinder=Decimal("-0.5"), axis=10)}
    )
    data = bytearray(sim.dicom_to_bytes(ds))
    data[flip % len(data)] = byte
    with contextlib.suppress(ParseError):
        get_protocol("dicom_refractive").parse(bytes(data[: max(1, len(data) - cut % len(data))]))


# --- round trips ---------------------------------------------------------------------------------


@st.composite
def lenses(draw: st.DrawFn) -> EyeValues:
    add = draw(st.none() | hundredths(25, 400))
    values = EyeValues(
        sphere=draw(hundredths(-2500, 2500)),
        cylinder=draw(hundredths(-1000, 0)),
        axis=draw(st.integers(0, 180)),
        add=add,
        add2=draw(st.none() | hundredths(25, 400)) if add is not None else None,
        near_sphere=draw(st.none() | hundredths(-2500, 2500)),
    )
    if draw(st.booleans()):
        values = EyeValues(
            **{
                **_fields(values),
                "prism_h": draw(hundredths(1, 1000)),
                "prism_h_base": draw(st.sampled_from(HorizontalPrismBase)),
            }
        )
    if draw(st.booleans()):
        values = EyeValues(
            **{
                **_fields(values),
                "prism_v": draw(hundredths(1, 1000)),
                "prism_v_base": draw(st.sampled_from(VerticalPrismBase)),
            }
        )
    return values


def _fields(values: EyeValues) -> dict[str, object]:
    from dataclasses import fields

    return {f.name: getattr(values, f.name) for f in fields(values)}


noise_without_soh = st.binary(max_size=20).map(lambda b: b.replace(b"\x01", b""))


@ROUND_TRIP
@given(
    eyes=st.dictionaries(st.sampled_from(["R", "L", "U"]), lenses(), min_size=1),
    checksum=st.booleans(),
    cr=st.booleans(),
    noise=noise_without_soh,
)
def test_lensmeter_round_trip(eyes: dict[str, EyeValues], checksum: bool, cr: bool, noise: bytes) -> None:
    frame = sim.nidek_lensmeter_frame(eyes, checksum=checksum, cr_after_records=cr, trailing_cr=cr)
    [m] = parse_auto(noise + frame)
    assert m.kind is MeasurementKind.LENSOMETRY
    assert {eye: side.representative for eye, side in m.eyes.items()} == eyes
    assert m.warnings == []


@ROUND_TRIP
@given(eyes=st.dictionaries(st.sampled_from(["R", "L"]), lenses(), min_size=1))
def test_wrong_checksum_still_reads_values(eyes: dict[str, EyeValues]) -> None:
    [m] = parse_auto(sim.nidek_lensmeter_frame(eyes, wrong_checksum=True))
    assert {eye: side.representative for eye, side in m.eyes.items()} == eyes
    assert len(m.warnings) == 1 and m.warnings[0].startswith("checksum mismatch")


refraction_readings = st.lists(
    st.builds(
        EyeValues,
        sphere=hundredths(-2500, 2500),
        cylinder=hundredths(-1000, 0),
        axis=st.integers(0, 180),
        confidence=st.none() | st.integers(0, 9).map(Decimal),
    ),
    min_size=1,
    max_size=5,
)


@ROUND_TRIP
@given(
    readings=st.dictionaries(st.sampled_from(["R", "L"]), refraction_readings, min_size=1),
    pd=st.none() | st.tuples(st.integers(50, 75), st.integers(45, 72)),
)
def test_autorefraction_round_trip(readings: dict[str, list[EyeValues]], pd: tuple[int, int] | None) -> None:
    frame = sim.nidek_ark_frame(readings, pd_distance=pd[0] if pd else None, pd_near=pd[1] if pd else None)
    [m] = parse_auto(frame)
    assert m.kind is MeasurementKind.AUTOREFRACTION
    for eye, series in readings.items():
        assert m.eyes[eye].readings == series
        expected = median_of(series)
        representative = m.eyes[eye].representative
        assert (representative.sphere, representative.cylinder, representative.axis) == (
            expected.sphere,
            expected.cylinder,
            expected.axis,
        )
        assert representative.vertex_distance == Decimal("12.00")
    if pd:
        assert (m.pd.distance, m.pd.near) == (Decimal(pd[0]), Decimal(pd[1]))


iop = st.integers(50, 600).map(lambda n: Decimal(n).scaleb(-1)) | st.integers(5, 60).map(Decimal)


@ROUND_TRIP
@given(
    readings=st.dictionaries(
        st.sampled_from(["R", "L"]),
        st.lists(iop | st.sampled_from(["APL", "OVR", "ERR"]), min_size=1, max_size=6),
        min_size=1,
    )
)
def test_tonometer_round_trip(readings: dict[str, list[Decimal | str]]) -> None:
    [m] = parse_auto(sim.nidek_tonometer_frame(readings))
    for eye, series in readings.items():
        values = [v for v in series if isinstance(v, Decimal)]
        failures = len(series) - len(values)
        if values:
            assert [r.iop_mmhg for r in m.eyes[eye].readings] == values
            average = (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.1"))
            assert m.eyes[eye].representative.iop_mmhg == average
        else:
            assert eye not in m.eyes
        assert sum(w.startswith(f"{eye} reading") for w in m.warnings) == failures


va_values = st.sampled_from(["0.05", "0.1", "0.5", "0.63", "0.8", "1.0", "1.25", "1.6", "2.0"]).map(Decimal)


@ROUND_TRIP
@given(
    final=st.dictionaries(
        st.sampled_from(["R", "L"]),
        st.builds(
            EyeValues,
            sphere=hundredths(-2500, 2500),
            cylinder=hundredths(-1000, 0),
            axis=st.integers(0, 180),
            add=st.none() | hundredths(25, 400),
        ),
        min_size=1,
    ),
    va=st.dictionaries(st.sampled_from(["R", "L", "B"]), va_values),
    pd=st.none() | st.integers(500, 750).map(lambda n: Decimal(n).scaleb(-1)),
)
def test_rt_round_trip(final: dict[str, EyeValues], va: dict[str, Decimal], pd: Decimal | None) -> None:
    measurements = parse_auto(sim.nidek_rt_frame(final, va=va, pd_distance=pd, patient_id="P0042"))
    rx = measurements[0]
    assert rx.kind is MeasurementKind.SUBJECTIVE_REFRACTION and rx.patient_id == "P0042"
    assert {eye: side.representative for eye, side in rx.eyes.items()} == final
    assert rx.pd.distance == pd
    if va:
        [acuity] = [m for m in measurements if m.kind is MeasurementKind.VISUAL_ACUITY]
        assert {eye: side.representative.va_decimal for eye, side in acuity.eyes.items()} == va
    else:
        assert len(measurements) == 1


@ROUND_TRIP
@given(
    readings=st.dictionaries(st.sampled_from(["R", "L"]), refraction_readings, min_size=1),
    encoding=st.sampled_from(["UTF-8", "Shift_JIS", "UTF-16"]),
    name=st.sampled_from(["Amelia", "太郎", "Zoë", "髙橋"]),
)
def test_joia_ref_round_trip(readings: dict[str, list[EyeValues]], encoding: str, name: str) -> None:
    # The device's own median, in its own 0.01 D resolution.
    medians = {
        eye: EyeValues(
            sphere=m.sphere.quantize(Decimal("0.01")),
            cylinder=m.cylinder.quantize(Decimal("0.01")),
            axis=m.axis,
        )
        for eye, m in ((eye, median_of(series)) for eye, series in readings.items())
        if m.sphere is not None and m.cylinder is not None
    }
    data = sim.joia_ref_xml(readings, medians, patient_id="C1", first_name=name, encoding=encoding)
    [m] = parse_auto(data)
    assert m.patient_id == "C1" and m.warnings == []
    for eye, series in readings.items():
        assert [(r.sphere, r.cylinder, r.axis, r.confidence) for r in m.eyes[eye].readings] == [
            (r.sphere, r.cylinder, r.axis, r.confidence) for r in series
        ]
        representative = m.eyes[eye].representative
        assert (representative.sphere, representative.cylinder, representative.axis) == (
            medians[eye].sphere,
            medians[eye].cylinder,
            medians[eye].axis,
        )


@ROUND_TRIP
@given(
    eyes=st.dictionaries(
        st.sampled_from(["R", "L"]),
        st.builds(
            EyeValues,
            sphere=hundredths(-2500, 2500),
            cylinder=hundredths(-1000, -1),
            axis=st.integers(0, 180),
            vertex_distance=st.sampled_from([None, Decimal("12"), Decimal("13.75")]),
        ),
        min_size=1,
    ),
    pd=st.none() | st.integers(500, 750).map(lambda n: Decimal(n).scaleb(-1)),
)
def test_dicom_autorefraction_round_trip(eyes: dict[str, EyeValues], pd: Decimal | None) -> None:
    data = sim.dicom_to_bytes(sim.dicom_autorefraction_dataset(eyes, pd_distance=pd, patient_id="C9"))
    [m] = parse_auto(data)
    assert m.kind is MeasurementKind.AUTOREFRACTION and m.patient_id == "C9"
    assert {eye: side.representative for eye, side in m.eyes.items()} == eyes
    assert m.pd.distance == pd


# --- several frames, chunked ---------------------------------------------------------------------

frames = st.lists(
    st.one_of(
        st.dictionaries(st.sampled_from(["R", "L"]), lenses(), min_size=1).map(sim.nidek_lensmeter_frame),
        st.dictionaries(st.sampled_from(["R", "L"]), st.lists(iop, min_size=1, max_size=3), min_size=1).map(
            sim.nidek_tonometer_frame
        ),
        st.dictionaries(st.sampled_from(["R", "L"]), refraction_readings, min_size=1).map(
            sim.nidek_ark_frame
        ),
    ),
    min_size=1,
    max_size=4,
)


@ROUND_TRIP
@given(
    frame_list=frames,
    gaps=st.lists(noise_without_soh, min_size=4, max_size=4),
    cuts=st.lists(st.integers(0, 2000), max_size=12),
)
def test_several_frames_chunked_through_the_framer(
    frame_list: list[bytes], gaps: list[bytes], cuts: list[int]
) -> None:
    stream = b"".join(gap + frame for gap, frame in zip(gaps, frame_list, strict=False))
    whole = parse_auto(stream)
    assert len(whole) == len(frame_list)
    positions = sorted({c % (len(stream) + 1) for c in cuts} | {0, len(stream)})
    framer = NidekFramer()
    received: list[bytes] = []
    for start, end in itertools.pairwise(positions):
        received.extend(framer.feed(stream[start:end]))
    received.extend(framer.flush())
    assert framer.dropped == [] and framer.pending == b""
    one_by_one = [m for frame in received for m in get_protocol("nidek_serial").parse(frame)]
    assert [(m.kind, m.eyes, m.warnings) for m in one_by_one] == [(m.kind, m.eyes, m.warnings) for m in whole]
