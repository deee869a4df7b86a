"""Driving DCMTK (a DICOM toolkit we did not write) from the tests: ``findscu -W`` against the
worklist, ``storescu`` against storage, and DCMTK's own ``wlmscpfs`` over the same worklist entries as
the reference."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from ils_desktop.devices.transports.dicom_worklist import WorklistEntry, entry_dataset

TOOLS = ("findscu", "storescu", "wlmscpfs", "storescp", "echoscu")


def need_dcmtk() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"DCMTK is not installed here ({', '.join(missing)} missing; apt-get install dcmtk)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise TimeoutError(f"nothing listening on {port}")


def findscu(port: int, keys: list[str], out: Path, *, calling: str = "ARK1", called: str = "ILS"
            ) -> tuple[list[Dataset], subprocess.CompletedProcess[str]]:
    """``findscu -W`` with ``keys`` (``-k`` values); the responses it extracted, in order."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    command = ["findscu", "-W", "-v", "-X", "-od", str(out), "-aet", calling, "-aec", called]
    for key in keys:
        command += ["-k", key]
    done = subprocess.run([*command, "127.0.0.1", str(port)], capture_output=True, text=True, timeout=30)
    return [dcmread(p) for p in sorted(out.glob("rsp*.dcm"))], done


def write_worklist_files(entries: list[WorklistEntry], folder: Path, ae_title: str = "ILS") -> Path:
    """The entries as ``.wl`` files in ``folder/<AE>``, as ``wlmscpfs -dfp folder`` reads them."""
    target = folder / ae_title
    target.mkdir(parents=True, exist_ok=True)
    (target / "lockfile").touch()
    for number, entry in enumerate(entries):
        ds = entry_dataset(entry)
        ds.SpecificCharacterSet = "ISO_IR 192"
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.31"
        ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.save_as(target / f"entry{number:05d}.wl", enforce_file_format=True)
    return folder


class Wlmscpfs:
    """DCMTK's reference worklist SCP over a folder of ``.wl`` files."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Wlmscpfs:
        self.process = subprocess.Popen(["wlmscpfs", "-dfp", str(self.folder), "-dfr", str(self.port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listening(self.port)
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(5)
