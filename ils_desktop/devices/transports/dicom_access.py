"""Who may talk to the practice's DICOM services: the calling AE titles (and hosts) registered on the
Equipment screen, and the UID grammar that decides whether a value may ever name anything.

The practice network is one where anything can connect, so an association is accepted only from a
calling AE title registered as a DICOM device (and from its host when one is given there). Others are
rejected at association time ("calling AE title not recognised") with a log line naming the AE title
and address, never a patient.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pynetdicom import evt

from ils_desktop.devices.measurement import one_line

log = logging.getLogger(__name__)

_UID = re.compile(r"(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*")


def valid_uid(value: object) -> bool:
    """The DICOM UID grammar (PS3.5 §9.1): components of digits separated by dots, no leading zero
    in a component (except a lone 0), at most 64 characters. Nothing else may name a file."""
    text = str(value or "")
    return 0 < len(text) <= 64 and _UID.fullmatch(text) is not None


def shown_ae(ae_title: object) -> str:
    """A caller's AE title for a log line (it is whatever the caller chose to send)."""
    return repr(one_line(str(ae_title or "").strip(), 32))


@dataclass(frozen=True)
class RegisteredCaller:
    """A DICOM device from the Equipment screen: its AE title and, optionally, its host."""

    ae_title: str
    host: str = ""
    equipment_id: uuid.UUID | None = None
    kind: str = ""  # the device's kind on the Equipment screen (its modality follows from it)


class CallerAllowList:
    """Which calling AE titles (and hosts) may associate, following the Equipment screen.

    ``load`` returns the registered DICOM devices (it reads the database). The list is cached for
    ``ttl`` seconds, so a device removed from the register is refused within that time; a caller
    not in the cached list causes one reload first (at most every ``reload_after`` seconds, so a
    scanner cannot hammer the database), so a device registered after start-up is accepted at once.
    """

    def __init__(self, load: Callable[[], Iterable[RegisteredCaller]], *, ttl: float = 10.0,
                 reload_after: float = 1.0) -> None:
        self._load = load
        self.ttl, self.reload_after = ttl, reload_after
        self._callers: list[RegisteredCaller] = []
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()

    def _refresh(self, *, force: bool) -> list[RegisteredCaller]:
        with self._lock:
            age = time.monotonic() - self._loaded_at
            if age >= self.ttl or (force and age >= self.reload_after):
                try:
                    self._callers = [c for c in self._load() if c.ae_title.strip()]
                except Exception:
                    # The database is away: keep the last list (refusing all would stop the practice).
                    log.exception("the registered DICOM devices could not be read; using the last list")
                self._loaded_at = time.monotonic()
            return list(self._callers)

    def device(self, ae_title: str) -> RegisteredCaller | None:
        """The registered device with this AE title (from the cached list), if any."""
        ae = ae_title.strip()
        for caller in self._refresh(force=False):
            if caller.ae_title.strip() == ae:
                return caller
        return None

    def callers(self) -> list[RegisteredCaller]:
        return self._refresh(force=False)

    def check(self, ae_title: str, address: str) -> str | None:
        """None when ``ae_title`` calling from ``address`` is allowed, else why not."""
        ae = ae_title.strip()
        for force in (False, True):
            titled = [c for c in self._refresh(force=force) if c.ae_title.strip() == ae]
            if any(_host_matches(c.host, address) for c in titled):
                return None
        if titled:
            return "its address is not the host registered for that AE title"
        return "that AE title is not registered on the Equipment screen"


def _host_matches(host: str, address: str) -> bool:
    """A registered host (blank = anywhere, an IP address, or a name to resolve) and a peer address."""
    host = host.strip()
    if not host:
        return True
    try:
        peer = ipaddress.ip_address(address)
    except ValueError:
        return False
    try:
        return ipaddress.ip_address(host) == peer
    except ValueError:
        pass
    try:
        resolved = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return any(ipaddress.ip_address(a.split("%")[0]) == peer for a in resolved)


def reject_unregistered(allow: CallerAllowList | None, service: str) -> Callable[[evt.Event], None]:
    """An EVT_REQUESTED handler refusing callers the allow-list does not know (A-ASSOCIATE-RJ,
    permanent, "calling AE title not recognised")."""

    def handler(event: evt.Event) -> None:
        if allow is None:
            return
        calling = event.assoc.requestor.primitive.calling_ae_title
        address = str(event.assoc.requestor.address)
        reason = allow.check(str(calling), address)
        if reason is None:
            return
        log.warning("DICOM %s: association from AE %s at %s refused: %s", service, shown_ae(calling), address,
                    reason)
        event.assoc.acse.send_reject(0x01, 0x01, 0x03)
        time.sleep(0.1)  # let the reject reach the caller before the connection is closed

    return handler
