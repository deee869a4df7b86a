"""Guards against a Qt binding that corrupts the interpreter (PySide6 6.12.0 on CPython 3.11)."""

import sys

from PySide6.QtCore import QCoreApplication


def test_processing_events_does_not_leak_references_to_none(qapp):
    before = sys.getrefcount(None)
    for _ in range(500):
        QCoreApplication.processEvents()
    assert before - sys.getrefcount(None) < 50
