"""Rules of imaging: which DICOM modality a device is, what kind of object a SOP class is, and how
big an image may be before anyone decodes it.

Sources: DICOM PS3.3 C.7.3.1.1.1 (Modality defined terms: AR autorefraction, KER keratometry,
LEN lensometry, SRF subjective refraction, VA visual acuity, OP ophthalmic photography, OPT
ophthalmic tomography, OPV ophthalmic visual field, OPM ophthalmic mapping, XC external-camera
photography, OT other); PS3.4 Annex B (Storage SOP Classes) and PS3.6 Annex A (their UIDs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

MODALITY_BY_EQUIPMENT_KIND: Final[dict[str, str]] = {
    "autorefractor": "AR",
    "keratometer": "KER",
    "lensmeter": "LEN",
    "phoropter": "SRF",
    "oct": "OPT",
    "fundus_camera": "OP",
    "visual_field_analyser": "OPV",
    "pachymeter": "OPM",
    "slit_lamp": "XC",
    "tonometer": "OT",
    "other": "OT",
}


def modality_for(equipment_kind: str | None) -> str:
    """The Modality (PS3.3 C.7.3.1.1.1) a device of this kind performs; OT (other) when no defined
    term fits (a tonometer: DICOM has no IOP measurement object)."""
    return MODALITY_BY_EQUIPMENT_KIND.get(equipment_kind or "", "OT")


#: Storage SOP Classes the practice accepts, with the kind of object each is (PS3.4 B.5).
STORAGE_SOP_CLASSES: Final[dict[str, tuple[str, str]]] = {
    "1.2.840.10008.5.1.4.1.1.78.1": ("Lensometry Measurements Storage", "measurement"),
    "1.2.840.10008.5.1.4.1.1.78.2": ("Autorefraction Measurements Storage", "measurement"),
    "1.2.840.10008.5.1.4.1.1.78.3": ("Keratometry Measurements Storage", "measurement"),
    "1.2.840.10008.5.1.4.1.1.78.4": ("Subjective Refraction Measurements Storage", "measurement"),
    "1.2.840.10008.5.1.4.1.1.78.5": ("Visual Acuity Measurements Storage", "measurement"),
    "1.2.840.10008.5.1.4.1.1.78.6": ("Spectacle Prescription Report Storage", "measurement"),
    "1.2.840.10008.5.1.4.1.1.78.7": ("Ophthalmic Axial Measurements Storage", "measurement"),
    "1.2.840.10008.5.1.4.1.1.78.8": ("Intraocular Lens Calculations Storage", "measurement"),
    "1.2.840.10008.5.1.4.1.1.77.1.5.1": ("Ophthalmic Photography 8 Bit Image Storage", "photograph"),
    "1.2.840.10008.5.1.4.1.1.77.1.5.2": ("Ophthalmic Photography 16 Bit Image Storage", "photograph"),
    "1.2.840.10008.5.1.4.1.1.77.1.5.4": ("Ophthalmic Tomography Image Storage", "tomography"),
    "1.2.840.10008.5.1.4.1.1.77.1.4": ("VL Photographic Image Storage", "photograph"),
    "1.2.840.10008.5.1.4.1.1.7": ("Secondary Capture Image Storage", "photograph"),
    "1.2.840.10008.5.1.4.1.1.104.1": ("Encapsulated PDF Storage", "document"),
    "1.2.840.10008.5.1.4.1.1.80.1": ("Ophthalmic Visual Field Static Perimetry Measurements Storage",
                                     "visual_field"),
    "1.2.840.10008.5.1.4.1.1.66": ("Raw Data Storage", "other"),
}
REFRACTIVE_SOP_CLASSES: Final = frozenset(f"1.2.840.10008.5.1.4.1.1.78.{n}" for n in range(1, 6))


def object_kind(sop_class_uid: str) -> str:
    """What kind of object a SOP class holds: photograph, tomography, document, visual_field,
    measurement or other."""
    return STORAGE_SOP_CLASSES.get(sop_class_uid, ("", "other"))[1]


MAX_ROWS_OR_COLUMNS: Final = 16384
MAX_FRAMES: Final = 2048
MAX_DECODED_BYTES: Final = 384 * 1024 * 1024
"""The pixel budget: the largest image decoded, after decompression. A 24-megapixel colour fundus
photograph is 72 MB, a 16-bit 4000x4000 photograph 32 MB, a 1024x496 OCT volume of 128 B-scans 65 MB;
anything claiming more is refused before a decoder is given it (a lying header cannot make the
practice server or a workstation allocate gigabytes)."""


@dataclass(frozen=True)
class PixelGeometry:
    rows: int
    columns: int
    frames: int = 1
    samples_per_pixel: int = 1
    bits_allocated: int = 8

    @property
    def decoded_bytes(self) -> int:
        return self.rows * self.columns * self.frames * self.samples_per_pixel * max(1, self.bits_allocated // 8)


def pixel_problem(geometry: PixelGeometry) -> str | None:
    """Why an image may not be decoded (its header asks for more than the pixel budget), or None."""
    g = geometry
    if not (0 < g.rows <= MAX_ROWS_OR_COLUMNS and 0 < g.columns <= MAX_ROWS_OR_COLUMNS):
        return f"its size {g.rows}x{g.columns} is outside 1..{MAX_ROWS_OR_COLUMNS} pixels a side"
    if not 0 < g.frames <= MAX_FRAMES:
        return f"it claims {g.frames} frames (at most {MAX_FRAMES})"
    if g.samples_per_pixel not in (1, 3) or g.bits_allocated not in (1, 8, 16):
        return "its samples per pixel or bits allocated are not those of an ophthalmic image"
    if g.decoded_bytes > MAX_DECODED_BYTES:
        return f"decoded it would take {g.decoded_bytes:,} bytes (the budget is {MAX_DECODED_BYTES:,})"
    return None


def window_for(bits_stored: int, low: int | None = None, high: int | None = None) -> tuple[float, float]:
    """(centre, width) of a display window: the range the image actually uses when known, else the
    full range of ``bits_stored`` bits (PS3.3 C.11.2.1.2: centre and width define a linear ramp)."""
    if low is not None and high is not None and high > low:
        return (low + high) / 2, float(high - low)
    top = (1 << max(1, min(bits_stored, 16))) - 1
    return top / 2, float(top)
