"""Shared look of every printed document: letterhead, fonts, styles, tables and the page templates.

Pure: data in, PDF bytes out (reportlab only; no database, no Qt).

* **Pages** — A4 portrait documents (``build_a4``) carry the full letterhead as the first thing in
  their story, a compact running header from page 2 on, and a footer on every page with the printed
  date and time (Europe/London) and "Page x of y". Till receipts (``build_roll``) are 80 mm wide and
  exactly as tall as their content, like a receipt roll.
* **Fonts** — DejaVu Sans (Linux) or Arial (Windows) when installed, because they have every glyph
  the documents use (£, Δ for prism dioptres, —). Otherwise reportlab's built-in Helvetica, which has
  £ and — but no Δ: ``Δ`` is then written ``^``, the typed notation practices already use for prism
  dioptres (``domain.rx.parse_prism`` reads it too).
* **Dates** — UK style, dd/mm/yyyy; times are shown in Europe/London whatever zone they arrive in.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

LONDON: Final = ZoneInfo("Europe/London")

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_LEFT: Final = 18 * mm
MARGIN_RIGHT: Final = 18 * mm
MARGIN_TOP: Final = 16 * mm
MARGIN_BOTTOM: Final = 20 * mm
CONTENT_WIDTH: Final = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
"""Width of the text block on an A4 page (174 mm)."""

ROLL_WIDTH: Final = 80 * mm
ROLL_MARGIN: Final = 4 * mm
"""An 80 mm receipt roll prints about 72 mm wide: 4 mm unprinted at each edge."""
ROLL_CONTENT_WIDTH: Final = ROLL_WIDTH - 2 * ROLL_MARGIN

INK: Final = colors.HexColor("#1a1a1a")
MUTED: Final = colors.HexColor("#5b6670")
ACCENT: Final = colors.HexColor("#1d4e6b")
RULE: Final = colors.HexColor("#9aa7b2")
FAINT_RULE: Final = colors.HexColor("#d3dae0")
HEADER_FILL: Final = colors.HexColor("#e6edf2")
ZEBRA_FILL: Final = colors.HexColor("#f5f8fa")
WARNING_FILL: Final = colors.HexColor("#fff4d6")
WARNING_INK: Final = colors.HexColor("#7a4b00")
DANGER_FILL: Final = colors.HexColor("#fde3e1")
DANGER_INK: Final = colors.HexColor("#9b1c13")
CALM_FILL: Final = colors.HexColor("#e6edf2")

# Candidate font families, best first: (folder, regular, bold, oblique, bold oblique).
# DejaVu is in every desktop Linux; Arial is in every Windows. Both have £, Δ and —.
FONT_CANDIDATES: tuple[tuple[Path, str, str, str, str], ...] = (
    (Path("/usr/share/fonts/truetype/dejavu"), "DejaVuSans.ttf", "DejaVuSans-Bold.ttf",
     "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf"),
    (Path("/usr/share/fonts/dejavu"), "DejaVuSans.ttf", "DejaVuSans-Bold.ttf",
     "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf"),
    (Path("/usr/share/fonts/TTF"), "DejaVuSans.ttf", "DejaVuSans-Bold.ttf",
     "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf"),
    (Path("C:/Windows/Fonts"), "arial.ttf", "arialbd.ttf", "ariali.ttf", "arialbi.ttf"),
)

_GLYPHS_NEEDED: Final = (0x00A3, 0x0394, 0x2014)  # £, Δ, —
_WIN_ANSI_SUBSTITUTES: Final = {"Δ": "^", "∆": "^", "≥": ">=", "≤": "<=", "→": "->", "✓": "Yes"}


# --------------------------------------------------------------------------------------------------
# Letterhead


@dataclass(frozen=True)
class Letterhead:
    """Who the document is from: the practice as it appears at the top of every document.

    ``goc_number`` is the practice's own GOC registration as a body corporate (if it has one);
    ``ods_code`` its NHS ODS code; ``vat_number`` its VAT registration number, which every VAT
    invoice must show (HMRC VAT Notice 700 §16.3 and §16.6).
    """

    practice_name: str
    address_lines: tuple[str, ...]
    phone: str | None = None
    email: str | None = None
    goc_number: str | None = None
    ods_code: str | None = None
    vat_number: str | None = None

    def __post_init__(self) -> None:
        if not self.practice_name.strip():
            raise ValueError("the practice name is needed on every printed document")
        lines = tuple(line.strip() for line in self.address_lines if line and line.strip())
        if not lines:
            raise ValueError("the practice address is needed on every printed document")
        object.__setattr__(self, "address_lines", lines)

    @property
    def one_line_address(self) -> str:
        return ", ".join(self.address_lines)


# --------------------------------------------------------------------------------------------------
# Fonts


@dataclass(frozen=True)
class FontSet:
    """Registered font names; ``unicode`` is False for the Helvetica fallback (no Δ)."""

    regular: str
    bold: str
    italic: str
    bold_italic: str
    unicode: bool
    source: str


HELVETICA: Final = FontSet("Helvetica", "Helvetica-Bold", "Helvetica-Oblique", "Helvetica-BoldOblique",
                           unicode=False, source="reportlab built-in Helvetica")


def _try_family(folder: Path, regular: str, bold: str, italic: str, bold_italic: str) -> FontSet | None:
    paths = [folder / name for name in (regular, bold, italic, bold_italic)]
    if not all(path.is_file() for path in paths):
        return None
    base = f"ILS-{Path(regular).stem}"
    names = (base, f"{base}-Bold", f"{base}-Italic", f"{base}-BoldItalic")
    try:
        fonts = [TTFont(name, str(path)) for name, path in zip(names, paths, strict=True)]
    except Exception:  # a damaged or unreadable font file: fall back rather than fail to print
        return None
    if not all(code in fonts[0].face.charToGlyph for code in _GLYPHS_NEEDED):
        return None
    for font in fonts:
        if font.fontName not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(font)
    pdfmetrics.registerFontFamily(base, normal=names[0], bold=names[1], italic=names[2], boldItalic=names[3])
    return FontSet(*names, unicode=True, source=str(folder / regular))


@functools.cache
def load_fonts(candidates: tuple[tuple[Path, str, str, str, str], ...]) -> FontSet:
    """The first candidate family that is installed and has £, Δ and —; Helvetica otherwise."""
    for candidate in candidates:
        found = _try_family(*candidate)
        if found is not None:
            return found
    return HELVETICA


def fonts() -> FontSet:
    """The fonts documents are set in (see the module docstring)."""
    return load_fonts(FONT_CANDIDATES)


def plain(value: str) -> str:
    """``value`` with any glyph the current font lacks replaced (Δ → ^ under Helvetica)."""
    if fonts().unicode:
        return value
    for glyph, substitute in _WIN_ANSI_SUBSTITUTES.items():
        value = value.replace(glyph, substitute)
    # Anything else outside Windows-1252 would print as a black box: show a "?" instead.
    return value.encode("cp1252", errors="replace").decode("cp1252")


def markup(value: str) -> str:
    """User text made safe for a ``Paragraph``: XML-escaped (a "&" in a name must not break the
    document), glyphs substituted, line breaks kept."""
    return escape(plain(value)).replace("\n", "<br/>")


# --------------------------------------------------------------------------------------------------
# Dates


def fit(text: str, font_name: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis so that it fits in ``width`` points (for one-line canvas text)."""
    if pdfmetrics.stringWidth(text, font_name, size) <= width:
        return text
    ellipsis = "..." if font_name.startswith("Helvetica") else "…"
    while text and pdfmetrics.stringWidth(text + ellipsis, font_name, size) > width:
        text = text[:-1]
    return text.rstrip() + ellipsis


