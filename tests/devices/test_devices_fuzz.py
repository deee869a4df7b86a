"""Hostile device input: every protocol's samples, mutated (see ``fuzzing.py``), must give either
valid measurements or the documented :class:`ParseError` - never another exception - and
``devices parse`` must answer each kind of hostile file with exit code 2 and one line.

10,000 mutated inputs per run, each parsed by its own protocol and by auto-detection. The runs are
derandomised (the same inputs every time) so CI is repeatable; a failure prints the input.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from ils_desktop.devices.measurement import (
    MAX_MESSAGE_CHARS,
    Measurement,
    MeasurementKind,
    ParseError,
    measurements_to_json,
)
from ils_desktop.devices.plausibility import MAX_MEASUREMENTS, MAX_READINGS_PER_EYE, MAX_WARNINGS
from ils_desktop.devices.protocols import get_protocol, parse_auto
from ils_desktop.domain.equipment import DEVICE_VALUE_RANGES, PD_RANGES
from tests.devices.fuzzing import SEED_GROUPS, SEEDS, hostile_input

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # pydicom warns about each odd value

# Inputs per protocol; 10,000 in all. Weighted towards the formats with the most code paths.
EXAMPLES = {
    "nidek_serial": 2000,
    "nidek_rt": 1200,
    "joia_xml": 2400,
    "nidek_xml": 1600,
    "huvitz_lm": 1200,
    "dicom_refractive": 1600,
}


def fuzz_settings(protocol: str) -> settings:
    return settings(
        max_examples=EXAMPLES[protocol],
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


def assert_valid(measurements: list[Measurement]) -> None:
    """What a parser hands over is within every cap and range, and can be stored as JSON."""
    assert len(measurements) <= MAX_MEASUREMENTS
    for m in measurements:
        assert m.kind in MeasurementKind
        assert len(m.warnings) <= MAX_WARNINGS
        assert all("\n" not in w and len(w) <= MAX_MESSAGE_CHARS for w in m.warnings)
        for side in m.eyes.values():
            assert len(side.readings) <= MAX_READINGS_PER_EYE
            for values in (side.representative, *side.readings):
                for name, limits in DEVICE_VALUE_RANGES.items():
                    value = getattr(values, name)
                    assert value is None or limits.holds(value), (name, value)
        for name, limits in PD_RANGES.items():
            value = getattr(m.pd, name)
            assert value is None or limits.holds(value), (name, value)
    measurements_to_json(measurements)


def parse_both_ways(protocol: str, data: bytes) -> None:
    for parse in (get_protocol(protocol).parse, parse_auto):
        try:
            measurements = parse(data)
        except ParseError as error:
            assert error.raw == data
            assert "\n" not in error.message and len(error.message) <= MAX_MESSAGE_CHARS
        else:
            assert_valid(measurements)


def test_every_protocol_has_samples_to_mutate() -> None:
    assert set(SEED_GROUPS) == {p for p in EXAMPLES}
    assert sum(EXAMPLES.values()) >= 10_000
    for protocol, names in SEED_GROUPS.items():
        assert names, f"no sample file for {protocol}"
        for name in names:
            assert get_protocol(protocol).sniff(SEEDS[name]), name


def _fuzz_test(protocol: str):  # type: ignore[no-untyped-def]
    @fuzz_settings(protocol)
    @given(data=hostile_input(protocol))
    def test(data: bytes) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydicom warns about each odd element it meets
            parse_both_ways(protocol, data)

    test.__name__ = f"test_mutated_{protocol}_samples_give_measurements_or_parse_error"
    return test


test_mutated_nidek_serial = _fuzz_test("nidek_serial")
test_mutated_nidek_rt = _fuzz_test("nidek_rt")
test_mutated_joia_xml = _fuzz_test("joia_xml")
test_mutated_nidek_xml = _fuzz_test("nidek_xml")
test_mutated_huvitz_lm = _fuzz_test("huvitz_lm")
test_mutated_dicom_refractive = _fuzz_test("dicom_refractive")


# --- the classes the security review found, one by one ----------------------------------------

JOIA = SEEDS["joia-ref-topcon-kr800s.xml"]
SPHERE = b'<nsREF:Sphere unit="D">'


def _with_declaration(codec: str) -> bytes:
    return JOIA.replace(b'encoding="UTF-8"', f'encoding="{codec}"'.encode(), 1)


@pytest.mark.parametrize("codec", ["base64", "hex", "zlib", "rot13", "idna", "punycode", "uu", "bz2",
                                   "unicode_escape", "undefined", "utf-7"])
def test_xml_declaring_a_codec_that_is_not_a_text_encoding_is_refused(codec: str) -> None:
    data = _with_declaration(codec)
    assert b"encoding=" in data and codec.encode() in data
    with pytest.raises(ParseError, match="not known as a text encoding"):
        get_protocol("joia_xml").parse(data)


@pytest.mark.parametrize("codec", ["Shift_JIS", "windows-1252", "ISO-8859-15", "EUC-JP", "us-ascii"])
def test_xml_in_an_allowed_text_encoding_is_read(codec: str) -> None:
    [m] = get_protocol("joia_xml").parse(_with_declaration(codec))
    assert m.eye("R") is not None


@pytest.mark.parametrize("digit", ["²", "٣", "１", "०"])
def test_a_non_ascii_digit_in_a_reading_number_is_ignored(digit: str) -> None:
    data = JOIA.replace(b'No="1"', f'No="{digit}"'.encode(), 1)
    [m] = get_protocol("joia_xml").parse(data)
    assert m.eye("R") is not None


@pytest.mark.parametrize("digit", ["²", "٣", "１"])
def test_a_non_ascii_digit_in_a_value_is_not_a_number(digit: str) -> None:
    data = JOIA.replace(SPHERE + b"-2.50", SPHERE + f"-{digit}.50".encode(), 1)
    assert data != JOIA
    # One such value costs that reading's sphero-cylinder (never read as a digit), with a warning...
    [m] = get_protocol("joia_xml").parse(data)
    first = m.eyes["R"].readings[0]
    assert (first.sphere, first.cylinder, first.axis) == (None, None, None)
    assert any(f"'-{digit}.50' is not a number" in w for w in m.warnings), m.warnings
    # ...and a file of nothing else is refused, saying why.
    every_value = re.sub(rb'(unit="(?:D|deg)">)-?[0-9]', lambda v: v[1] + digit.encode(), JOIA)
    with pytest.raises(ParseError, match="not a number"):
        get_protocol("joia_xml").parse(every_value)


def test_an_implausible_value_is_dropped_with_a_warning_and_the_median_recomputed() -> None:
    data = SEEDS["nidek-ark-refraction-kerato.bin"]
    frame_end = data.index(b"\x04")
    first = data[:frame_end].replace(b"OR+01.25-00.50175", b"OR+91.25-00.50175", 1)
    [refraction, _kerato] = get_protocol("nidek_serial").parse(first + data[frame_end:])
    right = refraction.eyes["R"]
    assert [r.sphere for r in right.readings] == [None, Decimal("1.25"), Decimal("1.50")]
    assert right.representative.sphere == Decimal("1.375")  # median of the two plausible spheres
    assert right.representative.cylinder == Decimal("-0.50")  # the reading's other values are kept
    assert any("R sphere 91.25 D is outside the plausible range" in w for w in refraction.warnings)


def test_nothing_plausible_is_a_parse_error() -> None:
    data = SEEDS["nidek-tonometer.bin"]
    hostile = data.replace(b"15/2.0", b"99/2.0").replace(b"16/2.1", b"99/2.1").replace(b"AV15.3", b"AV99.0")
    hostile = hostile.replace(b"18/2.4", b"95/2.4").replace(b"AV18.0", b"AV95.0")
    with pytest.raises(ParseError, match="nothing plausible was read"):
        get_protocol("nidek_serial").parse(hostile)


def test_many_readings_are_refused_and_the_median_is_not_quadratic() -> None:
    start = JOIA.index(b"<nsREF:List")
    end = JOIA.index(b"</nsREF:List>") + len(b"</nsREF:List>")
    data = JOIA[:end] + JOIA[start:end] * 8000 + JOIA[end:]
    with pytest.raises(ParseError, match="more than the 100 any device takes"):
        get_protocol("joia_xml").parse(data)


def test_an_oversized_input_is_refused_unread() -> None:
    with pytest.raises(ParseError, match="more than the 4,194,304 a device ever sends"):
        parse_auto(JOIA + b" " * (4 * 1024 * 1024))


# --- devices parse: exit 2, one line, no traceback ------------------------------------------------


def _hostile_files(folder: Path) -> dict[str, bytes]:
    dicom = SEEDS["dicom-autorefraction.dcm"]
    import io

    from pydicom import dcmread

    dataset = dcmread(io.BytesIO(dicom))
    for sequence in ("AutorefractionRightEyeSequence", "AutorefractionLeftEyeSequence"):
        for item in dataset[sequence].value:
            item.SpherePower = 1e308
            item.CylinderSequence[0].CylinderPower = -1e308
            if "VertexDistance" in item:
                del item.VertexDistance
    dataset.DistancePupillaryDistance = 1e308
    dataset.NearPupillaryDistance = 1e308
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    sbj = SEEDS["joia-km-sbj-topcon-cv5000.xml"]
    start = JOIA.index(b"<nsREF:List")
    end = JOIA.index(b"</nsREF:List>") + len(b"</nsREF:List>")
    return {
        "codec-base64.xml": _with_declaration("base64"),
        "codec-zlib.xml": _with_declaration("zlib"),
        "codec-rot13.xml": _with_declaration("rot13"),
        "codec-idna.xml": _with_declaration("idna"),
        "codec-hex.xml": _with_declaration("hex"),
        # One unreadable value costs only that value; a file of nothing else is refused.
        "arabic-digit.xml": re.sub(rb'(unit="(?:D|deg)">)-?[0-9]', lambda v: v[1] + "٢".encode(), JOIA),
        "huge-numbers.dcm": buffer.getvalue(),
        "huge-text-number.xml": re.sub(rb'(unit="(?:D|deg)">)[^<]*', lambda v: v[1] + b"1e308", JOIA),
        "many-readings.xml": JOIA[:end] + JOIA[start:end] * 8000 + JOIA[end:],
        "oversized.bin": SEEDS["nidek-tonometer.bin"] + b"\x00" * (5 * 1024 * 1024),
        "truncated.bin": SEEDS["nidek-lm-right-left.bin"][:40],
        "garbage.bin": bytes(range(256)) * 8,
        "line-breaks-in-text.xml": sbj.replace(b"<ns:TypeName>Final Prescription", b"<ns:TypeName>Final\n\x1b[2JEVIL")
        .replace(b"<ns:Sph>-1.25", b"<ns:Sph>abc", 1),
    }


def test_devices_parse_answers_each_hostile_file_with_exit_2_and_one_line(tmp_path: Path) -> None:
    files = _hostile_files(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    for name, content in files.items():
        path = tmp_path / name
        path.write_bytes(content)
        result = subprocess.run(
            [sys.executable, "-W", "ignore", "-m", "ils_desktop.devices.parse_command", str(path)],
            capture_output=True, text=True, cwd=REPO, env=env, timeout=120, check=False,
        )
        assert result.returncode == 2, (name, result.returncode, result.stderr[-500:])
        assert result.stdout == "", name
        assert "Traceback" not in result.stderr, (name, result.stderr[-500:])
        assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"ils-desktop devices parse: {name}: "), (
            name, result.stderr)
        assert "\x1b" not in result.stderr
