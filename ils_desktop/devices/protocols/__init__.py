"""The registry of device protocols - the one place that lists them.

Adding a device is one new module in this package (a :class:`DeviceProtocol` subclass with ``name``,
``description``, ``sniff`` and ``_parse``, its docstring citing the layout) plus one line in
:data:`PROTOCOLS` below, plus its tests.

Auto-detection asks each protocol's ``sniff`` in the order of :data:`PROTOCOLS`: the most specific
signatures (DICOM preamble, XML namespaces) come before the looser serial ones, so e.g. a JOIA file
is never mistaken for Nidek's namespace-less XML.
"""

from __future__ import annotations

from ils_desktop.devices.measurement import Measurement, ParseError
from ils_desktop.devices.protocols.base import DeviceProtocol
from ils_desktop.devices.protocols.dicom_refractive import DicomRefractiveProtocol
from ils_desktop.devices.protocols.huvitz_lm import HuvitzLensmeterProtocol
from ils_desktop.devices.protocols.joia_xml import JoiaXmlProtocol
from ils_desktop.devices.protocols.nidek_rt import NidekRtProtocol
from ils_desktop.devices.protocols.nidek_serial import NidekSerialProtocol
from ils_desktop.devices.protocols.nidek_xml import NidekXmlProtocol

__all__ = [
    "PROTOCOLS",
    "DeviceProtocol",
    "UnknownProtocolError",
    "detect",
    "get_protocol",
    "parse",
    "parse_auto",
    "protocol_names",
    "register",
]

PROTOCOLS: list[DeviceProtocol] = [
    DicomRefractiveProtocol(),
    JoiaXmlProtocol(),
    NidekXmlProtocol(),
    NidekRtProtocol(),
    NidekSerialProtocol(),
    HuvitzLensmeterProtocol(),
]
"""Every known protocol, in auto-detection order."""


class UnknownProtocolError(KeyError):
    """A protocol name that is not registered; the message lists the known ones."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown protocol"


def register(protocol: DeviceProtocol, *, before: str | None = None) -> DeviceProtocol:
    """Add a protocol at run time (plug-ins, tests), optionally ahead of ``before`` for detection."""
    if any(p.name == protocol.name for p in PROTOCOLS):
        raise ValueError(f"a protocol named {protocol.name!r} is already registered")
    index = next((i for i, p in enumerate(PROTOCOLS) if p.name == before), len(PROTOCOLS))
    PROTOCOLS.insert(index, protocol)
    return protocol


def protocol_names() -> list[str]:
    return [p.name for p in PROTOCOLS]


def get_protocol(name: str) -> DeviceProtocol:
    """The protocol called ``name`` (``nidek-serial`` and ``nidek_serial`` both work)."""
    wanted = name.strip().lower().replace("-", "_")
    for protocol in PROTOCOLS:
        if protocol.name == wanted:
            return protocol
    raise UnknownProtocolError(f"unknown protocol {name!r}; known protocols: {', '.join(protocol_names())}")


def detect(data: bytes) -> DeviceProtocol | None:
    """The first protocol whose ``sniff`` recognises ``data``, or None."""
    for protocol in PROTOCOLS:
        if protocol.sniff(data):
            return protocol
    return None


def parse_auto(data: bytes) -> list[Measurement]:
    """Detect the format of ``data`` and parse it."""
    protocol = detect(data)
    if protocol is None:
        raise ParseError(
            "unrecognised device data: no known format matches "
            f"(known protocols: {', '.join(protocol_names())})",
            bytes(data),
        )
    return protocol.parse(data)


def parse(data: bytes, protocol: str = "auto") -> list[Measurement]:
    """Parse ``data`` with the named protocol, or by auto-detection for ``"auto"``."""
    if protocol.strip().lower() == "auto":
        return parse_auto(data)
    return get_protocol(protocol).parse(data)
