"""Synthetic eye-care DICOM objects, generated (never copied from a patient): a fundus photograph
(8-bit colour, or 16-bit monochrome as red-free and autofluorescence images are), an OCT volume of
B-scans, a static perimetry result (80.1, a 24-2 grid) and a field analyser's PDF report wrapped as
Encapsulated PDF. For the demo practice, the tests, the benchmarks and ``devices simulate``.

Each object has the attributes a viewer and the practice's matching use (UIDs, patient, dates,
laterality, geometry); compressed copies are made with well-kept encoders: Pillow for JPEG baseline,
pydicom with pylibjpeg-openjpeg for JPEG 2000 and pylibjpeg-rle / pydicom for RLE.
"""

from __future__ import annotations

import io
import random
from copy import deepcopy
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    RLELossless,
    generate_uid,
)

OP_8 = "1.2.840.10008.5.1.4.1.1.77.1.5.1"
OP_16 = "1.2.840.10008.5.1.4.1.1.77.1.5.2"
OPT = "1.2.840.10008.5.1.4.1.1.77.1.5.4"
PDF = "1.2.840.10008.5.1.4.1.1.104.1"
FIELD = "1.2.840.10008.5.1.4.1.1.80.1"


@dataclass(frozen=True)
class Subject:
    """Whose object it is, as a device would write it (from the worklist)."""

    patient_id: str = "C000042"
    name: str = "TEST^PATIENT"
    birth_date: date | None = date(1961, 3, 12)
    sex: str = "F"
    study_instance_uid: str = ""
    accession_number: str = ""
    requested_procedure_id: str = ""
    step_id: str = ""


def _base(sop_class: str, modality: str, subject: Subject, when: datetime, laterality: str) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientName = subject.name
    ds.PatientID = subject.patient_id
    ds.PatientBirthDate = f"{subject.birth_date:%Y%m%d}" if subject.birth_date else ""
    ds.PatientSex = subject.sex
    ds.StudyInstanceUID = subject.study_instance_uid or generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.AccessionNumber = subject.accession_number
    if subject.requested_procedure_id or subject.step_id:
        request = Dataset()
        request.RequestedProcedureID = subject.requested_procedure_id
        request.ScheduledProcedureStepID = subject.step_id
        ds.RequestAttributesSequence = [request]
    ds.Modality = modality
    ds.Manufacturer = "ILS synthetic"
    ds.StudyDate = ds.ContentDate = ds.AcquisitionDate = f"{when:%Y%m%d}"
    ds.StudyTime = ds.ContentTime = ds.AcquisitionTime = f"{when:%H%M%S}"
    ds.AcquisitionDateTime = f"{when:%Y%m%d%H%M%S}"
    ds.StudyID = "1"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.ImageLaterality = laterality
    ds.Laterality = laterality
    return ds


def _pixels(ds: Dataset, array: np.ndarray, *, bits: int, photometric: str) -> None:
    mono = photometric.startswith("MONO")
    rows, columns = array.shape[-2:] if mono else array.shape[-3:-1]
    ds.Rows, ds.Columns = int(rows), int(columns)
    ds.SamplesPerPixel = 1 if mono else 3
    ds.PhotometricInterpretation = photometric
    if ds.SamplesPerPixel == 3:
        ds.PlanarConfiguration = 0
    ds.BitsAllocated = 16 if bits > 8 else 8
    ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0
    ds.PixelData = array.astype(np.uint16 if bits > 8 else np.uint8).tobytes()


