"""The "Test rooms" card: the diary's columns — add, rename, retire, and remove one added by mistake."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QLineEdit, QWidget

from ils_desktop.domain.practice_setup import room_problems
from ils_desktop.services import practice_setup
from ils_desktop.services.practice_setup import RoomSetup
from ils_desktop.ui.rows_model import Index, RowsModel
from ils_desktop.ui.screens.practice_settings.setup_card import SetupCard
from ils_desktop.ui.session import Workspace


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


class RoomsModel(RowsModel[RoomSetup]):
    COLUMNS = ("Room", "Where", "In use")

    def display(self, room: RoomSetup, index: Index) -> Any:
        if index.column() == 0:
            return room.name
        if index.column() == 1:
            return room.location or "—"
        if not room.active:
            return "Retired"
        parts = [plural(room.upcoming, "booking") + " to come"] if room.upcoming else []
        if room.devices:
            parts.append(plural(room.devices, "device"))
        return ", ".join(parts) or ("Not used yet" if room.removable else "No bookings to come")


class RoomsCard(SetupCard[RoomSetup]):
    HEADING = "Test rooms"
    INTRO = ("Each room is a column of the diary. A room with bookings or devices on record is retired rather "
             "than removed: it leaves the diary and its history stays.")
    NOUN = "room"
    CHANGED = "diary"
    COLUMN_WIDTHS = {1: 110, 2: 170}
    REMOVABLE = True

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(workspace, RoomsModel(), parent)
        self.name, self.location = QLineEdit(), QLineEdit()
        self.name.setPlaceholderText("e.g. Test room 3")
        self.add_field("name", "Name", self.name, 0)
        self.add_field("location", "Where (optional)", self.location, 1,
                       hint="e.g. First floor — for staff finding their way.")

    def list_case(self) -> Any:
        return practice_setup.list_rooms

    def show_row(self, row: RoomSetup | None) -> None:
        self.name.setText(row.name if row else "")
        self.location.setText(row.location if row else "")

    def local_problems(self) -> dict[str, str]:
        others = [r.name for r in self.rows or [] if self.current is None or r.id != self.current.id]
        return room_problems(self.name.text(), self.location.text(), others)

    def save_work(self, call: Callable[..., Any]) -> Callable[[], Any]:
        name, location = self.name.text(), self.location.text()
        if self.current is None:
            return lambda: call(practice_setup.add_room, name, location)
        room_id = self.current.id
        return lambda: call(practice_setup.rename_room, room_id, name, location)

    def saved_message(self, result: Any) -> str:
        return "Room added: it is a column of the diary now." if isinstance(result, uuid.UUID) else "Saved."

    def can_remove(self, row: RoomSetup) -> bool:
        return row.removable

    def toggle_work(self, call: Callable[..., Any], row: RoomSetup, active: bool) -> Callable[[], Any]:
        return lambda: call(practice_setup.set_room_active, row.id, active)

    def remove_work(self, call: Callable[..., Any], row: RoomSetup) -> Callable[[], Any]:
        return lambda: call(practice_setup.remove_room, row.id)
