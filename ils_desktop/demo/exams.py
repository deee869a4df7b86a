"""Demo examinations: GOC checks for the demo clinicians, the practice's protocols, a history of
finalised examinations with matching prescriptions and recalls, and today's exam in progress.

Runs after the patients and diary steps (``demo.clinical.STEPS``) and works with whatever they made:
without patients it records only the GOC checks and protocols. Every date follows the practice's
clock (``services.clock``) as the demo is built: no record is dated after that moment, nobody is
examined before the age of three, visits are about two years apart, and each patient's recall falls
due the interval after their last examination.
"""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.exam import (
    DEFAULT_PROTOCOLS,
    LONDON,
    AnteriorEye,
    AnteriorSegment,
    BinocularVision,
    CurrentSpectacles,
    DeviceSource,
    ExamContent,
    History,
    Iop,
    ObjectiveRefraction,
    PosteriorEye,
    PosteriorSegment,
    PupillaryDistance,
    RefractionEye,
    SubjectiveRefraction,
    Vision,
    add_months,
    age_on,
    conditions_from_history,
    protocol_applies,
    suggest_recall,
)
from ils_desktop.domain.rx import Sca, round_to_step
from ils_desktop.domain.tenant import TenantContext
from ils_desktop.models.clinical import EyeExamination, GocComplianceCheck, Prescription, Recall
from ils_desktop.models.core import User
from ils_desktop.models.diary import TestRoomBooking
from ils_desktop.models.patients import Patient
from ils_desktop.repositories.exams import ExamRepository
from ils_desktop.services import clock

log = logging.getLogger(__name__)

PATIENTS_WITH_HISTORY = 300
Q = Decimal("0.25")
YOUNGEST_EXAMINED = 3
"""Years: the first sight test is at three or later (the demo's children are not examined as babies)."""


def _quarter(value: float) -> Decimal:
    return round_to_step(Decimal(str(round(value, 2))), Q)


class _Eyes:
    """One patient's refractive make-up, drifting a little between visits."""

    def __init__(self, rng: random.Random, age: int) -> None:
        self.rng = rng
        base = rng.gauss(-0.75, 2.2) if age < 60 else rng.gauss(0.75, 1.5)
        self.sphere = {"R": base + rng.gauss(0, 0.2), "L": base + rng.gauss(0, 0.2)}
        has_cyl = rng.random() < 0.6
        self.cylinder = {e: -abs(rng.gauss(0.6, 0.5)) if has_cyl else 0.0 for e in ("R", "L")}
        axis = rng.choice([180, 175, 5, 10, 170, 90, 85, 95, 45, 135])
        self.axis = {"R": axis, "L": (180 - axis) % 180 or 180}

    def drift(self) -> None:
        for eye in ("R", "L"):
            self.sphere[eye] += self.rng.gauss(-0.1, 0.2)

    def sca(self, eye: str) -> Sca:
        cylinder = _quarter(self.cylinder[eye])
        return Sca(_quarter(self.sphere[eye]), cylinder, self.axis[eye] if cylinder else None)

    def autorefraction(self, eye: str) -> Sca:
        """What an autorefractor reports: 0.01 D steps, a touch more minus than the subjective."""
        sphere = Decimal(str(round(self.sphere[eye] - 0.15 + self.rng.gauss(0, 0.1), 2)))
        if not self.cylinder[eye]:
            return Sca(sphere)
        cylinder = Decimal(str(round(self.cylinder[eye] + self.rng.gauss(0, 0.08), 2)))
        if cylinder >= 0:
            return Sca(sphere)
        return Sca(sphere, cylinder, max(1, min(180, self.axis[eye] + self.rng.randint(-4, 4))))


def _near_add(age: int) -> Decimal | None:
    if age < 45:
        return None
    return min(Decimal("3.00"), _quarter(0.75 + (age - 45) * 0.1))


_SNELLEN = ("6/5", "6/6", "6/6", "6/6+2", "6/7.5", "6/9")


