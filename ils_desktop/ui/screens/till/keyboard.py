"""The till's keyboard: function keys before the main window's, and scans from anywhere.

A barcode scanner is a keyboard that types fast and ends with Enter. ``TillKeyboard`` (an
application event filter, installed while the till is shown) sends typing that lands on no text
field to the scan box and times the keystrokes: a fast burst is a scan (looked up by barcode only);
slower typing is a person searching the catalogue.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QPlainTextEdit, QTextEdit, QWidget

from ils_desktop.domain.till_rules import TenderKind

if TYPE_CHECKING:
    from ils_desktop.ui.screens.till.screen import TillScreen

#: A scanner types a whole barcode within a few milliseconds per key; people take 80 ms or more.
SCAN_MAX_GAP_SECONDS = 0.05
SCAN_MIN_LENGTH = 4

TENDER_KEYS: dict[int, TenderKind] = {
    Qt.Key.Key_F1: TenderKind.CARD,
    Qt.Key.Key_F2: TenderKind.CASH,
    Qt.Key.Key_F3: TenderKind.NHS_VOUCHER,
    Qt.Key.Key_F4: TenderKind.GIFT_CARD,
}
SCREEN_KEYS = set(TENDER_KEYS) | {Qt.Key.Key_F5, Qt.Key.Key_F10, Qt.Key.Key_F11, Qt.Key.Key_F12}
_TEXT_INPUTS = (QLineEdit, QAbstractSpinBox, QTextEdit, QPlainTextEdit)


class TillKeyboard(QObject):
    """The till's application event filter: function keys first, and scans from anywhere.

    Installed while the till is on screen. Typing that lands on no text field goes to the scan box;
    keystroke times tell a scanner (a fast burst ending with Enter) from a person typing.
    """

    def __init__(self, screen: TillScreen) -> None:
        super().__init__(screen)
        self.screen = screen
        self.burst: list[float] = []

    def scanned(self) -> bool:
        """True when the scan box's text arrived as one fast burst (a scanner), False if typed."""
        if len(self.burst) < SCAN_MIN_LENGTH:
            return False
        gaps = [later - earlier for earlier, later in zip(self.burst, self.burst[1:], strict=False)]
        return max(gaps, default=0.0) <= SCAN_MAX_GAP_SECONDS

    def _active_for(self, watched: QObject) -> bool:
        screen = self.screen
        return (isinstance(watched, QWidget) and screen.isVisible() and QApplication.activeModalWidget() is None
                and watched.window() is screen.window())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) or not self._active_for(watched):
            return False
        assert isinstance(event, QKeyEvent)
        key = event.key()
        plain = not event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
        find_receipt = key == Qt.Key.Key_R and event.modifiers() == Qt.KeyboardModifier.ControlModifier
        if (key in SCREEN_KEYS and plain) or find_receipt:
            if kind == QEvent.Type.ShortcutOverride:
                event.accept()  # ours, not the main window's navigation shortcut
                return True
            if find_receipt:
                self.screen.find_receipt()
            else:
                self.screen.function_key(key)
            return True
        if kind != QEvent.Type.KeyPress or watched is not QApplication.focusWidget():
            return False
        screen = self.screen
        if watched is screen.scan_box:
            if event.text() and event.text().isprintable() and plain:
                if not screen.scan_box.text():
                    self.burst = []
                self.burst.append(time.monotonic())
            return False
        if watched is screen.basket_view and plain:
            if event.text() in ("+", "="):
                screen.change_quantity(+1)
                return True
            if event.text() in ("-", "_"):
                screen.change_quantity(-1)
                return True
            if key == Qt.Key.Key_Delete:
                screen.remove_line()
                return True
        text = event.text()
        editable_combo = isinstance(watched, QComboBox) and watched.isEditable()
        if text and text.isprintable() and plain and not isinstance(watched, _TEXT_INPUTS) and not editable_combo \
                and screen.scan_box.isEnabled():
            # Typing or a scan while focus is on the basket or a button: it belongs in the scan box.
            self.burst = [time.monotonic()]
            screen.scan_box.setFocus()
            screen.scan_box.insert(text)
            return True
        return False
