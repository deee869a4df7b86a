"""The workstation's devices while someone is signed in: runs the device hub for the serial ports
and export folders this computer hosts, and tells the screens when a reading has been stored."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ils_desktop.ui.ops import run_op
from ils_desktop.ui.session import Workspace

log = logging.getLogger(__name__)


class DeviceFeed(QObject):
    # The StoredReading is frozen (and never changed after storing), so it can cross threads as it is:
    # the exam offers a reading for its patient without asking the database for it again.
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

    def start(self) -> None:
        def done(started: list[str]) -> None:
            self.started = started
            if started:
                log.info("listening to %s", ", ".join(started))

        run_op(self.hub.start_local_devices, on_done=done,
               on_error=lambda error: (log.warning("devices not started: %s", error), True)[1])

    def stop(self) -> None:
        self.hub.stop()