def _content(rng: random.Random, patient: Patient, eyes: _Eyes, on: date, source: DeviceSource | None
             ) -> ExamContent:
    age = age_on(patient.date_of_birth, on)
    add = _near_add(age)
    history = History(general_health=patient.medical_history or "Good general health",
                      medications=patient.medications or "None", allergies=patient.allergies,
                      family_ocular_history=patient.family_ocular_history or "Nil known",
                      occupation=patient.occupation, driver=patient.is_driver, vdu_user=patient.is_vdu_user)
    conditions = conditions_from_history(history)
    myope = eyes.sphere["R"] < -0.5
    unaided = "6/24" if myope else ("6/9" if age > 55 else "6/6")
    vision = Vision(acuities={
        ("distance", "unaided", "R"): unaided, ("distance", "unaided", "L"): unaided,
        ("distance", "habitual", "R"): rng.choice(_SNELLEN[2:]),
        ("distance", "habitual", "L"): rng.choice(_SNELLEN[2:]),
        ("near", "habitual", "B"): "N5" if add is None else rng.choice(("N6", "N8")),
    })
    subjective = SubjectiveRefraction(
        RefractionEye(eyes.sca("R"), near_add=add, va=rng.choice(_SNELLEN[:4])),
        RefractionEye(eyes.sca("L"), near_add=add, va=rng.choice(_SNELLEN[:4])),
        rng.choice(("6/5", "6/5", "6/6")),
        PupillaryDistance(Decimal(rng.choice(range(58, 70))), None, None, None))
    diabetic = conditions.diabetes
    cd = Decimal(rng.choice(("0.20", "0.25", "0.30", "0.35", "0.40")))
    posterior = PosteriorSegment(
        method="volk", dilated=diabetic, drug="Tropicamide 1%" if diabetic else None,
        R=PosteriorEye(cd, "Pink, distinct margins", "Healthy, foveal reflex present", "A/V 2:3, no nipping",
                       "Flat, no breaks seen", "Clear", "R0 M0" if diabetic else None),
        L=PosteriorEye(cd, "Pink, distinct margins", "Healthy, foveal reflex present", "A/V 2:3, no nipping",
                       "Flat, no breaks seen", "Clear", "R0 M0" if diabetic else None))
    anterior = AnteriorSegment(
        method="Slit lamp", R=AnteriorEye(Decimal(rng.choice((0, 0, 1))), Decimal(rng.choice((0, 1))), Decimal(0), 4,
                                          "Clear" if age < 60 else "Early nuclear sclerosis"),
        L=AnteriorEye(Decimal(rng.choice((0, 0, 1))), Decimal(rng.choice((0, 1))), Decimal(0), 4,
                      "Clear" if age < 60 else "Early nuclear sclerosis"),
        pupils="PERRL, no RAPD")
    readings = {e: tuple(Decimal(rng.randint(12, 19)) for _ in range(3)) for e in ("R", "L")}
    iop = Iop("non_contact", f"{rng.randint(9, 16):02d}:{rng.choice(('05', '20', '35', '50'))}", readings["R"],
              readings["L"])
    recall = suggest_recall(age, conditions)
    spectacles_eye = {e: RefractionEye(Sca(eyes.sca(e).sphere + Decimal("0.25"), eyes.sca(e).cylinder,
                                           eyes.sca(e).axis), near_add=add) for e in ("R", "L")}
    return ExamContent(
        reason_for_visit=rng.choice(("Routine sight test", "Routine check, due for recall",
                                     "Distance vision blurred when driving at night", "Struggling to read small print",
                                     "Headaches with computer work")),
        symptoms=rng.choice((None, "No headaches, no diplopia, no flashes or floaters", "Occasional tired eyes")),
        history=history, vision=vision,
        current_spectacles=CurrentSpectacles("varifocal" if add else "single_vision", spectacles_eye["R"],
                                             spectacles_eye["L"], rng.choice(("1 year", "2 years", "3 years"))),
        objective_refraction=ObjectiveRefraction("autorefraction", eyes.autorefraction("R"), eyes.autorefraction("L")),
        subjective_refraction=subjective,
        binocular_vision=BinocularVision("Ortho", rng.choice(("Ortho", "2Δ XOP, good recovery")),
                                         "Full, smooth, no diplopia", Decimal(rng.choice((6, 8, 10)))),
        anterior_segment=anterior, posterior_segment=posterior, iop=iop,
        device_sources={"objective_refraction": source} if source else {},
        diagnosis="Presbyopia" + (" with myopia" if myope else "") if add else ("Myopia" if myope else "Hyperopia"),
        management="New spectacle prescription issued",
        advice="Wear as required. Return sooner if any change in vision.",
        recall_months=recall.months,
    )


