"""ILS Desktop look and feel: palette, fonts, style sheet and icons.

Call :func:`apply_theme` once, right after the ``QApplication`` is created and before any
window is built.  Everything else in the UI then follows two conventions:

* Widgets are styled through ``resources/style.qss`` using *dynamic properties*
  (``label.setProperty("role", "title")``, ``button.setProperty("role", "primary")``,
  ``line_edit.setProperty("invalid", True)``) and a few *object names*
  (``Navigation``, ``NavigationPanel``, ``PracticeName``, ``SignInPanel``,
  ``SignInBackground``).  Qt evaluates property selectors when a widget is polished, so a
  property that changes *after* the widget is shown needs :func:`set_style_property` (or
  :func:`repolish`) to take effect.
* Icons are monochrome 24×24 line drawings in ``resources/icons``; use :func:`icon` (optionally
  recoloured) rather than loading the files directly.
* Python subclasses of plain ``QWidget`` that carry an object name or a ``role`` get
  ``WA_StyledBackground`` automatically (see :class:`ThemeStyle`), so sheet backgrounds such as
  ``QWidget#SignInBackground`` paint on them as they would on a plain ``QWidget``.
* ``url(ils:<file>)`` in the style sheet resolves to ``resources/icons/<file>``.

Resources live in the repository's top-level ``resources/`` directory.  The installer bundles
that directory *beside the package* as ``ils_desktop/resources``; :data:`RESOURCES_DIR` resolves
whichever of the two exists.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import shiboken6
from PySide6.QtCore import QByteArray, QDir, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QProxyStyle,
    QTableView,
    QWidget,
)

__all__ = [
    "BASE_ICON_COLOR",
    "FONT_PREFERENCES",
    "ICONS_DIR",
    "PALETTE",
    "RESOURCES_DIR",
    "STYLESHEET_PATH",
    "Palette",
    "ThemeStyle",
    "app_icon",
    "apply_theme",
    "build_palette",
    "choose_font_family",
    "icon",
    "polish_table",
    "repolish",
    "set_style_property",
    "stylesheet",
]


def _resolve_resources_dir() -> Path:
    """``<repo>/resources`` in a source checkout, else ``ils_desktop/resources`` (installed build)."""
    here = Path(__file__).resolve()
    source_tree = here.parents[2] / "resources"
    if source_tree.is_dir():
        return source_tree
    return here.parents[1] / "resources"


RESOURCES_DIR: Path = _resolve_resources_dir()
ICONS_DIR: Path = RESOURCES_DIR / "icons"
FONTS_DIR: Path = RESOURCES_DIR / "fonts"
STYLESHEET_PATH: Path = RESOURCES_DIR / "style.qss"

#: Stroke colour every line icon is drawn with; :func:`icon` swaps it for the requested colour.
BASE_ICON_COLOR = "#334155"

#: UI font families in order of preference; the first one installed (or bundled in
#: ``resources/fonts``) wins.
FONT_PREFERENCES: tuple[str, ...] = ("Inter", "Segoe UI", "Noto Sans", "DejaVu Sans")
BASE_FONT_POINT_SIZE = 10

#: ``url(ils:<file>)`` in style.qss resolves against the icons directory.
QSS_SEARCH_PREFIX = "ils"


@dataclass(frozen=True)
class Palette:
    """The colours of the theme.  Keep in sync with ``resources/style.qss``."""

    ACCENT: str = "#0E7490"  # deep teal: primary buttons, focus, selection, links
    ACCENT_DARK: str = "#0B5A6B"  # hover/pressed accent, headings on pale accent
    ACCENT_PALE: str = "#E2F1F5"  # selected rows, badges, tinted panels
    BACKGROUND: str = "#F3F5F7"  # window background
    SURFACE: str = "#FFFFFF"  # cards, inputs, tables
    SURFACE_ALT: str = "#F8FAFB"  # alternate rows, table headers
    BORDER: str = "#D5DCE3"
    TEXT: str = "#1B2733"
    TEXT_MUTED: str = "#5F6B7A"
    SIDEBAR: str = "#0F2A33"  # navigation panel
    SUCCESS: str = "#15803D"
    WARNING: str = "#B45309"
    DANGER: str = "#B42318"


PALETTE = Palette()


# --------------------------------------------------------------------------- fonts / palette


def _load_bundled_fonts() -> None:
    """Register any ``.ttf``/``.otf`` shipped in ``resources/fonts`` (optional)."""
    if not FONTS_DIR.is_dir():
        return
    for path in sorted(FONTS_DIR.iterdir()):
        if path.suffix.lower() in {".ttf", ".otf"}:
            QFontDatabase.addApplicationFont(str(path))


def choose_font_family() -> str:
    """The first family of :data:`FONT_PREFERENCES` that is available, else the system default."""
    available = set(QFontDatabase.families())
    for family in FONT_PREFERENCES:
        if family in available:
            return family
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont).family()


def build_palette(colors: Palette = PALETTE) -> QPalette:
    """A QPalette matching style.qss, so unstyled corners of Fusion agree with the sheet."""
    pal = QPalette()
    c = QColor
    roles: dict[QPalette.ColorRole, str] = {
        QPalette.ColorRole.Window: colors.BACKGROUND,
        QPalette.ColorRole.WindowText: colors.TEXT,
        QPalette.ColorRole.Base: colors.SURFACE,
        QPalette.ColorRole.AlternateBase: colors.SURFACE_ALT,
        QPalette.ColorRole.Text: colors.TEXT,
        QPalette.ColorRole.Button: colors.SURFACE,
        QPalette.ColorRole.ButtonText: colors.TEXT,
        QPalette.ColorRole.BrightText: "#FFFFFF",
        QPalette.ColorRole.Highlight: colors.ACCENT,
        QPalette.ColorRole.HighlightedText: "#FFFFFF",
        QPalette.ColorRole.ToolTipBase: colors.TEXT,
        QPalette.ColorRole.ToolTipText: "#FFFFFF",
        QPalette.ColorRole.PlaceholderText: "#8A96A3",
        QPalette.ColorRole.Link: colors.ACCENT,
        QPalette.ColorRole.LinkVisited: colors.ACCENT_DARK,
        QPalette.ColorRole.Light: "#FFFFFF",
        QPalette.ColorRole.Midlight: "#E7ECF0",
        QPalette.ColorRole.Mid: colors.BORDER,
        QPalette.ColorRole.Dark: "#A7B2BD",
        QPalette.ColorRole.Shadow: "#6B7785",
    }
    for role, value in roles.items():
        pal.setColor(role, c(value))
    disabled = QPalette.ColorGroup.Disabled
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        pal.setColor(disabled, role, c("#9AA5B1"))
    pal.setColor(disabled, QPalette.ColorRole.Base, c("#EEF1F4"))
    pal.setColor(disabled, QPalette.ColorRole.Button, c("#EEF1F4"))
    pal.setColor(disabled, QPalette.ColorRole.Highlight, c("#B8C4CE"))
    return pal


def stylesheet() -> str:
    """The text of ``resources/style.qss`` (empty if it is missing)."""
    try:
        return STYLESHEET_PATH.read_text(encoding="utf-8")
    except OSError:
        return ""


def _nearest_qt_class(cls: type) -> type | None:
    for klass in cls.__mro__:
        if klass.__module__.startswith("PySide6."):
            return klass
    return None


class ThemeStyle(QProxyStyle):
    """Fusion, plus one fix-up so the style sheet reaches Python subclasses of ``QWidget``.

    Qt paints a style-sheet background on a *plain* ``QWidget`` only: a Python subclass
    (``class SignInScreen(QWidget)`` with ``setObjectName("SignInBackground")``) has its own
    meta-object, so Qt skips it unless ``WA_StyledBackground`` is set.  This style sets that
    attribute on such widgets when they are polished, if they carry an object name or a
    ``role`` property (i.e. something the sheet can select).
    """

    def __init__(self) -> None:
        super().__init__("Fusion")

    def polish(self, arg, /):  # type: ignore[no-untyped-def, override]  # three C++ overloads
        if (
            isinstance(arg, QWidget)
            and type(arg) is not QWidget
            and _nearest_qt_class(type(arg)) is QWidget
            and (arg.objectName() or arg.property("role") is not None)
        ):
            arg.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        return super().polish(arg)


_style: ThemeStyle | None = None  # keeps the Python wrapper of the app style alive


def apply_theme(app: QApplication) -> None:
    """Fusion style + palette + UI font + style sheet + window icon.  Safe to call again."""
    global _style
    if _style is None or not shiboken6.isValid(_style):
        _style = ThemeStyle()
        app.setStyle(_style)
    hints = app.styleHints()
    if hasattr(hints, "setColorScheme"):  # Qt 6.8+: don't let a dark OS theme leak into Fusion
        hints.setColorScheme(Qt.ColorScheme.Light)
    _load_bundled_fonts()
    font = QFont(choose_font_family())
    font.setPointSize(BASE_FONT_POINT_SIZE)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    app.setFont(font)
    app.setPalette(build_palette())
    QDir.setSearchPaths(QSS_SEARCH_PREFIX, [str(ICONS_DIR)])
    app.setStyleSheet(stylesheet())
    app.setWindowIcon(app_icon())


# --------------------------------------------------------------------------- icons

_ICON_SIZES: tuple[int, ...] = (16, 20, 24, 32, 40, 48, 64, 96, 128, 256)
_HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def _svg_bytes(name: str, color: str | None) -> bytes:
    path = ICONS_DIR / f"{name}.svg"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FileNotFoundError(f"no icon named {name!r} in {ICONS_DIR}") from exc
    if color:
        if not _HEX_COLOR.match(color):
            raise ValueError(f"icon colour must be #rgb or #rrggbb, got {color!r}")
        text = re.sub(re.escape(BASE_ICON_COLOR), color, text, flags=re.IGNORECASE)
    return text.encode("utf-8")


def _render(svg: bytes, size: int) -> QPixmap:
    renderer = QSvgRenderer(QByteArray(svg))
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return pixmap


@functools.lru_cache(maxsize=512)
def _build_icon(name: str, color: str | None, selected_color: str | None) -> QIcon:
    result = QIcon()
    normal = _svg_bytes(name, color)
    # Without explicit Selected pixmaps Qt tints icons with the highlight colour in selected rows.
    selected = _svg_bytes(name, selected_color) if selected_color else normal
    for size in _ICON_SIZES:
        result.addPixmap(_render(normal, size), QIcon.Mode.Normal)
        result.addPixmap(_render(normal, size), QIcon.Mode.Active)
        result.addPixmap(_render(selected, size), QIcon.Mode.Selected)
    return result


def icon(name: str, color: str | None = None, *, selected_color: str | None = None) -> QIcon:
    """The line icon ``resources/icons/<name>.svg``, drawn in ``color`` (default slate #334155).

    ``selected_color`` is used when the icon sits in a selected item-view row (e.g. white in
    the navigation list).  Needs a ``QGuiApplication``.  Results are cached.
    """
    return QIcon(_build_icon(name, color, selected_color))


@functools.lru_cache(maxsize=1)
def _build_app_icon() -> QIcon:
    svg = (ICONS_DIR / "app.svg").read_bytes()
    result = QIcon()
    for size in _ICON_SIZES:
        result.addPixmap(_render(svg, size))
    return result


def app_icon() -> QIcon:
    """The application mark (``resources/icons/app.svg``) at 16–256 px."""
    return QIcon(_build_app_icon())


# --------------------------------------------------------------------------- widget helpers


def repolish(widget: QWidget) -> None:
    """Re-evaluate style-sheet selectors after a dynamic property changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()


def set_style_property(widget: QWidget, name: str, value: object) -> None:
    """``widget.setProperty(name, value)`` and repolish, e.g. ``(edit, "invalid", True)``."""
    widget.setProperty(name, value)
    repolish(widget)


def polish_table(view: QTableView, *, row_height: int = 34) -> None:
    """Standard table behaviour for the theme: row selection, alternating rows, no grid."""
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setWordWrap(False)
    vertical = view.verticalHeader()
    vertical.setVisible(False)
    vertical.setDefaultSectionSize(row_height)
    vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    horizontal = view.horizontalHeader()
    horizontal.setHighlightSections(False)
    horizontal.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    horizontal.setStretchLastSection(True)