def fundus_image(rng: random.Random, size: int, laterality: str = "R") -> np.ndarray:
    """A fundus-like picture in [0, 1] (rows, columns): orange-red field, optic disc, macula, vessels."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    side = -1 if laterality == "L" else 1
    disc_x, disc_y = 0.5 + side * 0.17, 0.5 + rng.uniform(-0.03, 0.03)
    r = np.hypot(x - 0.5, y - 0.5)
    field = np.clip(1.0 - (r / 0.5) ** 4, 0, 1)  # the round field of view
    disc = np.exp(-(((x - disc_x) ** 2 + (y - disc_y) ** 2) / 0.0025))
    macula = np.exp(-(((x - 0.5 + side * 0.02) ** 2 + (y - 0.5) ** 2) / 0.004))
    vessels = np.zeros_like(x)
    pad = max(1, size // 300)  # vessel half-width in pixels
    offsets = np.arange(-pad, pad + 1)
    for _ in range(8):
        angle, bend = rng.uniform(0, 2 * np.pi), rng.uniform(-2.5, 2.5)
        t = np.linspace(0, 0.45, 400)
        px = disc_x + t * np.cos(angle + bend * t)
        py = disc_y + t * np.sin(angle + bend * t)
        ix, iy = (px * size).astype(int), (py * size).astype(int)
        for dy in offsets:  # a square brush along the path
            for dx in offsets:
                vessels[(iy + dy).clip(0, size - 1), (ix + dx).clip(0, size - 1)] = 1.0
    # A soft mottled texture (the choroid), from a coarse random grid scaled up smoothly.
    coarse = np.asarray([[rng.random() for _ in range(17)] for _ in range(17)], dtype=np.float32)
    gx, gy = x * 16, y * 16
    x0, y0 = gx.astype(int).clip(0, 15), gy.astype(int).clip(0, 15)
    fx, fy = gx - x0, gy - y0
    texture = ((coarse[y0, x0] * (1 - fx) + coarse[y0, x0 + 1] * fx) * (1 - fy)
               + (coarse[y0 + 1, x0] * (1 - fx) + coarse[y0 + 1, x0 + 1] * fx) * fy) * 0.08
    image = field * (0.55 + 0.45 * disc - 0.25 * macula - 0.3 * vessels + texture)
    return np.clip(image, 0, 1)


def fundus_photograph(rng: random.Random, subject: Subject, when: datetime, *, laterality: str = "R",
                      size: int = 1024, sixteen_bit: bool = False) -> Dataset:
    """Ophthalmic Photography: 8-bit colour (RGB), or 16-bit monochrome (12 bits stored)."""
    image = fundus_image(rng, size, laterality)
    if sixteen_bit:
        ds = _base(OP_16, "OP", subject, when, laterality)
        _pixels(ds, (image * 4095).round(), bits=12, photometric="MONOCHROME2")
        ds.SeriesDescription = "Red-free photograph"
    else:
        ds = _base(OP_8, "OP", subject, when, laterality)
        rgb = np.stack([image * 235 + 10, image * 120 + 5 * image ** 2, image * 40], axis=-1)
        _pixels(ds, rgb.round(), bits=8, photometric="RGB")
        ds.SeriesDescription = "Colour fundus photograph"
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    return ds


def oct_volume(rng: random.Random, subject: Subject, when: datetime, *, laterality: str = "R", frames: int = 32,
               rows: int = 256, columns: int = 384) -> Dataset:
    """Ophthalmic Tomography: B-scans of retinal layers with a foveal pit, 8-bit monochrome."""
    ds = _base(OPT, "OPT", subject, when, laterality)
    z = np.arange(rows, dtype=np.float32)[:, None]
    xs = np.linspace(-1, 1, columns, dtype=np.float32)[None, :]
    volume = np.empty((frames, rows, columns), dtype=np.float32)
    noise = np.random.default_rng(rng.randrange(1 << 30))
    for f in range(frames):
        offset = (f - frames / 2) / frames
        pit = 18 * np.exp(-(xs ** 2 + offset ** 2) / 0.03)
        top = rows * 0.35 + 6 * np.sin(xs * 2) + pit
        layers = np.zeros((rows, columns), dtype=np.float32)
        for depth, width, bright in ((0, 4, 0.9), (14, 10, 0.45), (34, 6, 0.6), (52, 5, 1.0), (60, 8, 0.8)):
            layers += bright * np.exp(-((z - top - depth) ** 2) / (2 * width ** 2))
        volume[f] = layers + noise.normal(0, 0.08, layers.shape)
    _pixels(ds, (np.clip(volume, 0, 1) * 255).round(), bits=8, photometric="MONOCHROME2")
    ds.NumberOfFrames = frames
    ds.SeriesDescription = "Macular cube"
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    return ds


# 24-2 test grid (right eye): 54 points 6 degrees apart, offset 3 degrees from the meridians, with
# the nasal step at 27 degrees either side of the horizontal meridian.
_ROW_HALF_WIDTH = {21: 9, 15: 15, 9: 21, 3: 21}
GRID_24_2 = [(x, y) for y in (21, 15, 9, 3, -3, -9, -15, -21) for x in range(-27, 28, 6)
             if abs(x) <= _ROW_HALF_WIDTH[abs(y)] or (abs(y) == 3 and x == -27)]


def visual_field(rng: random.Random, subject: Subject, when: datetime, *, laterality: str = "R") -> Dataset:
    """Ophthalmic Visual Field Static Perimetry Measurements (80.1): a 24-2 threshold result."""
    ds = _base(FIELD, "OPV", subject, when, laterality)
    points = []
    defect = rng.choice([(-15, 9), (9, -9), None])
    for x, y in GRID_24_2:
        item = Dataset()
        item.VisualFieldTestPointXCoordinate = float(x)
        item.VisualFieldTestPointYCoordinate = float(y)
        value = 32 - 0.15 * (abs(x) + abs(y)) + rng.uniform(-2, 2)
        if defect and abs(x - defect[0]) <= 6 and abs(y - defect[1]) <= 6:
            value -= rng.uniform(10, 20)
        item.SensitivityValue = round(max(value, 0.0), 0)
        item.StimulusResults = "SEEN" if value > 0 else "NOT SEEN"
        points.append(item)
    ds.VisualFieldTestPointSequence = points
    ds.VisualFieldHorizontalExtent = 30.0
    ds.VisualFieldVerticalExtent = 30.0
    ds.SeriesDescription = "24-2 threshold"
    return ds


def field_report_pdf(rng: random.Random, subject: Subject, when: datetime, *, laterality: str = "R") -> Dataset:
    """A field analyser's printout as Encapsulated PDF (how many analysers and OCTs export reports)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    field = visual_field(rng, subject, when, laterality=laterality)
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    width, height = A4
    page.setFont("Helvetica-Bold", 16)
    page.drawString(50, height - 60, "Single field analysis 24-2 SITA Standard")
    page.setFont("Helvetica", 10)
    page.drawString(50, height - 80, f"Eye: {'Right' if laterality == 'R' else 'Left'}    Date: {when:%d/%m/%Y}")
    centre_x, centre_y, scale = width / 2, height / 2 + 40, 7
    page.line(centre_x - 220, centre_y, centre_x + 220, centre_y)
    page.line(centre_x, centre_y - 220, centre_x, centre_y + 220)
    for item in field.VisualFieldTestPointSequence:
        value = float(item.SensitivityValue)
        page.setFillGray(max(0.0, min(1.0, value / 35)))
        x, y = centre_x + float(item.VisualFieldTestPointXCoordinate) * scale, centre_y + float(
            item.VisualFieldTestPointYCoordinate) * scale
        page.rect(x - 18, y - 18, 36, 36, fill=1, stroke=0)
        page.setFillGray(0 if value > 17 else 1)
        page.drawCentredString(x, y - 3, f"{value:.0f}")
    page.setFillGray(0)
    page.drawString(50, 120, f"MD {rng.uniform(-6, 1):+.2f} dB    PSD {rng.uniform(1, 6):.2f} dB    "
                             f"Reliability: FL 0/14, FP 2%, FN 3%")
    page.showPage()
    page.save()
    ds = _base(PDF, "DOC", subject, when, laterality)
    ds.DocumentTitle = "Visual field 24-2 report"
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    data = buffer.getvalue()
    ds.EncapsulatedDocument = data + (b"\0" if len(data) % 2 else b"")
    ds.BurnedInAnnotation = "YES"
    ds.ConceptNameCodeSequence = []
    for keyword in ("AcquisitionDate", "AcquisitionTime", "ImageLaterality"):
        delattr(ds, keyword)
    return ds


