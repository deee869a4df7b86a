"""The patient-matching rule, case by case (``domain.patient_matching.match_patient``)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from ils_desktop.domain.equipment import MatchMethod
from ils_desktop.domain.patient_matching import (
    Candidate,
    DeviceIdentity,
    IdKind,
    classify_device_id,
    match_patient,
    name_agrees,
)

KAREN = Candidate(uuid.UUID(int=17), "Williams", "Karen", date(1968, 5, 2))
ZOE = Candidate(uuid.UUID(int=42), "O'Brien", "Zoë", date(1961, 3, 12))
MARY = Candidate(uuid.UUID(int=7), "Smith-Jones", "Mary Ann", date(1950, 1, 2))
MARY_TWIN = Candidate(uuid.UUID(int=8), "Smith-Jones", "Mary", date(1950, 1, 2))
NO_DOB = Candidate(uuid.UUID(int=9), "Patel", "Asha", None)

# (case, what the device sent, the patient its id points at, patients born that day, expected)
# expected: a candidate (matched, with the method) or a piece of the reason it is unmatched.
CASES = [
    ("issued id, agreeing name and DOB", DeviceIdentity("C000017", "WILLIAMS^KAREN", date(1968, 5, 2)),
     KAREN, [KAREN], (KAREN, MatchMethod.DEVICE_ID)),
    ("issued id alone", DeviceIdentity("C000017"), KAREN, [], (KAREN, MatchMethod.DEVICE_ID)),
    ("issued id, agreeing name, no DOB", DeviceIdentity("C000017", "Williams^Karen"), KAREN, [],
     (KAREN, MatchMethod.DEVICE_ID)),
    ("issued id, contradicting name", DeviceIdentity("C000017", "NOBODY^NEMO", date(1968, 5, 2)), KAREN, [KAREN],
     "whose name differs"),
    ("issued id, contradicting DOB", DeviceIdentity("C000017", "WILLIAMS^KAREN", date(1901, 1, 1)), KAREN, [],
     "whose date of birth differs"),
    ("issued id, contradicting both", DeviceIdentity("C000017", "Nobody^Nemo", date(1901, 1, 1)), KAREN, [],
     "whose name and date of birth differ"),
    ("patient UUID issued by the app", DeviceIdentity(str(KAREN.id)), KAREN, [], (KAREN, MatchMethod.DEVICE_ID)),
    ("bare 17 with agreeing name and DOB", DeviceIdentity("17", "WILLIAMS^KAREN", date(1968, 5, 2)), KAREN, [KAREN],
     (KAREN, MatchMethod.NAME_DOB)),
    ("0017 with agreeing name and DOB", DeviceIdentity("0017", "Karen Williams", date(1968, 5, 2)), KAREN, [KAREN],
     (KAREN, MatchMethod.NAME_DOB)),
    ("ID-17, Nobody^Nemo born 1901 (the review's case)", DeviceIdentity("ID-17", "Nobody^Nemo", date(1901, 1, 1)),
     KAREN, [], "whose name and date of birth differ"),
    ("0017, Nobody^Nemo born 1901", DeviceIdentity("0017", "Nobody^Nemo", date(1901, 1, 1)), KAREN, [],
     "differ"),
    ("bare number alone is not trusted", DeviceIdentity("17"), KAREN, [], "did not issue"),
    ("bare number with name but no DOB", DeviceIdentity("17", "WILLIAMS^KAREN"), KAREN, [], "did not issue"),
    ("C42 is not the worklist's spelling", DeviceIdentity("C17"), KAREN, [], "did not issue"),
    ("bare number, our record has no DOB", DeviceIdentity("9", "PATEL^ASHA", date(1970, 1, 1)), NO_DOB, [],
     "did not issue"),
    ("no id, name and DOB fit one patient", DeviceIdentity(None, "O'BRIEN^ZOE", date(1961, 3, 12)), None, [ZOE],
     (ZOE, MatchMethod.NAME_DOB)),
    ("accents and case", DeviceIdentity(None, "o'brien^ZOE", date(1961, 3, 12)), None, [ZOE],
     (ZOE, MatchMethod.NAME_DOB)),
    ("accented on the device", DeviceIdentity(None, "O’Brien, Zoë", date(1961, 3, 12)), None, [ZOE],
     (ZOE, MatchMethod.NAME_DOB)),
    ("DICOM name with prefix and suffix parts", DeviceIdentity(None, "OBRIEN^ZOE^^MRS^", date(1961, 3, 12)), None,
     [ZOE], (ZOE, MatchMethod.NAME_DOB)),
    ("family name first without a caret", DeviceIdentity(None, "WILLIAMS KAREN", date(1968, 5, 2)), None, [KAREN],
     (KAREN, MatchMethod.NAME_DOB)),
    ("first of two given names, hyphen dropped", DeviceIdentity(None, "SMITH JONES^MARY", date(1950, 1, 2)), None,
     [MARY], (MARY, MatchMethod.NAME_DOB)),
    ("ambiguous: two patients fit", DeviceIdentity(None, "SMITH-JONES^MARY", date(1950, 1, 2)), None,
     [MARY, MARY_TWIN], "2 patients share"),
    ("name fits nobody born that day", DeviceIdentity(None, "NOBODY^NEMO", date(1968, 5, 2)), None, [KAREN],
     "No patient has"),
    ("unknown issued id, name and DOB fit", DeviceIdentity("C000099", "WILLIAMS^KAREN", date(1968, 5, 2)), None,
     [KAREN], (KAREN, MatchMethod.NAME_DOB)),
    ("unknown id and nothing else", DeviceIdentity("C000099"), None, [], "not known"),
    ("missing DOB: a name alone is not enough", DeviceIdentity(None, "WILLIAMS^KAREN"), None, [KAREN],
     "not enough"),
    ("family name only, with the DOB", DeviceIdentity(None, "Williams", date(1968, 5, 2)), None, [KAREN],
     (KAREN, MatchMethod.NAME_DOB)),
]


@pytest.mark.parametrize(("device", "by_id", "born", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_match_patient(device: DeviceIdentity, by_id: Candidate | None, born: list[Candidate],
                       expected: tuple[Candidate, MatchMethod] | str) -> None:
    match = match_patient(device, by_id=by_id, by_name_and_birth_date=born)
    if isinstance(expected, str):
        assert match.patient_id is None and match.method is None
        assert match.reason is not None and expected in match.reason, match.reason
    else:
        assert (match.patient_id, match.method) == (expected[0].id, expected[1]), match.reason
        assert match.reason is None


def test_worklist_booking_keeps_its_method() -> None:
    match = match_patient(DeviceIdentity(str(uuid.uuid4())), by_id=ZOE, id_method=MatchMethod.WORKLIST)
    assert (match.patient_id, match.method) == (ZOE.id, MatchMethod.WORKLIST)


def test_the_room_is_used_only_when_the_device_said_nothing() -> None:
    assert match_patient(DeviceIdentity(), by_id=None, in_room=ZOE).method is MatchMethod.ROOM
    assert match_patient(DeviceIdentity(), by_id=None).reason is not None
    said_something = match_patient(DeviceIdentity("ID-5"), by_id=None, in_room=ZOE)
    assert said_something.patient_id is None and "not known" in (said_something.reason or "")


def test_reasons_never_repeat_the_patients_details() -> None:
    device = DeviceIdentity("ID-17", "Nobody^Nemo", date(1901, 1, 1))
    reason = match_patient(device, by_id=KAREN).reason or ""
    for detail in ("Williams", "Karen", "1968", "Nobody", "Nemo", "1901", "17"):
        assert detail not in reason


@pytest.mark.parametrize(("device_id", "kind", "value"), [
    ("C000042", IdKind.ISSUED, 42), ("C1234567", IdKind.ISSUED, 1234567), (" C000042 ", IdKind.ISSUED, 42),
    ("C0000042", IdKind.NUMBER, 42), ("c000042", IdKind.NUMBER, 42), ("C42", IdKind.NUMBER, 42),
    ("17", IdKind.NUMBER, 17), ("0017", IdKind.NUMBER, 17), ("ID-17", IdKind.NUMBER, 17),
    ("P-000123", IdKind.NUMBER, 123), ("0", IdKind.OTHER, None), ("", IdKind.OTHER, None), (None, IdKind.OTHER, None),
    ("ABC", IdKind.OTHER, None), ("12345678901", IdKind.OTHER, None), ("１７", IdKind.OTHER, None),
    ("²", IdKind.OTHER, None), ("../../17", IdKind.OTHER, None),
])
def test_classify_device_id(device_id: str | None, kind: IdKind, value: int | None) -> None:
    assert classify_device_id(device_id) == (kind, value)


def test_a_uuid_is_an_issued_kind_of_id() -> None:
    some = uuid.uuid4()
    assert classify_device_id(str(some)) == (IdKind.UUID, some)


@pytest.mark.parametrize(("name", "agrees"), [
    ("WILLIAMS^KAREN", True), ("Williams^K", True), ("WILLIAMS^", True), ("WILLIAMS^KATE", False),
    ("WILLIAM^KAREN", False), ("Karen Williams", True), (None, None), ("  ", None), ("^KAREN", False),
])
def test_name_agrees(name: str | None, agrees: bool | None) -> None:
    assert name_agrees(name, KAREN) is agrees
