"""Hostile variants of the sample device files, for the fuzz tests.

Each strategy starts from a sample in ``tests/fixtures/devices`` and applies one to three
mutations of the kinds a damaged cable, a half-copied USB stick or an attacker produce: bit flips,
inserted and deleted bytes, truncation, duplicated blocks, an XML declaration naming a codec that is
not a text encoding (``base64``, ``zlib``, ``rot13``, ``idna``...), digits from other scripts
(``²``, ``٣``, ``１``), absurd numbers (``1e308``, a 5,000-digit integer, ``NaN``) and thousands of
readings. DICOM samples are also mutated as datasets (values, UIDs, dates, repeated items) and
re-encoded, so the damage gets past pydicom's own checks into the refractive reader.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

from hypothesis import strategies as st
from pydicom import dcmread, dcmwrite

FIXTURES_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "devices"


def _seeds() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(FIXTURES_DIR.iterdir()) if p.is_file() and p.suffix != ".md"}


SEEDS = _seeds()

# Which samples belong to which protocol (the fixture tests check each is read by that protocol).
SEED_GROUPS: dict[str, list[str]] = {
    "nidek_serial": [n for n in SEEDS if n.startswith("nidek-") and n.endswith(".bin") and "rt5100" not in n],
    "nidek_rt": [n for n in SEEDS if "rt5100" in n],
    "joia_xml": [n for n in SEEDS if n.startswith("joia-")],
    "nidek_xml": [n for n in SEEDS if n.startswith("nidek-xml-")],
    "huvitz_lm": [n for n in SEEDS if n.startswith("huvitz-")],
    "dicom_refractive": [n for n in SEEDS if n.endswith(".dcm")],
}

# Codec names an XML declaration may carry that are not text encodings, or are exotic/dangerous
# ones (and a few that do not exist at all).
CODEC_NAMES = [
    "base64", "base_64", "hex", "hex_codec", "zlib", "zip", "bz2", "rot13", "rot_13", "idna", "punycode", "uu",
    "quopri", "utf-7", "unicode_escape", "raw_unicode_escape", "undefined", "palmos", "mbcs", "oem",
    "utf-32", "UTF-16", "utf_8_sig", "x-unknown-codec", "string_escape", "cp65001", "latin-1", "Shift_JIS",
]
UNICODE_DIGITS = ["²", "³", "¹", "٣", "۷", "०", "１", "𝟘", "⑤", "½", "Ⅻ", "〇", "߀", "๓"]
HUGE_NUMBERS = [
    "1e308", "-1e308", "1E+999", "9" * 400, "1" + "0" * 5000, "NaN", "nan", "Infinity", "-inf", "sNaN", "-0",
    "99999999999999999999.99", "0.0000000000001", "1_000", "0x10", "+-1.00", "--2", "1e-400", "٣.00",
]
FRAGMENTS = [
    b"\x00", b"\x01", b"\x02", b"\x04", b"\x17", b"\r\n", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf",
    b"<!ENTITY a 'b'>", b"<!DOCTYPE x SYSTEM 'file:///etc/passwd'>", b"&a;", b"&#0;", b"&#x110000;",
    b"]]>", b"<![CDATA[", b"<?xml ?>", b"<List No=\"\xc2\xb2\">", b"<List No=\"99999999999999999999999\">",
    b" No=\"\xd9\xa3\"", b"APL", b"OVR", b"AV", b"R03", b"PR", b"999", b"180", b"-99.99", b"\xc2\xb2",
    b"\xd9\xa3", b"\xef\xbc\x91", b"DRM", b"DKM", b"DNT", b"DPM", b"@RT", b"@RM", b"@LM", b"S=", b"R: S=1e308",
    # Several blocks under one EOT, lower-case ids, NT records with counts and deviations, values with units.
    b"\x17\x01DRM\x02", b"\x17\r\x01Dkm\x02", b"\x17\x01DNT\x02", b" R03 15 16 15 AV15.3 SD0.6", b" SD", b" DV9",
    b"AV", b" mm", b" D", b"\xc2\xb0", b" \xc2\xb5m", b" mmHg", b" kPa", b"12.00 cm",
]
READING_BLOCKS = [
    re.compile(rb"<(?:\w+:)?\w*List\b[^>]*>.*?</(?:\w+:)?\w*List>", re.S),
    re.compile(rb"<(?:\w+:)?Type\b[^>]*>.*?</(?:\w+:)?Type>", re.S),
    re.compile(rb"<(?:\w+:)?Measure\b[^>]*>.*?</(?:\w+:)?Measure>", re.S),
    re.compile(rb"O[RL][^\x17]*\x17\r?"),
    re.compile(rb" [RL][^\x17]*\x17\r?"),
    re.compile(rb"\d\d(?:/\d+\.\d+)?\x17\r?"),
    re.compile(rb"\x02[OFfNAv][RLB][^\r]*\r"),
    re.compile(rb"[RL]: S=[^:]*?(?= [RL]:|\r|$)"),
    re.compile(rb"\x01[^\x04]*\x04(?:[0-9A-F]{4})?\r?"),
]
_DECLARATION = re.compile(rb"<\?xml[^>]*\?>")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?", re.ASCII)

Draw = Callable[[st.SearchStrategy[object]], object]


def _text_codec(data: bytes) -> str:
    """How to turn the sample into text and back for text-level mutations."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"Shift_JIS" in data[:100] or b"shift_jis" in data[:100]:
        return "cp932"
    return "latin-1"


