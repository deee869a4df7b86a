"""Into the exam: every reading waiting for the patient of the open examination is offered in
the exam's banner, and settled (accepted into the exam, or discarded) when the clinician decides.

Readings reach it three ways: this workstation's device feed (at once), and a poll every few
seconds for those stored elsewhere (``ils-desktop devices serve`` on the practice server, or a
reading someone assigned from the unmatched inbox).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from PySide6.QtCore import QObject, QTimer

from ils_desktop.domain.exam import DeviceSource
from ils_desktop.services import device_readings
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.session import Workspace

log = logging.getLogger(__name__)

POLL_MS = 5_000


class ExamDeviceOffers(QObject):
    def __init__(self, workspace: Workspace, exam_screen: Any, feed: Any = None) -> None:
        super().__init__(exam_screen)
        self.workspace = workspace
        self.exam = exam_screen
        self.offered: set[str] = set()
        self._checking = False
        exam_screen.exam_loaded.connect(self.check)
        exam_screen.reading_settled.connect(self.settle)
        if feed is not None:
            feed.reading_stored.connect(self.arrived)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def _open_patient(self) -> uuid.UUID | None:
        record = self.exam.record
        if record is None or record.is_finalised:
            return None
        return record.patient.id

    def check(self, *_args: object) -> None:
        patient_id = self._open_patient()
        if patient_id is None or self._checking:
            return
        self._checking = True
        database, context = self.workspace.database, self.workspace.context

        def failed(error: BaseException) -> bool:
            self._checking = False
            log.warning("could not look for device readings: %s", error)
            return True

        run_op(lambda: device_readings.readings_waiting_for(database, context, patient_id),
               on_done=lambda readings: self._offer(patient_id, readings), on_error=failed, parent=self.exam)

    def arrived(self, reading: device_readings.StoredReading) -> None:
        """A reading was just stored on this workstation: offer it at once if it is for the patient
        whose exam is open (no second trip to the database); any other reading is not this exam's."""
        patient_id = self._open_patient()
        if patient_id is not None and reading.waiting_for_exam and reading.patient_id == patient_id:
            self._offer_readings(patient_id, [reading])

    def _offer(self, patient_id: uuid.UUID, readings: list[device_readings.StoredReading]) -> None:
        self._checking = False
        self._offer_readings(patient_id, readings)

    def _offer_readings(self, patient_id: uuid.UUID, readings: list[device_readings.StoredReading]) -> None:
        if self._open_patient() != patient_id:
            return  # the clinician moved on to another patient meanwhile
        for reading in readings:
            key = str(reading.id)
            if key in self.offered or not reading.measurement or not reading.kind:
                continue
            source = DeviceSource(device=reading.device_name or "device", kind=reading.kind,
                                  received_at=reading.received_at, reading_id=key)
            if self.exam.offer_device_reading(reading.kind, reading.measurement, source):
                self.offered.add(key)

    def settle(self, source: DeviceSource, accepted: bool) -> None:
        try:
            reading_id = uuid.UUID(str(source.reading_id))
        except ValueError:
            return  # not a stored reading (e.g. typed in by hand): nothing to settle
        record = self.exam.record
        exam_id = record.id if record is not None else None
        database, context = self.workspace.database, self.workspace.context
        run_op(lambda: device_readings.settle_reading(database, context, reading_id, accepted=accepted,
                                                      exam_id=exam_id),
               on_error=lambda error: (log.warning("reading %s not settled: %s", reading_id, error), True)[1])

    def stop(self) -> None:
        self.timer.stop()
