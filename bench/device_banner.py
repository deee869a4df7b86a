"""Device reading to the exam banner: the last byte of an autorefractor frame written to the far
end of a null-modem pty pair → the reading offered in the open exam of the patient in that room,
painted on screen — beside a plain-Qt floor in the same run (a QSocketNotifier on a pty, the frame
read, a QLabel shown and painted: no framing, parsing, database or matching).

Also, from the same run, the exam's banner alone: the same reading offered to the open exam
directly (``ExamScreen.offer_device_reading`` and the banner painted, no device, no database) - the
part of the figure that is the exam screen's own building and painting.

How it is timed, the same for the floor and for ILS: the frame is written, then Qt's own event loop
runs - the GUI thread asleep until something happens, as in the app - until the label or the banner
has been laid out in its page and painted. (Until the branch that made the path typed, the bench
pumped the loop with ``processEvents`` and 0.2 ms sleeps: the GUI thread then woke 5,000 times a
second and competed with the listener's thread for the interpreter, which the app never does.)
Each frame is sent once the app is quiet again (the previous reading's banner gone and its
"discarded" stored): the figure is one reading's path, not the previous one's settling beside it.

Run: ``QT_QPA_PLATFORM=offscreen python bench/device_banner.py`` (starts its own embedded
PostgreSQL in a temporary folder). Prints median and p95 in milliseconds; asserts nothing.
"""

from __future__ import annotations

import os
import random
import statistics
import termios
import time
import tty
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import harness
from harness import signed

ROUNDS = 40