def _position(draw: Draw, data: bytes) -> int:
    return draw(st.integers(0, len(data))) if data else 0  # type: ignore[return-value]


def bit_flip(draw: Draw, data: bytes) -> bytes:
    if not data:
        return data
    at = draw(st.integers(0, len(data) - 1))
    bit = draw(st.integers(0, 7))
    return data[:at] + bytes([data[at] ^ (1 << bit)]) + data[at + 1 :]  # type: ignore[operator]


def insert(draw: Draw, data: bytes) -> bytes:
    piece = draw(st.sampled_from(FRAGMENTS) | st.binary(min_size=1, max_size=8))
    at = _position(draw, data)
    return data[:at] + piece + data[at:]  # type: ignore[operator]


def delete(draw: Draw, data: bytes) -> bytes:
    at = _position(draw, data)
    length = draw(st.integers(1, 64))
    return data[:at] + data[at + length :]  # type: ignore[operator]


def truncate(draw: Draw, data: bytes) -> bytes:
    return data[: _position(draw, data)]


def duplicate(draw: Draw, data: bytes) -> bytes:
    if not data:
        return data
    start = draw(st.integers(0, len(data) - 1))
    length = draw(st.integers(1, 200))
    times = draw(st.integers(1, 3))
    at = _position(draw, data)
    block = data[start : start + length]  # type: ignore[operator]
    return data[:at] + block * times + data[at:]  # type: ignore[operator]


def codec_declaration(draw: Draw, data: bytes) -> bytes:
    codec = draw(st.sampled_from(CODEC_NAMES))
    declaration = f'<?xml version="1.0" encoding="{codec}"?>'.encode("ascii")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = data.decode("utf-16", "replace").encode("utf-8")
    if _DECLARATION.search(data):
        return _DECLARATION.sub(declaration, data, count=1)
    return declaration + data


def _text_mutation(data: bytes, change: Callable[[str], str]) -> bytes:
    codec = _text_codec(data)
    text = data.decode(codec, "replace")
    changed = change(text)
    if codec == "latin-1":
        return changed.encode("utf-8", "surrogatepass")  # non-Latin characters arrive as UTF-8 bytes
    # In an XML file a character the encoding lacks becomes a character reference (&#1635;).
    return changed.encode(codec, "xmlcharrefreplace")


def foreign_digit(draw: Draw, data: bytes) -> bytes:
    digit = draw(st.sampled_from(UNICODE_DIGITS))
    index = draw(st.integers(0, 10_000))

    def change(text: str) -> str:
        places = [m.start() for m in re.finditer(r"[0-9]", text)]
        if not places:
            return text + digit
        at = places[index % len(places)]  # type: ignore[operator]
        return text[:at] + digit + text[at + 1 :]

    return _text_mutation(data, change)


def huge_number(draw: Draw, data: bytes) -> bytes:
    number = draw(st.sampled_from(HUGE_NUMBERS))
    index = draw(st.integers(0, 10_000))

    def change(text: str) -> str:
        found = list(_NUMBER.finditer(text))
        if not found:
            return text + number  # type: ignore[operator]
        match = found[index % len(found)]  # type: ignore[operator]
        return text[: match.start()] + number + text[match.end() :]  # type: ignore[operator]

    return _text_mutation(data, change)


