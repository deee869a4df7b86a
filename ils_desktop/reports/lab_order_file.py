"""A spectacle order as a lab data file: the Vision Council's Data Communication Standard (DCS).

Labs outside the ILS network take orders as DCS record files (the "OMA" / "VCA" format of the
Vision Council's *Data Communication Standard*, version 3.x): plain ASCII, one record per line
``LABEL=value``, lines ended by CR LF; a record that differs by eye ("chiral") carries the right
value, ``;``, the left value (``SPH=-2.25;-2.00``). docs/domain/lab-orders.md lists exactly which
records are written, in which order and format, and what each means.

Conventions used here (all from DCS 3.x as we read it; the lab's DCS version is the authority):

* powers in dioptres with a sign and two decimals (``-2.25``, ``+0.50``); the cylinder always in
  **minus-cylinder form** (the Rx is transposed when given in plus form); the axis in whole degrees
  0–180, ``0`` when there is no cylinder; the reading addition unsigned, two decimals;
* lengths in millimetres and angles in degrees with two decimals;
* prism as one resultant per eye: ``PRVM`` the amount in prism dioptres, ``PRVA`` its base
  direction in degrees 0–360 on the standard protractor seen from the front (0° towards the
  wearer's left — the right eye's nose side — 90° up, 180° towards the wearer's right, 270° down;
  the same convention as ``domain.rx.resolve_prism``), rounded to the whole degree;
* a value for an eye that is not ordered (``DO=R`` or ``DO=L``) is left empty (``SPH=-2.25;``);
  when one eye has prism, an ordered eye without any is written ``0.00`` at ``0``;
* text (lens names, tints, coatings, frame names) is written in ASCII: accents are dropped and
  symbols such as ® removed; ``;``, ``=`` and control characters are refused because they would
  break the record structure.

Nothing about the patient is written: the lab needs the order number (``JOB``) and the practice's
account (``ACCN``), not who the glasses are for (UK GDPR data minimisation; the printed job ticket
carries the practice's own patient reference for matching in the practice).

``write_to_drop_folder`` writes the file atomically (a hidden temporary file, flushed to disk, then
linked into place under its final name) so a lab's folder watcher never reads half a file, and it
never replaces a different order's file silently.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum
from pathlib import Path
from typing import Final

from ils_desktop.domain.dispensing import DispensingMeasurements, JobType, LensKind
from ils_desktop.domain.rx import Prism, Sca, format_sca, to_minus_cylinder

DCS_VERSION: Final = "3.x"
"""The DCS version whose records and formats this file follows (see docs/domain/lab-orders.md)."""

LINE_END: Final = "\r\n"
ORDER_NUMBER: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
"""An order number safe as a DCS ``JOB`` value and as a file name on every system."""

LENS_TYPE_CODES: Final = {
    LensKind.SINGLE_VISION: "SV",
    LensKind.BIFOCAL: "BI",
    LensKind.VARIFOCAL: "PR",
    LensKind.OCCUPATIONAL: "PR",
}
"""DCS ``LTYP`` codes: SV single vision, BI bifocal, PR progressive addition (occupational lenses are
degressive progressives)."""


class FrameType(IntEnum):
    """DCS ``FTYP``: what the frame is made of / how the lens is held."""

    PLASTIC = 1
    METAL = 2
    RIMLESS = 3  # drilled
    OPTYL = 4


class EdgeType(IntEnum):
    """DCS ``ETYP``: the edge the lab cuts."""

    BEVEL = 1
    RIMLESS = 2
    GROOVE = 3  # nylon supra / half-rim
    MINI_BEVEL = 4


@dataclass(frozen=True)
class LensRx:
    """One eye as ordered: sphere / cylinder × axis (either form), reading add, prism components."""

    sca: Sca
    add: Decimal | None = None
    prism_h: Prism | None = None
    prism_v: Prism | None = None

    def __post_init__(self) -> None:
        format_sca(self.sca)  # ValueError for a cylinder without a valid axis
        if self.add is not None:
            object.__setattr__(self, "add", Sca(self.add).sphere)
            if self.add <= 0:
                raise ValueError(f"a reading add must be positive, not {self.add:+.2f}")
        if self.prism_h is not None and self.prism_h.base not in ("IN", "OUT"):
            raise ValueError(f"horizontal prism must be base IN or OUT, not {self.prism_h.base}")
        if self.prism_v is not None and self.prism_v.base not in ("UP", "DOWN"):
            raise ValueError(f"vertical prism must be base UP or DOWN, not {self.prism_v.base}")


@dataclass(frozen=True)
class FrameSpec:
    """The frame as the lab needs it. Box sizes come from the dispensing measurements."""

    supplier: str | None = None
    model: str | None = None
    colour: str | None = None
    size: str | None = None  # as marked on the frame, e.g. "52□18 140" (printed on the ticket only)
    frame_type: FrameType | None = None
    own_frame: bool = False


@dataclass(frozen=True)
class LabOrderData:
    """Everything the lab data file carries for one order (see the module docstring)."""

    order_number: str
    job_type: JobType
    lens_kind: LensKind
    right: LensRx | None
    left: LensRx | None
    measurements: DispensingMeasurements = field(default_factory=DispensingMeasurements)
    account_number: str | None = None
    lens_name: str | None = None
    lens_index: Decimal | None = None
    material_id: int | None = None
    coating: str | None = None
    tint: str | None = None
    frame: FrameSpec | None = None
    edge: EdgeType | None = None

    def __post_init__(self) -> None:
        if not ORDER_NUMBER.match(self.order_number or ""):
            raise ValueError(f"order number {self.order_number!r} must be 1–32 letters, digits, '-' or '_' "
                             "(it names the lab's file)")
        object.__setattr__(self, "job_type", JobType(self.job_type))
        object.__setattr__(self, "lens_kind", LensKind(self.lens_kind))
        if self.right is None and self.left is None:
            raise ValueError("an order needs a lens for at least one eye")
        if self.lens_kind.has_add:
            for side, eye in (("right", self.right), ("left", self.left)):
                if eye is not None and eye.add is None:
                    raise ValueError(f"a {self.lens_kind.label.lower()} lens needs a reading add ({side} eye)")
        if self.lens_index is not None:
            if not isinstance(self.lens_index, Decimal | int) or isinstance(self.lens_index, bool):
                raise TypeError(f"the lens index must be a Decimal, not {self.lens_index!r}")
            index = Decimal(self.lens_index)
            if not Decimal("1.4") <= index <= Decimal("2.0"):
                raise ValueError(f"lens index {index} is not a spectacle lens index (1.40 to 2.00)")
            object.__setattr__(self, "lens_index", index)
        if self.material_id is not None and not 0 <= self.material_id <= 9999:
            raise ValueError(f"material id {self.material_id} must be 0–9999 (0 means undefined)")
        for what, text in self._texts():
            _check_text(what, text)

    def _texts(self) -> Iterator[tuple[str, str | None]]:
        yield "account number", self.account_number
        yield "lens name", self.lens_name
        yield "coating", self.coating
        yield "tint", self.tint
        if self.frame is not None:
            yield "frame supplier", self.frame.supplier
            yield "frame model", self.frame.model
            yield "frame colour", self.frame.colour

    @property
    def eyes(self) -> str:
        """DCS ``DO``: B (both), R or L."""
        if self.right is not None and self.left is not None:
            return "B"
        return "R" if self.right is not None else "L"


def _check_text(what: str, text: str | None) -> None:
    if text is None:
        return
    if any(ch in text for ch in ";=") or any(unicodedata.category(ch).startswith("C") for ch in text):
        raise ValueError(f"the {what} {text!r} cannot go in a lab file: remove ';', '=' and line breaks")
    if len(dcs_text(text)) > 40:
        raise ValueError(f"the {what} {text!r} is longer than the 40 characters a lab file field allows")


def dcs_text(text: str) -> str:
    """``text`` as written to the file: ASCII (accents dropped, other symbols removed), trimmed."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(folded.split())


