"""Serial listener through real pseudo-terminals: frames, noise, handshake, unplug and replug."""

from __future__ import annotations

import contextlib
import os
import queue
import time
from pathlib import Path

import pytest

from ils_desktop.devices.transports.serial_listener import SerialListener, handshake_answer

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "devices"


class FakeUsbAdapter:
    """A pty pair standing in for a USB serial adapter that can be unplugged and plugged back."""

    def __init__(self) -> None:
        self.plug_in()

    def plug_in(self) -> None:
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)

    def unplug(self) -> None:
        os.close(self.master)
        os.close(self.slave)

    def device_sends(self, data: bytes) -> None:
        os.write(self.master, data)

    def device_reads(self, timeout: float = 3.0) -> bytes:
        import select

        ready, _, _ = select.select([self.master], [], [], timeout)
        return os.read(self.master, 1024) if ready else b""


@pytest.fixture
def adapter():
    adapter = FakeUsbAdapter()
    yield adapter
    for fd in (adapter.master, adapter.slave):
        with contextlib.suppress(OSError):
            os.close(fd)


def _listener(adapter: FakeUsbAdapter, **kw) -> tuple[SerialListener, queue.Queue, list[str]]:  # type: ignore[no-untyped-def]
    received: queue.Queue = queue.Queue()
    statuses: list[str] = []
    listener = SerialListener(lambda: adapter.path, on_received=received.put, on_status=statuses.append,
                              reconnect_interval=0.1, quiet_after=0.3, incomplete_after=0.8, **kw)
    listener.start()
    deadline = time.monotonic() + 5
    while listener.status != "connected" and time.monotonic() < deadline:
        time.sleep(0.02)
    return listener, received, statuses


def test_frames_arrive_as_measurements_through_noise_and_split_writes(adapter):
    listener, received, _ = _listener(adapter)
    try:
        lens = (FIXTURES / "nidek-lm-right-left.bin").read_bytes()
        ark = (FIXTURES / "nidek-ark-refraction-kerato.bin").read_bytes()
        adapter.device_sends(b"\x00\xffnoise" + lens[:20])
        time.sleep(0.05)
        adapter.device_sends(lens[20:] + ark)
        got = [received.get(timeout=5) for _ in range(3)]
    finally:
        listener.stop()
    kinds = [m.kind.value for r in got for m in r.measurements]
    assert kinds == ["lensometry", "autorefraction", "keratometry"]
    assert got[0].raw == lens and got[0].error is None
    assert got[0].measurements[0].eye("R").sphere == pytest.approx(-2.25)  # Decimal compares exactly too


def test_a_truncated_frame_is_reported_with_its_raw_bytes(adapter):
    listener, received, _ = _listener(adapter)
    try:
        truncated = (FIXTURES / "nidek-lm-truncated.bin").read_bytes()
        adapter.device_sends(truncated)
        got = received.get(timeout=5)
    finally:
        listener.stop()
    assert got.measurements == [] and "incomplete frame" in (got.error or "")
    assert got.raw == truncated


def test_nidek_handshake_is_answered_before_the_data(adapter):
    listener, received, _ = _listener(adapter, mode="nidek-handshake", handshake_id="CLM")
    try:
        adapter.device_sends(b"\x01C**\x02RS\x17\x04")
        answer = adapter.device_reads()
        assert answer == handshake_answer("CLM")
        adapter.device_sends((FIXTURES / "nidek-lm-right-left.bin").read_bytes())
        got = received.get(timeout=5)
    finally:
        listener.stop()
    assert got.measurements[0].kind.value == "lensometry"


def test_unplug_and_replug_loses_no_complete_reading(adapter):
    listener, received, statuses = _listener(adapter)
    lens = (FIXTURES / "nidek-lm-right-left.bin").read_bytes()
    tono = (FIXTURES / "nidek-tonometer.bin").read_bytes()
    try:
        adapter.device_sends(lens)
        first = received.get(timeout=5)
        adapter.unplug()  # the USB lead is pulled out
        deadline = time.monotonic() + 5
        while "disconnected" not in statuses and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "disconnected" in statuses
        adapter.plug_in()  # plugged back in: a new device node
        deadline = time.monotonic() + 5
        while statuses[-1] != "connected" and time.monotonic() < deadline:
            time.sleep(0.02)
        adapter.device_sends(tono)
        second = received.get(timeout=5)
    finally:
        listener.stop()
    assert first.measurements[0].kind.value == "lensometry"
    assert second.measurements[0].kind.value == "tonometry"
    assert statuses.count("connected") >= 2
