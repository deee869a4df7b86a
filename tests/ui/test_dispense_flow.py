"""The whole dispense, as a dispensing optician and a lab technician do it, on two signed-in windows:
Rx → order (frame scanned as typed keys, measurements typed) → send → the lab's queue shows it →
the lab's steps reach the practice's timeline → the glasses read on a lensmeter over a real serial
line (a pty): pass → collected with the balance at the till; and a second pair that fails the check
→ quality issue → remake. Each step is checked on screen and in the database."""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import text

from ils_desktop.domain.diary import LONDON
from ils_desktop.services import clock, equipment
from ils_desktop.services.clock import FixedClock
from ils_desktop.services.dispensing import orders
from ils_desktop.services.use_case import run
from tests.dispensing_setup import Dispensary, open_dispensary
from tests.till_setup import STAFF_PASSWORD
from tests.ui.conftest import sign_in_by_keyboard

SHOTS = os.environ.get("ILS_SHOTS")  # a folder: the screens are saved there as PNGs to look at


@pytest.fixture(autouse=True)
def errors_raise(monkeypatch):  # type: ignore[no-untyped-def]
    """An error a screen would show in a dialog fails the test with its own message instead."""
    seen: list[BaseException] = []

    def show(error: BaseException, parent=None) -> None:  # type: ignore[no-untyped-def]
        seen.append(error)
        raise AssertionError(f"the screen showed an error: {type(error).__name__}: {error}")

    monkeypatch.setattr("ils_desktop.ui.ops.show_error", show)
    return seen


@pytest.fixture(autouse=True)
def monday():  # type: ignore[no-untyped-def]
    with clock.using(FixedClock(datetime(2026, 12, 7, 10, 0, tzinfo=LONDON))):
        yield


def _line(right: str, left: str) -> bytes:
    """A Huvitz lensmeter's one-line transmission (docs/domain/equipment.md)."""
    return f"LM2RK No=00036 R: {right} PD=00.0 ADD=+2.00 L: {left} PD=00.0 ADD=+2.00\r".encode()


def _send_later(master: int, data: bytes, delay: float = 1.0) -> threading.Thread:
    def send() -> None:
        time.sleep(delay)
        os.write(master, data)
    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def _status(database, place: Dispensary, order_id: uuid.UUID) -> str:  # type: ignore[no-untyped-def]
    with database.unit_of_work(place.do) as uow:
        return uow.session.execute(text("SELECT status FROM orders WHERE id = :o"), {"o": order_id}).scalar_one()


def _shot(widget, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(SHOTS) / f"{name}.png"))


