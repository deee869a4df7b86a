"""Huvitz / Visionix lensmeter one-line format.

Layout (docs/domain/equipment.md, "Serial: other makers"; Huvitz CLM line settings 9600 7E1)::

    LM2RK No=00036 R: S=-04.50 C=-00.50 A=103 PX=+00.25 PY=+04.00 PD=00.0 ADD=+2.00 ... L: S=...

One line per lens pair: a header word and ``No=`` job number, then ``R:`` and ``L:`` segments of
``KEY=value`` pairs. Read here: ``S`` sphere, ``C`` cylinder, ``A`` axis, ``ADD`` (and ``ADD2``) add,
``PX``/``PY`` horizontal/vertical prism, ``PD`` monocular PD (``00.0`` = not measured). Other keys are
kept as text in ``extras`` as ``<eye>.<key>``.

The format gives prism as signed X/Y values and no reference states which sign is base in/out, so
the signed amounts are kept as sent with no base direction and a warning asks the user to confirm
the base on the lens. Several lines in one read give one measurement each; framing control
characters around a line are ignored.
"""

from __future__ import annotations

import re
from decimal import Decimal

from ils_desktop.devices.measurement import (
    Eye,
    EyeSide,
    EyeValues,
    Measurement,
    MeasurementKind,
    ParseError,
    PupillaryDistance,
)
from ils_desktop.devices.protocols.base import DeviceProtocol, parse_axis, parse_decimal, set_prism

NAME = "huvitz_lm"

_SNIFF = re.compile(rb"(?:^|[^A-Za-z0-9])[RL]:\s*S=\s*[+\- ]?\d")
_SEGMENT = re.compile(r"(?:^|\s)([RL]):", re.ASCII)
_PAIR = re.compile(r"([A-Za-z][A-Za-z0-9]*)\s*=\s*(\S+)", re.ASCII)


class HuvitzLensmeterProtocol(DeviceProtocol):
    name = NAME
    description = "Huvitz/Visionix lensmeter one-line format (LM... No=... R: S= C= A= PX= PY= ADD= L: ...)"

    def sniff(self, data: bytes) -> bool:
        return _SNIFF.search(data) is not None

    def _parse(self, data: bytes) -> list[Measurement]:
        # 7-bit ASCII on the wire; latin-1 never fails to decode, odd bytes surface as unknown text.
        text = data.decode("latin-1")
        lines = [line for line in re.split(r"[\x00-\x1f]+", text) if _SEGMENT.search(line) and "S=" in line]
        if not lines:
            raise ParseError("no Huvitz lensmeter line found (expected 'R: S=... C=... A=...')")
        return [_parse_line(line, data) for line in lines]


def _parse_line(line: str, raw: bytes) -> Measurement:
    parts = _SEGMENT.split(line)
    header, segments = parts[0], parts[1:]
    extras: dict[str, str] = {}
    header_words = header.split()
    if header_words and "=" not in header_words[0]:
        extras["header"] = header_words[0]
    for key, value in _PAIR.findall(header):
        extras[key] = value
    eyes: dict[str, EyeSide] = {}
    pd_by_eye: dict[str, Decimal] = {}
    warnings: list[str] = []
    for eye_code, body in zip(segments[0::2], segments[1::2], strict=True):
        eye = Eye(eye_code)
        pairs = {key.upper(): value for key, value in _PAIR.findall(body)}
        if "S" not in pairs:
            raise ParseError(f"Huvitz lensmeter {eye}: no S= (sphere) value")
        values = EyeValues(
            sphere=parse_decimal(pairs.pop("S"), f"{eye} sphere"),
            cylinder=parse_decimal(pairs.pop("C"), f"{eye} cylinder") if "C" in pairs else None,
            axis=parse_axis(pairs.pop("A"), f"{eye} axis") if "A" in pairs else None,
            add=parse_decimal(pairs.pop("ADD"), f"{eye} add") if "ADD" in pairs else None,
            add2=parse_decimal(pairs.pop("ADD2"), f"{eye} second add") if "ADD2" in pairs else None,
        )
        for key, horizontal in (("PX", True), ("PY", False)):
            if key in pairs:
                amount = parse_decimal(pairs.pop(key), f"{eye} prism {key}")
                if amount != 0:
                    warnings.append(
                        f"{eye} prism {key}={amount} has no stated base direction; kept as the "
                        "signed value sent - confirm the base on the lens"
                    )
                values = set_prism(values, amount, None, horizontal=horizontal)
        if "PD" in pairs:
            pd = parse_decimal(pairs.pop("PD"), f"{eye} PD")
            if pd:
                pd_by_eye[eye] = pd
        for key, value in pairs.items():
            extras[f"{eye}.{key}"] = value
        eyes[eye] = EyeSide(representative=values, readings=[values])
    if not eyes:
        raise ParseError("Huvitz lensmeter line has no R: or L: values")
    return Measurement(
        kind=MeasurementKind.LENSOMETRY,
        protocol=NAME,
        maker="HUVITZ",
        eyes=eyes,
        pd=PupillaryDistance(right=pd_by_eye.get(Eye.RIGHT), left=pd_by_eye.get(Eye.LEFT)),
        warnings=warnings,
        extras=extras,
        raw=raw,
    )
