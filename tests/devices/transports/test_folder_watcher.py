"""Export-folder watcher: waits for complete files, imports once, quarantines what it can't read."""

from __future__ import annotations

import shutil
from pathlib import Path

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
    import time

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
