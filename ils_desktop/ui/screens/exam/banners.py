"""Messages across the top of the record: notices, recovered changes, conflicts, the finalise
confirmation, and each device reading waiting to be accepted. None of them is modal: work goes on.

Device readings wait in a tray laid over the top of the record rather than pushed into the page:
inserting a banner into the page moved and repainted the whole form (about 7 ms a reading, most of
the device-to-banner time); over it, only the tray is laid out and painted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from ils_desktop.domain.exam import (
    LONDON,
    MEASUREMENT_NAMES,
    DeviceSource,
    block_for_measurement,
    describe_device_reading,
)
from ils_desktop.ui.theme import set_style_property
from ils_desktop.ui.widgets.patient_header import clear_layout, role_label


def hhmm(moment: datetime | None) -> str:
    """A moment as the practice's wall clock shows it (``10:15``)."""
    return "" if moment is None else f"{moment.astimezone(LONDON):%H:%M}"


class Banner(QFrame):
    """A message across the top of the record with its actions."""

    def __init__(self, name: str, role: str = "info", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.message = role_label(role=role, wrap=True)
        self.message.setObjectName(f"{name}Message")
        layout.addWidget(self.message, 1)
        self.buttons = QHBoxLayout()
        self.buttons.setSpacing(6)
        layout.addLayout(self.buttons)
        self.hide()

    def button(self, text: str, name: str, slot: Callable[[], Any], *, primary: bool = False) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        if primary:
            button.setProperty("role", "primary")
        button.clicked.connect(slot)
        self.buttons.addWidget(button)
        button.show()  # now, not on the next turn of the event loop as a layout's new child would be
        return button

    def clear_buttons(self) -> None:
        clear_layout(self.buttons)

    def say(self, text: str, role: str | None = None) -> None:
        self.message.setText(text)
        if role:
            set_style_property(self.message, "role", role)
        self.show()


class DeviceOffer(Banner):
    """"New autorefraction from ARK-1 (10:15)" with the values, to accept into the record or discard."""

    def __init__(self, kind: str, values: dict[str, Any], source: DeviceSource, parent: QWidget | None = None) -> None:
        super().__init__("deviceBanner", "info", parent)
        self.kind, self.values, self.source = kind, values, source
        what = MEASUREMENT_NAMES.get(block_for_measurement(kind), kind)
        self.say(f"New {what} from {source.device} ({hhmm(source.received_at)}):   "
                 f"{describe_device_reading(kind, values)}")
        self.accept_button = self.button("Accept", "acceptReading", lambda: None, primary=True)
        self.discard_button = self.button("Discard", "discardReading", lambda: None)


class ReadingsTray(QFrame):
    """The device readings waiting for the clinician, newest first, over the top of ``host`` (the
    record's scroll viewport): it follows the host's width and never moves the form beneath it."""

    MARGIN = 8

    def __init__(self, host: QWidget) -> None:
        super().__init__(host)
        self.setObjectName("readingsTray")
        self.setProperty("role", "card")
        self.setAutoFillBackground(True)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(12, 10, 12, 10)
        self._layout.setSpacing(8)
        host.installEventFilter(self)
        self.hide()

    def add(self, offer: DeviceOffer) -> None:
        self._layout.insertWidget(0, offer)
        offer.show()
        self._place()
        self.show()
        self.raise_()

    def remove(self, offer: DeviceOffer) -> None:
        self._layout.removeWidget(offer)
        offer.hide()
        if self._layout.count():
            self._place()
        else:
            self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False

    def _place(self) -> None:
        host = self.parentWidget()
        assert host is not None
        self._layout.activate()  # the new offer's buttons laid out now, before the tray is sized
        width = max(0, host.width() - 2 * self.MARGIN)
        self.setGeometry(self.MARGIN, self.MARGIN, width, self.heightForWidth(width)
                         if self.hasHeightForWidth() else self.sizeHint().height())
