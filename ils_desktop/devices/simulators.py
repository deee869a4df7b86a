"""Simulated devices that speak the real protocols: for tests, demos, and practices without the
hardware. Values are plausible for an adult population (myopes and hyperopes, modest astigmatism,
presbyopic adds, normal IOP) and each simulator can be seeded for repeatable output."""

from __future__ import annotations

import contextlib
import os
import random
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from ils_desktop.devices.measurement import EyeValues
from ils_desktop.devices.simulated_frames import (
    joia_ref_xml,
    nidek_ark_frame,
    nidek_kerato_frame,
    nidek_lensmeter_frame,
    nidek_rt_frame,
    nidek_tonometer_frame,
)

QUARTER = Decimal("0.25")


def _quarter(rng: random.Random, low: str, high: str) -> Decimal:
    steps = int((Decimal(high) - Decimal(low)) / QUARTER)
    return (Decimal(low) + QUARTER * rng.randint(0, steps)).quantize(Decimal("0.01"))


def _sca(rng: random.Random, spherical: Decimal | None = None) -> EyeValues:
    sphere = spherical if spherical is not None else _quarter(rng, "-6.00", "4.00")
    cylinder = -_quarter(rng, "0.00", "2.00")
    axis = rng.randint(1, 180) if cylinder else None
    return EyeValues(sphere=sphere, cylinder=cylinder if cylinder else Decimal("0.00"), axis=axis)


def _jitter(rng: random.Random, values: EyeValues) -> EyeValues:
    """An autorefractor's repeated readings differ by a few hundredths of a dioptre."""
    def wobble(value: Decimal | None) -> Decimal | None:
        return None if value is None else value + Decimal(rng.choice(("-0.12", "-0.05", "0.00", "0.05", "0.12")))

    axis = None if values.axis is None else ((values.axis + rng.randint(-4, 4) - 1) % 180) + 1
    return EyeValues(sphere=wobble(values.sphere), cylinder=min(wobble(values.cylinder) or Decimal(0), Decimal(0)),
                     axis=axis)


def lensmeter_frame(rng: random.Random) -> bytes:
    add = _quarter(rng, "1.00", "2.75")
    return nidek_lensmeter_frame({eye: _with_add(_sca(rng), add) for eye in ("R", "L")})


def _with_add(values: EyeValues, add: Decimal) -> EyeValues:
    from dataclasses import replace

    return replace(values, add=add)


def autorefractor_frame(rng: random.Random, *, with_kerato: bool = True) -> bytes:
    eyes = {eye: _sca(rng) for eye in ("R", "L")}
    readings = {eye: [_jitter(rng, values) for _ in range(3)] for eye, values in eyes.items()}
    frame = nidek_ark_frame(readings, pd_distance=rng.randint(58, 70), pd_near=rng.randint(54, 66))
    if with_kerato:
        kerato = {}
        for eye in ("R", "L"):
            r1 = Decimal(rng.randint(740, 820)) / 100
            axis = rng.randint(1, 180)
            kerato[eye] = [EyeValues(k1_radius_mm=r1, k2_radius_mm=r1 - Decimal(rng.randint(0, 20)) / 100,
                                     k1_axis=axis, k2_axis=(axis + 89) % 180 + 1)]
        frame += nidek_kerato_frame(kerato, model="ARK-1a")
    return frame


def tonometer_frame(rng: random.Random) -> bytes:
    readings = {eye: [Decimal(rng.randint(11, 21)) for _ in range(3)] for eye in ("R", "L")}
    return nidek_tonometer_frame(readings)


def phoropter_frame(rng: random.Random) -> bytes:
    add = _quarter(rng, "1.00", "2.75")
    final = {eye: _with_add(_sca(rng), add) for eye in ("R", "L")}
    return nidek_rt_frame(final, va={"R": Decimal("1.0"), "L": Decimal("1.0")}, pd_distance=Decimal("63.0"),
                          pd_near=Decimal("60.0"), when=datetime.now(UTC))


def joia_file(rng: random.Random, *, patient_id: str | None = None) -> bytes:
    eyes = {eye: _sca(rng) for eye in ("R", "L")}
    readings = {eye: [_jitter(rng, values) for _ in range(3)] for eye, values in eyes.items()}
    return joia_ref_xml(readings, patient_id=patient_id, taken_at=datetime.now(UTC),
                        pd_distance=Decimal("63.0"), pd_near=Decimal("59.0"))


FRAMES = {
    "lensmeter": lensmeter_frame,
    "autorefractor": autorefractor_frame,
    "keratometer": autorefractor_frame,
    "tonometer": tonometer_frame,
    "phoropter": phoropter_frame,
}


def write_to_port(port: str, frames: list[bytes], *, interval: float = 1.0, handshake: str | None = None) -> None:
    """Send frames as the device would, on a serial port or pty path (or a ``loop://`` URL)."""
    import serial

    with serial.serial_for_url(port, baudrate=9600, timeout=2) as line:
        for frame in frames:
            if handshake:
                # Play the device's side of the NIDEK handshake: ask, wait for the PC's SD answer.
                line.write(b"\x01C**\x02RS\x17\x04")
                answer = line.read_until(b"\r")
                if b"SD" not in answer:
                    raise TimeoutError("the PC did not answer the NIDEK handshake")
            line.write(frame)
            line.flush()
            time.sleep(interval)


def drop_file(folder: Path, content: bytes, *, name: str, slow: bool = False) -> Path:
    """Write an export file the way devices do: all at once, or slowly in pieces (``slow``)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if not slow:
        tmp = folder / f".{name}.part"
        tmp.write_bytes(content)
        os.replace(tmp, target)
        return target
    with target.open("wb") as file:
        for start in range(0, len(content), 256):
            file.write(content[start:start + 256])
            file.flush()
            time.sleep(0.2)
    return target


class NullModem:
    """Two pseudo-terminals joined like a null-modem cable: what is written to one end's path is
    read at the other's. ``ils-desktop devices simulate`` writes to one end while ILS Desktop
    listens on the other — a practice (or a test) without the hardware exercises the real path."""

    def __init__(self) -> None:
        import threading

        self._fds = [os.openpty(), os.openpty()]
        self.ends = (os.ttyname(self._fds[0][1]), os.ttyname(self._fds[1][1]))
        self._running = True
        self._thread = threading.Thread(target=self._bridge, name="null modem", daemon=True)
        self._thread.start()

    def _bridge(self) -> None:
        import select

        a, b = self._fds[0][0], self._fds[1][0]
        while self._running:
            try:
                ready, _, _ = select.select([a, b], [], [], 0.1)
                for fd in ready:
                    data = os.read(fd, 4096)
                    os.write(b if fd == a else a, data)
            except OSError:
                if not self._running:
                    return
                time.sleep(0.05)  # an end was closed by its user; keep the cable for the next open

    def close(self) -> None:
        self._running = False
        self._thread.join(1)
        for master, slave in self._fds:
            for fd in (master, slave):
                with contextlib.suppress(OSError):
                    os.close(fd)

    def __enter__(self) -> NullModem:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