def uk_date(value: date) -> str:
    """dd/mm/yyyy."""
    if isinstance(value, datetime):
        value = london(value).date()
    return f"{value:%d/%m/%Y}"


def london(value: datetime) -> datetime:
    """``value`` in Europe/London; a naive datetime is taken to be London time already."""
    return value.replace(tzinfo=LONDON) if value.tzinfo is None else value.astimezone(LONDON)


def uk_datetime(value: datetime) -> str:
    """dd/mm/yyyy HH:MM in Europe/London."""
    return f"{london(value):%d/%m/%Y %H:%M}"


def london_now() -> datetime:
    return datetime.now(LONDON)


# --------------------------------------------------------------------------------------------------
# Styles


@dataclass(frozen=True)
class Styles:
    body: ParagraphStyle
    body_bold: ParagraphStyle
    small: ParagraphStyle
    muted: ParagraphStyle
    label: ParagraphStyle
    title: ParagraphStyle
    subtitle: ParagraphStyle
    heading: ParagraphStyle
    practice_name: ParagraphStyle
    letterhead: ParagraphStyle
    letterhead_right: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    cell_right: ParagraphStyle
    cell_centre: ParagraphStyle
    cell_muted: ParagraphStyle
    header_cell: ParagraphStyle
    header_cell_right: ParagraphStyle
    header_cell_centre: ParagraphStyle
    banner: ParagraphStyle
    centre: ParagraphStyle
    right: ParagraphStyle
    fonts: FontSet = field(repr=False)