def _prescription_row(exam_id: uuid.UUID, patient_id: uuid.UUID, clinician: uuid.UUID, content: ExamContent,
                      issued: date) -> dict[str, Any]:
    row: dict[str, Any] = {"id": uuid.uuid4(), "patient_id": patient_id, "exam_id": exam_id, "issued_by": clinician,
                           "kind": "new", "issue_date": issued,
                           "expiry_date": add_months(issued, content.recall_months or 24)}
    subjective = content.subjective_refraction
    for eye, prefix in (("R", "right"), ("L", "left")):
        values = subjective.eye(eye)
        sca = values.sca
        assert sca is not None
        row[f"{prefix}_sphere"] = sca.sphere
        row[f"{prefix}_cylinder"] = sca.cylinder if sca.has_cylinder else None
        row[f"{prefix}_axis"] = sca.axis if sca.has_cylinder else None
        row[f"{prefix}_near_add"] = values.near_add
        row[f"{prefix}_va"] = values.va
    row["binocular_va"] = subjective.binocular_va
    row["pd_distance"] = subjective.pd.distance
    return row


def seed_exams(owner_engine: Engine, company_id: uuid.UUID, rng: random.Random) -> None:
    """GOC checks valid for a year, protocols, past finalised exams with Rx and recalls, today's draft."""
    context = TenantContext(company_id)
    with TenantUnitOfWork(owner_engine, context) as uow:
        session = uow.session
        clinicians = session.scalars(select(User).where(
            User.company_id == company_id, User.role.in_(("optometrist", "contact_lens_optician")))).all()
        now = clock.now()
        today = now.date()
        for user in clinicians:
            checked = today - timedelta(days=rng.randint(5, 40))
            session.add(GocComplianceCheck(
                id=uuid.uuid4(), company_id=company_id, user_id=user.id,
                goc_number=user.goc_number or "01-00000",
                registrant_type="optometrist" if user.role == "optometrist" else "contact_lens_optician",
                status="registered", checked_on=checked, valid_until=checked + timedelta(days=365),
                notes="Checked on the GOC register (demo)"))
        uow.repository(ExamRepository).install_protocols(DEFAULT_PROTOCOLS)
        optometrist = next((u for u in clinicians if u.role == "optometrist"), None)
        patients = session.scalars(select(Patient).where(Patient.company_id == company_id)
                                   .order_by(Patient.customer_number).limit(5000)).all()
        if optometrist is None or not patients:
            uow.commit()
            log.info("demo exams: no patients yet, recorded GOC checks and protocols only")
            return
        chosen = rng.sample(list(patients), min(PATIENTS_WITH_HISTORY, len(patients)))
        exam_rows: list[dict[str, Any]] = []
        rx_rows: list[dict[str, Any]] = []
        recall_rows: list[dict[str, Any]] = []
        profiles: dict[uuid.UUID, _Eyes] = {}
        for patient in chosen:
            eyes = profiles[patient.id] = _Eyes(rng, age_on(patient.date_of_birth, today))
            dates = _visit_days(rng, patient.date_of_birth, today)
            if not dates:
                continue
            for number, day in enumerate(dates):
                if number:
                    eyes.drift()
                moment = datetime.combine(day, time(rng.randint(9, 16), rng.choice((0, 15, 30, 45))), LONDON)
                source = DeviceSource("ARK-1", "autorefraction", moment - timedelta(minutes=3))
                content = _content(rng, patient, eyes, day, source)
                ticked = {p.title: dict.fromkeys(p.items, True) for p in DEFAULT_PROTOCOLS
                          if protocol_applies(p.appointment_type, p.condition, "sight_test",
                                              content.text_for_matching())}
                content = replace(content, protocol_checks=ticked)
                exam_id = uuid.uuid4()
                exam_rows.append({
                    **content.to_columns(), "id": exam_id, "patient_id": patient.id, "clinician_id": optometrist.id,
                    "appointment_type": "sight_test", "exam_date": moment, "status": "finalised",
                    "draft_saved_at": moment + timedelta(minutes=25), "finalised_at": moment + timedelta(minutes=28),
                    "finalised_by": optometrist.id, "created_at": moment, "updated_at": moment + timedelta(minutes=28),
                })
                rx_rows.append(_prescription_row(exam_id, patient.id, optometrist.id, content, day))
                if number == len(dates) - 1:
                    conditions = conditions_from_history(content.history)
                    reason = suggest_recall(age_on(patient.date_of_birth, day), conditions).reason
                    recall_rows.append({"id": uuid.uuid4(), "patient_id": patient.id, "exam_id": exam_id,
                                        "due_date": add_months(day, content.recall_months or 24), "reason": reason,
                                        "status": "due"})
        session.execute(insert(EyeExamination), exam_rows)
        session.execute(insert(Prescription), rx_rows)
        session.execute(insert(Recall), recall_rows)
        _exam_in_progress(uow, company_id, optometrist, rng, now, profiles)
        uow.commit()
        log.info("demo exams: %s finalised exams for %s patients", len(exam_rows), len(chosen))


