"""Nidek serial block frames (DLM/DRM/DKM/DNT/DPM) and the RT phoropter output: the variations
real devices produce beyond the sample files."""

from collections.abc import Callable
from decimal import Decimal

import pytest

from ils_desktop.devices.measurement import Eye, MeasurementKind, ParseError, VerticalPrismBase
from ils_desktop.devices.protocols import get_protocol
from ils_desktop.devices.protocols.nidek_serial import handshake_reply, is_handshake_request
from ils_desktop.devices.simulated_frames import nidek_frame

D = Decimal
serial = get_protocol("nidek_serial")
rt = get_protocol("nidek-rt")  # the hyphenated spelling works too


def test_cr_after_each_record_and_trailing_cr() -> None:
    records = ["IDNIDEK/LM-7P", " R-02.25-00.75095", " L-01.75-01.00080"]
    plain = serial.parse(nidek_frame("DLM", records))
    with_cr = serial.parse(nidek_frame("DLM", records, cr_after_records=True, trailing_cr=True))
    assert [m.eyes for m in plain] == [m.eyes for m in with_cr]
    assert with_cr[0].warnings == []


def test_space_padded_values() -> None:
    [m] = serial.parse(nidek_frame("DLM", [" R- 2.25- 0.75 95", " L+ 0.50  0.00  0"]))
    assert m.eye("R") is not None and (m.eye("R").sphere, m.eye("R").cylinder, m.eye("R").axis) == (
        D("-2.25"),
        D("-0.75"),
        95,
    )
    assert m.eye("L").sphere == D("0.50") and m.eye("L").cylinder == 0 and m.eye("L").axis == 0


def test_single_lens_second_add_near_sphere_and_prism() -> None:
    [m] = serial.parse(
        nidek_frame(
            "DLM", ["IDNIDEK/LM-1800P", "  +01.23-00.07005", "A 02.50", "03.25", "N +03.73", "P 01.25U"]
        )
    )
    lens = m.eye(Eye.UNSIDED)
    assert lens is not None
    assert (lens.sphere, lens.cylinder, lens.axis) == (D("1.23"), D("-0.07"), 5)  # 0.01 D steps
    assert (lens.add, lens.add2, lens.near_sphere) == (D("2.50"), D("3.25"), D("3.73"))
    assert (lens.prism_v, lens.prism_v_base) == (D("1.25"), VerticalPrismBase.UP)
    assert m.maker == "NIDEK" and m.model == "LM-1800P"


def test_no_checksum_is_fine_and_incomplete_checksum_warns() -> None:
    frame = nidek_frame("DNT", [" R01", "15/2.0", "AV15.0/2.00"], checksum=False)
    assert serial.parse(frame)[0].warnings == []
    [m] = serial.parse(frame + b"1F")
    assert m.warnings and m.warnings[0].startswith("checksum incomplete")


def test_lower_case_checksum_accepted() -> None:
    frame = nidek_frame("DNT", [" R01", "15/2.0", "AV15.0/2.00"])
    assert serial.parse(frame[:-4] + frame[-4:].lower())[0].warnings == []


def test_autorefraction_confidence_digit_and_cr_records() -> None:
    [m] = serial.parse(
        nidek_frame(
            "DRM",
            ["IDNIDEK/AR-1", "OR-04.50-00.751109", "OR-04.25-00.751108", "CR123", "CL456", "PD68????63"],
        )
    )
    right = m.eyes["R"]
    assert [r.confidence for r in right.readings] == [D(9), D(8)]
    assert right.representative.sphere == D("-4.375")  # median of two readings: their mean
    assert right.representative.axis == 110
    assert m.extras["CR"] == "123" and m.extras["CL"] == "456"  # meaning uncertain: kept as text
    assert (m.pd.distance, m.pd.near) == (D(68), D(63))
    assert "L" not in m.eyes


def test_kerato_records_inside_refraction_frame_give_a_second_measurement() -> None:
    measurements = serial.parse(
        nidek_frame("DRM", ["OR-01.00-00.50090", " R07.7607.7014007.73", "DR43.5043.7514043.75-00.25"])
    )
    assert [m.kind for m in measurements] == [MeasurementKind.AUTOREFRACTION, MeasurementKind.KERATOMETRY]
    k = measurements[1].eye("R")
    assert k is not None
    assert (k.k1_radius_mm, k.k2_radius_mm, k.k1_axis, k.k2_axis) == (D("7.76"), D("7.70"), 140, 50)
    assert (k.k1_power, k.k2_power, k.k_average_power, k.corneal_cylinder) == (
        D("43.50"),
        D("43.75"),
        D("43.75"),
        D("-0.25"),
    )


