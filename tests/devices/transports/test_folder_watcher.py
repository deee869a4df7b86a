"""Export-folder watcher: waits for complete files, imports once, quarantines what it can't read."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from ils_desktop.devices.measurement import Measurement
from ils_desktop.devices.protocols import PROTOCOLS, register
from ils_desktop.devices.protocols.base import DeviceProtocol
from ils_desktop.devices.transports.folder_watcher import FolderWatcher

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "devices"


def _watcher(folder: Path, received: list, tmp_path: Path) -> FolderWatcher:  # type: ignore[type-arg]
    return FolderWatcher(folder, on_received=received.append, done=tmp_path / "done",
                         quarantine=tmp_path / "quarantine", state_dir=tmp_path / "state", settle_time=1.0)


def test_a_file_still_being_written_is_imported_once_after_it_settles(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    received: list = []
    watcher = _watcher(folder, received, tmp_path)
    content = (FIXTURES / "joia-ref-topcon-kr800s.xml").read_bytes()
    target = folder / "M-Serial0036_20131206_213127_TOPCON_KR-800S_.xml"
    target.write_bytes(content[:200])  # the device is still writing
    assert watcher.poll(now=0.0) == []
    assert watcher.poll(now=0.5) == []  # unchanged for only half a second: not settled yet
    with target.open("ab") as file:
        file.write(content[200:])
    assert watcher.poll(now=0.9) == []  # it grew: the clock starts again
    assert watcher.poll(now=1.5) == []
    [got] = watcher.poll(now=2.0)
    assert got.error is None and got.patient_id == "C000042"
    assert got.measurements[0].kind.value == "autorefraction"
    assert (tmp_path / "done" / target.name).exists() and not target.exists()
    assert received == [got]


def test_the_same_export_dropped_twice_is_imported_once_even_after_a_restart(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    received: list = []
    fixture = FIXTURES / "joia-tm-topcon-ct800a.xml"
    shutil.copy(fixture, folder / "a.xml")
    watcher = _watcher(folder, received, tmp_path)
    watcher.poll(now=0.0)
    assert len(watcher.poll(now=2.0)) == 1
    restarted = _watcher(folder, received, tmp_path)  # the workstation restarted
    shutil.copy(fixture, folder / "again.xml")
    restarted.poll(now=0.0)
    assert restarted.poll(now=2.0) == []
    assert len(received) == 1


def test_malformed_xml_goes_to_quarantine_with_the_reason(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    received: list = []
    shutil.copy(FIXTURES / "joia-malformed.xml", folder / "broken.xml")
    watcher = _watcher(folder, received, tmp_path)
    watcher.poll(now=0.0)
    [got] = watcher.poll(now=2.0)
    assert "malformed XML" in (got.error or "")
    quarantined = tmp_path / "quarantine" / "broken.xml"
    assert quarantined.exists()
    assert "malformed" in (tmp_path / "quarantine" / "broken.xml.error.txt").read_text()


def test_the_watcher_thread_picks_up_a_dropped_file(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    received: list = []
    watcher = FolderWatcher(folder, on_received=received.append, state_dir=tmp_path / "state",
                            poll_interval=0.05, settle_time=0.2)
    watcher.start()
    try:
        shutil.copy(FIXTURES / "joia-lm-topcon-cl300.xml", folder / "lm.xml")
        deadline = time.monotonic() + 5
        while not received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        watcher.stop()
    assert received and received[0].measurements[0].kind.value == "lensometry"


# --- hostile files ---------------------------------------------------------------------------------


class Exploding(DeviceProtocol):
    """A parser with a bug: stands for any exception a parser should never raise."""

    name = "exploding_test_protocol"

    def sniff(self, data: bytes) -> bool:
        return data.startswith(b"EXPLODE")

    def _parse(self, data: bytes) -> list[Measurement]:
        raise RuntimeError("a parser bug")


@pytest.fixture
def exploding_protocol():  # type: ignore[no-untyped-def]
    protocol = register(Exploding(), before=PROTOCOLS[0].name)
    yield protocol
    PROTOCOLS.remove(protocol)


def test_the_watcher_survives_hostile_files_and_still_imports_the_good_one(tmp_path, exploding_protocol, caplog):
    folder = tmp_path / "exports"
    folder.mkdir()
    private = tmp_path / "private.txt"
    private.write_text("SECRET practice data")
    received: list = []
    watcher = FolderWatcher(folder, on_received=received.append, done=tmp_path / "done",
                            quarantine=tmp_path / "quarantine", state_dir=tmp_path / "state",
                            poll_interval=0.05, settle_time=0.1)
    joia = (FIXTURES / "joia-ref-topcon-kr800s.xml").read_bytes()
    hostile = {
        "link.xml": None,  # a symbolic link to a private file
        "huge.xml": joia + b" " * (5 * 1024 * 1024),
        "codec.xml": joia.replace(b'encoding="UTF-8"', b'encoding="base64"', 1),
        "rot13.xml": joia.replace(b'encoding="UTF-8"', b'encoding="rot13"', 1),
        "garbage.bin": bytes(range(256)) * 4,
        "bug.dat": b"EXPLODE " * 10,
        "fifo.txt": None,  # a named pipe: opening it to read would block forever
    }
    watcher.start()
    try:
        for name, content in hostile.items():
            if name == "link.xml":
                (folder / name).symlink_to(private)
            elif name == "fifo.txt":
                os.mkfifo(folder / name)
            else:
                (folder / name).write_bytes(content)
        deadline = time.monotonic() + 20
        while len(received) < len(hostile) and time.monotonic() < deadline:
            time.sleep(0.05)
        (folder / "good.xml").write_bytes(joia)  # the device's next export, after all that
        while not any(r.error is None for r in received) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert watcher.alive
    finally:
        watcher.stop()
    good = [r for r in received if r.error is None]
    assert len(good) == 1 and good[0].measurements[0].kind.value == "autorefraction"
    assert (tmp_path / "done" / "good.xml").exists()
    reasons = {r.file_path.name: r.error for r in received if r.error is not None}
    assert set(reasons) == set(hostile)
    expected = {
        "link.xml": "symbolic link",
        "huge.xml": "more than the 4,194,304",
        "codec.xml": "not known as a text encoding",
        "rot13.xml": "not known as a text encoding",
        "garbage.bin": "unrecognised device data",
        "bug.dat": "unexpected error",
        "fifo.txt": "not a plain file",
    }
    quarantine = tmp_path / "quarantine"
    for name, words in expected.items():
        assert words in reasons[name], (name, reasons[name])
        assert os.path.lexists(quarantine / name), name
        assert words in (quarantine / f"{name}.error.txt").read_text(), name
    # The link was moved, not followed: the private file is where it was and was never delivered.
    assert (quarantine / "link.xml").is_symlink() and private.read_text() == "SECRET practice data"
    assert not any(b"SECRET" in r.raw for r in received)
    assert not any("SECRET" in record.getMessage() for record in caplog.records)
    assert not any(record.exc_text and "SECRET" in record.exc_text for record in caplog.records)


def test_a_file_that_vanishes_before_it_is_read_is_reported(tmp_path):
    received: list = []
    watcher = FolderWatcher(tmp_path, on_received=received.append, quarantine=tmp_path / "q",
                            state_dir=tmp_path / "state")
    got = watcher._import(tmp_path / "gone.xml")
    assert got is not None and "disappeared" in (got.error or "") and received == [got]