def _visit_days(rng: random.Random, born: date, today: date) -> list[date]:
    """One to three sight tests about two years apart, the last 20 days to two years ago, none on a
    Sunday (the practice is closed) nor before the patient was three; oldest first."""
    last = today - timedelta(days=rng.randint(20, 700))
    visits = rng.choice((1, 1, 2, 2, 3))
    days = [last] + [last - timedelta(days=730 * i + rng.randint(-40, 40)) for i in range(1, visits)]
    days = [day - timedelta(days=1) if day.weekday() == 6 else day for day in days]
    return sorted(day for day in days if age_on(born, day) >= YOUNGEST_EXAMINED)


def _exam_in_progress(uow: TenantUnitOfWork, company_id: uuid.UUID, optometrist: User, rng: random.Random,
                      now: datetime, profiles: dict[uuid.UUID, _Eyes]) -> None:
    """Today's patient in the test room: a draft with history, VA and an accepted autorefraction,
    started when the appointment did (or a few minutes ago); nobody is examined before their time."""
    session = uow.session
    today = now.date()
    start = datetime.combine(today, time(0), LONDON)
    bookings = session.scalars(select(TestRoomBooking).where(
        TestRoomBooking.company_id == company_id, TestRoomBooking.starts_at >= start,
        TestRoomBooking.starts_at <= now, TestRoomBooking.patient_id.is_not(None),
        TestRoomBooking.status.in_(("in_test", "arrived")),
        (TestRoomBooking.clinician_id == optometrist.id) | TestRoomBooking.clinician_id.is_(None),
    ).order_by(TestRoomBooking.status.desc(), TestRoomBooking.starts_at)).all()
    if not bookings:
        return
    booking = bookings[0]
    patient = session.get(Patient, (company_id, booking.patient_id))
    if patient is None:
        return
    booking.status = "in_test"
    started = max(booking.starts_at, now - timedelta(minutes=9))
    measured, saved = started + (now - started) / 3, started + (now - started) * 2 / 3
    eyes = profiles.get(patient.id) or _Eyes(rng, age_on(patient.date_of_birth, today))
    eyes.drift()
    full = _content(rng, patient, eyes, today, DeviceSource("ARK-1", "autorefraction", measured))
    partial = replace(ExamContent(history=full.history), reason_for_visit=full.reason_for_visit,
                      symptoms=full.symptoms, vision=full.vision, current_spectacles=full.current_spectacles,
                      objective_refraction=full.objective_refraction, device_sources=full.device_sources,
                      recall_months=full.recall_months)
    session.add(EyeExamination(
        id=uuid.uuid4(), company_id=company_id, patient_id=patient.id, clinician_id=optometrist.id,
        booking_id=booking.id, appointment_type=booking.appointment_type, status="draft",
        exam_date=started, draft_saved_at=saved,
        **partial.to_columns()))
