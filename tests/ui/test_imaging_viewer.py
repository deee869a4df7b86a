"""The optometrist looks at a patient's images: thumbnails by date and device, a photograph zoomed and
panned, a 16-bit photograph's window/level, OCT B-scans scrolled, a field report's PDF in place, this
year's and last year's photographs side by side, and a B-scan attached to the exam's posterior
segment section (what reached the database checked)."""

from __future__ import annotations

import io
import os
import random
import uuid
from datetime import UTC, date, datetime

import pytest
from pydicom.uid import JPEGBaseline8Bit, RLELossless
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import text

from ils_desktop.devices.imaging import synthetic
from ils_desktop.devices.imaging.content_store import ContentStore
from ils_desktop.devices.imaging.dicom_object import facts_of
from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role
from ils_desktop.models.clinical import EyeExamination
from ils_desktop.models.patients import Patient
from ils_desktop.repositories.counters import CounterRepository
from ils_desktop.services.auth import SignedIn
from ils_desktop.services.gateway import Gateway
from ils_desktop.services.imaging import IncomingObject, store_imaging_object
from ils_desktop.services.use_case import run
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.widgets.imaging import ImagingDialog
from tests.sessions import signed

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
SHOTS = os.environ.get("ILS_SHOTS_DIR", "")


def _bytes(ds) -> bytes:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


