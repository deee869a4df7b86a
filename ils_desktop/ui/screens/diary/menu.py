"""The menu of what can be done with a booking (or a free slot): Enter or right-click in the
grid. Its actions answer to the same single keys as the diary (A, D, X…)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from ils_desktop.domain.diary import format_span
from ils_desktop.services.diary import Booking
from ils_desktop.ui.screens.diary.columns import ACTION_KEYS
from ils_desktop.ui.theme import icon

ENTRIES = (("arrived", "Arrived"), ("exam", "Start examination"), ("in_test", "In test"),
           ("completed", "Completed"), ("did_not_attend", "Did not attend"), ("booked", "Reinstate"),
           ("move", "Move or change…"), ("cancelled", "Cancel appointment…"))


def action_menu(parent: QWidget, booking: Booking | None, allowed: dict[str, bool],
                handlers: dict[str, Callable[[], None]]) -> QMenu | None:
    """The menu for ``booking`` (None: a free slot) with the actions ``allowed`` now; None when
    there is nothing to offer."""
    menu = ActionMenu(parent)
    menu.setObjectName("diaryActions")
    if booking is None:
        if allowed.get("book"):
            menu.addAction(icon("add"), "Book this slot…", handlers["book"]).setShortcut(QKeySequence("N"))
    else:
        title = menu.addAction(f"{booking.patient_name or booking.type_name} · "
                               f"{format_span(booking.starts_at, booking.ends_at)}")
        title.setEnabled(False)
        menu.addSeparator()
        for key, text in ENTRIES:
            if not allowed.get(key):
                continue
            action = QAction(text, menu)
            action.setObjectName(f"diaryMenu_{key}")
            action.setShortcut(QKeySequence(ACTION_KEYS[key]))
            action.triggered.connect(handlers[key])
            menu.addAction(action)
        if menu.actions()[-1].isSeparator():
            menu.addAction("Nothing more to do with this appointment").setEnabled(False)
    return None if menu.isEmpty() else menu


class ActionMenu(QMenu):
    """A menu whose actions also answer to the same single keys as the diary (A, D, X…)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        typed = event.text().lower()
        for action in self.actions():
            if typed and action.isEnabled() and action.shortcut().toString().lower() == typed:
                self.close()
                action.trigger()
                return
        super().keyPressEvent(event)


