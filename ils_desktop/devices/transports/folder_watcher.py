"""Watching a device's export folder (USB stick share or network share) for new files.

A file is read only when its size and modification time have stopped changing for ``settle_time``
(the device may still be writing it), once (a ledger of content hashes survives restarts, so the
same export dropped twice is imported once). Polling keeps us free of platform file-notification
quirks on network shares.

The folder is writable by anything on the share, so the watcher trusts nothing in it and **never
stops**: every file it cannot import - unparseable, over the size cap
(``devices.plausibility.MAX_INPUT_BYTES``), a symbolic link or anything but a plain file (refused
without being followed or opened), unreadable, vanished mid-read, or one that made the parser fail
unexpectedly - is moved to the quarantine folder with a ``<name>.error.txt`` beside it saying why,
and handed on as a reading with that error, so it appears in the unmatched readings inbox. An
unexpected exception is logged without the file's content and the loop carries on with the next
file. Log lines name the folder, never a file's content (file names can carry patient ids).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import shutil
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ils_desktop.devices.measurement import ParseError, one_line
from ils_desktop.devices.plausibility import MAX_INPUT_BYTES
from ils_desktop.devices.protocols import parse
from ils_desktop.devices.transports.received import Received

log = logging.getLogger(__name__)

PATTERNS = ("*.xml", "*.XML", "*.dcm", "*.DCM", "*.txt", "*.TXT", "*.bin", "*.dat")
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)  # POSIX: opening a symlink fails instead of following it


class Refused(Exception):
    """A file the watcher will not import; the message is the reason shown to people."""


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
                log.warning("export folder %s unavailable: %s", self.folder, error.strerror or type(error).__name__)
            except Exception:  # never let one bad poll end the watching; poll() already guards each file
                log.exception("export folder %s: unexpected error while polling; carrying on", self.folder)
            self._stop.wait(self.poll_interval)

    @property
    def alive(self) -> bool:
        """Whether the watching thread is running (for the status display and tests)."""
        return self._thread is not None and self._thread.is_alive()

    def candidates(self) -> list[Path]:
        """Entries matching :data:`PATTERNS` that are not folders, symlinks included (without
        following them: they are refused later, not read)."""
        found: set[Path] = set()
        for pattern in PATTERNS:
            for path in self.folder.glob(pattern):
                with contextlib.suppress(OSError):
                    if not stat.S_ISDIR(path.lstat().st_mode):
                        found.add(path)
        return sorted(found)

    def poll(self, now: float | None = None) -> list[Received]:
        """One look at the folder: import every file that has settled. Returns what it handed over."""
        now = time.monotonic() if now is None else now
        delivered: list[Received] = []
        present = set()
        for path in self.candidates():
            present.add(path)
            try:
                received = self._consider(path, now)
            except Exception:  # a bug or an odd file must not stop the watcher: quarantine and go on
                log.exception("export folder %s: unexpected error on a file; it is quarantined", self.folder)
                received = self._reject(path, b"", "the file could not be handled (unexpected error); it was "
                                                   "set aside")
                self._seen.pop(path, None)
            if received is not None:
                delivered.append(received)
        for gone in (set(self._seen) | set(self._handled)) - present:
            self._seen.pop(gone, None)
            self._handled.pop(gone, None)
        return delivered

    def _consider(self, path: Path, now: float) -> Received | None:
        """Import ``path`` if it has settled; refuse it if it is not a plain file of sane size."""
        try:
            info = path.lstat()
        except FileNotFoundError:
            return None  # gone between listing and looking: nothing was started on it
        size, mtime = info.st_size, info.st_mtime
        if self._handled.get(path) == (size, mtime):
            return None
        if stat.S_ISLNK(info.st_mode):
            return self._finish(path, size, mtime, self._reject(
                path, b"", "the file is a symbolic link; device exports are plain files, so it was not followed"))
        if not stat.S_ISREG(info.st_mode):
            return self._finish(path, size, mtime, self._reject(path, b"", "not a plain file; it was not opened"))
        if size > MAX_INPUT_BYTES:
            return self._finish(path, size, mtime, self._reject(
                path, b"", f"the file is {size:,} bytes, more than the {MAX_INPUT_BYTES:,} a device export ever "
                           "is; it was not read"))
        seen = self._seen.get(path)
        if seen is None or seen[:2] != (size, mtime):
            self._seen[path] = (size, mtime, now)
            return None
        if now - seen[2] < self.settle_time or size == 0:
            return None
        return self._finish(path, size, mtime, self._import(path))

    def _finish(self, path: Path, size: int, mtime: float, received: Received | None) -> Received | None:
        self._seen.pop(path, None)
        if os.path.lexists(path):  # could not be moved (a read-only share): do not handle it again
            self._handled[path] = (size, mtime)
        return received

    @staticmethod
    def _read(path: Path) -> bytes:
        """The file's bytes, refusing a symlink swapped in since it was listed and anything oversized."""
        try:
            fd = os.open(path, os.O_RDONLY | _NO_FOLLOW | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            raise Refused("the file disappeared before it could be read") from None
        except OSError as error:
            if path.is_symlink():
                raise Refused("the file is a symbolic link; device exports are plain files, so it was not "
                              "followed") from None
            why = one_line(error.strerror or type(error).__name__)
            raise Refused(f"the file could not be opened ({why})") from None
        with os.fdopen(fd, "rb") as file:
            info = os.fstat(file.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise Refused("not a plain file; it was not read")
            data = file.read(MAX_INPUT_BYTES + 1)
        if len(data) > MAX_INPUT_BYTES:
            raise Refused(f"the file is more than the {MAX_INPUT_BYTES:,} bytes a device export ever is; it was "
                          "not read")
        return data

    def _import(self, path: Path) -> Received | None:
        source = f"folder:{path}"
        try:
            raw = self._read(path)
        except Refused as refused:
            return self._reject(path, b"", str(refused))
        digest = hashlib.sha256(raw).hexdigest()
        if digest in self._imported:
            log.info("export folder %s: a file with the same content was imported before; not again", self.folder)
            self._move(path, self.done)
            return None
        try:
            measurements = parse(raw, self.protocol)
        except ParseError as error:
            return self._reject(path, raw, str(error))
        self._imported.add(digest)
        self._save_ledger()
        target = self._move(path, self.done)
        received = Received(raw=raw, source=source, measurements=measurements, file_path=target or path,
                            protocol=measurements[0].protocol if measurements else None,
                            patient_id=next((m.patient_id for m in measurements if m.patient_id), None),
                            patient_name=next((m.patient_name for m in measurements if m.patient_name), None),
                            patient_birth_date=next(
                                (m.patient_birth_date for m in measurements if m.patient_birth_date), None))
        self._deliver(received)
        return received

    def _reject(self, path: Path, raw: bytes, reason: str) -> Received:
        """Quarantine ``path`` with a reason file, and hand the failure on (it goes to the inbox)."""
        reason = one_line(reason)
        target: Path | None = None
        try:
            target = self._move(path, self.quarantine)
        except FileNotFoundError:
            reason = f"{reason} (the file then disappeared)"
        except OSError as error:
            log.warning("export folder %s: a refused file could not be moved to quarantine: %s", self.folder,
                        error.strerror or type(error).__name__)
        if target is not None:
            with contextlib.suppress(OSError):
                target.with_name(target.name + ".error.txt").write_text(reason + "\n", encoding="utf-8")
        log.warning("export folder %s: a file was quarantined: %s", self.folder, reason.split(":")[0][:120])
        received = Received(raw=raw, source=f"folder:{path}", error=reason, file_path=target or path)
        self._deliver(received)
        return received

    def _deliver(self, received: Received) -> None:
        try:
            self.on_received(received)
        except Exception:
            log.exception("export folder %s: storing a reading failed", self.folder)

    def _move(self, path: Path, folder: Path | None) -> Path | None:
        if folder is None:
            return None
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            # Someone with write access to the share could point it anywhere: do not move files there.
            raise NotADirectoryError(f"{folder.name} is not a plain folder")
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / path.name
        if os.path.lexists(target):
            target = folder / f"{path.stem}-{int(time.time() * 1000)}{path.suffix}"
        # os.rename moves a symlink itself, never its target; shutil.move for another file system.
        try:
            os.rename(path, target)
        except OSError as error:
            if error.errno != errno.EXDEV:  # another file system: copy and delete instead
                raise
            shutil.move(str(path), target)
        return target