def test_pachymetry_with_error_token() -> None:
    [m] = serial.parse(nidek_frame("DPM", [" R03", "550", "BLK", "548", "AV549", " L01", "552", "AV552"]))
    assert m.kind is MeasurementKind.PACHYMETRY
    assert m.eye("R").pachymetry_um == D(549)
    assert [r.pachymetry_um for r in m.eyes["R"].readings] == [D(550), D(548)]
    assert m.warnings == ["R reading 2: BLK (blink) - no value"]


def test_tonometer_without_average_uses_median_and_count_mismatch_warns() -> None:
    [m] = serial.parse(nidek_frame("DNT", [" R03", "15/2.0", "17/2.3"]))
    assert m.eye("R").iop_mmhg == D(16)
    assert any("announced 3 readings but sent 2" in w for w in m.warnings)


def test_all_readings_failed() -> None:
    [m] = serial.parse(nidek_frame("DNT", [" R02", "OVR", "ERR"]))
    assert m.eyes == {}
    assert len(m.warnings) == 2


def test_handshake_frames_are_skipped() -> None:
    request = b"\x01C**\x02RS\x17\x04"
    assert is_handshake_request(request)
    assert handshake_reply("CLM") == b"\x01CLM\x02SD\x17\x04\r"
    assert serial.parse(request) == []
    data = request + handshake_reply("CLM") + nidek_frame("DLM", [" R-01.00-00.50090"])
    assert [m.kind for m in serial.parse(data)] == [MeasurementKind.LENSOMETRY]
    with pytest.raises(ValueError):
        handshake_reply("XYZ")


def test_unknown_block() -> None:
    with pytest.raises(ParseError, match="'DZZ' is not a known reading"):
        serial.parse(nidek_frame("DZZ", ["AB12"]))
    measurements = serial.parse(nidek_frame("DZZ", ["AB12"]) + nidek_frame("DLM", [" R-01.00-00.50090"]))
    assert "DZZ" in measurements[0].warnings[0]


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([" R-02.25-00.75999"], "axis"),
        ([" R-02.2X-00.75095"], "SPH"),
        (["PR00.50Q"], "prism"),
        (["IDNIDEK/LM"], "no lens record"),
    ],
)
def test_bad_records_are_clear_errors(records: list[str], message: str) -> None:
    with pytest.raises(ParseError, match=message) as info:
        serial.parse(nidek_frame("DLM", records))
    assert info.value.raw.startswith(b"\x01DLM")


def test_truncation_anywhere_is_incomplete_frame() -> None:
    frame = nidek_frame("DLM", ["IDNIDEK/LM-1000P", " R-02.25-00.75095"])
    for cut in range(1, frame.index(b"\x04")):
        with pytest.raises(ParseError, match="incomplete frame"):
            serial.parse(frame[:cut])


def test_cut_off_frame_followed_by_a_resend_is_an_error() -> None:
    frame = nidek_frame("DLM", [" R-02.25-00.75095"])
    with pytest.raises(ParseError, match="incomplete frame"):
        serial.parse(frame[:10] + frame)


def test_noise_only() -> None:
    with pytest.raises(ParseError, match="no Nidek frame"):
        serial.parse(b"hello \xff world")


# --- RT phoropter ---------------------------------------------------------------------------------


def rt_output(*lines: str, header: str = "NIDEK RT-3100 IDPAT000123456 DA2026/12/24") -> bytes:
    return ("\x01" + header + "\r" + "".join(f"\x02{line}\r" for line in lines) + "\x04\r").encode("ascii")


def test_rt_sections_and_snellen_va() -> None:
    data = rt_output(
        "@LM",
        " R- 2.00- 0.50 90",
        " L- 1.50  0.00  0",
        "AR+ 2.00",
        "@RM",
        "OR- 2.25- 0.75 88",
        "OR- 2.25- 0.50 92",
        "@RT",
        "fR- 2.00- 0.50 90",
        "FR- 2.25- 0.50 90",
        "NR+ 0.25- 0.50 90",
        "vR6/6",
        "vB 1.6",
        "uR 0.5",
        "TT12:30",
    )
    measurements = rt.parse(data)
    kinds = [m.kind for m in measurements]
    assert kinds == [
        MeasurementKind.LENSOMETRY,
        MeasurementKind.AUTOREFRACTION,
        MeasurementKind.SUBJECTIVE_REFRACTION,
        MeasurementKind.VISUAL_ACUITY,
        MeasurementKind.VISUAL_ACUITY,
    ]
    lensometry, objective, subjective, va_v, va_u = measurements
    assert lensometry.eye("R").add == D("2.00") and lensometry.extras["source"] == "@LM"
    assert objective.eye("R").axis == 90 and len(objective.eyes["R"].readings) == 2
    assert subjective.eye("R").sphere == D("-2.25")  # final beats subjective
    assert subjective.eye("R").near_sphere == D("0.25")
    assert subjective.extras["subjective_R"] == "-2.00/-0.50x90"
    assert subjective.extras["TT"] == "12:30"
    assert va_v.eye("R").va_decimal == D("1.00") and va_v.eye("B").va_decimal == D("1.6")
    assert va_u.extras["rt_va_code"] == "u" and va_u.eye("R").va_decimal == D("0.5")
    assert all(m.patient_id == "PAT000123456" and m.model == "RT-3100" for m in measurements)
    assert subjective.extras["date"] == "2026-12-24"
    assert subjective.taken_at is None


