"""The rules of the practice's own set-up: test rooms, appointment types, clinical protocols,
prescription note templates and what each role may do.

Each function answers "what is wrong with this?" by field, so an editor can say it beside the field
(``{}`` when nothing is). Text is checked for what cannot be stored first (``domain.text_input``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from ils_desktop.domain import text_input
from ils_desktop.domain.roles import PERMISSION_CODES, Role

#: Appointment lengths the database accepts (``ck_appointment_types_duration``), in steps of 5 so the
#: diary's 5-minute grid can hold them.
SHORTEST_APPOINTMENT: Final = 5
LONGEST_APPOINTMENT: Final = 480
_CODE: Final = re.compile(r"^[a-z][a-z0-9_]{1,29}$")
_COLOUR: Final = re.compile(r"^#[0-9A-Fa-f]{6}$")

#: What the administrator's role always keeps: seeing and managing staff, and reaching Practice
#: settings, so that someone can always put the other roles right (the database also refuses a change
#: after which nobody active may manage staff).
ADMINISTRATOR_KEEPS: Final[frozenset[str]] = frozenset({"users.view", "users.manage", "settings.manage"})

#: Roles whose permissions a practice edits (labs and suppliers are other companies' roles).
PRACTICE_ROLES: Final[tuple[Role, ...]] = (
    Role.ADMIN, Role.PRACTICE_MANAGER, Role.OPTOMETRIST, Role.CONTACT_LENS_OPTICIAN,
    Role.DISPENSING_OPTICIAN, Role.FRONT_DESK,
)


def _clash(name: str, others: Iterable[str]) -> bool:
    folded = name.strip().casefold()
    return any(folded == other.strip().casefold() for other in others)


def room_problems(name: str, location: str, other_names: Collection[str]) -> dict[str, str]:
    """A test room needs a name of its own (the diary's column heading); where it is, optional."""
    problems = text_input.text_problems({"name": (name, text_input.NAME),
                                         "location": (location, text_input.ADDRESS_LINE)})
    if "name" not in problems:
        if not name.strip():
            problems["name"] = "Give the room a name (e.g. Test room 3)."
        elif _clash(name, other_names):
            problems["name"] = f"There is already a room called '{name.strip()}'."
    return problems


def code_for(name: str) -> str:
    """A code made from an appointment type's name: 'Child sight test' → 'child_sight_test'."""
    words = re.findall(r"[a-z0-9]+", name.casefold())
    code = "_".join(words)[:30].strip("_")
    if code and not code[0].isalpha():
        code = f"t_{code}"[:30]
    return code


@dataclass(frozen=True)
class AppointmentTypeText:
    """An appointment type as typed in the editor."""

    code: str
    name: str
    duration_minutes: int
    colour: str


def appointment_type_problems(kind: AppointmentTypeText, *, other_codes: Collection[str],
                              other_names: Collection[str], new: bool) -> dict[str, str]:
    """Rules of an appointment type:

    * the code (what bookings store) is 2–30 lower-case letters, digits or _, starting with a letter,
      and unique; it is chosen once, when the type is added;
    * the name (what the diary shows) is given and unique;
    * the length is 5 to 480 minutes in steps of 5 (the database's bounds; the diary's grid);
    * the colour is #RRGGBB.
    """
    problems = text_input.text_problems({"name": (kind.name, text_input.NAME),
                                         "code": (kind.code, text_input.CODE)})
    if new and "code" not in problems:
        if not _CODE.match(kind.code):
            problems["code"] = "Use 2–30 lower-case letters, digits or _, starting with a letter (e.g. child_test)."
        elif kind.code in other_codes:
            problems["code"] = f"The code '{kind.code}' is already used by another appointment type."
    if "name" not in problems:
        if not kind.name.strip():
            problems["name"] = "Give the appointment type a name (e.g. Child sight test)."
        elif _clash(kind.name, other_names):
            problems["name"] = f"There is already an appointment type called '{kind.name.strip()}'."
    if not SHORTEST_APPOINTMENT <= kind.duration_minutes <= LONGEST_APPOINTMENT:
        problems["duration_minutes"] = (f"An appointment lasts {SHORTEST_APPOINTMENT} to {LONGEST_APPOINTMENT} "
                                        "minutes.")
    elif kind.duration_minutes % 5:
        problems["duration_minutes"] = "Use a length in steps of 5 minutes (the diary's grid)."
    if not _COLOUR.match(kind.colour.strip()):
        problems["colour"] = "Choose a colour (#RRGGBB)."
    return problems


def protocol_problems(title: str, items: Iterable[str], condition: str, other_titles: Collection[str]
                      ) -> dict[str, str]:
    """A clinical protocol is a titled checklist (unique title, at least one item, no item twice);
    its condition, if any, is a word looked for in the patient's history (e.g. 'diabet')."""
    items = list(items)
    problems = text_input.text_problems({"title": (title, text_input.NAME),
                                         "condition": (condition, text_input.CODE)})
    for item in items:
        problem = text_input.text_problem(item, text_input.LABEL)
        if problem:
            problems["items"] = problem
            break
    if "title" not in problems:
        if not title.strip():
            problems["title"] = "Give the protocol a title (e.g. Diabetic patient)."
        elif _clash(title, other_titles):
            problems["title"] = f"There is already a protocol called '{title.strip()}'."
    if "items" not in problems:
        cleaned = [i.strip() for i in items if i.strip()]
        if not cleaned:
            problems["items"] = "Write at least one thing to check, one a line."
        elif len({i.casefold() for i in cleaned}) != len(cleaned):
            problems["items"] = "Each check appears once."
    if "condition" not in problems and condition.strip() and len(condition.split()) > 3:
        problems["condition"] = "Write the word to look for in the history (e.g. diabet, glaucoma), not a sentence."
    return problems


def template_problems(name: str, notes: str, other_names: Collection[str]) -> dict[str, str]:
    """A prescription note template: a short unique name and the wording it adds (the same rule as a
    prescription's notes)."""
    problems = text_input.text_problems({"name": (name, text_input.LABEL), "notes": (notes, text_input.LONG_NOTE)})
    if "name" not in problems:
        if not name.strip():
            problems["name"] = "Give the template a short name (e.g. For driving)."
        elif len(name.strip()) > 80:
            problems["name"] = "Keep the name under 80 characters."
        elif _clash(name, other_names):
            problems["name"] = f"There is already a template called '{name.strip()}'."
    if "notes" not in problems and not notes.strip():
        problems["notes"] = "Write the wording the template adds to the prescription."
    return problems


def role_permission_problems(role: str, codes: Collection[str]) -> dict[str, str]:
    """What is wrong with giving ``role`` exactly ``codes``: a practice role, known permissions, and
    the administrator keeps what lets someone always manage the practice (``ADMINISTRATOR_KEEPS``)."""
    if role not in {r.value for r in PRACTICE_ROLES}:
        return {"role": "Choose one of the practice's roles."}
    unknown = sorted(set(codes) - PERMISSION_CODES)
    if unknown:
        return {"permissions": f"Unknown permission: {', '.join(unknown)}."}
    if role == Role.ADMIN and not set(codes) >= ADMINISTRATOR_KEEPS:
        return {"permissions": "The administrator always keeps: see the staff list, manage staff and change "
                               "practice settings, so that someone can always put the other roles right."}
    return {}


def changed_roles(before: Mapping[str, frozenset[str]], after: Mapping[str, frozenset[str]]) -> list[str]:
    """The roles whose permissions differ between ``before`` and ``after``, in the practice's order."""
    return [r.value for r in PRACTICE_ROLES
            if frozenset(before.get(r.value, frozenset())) != frozenset(after.get(r.value, frozenset()))]
