"""Helpers for the printed-document tests: is it a PDF, what text does it hold, how big are its pages.

Text is read with pypdf (pure Python, a test dependency), so every machine runs the text checks.
"""

from __future__ import annotations

import io
import re

from pypdf import PdfReader


def assert_pdf(pdf: bytes) -> None:
    assert isinstance(pdf, bytes)
    assert pdf.startswith(b"%PDF-"), pdf[:20]
    assert pdf.rstrip().endswith(b"%%EOF")


def pdf_text(pdf: bytes, *, layout: bool = False) -> str:
    """The text of ``pdf``, pages separated by form feeds; ``layout`` keeps the printed arrangement
    (labels beside their values) as far as the page's positions allow."""
    reader = PdfReader(io.BytesIO(pdf))
    mode = "layout" if layout else "plain"
    return "".join((page.extract_text(extraction_mode=mode) or "") + "\f" for page in reader.pages)


def squashed(text: str) -> str:
    """Whitespace runs collapsed to one space, so wrapped lines and table cells read as one string."""
    return re.sub(r"\s+", " ", text)


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    """(width, height) in points of every page, from the MediaBox entries reportlab writes."""
    boxes = re.findall(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    return [(float(width), float(height)) for width, height in boxes]


def flat_text(pdf: bytes) -> str:
    """The page text laid out as printed (labels beside their values), whitespace collapsed."""
    return squashed(pdf_text(pdf, layout=True))