def make_styles(size: float = 9.5) -> Styles:
    """The paragraph styles, scaled from a body ``size`` in points (9.5 on A4, smaller on a roll)."""
    f = fonts()
    lead = size * 1.3

    def style(name: str, **kwargs: Any) -> ParagraphStyle:
        # embeddedHyphenation: a double-barrelled name or long address breaks at its own hyphens
        # ("Bartholomew-" / "Fitzwilliam") instead of being cut mid-word.
        values: dict[str, Any] = {"fontName": f.regular, "fontSize": size, "leading": lead, "textColor": INK,
                                  "embeddedHyphenation": 1}
        values.update(kwargs)
        return ParagraphStyle(name, **values)

    cell_size = size - 0.5
    header_size = size - 1.5
    return Styles(
        body=style("body"),
        body_bold=style("body_bold", fontName=f.bold),
        small=style("small", fontSize=size - 1.5, leading=(size - 1.5) * 1.3),
        muted=style("muted", fontSize=size - 1.5, leading=(size - 1.5) * 1.3, textColor=MUTED),
        label=style("label", fontSize=size - 2, leading=(size - 2) * 1.3, textColor=MUTED, fontName=f.bold),
        title=style("title", fontName=f.bold, fontSize=size * 1.75, leading=size * 2.1, textColor=ACCENT,
                    spaceAfter=size * 0.2),
        subtitle=style("subtitle", fontSize=size + 0.5, leading=(size + 0.5) * 1.3, textColor=MUTED),
        heading=style("heading", fontName=f.bold, fontSize=size + 1, leading=(size + 1) * 1.3, textColor=ACCENT,
                      spaceBefore=size * 1.1, spaceAfter=size * 0.35),
        practice_name=style("practice_name", fontName=f.bold, fontSize=size * 1.65, leading=size * 1.95,
                            textColor=ACCENT),
        letterhead=style("letterhead", fontSize=size - 1, leading=(size - 1) * 1.35),
        letterhead_right=style("letterhead_right", fontSize=size - 1, leading=(size - 1) * 1.35, alignment=TA_RIGHT),
        cell=style("cell", fontSize=cell_size, leading=cell_size * 1.25),
        cell_bold=style("cell_bold", fontName=f.bold, fontSize=cell_size, leading=cell_size * 1.25),
        cell_right=style("cell_right", fontSize=cell_size, leading=cell_size * 1.25, alignment=TA_RIGHT),
        cell_centre=style("cell_centre", fontSize=cell_size, leading=cell_size * 1.25, alignment=TA_CENTER),
        cell_muted=style("cell_muted", fontSize=cell_size - 1, leading=(cell_size - 1) * 1.25, textColor=MUTED),
        header_cell=style("header_cell", fontName=f.bold, fontSize=header_size, leading=header_size * 1.25,
                          textColor=ACCENT),
        header_cell_right=style("header_cell_right", fontName=f.bold, fontSize=header_size,
                                leading=header_size * 1.25, textColor=ACCENT, alignment=TA_RIGHT),
        header_cell_centre=style("header_cell_centre", fontName=f.bold, fontSize=header_size,
                                 leading=header_size * 1.25, textColor=ACCENT, alignment=TA_CENTER),
        banner=style("banner", fontName=f.bold, fontSize=size + 1.5, leading=(size + 1.5) * 1.3, alignment=TA_LEFT),
        centre=style("centre", alignment=TA_CENTER),
        right=style("right", alignment=TA_RIGHT),
        fonts=f,
    )


