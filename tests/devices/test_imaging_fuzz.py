"""Hostile image files for the parser paths the imaging code adds (``dicom_object.open_object`` and
``frame``, ``field_points``, ``pdf``; the content store's digest-to-path): bit flips, truncation,
lying lengths, headers claiming huge images, damaged compressed streams. The only outcomes allowed
are a result or :class:`ObjectProblem` — never another exception, never a huge allocation — and
no path ever leaves the store."""

from __future__ import annotations

import io
import random
import struct
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.uid import JPEG2000Lossless, JPEGBaseline8Bit, RLELossless

from ils_desktop.devices.imaging import synthetic
from ils_desktop.devices.imaging.content_store import ContentStore
from ils_desktop.devices.imaging.dicom_object import ObjectProblem, open_object
from ils_desktop.domain.imaging import MAX_DECODED_BYTES, PixelGeometry, pixel_problem

pytestmark = pytest.mark.filterwarnings("ignore")


def _bytes(ds) -> bytes:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def _seeds() -> list[bytes]:
    rng = random.Random(11)
    subject = synthetic.Subject()
    when = datetime(2026, 12, 7, 9, 0)
    photo = synthetic.fundus_photograph(rng, subject, when, size=64)
    photo16 = synthetic.fundus_photograph(rng, subject, when, size=64, sixteen_bit=True)
    oct_ = synthetic.oct_volume(rng, subject, when, frames=3, rows=32, columns=32)
    return [_bytes(d) for d in (
        photo, synthetic.compressed(photo, JPEGBaseline8Bit), synthetic.compressed(photo16, JPEG2000Lossless),
        synthetic.compressed(oct_, RLELossless), synthetic.visual_field(rng, subject, when),
        synthetic.field_report_pdf(rng, subject, when))]


SEEDS = _seeds()


def _exercise(data: bytes) -> None:
    try:
        opened = open_object(data)
    except ObjectProblem:
        return
    for use in (lambda: opened.frame(0), lambda: opened.frame((opened.facts.frames or 1) - 1), opened.pdf,
                opened.field_points):
        try:
            result = use()
        except ObjectProblem:
            continue
        if hasattr(result, "nbytes"):
            assert result.nbytes <= MAX_DECODED_BYTES


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "length"]))
        at = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            del data[max(at, 140):]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 16))]
        else:  # a lying 32-bit length somewhere after the preamble
            at = max(at, 132)
            data[at:at + 4] = struct.pack("<I", draw(st.sampled_from([0xFFFFFFFF, 0x7FFFFFFF, 1 << 30, 3, 0])))
    return bytes(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(_mutated())
def test_damaged_files_are_refused_or_read_never_crash(data: bytes) -> None:
    _exercise(data)


@pytest.mark.parametrize(("rows", "columns", "frames"), [
    (65535, 65535, 1), (16384, 16384, 2), (4000, 4000, 2048), (0, 512, 1), (512, 512, 0), (512, 512, 1 << 20),
])
def test_a_header_claiming_a_huge_image_is_refused_before_decoding(rows: int, columns: int, frames: int) -> None:
    ds = synthetic.fundus_photograph(random.Random(1), synthetic.Subject(), datetime(2026, 1, 1), size=16,
                                     sixteen_bit=True)
    ds.Rows, ds.Columns, ds.NumberOfFrames = rows, columns, frames
    with pytest.raises(ObjectProblem, match=r"refused|no image size"):
        open_object(_bytes(ds))


def test_the_pixel_budget() -> None:
    assert pixel_problem(PixelGeometry(4000, 4000, 1, 1, 16)) is None  # the 16-bit 4,000 x 4,000 photograph
    assert pixel_problem(PixelGeometry(6000, 4000, 1, 3, 8)) is None  # a 24-megapixel colour photograph
    assert pixel_problem(PixelGeometry(1024, 496, 128, 1, 8)) is None  # an OCT cube
    assert pixel_problem(PixelGeometry(16384, 16384, 1, 3, 16)) is not None
    assert pixel_problem(PixelGeometry(512, 512, 1, 4, 8)) is not None  # not an ophthalmic image


@pytest.mark.parametrize("digest", ["../../etc/passwd", "/etc/passwd", "a" * 63, "A" * 64, "g" * 64,
                                    "0" * 64 + "/..", "..", "", "0" * 32 + "/" + "0" * 31])
def test_no_digest_but_a_sha256_names_a_path(tmp_path, digest: str) -> None:
    store = ContentStore(tmp_path / "store", durable=False)
    with pytest.raises(ValueError):
        store.path_for(digest)
    stored = store.put(b"DICM object")
    assert stored.path.resolve().is_relative_to((tmp_path / "store").resolve())
    assert store.read(stored.sha256) == b"DICM object"


def test_a_stored_file_changed_on_disk_is_not_shown(tmp_path) -> None:
    store = ContentStore(tmp_path, durable=False)
    stored = store.put(b"original bytes")
    stored.path.write_bytes(b"tampered bytes")
    with pytest.raises(ValueError, match="no longer matches"):
        store.read(stored.sha256)
