"""Reading device XML files safely, in whatever encoding they declare.

Device XML arrives as UTF-8, UTF-16 (Nidek ``<Data>`` files) or Shift-JIS (Japanese instruments
writing JOIA files). Python's XML parser cannot take multi-byte encodings such as Shift-JIS from
the declaration, so the bytes are decoded here first (BOM, then the declaration, then UTF-8) and the
text is parsed. Element matching is by local name, case-insensitive, because vendors differ in
namespaces, prefixes and capitalisation (``ADD`` / ``Add``).

Files come from USB sticks and network shares, so entity declarations (the "billion laughs" family)
are refused outright; no device format needs them.

Values: exports may write a value with its unit (``<VD>12.00 mm</VD>``, ``+1.25 D``, ``15 mmHg``,
``545 µm``, ``90°``); :func:`xml_number` and :func:`xml_axis` read the number when the unit is the
one the field is in, and refuse any other unit (an IOP in kPa is not an IOP in mmHg). Inside
:func:`unreadable_fields_as_warnings` - which the XML protocols put around each measurement they
read - a value that still cannot be read costs only that value: it is left out and a warning says
which and why, instead of the whole file being refused.
"""

from __future__ import annotations

import codecs
import contextlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextvars import ContextVar
from decimal import Decimal

from ils_desktop.devices.measurement import ParseError
from ils_desktop.devices.protocols.base import parse_axis, parse_decimal