def para(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of user text (escaped; see ``markup``)."""
    return Paragraph(markup(text), style)


def rich(fragments: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of trusted markup built by the report itself (user parts already ``markup``-ed)."""
    return Paragraph(fragments, style)


def bold(text: str) -> str:
    return f"<b>{markup(text)}</b>"


# --------------------------------------------------------------------------------------------------
# Building blocks


def letterhead_block(letterhead: Letterhead, styles: Styles, width: float = CONTENT_WIDTH) -> Flowable:
    """Practice name and address on the left; phone, email and registrations on the right, over a rule.

    Long names and addresses wrap inside their column rather than running into the other one.
    """
    left: list[Flowable] = [para(letterhead.practice_name, styles.practice_name)]
    # The address runs on as one wrapped line ("14 Market Street, Ludlow SY8 1AA") as on printed
    # stationery: five stacked lines would push the document body down for no benefit.
    left.append(para(letterhead.one_line_address, styles.letterhead))
    right_lines = []
    if letterhead.phone:
        right_lines.append(f"Tel {markup(letterhead.phone)}")
    if letterhead.email:
        right_lines.append(markup(letterhead.email))
    if letterhead.goc_number:
        right_lines.append(f"GOC registration {markup(letterhead.goc_number)}")
    if letterhead.ods_code:
        right_lines.append(f"NHS ODS code {markup(letterhead.ods_code)}")
    if letterhead.vat_number:
        right_lines.append(f"VAT reg. no. {markup(letterhead.vat_number)}")
    right = rich("<br/>".join(right_lines), styles.letterhead_right)
    table = Table([[left, right]], colWidths=[width * 0.62, width * 0.38])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (0, -1), 0),
        ("RIGHTPADDING", (-1, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
        ("LINEBELOW", (0, 0), (-1, -1), 1.2, ACCENT),
    ]))
    return table


def roll_letterhead(letterhead: Letterhead, styles: Styles) -> list[Flowable]:
    """The letterhead centred on a receipt roll: name, address, phone and VAT number."""
    centre_name = ParagraphStyle("roll_name", parent=styles.practice_name, alignment=TA_CENTER,
                                 fontSize=styles.body.fontSize * 1.45, leading=styles.body.fontSize * 1.75)
    centre = ParagraphStyle("roll_centre", parent=styles.small, alignment=TA_CENTER)
    lines = [markup(letterhead.one_line_address)]
    if letterhead.phone:
        lines.append(f"Tel {markup(letterhead.phone)}")
    if letterhead.vat_number:
        lines.append(f"VAT reg. no. {markup(letterhead.vat_number)}")
    return [para(letterhead.practice_name, centre_name), rich("<br/>".join(lines), centre)]


