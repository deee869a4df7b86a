"""Transports: how readings reach the practice — serial lines, export folders, DICOM.

Each runs on its own thread and hands every item it receives to a callback as a :class:`Received`;
none touches the database or Qt (the workstation's device service stores readings and tells the
screens).
"""

from ils_desktop.devices.transports.received import Received

__all__ = ["Received"]
