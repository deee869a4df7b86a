"""An OCT B-scan and a photograph attached to a referral letter are printed in it, each with its
caption; an image whose file is missing is named, and the letter still prints."""

from __future__ import annotations

import io
import os
import random
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from pydicom.uid import JPEGBaseline8Bit, RLELossless
from pypdf import PdfReader

from ils_desktop.devices.imaging import synthetic
from ils_desktop.devices.imaging.content_store import ContentStore
from ils_desktop.devices.imaging.dicom_object import facts_of
from ils_desktop.services import clinical_documents, imaging, referrals
from ils_desktop.services.use_case import run
from tests.services.test_prescriptions import add_finalised_exam, add_patient, refraction
from tests.services.test_prescriptions import setup as setup  # the shared fixture

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _store(database, context, store: ContentStore, ds):  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    stored = store.put(out.getvalue())
    return run(database, context, imaging.store_imaging_object, imaging.IncomingObject(
        facts=facts_of(ds, str(ds.file_meta.TransferSyntaxUID)), content_sha256=stored.sha256, size=stored.size,
        calling_ae_title="OCT1")), stored


def test_images_attached_to_a_referral_letter_are_printed_in_it(database, owner_engine, setup, tmp_path,
                                                               monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ILS_IMAGE_STORE", str(tmp_path / "store"))
    patient = add_patient(owner_engine, setup.company_id)
    exam = add_finalised_exam(owner_engine, setup, patient, refraction("-1.00DS", "-1.00DS"))
    draft = run(database, setup.optometrist, referrals.referral_draft_from_exam, exam)
    referral_id = run(database, setup.optometrist, referrals.write_referral, exam,
                      replace(draft, addressee="Hospital Eye Service, Scarborough"))
    store = ContentStore(tmp_path / "store", durable=False)
    rng = random.Random(6)
    number = run(database, setup.optometrist, imaging.attach_targets, patient)  # the letter is offered
    assert any(t.key == f"referral:{referral_id}" for t in number)
    subject = synthetic.Subject(patient_id="", name="HUGHES^MARGARET")
    when = datetime(2026, 3, 10, 10, 20)
    scan, _ = _store(database, setup.optometrist, store, synthetic.compressed(
        synthetic.oct_volume(rng, subject, when, frames=4, rows=64, columns=96), RLELossless))
    photo, photo_file = _store(database, setup.optometrist, store, synthetic.compressed(
        synthetic.fundus_photograph(rng, subject, when, laterality="L", size=256), JPEGBaseline8Bit))
    for image in (scan, photo):
        run(database, setup.optometrist, imaging.assign_image, image.id, patient)
    run(database, setup.optometrist, imaging.attach_image, scan.id, referral_id=referral_id, frame=2,
        note="Drusen at the fovea")
    run(database, setup.optometrist, imaging.attach_image, photo.id, referral_id=referral_id)

    data = run(database, setup.optometrist, clinical_documents.referral_pdf, referral_id)
    if os.environ.get("ILS_SHOTS_DIR"):
        (Path(os.environ["ILS_SHOTS_DIR"]) / "referral-with-images.pdf").write_bytes(data)
    pdf = PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert "Enclosed images" in text
    assert "OCT, right eye" in text and "B-scan 3 of 4. Drusen at the fovea" in text
    assert "Photograph, left eye" in text
    assert sum(len(page.images) for page in pdf.pages) == 2

    photo_file.path.unlink()  # the share is away, or the file was lost: the letter says so and prints
    pdf = PdfReader(io.BytesIO(run(database, setup.optometrist, clinical_documents.referral_pdf, referral_id)))
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert "could not be read from the practice's image store" in text
    assert sum(len(page.images) for page in pdf.pages) == 1