def section_heading(text: str, styles: Styles) -> Paragraph:
    return para(text, styles.heading)


def key_values(rows: Sequence[tuple[str, str | Flowable]], styles: Styles, *, width: float,
               label_width: float) -> Table:
    """A two-column label/value block (labels small and muted, values in body text)."""
    data = [[para(label, styles.label), value if isinstance(value, Flowable) else para(value, styles.body)]
            for label, value in rows]
    table = Table(data, colWidths=[label_width, width - label_width], hAlign="LEFT")
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]))
    return table


def grid_style(*, header_rows: int = 1, zebra: bool = True, body_rows: int = 0,
               extra: Sequence[tuple[Any, ...]] = ()) -> TableStyle:
    """The house table style: tinted header, hairline rules between rows, optional zebra striping."""
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), HEADER_FILL),
        ("LINEBELOW", (0, header_rows - 1), (-1, header_rows - 1), 0.8, ACCENT),
        ("LINEBELOW", (0, header_rows), (-1, -1), 0.25, FAINT_RULE),
        ("BOX", (0, 0), (-1, -1), 0.6, RULE),
    ]
    if zebra:
        for row in range(header_rows + 1, header_rows + body_rows, 2):
            commands.append(("BACKGROUND", (0, row), (-1, row), ZEBRA_FILL))
    commands.extend(extra)
    return TableStyle(commands)


def banner(text: str, styles: Styles, *, fill: colors.Color, ink: colors.Color, width: float,
           detail: str | None = None) -> Table:
    """A coloured box with a bold headline (and an optional line under it): for what must not be missed."""
    headline = ParagraphStyle("banner_ink", parent=styles.banner, textColor=ink)
    cells: list[Flowable] = [para(text, headline)]
    if detail:
        cells.append(para(detail, ParagraphStyle("banner_detail", parent=styles.body, textColor=ink)))
    table = Table([[cells]], colWidths=[width])
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, -1), fill),
        ("BOX", (0, 0), (-1, -1), 1, ink),
        ("LEFTPADDING", (0, 0), (-1, -1), 8),
        ("RIGHTPADDING", (0, 0), (-1, -1), 8),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]))
    return table


def gap(height_mm: float) -> Spacer:
    return Spacer(1, height_mm * mm)


# --------------------------------------------------------------------------------------------------
# A4 pages


@dataclass(frozen=True)
class PageFurniture:
    """What is drawn around the story on every page."""

    practice_name: str
    title: str
    reference: str | None
    printed_at: datetime
    marker: str | None = None  # e.g. "COPY — reprinted 05/03/2026": repeated on every page
    person: str | None = None  # who a clinical document is about, repeated on later pages


