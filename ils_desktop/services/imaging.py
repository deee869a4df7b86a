"""Imaging: DICOM objects devices store with the practice, whose they are, and what the clinician
does with them (view, compare, attach to an exam section or a referral letter).

Storing (``store_imaging_object``) is called by the device hub for every object the Storage SCP
has put in the content-addressed store. Whose it is follows the rule of
``domain.patient_matching`` (the trust issue): the worklist identifiers a device echoes
(StudyInstanceUID, AccessionNumber, RequestedProcedureID — made for one booking and kept) lead to
that booking's patient unless the name or date of birth the object carries contradicts them; else
an issued PatientID; else name and date of birth; else the one patient in test in the device's room
when the object says nothing about its patient. Anything else waits, unmatched, for a person.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.devices.imaging.content_store import ContentStore
from ils_desktop.devices.imaging.dicom_object import ObjectFacts
from ils_desktop.domain.diary import LONDON
from ils_desktop.domain.equipment import MatchMethod
from ils_desktop.domain.exam import SECTION_TITLES
from ils_desktop.domain.patient_matching import (
    DeviceIdentity,
    Match,
    birth_date_agrees,
    classify_device_id,
    match_patient,
    name_agrees,
)
from ils_desktop.errors import NotFound, ValidationFailed
from ils_desktop.models.imaging import ImagingAttachment
from ils_desktop.repositories.device_readings import ReadingRepository
from ils_desktop.repositories.imaging import ImagingRecord, ImagingRepository, NewImagingObject
from ils_desktop.services.device_readings import StoredReading
from ils_desktop.services.use_case import use_case

log = logging.getLogger(__name__)

VIEWABLE = ("photograph", "tomography", "document", "visual_field")

_FACT_COLUMNS = ("kind", "sop_class_uid", "sop_instance_uid", "study_instance_uid", "series_instance_uid",
                 "accession_number", "modality", "laterality", "description", "transfer_syntax_uid", "rows",
                 "columns", "frames", "bits_allocated", "bits_stored", "samples_per_pixel", "photometric")


@dataclass(frozen=True)
class IncomingObject:
    """An object the Storage SCP has stored: its header, where its bytes are, who sent it."""

    facts: ObjectFacts
    content_sha256: str
    size: int
    calling_ae_title: str
    equipment_id: uuid.UUID | None = None
    received_at: datetime | None = None


@dataclass(frozen=True)
class StoredObject:
    id: uuid.UUID
    kind: str
    patient_id: uuid.UUID | None
    booking_id: uuid.UUID | None
    match_method: str | None
    unmatched_reason: str | None


def _acquired(facts: ObjectFacts) -> datetime | None:
    """A device's clock without an offset is the practice's (Europe/London)."""
    at = facts.acquired_at
    if at is None:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=LONDON)


def _match(uow: TenantUnitOfWork, incoming: IncomingObject) -> tuple[Match, uuid.UUID | None]:
    facts = incoming.facts
    images = uow.repository(ImagingRepository)
    device = DeviceIdentity(patient_id=facts.patient_id, name=facts.patient_name, birth_date=facts.patient_birth_date)
    booked = images.booking_by_worklist_ids(study=facts.study_instance_uid, accession=facts.accession_number,
                                            procedure=facts.requested_procedure_id)
    if booked is not None and booked[1] is not None:
        booking_id, candidate = booked
        wrong = [what for what, agrees in (("name", name_agrees(device.name, candidate)),
                                           ("date of birth", birth_date_agrees(device.birth_date, candidate)))
                 if agrees is False]
        if not wrong:
            return Match(candidate.id, MatchMethod.WORKLIST), booking_id
        return Match(None, None, f"The worklist identifiers the device sent belong to a booking whose patient's "
                                 f"{' and '.join(wrong)} differ from what the device sent; check whose image "
                                 f"this is."), booking_id
    _kind, value = classify_device_id(facts.patient_id)
    nothing_sent = not (facts.patient_id or facts.patient_name) and facts.patient_birth_date is None
    found = uow.repository(ReadingRepository).match_facts(
        equipment_id=incoming.equipment_id, customer_number=value if isinstance(value, int) else None,
        patient_or_booking=value if isinstance(value, uuid.UUID) else None, born=facts.patient_birth_date,
        in_room=nothing_sent and incoming.equipment_id is not None)
    by_id, method = found.by_customer_number or found.by_patient_id, MatchMethod.DEVICE_ID
    if by_id is None and found.by_booking_id is not None:
        by_id, method = found.by_booking_id, MatchMethod.WORKLIST
    in_room = found.in_room[0] if len(found.in_room) == 1 else None
    return match_patient(device, by_id=by_id, id_method=method, by_name_and_birth_date=list(found.born_on),
                         in_room=in_room), None


@use_case(permission="patients.view", retry_safe=True)
def store_imaging_object(uow: TenantUnitOfWork, incoming: IncomingObject) -> StoredObject:
    """Record an object the Storage SCP has put in the store, matched to its patient and booking when
    the rule allows. Idempotent by SOP Instance UID: a device re-sending an object changes nothing.

    ``patients.view``: the device hub's session stores what devices send; no person edits a record."""
    images = uow.repository(ImagingRepository)
    existing = images.by_instance(incoming.facts.sop_instance_uid)
    if existing is not None:
        return StoredObject(existing.id, existing.kind, existing.patient_id, existing.booking_id,
                            existing.match_method, None)
    match, booking_id = _match(uow, incoming)
    facts = {k: v for k, v in asdict(incoming.facts).items() if k in _FACT_COLUMNS}
    facts["acquired_at"] = _acquired(incoming.facts)
    new = NewImagingObject(
        id=uuid.uuid4(), facts=facts, content_sha256=incoming.content_sha256, size_bytes=incoming.size,
        calling_ae_title=incoming.calling_ae_title[:16] or None, equipment_id=incoming.equipment_id,
        booking_id=booking_id, patient_id=match.patient_id,
        match_method=match.method.value if match.method else None,
        unmatched_reason=match.reason if match.patient_id is None else None,
        received_at=incoming.received_at or datetime.now(UTC))
    if not images.add(new):  # another association stored the same instance a moment ago
        uow.rollback()
        again = images.by_instance(incoming.facts.sop_instance_uid)
        assert again is not None
        return StoredObject(again.id, again.kind, again.patient_id, again.booking_id, again.match_method, None)
    uow.commit()
    return StoredObject(new.id, facts["kind"], new.patient_id, booking_id, new.match_method, new.unmatched_reason)


