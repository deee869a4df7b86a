"""Helpers for the printed-document tests: is it a PDF, what text does it hold, how big are its pages.

Text is read with ``pdftotext`` (Debian/Ubuntu package poppler-utils); without it the text checks are
skipped with a reason and only the PDF structure is checked.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

PDFTOTEXT = shutil.which("pdftotext")


def assert_pdf(pdf: bytes) -> None:
    assert isinstance(pdf, bytes)
    assert pdf.startswith(b"%PDF-"), pdf[:20]
    assert pdf.rstrip().endswith(b"%%EOF")


def pdf_text(pdf: bytes, *, layout: bool = False) -> str:
    """The text of ``pdf`` (pages separated by form feeds); skips the test when pdftotext is absent."""
    if PDFTOTEXT is None:
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils): text checks skipped")
    command = [PDFTOTEXT, "-enc", "UTF-8", *(["-layout"] if layout else []), "-", "-"]
    result = subprocess.run(command, input=pdf, capture_output=True, check=True, timeout=30)
    return result.stdout.decode("utf-8")


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
