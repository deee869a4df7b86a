"""Watching a device's export folder (USB stick share or network share) for new files.

A file is read only when its size and modification time have stopped changing for ``settle_time``
(the device may still be writing it), once (a ledger of content hashes survives restarts, so the
same export dropped twice is imported once), and a file that cannot be read is moved to the
quarantine folder with a ``.error.txt`` beside it saying why (equipment.md, "Files").
Polling keeps us free of platform file-notification quirks on network shares.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ils_desktop.devices.measurement import ParseError
from ils_desktop.devices.protocols import parse
from ils_desktop.devices.transports.received import Received

log = logging.getLogger(__name__)

PATTERNS = ("*.xml", "*.XML", "*.dcm", "*.DCM", "*.txt", "*.TXT", "*.bin", "*.dat")


class FolderWatcher:
    def __init__(
        self,
        folder: Path,
        *,
        on_received: Callable[[Received], None],
        quarantine: Path | None = None,
        done: Path | None = None,
        state_dir: Path | None = None,
        protocol: str = "auto",
        poll_interval: float = 0.5,
        settle_time: float = 1.0,
    ) -> None:
        self.folder = folder
        self.quarantine = quarantine or folder / "quarantine"
        self.done = done
        self.protocol = protocol
        self.on_received = on_received
        self.poll_interval = poll_interval
        self.settle_time = settle_time
        self.ledger_path = (state_dir or folder / ".ils") / "imported.json"
        self._seen: dict[Path, tuple[int, float, float]] = {}  # path -> (size, mtime, stable since)
        self._handled: dict[Path, tuple[int, float]] = {}  # files left in place after import
        self._imported: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._load_ledger()

    # --- ledger of what was imported (content hashes) --------------------------------------------
    def _load_ledger(self) -> None:
        with contextlib.suppress(FileNotFoundError, ValueError):
            self._imported = set(json.loads(self.ledger_path.read_text(encoding="utf-8")))

    def _save_ledger(self) -> None:
        self.ledger_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.ledger_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(sorted(self._imported)), encoding="utf-8")
        tmp.replace(self.ledger_path)

    # --- running ----------------------------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"folder {self.folder}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll()
            except OSError as error:  # the share went away: keep trying
                log.warning("export folder %s unavailable: %s", self.folder, error)
            self._stop.wait(self.poll_interval)

    def candidates(self) -> list[Path]:
        found: set[Path] = set()
        for pattern in PATTERNS:
            found.update(p for p in self.folder.glob(pattern) if p.is_file())
        return sorted(found)

    def poll(self, now: float | None = None) -> list[Received]:
        """One look at the folder: import every file that has settled. Returns what it handed over."""
        now = time.monotonic() if now is None else now
        delivered: list[Received] = []
        present = set()
        for path in self.candidates():
            present.add(path)
            stat = path.stat()
            size, mtime = stat.st_size, stat.st_mtime
            if self._handled.get(path) == (size, mtime):
                continue
            seen = self._seen.get(path)
            if seen is None or seen[:2] != (size, mtime):
                self._seen[path] = (size, mtime, now)
                continue
            if now - seen[2] < self.settle_time or size == 0:
                continue
            received = self._import(path)
            if received is not None:
                delivered.append(received)
            self._seen.pop(path, None)
            if path.exists():
                self._handled[path] = (size, mtime)
        for gone in (set(self._seen) | set(self._handled)) - present:
            self._seen.pop(gone, None)
            self._handled.pop(gone, None)
        return delivered

    def _import(self, path: Path) -> Received | None:
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        source = f"folder:{path}"
        if digest in self._imported:
            log.info("%s was imported before (same content); not importing it again", path)
            self._move(path, self.done)
            return None
        try:
            measurements = parse(raw, self.protocol)
        except ParseError as error:
            target = self._move(path, self.quarantine)
            if target is not None:
                target.with_name(target.name + ".error.txt").write_text(str(error), encoding="utf-8")
            received = Received(raw=raw, source=source, error=str(error), file_path=target or path)
        else:
            self._imported.add(digest)
            self._save_ledger()
            target = self._move(path, self.done)
            received = Received(raw=raw, source=source, measurements=measurements, file_path=target or path,
                                protocol=measurements[0].protocol if measurements else None,
                                patient_id=next((m.patient_id for m in measurements if m.patient_id), None))
        try:
            self.on_received(received)
        except Exception:
            log.exception("handling %s failed", path)
        return received

    @staticmethod
    def _move(path: Path, folder: Path | None) -> Path | None:
        if folder is None:
            return None
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / path.name
        if target.exists():
            target = folder / f"{path.stem}-{int(time.time() * 1000)}{path.suffix}"
        shutil.move(str(path), target)
        return target