def test_rt_subjective_only_and_unreadable_va() -> None:
    [rx, *_] = rt.parse(rt_output("@RT", "fL+ 1.00- 0.25 10", "vLCF"))
    assert rx.kind is MeasurementKind.SUBJECTIVE_REFRACTION
    assert rx.eye("L").sphere == D("1.00")
    assert any("CF" in w for w in rx.warnings)


def test_rt_truncated() -> None:
    data = rt_output("@RT", "FR- 1.25- 0.50180")
    with pytest.raises(ParseError, match="incomplete frame"):
        rt.parse(data[:-2])


def test_rt_is_not_read_as_block_frames(fixture_bytes: Callable[[str], bytes]) -> None:
    with pytest.raises(ParseError, match="no Nidek frame"):
        serial.parse(fixture_bytes("nidek-rt5100-final.bin"))


@pytest.mark.parametrize(("vertex", "kept"), [("12.00", Decimal("12.00")), ("99.00", None), ("9" * 300, None)])
def test_an_implausible_vertex_distance_is_dropped_with_a_warning(vertex: str, kept: Decimal | None) -> None:
    """Found by the fuzz test: the vertex distance rides on the computed median alone, and was
    not range-checked when every reading was plausible."""
    frame = nidek_frame("DRM", ["IDNIDEK/ARK-1a", f"VD{vertex}", "OR+01.25-00.50175", "OR+01.50-00.50175",
                                "OL+00.75-00.25010"])
    [measurement] = get_protocol("nidek_serial").parse(frame)
    assert measurement.eyes[Eye.RIGHT].representative.vertex_distance == kept
    assert (kept is None) == any("vertex" in w for w in measurement.warnings)


# --- tonometers and pachymeters: count, readings, average and deviation ------------------------

def _transmission(*blocks: tuple[str, list[str]]) -> bytes:
    """Several blocks under one EOT and one checksum (the layout of a published ARK-1a transmission)."""
    from ils_desktop.devices.framing import nidek_checksum

    body = b"".join(b"\x01" + block.encode() + b"\x02" + b"".join(r.encode() + b"\x17\r" for r in records)
                    for block, records in blocks) + b"\x04"
    return body + nidek_checksum(body).encode() + b"\r"


@pytest.mark.parametrize(
    ("records", "readings", "average", "deviation", "warnings"),
    [
        # NT-series: everything about an eye in one record, the deviation labelled SD.
        ([" R03 15/2.0 16/2.1 15/2.0 AV15.3/2.04 SD0.6"], ["15", "16", "15"], "15.3", "0.6", []),
        # ... or DV, or after the average with no label at all; commas between items.
        ([" R03 15,16,15,AV15.3 DV0.6"], ["15", "16", "15"], "15.3", "0.6", []),
        ([" R2 14.0 16.0 AV15.0 1.4"], ["14.0", "16.0"], "15.0", "1.4", []),
        # Count, each reading and the average in records of their own, the deviation on the average's.
        ([" R03", "15/2.0", "16/2.1", "15/2.0", "AV15.3/2.04 SD0.6"], ["15", "16", "15"], "15.3", "0.6", []),
        # The count and the readings in one record, the average and deviation in the next.
        ([" R03 15 APL 16", "AV15.5 SD0.7"], ["15", "16"], "15.5", "0.7", ["R reading 2: APL"]),
        # No space between the count and the first reading.
        ([" R0315.0 16.0 15.0 AV15.3 SD0.6"], ["15.0", "16.0", "15.0"], "15.3", "0.6", []),
        # No deviation sent: none recorded; no average sent: the median of the readings.
        ([" R03 15 16 15 AV15.3"], ["15", "16", "15"], "15.3", None, []),
        ([" R02 15 17"], ["15", "17"], "16", None, []),
        # The count says three, two came: the values are kept and the difference said.
        ([" R03 15 16 AV15.5 SD0.7"], ["15", "16"], "15.5", "0.7", ["R: device announced 3 readings but sent 2"]),
    ],
)
def test_tonometer_records_as_nt_series_units_send_them(
    records: list[str], readings: list[str], average: str, deviation: str | None, warnings: list[str]
) -> None:
    [m] = serial.parse(nidek_frame("DNT", ["IDNIDEK/NT-510", *records]))
    right = m.eyes[Eye.RIGHT]
    assert [r.iop_mmhg for r in right.readings] == [D(v) for v in readings]
    assert right.representative.iop_mmhg == D(average)
    assert right.representative.iop_deviation_mmhg == (D(deviation) if deviation else None)
    for text in warnings:
        assert any(text in w for w in m.warnings), m.warnings
    assert len(m.warnings) == len(warnings)


