"""The workstation's devices while someone is signed in: runs the device hub for the serial ports
and export folders this computer hosts, and tells the screens when a reading has been stored."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ils_desktop.ui.ops import run_op
from ils_desktop.ui.session import Workspace

log = logging.getLogger(__name__)


class DeviceFeed(QObject):
    # The stored reading, typed as the hub stored it (``services.device_readings.StoredReading``, its
    # measurement a ``Measurement``): frozen and never changed after storing, so it crosses from the
    # listener's thread as it is, and the exam offers it without asking the database for it again.
    reading_stored = Signal(object)
    device_status = Signal(str, str)  # device name, status

    def __init__(self, workspace: Workspace, data_dir: Path) -> None:
        super().__init__()
        self.hub = workspace.gateway.device_hub(
            data_dir / "devices",
            on_stored=self.reading_stored.emit,
            on_status=lambda device, status: self.device_status.emit(device, status),
            workstation=workspace.workstation,
        )
        self.started: list[str] = []

    @property
    def hosted(self) -> set[uuid.UUID]:
        """The devices this workstation listens to: their readings arrive through ``reading_stored``."""
        return set(self.hub.hosted)

    def start(self) -> None:
        def done(started: list[str]) -> None:
            self.started = started
            if started:
                log.info("listening to %s", ", ".join(started))

        run_op(self.hub.start_local_devices, on_done=done,
               on_error=lambda error: (log.warning("devices not started: %s", type(error).__name__), True)[1])

    def stop(self) -> None:
        self.hub.stop()
