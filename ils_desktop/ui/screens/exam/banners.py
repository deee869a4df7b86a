"""Messages across the top of the record: notices, recovered changes, conflicts, the finalise
confirmation, and each device reading waiting to be accepted. None of them is modal: work goes on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QWidget

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