def test_pachymeter_records_with_counts_average_and_deviation() -> None:
    [m] = serial.parse(nidek_frame("DPM", [" R03 545 548 BLK AV547 2", " L03 552 ALM 550 AV551 SD1"]))
    assert m.kind is MeasurementKind.PACHYMETRY
    assert [r.pachymetry_um for r in m.eyes[Eye.RIGHT].readings] == [D(545), D(548)]
    assert (m.eye("R").pachymetry_um, m.eye("R").pachymetry_deviation_um) == (D(547), D(2))
    assert (m.eye("L").pachymetry_um, m.eye("L").pachymetry_deviation_um) == (D(551), D(1))
    assert m.warnings == ["R reading 3: BLK (blink) - no value", "L reading 2: ALM (alignment error) - no value"]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (" R02 15 1x AV15", "'1x AV15' is not a reading"),
        (" R02 15 16 SD0.5", "a deviation without an average"),
        (" R02 15 16 AV15.5 0.7 0.8", "a deviation without an average"),  # a second deviation
        (" R02 15mmHg 16", "is not a reading"),
    ],
)
def test_tonometer_records_that_are_not_readings_are_refused(record: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        serial.parse(nidek_frame("DNT", [record]))


def test_an_implausible_deviation_goes_with_a_warning_and_with_its_average() -> None:
    [m] = serial.parse(nidek_frame("DNT", [" R02 15 16 AV15.5 SD55", " L02 15 16 AV95 SD0.5"]))
    assert m.eye("R").iop_mmhg == D("15.5") and m.eye("R").iop_deviation_mmhg is None
    assert any("R IOP deviation 55 mmHg is outside the plausible range" in w for w in m.warnings)
    # An average dropped as implausible takes its deviation with it; the median of the readings stands in.
    assert m.eye("L").iop_mmhg == D("15.5") and m.eye("L").iop_deviation_mmhg is None


# --- several blocks under one EOT ------------------------------------------------------------------

def test_blocks_under_one_eot_are_read_block_by_block_with_one_checksum() -> None:
    data = _transmission(("Drm", ["IDNIDEK/ARK-1a", "NO0107"]),
                         ("DRM", ["VD12.00", "OR-01.75-00.50170", "OL-01.25-00.25015"]),
                         ("Dkm", [" R07.7207.6117507.67", " L07.7507.6600507.71"]))
    refraction, kerato = serial.parse(data)
    assert (refraction.kind, kerato.kind) == (MeasurementKind.AUTOREFRACTION, MeasurementKind.KERATOMETRY)
    assert refraction.model == kerato.model == "ARK-1a"  # from the header block
    assert refraction.extras["NO"] == kerato.extras["NO"] == "0107"
    assert refraction.warnings == kerato.warnings == []  # the one checksum covers every block
    assert refraction.raw == kerato.raw == data
    damaged = data[:-5] + b"0000\r"
    assert all("checksum mismatch" in m.warnings[0] for m in serial.parse(damaged))


def test_a_transmission_whose_blocks_carry_no_reading_is_refused() -> None:
    with pytest.raises(ParseError, match="autorefraction frame has no reading"):
        serial.parse(_transmission(("Drm", ["IDNIDEK/ARK-1a", "NO0107"]), ("DRM", ["VD12.00"])))


def test_each_block_of_a_transmission_closed_by_its_own_eot_still_works(fixture_bytes: Callable[[str], bytes]) -> None:
    one_eot = serial.parse(fixture_bytes("nidek-ark1a-blocks-one-eot.bin"))
    data = fixture_bytes("nidek-ark1a-blocks-one-eot.bin")
    blocks = [b"\x01" + part for part in data[1 : data.index(b"\x04")].split(b"\x01")]
    own_eots = b"".join(nidek_frame(b[1:4].decode(), [r.strip(b"\r").decode() for r in b[5:].split(b"\x17")
                                                      if r.strip(b"\r")]) for b in blocks)
    each = serial.parse(own_eots)
    assert [(m.kind, m.model, m.eyes) for m in each] == [(m.kind, m.model, m.eyes) for m in one_eot]


def test_the_same_block_started_again_is_a_cut_off_frame_not_a_second_block() -> None:
    frame = nidek_frame("DLM", ["IDNIDEK/LM-1000P", " R-02.25-00.75095"])
    cut_after_a_record = frame[: frame.index(b"\x17") + 1]  # the device stopped after its ID record
    with pytest.raises(ParseError, match="cut off"):
        serial.parse(cut_after_a_record + frame)
