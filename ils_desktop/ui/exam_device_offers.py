"""Into the exam: every reading waiting for the patient of the open examination is offered in
the exam's banner, and settled (accepted into the exam, or discarded) when the clinician decides.

One typed path: a reading from a device this workstation listens to is stored by its device hub,
which then hands the stored reading - its measurement a typed ``Measurement``, nothing parsed again,
no second trip to the database - to the feed's Qt signal, and it is offered at once (``arrived``).

What that push cannot bring is looked for, never what it brings: the readings already waiting when
an exam opens, a reading someone assigns from the unmatched inbox, and readings stored elsewhere (the
practice server's DICOM service, a device another computer listens to). For those last, while an
exam is open, a light query every few seconds asks for the patient's waiting readings that did not
come through this workstation's push (``readings_waiting_for(..., pushed_from=...)``).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from PySide6.QtCore import QObject, QTimer

from ils_desktop.domain.exam import DeviceSource
from ils_desktop.services import device_readings
from ils_desktop.ui.ops import changes, run_op
from ils_desktop.ui.session import Workspace

log = logging.getLogger(__name__)

ELSEWHERE_POLL_MS = 5_000


class ExamDeviceOffers(QObject):
    def __init__(self, workspace: Workspace, exam_screen: Any, feed: Any = None) -> None:
        super().__init__(exam_screen)
        self.workspace = workspace
        self.exam = exam_screen
        self.feed = feed
        self.offered: set[uuid.UUID] = set()
        self._checking = False
        self._stopped = False
        exam_screen.exam_loaded.connect(self.check)
        exam_screen.reading_settled.connect(self.settle)
        changes.changed.connect(self._on_change)
        if feed is not None:
            feed.reading_stored.connect(self.arrived)
        self.timer = QTimer(self)
        self.timer.setInterval(ELSEWHERE_POLL_MS)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def _open_patient(self) -> uuid.UUID | None:
        record = self.exam.record
        if record is None or record.is_finalised:
            return None
        return record.patient.id

    def _on_change(self, what: str) -> None:
        if what == "readings" and not self._stopped:  # assigned (or discarded) in this window's inbox
            self.check()

    def check(self, *_args: object) -> None:
        """Ask for the open patient's waiting readings that this workstation's push did not bring."""
        patient_id = self._open_patient()
        if patient_id is None or self._checking:
            return
        self._checking = True
        call = self.workspace.call
        pushed_from = sorted(self.feed.hosted) if self.feed is not None else []

        def failed(error: BaseException) -> bool:
            self._checking = False
            log.warning("could not look for device readings: %s", type(error).__name__)
            return True

        run_op(lambda: call(device_readings.readings_waiting_for, patient_id, pushed_from),
               on_done=lambda readings: self._offer(patient_id, readings), on_error=failed, parent=self.exam)

    def arrived(self, reading: device_readings.StoredReading) -> None:
        """A reading was just stored on this workstation: offer it at once if it is for the patient
        whose exam is open; any other reading is not this exam's."""
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
            if reading.id in self.offered or reading.measurement is None or not reading.kind:
                continue
            source = DeviceSource(device=reading.device_name or "device", kind=reading.kind,
                                  received_at=reading.received_at, reading_id=str(reading.id))
            # The exam takes one measurement of the device JSON contract (numbers as Decimal here).
            if self.exam.offer_device_reading(reading.kind, reading.measurement.to_json_dict(), source):
                self.offered.add(reading.id)

    def settle(self, source: DeviceSource, accepted: bool) -> None:
        try:
            reading_id = uuid.UUID(str(source.reading_id))
        except ValueError:
            return  # not a stored reading (e.g. typed in by hand): nothing to settle
        record = self.exam.record
        exam_id = record.id if record is not None else None
        call = self.workspace.call
        run_op(lambda: call(device_readings.settle_reading, reading_id, accepted=accepted, exam_id=exam_id),
               on_error=lambda error: (log.warning("reading %s not settled: %s", reading_id,
                                                   type(error).__name__), True)[1])

    def stop(self) -> None:
        self.timer.stop()
        self._stopped = True