# --- compressed copies ---------------------------------------------------------------------------

def as_jpeg_baseline(ds: Dataset, quality: int = 90) -> Dataset:
    """An 8-bit image re-encoded as JPEG baseline (Pillow), each frame its own JPEG."""
    from PIL import Image

    if ds.BitsAllocated != 8:
        raise ValueError("JPEG baseline holds 8-bit images only")
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    shape = (frames, ds.Rows, ds.Columns) + ((3,) if ds.SamplesPerPixel == 3 else ())
    array = np.frombuffer(ds.PixelData, dtype=np.uint8).reshape(shape)
    encoded = []
    for frame in array:
        out = io.BytesIO()
        Image.fromarray(frame).save(out, format="JPEG", quality=quality)
        encoded.append(out.getvalue())
    copy = deepcopy(ds)
    copy.PixelData = encapsulate(encoded)
    copy["PixelData"].VR = "OB"
    copy.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    if ds.SamplesPerPixel == 3:
        copy.PhotometricInterpretation = "YBR_FULL_422"
    copy.LossyImageCompression = "01"
    return copy


def compressed(ds: Dataset, transfer_syntax: str) -> Dataset:
    """A copy of ``ds`` in ``transfer_syntax``: JPEG baseline (Pillow), JPEG 2000 lossless (OpenJPEG)
    or RLE lossless."""
    if transfer_syntax == JPEGBaseline8Bit:
        return as_jpeg_baseline(ds)
    if transfer_syntax not in (JPEG2000Lossless, RLELossless):
        raise ValueError("no encoder for that transfer syntax here")
    copy = deepcopy(ds)
    copy.compress(transfer_syntax)
    return copy