def many_readings(draw: Draw, data: bytes) -> bytes:
    """Repeat one reading (XML ``List``, a serial record, a whole frame) tens to hundreds of times."""
    matches = [m for pattern in READING_BLOCKS for m in pattern.finditer(data)]
    times = draw(st.sampled_from([2, 10, 99, 101, 150, 400]))
    if not matches:
        return data * min(times, 20)  # type: ignore[operator]
    match = matches[draw(st.integers(0, len(matches) - 1))]  # type: ignore[index]
    block = match.group(0)
    return data[: match.end()] + block * (times - 1) + data[match.end() :]  # type: ignore[operator]


BYTE_MUTATIONS = [bit_flip, insert, delete, truncate, duplicate, codec_declaration, foreign_digit, huge_number,
                  many_readings]


# --- DICOM datasets -------------------------------------------------------------------------------

_FLOAT_VALUES = [1e308, -1e308, float("inf"), float("-inf"), float("nan"), 1e-320, 0.0, -0.0, 2.5e9, 181.0,
                 -1.0, 30.25, 45.0]
_TEXT_VALUES = ["../../x", "/etc/passwd", "..\\..\\x", "1.2.3.04", "1..2", "", "A" * 80, "19010101",
                "2026-03-04", "20261399", "²٣", "x\x00y", "C000042", "0017", "ID-17", "Nobody^Nemo", "+9999",
                "1." + "9" * 70, "\u202e"]


def _dicom_mutation(draw: Draw, data: bytes) -> bytes:
    dataset = dcmread(io.BytesIO(data))
    for _ in range(draw(st.integers(1, 3))):  # type: ignore[arg-type]
        action = draw(st.sampled_from(["float", "text", "repeat", "drop"]))
        items = [dataset]
        for element in dataset.iterall():
            if element.VR == "SQ":
                items.extend(element.value)
        target = items[draw(st.integers(0, len(items) - 1))]  # type: ignore[index]
        if action == "float":
            floats = [e for e in target if e.VR in ("FD", "FL")]
            if floats:
                element = floats[draw(st.integers(0, len(floats) - 1))]  # type: ignore[index]
                element.value = draw(st.sampled_from(_FLOAT_VALUES))
        elif action == "text":
            keyword = draw(st.sampled_from(["SOPInstanceUID", "StudyDate", "ContentDate", "ContentTime", "PatientID",
                                            "PatientName", "PatientBirthDate", "SOPClassUID", "TimezoneOffsetFromUTC",
                                            "HorizontalPrismBase", "StudyInstanceUID", "AcquisitionDateTime"]))
            setattr(target, keyword, draw(st.sampled_from(_TEXT_VALUES)))
        elif action == "repeat":
            sequences = [e for e in target if e.VR == "SQ" and len(e.value)]
            if sequences:
                element = sequences[draw(st.integers(0, len(sequences) - 1))]  # type: ignore[index]
                element.value = list(element.value) * draw(st.sampled_from([2, 60, 101, 250]))  # type: ignore[operator]
        else:
            keys = list(target.keys())
            if keys:
                del target[keys[draw(st.integers(0, len(keys) - 1))]]  # type: ignore[index]
    buffer = io.BytesIO()
    try:
        dcmwrite(buffer, dataset, enforce_file_format=True)
    except Exception:  # a mutation pydicom will not write (e.g. text in a numeric element): keep the seed
        return data
    return buffer.getvalue()


@st.composite
def hostile_input(draw: Draw, protocol: str) -> bytes:  # type: ignore[misc]
    """A sample of ``protocol`` with one to three mutations applied."""
    name = draw(st.sampled_from(SEED_GROUPS[protocol]))
    data = SEEDS[name]  # type: ignore[index]
    if protocol == "dicom_refractive" and draw(st.booleans()):
        data = _dicom_mutation(draw, data)
        if draw(st.booleans()):
            return data
    for _ in range(draw(st.integers(1, 3))):  # type: ignore[arg-type]
        mutation = draw(st.sampled_from(BYTE_MUTATIONS))
        data = mutation(draw, data)  # type: ignore[operator]
    return data
