"""Turning a stored object into pictures, off the GUI thread: a frame through a display window
(window/level, PS3.3 C.11.2.1.2) into a QImage, a PDF page through PDFium, a visual field's test
points painted as a grey-scale plot, and thumbnails of each. Everything here runs in a worker thread
(QImage and QPainter on a QImage are safe there; QPixmap is made on the GUI thread)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen

from ils_desktop.devices.imaging.dicom_object import ObjectProblem, OpenedObject
from ils_desktop.domain.imaging import window_for

THUMBNAIL = 168
PDF_DPI = 110


@dataclass
class Window:
    """A display window: values from centre - width/2 to centre + width/2 map to black..white."""

    centre: float
    width: float


def default_window(opened: OpenedObject, frame: np.ndarray) -> Window:
    """The window that shows the values the image actually uses (a 12-bit photograph stored in 16
    bits is not shown almost black), from a sample of the pixels."""
    bits = opened.facts.bits_stored or 8
    if opened.facts.samples_per_pixel == 3 or bits <= 8:
        return Window(127.5, 255.0)
    step = max(1, int(np.sqrt(frame.size / 65536)))
    sample = frame[::step, ::step]
    low, high = np.percentile(sample, (0.5, 99.5))
    centre, width = window_for(bits, int(low), int(high))
    return Window(centre, max(width, 1.0))


def _to_qimage(pixels: np.ndarray) -> QImage:
    pixels = np.ascontiguousarray(pixels)
    height, width = pixels.shape[:2]
    if pixels.ndim == 2:
        image = QImage(pixels.data, width, height, width, QImage.Format.Format_Grayscale8)
    else:
        image = QImage(pixels.data, width, height, width * 3, QImage.Format.Format_RGB888)
    return image.copy()  # own the memory: the array goes away with this function


def windowed(frame: np.ndarray, window: Window, *, invert: bool = False) -> QImage:
    """``frame`` (rows, columns[, 3]) through ``window`` to 8 bits, as a QImage. Unsigned 8- and 16-bit
    pixels go through a look-up table (one indexed read per pixel: a 4,000 x 4,000 16-bit photograph in
    a few tens of milliseconds); anything else through the arithmetic."""
    low = window.centre - window.width / 2
    scale = 255.0 / max(window.width, 1e-6)
    if frame.dtype in (np.uint8, np.uint16):
        levels = np.arange(256 if frame.dtype == np.uint8 else 65536, dtype=np.float32)
        table = np.clip((levels - np.float32(low)) * np.float32(scale), 0, 255).astype(np.uint8)
        if invert:
            table = 255 - table
        return _to_qimage(table[frame])
    out = (frame.astype(np.float32) - np.float32(low)) * np.float32(scale)
    np.clip(out, 0, 255, out=out)
    pixels = out.astype(np.uint8)
    if invert:
        pixels = 255 - pixels
    return _to_qimage(pixels)


def frame_image(opened: OpenedObject, index: int, window: Window | None) -> tuple[QImage, Window]:
    frame = opened.frame(index)
    if window is None:
        window = default_window(opened, frame)
    invert = (opened.facts.photometric or "").upper() == "MONOCHROME1"
    return windowed(frame, window, invert=invert), window


def pdf_pages(data: bytes, *, dpi: int = PDF_DPI, limit: int = 20) -> list[QImage]:
    """The pages of a PDF report, rendered by PDFium (pypdfium2)."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(data)
    except Exception as error:
        raise ObjectProblem(f"the PDF could not be opened ({type(error).__name__})") from error
    try:
        pages = []
        for index in range(min(len(document), limit)):
            bitmap = document[index].render(scale=dpi / 72)
            pil = bitmap.to_pil().convert("RGB")
            pages.append(_to_qimage(np.asarray(pil)))
        return pages
    finally:
        document.close()


def field_plot(points: list[tuple[float, float, float | None]], laterality: str | None, size: int = 900) -> QImage:
    """A visual field's threshold values as a grey-scale plot with the values written in (dB), as field
    analysers print it: darker is less sensitive; the right eye's blind spot is on the right."""
    image = QImage(size, size, QImage.Format.Format_RGB888)
    image.fill(QColor("#ffffff"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    centre = size / 2
    extent = max([30.0] + [max(abs(x), abs(y)) + 3 for x, y, _ in points])
    scale = (size / 2 - 40) / extent
    painter.setPen(QPen(QColor("#94a3b8"), 2))
    painter.drawLine(QPointF(40, centre), QPointF(size - 40, centre))
    painter.drawLine(QPointF(centre, 40), QPointF(centre, size - 40))
    cell = 6 * scale
    font = QFont("DejaVu Sans", max(8, int(cell / 3.4)))
    painter.setFont(font)
    for x, y, value in points:
        px, py = centre + x * scale, centre - y * scale
        grey = 0 if value is None else int(max(0.0, min(1.0, value / 35.0)) * 235) + 10
        painter.fillRect(QRectF(px - cell / 2 + 1, py - cell / 2 + 1, cell - 2, cell - 2), QColor(grey, grey, grey))
        painter.setPen(QColor("#0f172a") if grey > 130 else QColor("#ffffff"))
        painter.drawText(QRectF(px - cell / 2, py - cell / 2, cell, cell), Qt.AlignmentFlag.AlignCenter,
                         "<0" if value is None else f"{value:.0f}")
    painter.setPen(QColor("#334155"))
    painter.setFont(QFont("DejaVu Sans", 14))
    eye = {"R": "Right eye", "L": "Left eye"}.get((laterality or "").upper(), "")
    painter.drawText(QRectF(20, 8, size - 40, 30), Qt.AlignmentFlag.AlignLeft, f"Threshold (dB)  {eye}")
    painter.end()
    return image


def thumbnail(image: QImage, size: int = THUMBNAIL) -> QImage:
    return image.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)


def thumbnail_of(opened: OpenedObject, data: bytes) -> QImage:
    """A small picture of the object: the middle OCT B-scan, the photograph, page one, the field plot."""
    kind = opened.facts.kind
    if kind == "document":
        pages = pdf_pages(data, dpi=36, limit=1)
        return thumbnail(pages[0]) if pages else QImage()
    if kind == "visual_field":
        return thumbnail(field_plot(opened.field_points(), opened.facts.laterality, size=360))
    frames = opened.facts.frames or 1
    frame = opened.frame(frames // 2)
    step = max(1, max(frame.shape[:2]) // (THUMBNAIL * 2))  # decimate before windowing: cheap for big images
    small = frame[::step, ::step]
    window = default_window(opened, small)
    invert = (opened.facts.photometric or "").upper() == "MONOCHROME1"
    return thumbnail(windowed(small, window, invert=invert))
