"""Into the exam, end to end through real transports: the clinician presses PRINT on the
autorefractor (a simulator on the far end of a null-modem pty pair), the workstation's listener
stores the reading, the open exam of the patient in that room shows the banner, Accept fills the
objective refraction with its source, and the saved exam and the reading record it."""

from __future__ import annotations

import os
import random
import termios
import tty
import uuid
from datetime import UTC, date, datetime, timedelta

from PySide6.QtCore import Qt
from sqlalchemy import text

from ils_desktop.devices import simulators
from ils_desktop.domain.roles import PERMISSION_CODES
from ils_desktop.models.diary import AppointmentType, TestRoom, TestRoomBooking
from ils_desktop.models.patients import Patient
from ils_desktop.services import equipment, staff
from ils_desktop.services.onboarding import NewUser
from ils_desktop.services.use_case import run
from tests.sessions import signed
from tests.ui.conftest import sign_in_by_keyboard


def test_autorefractor_reading_is_offered_in_the_open_exam_and_accepted(qtbot, make_window, database, practice):
    manager = signed(practice.company_id, practice.admin_id, frozenset({"admin"}), PERMISSION_CODES)
    email = f"optom-{uuid.uuid4().hex[:6]}@example.test"
    run(database, manager, staff.add_staff, NewUser("Olu", "Optom", email, "a long enough password", role="optometrist",
                                               goc_number="01-23456"))
    now = datetime.now(UTC)
    with database.unit_of_work(manager) as uow:
        patient = Patient(id=uuid.uuid4(), company_id=practice.company_id, customer_number=880001,
                          first_name="Zoë", last_name="O'Brien", date_of_birth=date(1961, 3, 12))
        room = TestRoom(id=uuid.uuid4(), company_id=practice.company_id, name="Test room 1")
        uow.session.add_all([patient, room, AppointmentType(company_id=practice.company_id, code="sight_test",
                                                            name="Sight test", duration_minutes=30)])
        uow.flush()
        booking = TestRoomBooking(id=uuid.uuid4(), company_id=practice.company_id, room_id=room.id,
                                  patient_id=patient.id, appointment_type="sight_test", status="arrived",
                                  starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(minutes=25))
        uow.session.add(booking)
        uow.commit()

    with simulators.NullModem() as cable:
        app_end, device_end = cable.ends
        run(database, manager, equipment.save_device, equipment.DeviceDetails(
            name="ARK-1", kind="autorefractor", maker="Nidek", room_id=room.id, connection_type="serial",
            connection={"port": app_end, "protocol": "auto"}))
        window = make_window(database)
        sign_in_by_keyboard(qtbot, window, email, "a long enough password")
        qtbot.waitUntil(lambda: window.main_page is not None, timeout=10_000)
        page = window.main_page
        qtbot.waitUntil(lambda: page.device_feed is not None and page.device_feed.started == ["ARK-1"],
                        timeout=10_000)
        page.show_screen("exam")
        exam = page.screens["exam"]
        exam.start_for_patient(patient.id, booking.id)
        qtbot.waitUntil(lambda: exam.record is not None and exam.record.patient.id == patient.id, timeout=10_000)

        # The clinician presses PRINT on the autorefractor.
        device = os.open(device_end, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(device, termios.TCSANOW)
        os.write(device, simulators.autorefractor_frame(random.Random(11), with_kerato=False))
        os.close(device)

        qtbot.waitUntil(lambda: any(o.isVisible() for o in exam._offers), timeout=15_000)
        offer = next(o for o in exam._offers if o.isVisible())
        assert offer.source.device == "ARK-1" and offer.kind == "autorefraction"
        qtbot.mouseClick(offer.accept_button, Qt.MouseButton.LeftButton)
        qtbot.keyClick(exam, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

        def saved() -> bool:
            with database.unit_of_work(manager) as uow:
                row = uow.session.execute(text(
                    "SELECT e.objective_refraction, e.device_sources, r.status, r.accepted_exam_id = e.id AS same, "
                    "r.match_method FROM eye_examinations e JOIN device_readings r ON r.patient_id = e.patient_id "
                    "WHERE e.patient_id = :p"), {"p": patient.id}).first()
            return bool(row and row.objective_refraction.get("R") and "objective_refraction" in row.device_sources
                        and row.status == "accepted" and row.same and row.match_method == "room")

        qtbot.waitUntil(saved, timeout=15_000)
        window.sign_out()