_DECLARED = re.compile(rb"""\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")
_DECLARATION_TEXT = re.compile(r"\A\s*<\?xml[^>]*\?>")
# Japanese Windows machines write "Shift_JIS" but mean Microsoft's superset (cp932), which also has
# the NEC/IBM characters found in names; decoding with cp932 reads both.
_ENCODING_ALIASES = {
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "csshiftjis": "cp932",
}


# The text encodings device XML is written in, as ``codecs.lookup`` names them. Anything else a
# declaration names is refused: Python's codec registry also holds bytes-to-bytes transforms
# (base64, zlib, hex, rot13), IDNA/punycode and escape codecs, which either fail with errors other
# than UnicodeDecodeError or turn a file into something else entirely.
ALLOWED_ENCODINGS = frozenset(
    {"utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "ascii",
     "cp932", "shift_jis", "euc_jp"}
    | {f"iso8859-{n}" for n in (*range(1, 12), *range(13, 17))}
    | {f"cp{n}" for n in range(1250, 1259)}
)


def detect_encoding(data: bytes) -> str:
    """The Python codec to read ``data`` with: BOM first, then the XML declaration, else UTF-8.

    Raises :class:`ParseError` when the declaration names an encoding outside
    :data:`ALLOWED_ENCODINGS` (UTF-8/16/32, ASCII, ISO-8859-x, Windows cp125x, Shift_JIS/cp932,
    EUC-JP).
    """
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if data.startswith(b"<\x00"):
        return "utf-16-le"
    if data.startswith(b"\x00<"):
        return "utf-16-be"
    match = _DECLARED.match(data)
    if not match:
        return "utf-8"
    named = match[1].decode("ascii")
    declared = _ENCODING_ALIASES.get(named.lower(), named.lower())
    if declared.startswith(("utf-16", "utf_16", "utf16", "utf-32", "utf_32", "utf32")):
        # Declared UTF-16/32 but no BOM and ASCII-looking bytes: the declaration is wrong; trust the bytes.
        return "utf-8"
    try:
        encoding = codecs.lookup(declared).name
    except LookupError:
        encoding = ""
    if encoding not in ALLOWED_ENCODINGS:
        shown = named if len(named) <= 40 else named[:40] + "..."
        raise ParseError(f"the XML declares encoding {shown!r}, which is not known as a text encoding device files use")
    return encoding


def peek_text(data: bytes, limit: int = 4096) -> str:
    """The start of ``data`` as text, for sniffing; never raises."""
    try:
        encoding = detect_encoding(data[:limit])
    except ParseError:
        encoding = "latin-1"
    return data[:limit].decode(encoding, errors="replace")


def load_xml(data: bytes) -> tuple[ET.Element, list[str]]:
    """Parse device XML; returns the root element and warnings (e.g. unreadable characters).

    Raises :class:`ParseError` with a message a receptionist can act on for empty, cut-off or
    malformed files.
    """
    if not data.strip():
        raise ParseError("the file is empty")
    encoding = detect_encoding(data)
    warnings: list[str] = []
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        text = data.decode(encoding, errors="replace")
        warnings.append(
            f"some characters are not valid {encoding} (from byte {exc.start}) and were replaced; "
            "values were still read"
        )
    text = _DECLARATION_TEXT.sub("", text, count=1).lstrip("\ufeff")
    if "<!ENTITY" in text:
        raise ParseError("the XML declares entities, which device files never need; refused for safety")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(":")[0]
        raise ParseError(
            f"malformed XML: {reason} at line {line}, column {column} - "
            "the file may be cut off or still being written"
        ) from None
    return root, warnings


def local_name(tag: object) -> str:
    """``{namespace}Sphere`` or ``nsREF:Sphere`` -> ``Sphere``; comments/PIs give ``""``."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _matches(element: ET.Element, names: tuple[str, ...]) -> bool:
    name = local_name(element.tag).lower()
    return any(name == n.lower() for n in names)


def children(element: ET.Element | None, *names: str) -> list[ET.Element]:
    """Direct children with any of ``names`` (local name, any case), in document order."""
    if element is None:
        return []
    return [c for c in element if _matches(c, names)]


def child(element: ET.Element | None, *names: str) -> ET.Element | None:
    """The first direct child named like any of ``names`` (tried in the order given)."""
    if element is None:
        return None
    for name in names:
        for c in element:
            if _matches(c, (name,)):
                return c
    return None


def first_of(*elements: ET.Element | None) -> ET.Element | None:
    """The first element that exists.

    Needed because ``element or other`` tests whether an element has children, not whether it exists.
    """
    for element in elements:
        if element is not None:
            return element
    return None


def path(element: ET.Element | None, *steps: str) -> ET.Element | None:
    """Follow ``steps`` of child names (each step may be ``A|B`` alternatives)."""
    for step in steps:
        element = child(element, *step.split("|"))
    return element


def descendants(element: ET.Element | None, *names: str) -> Iterator[ET.Element]:
    """All descendants (not the element itself) with any of ``names``."""
    if element is None:
        return
    for d in element.iter():
        if d is not element and _matches(d, names):
            yield d


def text(element: ET.Element | None) -> str | None:
    """Stripped text of ``element``; None when missing or blank."""
    if element is None or element.text is None:
        return None
    value = element.text.strip()
    return value or None


def child_text(element: ET.Element | None, *names: str) -> str | None:
    return text(child(element, *names))


def attribute(element: ET.Element | None, *names: str) -> str | None:
    """An attribute by local name, any case."""
    if element is None:
        return None
    wanted = {n.lower() for n in names}
    for key, value in element.attrib.items():
        if local_name(key).lower() in wanted:
            return value
    return None


# --- values with units, and values that cannot be read ------------------------------------------

UNITS: dict[str, tuple[str, ...]] = {
    "D": ("dioptres", "dioptre", "diopters", "diopter", "dptr", "dpt", "ds", "dc", "d"),
    "mm": ("mm",),
    "deg": ("degrees", "degree", "deg", "°"),
    "mmHg": ("mmhg",),
    "um": ("microns", "micron", "µm", "μm", "um"),
    "": (),
}
"""The units a value of each kind may carry after its number, lower case, longest first."""
_UNIT_LABELS = {"D": "D", "mm": "mm", "deg": "degrees", "mmHg": "mmHg", "um": "µm"}

_UNREADABLE: ContextVar[list[str] | None] = ContextVar("unreadable_fields", default=None)


@contextlib.contextmanager
def unreadable_fields_as_warnings() -> Iterator[list[str]]:
    """Within: a value that cannot be read is left out with a warning (collected in the list
    yielded) instead of refusing the whole input."""
    found: list[str] = []
    token = _UNREADABLE.set(found)
    try:
        yield found
    finally:
        _UNREADABLE.reset(token)


def unreadable(problem: ParseError, consequence: str = "that value was not recorded") -> None:
    """Note a value that could not be read - or raise, outside :func:`unreadable_fields_as_warnings`."""
    found = _UNREADABLE.get()
    if found is None:
        raise problem
    found.append(f"{problem.message}; {consequence}")


def without_unit(value: str, unit: str) -> str:
    """``value`` without a trailing unit of kind ``unit`` (see :data:`UNITS`), if it has one."""
    stripped = value.strip()
    lowered = stripped.lower()
    for suffix in UNITS[unit]:
        if lowered.endswith(suffix):
            number = stripped[: len(stripped) - len(suffix)]
            if number.rstrip()[-1:].isdigit():
                return number
    return stripped


def xml_number(value: str | None, what: str, unit: str) -> Decimal | None:
    """The number in ``value`` (its unit, when it is ``unit``, allowed); None when there is no value,
    or - while unreadable values are warnings - when it cannot be read."""
    if value is None:
        return None
    try:
        return parse_decimal(without_unit(value, unit), what)
    except ParseError:
        # Quote what the file says, unit and all: "vertex distance: '12.00 cm' is not a number in mm".
        shown = value.strip() if len(value.strip()) <= 40 else value.strip()[:40] + "..."
        unreadable(ParseError(f"{what}: {shown!r} is not a number" + (f" in {_UNIT_LABELS[unit]}" if unit else "")))
        return None


def xml_axis(value: str | None, what: str) -> int | None:
    """An axis in whole degrees (``90``, ``90°``, ``90 deg``), as :func:`xml_number`."""
    if value is None:
        return None
    try:
        return parse_axis(without_unit(value, "deg"), what)
    except ParseError as problem:
        unreadable(problem)
        return None