def _summary(name: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[max(0, int(len(ms) * 0.95) - 1)]
    return f"  {name:48} median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms"


def _pump_until(app: Any, done: Any, timeout: float = 15.0) -> None:
    """Wait (untimed: setting up, clearing away) until ``done()``."""
    deadline = time.perf_counter() + timeout
    while not done():
        if time.perf_counter() > deadline:
            raise TimeoutError("nothing arrived in time")
        app.processEvents()
        time.sleep(0.0002)


def _quiet(app: Any) -> None:
    """Untimed: the app done with the last round - its "discarded" stored, the page laid out and
    painted again without the banner - before the next is timed."""
    from ils_desktop.ui.ops import pending_ops

    _pump_until(app, lambda: pending_ops() == 0)
    for _ in range(3):
        app.processEvents()


class Painted:
    """When something was painted; ``wait`` runs Qt's event loop until then."""

    def __init__(self) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        self.at: float | None = None
        self.loop = QEventLoop()
        self.timeout = QTimer()
        self.timeout.setSingleShot(True)
        self.timeout.timeout.connect(self.loop.quit)

    def mark(self) -> None:
        self.at = time.perf_counter()
        self.loop.quit()

    def wait(self, seconds: float = 15.0) -> float:
        if self.at is None:
            self.timeout.start(int(seconds * 1000))
            self.loop.exec()
            self.timeout.stop()
        if self.at is None:
            raise TimeoutError("nothing was painted in time")
        at, self.at = self.at, None
        return at


def _raw_device(path: str) -> int:
    device = os.open(path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(device, termios.TCSANOW)  # as pyserial configures a port: no line editing
    return device


def plain_qt_floor(app: Any, frames: list[bytes]) -> list[float]:
    """The same bytes through a pty into a QLabel: what any Qt program pays."""
    from PySide6.QtCore import QSocketNotifier
    from PySide6.QtWidgets import QLabel

    master, slave = os.openpty()
    tty.setraw(slave, termios.TCSANOW)
    label = QLabel()
    label.resize(600, 60)
    state: dict[str, Any] = {"buffer": b"", "expected": 0}

    def readable() -> None:
        state["buffer"] += os.read(slave, 4096)
        if len(state["buffer"]) >= state["expected"]:
            label.setText(repr(state["buffer"][:60]))
            label.show()
            label.repaint()  # painted now, not at the next idle moment
            painted.mark()

    notifier = QSocketNotifier(slave, QSocketNotifier.Type.Read)
    notifier.activated.connect(readable)
    painted = Painted()
    samples = []
    for frame in frames:
        state.update(buffer=b"", expected=len(frame))
        os.write(master, frame)
        last_byte = time.perf_counter()
        samples.append(painted.wait() - last_byte)
        label.hide()
    notifier.setEnabled(False)
    os.close(master)
    os.close(slave)
    return samples


def ils_banner(app: Any, work: Path, frames: list[bytes]) -> tuple[list[float], list[float]]:
    """Simulator → listener → parse → match (patient in test in the device's room) → stored →
    Qt signal → banner in the open exam, painted; and the banner alone (offered directly)."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from ils_desktop.config import AppPaths
    from ils_desktop.db.database import Database, embedded_target
    from ils_desktop.db.migrations import upgrade
    from ils_desktop.devices import simulators
    from ils_desktop.domain.roles import PERMISSION_CODES
    from ils_desktop.domain.tenant import TenantContext
    from ils_desktop.models.diary import AppointmentType, TestRoom, TestRoomBooking
    from ils_desktop.models.patients import Patient
    from ils_desktop.services import equipment, staff
    from ils_desktop.services.onboarding import NewUser
    from ils_desktop.services.seeding import create_company_with_admin
    from ils_desktop.services.use_case import run
    from ils_desktop.startup import ServerChoice
    from ils_desktop.ui.app import ApplicationWindow

    target = embedded_target(work / "pg", cleanup_mode="delete")
    upgrade(target.owner_url)
    owner = create_engine(target.owner_url, poolclass=NullPool)
    company, admin = create_company_with_admin(
        owner, name="Bench Opticians", company_type="ecp", admin_email="bench@example.test",
        admin_password="benchmark password", admin_first_name="Ben", admin_last_name="Chmark")
    database = Database(target)
    manager = signed(owner, TenantContext(company, admin, frozenset({"admin"}), PERMISSION_CODES))
    run(database, manager, staff.add_staff, NewUser("Olu", "Optom", "optom@bench.test", "a long enough password",
                                               role="optometrist", goc_number="01-23456"))
    now = datetime.now(UTC)
    with database.unit_of_work(manager) as uow:
        patient = Patient(id=uuid.uuid4(), company_id=company, customer_number=1, first_name="Zoë",
                          last_name="O'Brien", date_of_birth=date(1961, 3, 12))
        room = TestRoom(id=uuid.uuid4(), company_id=company, name="Test room 1")
        uow.session.add_all([patient, room, AppointmentType(company_id=company, code="sight_test",
                                                            name="Sight test", duration_minutes=30)])
        uow.flush()
        booking = TestRoomBooking(id=uuid.uuid4(), company_id=company, room_id=room.id, patient_id=patient.id,
                                  appointment_type="sight_test", status="arrived",
                                  starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=2))
        uow.session.add(booking)
        uow.commit()

    samples = []
    with simulators.NullModem() as cable:
        app_end, device_end = cable.ends
        run(database, manager, equipment.save_device, equipment.DeviceDetails(
            name="ARK-1", kind="autorefractor", maker="Nidek", room_id=room.id, connection_type="serial",
            connection={"port": app_end, "protocol": "auto"}))
        paths = AppPaths(work / "data", work / "logs", work / "config")
        paths.ensure()
        window = ApplicationWindow(paths, ServerChoice("postgresql://bench"), opener=lambda _progress: database)
        window.show()
        window.start()
        _pump_until(app, lambda: window.sign_in.sign_in_button.isEnabled(), timeout=30)
        window.sign_in.email.setText("optom@bench.test")
        window.sign_in.password.setText("a long enough password")
        window.sign_in.sign_in_button.click()
        _pump_until(app, lambda: window.main_page is not None)
        page = window.main_page
        _pump_until(app, lambda: page.device_feed is not None and page.device_feed.started == ["ARK-1"])
        page.show_screen("exam")
        exam = page.screens["exam"]
        exam.start_for_patient(patient.id, booking.id)
        _pump_until(app, lambda: exam.record is not None)
        device = _raw_device(device_end)
        offered: list[tuple[str, dict[str, Any], Any]] = []
        offer_device_reading = exam.offer_device_reading
        painted = Painted()

        def offer_and_paint(kind: str, values: dict[str, Any], source: Any) -> bool:
            """The exam's own offer, then the banner laid out in its page and painted."""
            offered.append((kind, values, source))
            shown = offer_device_reading(kind, values, source)
            if shown:
                QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
                exam.page.readings.repaint()  # the tray and the new offer in it
                painted.mark()
            return shown

        exam.offer_device_reading = offer_and_paint
        for frame in frames:
            _quiet(app)  # the previous reading settled, its banner gone from the page
            os.write(device, frame)
            last_byte = time.perf_counter()
            samples.append(painted.wait() - last_byte)
            exam._offers[-1].discard_button.click()  # settled: the next reading gets a banner of its own
            _pump_until(app, lambda: not exam._offers)
        os.close(device)
        # The exam's banner alone: the same readings offered directly, laid out and painted as above.
        banner_only = []
        for kind, values, source in list(offered):
            _quiet(app)
            start = time.perf_counter()
            exam.offer_device_reading(kind, values, replace(source, reading_id="bench"))  # nothing to settle
            banner_only.append(painted.wait() - start)
            exam._offers[-1].discard_button.click()
            _pump_until(app, lambda: not exam._offers)
        exam.offer_device_reading = offer_device_reading
        page.shutdown()
        window.close()
    database.dispose()
    owner.dispose()
    return samples, banner_only


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from ils_desktop.devices import simulators

    app = QApplication.instance() or QApplication([])
    rng = random.Random(11)
    frames = [simulators.autorefractor_frame(rng, with_kerato=False) for _ in range(ROUNDS)]
    floor = plain_qt_floor(app, frames)
    with harness.workdir("ils-bench-banner-") as folder:
        ours, banner_only = ils_banner(app, folder, frames)
    print(f"autorefractor frame on a null-modem pty → on screen, {ROUNDS} frames")
    print(_summary("plain Qt: pty → QSocketNotifier → QLabel painted", floor))
    print(_summary("ILS: last byte → reading stored → exam banner painted", ours))
    print(_summary("  of which the exam's banner (offered, laid out, painted)", banner_only))


if __name__ == "__main__":
    main()
