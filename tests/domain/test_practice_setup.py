"""The rules of the practice's set-up, case by case (``domain.practice_setup``)."""

from __future__ import annotations

import pytest

from ils_desktop.domain.practice_setup import (
    ADMINISTRATOR_KEEPS,
    AppointmentTypeText,
    appointment_type_problems,
    changed_roles,
    code_for,
    protocol_problems,
    role_permission_problems,
    room_problems,
    template_problems,
)
from ils_desktop.domain.roles import DEFAULT_ROLE_PERMISSIONS, Role


@pytest.mark.parametrize(("name", "location", "others", "field", "says"), [
    ("Test room 3", "", ["Test room 1"], None, ""),
    ("", "", [], "name", "Give the room a name"),
    ("   ", "Upstairs", [], "name", "Give the room a name"),
    ("test ROOM 1 ", "", ["Test room 1"], "name", "already a room called 'test ROOM 1'"),
    ("Room\x00", "", [], "name", "cannot be stored"),
    ("R" * 101, "", [], "name", "100 characters or fewer"),
    ("Room 4", "x" * 101, [], "location", "100 characters or fewer"),
])
def test_a_room_needs_a_name_of_its_own(name, location, others, field, says):
    problems = room_problems(name, location, others)
    if field is None:
        assert problems == {}
    else:
        assert says in problems[field]


@pytest.mark.parametrize(("name", "code"), [
    ("Child sight test", "child_sight_test"),
    ("CL aftercare (soft)", "cl_aftercare_soft"),
    ("  Domiciliary — care home  ", "domiciliary_care_home"),
    ("3-month check", "t_3_month_check"),
    ("", ""),
])
def test_a_code_is_made_from_the_name(name, code):
    assert code_for(name) == code


def _kind(**changes):  # type: ignore[no-untyped-def]
    values = {"code": "child_test", "name": "Child sight test", "duration_minutes": 30, "colour": "#0E7490"}
    return AppointmentTypeText(**{**values, **changes})


@pytest.mark.parametrize(("kind", "new", "field", "says"), [
    (_kind(), True, None, ""),
    (_kind(code="Child Test"), True, "code", "lower-case letters"),
    (_kind(code="1child"), True, "code", "starting with a letter"),
    (_kind(code="x"), True, "code", "2–30"),
    (_kind(code="sight_test"), True, "code", "already used"),
    (_kind(code="Whatever It Was"), False, None, ""),  # a code is chosen once, when added
    (_kind(name=""), True, "name", "Give the appointment type a name"),
    (_kind(name="sight TEST"), True, "name", "already an appointment type called"),
    (_kind(duration_minutes=4), True, "duration_minutes", "5 to 480 minutes"),
    (_kind(duration_minutes=481), True, "duration_minutes", "5 to 480 minutes"),
    (_kind(duration_minutes=32), True, "duration_minutes", "steps of 5"),
    (_kind(duration_minutes=480), True, None, ""),
    (_kind(colour="teal"), True, "colour", "#RRGGBB"),
    (_kind(colour="#12345G"), True, "colour", "#RRGGBB"),
    (_kind(colour="#abcdef"), True, None, ""),
])
def test_appointment_type_rules(kind, new, field, says):
    problems = appointment_type_problems(kind, other_codes={"sight_test"}, other_names=["Sight test"], new=new)
    if field is None:
        assert problems == {}
    else:
        assert says in problems[field], problems


@pytest.mark.parametrize(("title", "items", "condition", "field", "says"), [
    ("Myopia control", ["Axial length measured", "Cycloplegic refraction"], "myopia", None, ""),
    ("", ["x"], "", "title", "Give the protocol a title"),
    ("glaucoma RISK", ["x"], "", "title", "already a protocol called"),
    ("New", [], "", "items", "at least one thing to check"),
    ("New", ["  ", ""], "", "items", "at least one thing to check"),
    ("New", ["IOP", "iop "], "", "items", "appears once"),
    ("New", ["ok", "bad\x1b"], "", "items", "cannot be used here"),
    ("New", ["ok"], "patients who have had diabetes for years", "condition", "the word to look for"),
])
def test_protocol_rules(title, items, condition, field, says):
    problems = protocol_problems(title, items, condition, ["Glaucoma risk"])
    if field is None:
        assert problems == {}
    else:
        assert says in problems[field], problems


@pytest.mark.parametrize(("name", "notes", "field", "says"), [
    ("For driving", "Suitable for driving.", None, ""),
    ("", "Wording", "name", "short name"),
    ("n" * 81, "Wording", "name", "under 80"),
    ("VDU USE", "Wording", "name", "already a template called"),
    ("New", "  ", "notes", "Write the wording"),
    ("New", "line one\nline two", None, ""),  # notes are multi-line
])
def test_template_rules(name, notes, field, says):
    problems = template_problems(name, notes, ["VDU use"])
    if field is None:
        assert problems == {}
    else:
        assert says in problems[field], problems


@pytest.mark.parametrize(("role", "codes", "field"), [
    ("front_desk", {"patients.view", "till.sell"}, None),
    ("front_desk", set(), None),  # a role may do nothing
    ("lab_technician", {"lab.jobs"}, "role"),  # another company's role
    ("chief", set(), "role"),
    ("front_desk", {"patients.view", "patients.fly"}, "permissions"),
    ("admin", DEFAULT_ROLE_PERMISSIONS[Role.ADMIN] - {"users.manage"}, "permissions"),
    ("admin", DEFAULT_ROLE_PERMISSIONS[Role.ADMIN] - {"settings.manage"}, "permissions"),
    ("admin", set(ADMINISTRATOR_KEEPS), None),
])
def test_role_permission_rules(role, codes, field):
    problems = role_permission_problems(role, frozenset(codes))
    assert (field in problems) if field else problems == {}


def test_only_roles_that_differ_are_changed():
    before = {"admin": frozenset({"a"}), "front_desk": frozenset({"b"})}
    after = {"admin": frozenset({"a"}), "front_desk": frozenset({"b", "c"}), "optometrist": frozenset()}
    assert changed_roles(before, after) == ["front_desk"]