# --- the viewer ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImageSummary:
    """One object as the viewer's thumbnails list it."""

    id: uuid.UUID
    kind: str
    modality: str | None
    laterality: str | None
    description: str | None
    taken_at: datetime  # practice time: acquisition, else when it arrived
    device: str
    content_sha256: str
    rows: int | None
    columns: int | None
    frames: int | None
    bits_stored: int | None
    attachments: int

    @property
    def what(self) -> str:
        return {"photograph": "Photograph", "tomography": "OCT", "document": "Report",
                "visual_field": "Visual field"}.get(self.kind, "Object")

    @property
    def title(self) -> str:
        eye = {"R": "right eye", "L": "left eye", "B": "both eyes"}.get((self.laterality or "").upper(), "")
        return f"{self.what}, {eye}" if eye else self.what

    @property
    def short_title(self) -> str:
        eye = (self.laterality or "").upper()
        return f"{self.what} · {eye}" if eye in ("R", "L", "B") else self.what


def _summary(record: ImagingRecord) -> ImageSummary:
    taken = (record.acquired_at or record.received_at).astimezone(LONDON)
    return ImageSummary(record.id, record.kind, record.modality, record.laterality, record.description, taken,
                        record.device_name or record.calling_ae_title or "Unknown device", record.content_sha256,
                        record.rows, record.columns, record.frames, record.bits_stored, record.attachments)


@use_case(permission="patients.view", read_only=True)
def patient_images(uow: TenantUnitOfWork, patient_id: uuid.UUID) -> list[ImageSummary]:
    """The patient's photographs, OCT scans, field plots and reports, newest first (one query)."""
    return [_summary(r) for r in uow.repository(ImagingRepository).for_patient(patient_id, VIEWABLE)]


@use_case(permission="patients.view", read_only=True)
def patients_with_images(uow: TenantUnitOfWork, limit: int = 20) -> list[tuple[uuid.UUID, str, int]]:
    """(patient id, name, how many images) of the patients with the most viewable images (one query)."""
    return uow.repository(ImagingRepository).patients_with_images(VIEWABLE, limit)


@use_case(permission="patients.view", read_only=True)
def image_content(uow: TenantUnitOfWork, object_id: uuid.UUID, store_root: Path) -> bytes:
    """The stored object's bytes. The row is read first (row-level security: only this practice's
    objects), then the file its digest names, checked against the digest."""
    record = uow.repository(ImagingRepository).get(object_id)
    if record is None:
        raise NotFound("That image is no longer in the record.")
    try:
        return ContentStore(store_root).read(record.content_sha256)
    except FileNotFoundError as error:
        raise NotFound("The image file is not in the practice's image store (is the server's share "
                       "reachable?).") from error


@dataclass(frozen=True)
class AttachTarget:
    """Where an image can be attached: an exam section or a referral letter."""

    key: str  # "exam:<section>" or "referral:<id>"
    label: str


@use_case(permission="patients.view", read_only=True)
def attach_targets(uow: TenantUnitOfWork, patient_id: uuid.UUID) -> list[AttachTarget]:
    """The sections of an exam and the patient's referral letters (one query)."""
    targets = [AttachTarget(f"exam:{key}", f"Exam: {title}") for key, title in SECTION_TITLES.items()]
    for referral_id, addressee, written in uow.repository(ImagingRepository).referrals_of(patient_id):
        targets.append(AttachTarget(f"referral:{referral_id}",
                                    f"Referral to {addressee}, {written.astimezone(LONDON):%d %b %Y}"))
    return targets