def _numbered_canvas_class(furniture: PageFurniture) -> type[Canvas]:
    """A canvas that keeps every page until the end, so the footer can say "Page x of y"."""
    font_set = fonts()

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._furniture(number, total)
                super().showPage()
            super().save()

        def _furniture(self, number: int, total: int) -> None:
            self.saveState()
            y = MARGIN_BOTTOM - 9 * mm
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(MARGIN_LEFT, y + 3.5 * mm, PAGE_WIDTH - MARGIN_RIGHT, y + 3.5 * mm)
            self.setFillColor(MUTED)
            self.setFont(font_set.regular, 7.5)
            self.drawString(MARGIN_LEFT, y, plain(f"Printed {uk_datetime(furniture.printed_at)} (UK time)"))
            middle = furniture.title + (f" · {furniture.reference}" if furniture.reference else "")
            self.drawCentredString(PAGE_WIDTH / 2, y, plain(middle))
            self.drawRightString(PAGE_WIDTH - MARGIN_RIGHT, y, f"Page {number} of {total}")
            if furniture.marker:
                self.setFillColor(DANGER_INK)
                self.setFont(font_set.bold, 8)
                self.drawCentredString(PAGE_WIDTH / 2, y - 4 * mm, plain(furniture.marker))
            if number > 1:
                # Later pages: a compact running header so a loose page still says whose and what it is.
                top = PAGE_HEIGHT - MARGIN_TOP + 4 * mm
                self.setFillColor(ACCENT)
                self.setFont(font_set.bold, 9)
                half = CONTENT_WIDTH / 2 - 3 * mm
                self.drawString(MARGIN_LEFT, top, fit(plain(furniture.practice_name), font_set.bold, 9, half))
                self.setFont(font_set.regular, 8.5)
                self.setFillColor(MUTED)
                self.drawRightString(PAGE_WIDTH - MARGIN_RIGHT, top,
                                     fit(plain(middle + " (continued)"), font_set.regular, 8.5, half))
                rule = top - 2 * mm
                if furniture.person:
                    # A loose second page of a clinical document must still say whose it is.
                    self.setFont(font_set.regular, 8)
                    self.setFillColor(INK)
                    self.drawString(MARGIN_LEFT, top - 4.5 * mm,
                                    fit(plain(furniture.person), font_set.regular, 8, CONTENT_WIDTH))
                    rule = top - 6 * mm
                self.setStrokeColor(ACCENT)
                self.line(MARGIN_LEFT, rule, PAGE_WIDTH - MARGIN_RIGHT, rule)
            self.restoreState()

    return NumberedCanvas


def build_a4(story: Sequence[Flowable], furniture: PageFurniture, *, subject: str) -> bytes:
    """Lay ``story`` out on A4 portrait pages with the footer (and running header) of ``furniture``."""
    buffer = io.BytesIO()
    document = BaseDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN_LEFT, rightMargin=MARGIN_RIGHT, topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM, title=plain(f"{furniture.title} {furniture.reference or ''}".strip()),
        author=plain(furniture.practice_name), subject=plain(subject), creator="ILS Desktop",
    )
    # Later pages start lower, under the running header (and patient line) drawn by the canvas.
    first = Frame(MARGIN_LEFT, MARGIN_BOTTOM, CONTENT_WIDTH, PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="first")
    later = Frame(MARGIN_LEFT, MARGIN_BOTTOM, CONTENT_WIDTH, PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM - 9 * mm,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="later")
    document.addPageTemplates([
        PageTemplate(id="First", frames=[first], autoNextPageTemplate="Later"),
        PageTemplate(id="Later", frames=[later]),
    ])
    document.build(list(story), canvasmaker=_numbered_canvas_class(furniture))
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------------
# Receipt roll


def build_roll(story: Sequence[Flowable], *, title: str, author: str, subject: str) -> bytes:
    """Lay ``story`` out on one 80 mm wide page exactly as tall as the content (a receipt roll)."""
    flowables = list(story)
    height = 0.0
    for flowable in flowables:
        _, needed = flowable.wrap(ROLL_CONTENT_WIDTH, 10_000)
        height += needed + flowable.getSpaceBefore() + flowable.getSpaceAfter()
    # A few points of slack: reportlab may round a wrap differently on the real pass.
    page_height = height + 2 * ROLL_MARGIN + 6
    buffer = io.BytesIO()
    document = BaseDocTemplate(
        buffer, pagesize=(ROLL_WIDTH, page_height), leftMargin=ROLL_MARGIN, rightMargin=ROLL_MARGIN,
        topMargin=ROLL_MARGIN, bottomMargin=ROLL_MARGIN, title=plain(title), author=plain(author),
        subject=plain(subject), creator="ILS Desktop",
    )
    frame = Frame(ROLL_MARGIN, ROLL_MARGIN, ROLL_CONTENT_WIDTH, page_height - 2 * ROLL_MARGIN,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="roll")
    document.addPageTemplates([PageTemplate(id="Roll", frames=[frame])])
    document.build(flowables)
    return buffer.getvalue()