# --------------------------------------------------------------------------------------------------
# Values


def power(value: Decimal) -> str:
    """A power as DCS writes it: sign and two decimals (``-2.25``, ``+0.00``)."""
    return f"{value:+.2f}"


def amount(value: Decimal) -> str:
    """An unsigned value with two decimals: adds, prism, millimetres, degrees (``2.00``, ``31.50``)."""
    return f"{value:.2f}"


def prism_resultant(eye: str, prism_h: Prism | None, prism_v: Prism | None) -> tuple[Decimal, int] | None:
    """The single prism (amount, base angle 0–359°) equal to the horizontal and vertical components.

    Protractor seen from the front (``domain.rx.resolve_prism``): 0° points to the wearer's left, so
    base IN is 0° for the right eye and 180° for the left; UP is 90°, DOWN 270°. The amount is to
    0.01 Δ, the angle to the whole degree (half a degree moves a 2 Δ prism by under 0.02 Δ).
    """
    if prism_h is None and prism_v is None:
        return None
    horizontal = Decimal(0)
    if prism_h is not None:
        towards_zero = "IN" if eye == "R" else "OUT"
        horizontal = prism_h.amount if prism_h.base == towards_zero else -prism_h.amount
    vertical = Decimal(0)
    if prism_v is not None:
        vertical = prism_v.amount if prism_v.base == "UP" else -prism_v.amount
    size = (horizontal * horizontal + vertical * vertical).sqrt().quantize(Decimal("0.01"))
    if vertical.is_zero():
        angle = 0 if horizontal > 0 else 180
    elif horizontal.is_zero():
        angle = 90 if vertical > 0 else 270
    else:  # an angle, not a power: float trigonometry, rounded to the degree
        angle = round(math.degrees(math.atan2(float(vertical), float(horizontal)))) % 360
    return size, angle