@use_case(permission="exams.perform")
def attach_image(uow: TenantUnitOfWork, object_id: uuid.UUID, *, exam_id: uuid.UUID | None = None,
                 exam_section: str | None = None, referral_id: uuid.UUID | None = None, frame: int | None = None,
                 note: str | None = None) -> uuid.UUID:
    """Attach an image (or one OCT frame) to a section of an exam, or to a referral letter."""
    problems = {}
    if exam_id is None and referral_id is None:
        problems["target"] = "Choose the exam section or referral letter to attach the image to."
    if exam_section is not None and exam_section not in SECTION_TITLES:
        problems["target"] = "That is not a section of the eye examination."
    if frame is not None and frame < 0:
        problems["frame"] = "That frame does not exist."
    if note is not None and len(note) > 500:
        problems["note"] = "Keep the note under 500 characters."
    if problems:
        raise ValidationFailed(problems)
    images = uow.repository(ImagingRepository)
    record = images.get(object_id)
    if record is None:
        raise NotFound("That image is no longer in the record.")
    if frame is not None and frame >= (record.frames or 1):
        raise ValidationFailed({"frame": "That frame does not exist."})
    attachment = ImagingAttachment(id=uuid.uuid4(), imaging_object_id=object_id, exam_id=exam_id,
                                   exam_section=exam_section, referral_id=referral_id, frame=frame,
                                   note=(note or "").strip() or None, attached_by=uow.context.user_id)
    images.attach(attachment)
    uow.commit()
    return attachment.id


def enclosed_images(uow: TenantUnitOfWork, referral_id: uuid.UUID,
                    store_root: Path | None = None) -> list[tuple[str, bytes]]:
    """(caption, PNG) of each photograph or OCT B-scan attached to a referral letter, for printing it
    (part of the letter's use case: one query, then the files of the image store)."""
    from ils_desktop.config import AppPaths
    from ils_desktop.devices.imaging.dicom_object import ObjectProblem, open_object
    from ils_desktop.devices.imaging.export import frame_png

    store = ContentStore(store_root or AppPaths.default().image_store)
    enclosed = []
    for attachment, record in uow.repository(ImagingRepository).attached_to_referral(referral_id):
        if record.kind not in ("photograph", "tomography"):
            continue
        summary = _summary(record)
        what = f"{summary.title}, {summary.taken_at:%d %b %Y %H:%M}, {summary.device}"
        if attachment.frame is not None:
            what += f", B-scan {attachment.frame + 1} of {record.frames or 1}"
        if attachment.note:
            what += f". {attachment.note}"
        try:
            enclosed.append((what, frame_png(open_object(store.read(record.content_sha256)),
                                             attachment.frame or 0)))
        except (OSError, ValueError, ObjectProblem):
            # The letter still prints: it says which image could not be enclosed.
            log.warning("an image attached to a referral letter could not be read from the image store")
            enclosed.append((f"{what} (the image could not be read from the practice's image store)", b""))
    return [(caption, png) for caption, png in enclosed if png] + [
        (caption, png) for caption, png in enclosed if not png]


@use_case(permission="exams.perform")
def detach_image(uow: TenantUnitOfWork, attachment_id: uuid.UUID) -> None:
    if not uow.repository(ImagingRepository).detach(attachment_id):
        raise NotFound("That attachment has already been removed.")
    uow.commit()


IMAGE_SOURCE = "dicom-image"
"""The ``source`` of an unmatched image in the unmatched inbox (beside readings)."""


@use_case(permission="patients.view", read_only=True)
def unmatched_images(uow: TenantUnitOfWork) -> list[StoredReading]:
    """Images nobody could file on a patient, newest first, as the unmatched inbox lists readings (one
    query); assigned with :func:`assign_image`."""
    return [StoredReading(
        id=r.id, kind=r.kind, patient_id=None, match_method=None, received_at=r.received_at, measurement=None,
        source=IMAGE_SOURCE, source_detail=r.calling_ae_title, error=None, warnings=[],
        device_patient_id=r.device_patient_id, device_patient_name=r.device_patient_name,
        device_name=r.device_name or r.calling_ae_title or "", status=r.status, unmatched_reason=r.unmatched_reason)
        for r in uow.repository(ImagingRepository).unmatched()]


@use_case(permission="patients.edit")
def assign_image(uow: TenantUnitOfWork, object_id: uuid.UUID, patient_id: uuid.UUID) -> None:
    """A person decides whose an unmatched image is."""
    if not uow.repository(ReadingRepository).patient_exists(patient_id):
        raise NotFound("That patient no longer exists.")
    if not uow.repository(ImagingRepository).assign(object_id, patient_id, uow.context.user_id, datetime.now(UTC)):
        raise NotFound("That image no longer exists.")
    uow.commit()