def test_rx_to_collection_with_the_lab_and_the_lensmeter(qtbot, make_window, database, owner_engine, practice,
                                                         errors_raise):
    place = open_dispensary(database, owner_engine, practice)
    master, slave = os.openpty()
    port = os.ttyname(slave)
    run(database, place.shop.admin, equipment.save_device, equipment.DeviceDetails(
        name="CLM-3100", kind="lensmeter", maker="Huvitz", connection_type="serial",
        connection={"port": port, "protocol": "huvitz_lm", "baudrate": 9600, "parity": "N"}))
    try:
        practice_window = make_window(database)
        practice_window.resize(1366, 768)
        sign_in_by_keyboard(qtbot, practice_window, place.do_email, STAFF_PASSWORD)
        qtbot.waitUntil(lambda: practice_window.main_page is not None, timeout=20_000)
        page = practice_window.main_page
        page.show_screen("dispense")
        screen = page.screen("dispense")

        # The patient, by the shared finder; Enter picks her.
        qtbot.keyClicks(screen.finder.search, "Grace Hopper")
        qtbot.keyClick(screen.finder.search, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: screen.page is not None, timeout=10_000)
        assert "R -2.50/-0.75 × 90" in screen.rx_text.text().replace("x", "×") or "-2.50" in screen.rx_text.text()

        # A new order from the Rx.
        qtbot.mouseClick(screen.from_rx, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: screen.order is not None and screen.order.status == "draft", timeout=10_000)
        form = screen.form
        assert form.lens_kind.currentData() == "varifocal"  # the Rx has an add
        form.lens.setCurrentIndex(form.lens.findData(str(place.vari_lens)))
        form.frame_code.setFocus()
        qtbot.keyClicks(form.frame_code, place.frame_barcode)  # the scanner types the barcode
        qtbot.keyClick(form.frame_code, Qt.Key.Key_Return)
        try:
            qtbot.waitUntil(lambda: "Clubmaster" in form.frame_found.text(), timeout=10_000)
        except Exception:
            raise AssertionError((form.frame_found.text(), form.errors["frame"].text(), screen.message.text(),
                                  form.frame_code.isEnabled())) from None
        for name, value in (("right_distance_pd", "31.5"), ("left_distance_pd", "32"), ("right_near_pd", "30"),
                            ("left_near_pd", "30.5"), ("right_fitting_height", "20"), ("left_fitting_height", "20"),
                            ("box_a", "52"), ("box_b", "36"), ("dbl", "18"), ("ed", "56")):
            qtbot.keyClicks(form.fields[name], value)
        form.lab.setCurrentIndex(form.lab.findData(str(place.lab)))
        qtbot.keyClicks(form.price, "345")
        qtbot.keyClicks(form.deposit, "100")

        # A near PD wider than the distance PD is refused on its field first.
        form.fields["right_near_pd"].clear()
        qtbot.keyClicks(form.fields["right_near_pd"], "33")
        qtbot.mouseClick(screen.send_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: form.measure_errors.isVisible(), timeout=10_000)
        assert "near PD" in form.measure_errors.text()
        _shot(practice_window, "dispense-error-1366")
        form.fields["right_near_pd"].clear()
        qtbot.keyClicks(form.fields["right_near_pd"], "30")
        qtbot.mouseClick(screen.send_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: screen.order is not None and screen.order.status == "sent_to_lab", timeout=10_000)
        order_id = screen.order.id
        assert "sent" in screen.message.text().lower()
        _shot(practice_window, "dispense-sent-1366")

        # The deposit at the till.
        from ils_desktop.ui.screens.dispense.payment_dialog import PaymentDialog

        dialog = PaymentDialog(practice_window.workspace, screen.order, "deposit", screen)
        dialog.show()
        qtbot.waitUntil(lambda: dialog.ok.isEnabled(), timeout=10_000)
        qtbot.keyClicks(dialog.reference, "AUTH123")
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.result() == 1, timeout=10_000)

        # The lab technician, signed in to the lab company on another window.
        lab_window = make_window(database)
        lab_window.resize(1366, 768)
        sign_in_by_keyboard(qtbot, lab_window, place.lab_tech_email, STAFF_PASSWORD)
        qtbot.waitUntil(lambda: lab_window.main_page is not None, timeout=20_000)
        lab_window.main_page.show_screen("lab-queue")
        queue = lab_window.main_page.screen("lab-queue")
        qtbot.waitUntil(lambda: queue.job is not None and queue.job.order_id == order_id, timeout=10_000)
        assert queue.cells["heights"].text() == "20.0 / 20.0 mm"
        assert "G. Hopper" in queue.job_sub.text()
        _shot(lab_window, "lab-queue-1366")
        ticket = Path(os.environ.get("ILS_SHOTS") or "/tmp") / f"ticket-{uuid.uuid4().hex[:6]}.pdf"
        queue.save_ticket(ticket)
        qtbot.waitUntil(lambda: ticket.exists(), timeout=10_000)
        for step in ("acknowledged", "in_production", "dispatched"):
            if step == "acknowledged":
                qtbot.keyClicks(queue.reference, "LB-2201")
            qtbot.waitUntil(lambda s=step: queue.step_buttons[s].isEnabled(), timeout=10_000)
            qtbot.mouseClick(queue.step_buttons[step], Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda s=step: _status(database, place, order_id) == s, timeout=10_000)

        # Back at the practice: the lab's steps on the timeline, then check-in on the lensmeter.
        screen.show_patient(place.patient_id, keep=order_id)
        qtbot.waitUntil(lambda: screen.order is not None and screen.order.status == "dispatched", timeout=10_000)
        texts = [screen.timeline.item(i).text() for i in range(screen.timeline.count())]
        assert any("Dispatched by lab" in t and "Prism Lens Lab" in t for t in texts)
        page.show_screen("check-in")
        check = page.screen("check-in")
        check.refresh()
        qtbot.waitUntil(lambda: check.order is not None and check.order.id == order_id
                        and check.read_button.isEnabled(), timeout=10_000)
        _send_later(master, _line("S=-02.50 C=-00.75 A=091", "S=-02.75 C=+00.50 A=175"))
        qtbot.mouseClick(check.read_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: check.verdict.isVisible(), timeout=40_000)
        assert check.verdict.text().startswith("PASS")
        assert _status(database, place, order_id) == "ready_to_collect"
        _shot(practice_window, "check-in-pass-1366")

        # A second pair from the same order fails on the lensmeter: quality issue, remake.
        second = run(database, place.do, orders.order_from_previous, order_id, "second pair")
        run(database, place.do, orders.save_order, second, orders.OrderSpec(
            lens_kind="varifocal", lens_product_id=place.vari_lens, frame_code=place.frame_barcode,
            lab_company_id=place.lab, price=Decimal("200.00")))
        with database.unit_of_work(place.do) as uow:
            uow.session.execute(text(
                "INSERT INTO dispense_records (company_id, order_id, right_distance_pd, left_distance_pd, "
                "right_fitting_height, left_fitting_height) VALUES (:c, :o, 31.5, 32, 20, 20)"),
                {"c": place.do.company_id, "o": second})
            uow.commit()
        run(database, place.do, orders.send_to_lab, second)
        from ils_desktop.services.dispensing import lab_queue

        for step in ("acknowledged", "in_production", "dispatched"):
            run(database, place.lab_tech, lab_queue.update_lab_job, place.do.company_id, second, step)
        check.refresh()
        qtbot.waitUntil(lambda: any(line.id == second for line in check.model.rows), timeout=10_000)
        row = next(i for i, line in enumerate(check.model.rows) if line.id == second)
        check.table.selectRow(row)
        qtbot.waitUntil(lambda: check.order is not None and check.order.id == second
                        and check.read_button.isEnabled(), timeout=10_000)
        _send_later(master, _line("S=-02.50 C=-00.75 A=110", "S=-02.25 C=-00.50 A=085"))
        qtbot.mouseClick(check.read_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: check.verdict.isVisible() and check.verdict.text() == "FAIL", timeout=40_000)
        assert "Right:" in check.problems.text() and "xis" in check.problems.text()
        assert check.remake_button.isVisible()
        _shot(practice_window, "check-in-fail-1366")
        qtbot.mouseClick(check.remake_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: _status(database, place, second) == "remake", timeout=10_000)
        with database.unit_of_work(place.do) as uow:
            issue = uow.session.execute(text(
                "SELECT fault, remake_order_id IS NOT NULL FROM quality_issues WHERE order_id = :o"),
                {"o": second}).one()
        assert tuple(issue) == ("lab", True)

        # Collection: the balance at the till, from the dispense screen.
        page.show_screen("dispense")
        screen.show_patient(place.patient_id, keep=order_id)
        qtbot.waitUntil(lambda: screen.order is not None and screen.order.id == order_id
                        and screen.collect_button.isEnabled(), timeout=10_000)
        collect = PaymentDialog(practice_window.workspace, screen.order, "balance", screen)
        collect.show()
        assert collect.tendered.text() == "245.00"
        qtbot.waitUntil(lambda: collect.ok.isEnabled(), timeout=10_000)
        qtbot.mouseClick(collect.ok, Qt.MouseButton.LeftButton)  # a card payment needs its reference
        try:
            qtbot.waitUntil(lambda: collect.message.isVisible(), timeout=10_000)
        except Exception:
            raise AssertionError((collect.message.text(), collect.ok.isEnabled(), collect.result(),
                                  errors_raise)) from None
        assert "reference" in collect.message.text().lower(), collect.message.text()
        qtbot.keyClicks(collect.reference, "AUTH456")
        qtbot.mouseClick(collect.ok, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: collect.result() == 1, timeout=10_000)
        assert _status(database, place, order_id) == "collected"
        with database.unit_of_work(place.do) as uow:
            paid = uow.session.execute(text("SELECT sum(total) FROM pos_transactions WHERE patient_id = :p"),
                                       {"p": place.patient_id}).scalar_one()
        assert paid == Decimal("345.00")
        with database.unit_of_work(place.do) as uow:  # the scanned frame left stock as she collected
            frame_out = uow.session.execute(text(
                "SELECT reason, quantity FROM inventory_movements WHERE order_id = :o"), {"o": order_id}).all()
        assert [tuple(row) for row in frame_out] == [("dispensed", -1)]

        # A week later she cannot get on with them: a non-adapt, remade at the practice's cost.
        from ils_desktop.ui.screens.dispense.non_adapt_dialog import NonAdaptDialog

        screen.show_patient(place.patient_id, keep=order_id)
        qtbot.waitUntil(lambda: screen.order is not None and screen.order.status == "collected", timeout=10_000)
        assert screen.non_adapt_action.isEnabled()
        complaint = NonAdaptDialog(practice_window.workspace, screen.order, screen)
        complaint.show()
        qtbot.keyClicks(complaint.complaint, "Swimmy at the edges")
        qtbot.keyClicks(complaint.change, "Pantoscopic tilt increased")
        complaint.cost.clear()
        qtbot.keyClicks(complaint.cost, "35")
        complaint.remake.setChecked(True)
        qtbot.mouseClick(complaint.ok, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: complaint.result() == 1, timeout=10_000)
        page.show_screen("aftercare")
        care = page.screen("aftercare")
        care.refresh()
        qtbot.waitUntil(lambda: any(line.order_number == screen.order.number for line in care.open_model.rows),
                        timeout=10_000)
        line = next(line for line in care.open_model.rows if line.order_number == screen.order.number)
        assert line.what == "Swimmy at the edges" and line.cost == Decimal("35.00") and line.remake_number
        assert "£35.00" in care.cost.text() or "Cost this month" in care.cost.text()
        _shot(practice_window, "aftercare-1366")
    finally:
        os.close(master)
        os.close(slave)
