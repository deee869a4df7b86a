"""Storage driven by DCMTK's ``storescu -R`` as a device would: each SOP class the practice meets,
in the compressed transfer syntaxes devices use (some made by DCMTK's own encoders), several objects
in one association, an unknown AE refused, and an image whose header lies about its size refused
before any decoding."""

from __future__ import annotations

import random
import subprocess
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.uid import JPEG2000Lossless, JPEGBaseline8Bit, RLELossless

from ils_desktop.devices.imaging import synthetic
from ils_desktop.devices.imaging.content_store import ContentStore
from ils_desktop.devices.imaging.dicom_object import open_object
from ils_desktop.devices.measurement import EyeValues, MeasurementKind
from ils_desktop.devices.simulated_frames import dicom_measurement_dataset
from ils_desktop.devices.transports.dicom_access import CallerAllowList, RegisteredCaller
from ils_desktop.devices.transports.dicom_scp import STATUS_CANNOT_UNDERSTAND, StorageSCP
from tests.devices.transports.dcmtk import free_port, need_dcmtk

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

WHEN = datetime(2026, 12, 7, 10, 15)
SUBJECT = synthetic.Subject(patient_id="C000042", name="O'BRIEN^ZOE")


@pytest.fixture(scope="module")
def scp(tmp_path_factory):  # type: ignore[no-untyped-def]
    need_dcmtk()
    received: list = []
    allow = CallerAllowList(lambda: [RegisteredCaller("FUNDUS1"), RegisteredCaller("OCT1"),
                                     RegisteredCaller("FIELD1")], ttl=60)
    server = StorageSCP(ae_title="ILS", host="127.0.0.1", port=free_port(),
                        storage_dir=tmp_path_factory.mktemp("store"), on_received=received.append, allow=allow)
    server.start()
    server.received = received  # type: ignore[attr-defined]
    yield server
    server.stop()


# storescu proposes a compressed transfer syntax only when told which (its -x options).
PROPOSE = {"1.2.840.10008.1.2.4.50": "-xy", "1.2.840.10008.1.2.4.70": "-xs", "1.2.840.10008.1.2.4.90": "-xv",
           "1.2.840.10008.1.2.4.80": "-xt", "1.2.840.10008.1.2.5": "-xr"}


def storescu(port: int, files: list[Path], *, calling: str = "FUNDUS1") -> subprocess.CompletedProcess[str]:
    syntaxes = {str(dcmread(f, stop_before_pixels=True).file_meta.TransferSyntaxUID) for f in files}
    options = sorted({PROPOSE[s] for s in syntaxes if s in PROPOSE})
    assert len(options) <= 1, "storescu proposes one compressed transfer syntax at a time"
    return subprocess.run(["storescu", "-v", "-R", *options, "-aet", calling, "-aec", "ILS", "127.0.0.1", str(port),
                           *map(str, files)], capture_output=True, text=True, timeout=60)


def _file(ds: Dataset, folder: Path, name: str) -> Path:
    path = folder / f"{name}.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path


def _dcmtk_encode(tool: list[str], source: Path, target: Path) -> Path:
    subprocess.run([*tool, str(source), str(target)], check=True, capture_output=True, timeout=60)
    return target


def _objects(folder: Path) -> dict[str, tuple[Path, Dataset]]:
    rng = random.Random(5)
    photo8 = synthetic.fundus_photograph(rng, SUBJECT, WHEN, size=256)
    photo16 = synthetic.fundus_photograph(rng, SUBJECT, WHEN, size=256, sixteen_bit=True)
    oct_ = synthetic.oct_volume(rng, SUBJECT, WHEN, frames=6, rows=96, columns=128)
    made = {
        "OP 8-bit uncompressed": photo8,
        "OP 8-bit JPEG baseline": synthetic.compressed(photo8, JPEGBaseline8Bit),
        "OP 16-bit JPEG 2000 lossless": synthetic.compressed(photo16, JPEG2000Lossless),
        "OP 16-bit RLE": synthetic.compressed(photo16, RLELossless),
        "OCT RLE": synthetic.compressed(oct_, RLELossless),
        "OCT JPEG baseline": synthetic.compressed(oct_, JPEGBaseline8Bit),
        "Encapsulated PDF": synthetic.field_report_pdf(rng, SUBJECT, WHEN),
        "Visual field 80.1": synthetic.visual_field(rng, SUBJECT, WHEN),
        "Autorefraction 78.2": dicom_measurement_dataset(
            MeasurementKind.AUTOREFRACTION, {"R": EyeValues(sphere=-1, cylinder=-0.5, axis=90)},  # type: ignore[arg-type]
            patient_id="C000042"),
    }
    out = {name: (_file(ds, folder, f"o{i}"), ds) for i, (name, ds) in enumerate(made.items())}
    source16 = _file(photo16, folder, "photo16")
    out["OP 16-bit JPEG lossless SV1 (dcmcjpeg)"] = (
        _dcmtk_encode(["dcmcjpeg", "+e1"], source16, folder / "jpegls1.dcm"), photo16)
    out["OP 16-bit JPEG-LS lossless (dcmcjpls)"] = (
        _dcmtk_encode(["dcmcjpls", "+el"], source16, folder / "jpegls.dcm"), photo16)
    return out


