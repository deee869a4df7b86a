"""Shared layout: UK dates in Europe/London, letterhead rules, safe text, font fallback, page furniture."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ils_desktop.reports import layout
from ils_desktop.reports.layout import Letterhead, fit, markup, uk_date, uk_datetime
from ils_desktop.reports.prescription import render_prescription
from tests.reports import samples
from tests.reports.conftest import assert_pdf, pdf_text, squashed


def test_dates_are_uk_style_in_london_time() -> None:
    assert uk_date(date(2026, 3, 9)) == "09/03/2026"
    # 23:30 UTC on 30 June is already 1 July in London (BST, UTC+1).
    assert uk_datetime(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == "01/07/2026 00:30"
    assert uk_datetime(datetime(2026, 1, 15, 9, 5, tzinfo=UTC)) == "15/01/2026 09:05"
    assert uk_datetime(datetime(2026, 1, 15, 9, 5)) == "15/01/2026 09:05"  # naive: taken as London time
    assert uk_date(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == "01/07/2026"


def test_letterhead_needs_a_name_and_an_address() -> None:
    with pytest.raises(ValueError, match="practice name"):
        Letterhead(" ", ("1 High Street",))
    with pytest.raises(ValueError, match="address"):
        Letterhead("Eyes Ltd", ("", "  "))
    letterhead = Letterhead("Eyes Ltd", (" 1 High Street ", "", "Ludlow"))
    assert letterhead.address_lines == ("1 High Street", "Ludlow")
    assert letterhead.one_line_address == "1 High Street, Ludlow"


def test_user_text_is_escaped_for_paragraph_markup() -> None:
    assert markup("Hughes & Daughters <Ludlow>\nBranch") == "Hughes &amp; Daughters &lt;Ludlow&gt;<br/>Branch"


def test_fit_shortens_text_to_a_width() -> None:
    assert fit("Short", "Helvetica", 9, 200) == "Short"
    shortened = fit("A very long practice name that will never fit in the space", "Helvetica", 9, 60)
    assert shortened.endswith("...")
    assert len(shortened) < 30


def test_unicode_font_is_used_when_installed() -> None:
    found = layout.fonts()
    if not found.unicode:
        pytest.skip("no DejaVu Sans or Arial on this machine: Helvetica fallback in use")
    assert layout.plain("1.00Δ UP") == "1.00Δ UP"


def test_falls_back_to_helvetica_and_writes_prism_dioptres_as_caret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layout, "FONT_CANDIDATES", ())
    assert layout.fonts() is layout.HELVETICA
    assert layout.plain("1.00Δ UP — £5") == "1.00^ UP — £5"
    assert layout.plain("→ ✓ ☺") == "-> Yes ?"
    pdf = render_prescription(samples.prescription(), printed_at=samples.PRINTED_AT)
    assert_pdf(pdf)
    text = squashed(pdf_text(pdf))
    assert "Prism (^)" in text
    assert "Margaret Hughes" in text


def test_footer_has_printed_time_and_page_x_of_y_on_every_page() -> None:
    pdf = render_prescription(samples.prescription(notes="Long advice. " * 400), printed_at=samples.PRINTED_AT)
    pages = pdf_text(pdf).split("\f")[:-1]
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "Printed 10/03/2026 16:45 (UK time)" in page
    assert "(continued)" in pages[1]  # the running header from page 2 on
