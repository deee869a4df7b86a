"""Listening to a device on a serial line (pyserial), surviving unplug and replug.

Modes (docs/domain/equipment.md, "Handshake"): ``listen`` — the device sends when the operator
presses PRINT/SEND ("NCP10"); ``nidek-handshake`` — the device first asks
``SOH C** STX RS ETB EOT`` and the PC answers ``SOH <id> STX SD ETB EOT CR`` (``CLM`` lensmeter,
``CRK``/``CRM`` autorefractor, ``CRL`` phoropter) before the data comes. Frames are cut with
:class:`NidekFramer`; one-line formats (Huvitz) are taken when the line goes quiet.

A USB adapter unplugged mid-day shows up as an OSError/SerialException on read; the listener reports
"disconnected", keeps every frame it had completely received, and reopens the port (``port`` may be
a callable that says where the device is now) until it is back.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import serial

from ils_desktop.devices.framing import NidekFramer
from ils_desktop.devices.measurement import Measurement, ParseError
from ils_desktop.devices.protocols import parse
from ils_desktop.devices.transports.received import Received

log = logging.getLogger(__name__)

SOH, STX, ETB, EOT, CR = b"\x01", b"\x02", b"\x17", b"\x04", b"\r"


@dataclass(frozen=True)
class SerialSettings:
    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "E"
    stopbits: int = 1
    rtscts: bool = False
    dtr: bool = True


def is_handshake_request(frame: bytes) -> bool:
    """``SOH C** STX RS ETB EOT`` (some units send ``C`` + two spaces)."""
    return frame.startswith(SOH + b"C") and STX + b"RS" + ETB in frame


def handshake_answer(device_id: str) -> bytes:
    return SOH + device_id.encode("ascii") + STX + b"SD" + ETB + EOT + CR


class SerialListener:
    def __init__(
        self,
        port: str | Callable[[], str],
        *,
        on_received: Callable[[Received], None],
        on_status: Callable[[str], None] = lambda _status: None,
        settings: SerialSettings = SerialSettings(),
        protocol: str = "auto",
        mode: str = "listen",
        handshake_id: str = "CRK",
        reconnect_interval: float = 1.0,
        quiet_after: float = 0.5,
        incomplete_after: float = 2.0,
    ) -> None:
        self._port = port
        self.settings = settings
        self.protocol = protocol
        self.mode = mode
        self.handshake_id = handshake_id
        self.on_received = on_received
        self.on_status = on_status
        self.reconnect_interval = reconnect_interval
        self.quiet_after = quiet_after
        self.incomplete_after = incomplete_after
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.status = "stopped"

    @property
    def port(self) -> str:
        return self._port() if callable(self._port) else self._port

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"serial {self.port}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._set_status("stopped")

    def _set_status(self, status: str) -> None:
        if status != self.status:
            self.status = status
            self.on_status(status)

    def _open(self) -> serial.SerialBase:
        s = self.settings
        line = serial.serial_for_url(self.port, baudrate=s.baudrate, bytesize=s.bytesize, parity=s.parity,
                                     stopbits=s.stopbits, rtscts=s.rtscts, timeout=0.1)
        if s.dtr:
            with contextlib.suppress(OSError, serial.SerialException):  # ptys have no modem lines
                line.dtr = True
        return line

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                line = self._open()
            except (serial.SerialException, OSError, ValueError) as error:
                log.info("serial port %s not available: %s", self.port, error)
                self._set_status("disconnected")
                self._stop.wait(self.reconnect_interval)
                continue
            self._set_status("connected")
            try:
                self._pump(line)
            except (serial.SerialException, OSError) as error:
                log.warning("serial port %s lost: %s", self.port, error)
                self._set_status("disconnected")
            finally:
                with contextlib.suppress(Exception):
                    line.close()
            if not self._stop.is_set():
                self._stop.wait(self.reconnect_interval)

    def _pump(self, line: serial.SerialBase) -> None:
        framer = NidekFramer()
        loose = bytearray()  # bytes outside SOH framing (one-line formats)
        last_byte = time.monotonic()
        while not self._stop.is_set():
            # Wait (up to the timeout) for one byte, then take whatever else has arrived: a plain
            # read(4096) would sit out the whole timeout on every frame.
            chunk = line.read(1)
            if chunk and line.in_waiting:
                chunk += line.read(line.in_waiting)
            now = time.monotonic()
            if chunk:
                last_byte = now
                if SOH[0] in chunk or framer.pending:
                    for frame in framer.feed(chunk):
                        self._frame(line, frame)
                else:
                    loose.extend(chunk)
                continue
            quiet = now - last_byte
            if quiet >= self.quiet_after:
                for frame in framer.flush():
                    self._frame(line, frame)
                if loose.strip():
                    self._deliver(bytes(loose))
                loose.clear()
            if framer.pending and quiet >= self.incomplete_after:
                # The device stopped mid-frame (cable pulled, power cut): say so, keep the bytes.
                self._deliver(framer.reset())

    def _frame(self, line: serial.SerialBase, frame: bytes) -> None:
        if is_handshake_request(frame):
            if self.mode == "nidek-handshake":
                line.write(handshake_answer(self.handshake_id))
                line.flush()
            return
        self._deliver(frame)

    def _deliver(self, raw: bytes) -> None:
        source = f"serial:{self.port}"
        try:
            measurements = parse(raw, self.protocol)
        except ParseError as error:
            received = Received(raw=raw, source=source, error=str(error), protocol=self.protocol)
        except Exception:  # a parser bug must not stop the line; the frame is kept for a person
            log.exception("reading a frame from %s failed unexpectedly", source)
            received = Received(raw=raw, source=source, protocol=self.protocol,
                                error="the frame could not be read (unexpected error); it is kept for checking")
        else:
            protocol = measurements[0].protocol if measurements else self.protocol
            received = Received(raw=raw, source=source, measurements=measurements, protocol=protocol,
                                patient_id=next((m.patient_id for m in measurements if m.patient_id), None))
        try:
            self.on_received(received)
        except Exception:  # the callback's failure must not stop the line
            log.exception("handling a reading from %s failed", source)


# --- testing a line from the Equipment screen -----------------------------------------------------

def available_ports() -> list[tuple[str, str]]:
    """(device, description) of the serial ports present on this computer."""
    from serial.tools import list_ports

    return [(p.device, p.description or p.device) for p in sorted(list_ports.comports(), key=lambda p: p.device)]


@dataclass(frozen=True)
class ConnectionTest:
    """What one press of SEND/PRINT during a test gave: the raw bytes, and what they were read as."""

    raw: bytes
    parsed: list[Measurement]
    error: str | None

    @property
    def summary(self) -> str:
        if not self.raw:
            return self.error or "Nothing was received. Press SEND/PRINT on the device during the test."
        if self.error:
            return f"Received {len(self.raw)} bytes that could not be read: {self.error}"
        return f"Received {len(self.raw)} bytes: {len(self.parsed)} measurement(s) read."


def listen_once(port: str, settings: SerialSettings, *, protocol: str = "auto", seconds: float = 10.0,
                quiet_after: float = 0.8) -> ConnectionTest:
    """Open the port, wait up to ``seconds`` for the device to send, stop when the line goes quiet,
    and parse what arrived. Blocks: run it off the GUI thread."""
    received = bytearray()
    try:
        with serial.serial_for_url(
            port, baudrate=settings.baudrate, bytesize=settings.bytesize, parity=settings.parity,
            stopbits=settings.stopbits, rtscts=settings.rtscts, timeout=0.1,
        ) as line:
            if settings.dtr:
                # Some devices (Nidek RT) only send with DTR asserted; a pseudo-terminal or an
                # adapter without modem lines refuses the ioctl, which is harmless.
                with contextlib.suppress(OSError):
                    line.dtr = True
            deadline = time.monotonic() + seconds
            last_byte = None
            while time.monotonic() < deadline:
                chunk = line.read(4096)
                if chunk:
                    received.extend(chunk)
                    last_byte = time.monotonic()
                elif last_byte is not None and time.monotonic() - last_byte >= quiet_after:
                    break
    except (serial.SerialException, OSError) as error:
        return ConnectionTest(b"", [], f"The port {port} could not be opened: {error}")
    if not received:
        return ConnectionTest(b"", [], None)
    try:
        return ConnectionTest(bytes(received), parse(bytes(received), protocol), None)
    except ParseError as error:
        return ConnectionTest(bytes(received), [], str(error))