# --------------------------------------------------------------------------------------------------
# Records


def _chiral(right: str | None, left: str | None) -> str:
    return f"{right or ''};{left or ''}"


def lab_order_records(order: LabOrderData) -> str:
    """The order as DCS records, CR LF line ends (see docs/domain/lab-orders.md for each record)."""
    right = to_minus_cylinder(order.right.sca) if order.right else None
    left = to_minus_cylinder(order.left.sca) if order.left else None
    eyes = ((order.right, right, "R"), (order.left, left, "L"))
    m = order.measurements
    lines: list[tuple[str, str]] = [("JOB", order.order_number), ("DO", order.eyes)]

    def both(label: str, value: str | None) -> None:
        """A chiral record with the same value for each eye ordered."""
        if value is not None:
            lines.append((label, _chiral(value if order.right else None, value if order.left else None)))

    def per_eye(label: str, right_value: str | None, left_value: str | None) -> None:
        if right_value is not None or left_value is not None:
            lines.append((label, _chiral(right_value if order.right else None, left_value if order.left else None)))

    if order.account_number:
        lines.append(("ACCN", dcs_text(order.account_number)))
    both("LTYP", LENS_TYPE_CODES[order.lens_kind])
    both("LNAM", dcs_text(order.lens_name) if order.lens_name else None)
    both("LIND", f"{order.lens_index:.3f}" if order.lens_index is not None else None)
    both("LMATID", str(order.material_id) if order.material_id is not None else None)
    per_eye("SPH", *(power(sca.sphere) if sca else None for _, sca, _ in eyes))
    per_eye("CYL", *(power(sca.cylinder) if sca else None for _, sca, _ in eyes))
    per_eye("AX", *((str(sca.axis) if sca.has_cylinder else "0") if sca else None for _, sca, _ in eyes))
    if any(rx is not None and rx.add is not None for rx, _, _ in eyes):
        per_eye("ADD", *(amount(rx.add) if rx and rx.add is not None else None for rx, _, _ in eyes))
    prisms = [(prism_resultant(side, rx.prism_h, rx.prism_v) or (Decimal(0), 0)) if rx else None
              for rx, _, side in eyes]
    if any(p is not None and p[0] for p in prisms):  # an ordered eye without prism is written 0.00 at 0
        per_eye("PRVM", *(amount(p[0]) if p else None for p in prisms))
        per_eye("PRVA", *(str(p[1]) if p else None for p in prisms))
    mm = [None if v is None else amount(v) for v in (m.right_distance_pd, m.left_distance_pd,
                                                     m.right_near_pd, m.left_near_pd,
                                                     m.right_fitting_height, m.left_fitting_height)]
    per_eye("IPD", mm[0], mm[1])
    per_eye("NPD", mm[2], mm[3])
    per_eye("SEGHT" if order.lens_kind.has_add else "OCHT", mm[4], mm[5])
    both("HBOX", None if m.box_a is None else amount(m.box_a))
    both("VBOX", None if m.box_b is None else amount(m.box_b))
    if m.dbl is not None:
        lines.append(("DBL", amount(m.dbl)))
    both("FED", None if m.ed is None else amount(m.ed))
    both("BVD", None if m.vertex_distance is None else amount(m.vertex_distance))
    both("PANTO", None if m.pantoscopic_tilt is None else f"{m.pantoscopic_tilt:.2f}")
    both("ZTILT", None if m.face_form_wrap is None else amount(m.face_form_wrap))
    both("TINT", dcs_text(order.tint) if order.tint else None)
    both("ACOAT", dcs_text(order.coating) if order.coating else None)
    frame = order.frame
    if frame is not None:
        for label, text in (("FMFR", frame.supplier), ("FRAM", frame.model), ("FCOL", frame.colour)):
            if text:
                lines.append((label, dcs_text(text)))
        if frame.frame_type is not None:
            lines.append(("FTYP", str(int(frame.frame_type))))
    if order.edge is not None:
        lines.append(("ETYP", str(int(order.edge))))
    return "".join(f"{label}={value}{LINE_END}" for label, value in lines)