@pytest.fixture(scope="module")
def objects(tmp_path_factory):  # type: ignore[no-untyped-def]
    need_dcmtk()
    return _objects(tmp_path_factory.mktemp("objects"))


CASES = ["OP 8-bit uncompressed", "OP 8-bit JPEG baseline", "OP 16-bit JPEG 2000 lossless", "OP 16-bit RLE",
         "OP 16-bit JPEG lossless SV1 (dcmcjpeg)", "OP 16-bit JPEG-LS lossless (dcmcjpls)", "OCT RLE",
         "OCT JPEG baseline", "Encapsulated PDF", "Visual field 80.1", "Autorefraction 78.2"]


@pytest.mark.parametrize("case", CASES)
def test_storescu_stores_each_object_and_it_decodes(scp, objects, case):  # type: ignore[no-untyped-def]
    path, original = objects[case]
    before = len(scp.received)
    done = storescu(scp.port, [path])
    assert done.returncode == 0 and "Received Store Response (Success)" in done.stderr + done.stdout, done.stderr
    got = scp.received[before]
    assert got.facts.sop_instance_uid == str(original.SOPInstanceUID)
    if got.facts.kind != "measurement":  # (the simulated refraction object has its own date)
        assert got.facts.acquired_at == WHEN
    opened = open_object(ContentStore(scp.storage_dir).read(got.content_sha256))
    kind = got.facts.kind
    if kind in ("photograph", "tomography"):
        assert (got.facts.rows, got.facts.columns) == (original.Rows, original.Columns)
        frame = opened.frame(got.facts.frames - 1)
        expected = original.pixel_array[-1] if got.facts.frames > 1 else original.pixel_array
        if "JPEG baseline" in case:  # lossy: close, not equal
            assert np.abs(frame.astype(int) - expected.astype(int)).mean() < 8
        else:
            assert np.array_equal(frame, expected)
    elif kind == "document":
        assert opened.pdf().startswith(b"%PDF-")
    elif kind == "visual_field":
        assert len(opened.field_points()) == 54
    else:
        assert got.measurements and got.measurements[0].kind is MeasurementKind.AUTOREFRACTION


def test_many_objects_in_one_association(scp, objects):  # type: ignore[no-untyped-def]
    files = [objects[c][0] for c in ("OP 16-bit RLE", "OCT RLE", "Encapsulated PDF", "Visual field 80.1")]
    before = len(scp.received)
    done = storescu(scp.port, files, calling="OCT1")
    assert done.returncode == 0, done.stderr
    assert (done.stderr + done.stdout).count("Received Store Response (Success)") == 4
    assert len(scp.received) == before + 4
    assert {r.dicom["calling_ae_title"] for r in scp.received[before:]} == {"OCT1"}


def test_an_unknown_ae_is_refused(scp, objects):  # type: ignore[no-untyped-def]
    before = len(scp.received)
    done = storescu(scp.port, [objects["OP 8-bit uncompressed"][0]], calling="INTRUDER")
    assert done.returncode != 0
    assert "Association Rejected" in done.stderr + done.stdout
    assert len(scp.received) == before


def test_a_lying_header_is_refused_before_decoding(scp, objects, tmp_path):  # type: ignore[no-untyped-def]
    _path, photo = objects["OP 8-bit uncompressed"]
    liar = photo.copy()
    liar.SOPInstanceUID = "1.2.3.4.5.6.7"
    liar.file_meta = photo.file_meta.copy()
    liar.file_meta.MediaStorageSOPInstanceUID = liar.SOPInstanceUID
    liar.Rows, liar.Columns, liar.NumberOfFrames = 16384, 16384, 2000  # 1.5 TB of pixels claimed
    before = len(scp.received)
    done = storescu(scp.port, [_file(liar, tmp_path, "liar")])
    assert "CannotUnderstand" in done.stderr + done.stdout or f"0x{STATUS_CANNOT_UNDERSTAND:04x}" in (
        done.stderr + done.stdout).lower()
    assert len(scp.received) == before
    assert "frames" in scp.refused[-1] or "budget" in scp.refused[-1]


def test_deflated_explicit_vr_is_accepted(scp, objects):  # type: ignore[no-untyped-def]
    path, original = objects["Visual field 80.1"]
    before = len(scp.received)
    done = subprocess.run(["storescu", "-v", "-R", "-xd", "-aet", "FIELD1", "-aec", "ILS", "127.0.0.1",
                           str(scp.port), str(path)], capture_output=True, text=True, timeout=60)
    assert "Deflated" in done.stdout + done.stderr and done.returncode == 0, done.stderr
    got = scp.received[before]
    assert got.facts.transfer_syntax_uid == "1.2.840.10008.1.2.1.99"
    opened = open_object(ContentStore(scp.storage_dir).read(got.content_sha256))
    assert len(opened.field_points()) == 54 and str(opened.dataset.SOPInstanceUID) == str(original.SOPInstanceUID)
