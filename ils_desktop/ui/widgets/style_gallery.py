"""A gallery of every styled element, for eyeballing the theme and for snapshot tests.

``StyleGallery`` shows the typography roles, buttons, inputs, choices, a table, tabs, a group
box, badges, status labels and every icon.  ``build_mock_main_window`` and
``build_mock_sign_in`` lay out the two main screens the way the real ones are expected to be
built (object names and dynamic properties), so the style sheet can be checked end to end.
All content is fixed (no "today"), so renders are deterministic.

Run ``QT_QPA_PLATFORM=offscreen python -m ils_desktop.ui.widgets.style_gallery [OUT_DIR]`` to
write ``gallery.png``, ``mainwindow.png``, ``signin.png``, ``focus.png``, ``icons.png`` and
``appicon.png`` to ``OUT_DIR`` (default ``/tmp``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QDate, QSize, Qt
from PySide6.QtGui import QPainter, QPixmap, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QStatusBar,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.ui import theme

NAV_ITEMS: tuple[tuple[str, str], ...] = (
    ("home", "Home"),
    ("diary", "Diary"),
    ("patients", "Patients"),
    ("exam", "Eye examination"),
    ("dispense", "Dispensing"),
    ("till", "Till"),
    ("recall", "Recalls"),
    ("inventory", "Stock"),
    ("equipment", "Equipment"),
    ("backoffice", "Back office"),
    ("users", "Users"),
    ("audit", "Audit log"),
    ("settings", "Settings"),
)

PATIENT_ROWS: tuple[tuple[str, str, str, str, str], ...] = (
    ("Amelia Hughes", "14/03/1962", "CH64 2RT", "Sight test due", "12/04/2025"),
    ("Oliver Bennett", "02/11/1988", "L18 9QB", "Collection ready", "—"),
    ("Priya Sharma", "27/07/1975", "M20 4HX", "NHS GOS 1", "03/05/2025"),
    ("George Williams", "09/01/1944", "CH41 6DN", "Domiciliary", "21/03/2025"),
    ("Sophie O'Connor", "30/05/2001", "WA7 1NP", "Contact lens check", "—"),
    ("Mohammed Khan", "18/12/1957", "L25 3PE", "Recall sent", "08/06/2025"),
    ("Isla Robertson", "11/08/2014", "CH62 7EZ", "Under 16", "15/04/2025"),
)


def _label(text: str, role: str | None = None, *, tone: str | None = None) -> QLabel:
    label = QLabel(text)
    if role:
        label.setProperty("role", role)
    if tone:
        label.setProperty("tone", tone)
    return label


def _button(text: str, role: str | None = None, icon_name: str | None = None) -> QPushButton:
    button = QPushButton(text)
    if role:
        button.setProperty("role", role)
    if icon_name:
        color = "#FFFFFF" if role == "primary" else theme.PALETTE.DANGER if role == "danger" else None
        if role == "link":
            color = theme.PALETTE.ACCENT
        button.setIcon(theme.icon(icon_name, color))
        button.setIconSize(QSize(16, 16))
    return button


def card(title: str | None = None) -> tuple[QFrame, QVBoxLayout]:
    """A ``QFrame[role="card"]`` with padded layout and an optional section heading."""
    frame = QFrame()
    frame.setProperty("role", "card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(18, 14, 18, 16)
    layout.setSpacing(10)
    if title:
        layout.addWidget(_label(title, "section"))
    return frame, layout


def _row(*widgets: QWidget, stretch: bool = True, spacing: int = 8) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setSpacing(spacing)
    for widget in widgets:
        row.addWidget(widget)
    if stretch:
        row.addStretch(1)
    return row


def patient_model(rows: Sequence[tuple[str, ...]] = PATIENT_ROWS) -> QStandardItemModel:
    model = QStandardItemModel(len(rows), 5)
    model.setHorizontalHeaderLabels(["Patient", "Date of birth", "Postcode", "Status", "Next appointment"])
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            model.setItem(r, c, QStandardItem(value))
    return model


def patient_table(rows: Sequence[tuple[str, ...]] = PATIENT_ROWS) -> QTableView:
    table = QTableView()
    table.setModel(patient_model(rows))
    theme.polish_table(table)
    table.setColumnWidth(0, 170)
    table.setColumnWidth(1, 110)
    table.setColumnWidth(2, 100)
    table.setColumnWidth(3, 150)
    table.selectRow(1)
    return table


class StyleGallery(QWidget):
    """Every styled element on one screen (1366×768)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("StyleGallery")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setAutoFillBackground(True)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 18, 24, 18)
        outer.setSpacing(12)

        header = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(_label("Style gallery", "title"))
        titles.addWidget(_label("Every element the ILS Desktop theme styles, in one place.", "subtitle"))
        header.addLayout(titles)
        header.addStretch(1)
        header.addWidget(_label("£1,284.50", "total"), 0, Qt.AlignmentFlag.AlignVCenter)
        outer.addLayout(header)

        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(14)
        grid.addWidget(self._typography(), 0, 0)
        grid.addWidget(self._buttons(), 0, 1)
        grid.addWidget(self._inputs(), 0, 2, 3, 1)
        grid.addWidget(self._table(), 1, 0, 1, 2)
        grid.addWidget(self._tabs(), 2, 0)
        grid.addWidget(self._icons(), 2, 1)
        for column in range(3):
            grid.setColumnStretch(column, 1)
        grid.setRowStretch(1, 1)
        outer.addLayout(grid, 1)

    # ---------------------------------------------------------------- sections

    def _typography(self) -> QFrame:
        frame, layout = card("Typography & messages")
        layout.addWidget(_label("Hint: date of birth as DD/MM/YYYY.", "hint"))
        layout.addWidget(_label("Card payment declined — try again or take cash.", "error"))
        layout.addWidget(_label("Prescription saved and signed.", "success"))
        badges = [
            _label("NHS", "badge"),
            _label("Paid", "badge", tone="success"),
            _label("Overdue", "badge", tone="warning"),
            _label("Void", "badge", tone="danger"),
            _label("Draft", "badge", tone="neutral"),
        ]
        layout.addLayout(_row(*badges, spacing=6))
        layout.addLayout(
            _row(
                _label("Database", "status"),
                _label("● Connected", "status-ok"),
                _label("Autorefractor", "status"),
                _label("● Offline", "status-bad"),
                spacing=6,
            )
        )
        layout.addStretch(1)
        return frame

    def _buttons(self) -> QFrame:
        frame, layout = card("Buttons")
        layout.addLayout(_row(_button("Save", "primary", "check"), _button("Cancel"), _button("Void", "danger")))
        disabled = [_button("Save", "primary"), _button("Cancel"), _button("Void", "danger")]
        for button in disabled:
            button.setEnabled(False)
        layout.addLayout(_row(*disabled))
        layout.addLayout(
            _row(_button("Forgotten PIN?", "link"), _button("Search", None, "search"), _button("Add", "link", "add"))
        )
        progress = QProgressBar()
        progress.setValue(64)
        layout.addWidget(progress)
        layout.addStretch(1)
        return frame

    def _inputs(self) -> QFrame:
        frame, layout = card("Form fields")
        form = QFormLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(10)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        name = QLineEdit("Amelia Hughes")
        search = QLineEdit()
        search.setPlaceholderText("Search name, DOB or postcode")
        search.addAction(theme.icon("search", "#8A96A3"), QLineEdit.ActionPosition.LeadingPosition)
        invalid = QLineEdit("943 476 591")
        invalid.setProperty("invalid", True)
        disabled = QLineEdit("Read by GOS system")
        disabled.setEnabled(False)
        combo = QComboBox()
        combo.addItems(["Private", "NHS GOS 1", "NHS GOS 3"])
        sphere = QDoubleSpinBox()
        sphere.setRange(-30, 30)
        sphere.setSingleStep(0.25)
        sphere.setValue(-2.25)
        sphere.setPrefix("")
        date = QDateEdit(QDate(2025, 3, 14))
        date.setCalendarPopup(True)
        date.setDisplayFormat("dd/MM/yyyy")
        notes = QPlainTextEdit("Patient reports intermittent blur at near after 30 minutes of reading.")
        notes.setFixedHeight(56)
        form.addRow("Name", name)
        form.addRow("Find", search)
        form.addRow("NHS number", invalid)
        form.addRow("", _label("Not a valid NHS number.", "hint"))
        form.addRow("Locked", disabled)
        form.addRow("Funding", combo)
        form.addRow("Sphere", sphere)
        form.addRow("Appointment", date)
        form.addRow("Notes", notes)
        layout.addLayout(form)
        layout.addWidget(self._group())
        layout.addStretch(1)
        return frame

    def _table(self) -> QFrame:
        frame, layout = card("Table")
        layout.addWidget(patient_table(PATIENT_ROWS[:4]))
        return frame

    def _tabs(self) -> QTabWidget:
        tabs = QTabWidget()
        for title in ("History", "Refraction", "Notes"):
            page = QWidget()
            page_layout = QVBoxLayout(page)
            page_layout.setContentsMargins(14, 12, 14, 12)
            page_layout.addWidget(_label(f"{title} content goes on this page.", "hint"))
            page_layout.addStretch(1)
            tabs.addTab(page, title)
        tabs.setTabEnabled(2, False)
        return tabs

    def _group(self) -> QGroupBox:
        group = QGroupBox("Lens type")
        layout = QVBoxLayout(group)
        layout.setSpacing(6)
        radio = QRadioButton("Single vision")
        radio.setChecked(True)
        layout.addLayout(_row(radio, QRadioButton("Varifocal"), QRadioButton("Bifocal"), spacing=16))
        check = QCheckBox("Driving standard met")
        check.setChecked(True)
        partial = QCheckBox("Coatings")
        partial.setTristate(True)
        partial.setCheckState(Qt.CheckState.PartiallyChecked)
        layout.addLayout(_row(check, partial, QCheckBox("Referral"), spacing=16))
        return group

    def _icons(self) -> QFrame:
        frame, layout = card("Icons")
        grid = QGridLayout()
        grid.setSpacing(6)
        names = [
            n for n in theme.icon_names() if n != "app" and not n.startswith("indicator-") and not n.endswith("-muted")
        ]
        for index, name in enumerate(names):
            label = QLabel()
            label.setPixmap(theme.icon(name).pixmap(20, 20))
            label.setToolTip(name)
            grid.addWidget(label, index // 12, index % 12)
        layout.addLayout(grid)
        layout.addStretch(1)
        return frame


# --------------------------------------------------------------------------- mock screens


def build_navigation_panel(practice: str = "Wirral Eyecare") -> QWidget:
    """The sidebar the main window uses: ``NavigationPanel`` > ``PracticeName`` + ``Navigation``."""
    panel = QWidget()
    panel.setObjectName("NavigationPanel")
    panel.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
    panel.setFixedWidth(232)
    layout = QVBoxLayout(panel)
    layout.setContentsMargins(0, 0, 0, 8)
    layout.setSpacing(0)

    header = QHBoxLayout()
    header.setContentsMargins(16, 0, 0, 0)
    header.setSpacing(0)
    mark = QLabel()
    mark.setPixmap(theme.app_icon().pixmap(28, 28))
    header.addWidget(mark)
    name = QLabel(practice)
    name.setObjectName("PracticeName")
    name.setContentsMargins(0, 0, 0, 0)
    header.addWidget(name, 1)
    layout.addLayout(header)

    nav = QListWidget()
    nav.setObjectName("Navigation")
    nav.setIconSize(QSize(20, 20))
    nav.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    for icon_name, text in NAV_ITEMS:
        nav.addItem(QListWidgetItem(theme.nav_icon(icon_name), text))
    nav.setCurrentRow(2)
    layout.addWidget(nav, 1)

    who = QLabel("Dr Sunita Patel\nOptometrist")
    who.setObjectName("NavigationUser")
    layout.addWidget(who)
    for icon_name, text in (("lock", "Lock  (Ctrl+L)"), ("signout", "Sign out")):
        button = QPushButton(theme.icon(icon_name, "#CBD5E1"), "  " + text)
        button.setObjectName("NavigationButton")
        layout.addWidget(button)
    return panel


def build_mock_main_window() -> QMainWindow:
    window = QMainWindow()
    window.setWindowTitle("ILS Desktop")
    central = QWidget()
    root = QHBoxLayout(central)
    root.setContentsMargins(0, 0, 0, 0)
    root.setSpacing(0)
    root.addWidget(build_navigation_panel())

    content = QWidget()
    body = QVBoxLayout(content)
    body.setContentsMargins(28, 22, 28, 20)
    body.setSpacing(16)

    header = QHBoxLayout()
    titles = QVBoxLayout()
    titles.setSpacing(2)
    titles.addWidget(_label("Patients", "title"))
    titles.addWidget(_label("Find a patient, or register a new one.", "subtitle"))
    header.addLayout(titles, 1)
    header.addWidget(_button("Import", None, "refresh"), 0, Qt.AlignmentFlag.AlignBottom)
    header.addWidget(_button("New patient", "primary", "add"), 0, Qt.AlignmentFlag.AlignBottom)
    body.addLayout(header)

    form_card, form_layout = card("Search")
    grid = QGridLayout()
    grid.setHorizontalSpacing(12)
    grid.setVerticalSpacing(6)
    surname = QLineEdit("Hu")
    surname.setPlaceholderText("Surname")
    dob = QDateEdit(QDate(1962, 3, 14))
    dob.setDisplayFormat("dd/MM/yyyy")
    dob.setCalendarPopup(True)
    postcode = QLineEdit()
    postcode.setPlaceholderText("e.g. CH64 2RT")
    funding = QComboBox()
    funding.addItems(["Any funding", "Private", "NHS"])
    for column, (caption, widget) in enumerate(
        (("Surname", surname), ("Date of birth", dob), ("Postcode", postcode), ("Funding", funding))
    ):
        grid.addWidget(_label(caption, "hint"), 0, column)
        grid.addWidget(widget, 1, column)
    search = _button("Search", "primary", "search")
    grid.addWidget(search, 1, 4)
    grid.setColumnStretch(0, 2)
    grid.setColumnStretch(1, 1)
    grid.setColumnStretch(2, 1)
    grid.setColumnStretch(3, 1)
    form_layout.addLayout(grid)
    body.addWidget(form_card)

    table_card, table_layout = card()
    table_header = QHBoxLayout()
    table_header.addWidget(_label("Results", "section"))
    table_header.addWidget(_label("7 patients", "badge"))
    table_header.addStretch(1)
    table_header.addWidget(_button("Open record", "link"))
    table_layout.addLayout(table_header)
    table_layout.addWidget(patient_table())
    body.addWidget(table_card, 1)

    root.addWidget(content, 1)
    window.setCentralWidget(central)

    status = QStatusBar()
    status.setSizeGripEnabled(False)
    status.addWidget(_label("Signed in as S. Patel (Optometrist)", "status"))
    status.addPermanentWidget(_label("Till 1 · Wirral Eyecare", "status"))
    status.addPermanentWidget(_label("● Database connected", "status-ok"))
    status.addPermanentWidget(_label("● Autorefractor offline", "status-bad"))
    window.setStatusBar(status)
    return window


def build_mock_sign_in() -> QWidget:
    background = QWidget()
    background.setObjectName("SignInBackground")
    background.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
    outer = QVBoxLayout(background)
    outer.addStretch(1)

    panel = QWidget()
    panel.setObjectName("SignInPanel")
    panel.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
    panel.setFixedWidth(400)
    layout = QVBoxLayout(panel)
    layout.setContentsMargins(36, 32, 36, 28)
    layout.setSpacing(10)
    mark = QLabel()
    mark.setPixmap(theme.app_icon().pixmap(56, 56))
    layout.addWidget(mark, 0, Qt.AlignmentFlag.AlignHCenter)
    title = _label("Sign in to ILS Desktop", "title")
    title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
    layout.addWidget(title)
    subtitle = _label("Wirral Eyecare · Test room 2", "subtitle")
    subtitle.setAlignment(Qt.AlignmentFlag.AlignHCenter)
    layout.addWidget(subtitle)
    layout.addSpacing(10)
    layout.addWidget(_label("Username", "hint"))
    username = QLineEdit("spatel")
    layout.addWidget(username)
    layout.addWidget(_label("Password", "hint"))
    password = QLineEdit("secret-password")
    password.setEchoMode(QLineEdit.EchoMode.Password)
    password.setProperty("invalid", True)
    layout.addWidget(password)
    layout.addWidget(_label("Incorrect username or password. 2 attempts left.", "error"))
    layout.addSpacing(4)
    sign_in = _button("Sign in", "primary")
    sign_in.setDefault(True)
    layout.addWidget(sign_in)
    layout.addWidget(_button("Forgotten password?", "link"), 0, Qt.AlignmentFlag.AlignHCenter)

    centre = QHBoxLayout()
    centre.addStretch(1)
    centre.addWidget(panel)
    centre.addStretch(1)
    outer.addLayout(centre)
    outer.addStretch(1)
    footer = _label("ILS Desktop 0.1 · Connected to practice server", "hint")
    footer.setAlignment(Qt.AlignmentFlag.AlignHCenter)
    outer.addWidget(footer)
    return background


def build_focus_strip() -> QWidget:
    """One instance of each focusable control, used to show the keyboard focus ring."""
    strip = QWidget()
    strip.setObjectName("FocusStrip")
    strip.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
    strip.setAutoFillBackground(True)
    layout = QHBoxLayout(strip)
    layout.setContentsMargins(16, 16, 16, 16)
    layout.setSpacing(12)
    layout.setSizeConstraint(QLayout.SizeConstraint.SetFixedSize)
    for widget in (
        _button("Secondary"),
        _button("Primary", "primary"),
        _button("Danger", "danger"),
        _button("Link", "link"),
        QLineEdit("Text"),
        QCheckBox("Check"),
    ):
        layout.addWidget(widget)
    return strip


# --------------------------------------------------------------------------- offscreen render


def _grab(widget: QWidget, size: QSize, path: Path) -> None:
    widget.resize(size)
    widget.show()
    QApplication.processEvents()
    widget.grab().save(str(path))


def _render_focus(path: Path) -> None:
    strip = build_focus_strip()
    strip.show()
    strip.activateWindow()
    QApplication.processEvents()
    focusables = [w for w in strip.findChildren(QWidget) if w.focusPolicy() != Qt.FocusPolicy.NoFocus]
    shots = []
    for widget in focusables:
        widget.setFocus(Qt.FocusReason.TabFocusReason)
        QApplication.processEvents()
        shots.append(strip.grab())
    canvas = QPixmap(shots[0].width(), shots[0].height() * len(shots))
    painter = QPainter(canvas)
    for index, shot in enumerate(shots):
        painter.drawPixmap(0, index * shot.height(), shot)
    painter.end()
    canvas.save(str(path))


def _render_icons(path: Path) -> None:
    names = [n for n in theme.icon_names() if n != "app"]
    sizes = (16, 24, 64)
    cell = 72
    canvas = QPixmap(cell * len(names) // 2 + cell, cell * len(sizes) * 2)
    canvas.fill(Qt.GlobalColor.white)
    painter = QPainter(canvas)
    half = (len(names) + 1) // 2
    for index, name in enumerate(names):
        column, block = index % half, index // half
        for row, size in enumerate(sizes):
            pixmap = theme.icon(name).pixmap(size, size)
            y = (block * len(sizes) + row) * cell + (cell - size) // 2
            painter.drawPixmap(column * cell + (cell - size) // 2, y, pixmap)
    painter.end()
    canvas.save(str(path))


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    out = Path(args[0]) if args else Path("/tmp")
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    theme.apply_theme(app)
    print("font:", app.font().family(), app.font().pointSizeF())

    _grab(StyleGallery(), QSize(1366, 768), out / "gallery.png")
    _grab(build_mock_main_window(), QSize(1366, 768), out / "mainwindow.png")
    _grab(build_mock_sign_in(), QSize(1366, 768), out / "signin.png")
    _render_focus(out / "focus.png")
    _render_icons(out / "icons.png")
    theme.app_icon().pixmap(256, 256).save(str(out / "appicon.png"))
    small = QPixmap(16 * 4 + 48 * 2, 48)
    small.fill(Qt.GlobalColor.white)
    painter = QPainter(small)
    for index, size in enumerate((16, 24, 32, 48)):
        painter.drawPixmap(index * 40, 0, theme.app_icon().pixmap(size, size))
    painter.end()
    small.save(str(out / "appicon-small.png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