@pytest.fixture
def scene(database, practice, tmp_path):  # type: ignore[no-untyped-def]
    context = signed(practice.company_id, practice.admin_id, frozenset({"optometrist"}),
                     DEFAULT_ROLE_PERMISSIONS[Role.OPTOMETRIST])
    with database.unit_of_work(context) as uow:
        number = uow.repository(CounterRepository).next_value("customer_number")
        patient = Patient(id=uuid.uuid4(), company_id=practice.company_id, customer_number=number, first_name="Zoë",
                          last_name="O'Brien", date_of_birth=date(1961, 3, 12), sex="female")
        uow.session.add(patient)
        uow.flush()
        exam = EyeExamination(id=uuid.uuid4(), company_id=practice.company_id, patient_id=patient.id,
                              clinician_id=practice.admin_id, exam_date=datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
        uow.session.add(exam)
        uow.commit()
    store = ContentStore(tmp_path / "store", durable=False)
    rng = random.Random(4)
    subject = synthetic.Subject(patient_id=f"C{number:06d}", name="O'BRIEN^ZOE", birth_date=date(1961, 3, 12))
    this_year, last_year = datetime(2026, 12, 7, 10, 5), datetime(2025, 11, 30, 15, 20)
    made = [
        synthetic.compressed(synthetic.fundus_photograph(rng, subject, last_year, size=320), JPEGBaseline8Bit),
        synthetic.compressed(synthetic.fundus_photograph(rng, subject, this_year, size=320), JPEGBaseline8Bit),
        synthetic.compressed(synthetic.fundus_photograph(rng, subject, this_year.replace(minute=6), size=400,
                                                         sixteen_bit=True), RLELossless),
        synthetic.compressed(synthetic.oct_volume(rng, subject, this_year.replace(minute=8), frames=6, rows=96,
                                                  columns=160), RLELossless),
        synthetic.field_report_pdf(rng, subject, this_year.replace(minute=15)),
        synthetic.visual_field(rng, subject, this_year.replace(minute=14)),
    ]
    for ds in made:
        stored = store.put(_bytes(ds))
        run(database, context, store_imaging_object, IncomingObject(
            facts=facts_of(ds, str(ds.file_meta.TransferSyntaxUID)), content_sha256=stored.sha256, size=stored.size,
            calling_ae_title="FUNDUS1"))
    signed_in = SignedIn(context, uuid.uuid4(), "Priya Shah", "priya@example.test", "optometrist",
                         "Test Opticians", "ecp", 15, False)
    return {"workspace": Workspace(Gateway(database, signed_in), "ROOM-1"), "patient": patient.id, "exam": exam.id,
            "store": tmp_path / "store", "context": context}


def _open(qtbot, scene, size=(1366, 768)):  # type: ignore[no-untyped-def]
    dialog = ImagingDialog(scene["workspace"], scene["patient"], "Mrs Zoë O'Brien", exam_id=scene["exam"],
                           store_root=scene["store"])
    qtbot.addWidget(dialog)
    dialog.resize(*size)
    dialog.show()
    viewer = dialog.viewer
    qtbot.waitUntil(lambda: viewer.thumbnails_ready == 6, timeout=20_000)
    return dialog, viewer


def _item(viewer, title: str, day: str):  # type: ignore[no-untyped-def]
    for top in range(viewer.list.topLevelItemCount()):
        group = viewer.list.topLevelItem(top)
        if group.text(0).endswith(day):
            for index in range(group.childCount()):
                if group.child(index).text(0).startswith(title):
                    return group.child(index)
    raise AssertionError(f"no {title} on {day}")


def _choose(qtbot, viewer, title: str, day: str = "07 Dec 2026"):  # type: ignore[no-untyped-def]
    item = _item(viewer, title, day)
    viewer.list.scrollToItem(item)
    rect = viewer.list.visualItemRect(item)
    qtbot.mouseClick(viewer.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    pane = viewer.active
    object_id = item.data(0, Qt.ItemDataRole.UserRole)
    qtbot.waitUntil(lambda: pane.object_id == object_id and not pane.view.item.pixmap().isNull()
                    and not pane._busy, timeout=20_000)
    return pane


def _shot(widget, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        widget.grab().save(os.path.join(SHOTS, name))


def test_thumbnails_by_date_and_device_then_each_kind_shown(qtbot, scene):  # type: ignore[no-untyped-def]
    dialog, viewer = _open(qtbot, scene)
    days = [viewer.list.topLevelItem(i).text(0) for i in range(viewer.list.topLevelItemCount())]
    assert days == ["Mon 07 Dec 2026", "Sun 30 Nov 2025"]
    assert viewer.list.topLevelItem(0).childCount() == 5 and viewer.count.text() == "6 images"
    assert all(not viewer.list.topLevelItem(0).child(i).icon(0).isNull() for i in range(5))

    # A colour photograph: zoom with the wheel about the pointer, then fit again.
    pane = _choose(qtbot, viewer, "Photograph · R\nFUNDUS1\n10:05")
    fitted = pane.view.scale_factor()
    centre = pane.view.viewport().rect().center()
    wheel = QWheelEvent(QPointF(centre), QPointF(pane.view.mapToGlobal(centre)), QPoint(0, 0), QPoint(0, 240),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    pane.view.wheelEvent(wheel)
    assert pane.view.scale_factor() == pytest.approx(fitted * 1.25 ** 2)
    qtbot.mouseClick(pane.fit_button, Qt.MouseButton.LeftButton)
    assert pane.view.scale_factor() == pytest.approx(fitted)
    assert pane.level_label.text() == "Brightness"

    # The 16-bit photograph: level and window; moving the window changes the picture.
    pane = _choose(qtbot, viewer, "Photograph · R\nFUNDUS1\n10:06")
    assert (pane.level_label.text(), pane.width_label.text()) == ("Level", "Window")
    before = pane.view.item.pixmap().toImage().pixelColor(200, 200).value()
    pane.width.setValue(max(1, pane.width.value() // 3))
    qtbot.waitUntil(lambda: not pane._busy and pane.view.item.pixmap().toImage().pixelColor(200, 200).value()
                    != before, timeout=10_000)

    # The OCT opens on its middle B-scan; scrolling shows another.
    pane = _choose(qtbot, viewer, "OCT · R")
    assert pane.frame_label.text() == "B-scan 4 of 6" and pane.frame_slider.isVisible()
    first = pane.view.item.pixmap().toImage()
    pane.frame_slider.setValue(0)
    qtbot.waitUntil(lambda: not pane._busy and pane.view.item.pixmap().toImage() != first, timeout=10_000)
    assert pane.frame_label.text() == "B-scan 1 of 6"
    _shot(dialog, "viewer-oct-1366x768.png")

    # The field analyser's PDF report in place, and the field result as a plot.
    pane = _choose(qtbot, viewer, "Report · R")
    assert pane.pages and pane.view.item.pixmap().width() > 600 and not pane.level.isVisible()
    _shot(dialog, "viewer-pdf-1366x768.png")
    pane = _choose(qtbot, viewer, "Visual field · R")
    assert pane.view.item.pixmap().width() == 900
    _shot(dialog, "viewer-field-1366x768.png")


def test_two_dates_side_by_side_and_a_b_scan_attached_to_the_exam(qtbot, scene, monkeypatch, database):  # type: ignore[no-untyped-def]
    dialog, viewer = _open(qtbot, scene, size=(1920, 1080))
    left = _choose(qtbot, viewer, "Photograph · R\nFUNDUS1\n10:05")
    qtbot.keyClick(viewer, Qt.Key.Key_C)
    assert viewer.compare.isChecked() and viewer.right.isVisible() and viewer.active is viewer.right
    right = _choose(qtbot, viewer, "Photograph · R", day="30 Nov 2025")
    assert "30 Nov 2025" in right.detail.text() and "07 Dec 2026" in left.detail.text()
    _shot(dialog, "viewer-compare-1920x1080.png")

    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _parent, _title, message: told.append(message))
    viewer._activate(viewer.left)
    pane = _choose(qtbot, viewer, "OCT · R")
    pane.frame_slider.setValue(4)
    labels = [a.text() for a in viewer.attach_menu.actions()]
    assert "Exam: Posterior segment" in labels and viewer.attach_button.isEnabled()
    next(a for a in viewer.attach_menu.actions() if a.text() == "Exam: Posterior segment").trigger()
    qtbot.waitUntil(lambda: told == ["Attached to Posterior segment."], timeout=10_000)
    with database.unit_of_work(scene["context"]) as uow:
        row = uow.session.execute(text("SELECT exam_id, exam_section, frame FROM imaging_attachments")).one()
    assert (row.exam_id, row.exam_section, row.frame) == (scene["exam"], "posterior_segment", 4)
    qtbot.waitUntil(lambda: "attached (1)" in _item(viewer, "OCT · R", "07 Dec 2026").text(0), timeout=10_000)
    dialog.resize(1366, 768)
    qtbot.wait(50)
    _shot(dialog, "viewer-compare-1366x768.png")