# --------------------------------------------------------------------------------------------------
# Reading records back (for tests, and for the acknowledgements labs send back in the same format)

_LABEL: Final = re.compile(r"^[A-Z_][A-Z0-9_]{0,15}$")


def parse_records(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """Split DCS text into ``(label, values)`` in file order; a chiral record gives two values.

    Accepts CR LF or LF line ends and ignores blank lines. ``ValueError`` naming the line for a line
    without ``=`` or with a label that is not DCS-shaped (upper-case letters, digits, ``_``).
    """
    records: list[tuple[str, tuple[str, ...]]] = []
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not line.strip():
            continue
        label, separator, value = line.partition("=")
        if not separator:
            raise ValueError(f"line {number} is not a LABEL=value record")
        if not _LABEL.match(label):
            raise ValueError(f"line {number} has no valid record label")
        records.append((label, tuple(value.split(";"))))
    return records


def records_by_label(text: str) -> dict[str, tuple[str, ...]]:
    """``parse_records`` as a dictionary; ``ValueError`` when a label appears twice."""
    found: dict[str, tuple[str, ...]] = {}
    for label, values in parse_records(text):
        if label in found:
            raise ValueError(f"the {label} record appears more than once")
        found[label] = values
    return found


# --------------------------------------------------------------------------------------------------
# The drop folder


def write_to_drop_folder(folder: Path, order: LabOrderData, *, suffix: str = ".vca") -> Path:
    """Write the order's DCS file into a lab's drop folder and return its path.

    The file is named after the order number (``ORD-000123.vca``). It is written to a hidden
    temporary file in the same folder, flushed to disk (fsync), then hard-linked into place, which
    fails rather than overwrite: if a file of that name is already there with the same content (the
    order sent again) its path is returned; with different content ``FileExistsError`` is raised —
    a different order is never replaced silently. ``FileNotFoundError`` when the folder is missing.
    """
    if not ORDER_NUMBER.match(order.order_number) or not re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix):
        raise ValueError(f"unsafe file name for order {order.order_number!r}")
    directory = Path(folder)
    if not directory.is_dir():
        raise FileNotFoundError(f"the lab's drop folder {directory} does not exist")
    target = directory / f"{order.order_number}{suffix}"
    content = lab_order_records(order).encode("ascii")
    temporary = directory / f".{order.order_number}.{uuid.uuid4().hex}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, target)
        except FileExistsError:
            if target.read_bytes() == content:
                return target
            raise FileExistsError(
                f"{target.name} is already in the lab's drop folder with a different order in it; "
                "it has not been replaced (ask the lab whether it took the first one)"
            ) from None
        except OSError:
            if os.name != "nt":
                raise
            os.rename(temporary, target)  # no hard links here; Windows rename refuses to overwrite
        _sync_directory(directory)
        return target
    finally:
        temporary.unlink(missing_ok=True)


def _sync_directory(directory: Path) -> None:
    """Make the new directory entry durable (POSIX); a no-op where directories cannot be opened."""
    if os.name == "nt":
        return
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
